#!/usr/bin/env python3
"""Compare `wirecopy scan` with the peer near-duplicate detectors and the hardware floor.

usage: scripts/compare_peers.py [--sizes 10k,100k] [--tools gaoya-native,rensa-r,datasketch]
                                [--threads 2] [--repeat 3] [--ours-args FLAGS] [--wait-idle S]
                                [--bench ../shared/bench] [--skip-build] [--table-only]

For each corpus size (10k, 100k, 1m or a plain number of documents) this
  1. generates the corpus if it is missing:
     gen_corpus.py --out BENCH/data/c<size> --n-docs N --seed 1;
  2. reads corpus.jsonl once so it is in the page cache, as the peers' figures were taken;
  3. runs BENCH/run_peers.py --tools ours,<peers> --workers <threads>, with ours as
       target/release/wirecopy scan {corpus} --source-field source --threads {workers}
         --quiet --format members -o {out}/members.jsonl --pairs {out}/pairs.jsonl
       && tail -n +2 {out}/members.jsonl > {out}/clusters.jsonl
     (the harness times the command, takes its peak RSS from getrusage and scores every
     tool with the same score.py);
  4. runs floor-rs (BENCH/floor-rs: naive single-thread Rust that parses, tokenizes and
     hashes every word 5-gram once; built here if missing);
  5. runs ours alone, --threads 1 and --threads <threads>, `--repeat` times each under
     /usr/bin/time -v (median wall time, largest max RSS).
Then it prints one table (one row per corpus and tool) and the ratios the performance
targets are stated in. Everything it runs goes to BENCH/runs/compare-c<size>/.

Our per-stage times come from the `timings` object in the header line of members.jsonl,
mapped onto the harness phases: read -> load; tokenize, boilerplate, sketch -> signatures;
candidates, verify -> index/query; cluster -> clustering; changes (aligning every member
with its canonical, which no peer does) -> align. The harness's wall time minus
the sum of our stages (process start and exit, writing the outputs, `tail`) is added to
clustering, which for the peers also includes writing their outputs.

Python 3 standard library only; the harness itself runs in BENCH/.venv.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(REPO, "target", "release", "wirecopy")
PHASES = ("load", "signatures", "index_query", "clustering")
# Phases only we have: the peers neither align copies nor describe their changes.
OWN_PHASES = ("align",)
# Our stage names (scan's `timings`) -> harness phase.
STAGE_PHASE = {
    "read": "load",
    "tokenize": "signatures",
    "boilerplate": "signatures",
    "sketch": "signatures",
    "candidates": "index_query",
    "verify": "index_query",
    "cluster": "clustering",
    "changes": "align",
}


def ours_args(corpus: str, out: str, threads: str, extra: str) -> str:
    return (f"{OURS} scan {corpus} --source-field source --threads {threads} --quiet "
            f"--format members -o {out}/members.jsonl --pairs {out}/pairs.jsonl {extra}").rstrip()


def harness_cmd(extra: str) -> str:
    # /usr/bin/time only records our CPU seconds (the harness measures wall time and RSS).
    return ("/usr/bin/time -f '%U %S' -o {out}/cpu.txt " + ours_args("{corpus}", "{out}", "{workers}", extra)
            + " && tail -n +2 {out}/members.jsonl > {out}/clusters.jsonl")


def parse_size(s: str) -> tuple[str, int]:
    """'10k' -> ('10k', 10000); '1m' -> ('1m', 1000000); '2500' -> ('2500', 2500)."""
    s = s.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1:], 1)
    digits = s[:-1] if mult > 1 else s
    if not digits.isdigit():
        raise SystemExit(f"--sizes: {s!r} is not a size like 10k, 100k, 1m or 2500")
    return s, int(digits) * mult


def run(cmd: list[str], **kw) -> None:
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, **kw)


def warm(path: str) -> None:
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def ensure_corpus(bench: str, py: str, label: str, n: int) -> str:
    d = os.path.join(bench, "data", f"c{label}")
    if not os.path.exists(os.path.join(d, "truth.jsonl")):
        run([py, os.path.join(bench, "gen_corpus.py"), "--out", d, "--n-docs", str(n), "--seed", "1"])
    return d


def floor_rs(bench: str, corpus: str) -> dict:
    crate = os.path.join(bench, "floor-rs")
    exe = os.path.join(crate, "target", "release", "floor-rs")
    if not os.path.exists(exe):
        run(["cargo", "build", "--release", "--quiet"], cwd=crate)
    out = subprocess.run([exe, corpus], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def timed_ours(corpus: str, threads: int, repeat: int, extra: str) -> dict:
    """Median wall and CPU time and largest max RSS of `repeat` runs under /usr/bin/time -v."""
    walls, cpus, rss = [], [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeat):
            cmd = ["/usr/bin/time", "-v"] + ours_args(corpus, out, str(threads), extra).split()
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                raise SystemExit(f"ours --threads {threads} failed:\n{res.stderr}")
            fields = dict(line.strip().rsplit(": ", 1) for line in res.stderr.splitlines() if ": " in line)
            h, m, s = (["0"] + fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"))[-3:]
            walls.append(int(h) * 3600 + int(m) * 60 + float(s))
            cpus.append(float(fields["User time (seconds)"]) + float(fields["System time (seconds)"]))
            rss.append(int(fields["Maximum resident set size (kbytes)"]) / 1024)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "max_rss_mb": max(rss),
            "runs": walls}


def wait_idle(limit: float) -> None:
    """Wait up to `limit` seconds for the 1-minute load average to drop below 0.5."""
    waited = 0
    while waited < limit and os.getloadavg()[0] >= 0.5:
        time.sleep(10)
        waited += 10


def ours_phases(members: str, wall: float) -> dict:
    with open(members) as fh:
        timings = json.loads(fh.readline())["timings"]
    phases = dict.fromkeys(PHASES + OWN_PHASES, 0.0)
    staged = 0.0
    for stage, secs in timings.items():
        if stage == "total":
            continue
        if stage not in STAGE_PHASE:
            print(f"warning: unknown stage {stage!r} in {members}: counted under clustering",
                  file=sys.stderr)
        phases[STAGE_PHASE.get(stage, "clustering")] += secs
        staged += secs
    phases["clustering"] += max(0.0, wall - staged)
    return phases


def cpu_seconds(m: dict, out: str) -> float | None:
    """CPU seconds (user + system) of a tool: ours from cpu.txt, a peer from its phases."""
    if m["tool"] != "ours":
        return sum(p.get("cpu_s", 0) for p in m["phases"].values())
    path = os.path.join(out, "ours", "cpu.txt")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return sum(float(x) for x in fh.read().split()[-2:])


def latest_rows(summary: str, start: int) -> dict:
    """The summary lines run_peers.py appended after byte offset `start`, by tool."""
    rows = {}
    with open(summary) as fh:
        fh.seek(start)
        for line in fh:
            m = json.loads(line)
            rows[m["tool"]] = m
    return rows


def compare(args, label: str, n: int) -> dict:
    bench, py = args.bench, os.path.join(args.bench, ".venv", "bin", "python")
    data = ensure_corpus(bench, py, label, n)
    corpus = os.path.join(data, "corpus.jsonl")
    out = os.path.join(bench, "runs", f"compare-c{label}")
    os.makedirs(out, exist_ok=True)
    summary = os.path.join(out, "summary.jsonl")
    start = os.path.getsize(summary) if os.path.exists(summary) else 0
    tools = ["ours"] + [t for t in args.tools.split(",") if t and t != "ours"]
    wait_idle(args.wait_idle)
    warm(corpus)
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f} before the {label} run: other work on the machine "
              "slows every tool and makes the figures noisy", file=sys.stderr)
    cmd = [py, os.path.join(bench, "run_peers.py"), "--corpus", corpus,
           "--truth", os.path.join(data, "truth.jsonl"), "--out", out, "--tools", ",".join(tools),
           "--workers", str(args.threads), "--cmd", harness_cmd(args.ours_args)]
    with open(os.path.join(out, "run_peers.log"), "a") as log:
        run(cmd, stdout=log, stderr=subprocess.STDOUT)
    rows = latest_rows(summary, start)
    missing = [t for t in tools if t not in rows or "error" in rows[t]]
    if missing:
        raise SystemExit(f"{label}: {missing} failed; see {out}/run_peers.log")
    rows["ours"]["stage_s"] = ours_phases(os.path.join(out, "ours", "members.jsonl"), rows["ours"]["total_s"])
    for m in rows.values():
        m["cpu_s"] = cpu_seconds(m, out)
    warm(corpus)
    floor = floor_rs(bench, corpus)
    scaling = ({t: timed_ours(corpus, t, args.repeat, args.ours_args) for t in sorted({1, args.threads})}
               if args.repeat > 0 else {})
    with open(os.path.join(out, "compare.json"), "w") as fh:
        json.dump({"rows": rows, "floor_rs": floor, "ours_threads": scaling, "load_avg_1m": load}, fh, indent=1)
    return {"label": label, "mb": rows["ours"]["corpus_mb"], "rows": rows, "tools": tools,
            "floor": floor, "scaling": scaling, "load": load}


def saved(args, label: str) -> dict:
    """The results of the last run on corpus `label`, from its compare.json."""
    out = os.path.join(args.bench, "runs", f"compare-c{label}")
    with open(os.path.join(out, "compare.json")) as fh:
        res = json.load(fh)
    rows = res["rows"]
    rows["ours"]["stage_s"] = ours_phases(os.path.join(out, "ours", "members.jsonl"), rows["ours"]["total_s"])
    for m in rows.values():
        m["cpu_s"] = cpu_seconds(m, out)
    return {"label": label, "mb": rows["ours"]["corpus_mb"], "rows": rows, "tools": list(rows),
            "floor": res["floor_rs"], "scaling": {int(k): v for k, v in res["ours_threads"].items()},
            "load": res["load_avg_1m"]}


def f(x, fmt="{:.2f}") -> str:
    return "-" if x is None else fmt.format(x)


def table(results: list[dict], threads: int) -> str:
    head = ["corpus", "tool", "load s", "signatures s", "index/query s", "clustering s", "align s", "total s",
            "CPU s", "docs/s", "MB/s", "peak RSS MB", "pair P", "pair R", "pair F1",
            "cluster-pair P", "cluster-pair R", "cluster-pair F1", "ARI"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        for t in r["tools"]:
            m, sc = r["rows"][t], r["rows"][t].get("score", {})
            ph, total = m["phases"], m["total_s"]
            peak = (ph["external"]["peak_rss_mb"] if "external" in ph
                    else max(p.get("peak_rss_mb", 0) for p in ph.values()))
            wall = [m["stage_s"].get(p) if "stage_s" in m else ph.get(p, {}).get("wall_s")
                    for p in PHASES + OWN_PHASES]
            cells = [f"{r['label']} ({r['mb']:.0f} MB)", t] + [f(w) for w in wall] + [
                f(total), f(m["cpu_s"]), f"{m['n_docs'] / total:,.0f}", f(r["mb"] / total, "{:.1f}"), f"{peak:,.0f}"]
            cells += [f(sc.get(k), "{:.4f}") for k in ("pair_precision", "pair_recall", "pair_f1",
                                                       "cluster_pair_precision", "cluster_pair_recall",
                                                       "cluster_pair_f1", "ari")]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| corpus | fastest peer | ours s | peer / ours | floor-rs 1 thread s | "
              f"ours / (floor-rs / {threads}) | ours --threads 1 s (CPU s) | ours --threads {threads} s (CPU s) | "
              "speed-up | max RSS MB (time -v) | load avg before |", "|" + "---|" * 11]
    for r in results:
        ours = r["rows"]["ours"]["total_s"]
        peers = [(r["rows"][t]["total_s"], t) for t in r["tools"] if t != "ours"]
        best = min(peers) if peers else None
        fl = r["floor"]["parse_tokenize_hash_w5_s"]
        one, many = r["scaling"].get(1), r["scaling"].get(threads)
        lines.append("| " + " | ".join([
            r["label"], f"{best[1]} {best[0]:.2f} s" if best else "-", f(ours),
            f"{best[0] / ours:.1f} x" if best else "-", f(fl, "{:.3f}"),
            f"{ours / (fl / threads):.2f} x"] + ([
                f"{one['wall_s']:.2f} ({one['cpu_s']:.2f})", f"{many['wall_s']:.2f} ({many['cpu_s']:.2f})",
                f"{one['wall_s'] / many['wall_s']:.2f} x", f"{max(one['max_rss_mb'], many['max_rss_mb']):,.0f}"]
                if one and many else ["-"] * 4) + [
            f(r["load"])]) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,100k", help="comma list: 10k, 100k, 1m or a number of docs")
    ap.add_argument("--tools", default="gaoya-native,rensa-r,datasketch",
                    help="peers for run_peers.py (ours is always included)")
    ap.add_argument("--threads", type=int, default=2, help="threads for ours and workers for the peers")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per thread count for the scaling figures (0: skip them)")
    ap.add_argument("--ours-args", default="", metavar="FLAGS",
                    help="extra flags for wirecopy scan, e.g. --ours-args=--no-changes")
    ap.add_argument("--bench", default=os.path.join(os.path.dirname(REPO), "shared", "bench"),
                    help="the peer harness folder (default ../shared/bench)")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                    help="before each corpus, wait up to this long for the load average to drop below 0.5")
    ap.add_argument("--table-only", action="store_true",
                    help="print the table of the last run on each corpus without running anything")
    ap.add_argument("--skip-build", action="store_true", help="use target/release/wirecopy as it is")
    args = ap.parse_args()
    args.bench = os.path.abspath(args.bench)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    if args.table_only:
        print(table([saved(args, label) for label, _ in sizes], args.threads))
        return
    if not args.skip_build:
        run(["cargo", "build", "--release", "--quiet"], cwd=REPO)
    results = [compare(args, label, n) for label, n in sizes]
    print(table(results, args.threads))


if __name__ == "__main__":
    main()
