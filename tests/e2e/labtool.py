"""Helpers for tests/e2e/lab.sh (standard library only): a TCP/UDP server for
pod 2, the client exchanges pod 1 runs against it, and a filler of non-IP
frames that makes softflowd's capture buffer deliver what it holds.

    labtool.py server SECONDS READY_FILE ADDR4 ADDR6                (in pod 2)
    labtool.py client ADDR4_SRC ADDR4_DST ADDR6_SRC ADDR6_DST       (in pod 1)
    labtool.py late   ADDR4_SRC ADDR4_DST ADDR6_SRC ADDR6_DST       (in pod 1)
    labtool.py fill   IFACE DST_MAC COUNT                           (host side)

The exchanges are fixed so that the flows they make are known in advance:
  client: one TCP exchange from port 40001 to 8080 and 3 UDP datagrams from
          port 40000 to 5353 (each echoed back), IPv4 then IPv6;
  late:   one UDP exchange from port 40002 to 5353, IPv4 then IPv6.
"""
import select, signal, socket, sys, time

signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))

TCP_PORT, UDP_PORT = 8080, 5353


def server(seconds, ready, addr4, addr6):
    """TCP 8080 (answer, then close) and UDP 5353 (echo), IPv4 and IPv6."""
    socks = []
    for fam, addr in ((socket.AF_INET, addr4), (socket.AF_INET6, addr6)):
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((addr, TCP_PORT))
        t.listen(4)
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((addr, UDP_PORT))
        socks += [t, u]
    open(ready, "w").close()
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], 0.5)
        for s in r:
            if s.type == socket.SOCK_DGRAM:
                data, peer = s.recvfrom(2048)
                s.sendto(b"echo " + data, peer)
            else:
                c, _ = s.accept()
                c.settimeout(3)
                data = c.recv(2048)
                c.sendall(b"flowgate pong: " + data)
                c.shutdown(socket.SHUT_WR)
                try:
                    while c.recv(2048):
                        pass
                except OSError:
                    pass
                c.close()


def pairs(src4, dst4, src6, dst6):
    return ((socket.AF_INET, src4, dst4), (socket.AF_INET6, src6, dst6))


def client(*addrs):
    """One TCP exchange from port 40001 and 3 UDP datagrams from port 40000, v4 then v6."""
    for fam, src, dst in pairs(*addrs):
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.settimeout(3)
        t.bind((src, 40001))
        t.connect((dst, TCP_PORT))
        t.sendall(b"hello flowgate over tcp\n")
        got = b""
        while True:
            d = t.recv(2048)
            if not d:
                break
            got += d
        t.close()
        print("tcp", dst, got.strip().decode(), file=sys.stderr)
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.settimeout(1)
        u.bind((src, 40000))
        for i in range(3):
            u.sendto(b"flowgate udp %d" % i, (dst, UDP_PORT))
            try:
                u.recvfrom(2048)
            except socket.timeout:
                print("udp reply lost", dst, i, file=sys.stderr)
                sys.exit(1)
            time.sleep(0.1)
        u.close()
        time.sleep(0.2)


def late(*addrs):
    """One UDP exchange from port 40002, IPv4 and IPv6."""
    for fam, src, dst in pairs(*addrs):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.settimeout(1)
        u.bind((src, 40002))
        u.sendto(b"flowgate late udp", (dst, UDP_PORT))
        try:
            u.recvfrom(2048)
        except socket.timeout:
            print("udp reply lost", dst, file=sys.stderr)
            sys.exit(1)
        u.close()


def fill(iface, dst_mac, count):
    """Send COUNT non-IP frames (EtherType 0x88b5, IEEE local experimental) out of IFACE.

    softflowd 1.1.0 opens its live capture with timeout 0; libpcap's TPACKET_V3 ring
    then hands packets over only when a whole block (256 KiB) is full, so light
    traffic is never processed. These frames fill the block. softflowd counts them
    as "non-IP" and makes no flow of them; the pod's kernel drops them; Open vSwitch
    only reads frames arriving from the pod, so it never sees them."""
    dst = bytes.fromhex(dst_mac.replace(":", ""))
    src = bytes.fromhex("0299000000fe")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    frame = dst + src + b"\x88\xb5" + b"flowgate lab filler ".ljust(186, b".")
    for _ in range(int(count)):
        s.send(frame)
    s.close()


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "server":
        server(*args)
    elif cmd == "client":
        client(*args)
    elif cmd == "late":
        late(*args)
    elif cmd == "fill":
        fill(*args)
    else:
        sys.exit("labtool.py: unknown command %r" % cmd)
