//! Compressed rows: a list of values per row (document), all in one allocation.
//!
//! The join of the candidate index (each document's postings) and the clustering (each
//! document's accepted partners) both need, for every document, a short list that is built
//! once and then only read. A map of vectors costs an allocation per row; here the values
//! sit back to back and each row is a slice, `values[offsets[r]..offsets[r + 1]]`.

/// Values per row, each row in the order the entries were given.
pub struct Rows<T = u32> {
    offsets: Vec<usize>,
    values: Vec<T>,
}

impl<T: Copy + Default> Rows<T> {
    /// Rows `0..n_rows` from `entries()`, which yields `(row, value)` pairs and is called
    /// twice (once to size the rows, once to fill them) and must yield the same both times.
    pub fn new<I: Iterator<Item = (u32, T)>>(n_rows: usize, entries: impl Fn() -> I) -> Self {
        let mut offsets = vec![0usize; n_rows + 1];
        for (row, _) in entries() {
            offsets[row as usize + 1] += 1;
        }
        for r in 0..n_rows {
            offsets[r + 1] += offsets[r];
        }
        let mut values = vec![T::default(); offsets[n_rows]];
        let mut fill = offsets.clone();
        for (row, value) in entries() {
            values[fill[row as usize]] = value;
            fill[row as usize] += 1;
        }
        Rows { offsets, values }
    }

    /// The values of row `r`.
    pub fn of(&self, r: u32) -> &[T] {
        &self.values[self.offsets[r as usize]..self.offsets[r as usize + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_the_order_of_their_entries() {
        let entries = [(2, 7), (0, 1), (2, 5), (0, 3)];
        let rows = Rows::new(4, || entries.iter().copied());
        assert_eq!(rows.of(0), &[1, 3]);
        assert!(rows.of(1).is_empty());
        assert_eq!(rows.of(2), &[7, 5]);
        assert!(rows.of(3).is_empty());
    }
}
