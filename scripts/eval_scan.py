#!/usr/bin/env python3
"""Score a `wirecopy scan --format members` run against the bench generator's truth.

usage: eval_scan.py MEMBERS.jsonl DATA_DIR   (DATA_DIR holds truth.jsonl and edits.jsonl,
       e.g. ../shared/bench/data/c100k)

Prints the cluster-pair precision / recall / ARI from ../shared/bench/score.py, then the
share of copies that sit in the same cluster as their original, by edit op present in the
copy, by noise level and by the copy's true word-5-gram Jaccard with its original.
"""
import collections
import json
import os
import subprocess
import sys
import tempfile


def main() -> None:
    members, data = sys.argv[1], sys.argv[2]
    cluster = {}
    with open(members) as f, tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
        next(f)  # header line: params, stats, timings
        for line in f:
            r = json.loads(line)
            cluster[r["id"]] = r["cluster"]
            out.write(json.dumps({"id": r["id"], "cluster": r["cluster"]}) + "\n")
    bench = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench")
    python = os.path.join(bench, ".venv", "bin", "python")
    scored = subprocess.run([python if os.path.exists(python) else sys.executable,
                             os.path.join(bench, "score.py"), "--truth", os.path.join(data, "truth.jsonl"),
                             "--clusters", out.name], capture_output=True, text=True, check=True)
    os.unlink(out.name)
    s = json.loads(scored.stdout)
    print(json.dumps({k: s[k] for k in ("cluster_pair_precision", "cluster_pair_recall",
                                        "cluster_pair_f1", "ari", "pred_clusters", "truth_clusters")}))
    by = collections.defaultdict(lambda: [0, 0])
    with open(os.path.join(data, "edits.jsonl")) as f:
        for line in f:
            e = json.loads(line)
            if e.get("role") != "copy" or not e.get("original_in_corpus", True):
                continue
            found = e["id"] in cluster and cluster.get(e["id"]) == cluster.get(e["original"])
            keys = {"all"} | {"op:" + o["op"] for o in e["ops"]} | {"level:" + e["level"]}
            keys.add("jaccard:%.1f" % min(0.9, int(e["jaccard_w5"] * 10) / 10))
            for k in keys:
                by[k][0] += found
                by[k][1] += 1
    print("copy in its original's cluster:")
    for k in sorted(by):
        hit, n = by[k]
        print(f"  {k:28s} {hit / n:.4f}  ({n})")


if __name__ == "__main__":
    main()
