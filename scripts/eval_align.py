#!/usr/bin/env python3
"""Score `wirecopy diff`'s paragraph labels against the edits that made each copy.

usage: eval_align.py [--data DIR] [--bench DIR] [--wirecopy BIN] [--limit N] [--show N]

DIR is a corpus made by the bench generator (../shared/bench/gen_corpus.py): corpus.jsonl,
edits.jsonl. For every copy (up to --limit) the script replays the recorded ops on the
parent's paragraphs (`text.split("\\n\\n")` of `derived_from`, as gen_corpus.apply_ops does),
tracking where every copy paragraph comes from. That gives the TRUE label of every paragraph
of the copy (B) and of its parent (A); `wirecopy diff --corpus ... --pairs ... --format jsonl`
gives ours. Paragraphs are matched by byte offset, so the comparison does not depend on how
either side counts paragraphs.

Label mapping (the truth, per paragraph):
  copy paragraph made by an op that adds furniture: prepend_byline, insert_paragraph with
    kind read_more_inline, append_boilerplate blocks, the truncate marker → boilerplate;
  a parent paragraph that is furniture itself (the parent is a copy that added it), and the
    copy paragraphs made only of such paragraphs → boilerplate;
  copy paragraph from insert_paragraph (a local paragraph) → added;
  copy paragraph made of two or more parent paragraphs (merge_paragraphs) → merged, and each
    of those parent paragraphs → merged;
  parent paragraph that became two or more copy paragraphs (split_paragraph) → split, and
    each of those copy paragraphs → split;
  parent paragraph in no copy paragraph (remove_paragraph, truncate) → dropped;
  one parent paragraph = one copy paragraph → shared if the texts are equal (up to
    surrounding whitespace), restyled if their words are equal after the tokenizer's folding
    (quotes, dashes, case, NFKC; so quotes/dashes ops and OCR noise that only touches
    punctuation), else edited (substitute_words, prepend_dateline, word-changing OCR noise,
    or a merged-in local paragraph).
  Truncation point: the last parent paragraph (not furniture) with text in the copy, when a
  later parent paragraph (not furniture) is missing — compared with `truncated_after`.

Figures: share of paragraphs labelled correctly (both sides; per side; per true label), the
"lenient" share that also accepts added for appended boilerplate (furniture a lone pair cannot
recognise by shape), and the share of truncation points found exactly (plus truncations
reported where there is none).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def words(s: str) -> list[str]:
    """The tokenizer's folding, approximately: NFKD, lower case, apostrophes inside words
    dropped, words = runs of letters, digits and combining marks."""
    s = unicodedata.normalize("NFKD", s).lower()
    out, cur = [], []
    for i, c in enumerate(s):
        if c.isalnum() or unicodedata.category(c).startswith("M"):
            cur.append(c)
        elif c in "'\u2019\u2018\u02bc\u201b\uff07" and cur and i + 1 < len(s) and s[i + 1].isalnum():
            continue
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


class Para:
    """A paragraph during replay: its text, the parent paragraphs it is made of as
    (parent index, start, end) character ranges in the current text, and `own`: None for
    parent text, "local" or "boiler" for text an op created."""

    __slots__ = ("text", "src", "own")

    def __init__(self, text, src, own=None):
        self.text, self.src, self.own = text, src, own


def replay(parent_text: str, ops: list[dict], op_quotes) -> list[Para] | None:
    paras = [Para(t, [(j, 0, len(t))]) for j, t in enumerate(parent_text.split("\n\n"))]
    for op in ops:
        k = op["op"]
        if k == "remove_paragraph":
            del paras[op["index"]]
        elif k == "insert_paragraph":
            own = "boiler" if op.get("kind") == "read_more_inline" else "local"
            paras.insert(op["index"], Para(op["text"], [], own))
        elif k == "merge_paragraphs":
            i = op["index"]
            a, b = paras[i], paras[i + 1]
            shift = len(a.text) + 1
            src = a.src + [(j, lo + shift, hi + shift) for j, lo, hi in b.src]
            paras[i:i + 2] = [Para(a.text + " " + b.text, src, a.own or b.own)]
        elif k == "split_paragraph":
            i, at = op["index"], op["at_char"]
            p = paras[i]
            left = p.text[:at].rstrip()
            rest = p.text[at:]
            r0 = at + len(rest) - len(rest.lstrip())
            ls = [(j, lo, min(hi, len(left))) for j, lo, hi in p.src if lo < len(left)]
            rs = [(j, max(lo, r0) - r0, hi - r0) for j, lo, hi in p.src if hi > r0]
            paras[i:i + 1] = [Para(left, ls, p.own), Para(rest.lstrip(), rs, p.own)]
        elif k == "truncate":
            paras = paras[:op["after_paragraph"] + 1]
            if op["marker"]:
                paras.append(Para(op["marker"], [], "boiler"))
        elif k == "substitute_words":
            for i, pos, old, new in op["changes"]:
                t = paras[i].text
                assert t[pos:pos + len(old)] == old
                paras[i].text = t[:pos] + new + t[pos + len(old):]
        elif k == "quotes":
            texts, _ = op_quotes([p.text for p in paras], op["style"] == "curly")
            for p, t in zip(paras, texts):
                p.text = t
        elif k == "dashes":
            for p in paras:
                p.text = p.text.replace(op["from"], op["to"])
        elif k == "prepend_dateline":
            paras[0].text = op["text"] + paras[0].text
        elif k == "prepend_byline":
            paras.insert(0, Para(op["text"], [], "boiler"))
        elif k == "append_boilerplate":
            paras.extend(Para(b["text"], [], "boiler") for b in op["blocks"])
        elif k == "ocr_noise":
            text = "\n\n".join(p.text for p in paras)
            out, prev = [], 0
            for pos, old, new in op["changes"]:
                out.append(text[prev:pos])
                out.append(new)
                prev = pos + len(old)
            out.append(text[prev:])
            texts = "".join(out).split("\n\n")
            if len(texts) != len(paras):
                return None
            for p, t in zip(paras, texts):
                p.text = t
        else:
            raise ValueError(k)
    return paras


def is_boiler(p: Para, parent_boiler: list[bool]) -> bool:
    if p.own == "boiler":
        return True
    return bool(p.src) and all(parent_boiler[j] for j, _, _ in p.src)


def truth(parent_text: str, parent_boiler: list[bool], paras: list[Para]):
    """True labels of the parent's and the copy's paragraphs, and the truncation point."""
    parent = parent_text.split("\n\n")
    origins = [sorted({j for j, _, _ in p.src}) for p in paras]
    dest = collections.defaultdict(set)
    for c, o in enumerate(origins):
        for j in o:
            dest[j].add(c)

    def one_to_one(j: int, c: int) -> str:
        x, y = parent[j], paras[c].text
        if x.strip() == y.strip():
            return "shared"
        return "restyled" if words(x) == words(y) else "edited"

    copy_labels = []
    for c, p in enumerate(paras):
        o = origins[c]
        if is_boiler(p, parent_boiler):
            copy_labels.append("boilerplate")
        elif not o:
            copy_labels.append("added")
        elif len(o) >= 2:
            copy_labels.append("merged")
        elif len(dest[o[0]]) >= 2:
            copy_labels.append("split")
        else:
            copy_labels.append(one_to_one(o[0], c))
    parent_labels = []
    for j in range(len(parent)):
        d = sorted(dest[j])
        if parent_boiler[j]:
            parent_labels.append("boilerplate")
        elif not d:
            parent_labels.append("dropped")
        elif len(d) >= 2:
            parent_labels.append("split")
        elif len(origins[d[0]]) >= 2:
            parent_labels.append("merged")
        else:
            parent_labels.append(one_to_one(j, d[0]))
    kept = [j for j in range(len(parent)) if dest[j] and not parent_boiler[j]]
    trunc = None
    if kept:
        t = max(kept)
        if any(not dest[j] and not parent_boiler[j] for j in range(t + 1, len(parent))):
            trunc = t + 1
    return parent_labels, copy_labels, trunc


def starts(text: str) -> list[tuple[int, int]]:
    """Byte range of the first non-blank character of each `split("\\n\\n")` paragraph (None
    for a blank one) and the paragraph's byte start."""
    out, pos = [], 0
    for piece in text.split("\n\n"):
        b = piece.encode()
        lead = len(b) - len(b.lstrip())
        out.append((pos + lead if b.strip() else None, pos))
        pos += len(b) + 2
    return out


