#!/usr/bin/env python3
"""Score a `wirecopy dedup` run against the generator's truth; prints one JSON object.

usage: eval_dedup.py --data DIR --kept kept.jsonl [--annotated annotated.jsonl]
                     [--map map.jsonl]

DIR holds truth.jsonl ({"id","cluster","role"}) and edits.jsonl (per copy: "ops") as written
by ../shared/bench/gen_corpus.py. Every document of truth.jsonl is either kept (its id is in
--kept) or removed.

Figures:
  false_removal_rate  removed documents whose true cluster has no kept member, over removed
                      documents: text the corpus lost (a singleton removed counts too).
  wrong_kept_id_rate  (with --map) removed documents whose kept_id is not in their true
                      cluster, over removed documents: folded into the wrong story.
  missed_rate         redundant documents left in, over all redundant documents: a true
                      cluster of n documents has n - 1 redundant ones; every kept member
                      beyond the first is a missed duplicate.
  missed_by_reason    (with --annotated, the `dedup --annotate` output of the same run) why
                      each missed duplicate was kept: "unclustered" (in no cluster),
                      "canonical" (the kept copy of a second cluster of the same story), or
                      the relation that is not redundant (version, extended, excerpt, ...).
  missed_by_op        share of copies that carry an edit op and were kept although another
                      member of their cluster was kept too.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path


def read_jsonl(path):
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--kept", required=True, type=Path)
    ap.add_argument("--annotated", type=Path)
    ap.add_argument("--map", type=Path)
    args = ap.parse_args()

    cluster_of = {}
    role_of = {}
    for r in read_jsonl(args.data / "truth.jsonl"):
        cluster_of[r["id"]] = str(r["cluster"])
        role_of[r["id"]] = r.get("role", "")
    members = defaultdict(list)
    for doc, c in cluster_of.items():
        members[c].append(doc)
    kept = {r["id"] for r in read_jsonl(args.kept)}
    unknown = kept - cluster_of.keys()
    assert not unknown, f"{len(unknown)} kept ids are not in truth.jsonl"
    removed = [d for d in cluster_of if d not in kept]
    kept_in = Counter(cluster_of[d] for d in kept)

    false_removals = [d for d in removed if kept_in[cluster_of[d]] == 0]
    redundant_total = sum(len(m) - 1 for m in members.values())
    missed = sum(max(0, kept_in[c] - 1) for c in members)
    out = {
        "documents": len(cluster_of),
        "kept": len(kept),
        "removed": len(removed),
        "true_clusters_multi": sum(1 for m in members.values() if len(m) > 1),
        "redundant_total": redundant_total,
        "false_removals": len(false_removals),
        "false_removal_rate": round(len(false_removals) / max(1, len(removed)), 5),
        "false_removals_by_role": dict(Counter(role_of[d] for d in false_removals)),
        "missed": missed,
        "missed_rate": round(missed / max(1, redundant_total), 5),
        "ideal_kept": len(members),
    }

    if args.map:
        wrong = 0
        for r in read_jsonl(args.map):
            if cluster_of[r["id"]] != cluster_of[r["kept_id"]]:
                wrong += 1
        out["wrong_kept_id"] = wrong
        out["wrong_kept_id_rate"] = round(wrong / max(1, len(removed)), 5)

    # Which kept documents are the missed duplicates: in each true cluster with k > 1 kept
    # members, all but the first (by the annotation's canonical-ness, else by id).
    if args.annotated:
        ann = {r["id"]: r["wirecopy"] for r in read_jsonl(args.annotated)}
        reasons = Counter()
        for c, docs in members.items():
            kept_docs = sorted(d for d in docs if d in kept)
            if len(kept_docs) < 2:
                continue
            # The first kept copy stands for the story; prefer a canonical.
            kept_docs.sort(key=lambda d: ann[d]["relation"] != "canonical")
            for d in kept_docs[1:]:
                a = ann[d]
                reasons["unclustered" if a["cluster"] is None else a["relation"]] += 1
        out["missed_by_reason"] = dict(reasons.most_common())

    edits_path = args.data / "edits.jsonl"
    if edits_path.exists():
        by_op = defaultdict(lambda: [0, 0])
        for r in read_jsonl(edits_path):
            if "ops" not in r or role_of.get(r["id"]) != "copy":
                continue
            c = cluster_of[r["id"]]
            extra = r["id"] in kept and kept_in[c] > 1
            for op in {o["op"] for o in r["ops"]}:
                by_op[op][0] += 1
                by_op[op][1] += extra
        out["kept_with_another_by_op"] = {
            op: round(m / n, 4) for op, (n, m) in sorted(by_op.items())
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
