#!/usr/bin/env bash
# make-captures.sh -- regenerate flowgate's exporter test captures from real exporters.
#
# Usage (as root, Debian 12):  tests/data/make-captures.sh [OUTDIR]     (default: tests/data)
# Needs: openvswitch-switch (3.1), softflowd (1.1.0), tcpdump, iproute2, ethtool,
#        iputils-ping, python3.   Run time: about 40 s.
#
# What it does (see tests/data/README.md for the results):
#  * the lab of tests/e2e/lab.sh, named "fg": two network-namespace "pods" fg-p1 (10.99.0.1/24,
#    fd99::1/64, 02:99:00:00:00:01) and fg-p2 (10.99.0.2/24, fd99::2/64, 02:99:00:00:00:02),
#    attached through veths fg-v1/fg-v2 (OpenFlow ports 1/2) to an Open vSwitch userspace bridge
#    fg-br0 (datapath_type=netdev, ovsdb-server + ovs-vswitchd run from a temp dir, no systemd,
#    no kernel module);
#  * NetFlow v5 -> 127.0.0.1:2056, IPFIX -> 127.0.0.1:4739, sFlow -> 127.0.0.1:6343 on the bridge,
#    captured on lo (a python listener keeps the ports open so OVS never sees ICMP unreachable);
#  * bounded pod traffic (lab.sh traffic: ping -c 3 both ways v4+v6, one TCP exchange v4+v6,
#    3 UDP datagrams v4+v6 from port 40000 to 5353, echoed back; after the first NetFlow export,
#    lab.sh traffic late: one more UDP exchange v4+v6 from port 40002), captured on fg-v1 as
#    pod-traffic.pcap;
#  * softflowd -r pod-traffic.pcap exporting v5, v9, IPFIX and IPFIX biflow to 127.0.0.1.
# Network rule: packets only on loopback and inside the namespaces created here.
# Everything it creates (namespaces, veths, bridge, daemons, temp dir) is removed on exit.
# It cannot run while tests/e2e_exporters.rs runs (both need Open vSwitch's one "ovs-netdev" tap).
set -euo pipefail

OUT=${1:-tests/data}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2e" && pwd)/lab.sh

[ "$(id -u)" = 0 ] || { echo "make-captures.sh: must run as root" >&2; exit 1; }
for c in ovsdb-server ovs-vswitchd ovs-vsctl ovs-appctl ovsdb-tool softflowd tcpdump ip ethtool ping python3 timeout; do
    command -v "$c" >/dev/null || { echo "make-captures.sh: missing $c (apt-get install -y openvswitch-switch softflowd tcpdump iproute2 ethtool iputils-ping python3)" >&2; exit 1; }
done

HV1=fg-v1
NF_PORT=2056 IPFIX_PORT=4739 SFLOW_PORT=6343 SF_NF_PORT=2055 SF_IPFIX_PORT=4739

TMP=$(mktemp -d /tmp/fg-captures.XXXXXX)
# The lab: names fg-*, its state (OVS database, sockets, pid files) under $TMP/lab.
export FG_LAB_NAME=fg FG_LAB_DIR=$TMP/lab FG_LAB_LIFETIME=300 FG_LAB_SETTLE=2
PIDS=()          # pids of helper processes started here (tcpdump, listeners)

log() { printf '[make-captures %(%T)T] %s\n' -1 "$*" >&2; }
lab() { bash "$LAB" "$@"; }

stop_pid() {     # stop_pid PID [SIGNAL]: signal one pid we started, wait up to 5 s, then KILL it
    local pid=$1 sig=${2:-TERM} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    set +e
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    lab down 2>/dev/null
    rm -rf "$TMP"
    [ $rc = 0 ] || log "FAILED (exit $rc); everything created was removed"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- python helpers
cat >"$TMP/fgtool.py" <<'PY'
"""Helpers for make-captures.sh: UDP sinks and a capture summary (the pod traffic is tests/e2e/lab.sh's)."""
import os, select, signal, socket, struct, sys, time

signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))

def listen(seconds, ports):
    """Keep UDP ports on 127.0.0.1 open (read and drop) for at most `seconds`."""
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("127.0.0.1", int(p)))
        socks.append(s)
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], 0.5)
        for s in r:
            s.recv(65535)