def our_index(paras: list[dict], byte: int) -> int | None:
    for k, p in enumerate(paras):
        if p["bytes"][0] <= byte < max(p["bytes"][1], p["bytes"][0] + 1):
            return k
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "bench", "data", "c10k"))
    ap.add_argument("--bench", default=os.path.join(ROOT, "..", "shared", "bench"))
    ap.add_argument("--wirecopy", default=os.path.join(ROOT, "target", "release", "wirecopy"))
    ap.add_argument("--limit", type=int, default=0, help="at most N copies (0 = all)")
    ap.add_argument("--show", type=int, default=0, help="print N mislabelled paragraphs")
    args = ap.parse_args()
    sys.path.insert(0, args.bench)
    from gen_corpus import op_quotes  # the generator's own quote restyling

    texts = {}
    with open(os.path.join(args.data, "corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts[r["id"]] = r["text"]
    edits = {}
    with open(os.path.join(args.data, "edits.jsonl"), encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e["role"] == "copy":
                edits[e["id"]] = e

    boiler_cache: dict[str, list[bool]] = {}

    def furniture_of(doc: str) -> list[bool] | None:
        """Which paragraphs of `doc` are furniture (from its own edits, recursively)."""
        if doc in boiler_cache:
            return boiler_cache[doc]
        e = edits.get(doc)
        if e is None:  # an original: all story
            out = [False] * len(texts[doc].split("\n\n"))
        else:
            up = furniture_of(e["derived_from"]) if e["derived_from"] in texts else None
            paras = replay(texts[e["derived_from"]], e["ops"], op_quotes) if up is not None else None
            out = None if paras is None else [is_boiler(p, up) for p in paras]
        boiler_cache[doc] = out
        return out

    cases = []
    for cid in sorted(edits):
        e = edits[cid]
        pid = e["derived_from"]
        if pid not in texts:
            continue
        pb = furniture_of(pid)
        paras = replay(texts[pid], e["ops"], op_quotes) if pb is not None else None
        if paras is None or "\n\n".join(p.text for p in paras) != texts[cid]:
            continue
        cases.append((pid, cid, truth(texts[pid], pb, paras), e))
        if args.limit and len(cases) >= args.limit:
            break

    with tempfile.TemporaryDirectory() as tmp:
        pairs = os.path.join(tmp, "pairs.tsv")
        out = os.path.join(tmp, "out.jsonl")
        with open(pairs, "w") as f:
            for pid, cid, _, _ in cases:
                f.write(f"{pid}\t{cid}\n")
        cmd = [args.wirecopy, "diff", "--corpus", os.path.join(args.data, "corpus.jsonl"),
               "--source-field", "source", "--pairs", pairs, "--format", "jsonl", "-q", "-o", out]
        print("$", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)
        with open(out) as f:
            results = [json.loads(line) for line in f]
    assert len(results) == len(cases), (len(results), len(cases))

    confusion = collections.Counter()
    false_furniture = collections.Counter()  # why paragraphs were wrongly called boilerplate
    side_counts = collections.Counter()
    lenient_ok = 0
    trunc = collections.Counter()
    shown = 0
    for (pid, cid, (tl_a, tl_b, t_trunc), e), r in zip(cases, results):
        for side, tlabels, text, ours in (("A", tl_a, texts[pid], r["a_paragraphs"]),
                                          ("B", tl_b, texts[cid], r["b_paragraphs"])):
            for (first, _), want in zip(starts(text), tlabels):
                k = None if first is None else our_index(ours, first)
                got = "boilerplate" if first is None else (ours[k]["label"] if k is not None else "?")
                confusion[(want, got)] += 1
                if want != got and got == "boilerplate" and k is not None:
                    false_furniture[ours[k]["furniture"]] += 1
                side_counts[(side, want == got)] += 1
                if want == got or (want == "boilerplate" and got == "added" and side == "B"):
                    lenient_ok += 1
                if want != got and shown < args.show:
                    shown += 1
                    shown_text = text.encode()[first:first + 90].decode(errors="replace")
                    print(f"{side} {pid}->{cid} want {want} got {got}: {shown_text!r}"
                          f" ops={[o['op'] for o in e['ops']]}")
        got_t = r["changes"]["truncated_after"]
        if got_t is not None:  # our 1-based paragraph → the parent's split("\n\n") index
            b0 = r["a_paragraphs"][got_t - 1]["bytes"][0]
            got_t = 1 + max(i for i, (_, s) in enumerate(starts(texts[pid])) if s <= b0)
        if t_trunc != got_t and shown < args.show:
            shown += 1
            print(f"truncation {pid}->{cid} want {t_trunc} got {got_t}: ops={[o['op'] for o in e['ops']]}")
        if t_trunc is not None:
            trunc["true"] += 1
            trunc["exact"] += got_t == t_trunc
        elif got_t is not None:
            trunc["false_report"] += 1

    total = sum(confusion.values())
    ok = sum(v for (w, g), v in confusion.items() if w == g)
    labels = sorted({w for w, _ in confusion} | {g for _, g in confusion})
    print(f"copies aligned: {len(cases)}  paragraphs: {total}")
    print(f"paragraphs labelled correctly: {ok / total:.4f} ({ok}/{total})")
    print(f"  lenient (added accepted for boilerplate on B): {lenient_ok / total:.4f}")
    for side in "AB":
        s_ok, s_bad = side_counts[(side, True)], side_counts[(side, False)]
        print(f"  side {side} ({'parent' if side == 'A' else 'copy'}): {s_ok / (s_ok + s_bad):.4f}")
    print(f"truncation points found exactly: {trunc['exact'] / max(1, trunc['true']):.4f} "
          f"({trunc['exact']}/{trunc['true']}); truncation reported where there is none: "
          f"{trunc['false_report']}")
    print("wrongly called boilerplate, by reason:",
          ", ".join(f"{k} {v}" for k, v in false_furniture.most_common()))
    print("per true label: accuracy (n) and what else it got")
    for w in labels:
        n = sum(v for (x, _), v in confusion.items() if x == w)
        if n == 0:
            continue
        errs = ", ".join(f"{g} {v}" for (x, g), v in confusion.most_common() if x == w and g != w)
        print(f"  {w:<12} {confusion[(w, w)] / n:.4f} ({n})  {errs}")


if __name__ == "__main__":
    main()
