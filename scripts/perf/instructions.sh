#!/usr/bin/env bash
# Instructions per record, counted by callgrind: the harness's own packet
# files (v5, IPFIX, sFlow) as pcaps, decoded and rendered as JSON lines by
# `flowgate decode` for each binary given. The count does not drift with
# the shared machine's load the way times do, so it shows what a renderer
# or decoder change saves; the end-to-end rate still needs compare.sh.
#
#   scripts/perf/instructions.sh OLD_BINARY NEW_BINARY ...
#
# Environment: PERF_DIR, PERF_BUILD (as for compare.sh; the packet files
# are made there when missing). Needs valgrind (Debian package).
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,12p "$0"; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PERF_DIR=${PERF_DIR:-$ROOT/../shared/perf}
PERF_BUILD=${PERF_BUILD:-$ROOT/target/perf/build}
packets=$PERF_BUILD/packets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for p in v5 ipfix sflow; do
  if [ ! -f "$packets/$p.bin" ]; then
    mkdir -p "$packets"
    python3 "$PERF_DIR/gen_packets.py" "$p" "$packets/$p.bin" >/dev/null 2>&1
  fi
done
# 2000 datagrams each: 60000 v5 records, ~40000 IPFIX, 12000 sFlow samples.
python3 "$ROOT/scripts/perf/bin2pcap.py" "$packets/v5.bin" "$work/v5.pcap" 2000 2055
python3 "$ROOT/scripts/perf/bin2pcap.py" "$packets/ipfix.bin" "$work/ipfix.pcap" 2000 4739
python3 "$ROOT/scripts/perf/bin2pcap.py" "$packets/sflow.bin" "$work/sflow.pcap" 2000 6343
printf '%-40s %6s %8s %14s %10s\n' binary proto records instructions "per record"
for bin in "$@"; do
  for p in v5 ipfix sflow; do
    records=$("$bin" decode "$work/$p.pcap" | wc -l)
    valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$bin" decode "$work/$p.pcap" >/dev/null 2>"$work/err"
    ir=$(callgrind_annotate "$work/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    printf '%-40s %6s %8d %14d %10.0f\n' "$bin" "$p" "$records" "$ir" "$(awk -v a="$ir" -v b="$records" 'BEGIN { print a / b }')"
  done
done
