#!/usr/bin/env bash
# Runs the README's first command (`cargo run --release`, the collector on its
# embedded defaults), replays a real Open vSwitch NetFlow v5 capture to its
# default port 2056 and checks the flows reach stdout and /metrics, then stops
# it with SIGTERM and checks it exits cleanly. Loopback only, bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp) err=$(mktemp)
scripts/build-deps.sh
cargo build --release -q
cargo run --release -q > "$out" 2> "$err" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; rm -f "$out" "$err"; }
trap cleanup EXIT
ready=
# Generous: on a loaded 2-core machine start-up can take seconds.
for _ in $(seq 1 600); do
  if "${CARGO_TARGET_DIR:-target}/release/flowgate" healthcheck --http 127.0.0.1:8080 >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || { echo "collector exited early"; cat "$err"; exit 1; }
  sleep 0.1
done
[ -n "$ready" ] || { echo "collector did not become ready"; cat "$err"; exit 1; }
python3 - tests/data/ovs-netflow5.pcap <<'PY'
import socket, struct, sys
data = open(sys.argv[1], "rb").read()
endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
off, sent = 24, 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while off + 16 <= len(data):
    incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    ip = frame[14:]
    udp = ip[(ip[0] & 15) * 4:]
    s.sendto(udp[8:], ("127.0.0.1", 2056))
    sent += 1
print(f"sent {sent} datagrams to 127.0.0.1:2056")
PY
for _ in $(seq 1 300); do
  [ "$(grep -c '"type":"NETFLOW_V5"' "$out" || true)" -ge 10 ] && break
  sleep 0.1
done
metrics=$(python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8080/metrics", timeout=5).read().decode())')
kill -TERM "$pid"
wait "$pid"
lines=$(grep -c '"type":"NETFLOW_V5"' "$out" || true)
echo "collector printed $lines NetFlow v5 flows"
[ "$lines" -eq 10 ] || { echo "expected the capture's 10 flows"; head -3 "$out"; tail -20 "$err"; exit 1; }
echo "$metrics" | grep -E '^flowgate_records_total\{.*netflow_v5.*\} 10$' \
  || { echo "/metrics does not count the 10 records:"; echo "$metrics" | grep records_total; exit 1; }
echo "smoke run ok"
