#!/usr/bin/env bash
# End-to-end load benchmark: flowgate against the peers, same sender, same
# packets, same run (../shared/perf's blaster and stepping driver), then the
# ratio table (scripts/perf/table.py). docs/performance.md has the latest
# table and how to read it.
#
#   scripts/perf/compare.sh                      # flowgate (prometheus, json) + nfcapd, nfacctd, sfacctd
#   scripts/perf/compare.sh --quick              # 5 s steps, fewer rates
#   scripts/perf/compare.sh --variants prom --peers nfcapd --protos v5
#   GOFLOW2_BIN=/path/to/goflow2 scripts/perf/compare.sh --peers goflow2,goflow2-json
#   KAFKA_BROKERS=127.0.0.1:9092 scripts/perf/compare.sh --variants kafka --protos v5
#   scripts/perf/compare.sh --ports 8 --workers 2 # eight exporters (source ports), for everyone
#
# Environment: PERF_DIR (the harness; default ../shared/perf), PERF_BUILD
# (its build outputs; default target/perf/build), FLOWGATE_BIN (default
# target/release/flowgate, built when missing). Needs root for the
# harness's rmem sysctls; peers come from Debian (apt-get install pmacct nfdump).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PERF_DIR=${PERF_DIR:-$ROOT/../shared/perf}
export PERF_BUILD=${PERF_BUILD:-$ROOT/target/perf/build}
FLOWGATE_BIN=${FLOWGATE_BIN:-$ROOT/target/release/flowgate}

variants="prom,json" peers="nfcapd,nfacctd,sfacctd" protos="v5,ipfix,sflow"
duration=10 rates="" workers=1 out="" repeat=1 ports=1
while [ $# -gt 0 ]; do
  case "$1" in
    --variants) variants=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --protos) protos=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --quick) duration=5; shift ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -d "$PERF_DIR" ] || { echo "no load harness at $PERF_DIR: set PERF_DIR" >&2; exit 2; }
[ -x "$FLOWGATE_BIN" ] || cargo build --release
out=${out:-$ROOT/target/perf/results-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
work=/dev/shm/flowgate-perf
# File-writing peers (nfcapd) stay off the disk, as the harness advises.
mkdir -p "$work"

has() { case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }
only() { # protos of $1 that the collector takes ($2, comma list)
  local p r=""
  for p in ${1//,/ }; do has "$2" "$p" && r="$r${r:+,}$p"; done
  echo "$r"
}
run() { # name, protos, harness options...
  local name=$1 ps=$2; shift 2
  [ -n "$ps" ] || return 0
  echo "== $name: $ps" >&2
  local extra=()
  [ -n "$rates" ] && extra+=(--rates "$rates")
  [ "$ports" -gt 1 ] && extra+=(--bin "$out/bin")
  "$PERF_DIR/run.sh" --out "$out" --workdir "$work" --duration "$duration" --repeat "$repeat" \
    --protos "$ps" "${extra[@]}" "$@" >&2
}

if [ "$ports" -gt 1 ]; then
  # The same sender for every collector, from $ports source ports (as many
  # exporters), so that SO_REUSEPORT workers can share the load.
  mkdir -p "$out/bin"
  printf '#!/bin/sh\nexec "%s/blaster" "$@" -P %s\n' "$PERF_BUILD" "$ports" > "$out/bin/blaster"
  chmod +x "$out/bin/blaster"
  ln -sf "$PERF_BUILD/udpsink" "$out/bin/udpsink"
fi
cat > "$out/prom.yaml" <<YAML
state: {dir: null}
log: {level: warn}
sinks: [{type: prometheus}]
YAML
cat > "$out/json.yaml" <<YAML
state: {dir: null}
log: {level: warn}
sinks: [{type: stdout, path: /dev/null}]
YAML
cat > "$out/kafka.yaml" <<YAML
state: {dir: null}
log: {level: warn}
sinks:
  - {type: kafka, brokers: '${KAFKA_BROKERS:-127.0.0.1:9092}', topic: ${KAFKA_TOPIC:-flowgate-bench}, format: protobuf,
     compression: lz4, records_per_message: 64, key_fields: []}
YAML

fg() { # variant, sink name
  echo "$FLOWGATE_BIN run -c $out/$1.yaml --listen {scheme}://127.0.0.1:{port} --http 127.0.0.1:{mport} --workers $workers --receive-buffer 8MiB"
}
count() { echo "prom:http://127.0.0.1:{mport}/metrics ^flowgate_sink_records_total\\{sink=\"$1\",outcome=\"sent\""; }

for v in ${variants//,/ }; do
  case $v in
    prom) run flowgate-prom "$protos" --name flowgate-prom --cmd "$(fg prom)" --count "$(count prometheus)" ;;
    json) run flowgate-json "$protos" --name flowgate-json --cmd "$(fg json)" --count "$(count stdout)" ;;
    # records_per_message 64, lz4: docs/performance.md#kafka
    kafka) run flowgate-kafka "$protos" --name flowgate-kafka --cmd "$(fg kafka)" --count "$(count kafka)" ;;
    *) echo "unknown variant $v (prom, json, kafka)" >&2; exit 2 ;;
  esac
done
# goflow2's decoded records of any protocol (one protocol runs at a time).
goflow2_count='prom:http://127.0.0.1:{mport}/metrics ^goflow2_flow_process_(nf_flowset_records_total\{.*type="DataFlowSet".*version="10"|nf_flowset_total\{.*version="5"|sf_samples_total\{.*type="FlowSample")'
for p in ${peers//,/ }; do
  case $p in
    nfcapd|nfacctd) command -v "$p" >/dev/null && run "$p" "$(only "$protos" v5,ipfix,v9)" --peer "$p" ;;
    sfacctd) command -v sfacctd >/dev/null && run sfacctd "$(only "$protos" sflow)" --peer sfacctd ;;
    goflow2) [ -n "${GOFLOW2_BIN:-}" ] && run goflow2 "$protos" --peer goflow2 ;;
    # The harness runs goflow2 with its protobuf format; this is goflow2
    # writing JSON lines, the like of flowgate-json.
    goflow2-json) [ -n "${GOFLOW2_BIN:-}" ] && run goflow2-json "$protos" --name goflow2-json \
      --cmd "$GOFLOW2_BIN -listen '{scheme}://127.0.0.1:{port}' -addr 127.0.0.1:{mport} -format json -transport file -transport.file /dev/null" \
      --count "$goflow2_count" ;;
    none) ;;
    *) echo "unknown peer $p" >&2; exit 2 ;;
  esac || echo "peer $p not installed: skipped" >&2
done
python3 "$ROOT/scripts/perf/table.py" "$out/ladders.jsonl" "$out/steps.jsonl" | tee "$out/table.md"
echo "results: $out" >&2