# ------------------------------------------------------------------ summary
def pcap_udp(path):
    """Yield (dport, payload) for UDP/IPv4 packets in a classic pcap (Ethernet or raw IP)."""
    with open(path, "rb") as f:
        b = f.read()
    magic = b[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(e + "I", b[20:24])[0]
    off = 24
    while off + 16 <= len(b):
        _, _, incl, _ = struct.unpack(e + "IIII", b[off:off + 16])
        pkt = b[off + 16: off + 16 + incl]
        off += 16 + incl
        if link == 1:
            if struct.unpack("!H", pkt[12:14])[0] != 0x0800:
                continue
            ip = pkt[14:]
        else:
            ip = pkt
        if ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        yield struct.unpack("!H", udp[2:4])[0], udp[8:struct.unpack("!H", udp[4:6])[0]]

def ipstr(v):
    return socket.inet_ntop(socket.AF_INET if len(v) == 4 else socket.AF_INET6, v)

def flowkey(rec):
    """rec: dict IE->bytes. Returns a printable flow key or None."""
    src = rec.get(8) or rec.get(27); dst = rec.get(12) or rec.get(28)
    if src is None:
        if 256 not in rec:
            return None
        mac = lambda v: ":".join("%02x" % x for x in v) if v else "?"
        return "l2 ethertype 0x%04x %s -> %s" % (int.from_bytes(rec[256], "big"), mac(rec.get(56)), mac(rec.get(80)))
    proto = rec.get(4, b"\0")[0]
    sp = int.from_bytes(rec.get(7, b""), "big") if 7 in rec else None
    dp = int.from_bytes(rec.get(11, b""), "big") if 11 in rec else None
    icmp = rec.get(32) or rec.get(139)
    if proto in (1, 58):
        t = rec.get(176) or rec.get(178)
        c = rec.get(177) or rec.get(179)
        if t is not None:
            tc = "type %d code %d" % (t[0], c[0] if c else 0)
        elif icmp is not None:
            v = int.from_bytes(icmp, "big"); tc = "type %d code %d" % (v >> 8, v & 255)
        else:
            tc = "icmp"
        return "%s %s -> %s %s" % ({1: "icmp", 58: "icmp6"}[proto], ipstr(src), ipstr(dst), tc)
    name = {6: "tcp", 17: "udp"}.get(proto, "proto%d" % proto)
    fmt = "[%s]:%s" if len(src) == 16 else "%s:%s"
    return "%s %s -> %s" % (name, fmt % (ipstr(src), sp), fmt % (ipstr(dst), dp))

def add_flow(flows, rec, extra=""):
    k = flowkey(rec)
    if k is None:
        return
    k += extra
    pk = int.from_bytes(rec.get(2, b"\0"), "big"); ok = int.from_bytes(rec.get(1, b"\0"), "big")
    p = flows.setdefault(k, [0, 0, 0])
    p[0] += 1; p[1] += pk; p[2] += ok

def parse_template_fields(buf, o, n, ipfix):
    fields = []
    for _ in range(n):
        fid, flen = struct.unpack("!HH", buf[o:o + 4]); o += 4
        ent = 0
        if ipfix and fid & 0x8000:
            ent = struct.unpack("!I", buf[o:o + 4])[0]; o += 4; fid &= 0x7fff
        fields.append((fid, flen, ent))
    return fields, o

def parse_record(buf, o, fields):
    rec = {}
    for fid, flen, ent in fields:
        if flen == 0xffff:
            flen = buf[o]; o += 1
            if flen == 255:
                flen = struct.unpack("!H", buf[o:o + 2])[0]; o += 2
        v = buf[o:o + flen]; o += flen
        if ent == 0:
            rec.setdefault(fid, v)     # first occurrence (OVS repeats IE 82/83)
        elif ent == 29305:
            rec.setdefault(("rev", fid), v)
    return rec, o

def summary_v5(data):
    seqs, recs, flows = [], 0, {}
    for pl in data:
        ver, cnt, up, secs, nsecs, seq, et, eid, samp = struct.unpack("!HHIIIIBBH", pl[:24])
        seqs.append((seq, cnt)); recs += cnt
        for i in range(cnt):
            r = pl[24 + 48 * i: 72 + 48 * i]
            src, dst, nh, inp, outp, pk, ok, first, last, sp, dp, _, flags, proto, tos = \
                struct.unpack("!4s4s4sHHIIIIHHBBBB", r[:40])
            rec = {8: src, 12: dst, 4: bytes([proto]), 2: pk.to_bytes(4, "big"), 1: ok.to_bytes(4, "big")}
            if proto == 1:
                rec[32] = dp.to_bytes(2, "big")
            else:
                rec[7] = sp.to_bytes(2, "big"); rec[11] = dp.to_bytes(2, "big")
            add_flow(flows, rec, "  (in %d out %d)" % (inp, outp))
        engine = "%d:%d" % (et, eid)
    print("  v5: %d datagrams, %d records, engine %s, (seq,count) %s" % (len(data), recs, engine if data else "-", seqs))
    bad = sum(1 for (a, _), (b, c) in zip(seqs, seqs[1:]) if b != a + _)
    print("  v5 sequence: first seq %d; %d datagram(s) where seq != prev.seq + prev.count" % (seqs[0][0], bad))
    return flows

def summary_v9_ipfix(data, ipfix):
    templates, flows = {}, {}
    nt = nopt = nrec = nopt_rec = 0
    hdr_counts, seqs, domains = [], [], set()
    bad_count = 0
    for pl in data:
        if ipfix:
            ver, length, t, seq, dom = struct.unpack("!HHIII", pl[:16]); o = 16; end = length
            cnt = None
        else:
            ver, cnt, up, t, seq, dom = struct.unpack("!HHIIII", pl[:20]); o = 20; end = len(pl)
        domains.add(dom)
        in_msg = data_in_msg = 0
        while o + 4 <= end:
            sid, slen = struct.unpack("!HH", pl[o:o + 4])
            if slen < 4:
                break
            s, send = o + 4, o + slen
            if sid in ((2,) if ipfix else (0,)):
                while s + 4 <= send:
                    tid, n = struct.unpack("!HH", pl[s:s + 4]); s += 4
                    fields, s = parse_template_fields(pl, s, n, ipfix)
                    templates[(dom, tid)] = (fields, False); nt += 1; in_msg += 1
            elif sid in ((3,) if ipfix else (1,)):
                while s + 6 <= send:
                    if ipfix:
                        tid, n, sc = struct.unpack("!HHH", pl[s:s + 6]); s += 6
                        fields, s = parse_template_fields(pl, s, n, True)
                    else:
                        tid, sl, ol = struct.unpack("!HHH", pl[s:s + 6]); s += 6
                        fields, s = parse_template_fields(pl, s, (sl + ol) // 4, False)
                    templates[(dom, tid)] = (fields, True); nopt += 1; in_msg += 1
            elif sid >= 256:
                tpl = templates.get((dom, sid))
                if tpl is None:
                    print("  !! data set %d before its template" % sid)
                else:
                    fields, is_opt = tpl
                    minlen = sum(1 if fl == 0xffff else fl for _, fl, _ in fields)
                    while send - s >= max(minlen, 1):
                        rec, s = parse_record(pl, s, fields)
                        in_msg += 1; data_in_msg += 1
                        if is_opt:
                            nopt_rec += 1
                        else:
                            nrec += 1
                            extra = ""
                            if 61 in rec:
                                extra = "  (dir %s in %d out %s)" % (
                                    "ingress" if rec[61][0] == 0 else "egress",
                                    int.from_bytes(rec.get(10, b"\0"), "big"),
                                    int.from_bytes(rec[14], "big") if 14 in rec else "-")
                            if ("rev", 2) in rec:
                                rt = rec.get(("rev", 32)) or rec.get(("rev", 139))
                                extra = "  (biflow reverse: %d pkts %d bytes%s)" % (
                                    int.from_bytes(rec[("rev", 2)], "big"), int.from_bytes(rec[("rev", 1)], "big"),
                                    "" if rt is None else ", reverse icmp type %d code %d" % (rt[0], rt[1]))
                            add_flow(flows, rec, extra)
            o = send
        seqs.append((seq, in_msg, data_in_msg))
        if cnt is not None and cnt != in_msg:
            bad_count += 1
            hdr_counts.append((len(seqs) - 1, cnt, in_msg))
    name = "IPFIX" if ipfix else "v9"
    print("  %s: %d messages, domains %s, %d templates, %d options templates, %d data records, %d options records"
          % (name, len(data), sorted(domains), nt, nopt, nrec, nopt_rec))
    print("  template ids: %s" % sorted({tid for (_, tid) in templates}))
    if not ipfix:
        print("  v9 header count wrong in %d packet(s) (index, header count, real records): %s" % (bad_count, hdr_counts))
    print("  (seq, all records, data records) per message: %s" % (seqs if len(seqs) <= 24 else seqs[:24] + ["..."]))
    bad = [i for i in range(1, len(seqs)) if seqs[i][0] != seqs[i - 1][0] + (seqs[i - 1][2] if ipfix else 1)]
    print("  first seq %d; %d message(s) where seq != %s" % (
        seqs[0][0], len(bad), "prev.seq + prev.data_records (RFC 7011)" if ipfix else "prev.seq + 1 (RFC 3954: packets)"))
    return flows

def summary_sflow(data):
    fs = cs = 0; seqs = []; kinds = {}; ckinds = {}
    for pl in data:
        ver, at = struct.unpack("!II", pl[:8]); o = 8 + (4 if at == 1 else 16)
        sub, seq, up, n = struct.unpack("!IIII", pl[o:o + 16]); o += 16
        seqs.append(seq)
        for _ in range(n):
            fmt, ln = struct.unpack("!II", pl[o:o + 8])
            if fmt & 0xfff in (1, 3):
                fs += 1
                # first record of a flow sample: raw header -> ethertype/proto
                body = pl[o + 8: o + 8 + ln]
                hdr = 32 if fmt & 0xfff == 1 else 44
                nrec = struct.unpack("!I", body[hdr - 4:hdr])[0]
                ro = hdr
                for _ in range(nrec):
                    rf, rl = struct.unpack("!II", body[ro:ro + 8])
                    if rf == 1:
                        proto, flen, strip, hl = struct.unpack("!IIII", body[ro + 8:ro + 24])
                        eth = body[ro + 24: ro + 24 + hl]
                        et = struct.unpack("!H", eth[12:14])[0]
                        k = {0x0800: "ipv4", 0x86dd: "ipv6", 0x0806: "arp"}.get(et, hex(et))
                        if et == 0x0800:
                            k += "/" + {1: "icmp", 6: "tcp", 17: "udp"}.get(eth[23], str(eth[23]))
                        elif et == 0x86dd:
                            k += "/" + {58: "icmp6", 6: "tcp", 17: "udp"}.get(eth[20], str(eth[20]))
                        kinds[k] = kinds.get(k, 0) + 1
                    ro += 8 + rl
            elif fmt & 0xfff in (2, 4):
                cs += 1
                body = pl[o + 8: o + 8 + ln]
                if fmt & 0xfff == 2:
                    sid, nrec = struct.unpack("!I", body[4:8])[0], struct.unpack("!I", body[8:12])[0]; ro = 12
                    src = "%d:%d" % (sid >> 24, sid & 0xffffff)
                else:
                    cls, idx, nrec = struct.unpack("!III", body[4:16]); ro = 16
                    src = "%d:%d" % (cls, idx)
                recs = []
                for _ in range(nrec):
                    rf, rl = struct.unpack("!II", body[ro:ro + 8]); recs.append(rf); ro += 8 + rl
                k = "source %s records %s" % (src, ",".join(map(str, recs)))
                ckinds[k] = ckinds.get(k, 0) + 1
            o += 8 + ln
    print("  sFlow: %d datagrams, %d flow samples, %d counter samples, seq %s..%s" %
          (len(data), fs, cs, seqs[0] if seqs else "-", seqs[-1] if seqs else "-"))
    print("  flow samples by sampled packet: %s" % dict(sorted(kinds.items())))
    for k, n in sorted(ckinds.items()):
        print("  counter samples %s: %d" % (k, n))
    return {}

def summary(path, kind):
    data = [pl for _, pl in pcap_udp(path)]
    print("%s (%d bytes, %d UDP datagrams)" % (os.path.basename(path), os.path.getsize(path), len(data)))
    if not data:
        print("  !! EMPTY"); return
    if kind == "v5":
        flows = summary_v5(data)
    elif kind in ("v9", "ipfix"):
        flows = summary_v9_ipfix(data, kind == "ipfix")
    else:
        flows = summary_sflow(data)
    for k, (n, pk, ok) in sorted(flows.items()):
        print("    %-62s records %2d packets %3d bytes %5d" % (k, n, pk, ok))

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "listen":
        listen(sys.argv[2], sys.argv[3:])
    elif cmd == "summary":
        for a in sys.argv[2:]:
            p, k = a.rsplit(":", 1)
            summary(p, k)
PY
FG="python3 $TMP/fgtool.py"

wait_for() {     # wait_for SECONDS CMD...: poll a condition, bounded
    local end=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -lt $end ] || { log "timed out waiting for: $*"; return 1; }
        sleep 0.1
    done
}
tcpdump_ready() { grep -q 'listening on' "$1" 2>/dev/null; }

start_tcpdump() {  # start_tcpdump NAME IFACE/NS-PREFIX... ; sets LAST_PID
    local name=$1; shift
    timeout 240 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    LAST_PID=$!; PIDS+=("$LAST_PID")
    wait_for 10 tcpdump_ready "$TMP/$name.err"
}

stop_tcpdump() {   # tcpdump under timeout: TERM timeout, which forwards it to tcpdump
    stop_pid "$1" TERM
}

# ------------------------------------------------------------------ the lab: Open vSwitch + pods
# (up first removes whatever an aborted run left; no exporter is configured yet)
log "lab up (Open vSwitch userspace bridge, pods; state in $FG_LAB_DIR)"
lab up >/dev/null

# ------------------------------------------------------------------ listeners + captures
$FG listen 200 $NF_PORT $IPFIX_PORT $SFLOW_PORT & PIDS+=($!)
LISTEN_PID=$!
start_tcpdump lo tcpdump -i lo -n -s 0 -U -w "$TMP/ovs-all.pcap" \
    "udp and (port $NF_PORT or port $IPFIX_PORT or port $SFLOW_PORT)"
TD_LO=$LAST_PID
start_tcpdump pod tcpdump -i "$HV1" -n -s 0 -U -w "$TMP/pod-traffic.pcap"
TD_POD=$LAST_PID

log "configuring NetFlow v5 / IPFIX / sFlow on fg-br0"
FG_LAB_NETFLOW_PORT=$NF_PORT FG_LAB_IPFIX_PORT=$IPFIX_PORT FG_LAB_SFLOW_PORT=$SFLOW_PORT \
    FG_LAB_ACTIVE_TIMEOUT=5 FG_LAB_SFLOW_POLLING=5 lab exporters
sleep 1

# ------------------------------------------------------------------ traffic
log "pod traffic"
lab traffic

# NetFlow v5 leaves OVS only when a flow expires (active_timeout 5 s, or ~10 s idle in the datapath);
# the IPFIX cache flushes every 5 s. wait_nf_quiet N: wait until there are more than N v5 datagrams
# and the v5 stream has then been quiet for 6 s (bounded: 30 s).
count_nf() { timeout 10 tcpdump -r "$TMP/ovs-all.pcap" -n "udp dst port $NF_PORT" 2>/dev/null | wc -l; }
wait_nf_quiet() {
    local before=$1 last=-1 quiet=0 n
    for _ in $(seq 1 30); do
        sleep 1
        n=$(count_nf)
        if [ "$n" -gt "$before" ] && [ "$n" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; fi
        last=$n
        [ $quiet -ge 6 ] && break
    done
    NF_COUNT=$n
}
log "waiting for OVS to expire and export the flows"
wait_nf_quiet 0
log "NetFlow v5 datagrams: $NF_COUNT; late traffic (one more UDP exchange from port 40002)"
# A second, smaller expiry batch makes OVS's v5 sequence quirk visible (seq(n) = seq(n-1) + count(n)).
lab traffic late
wait_nf_quiet "$NF_COUNT"
# OVS's sFlow counter pollers run at fixed phases (its random() is never seeded): from the first
# sFlow datagram on, the ports are polled at 0, 1 and 2 s (+5k) and the bridge at 3 s (+5k).
# Stop OVS no earlier than 28.5 s after that first datagram: 6 polls of every source in each run.
first=$(timeout 10 tcpdump -r "$TMP/ovs-all.pcap" -n -tt -c 1 "udp dst port $SFLOW_PORT" 2>/dev/null | awk '{ print $1 }')
case $first in
    [0-9]*.[0-9][0-9][0-9][0-9][0-9][0-9])
        until=$((${first%.*} * 1000000 + 10#${first#*.} + 28500000))
        while [ "${EPOCHREALTIME//[!0-9]/}" -lt "$until" ]; do sleep 0.1; done ;;
    *) log "no sFlow datagram captured yet" ;;
esac
log "NetFlow v5 datagrams: $NF_COUNT; stopping OVS"
stop_tcpdump "$TD_POD"
lab down   # stops OVS (which exports what it still holds), then removes the pods and the bridge
sleep 1
stop_tcpdump "$TD_LO"
stop_pid "$LISTEN_PID"

for pair in "ovs-netflow5:$NF_PORT" "ovs-ipfix:$IPFIX_PORT" "ovs-sflow:$SFLOW_PORT"; do
    tcpdump -r "$TMP/ovs-all.pcap" -w "$OUT/${pair%%:*}.pcap" "udp and dst port ${pair##*:}" 2>/dev/null
done
cp "$TMP/pod-traffic.pcap" "$OUT/pod-traffic.pcap"

# ------------------------------------------------------------------ softflowd on the same traffic
softflowd_capture() {   # softflowd_capture OUTNAME PORT softflowd-args...
    local name=$1 port=$2 td; shift 2
    start_tcpdump "sf-$name" tcpdump -i lo -n -s 0 -U -w "$OUT/$name.pcap" "udp and dst port $port"
    td=$LAST_PID
    # -r implies -d and no control socket (do not add -c: with a control socket 1.1.0 reads an
    # uninitialised pollfd and blocks in accept()). Run from $OUT so that the name softflowd puts
    # in interfaceName (the -r argument, cut to 16 bytes) is "pod-traffic.pcap".
    (cd "$OUT" && timeout 30 softflowd -r pod-traffic.pcap -n "127.0.0.1:$port" "$@") \
        >"$TMP/sf-$name.log" 2>&1 || { cat "$TMP/sf-$name.log" >&2; return 1; }
    grep -E 'Flows expired|Packets processed|Flows exported|Number of packets' "$TMP/sf-$name.log" \
        | sed "s/^/  $name: /" >&2 || true
    sleep 1
    stop_tcpdump "$td"
}
log "softflowd"
$FG listen 60 $SF_NF_PORT $SF_IPFIX_PORT & PIDS+=($!)
sleep 0.5
# -a: time base = the pcap's packet times (boot = first packet, export time = last packet), so the
# exported times line up with pod-traffic.pcap; without it -r gives uptime 0 and wrapped (negative)
# flowStart/End. -6 is needed for v5 only to count IPv6 as flows; v5 cannot carry them, so it is left off.
softflowd_capture softflowd-v5           $SF_NF_PORT    -a -v 5  -T full
softflowd_capture softflowd-v9           $SF_NF_PORT    -a -v 9  -T full -6
softflowd_capture softflowd-ipfix        $SF_IPFIX_PORT -a -v 10 -T full -6
softflowd_capture softflowd-ipfix-biflow $SF_IPFIX_PORT -a -v 10 -T full -6 -b

FILES=(pod-traffic ovs-netflow5 ovs-ipfix ovs-sflow softflowd-v5 softflowd-v9 softflowd-ipfix softflowd-ipfix-biflow)
for f in "${FILES[@]}"; do chown --reference="$OUT" "$OUT/$f.pcap"; chmod 644 "$OUT/$f.pcap"; done

# ------------------------------------------------------------------ report
log "summary"
$FG summary "$OUT/ovs-netflow5.pcap:v5" "$OUT/ovs-ipfix.pcap:ipfix" "$OUT/ovs-sflow.pcap:sflow" \
    "$OUT/softflowd-v5.pcap:v5" "$OUT/softflowd-v9.pcap:v9" "$OUT/softflowd-ipfix.pcap:ipfix" \
    "$OUT/softflowd-ipfix-biflow.pcap:ipfix"
echo "pod-traffic.pcap: $(tcpdump -r "$OUT/pod-traffic.pcap" -n 2>/dev/null | wc -l) packets"
for f in "${FILES[@]}"; do ls -l "$OUT/$f.pcap"; done
dpkg-query -W openvswitch-switch softflowd tcpdump 2>/dev/null || true
log "done"
