#!/usr/bin/env python3
"""Convert `wirecopy scan --format jsonl` output into the bench harness contract.

usage: to_harness.py REPORT.jsonl OUT_DIR
Writes OUT_DIR/clusters.jsonl ({"cluster", "members": [ids]}) and OUT_DIR/pairs.jsonl
(canonical–member pairs with the member's Jaccard as "sim").
"""
import json
import os
import sys


def main() -> None:
    report, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(report) as f, open(os.path.join(out, "clusters.jsonl"), "w") as fc, \
            open(os.path.join(out, "pairs.jsonl"), "w") as fp:
        header = json.loads(next(f))
        phases = {k: {"wall_s": v} for k, v in header.get("timings", {}).items() if k != "total"}
        for line in f:
            c = json.loads(line)
            ids = [m["id"] for m in c["members"]]
            fc.write(json.dumps({"cluster": c["id"], "members": ids}) + "\n")
            for m in c["members"][1:]:
                fp.write(json.dumps({"a": c["canonical"], "b": m["id"], "sim": m["jaccard"]}) + "\n")
    with open(os.path.join(out, "phases.json"), "w") as f:
        json.dump(phases, f)


if __name__ == "__main__":
    main()
