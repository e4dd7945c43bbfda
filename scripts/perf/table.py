#!/usr/bin/env python3
"""Ratio table of one benchmark run (scripts/perf/compare.sh).

    table.py LADDERS.jsonl [STEPS.jsonl]

For every protocol: each collector's highest lossless rate (median over
repeats), its CPU at that rate (100 % = one core), CPU seconds per million
records, RSS at the end of that step, and the ratio to the baseline peer
measured in the same run (nfcapd for NetFlow/IPFIX, sfacctd for sFlow; and
goflow2 when it ran), with the issue's targets checked. JSON lines are held
to 10x goflow2 (the harness runs it with its binary format) where it ran,
else to nfcapd; goflow2-json (goflow2 writing JSON) is shown beside it.
"""
import json
import statistics
import sys
from collections import defaultdict

BASE = {"v5": "nfcapd", "ipfix": "nfcapd", "v9": "nfcapd", "sflow": "sfacctd"}
# (collector, proto) -> (baseline, factor): the targets of docs/performance.md
TARGETS = {
    ("flowgate-prom", "v5"): ("nfcapd", 1.5), ("flowgate-prom", "ipfix"): ("nfcapd", 1.5),
    ("flowgate-prom", "sflow"): ("sfacctd", 2.0),
    ("flowgate-json", "v5"): ("nfcapd", 1.0), ("flowgate-json", "ipfix"): ("nfcapd", 1.0),
}
GOFLOW2_FACTOR = 10.0  # JSON lines vs goflow2, where goflow2 ran
RSS_BOUND_MB = 64


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def fmt(x):
    if x is None:
        return "-"
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f} k"


def main():
    ladders = load(sys.argv[1])
    best = defaultdict(list)
    for lad in ladders:
        lp = lad.get("last_pass")
        best[(lad["collector"], lad["proto"])].append(lp)
    rows = {}
    for key, passes in best.items():
        ok = [p for p in passes if p]
        if not ok:
            rows[key] = None
            continue
        rate = statistics.median(p["target"] for p in ok)
        at = min(ok, key=lambda p: abs(p["target"] - rate))
        cpu = at["cpu_pct"] / 100
        rows[key] = dict(rate=rate, cpu=at["cpu_pct"], cpu_per_m=cpu / (rate / 1e6), rss=at["rss_mb"])
    protos = sorted({p for _, p in rows}, key=["v5", "ipfix", "v9", "sflow"].index)
    out = ["| proto | collector | max lossless (records/s) | CPU % | CPU s per M records | RSS MB | ratio to baseline | target |",
           "|---|---|---|---|---|---|---|---|"]
    for proto in protos:
        names = sorted((c for c, p in rows if p == proto), key=lambda c: (not c.startswith("flowgate"), c))
        for c in names:
            r = rows[(c, proto)]
            if r is None:
                out.append(f"| {proto} | {c} | no passing step | | | | | |")
                continue
            base = rows.get((BASE.get(proto), proto))
            ratio = f"{r['rate'] / base['rate']:.2f}× {BASE[proto]}" if base and c != BASE[proto] else "-"
            target = []
            t = TARGETS.get((c, proto))
            g = rows.get(("goflow2", proto))
            if c == "flowgate-json" and g:
                t = None  # the JSON target is against goflow2 where it ran
            if t and rows.get((t[0], proto)):
                b = rows[(t[0], proto)]
                met = r["rate"] >= t[1] * b["rate"]
                target.append(f"≥ {t[1]:g}× {t[0]}: {'met' if met else 'NOT met'}")
            if c == "flowgate-json" and g:
                met = r["rate"] >= GOFLOW2_FACTOR * g["rate"]
                target.append(f"≥ {GOFLOW2_FACTOR:g}× goflow2 ({r['rate'] / g['rate']:.1f}×): {'met' if met else 'NOT met'}")
            gj = rows.get(("goflow2-json", proto))
            if c == "flowgate-json" and gj:
                target.append(f"{r['rate'] / gj['rate']:.0f}× goflow2-json")
            if c == "flowgate-prom" and base:
                met = r["cpu_per_m"] <= base["cpu_per_m"]
                target.append(f"CPU/M ≤ {BASE[proto]}: {'met' if met else 'NOT met'}")
            if c.startswith("flowgate"):
                target.append(f"RSS ≤ {RSS_BOUND_MB} MB: {'met' if r['rss'] <= RSS_BOUND_MB else 'NOT met'}")
            out.append(f"| {proto} | {c} | {fmt(r['rate'])} | {r['cpu']:.0f} | {r['cpu_per_m']:.3f} | "
                       f"{r['rss']:.0f} | {ratio} | {'; '.join(target)} |")
    print("\n".join(out))
    if len(sys.argv) > 2:
        steps = load(sys.argv[2])
        busy = [s.get("host_busy_pct") for s in steps if s.get("host_busy_pct") is not None]
        load_avg = [s.get("loadavg") for s in steps if s.get("loadavg") is not None]
        if busy:
            print(f"\n{len(steps)} steps; host busy {min(busy):.0f}-{max(busy):.0f} %, "
                  f"load average {min(load_avg):.1f}-{max(load_avg):.1f} during the run.")


if __name__ == "__main__":
    main()
