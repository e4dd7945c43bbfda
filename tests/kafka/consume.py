"""Reads back what flowgate's Kafka sink produced, with a client that shares
no code with it: kafka-python for the protocol, Google's protobuf runtime
with proto/flow.proto compiled by grpcio-tools for the payload, and the
message-key hash re-implemented from its description in docs/server.md.

    consume.py read BROKERS TOPIC json|protobuf SINCE_NS COUNT TIMEOUT_S
        reads the topic from its start until COUNT such messages came and
        then a second passed without more; for each message whose record was
        received at SINCE_NS or later (so earlier runs' messages are
        skipped), one JSON line per record: partition, offset,
        key (hex), the key docs/server.md says it should have (hex), how
        many records the message held (records_per_message), and
        the record rendered as flowgate's own JSON line renders it, so the
        two compare with ==.

tansu's end offsets are not usable to skip earlier runs: with compressed
batches they lag behind the messages really there.

Run by tests/sink_kafka.rs with the venv .ci/kafka.sh makes.
"""

import ipaddress
import json
import os
import sys
import tempfile
import time

from kafka import KafkaConsumer, TopicPartition

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Goflow2's address fields render "" when unset; flowgate's own are left out.
ADDRESSES = {"sampler_address", "src_addr", "dst_addr", "next_hop", "bgp_next_hop"}
OWN_ADDRESSES = {"tunnel_src_addr", "tunnel_dst_addr"}
KEY_FIELDS = ["sampler_address", "src_addr", "dst_addr", "proto", "src_port", "dst_port"]


def flow_pb2():
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="flowgate-pb-")
    proto_dir = os.path.join(ROOT, "proto")
    rc = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out}",
                      os.path.join(proto_dir, "flow.proto")])
    if rc != 0:
        sys.exit(f"protoc failed on proto/flow.proto ({rc})")
    sys.path.insert(0, out)
    import flow_pb2 as pb

    return pb


def ip(b):
    return str(ipaddress.ip_address(bytes(b))) if b else ""


def mac(v):
    return ":".join(f"{(v >> (8 * i)) & 0xFF:02x}" for i in range(5, -1, -1))


def net(addr, length):
    if not addr:
        return ""
    return str(ipaddress.ip_network((ipaddress.ip_address(bytes(addr)), length), strict=False))


def as_json(m):
    """A FlowMessage as flowgate's JSON line (docs/record.md) renders the record."""
    out = {}
    for f in m.DESCRIPTOR.fields:
        name, v = f.name, getattr(m, f.name)
        # protobuf 7's upb descriptors have is_repeated; older ones only label.
        repeated = f.is_repeated if hasattr(f, "is_repeated") else f.label == f.LABEL_REPEATED
        if f.number < 1000:  # goflow2's fields: always present
            if name == "type":
                out[name] = m.FlowType.Name(v)
            elif name in ADDRESSES:
                out[name] = ip(v)
            elif name in ("src_mac", "dst_mac"):
                out[name] = mac(v)
            elif name == "src_net":
                out[name] = net(m.src_addr, v)
            elif name == "dst_net":
                out[name] = net(m.dst_addr, v)
            else:
                out[name] = list(v) if repeated else v
        elif name == "extra":
            if v:
                out[name] = [{"pen": e.pen, "id": e.id, "value": e.value.hex()} for e in v]
        elif f.message_type is not None:  # map<string,string>
            if v:
                out[name] = dict(v)
        elif f.has_presence:
            if m.HasField(name):
                out[name] = v
        elif name in OWN_ADDRESSES:
            if v:
                out[name] = ip(v)
        elif f.type == f.TYPE_BYTES:
            if v:
                out[name] = bytes(v).hex()
        elif v:  # strings and sampler_port: left out when empty / 0
            out[name] = v
    return out


def canonical(rec, field):
    """docs/server.md: the bytes one key field contributes to the hash."""
    v = rec.get(field)
    if v is None or v == "":
        return b"\x00"
    if field in ADDRESSES or field in OWN_ADDRESSES:
        a = ipaddress.ip_address(v)
        raw = a.packed if a.version == 6 else b"\x00" * 10 + b"\xff\xff" + a.packed
        return b"\x02" + raw
    if isinstance(v, int):
        return b"\x01" + v.to_bytes(8, "big")
    s = str(v).encode()
    return b"\x03" + len(s).to_bytes(4, "big") + s


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def expected_key(rec):
    data = b"".join(canonical(rec, f) for f in KEY_FIELDS)
    return fnv1a64(data).to_bytes(8, "big").hex()


def varint(buf):
    value, shift, i = 0, 0, 0
    while True:
        b = buf[i]
        value |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            return value, i
        shift += 7


def consumer(brokers, topic):
    c = KafkaConsumer(bootstrap_servers=brokers, enable_auto_commit=False, group_id=None)
    # assign(), not subscribe(): tansu's consumer groups take ~23 s to settle.
    parts = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or [])]
    if not parts:
        sys.exit(f"topic {topic} does not exist on {brokers}")
    c.assign(parts)
    return c, parts


def read(brokers, topic, fmt, since, count, timeout):
    pb = flow_pb2() if fmt == "protobuf" else None
    c, parts = consumer(brokers, topic)
    c.seek_to_beginning(*parts)
    seen, deadline, settled = 0, time.time() + float(timeout), False
    while time.time() < deadline and not settled:
        # Once COUNT are in, one more quiet second shows there are no more
        # (a duplicate would make the caller's count wrong).
        settled = seen >= int(count)
        for tp, msgs in c.poll(timeout_ms=1000 if settled else 500).items():
            for msg in msgs:
                for rec, packed in records(msg, pb, tp):
                    if rec.get("time_received_ns", 0) < int(since):
                        continue
                    line = {"partition": tp.partition, "offset": msg.offset,
                            "key": msg.key.hex() if msg.key else None,
                            "key_expected": expected_key(rec), "packed": packed,
                            "record": rec}
                    print(json.dumps(line), flush=True)
                    seen += 1
                    settled = False


def records(msg, pb, tp):
    """The records of one message (several with records_per_message > 1:
    delimited protobuf messages back to back, or JSON lines), each with how
    many the message held."""
    out = []
    if pb is not None:
        buf, at = msg.value, 0
        while at < len(buf):
            n, i = varint(buf[at:])
            if at + i + n > len(buf):
                sys.exit(f"message {tp.partition}/{msg.offset}: length prefix {n} at {at}, "
                         f"{len(buf) - at - i} bytes follow")
            m = pb.FlowMessage()
            m.ParseFromString(buf[at + i:at + i + n])
            out.append(as_json(m))
            at += i + n
    else:
        out = [json.loads(line) for line in msg.value.decode().split("\n") if line]
    return [(r, len(out)) for r in out]


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "read":
        read(*sys.argv[2:8])
    else:
        sys.exit(__doc__)
