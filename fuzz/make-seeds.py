#!/usr/bin/env python3
"""Writes fuzz seeds: the UDP payloads of real captures, grouped per target.

Usage: fuzz/make-seeds.py [CAPTURE_DIR ...]   (default: tests/data ../shared/corpus)
Each seed joins the datagrams of one exporter (up to 8) with the split marker
the decoder targets use, so templates and their data stay together.
"""
import os
import struct
import sys

SPLIT = b"\xf1\x0f\x77\x9a"
HERE = os.path.dirname(os.path.abspath(__file__))


def classic_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if endian is None:
        return
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        udp = udp_payload(frame, linktype)
        if udp:
            yield udp


def udp_payload(frame, linktype):
    if linktype == 1:
        etype, p = struct.unpack(">H", frame[12:14])[0], 14
        while etype in (0x8100, 0x88A8) and len(frame) >= p + 4:
            etype, p = struct.unpack(">H", frame[p + 2:p + 4])[0], p + 4
    elif linktype == 113:
        etype, p = struct.unpack(">H", frame[14:16])[0], 16
    elif linktype in (101, 228, 229):
        etype, p = (0x86DD if frame[:1] and frame[0] >> 4 == 6 else 0x800), 0
    else:
        return None
    ip = frame[p:]
    if etype == 0x800 and len(ip) >= 20 and ip[9] == 17:
        src, l4 = ip[12:16], ip[(ip[0] & 15) * 4:]
    elif etype == 0x86DD and len(ip) >= 40 and ip[6] == 17:
        src, l4 = ip[8:24], ip[40:]
    else:
        return None
    return (src, l4[:2]), l4[8:]


def main():
    dirs = sys.argv[1:] or [os.path.join(HERE, "..", "tests", "data"), os.path.join(HERE, "..", "..", "shared", "corpus")]
    for target in ("netflow_v5", "netflow_v9", "ipfix", "sflow", "pcap"):
        os.makedirs(os.path.join(HERE, "seeds", target), exist_ok=True)
    n = 0
    for d in dirs:
        for root, _, files in os.walk(d):
            for name in sorted(files):
                if not name.endswith(".pcap"):
                    continue
                path = os.path.join(root, name)
                stem = name[:-5]
                with open(path, "rb") as f:
                    head = f.read(1 << 16)
                with open(os.path.join(HERE, "seeds", "pcap", stem), "wb") as f:
                    f.write(head)
                per_exporter = {}
                for exporter, payload in classic_pcap(path):
                    per_exporter.setdefault(exporter, []).append(payload)
                for i, payloads in enumerate(per_exporter.values()):
                    first = payloads[0]
                    version = struct.unpack(">H", first[:2])[0] if len(first) >= 2 else 0
                    word0 = struct.unpack(">I", first[:4])[0] if len(first) >= 4 else 0
                    target = "sflow" if word0 == 5 else {5: "netflow_v5", 9: "netflow_v9", 10: "ipfix"}.get(version)
                    if target is None:
                        continue
                    with open(os.path.join(HERE, "seeds", target, f"{stem}-{i}"), "wb") as f:
                        f.write(SPLIT.join(payloads[:8]))
                    n += 1
    print(f"wrote {n} decoder seeds under {os.path.join(HERE, 'seeds')}")


if __name__ == "__main__":
    main()
