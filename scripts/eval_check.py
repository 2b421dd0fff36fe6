#!/usr/bin/env python3
"""Split a generated corpus into a snapshot and a new batch, and score `wirecopy check`.

usage:
  eval_check.py split --data DIR --out OUT [--every 10]
      OUT/base.jsonl gets every line but each 10th, OUT/new.jsonl each 10th line (10k of
      100k): the new batch is a uniform sample, so its documents copy the snapshot as often
      as any document copies the rest of the corpus.
  eval_check.py score --data DIR --split OUT --check check.json [--scan scan.json]
      check.json: `wirecopy check OUT/new.jsonl --against INDEX --format json`.
      scan.json (optional): `wirecopy scan` of the whole corpus (--format json), the exact
      answer the estimated one is compared with.

Figures (one JSON object): a new document is *flagged* when it is a member of an `i`
cluster (it copies an indexed document). It truly copies the snapshot when its true cluster
(truth.jsonl) has a member in base.jsonl.
  flagged_precision   flagged documents whose indexed match is in their true cluster
  flagged_recall      truly copying documents that are flagged
  vs_exact_*          the same against the exact scan: a new document copies the snapshot
                      when its scan cluster holds a base document
  within_new_*        the `c` clusters among the new documents against truth pairs
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def read_jsonl(path):
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def split(args):
    args.out.mkdir(parents=True, exist_ok=True)
    n_base = n_new = 0
    with open(args.data / "corpus.jsonl", "rb") as f, \
            open(args.out / "base.jsonl", "wb") as base, \
            open(args.out / "new.jsonl", "wb") as new:
        for i, line in enumerate(f, 1):
            if i % args.every == 0:
                new.write(line)
                n_new += 1
            else:
                base.write(line)
                n_base += 1
    print(json.dumps({"base": n_base, "new": n_new}))


def ids_of(path):
    return [r["id"] for r in read_jsonl(path)]


def rate(num, den):
    return round(num / den, 5) if den else None


def score(args):
    cluster_of = {r["id"]: str(r["cluster"]) for r in read_jsonl(args.data / "truth.jsonl")}
    base = set(ids_of(args.split / "base.jsonl"))
    new = ids_of(args.split / "new.jsonl")
    base_clusters = {cluster_of[d] for d in base}
    truly = {d for d in new if cluster_of[d] in base_clusters}

    report = json.load(open(args.check))
    flagged = {}
    within_pairs = set()
    for c in report["clusters"]:
        ids = [m["id"] for m in c["members"]]
        if c["id"].startswith("i"):
            for d in ids[1:]:
                flagged[d] = ids[0]
        else:
            for i, a in enumerate(ids):
                for b in ids[i + 1:]:
                    within_pairs.add((min(a, b), max(a, b)))
    right = sum(1 for d, idx in flagged.items() if cluster_of[d] == cluster_of[idx])
    out = {
        "new_documents": len(new),
        "truly_copying": len(truly),
        "flagged": len(flagged),
        "flagged_precision": rate(right, len(flagged)),
        "flagged_recall": rate(sum(1 for d in flagged if d in truly), len(truly)),
        "check_seconds": report["timings"].get("total"),
    }
    new_by_cluster = defaultdict(list)
    for d in new:
        new_by_cluster[cluster_of[d]].append(d)
    true_pairs = {(min(a, b), max(a, b)) for docs in new_by_cluster.values()
                  for i, a in enumerate(docs) for b in docs[i + 1:]}
    hit = len(within_pairs & true_pairs)
    out["within_new_pair_precision"] = rate(hit, len(within_pairs))
    out["within_new_pair_recall"] = rate(hit, len(true_pairs))

    if args.scan:
        scan = json.load(open(args.scan))
        exact = set()
        for c in scan["clusters"]:
            ids = [m["id"] for m in c["members"]]
            if any(d in base for d in ids):
                exact.update(d for d in ids if d not in base)
        agree = len(exact & flagged.keys())
        out["exact_copying"] = len(exact)
        out["vs_exact_precision"] = rate(agree, len(flagged))
        out["vs_exact_recall"] = rate(agree, len(exact))
    print(json.dumps(out, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("split")
    s.add_argument("--data", required=True, type=Path)
    s.add_argument("--out", required=True, type=Path)
    s.add_argument("--every", type=int, default=10)
    s = sub.add_parser("score")
    s.add_argument("--data", required=True, type=Path)
    s.add_argument("--split", required=True, type=Path)
    s.add_argument("--check", required=True, type=Path)
    s.add_argument("--scan", type=Path)
    args = ap.parse_args()
    split(args) if args.cmd == "split" else score(args)


if __name__ == "__main__":
    main()
