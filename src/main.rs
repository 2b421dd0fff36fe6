//! The `wirecopy` binary: a thin shell over the library (see `wirecopy::cli`).

fn main() {
    std::process::exit(wirecopy::cli::run(std::env::args_os()));
}
