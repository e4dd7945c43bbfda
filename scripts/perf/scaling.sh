#!/usr/bin/env bash
# Receive workers 1..N: the highest lossless rate of flowgate (Prometheus
# sink) with --workers 1, 2, ... on the same harness as compare.sh, the
# sender spread over 8 source ports so that SO_REUSEPORT can spread the
# load (one exporter address+port always lands on one worker, which keeps
# its templates in one place). docs/performance.md#scaling.
#
#   scripts/perf/scaling.sh [--workers 1,2] [--protos v5,ipfix,sflow] [--quick] [--rates R1,R2,...]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PERF_DIR=${PERF_DIR:-$ROOT/../shared/perf}
export PERF_BUILD=${PERF_BUILD:-$ROOT/target/perf/build}
FLOWGATE_BIN=${FLOWGATE_BIN:-$ROOT/target/release/flowgate}
workers=1,2 protos=v5,ipfix,sflow duration=10 ports=8 rates=""
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --protos) protos=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    --quick) duration=5; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$FLOWGATE_BIN" ] || cargo build --release
out=$ROOT/target/perf/scaling-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out/bin"
"$PERF_DIR/run.sh" --gen-only >/dev/null
# The harness runs {bin}/blaster; this one adds the source ports.
cat > "$out/bin/blaster" <<SH
#!/bin/sh
exec "$PERF_BUILD/blaster" "\$@" -P $ports
SH
chmod +x "$out/bin/blaster"
printf 'state: {dir: null}\nlog: {level: warn}\nsinks: [{type: prometheus}]\n' > "$out/prom.yaml"
for w in ${workers//,/ }; do
  setsid -w python3 "$PERF_DIR/perfrun.py" --bin "$out/bin" --packets "$PERF_BUILD/packets" --out "$out" \
    --duration "$duration" --protos "$protos" --name "flowgate-w$w" ${rates:+--rates "$rates"} \
    --cmd "$FLOWGATE_BIN run -c $out/prom.yaml --listen {scheme}://127.0.0.1:{port} --http 127.0.0.1:{mport} --workers $w --receive-buffer 8MiB" \
    --count 'prom:http://127.0.0.1:{mport}/metrics ^flowgate_sink_records_total\{sink="prometheus",outcome="sent"' >&2
done
python3 - "$out/ladders.jsonl" <<'PY' | tee "$out/table.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
best = {}
for r in rows:
    lp = r.get("last_pass")
    best[(r["collector"], r["proto"])] = lp
print("| proto | workers | max lossless (records/s) | CPU % | ratio to 1 worker |")
print("|---|---|---|---|---|")
for (c, p), lp in sorted(best.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    one = best.get(("flowgate-w1", p))
    rate = lp["target"] if lp else None
    ratio = f"{rate / one['target']:.2f}×" if lp and one else "-"
    print(f"| {p} | {c[len('flowgate-w'):]} | {rate / 1e6 if rate else 0:.2f} M | {lp['cpu_pct'] if lp else '-'} | {ratio} |")
PY
echo "results: $out" >&2
