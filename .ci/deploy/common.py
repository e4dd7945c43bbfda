"""What the unit and image checks share: free loopback ports, the shipped
config with its ports moved to them, a stand-in for systemd's notify socket,
and small probes (is a UDP port bound, what does an HTTP path answer)."""

import os
import re
import socket
import struct
import sys
import time
import urllib.error
import urllib.request


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def ok(msg):
    print(f"ok: {msg}", flush=True)


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


LISTENER = re.compile(r"^(\s*- (?:netflow|nfl|ipfix|sflow)(?:\+\w+)*://):(\d+)\s*$", re.M)
HTTP = re.compile(r"^(\s*address:\s*):(\d+)\s*$", re.M)


def remap_config(text):
    """The config with every listener and the HTTP address on 127.0.0.1 and
    a free port. Returns (text, {original port: new port}, http port)."""
    moved = {}

    def listener(m):
        moved[int(m.group(2))] = free_port(socket.SOCK_DGRAM)
        return f"{m.group(1)}127.0.0.1:{moved[int(m.group(2))]}"

    text = LISTENER.sub(listener, text)
    http = free_port(socket.SOCK_STREAM)
    text, n = HTTP.subn(lambda m: f"{m.group(1)}127.0.0.1:{http}", text)
    if not moved or n != 1:
        fail("config/flowgate.yaml: expected listeners like '- netflow://:2055' and one "
             "'address: :8080'; teach .ci/deploy/common.py the new layout")
    return text, moved, http


class Notify:
    """The service manager's end of NOTIFY_SOCKET. SO_PASSCRED gives each
    message's sender, as systemd uses it for NotifyAccess=main."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        # The service runs as another user; systemd's socket is 0777 too.
        os.chmod(path, 0o777)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.seen = []

    def recv(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            return None
        pid = uid = None
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, uid, _ = struct.unpack("iII", cdata[:12])
        msg = (data.decode(errors="replace"), pid, uid)
        self.seen.append(msg)
        return msg

    def until(self, first_line, timeout, what=""):
        """Messages up to one whose first line is `first_line`."""
        deadline = time.monotonic() + timeout
        got = []
        while time.monotonic() < deadline:
            m = self.recv(max(0.01, deadline - time.monotonic()))
            if m is None:
                continue
            got.append(m)
            if m[0].split("\n", 1)[0] == first_line:
                return got
        fail(f"no {first_line} within {timeout}s {what}; got {got}")


def udp_bound(port):
    """True when some socket is bound to the UDP port (IPv4 or IPv6)."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local = row.split()[1]
            if int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def http_status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def netflow_v5(seq=1):
    """One NetFlow v5 datagram with one record (10.0.0.1 -> 192.0.2.1)."""
    header = struct.pack(">HHIIIIBBH", 5, 1, 1000, 1_700_000_000, 0, seq, 0, 0, 0)
    record = struct.pack(">4s4s4sHHIIIIHHBBBBHHBBH",
                         bytes([10, 0, 0, 1]), bytes([192, 0, 2, 1]), bytes(4),
                         1, 2, 3, 1500, 0, 0, 40000, 443, 0, 0, 6, 0, 0, 0, 24, 24, 0)
    return header + record


def wait_lines(path, needle, count, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if open(path, errors="replace").read().count(needle) >= count:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False
