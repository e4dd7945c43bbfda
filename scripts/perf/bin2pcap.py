#!/usr/bin/env python3
"""bin2pcap.py IN.bin OUT.pcap N DPORT: the first N datagrams of one of the
load harness's packet files (its format: ../shared/perf/gen_packets.py) as a
classic pcap of Ethernet/IPv4/UDP frames to DPORT, one millisecond apart,
for `flowgate decode`."""
import struct
import sys


def checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main():
    src, dst, n, dport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(src, "rb") as f, open(dst, "wb") as o:
        if f.read(8) != b"UDPBLST1":
            sys.exit(f"{src}: not a harness packet file")
        count, _ = struct.unpack("<II", f.read(8))
        o.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(min(n, count)):
            length, _, _, _, _, _ = struct.unpack("<HHBBHI", f.read(12))
            payload = f.read(length)
            udp = struct.pack("!HHHH", 40000, dport, 8 + length, 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            frame = bytes(6) + b"\x00\x00\x00\x00\x00\x01\x08\x00" + ip + udp
            o.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(frame), len(frame)))
            o.write(frame)


if __name__ == "__main__":
    main()
