#!/usr/bin/env bash
# lab.sh -- a disposable lab of REAL flow exporters for flowgate's tests.
#
# Two network-namespace "pods" on an Open vSwitch userspace bridge
# (datapath_type=netdev; ovsdb-server + ovs-vswitchd run from the lab's own
# directory: no systemd, no kernel module), with Open vSwitch's NetFlow v5,
# IPFIX and sFlow exporters and/or softflowd capturing live on pod 1's veth,
# all exporting to 127.0.0.1.
#
#   tests/e2e/lab.sh check           print what is missing to run the lab (exit 2 if anything)
#   tests/e2e/lab.sh up              (re)create the lab, configure the exporters named by env,
#                                    print the lab's facts as KEY=VALUE lines on stdout
#   tests/e2e/lab.sh exporters       (re)configure the exporters named by env on a running lab
#   tests/e2e/lab.sh traffic [late]  bounded pod traffic (below); exits non-zero if any of it fails
#   tests/e2e/lab.sh flush           make softflowd export every flow it holds now: softflowd 1.1.0
#                                    opens its live capture with timeout 0, so libpcap (TPACKET_V3)
#                                    hands it packets only once a 256 KiB block is full, and light
#                                    traffic is never processed; flush sends non-IP filler frames
#                                    into pod 1 until every instance has processed all it captured,
#                                    then expire-all. (Open vSwitch exports on its own timers.)
#   tests/e2e/lab.sh stop-exporters [netflow|ipfix|sflow|softflowd]...
#                                    stop those exporters (all without arguments): nothing more is sent
#   tests/e2e/lab.sh stats           the exporters' own counts, as KEY=VALUE lines: what Open vSwitch's
#                                    IPFIX exporter and each softflowd say they sent
#   tests/e2e/lab.sh env             print the facts again
#   tests/e2e/lab.sh down            stop everything and remove everything the lab created
#
# Every subcommand needs root, except check. up and down are idempotent: up
# first removes whatever an earlier lab of the same name left, down succeeds
# when there is nothing to remove. A failing up removes what it had made.
#
# Environment:
#   FG_LAB_NAME              prefix of every name (default fg-e2e; at most 11 characters):
#                            namespaces NAME-p1/NAME-p2, veths NAME-v1/NAME-v2 (OpenFlow ports 1/2),
#                            bridge NAME-br0
#   FG_LAB_DIR               state directory (default ${TMPDIR:-/tmp}/fg-lab.NAME): OVS database,
#                            sockets, pid files, logs. Removed by down.
#   FG_LAB_NETFLOW_PORT      Open vSwitch NetFlow v5 to 127.0.0.1:PORT
#   FG_LAB_IPFIX_PORT        Open vSwitch IPFIX (bridge-wide, sampling 1) to 127.0.0.1:PORT
#   FG_LAB_SFLOW_PORT        Open vSwitch sFlow (sampling 1, header 128) to 127.0.0.1:PORT
#   FG_LAB_SOFTFLOWD_V9_PORT    softflowd -v 9 -6 live on NAME-v1 to 127.0.0.1:PORT
#   FG_LAB_SOFTFLOWD_IPFIX_PORT softflowd -v 10 -6 live on NAME-v1 to 127.0.0.1:PORT
#   FG_LAB_ACTIVE_TIMEOUT    NetFlow active_timeout and IPFIX cache_active_timeout, s (default 5)
#   FG_LAB_SFLOW_POLLING     sFlow counter polling interval, s (default 5)
#   FG_LAB_SETTLE            seconds to wait after the links come up, before exporting (default 2)
#   FG_LAB_LIFETIME          upper bound on the life of every daemon the lab starts, s (default 300)
#   FG_LAB_LOCK_WAIT         how long up waits for another lab on this host to go down, s (default 120)
# Only exporters whose port is set are configured. Targets are always 127.0.0.1.
#
# Pods: NAME-p1 is 10.99.0.1/24, fd99::1/64, 02:99:00:00:00:01; NAME-p2 is 10.99.0.2/24, fd99::2/64,
# 02:99:00:00:00:02. Their addresses exist only inside their own namespaces.
# Traffic (traffic): ping -c 3 both ways over IPv4 and IPv6, one TCP exchange from p1:40001 to
# p2:8080 and 3 UDP datagrams from p1:40000 to p2:5353 (echoed back), IPv4 then IPv6.
# "traffic late": one UDP exchange from p1:40002 to p2:5353, IPv4 and IPv6.
#
# Network rule: packets only on loopback and inside the namespaces created here. Daemons are
# stopped by their pid files, never by name. Open vSwitch's userspace datapath always names its
# tap "ovs-netdev", so two labs cannot run at once: up takes a host-wide lock (/run/lock/fg-lab.lock,
# held by a sleeping process until down) and waits for it. tests/data/make-captures.sh is a lab too.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=${FG_LAB_NAME:-fg-e2e}
case $NAME in
    '' | *[!a-z0-9-]*) echo "lab.sh: FG_LAB_NAME must be [a-z0-9-]: '$NAME'" >&2; exit 64 ;;
esac
[ ${#NAME} -le 11 ] || { echo "lab.sh: FG_LAB_NAME '$NAME' is longer than 11 characters" >&2; exit 64; }
DIR=${FG_LAB_DIR:-${TMPDIR:-/tmp}/fg-lab.$NAME}
D=$DIR/ovs
NS1=$NAME-p1 NS2=$NAME-p2 HV1=$NAME-v1 HV2=$NAME-v2 BR=$NAME-br0
IP4_1=10.99.0.1 IP4_2=10.99.0.2 IP6_1=fd99::1 IP6_2=fd99::2
MAC_1=02:99:00:00:00:01 MAC_2=02:99:00:00:00:02
AT=${FG_LAB_ACTIVE_TIMEOUT:-5}
POLL=${FG_LAB_SFLOW_POLLING:-5}
SETTLE=${FG_LAB_SETTLE:-2}
LIFETIME=${FG_LAB_LIFETIME:-300}
LOCK_WAIT=${FG_LAB_LOCK_WAIT:-120}
for v in "$AT" "$POLL" "$SETTLE" "$LIFETIME" "$LOCK_WAIT"; do
    case $v in '' | *[!0-9]*) echo "lab.sh: FG_LAB_ACTIVE_TIMEOUT, _SFLOW_POLLING, _SETTLE, _LIFETIME and _LOCK_WAIT are whole seconds" >&2; exit 64 ;; esac
done
OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
export OVS_RUNDIR=$D OVS_DBDIR=$D OVS_LOGDIR=$D OVS_PKGDATADIR=/usr/share/openvswitch

log() { printf '[lab %s %(%T)T] %s\n' "$NAME" -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
vsctl() { ovs-vsctl --db="unix:$D/db.sock" --timeout=10 "$@"; }

# the system python3 (openvswitch-switch depends on it), else the first on PATH
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3 || echo python3); fi
TOOL=$HERE/labtool.py

# ------------------------------------------------------------------ requirements
missing() {      # prints what is missing, one item a line
    [ "$(id -u)" = 0 ] || echo "root (running as uid $(id -u))"
    local c
    for c in ip ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl ovs-appctl softflowd softflowctl \
        ethtool ping timeout sysctl flock; do
        command -v "$c" >/dev/null 2>&1 || echo "$c"
    done
    command -v python3 >/dev/null 2>&1 || [ -x /usr/bin/python3 ] || echo python3
    [ -r "$OVS_SCHEMA" ] || echo "$OVS_SCHEMA (openvswitch-switch)"
    if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1 && ! ip netns list >/dev/null 2>&1; then
        echo "'ip netns' (network namespaces)"
    fi
}

cmd_check() {
    local m
    m=$(missing)
    if [ -n "$m" ]; then
        echo "missing: $(echo "$m" | paste -sd, - | sed 's/,/, /g')"
        echo "install: apt-get install -y --no-install-recommends openvswitch-switch softflowd iproute2 ethtool iputils-ping"
        return 2
    fi
    echo "ok"
}

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

port_of() {      # port_of VAR: the value of $VAR if it is a port number, empty if unset
    local v=${!1:-}
    [ -z "$v" ] && return 0
    case $v in *[!0-9]*) die "$1 must be a UDP port number, not '$v'" ;; esac
    if [ "$v" -lt 1 ] || [ "$v" -gt 65535 ]; then die "$1 must be 1-65535, not '$v'"; fi
    echo "$v"
}

# ------------------------------------------------------------------ stopping (by pid only)
alive() {       # alive PID: the process exists and is not a zombie waiting for its parent
    kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

stop_pids() {    # stop_pids PID...: TERM these pids, wait up to 5 s for all of them, then KILL the rest
    local pid live=() i
    for pid in "$@"; do
        case $pid in '' | *[!0-9]*) continue ;; esac
        alive "$pid" || continue
        kill -TERM "$pid" 2>/dev/null || true
        live+=("$pid")
    done
    for i in $(seq 1 100); do
        [ ${#live[@]} -gt 0 ] || return 0
        local still=()
        for pid in "${live[@]}"; do alive "$pid" && still+=("$pid"); done
        live=("${still[@]+"${still[@]}"}")
        [ ${#live[@]} -gt 0 ] || return 0
        sleep 0.05
    done
    for pid in "${live[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

stop_pid() { stop_pids "$1"; }

stop_pidfiles() { # stop_pidfiles FILE...: stop the processes named in pid files, remove the files
    local f pids=()
    for f in "$@"; do
        [ -s "$f" ] && pids+=("$(head -n1 "$f" 2>/dev/null)")
    done
    stop_pids "${pids[@]+"${pids[@]}"}"
    rm -f "$@"
}

stop_ovs() {
    if [ -S "$D/vswitchd.ctl" ]; then
        timeout 10 ovs-appctl -t "$D/vswitchd.ctl" exit --cleanup >/dev/null 2>&1 || true
    fi
    stop_pidfiles "$D/vswitchd.pid" "$D/vswitchd.timeout.pid"
    if [ -S "$D/ovsdb.ctl" ]; then
        timeout 10 ovs-appctl -t "$D/ovsdb.ctl" exit >/dev/null 2>&1 || true
    fi
    stop_pidfiles "$D/ovsdb.pid" "$D/ovsdb.timeout.pid"
}

stop_softflowd() {
    local f files=()
    for f in "$DIR"/softflowd-*.pid; do [ -e "$f" ] && files+=("$f"); done
    [ ${#files[@]} -eq 0 ] || stop_pidfiles "${files[@]}"
}

remove_net() {   # only the names this lab owns
    local l n
    for l in "$HV1" "$HV2" "$BR"; do
        if ip link show "$l" >/dev/null 2>&1; then ip link del "$l" 2>/dev/null || true; fi
    done
    for n in "$NS1" "$NS2"; do
        [ -e "/run/netns/$n" ] || continue
        # shellcheck disable=SC2046 # one pid a word
        stop_pids $(ip netns pids "$n" 2>/dev/null)
        ip netns del "$n" 2>/dev/null || true
    done
    # The userspace datapath's tap is persistent: remove it if this lab created it.
    if [ -e "$DIR/created-ovs-netdev" ] && ip link show ovs-netdev >/dev/null 2>&1; then
        ip link del ovs-netdev 2>/dev/null || true
    fi
}

cmd_down() {
    need_root
    local f
    set +e
    stop_softflowd
    stop_ovs
    remove_net
    if [ -s "$DIR/lock-holder.pid" ]; then
        stop_pidfiles "$DIR/lock-holder.pid"
        for f in /run/lock/fg-lab.lock.owner "${TMPDIR:-/tmp}/fg-lab.lock.owner"; do
            if [ "$(cat "$f" 2>/dev/null)" = "$NAME ($DIR)" ]; then rm -f "$f"; fi
        done
    fi
    if [ -e "$DIR/.fg-lab" ]; then rm -rf "$DIR"; fi
    set -e
    log "down"
}

# ------------------------------------------------------------------ bringing it up
wait_for() {     # wait_for SECONDS CMD...: poll a condition, bounded
    local end=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -lt "$end" ] || { log "timed out waiting for: $*"; return 1; }
        sleep 0.1
    done
}

start_daemon() { # start_daemon NAME CMD...: run CMD under `timeout LIFETIME`, detached from our stdio
    local name=$1; shift
    timeout "$LIFETIME" "$@" </dev/null >>"$DIR/$name.out" 2>&1 9>&- &
    echo $! >"$DIR/$name.pid"
}

take_host_lock() { # one lab per host: Open vSwitch's userspace datapath has one "ovs-netdev" tap
    local lock=/run/lock/fg-lab.lock
    [ -w "${lock%/*}" ] || lock=${TMPDIR:-/tmp}/fg-lab.lock
    exec 9>>"$lock"
    if ! flock -x -w "$LOCK_WAIT" 9; then
        die "another lab is still up after ${LOCK_WAIT} s (it holds $lock: $(cat "$lock.owner" 2>/dev/null))"
    fi
    echo "$NAME ($DIR)" >"$lock.owner"
    # The lock stays held while this process lives: it alone inherits fd 9. down stops it.
    timeout "$LIFETIME" sleep "$LIFETIME" </dev/null >/dev/null 2>&1 &
    echo $! >"$DIR/lock-holder.pid"
    exec 9>&-
}

write_facts() {
    local f=$DIR/lab.env
    {
        echo "LAB_NAME=$NAME"
        echo "LAB_DIR=$DIR"
        echo "NS1=$NS1"
        echo "NS2=$NS2"
        echo "HV1=$HV1"
        echo "HV2=$HV2"
        echo "BR=$BR"
        echo "IFINDEX_HV1=$(cat "/sys/class/net/$HV1/ifindex")"
        echo "IFINDEX_HV2=$(cat "/sys/class/net/$HV2/ifindex")"
        echo "IFINDEX_BR=$(cat "/sys/class/net/$BR/ifindex" 2>/dev/null || echo 0)"
        echo "OFPORT_HV1=$(vsctl get Interface "$HV1" ofport)"
        echo "OFPORT_HV2=$(vsctl get Interface "$HV2" ofport)"
        echo "IP4_1=$IP4_1"
        echo "IP4_2=$IP4_2"
        echo "IP6_1=$IP6_1"
        echo "IP6_2=$IP6_2"
        echo "MAC_1=$MAC_1"
        echo "MAC_2=$MAC_2"
    } >"$f.tmp"
    mv "$f.tmp" "$f"
}

exporters_facts() {
    local f=$DIR/exporters.env
    : >"$f"
    local v
    for v in NETFLOW IPFIX SFLOW SOFTFLOWD_V9 SOFTFLOWD_IPFIX; do
        local p
        p=$(port_of "FG_LAB_${v}_PORT")
        [ -n "$p" ] && echo "EXPORT_$v=127.0.0.1:$p" >>"$f"
    done
    echo "ACTIVE_TIMEOUT=$AT" >>"$f"
    echo "SFLOW_POLLING=$POLL" >>"$f"
}

cmd_exporters() {
    need_root
    [ -e "$DIR/lab.env" ] || die "the lab is not up (no $DIR/lab.env)"
    local nf ipfix sflow v9 sfipfix
    nf=$(port_of FG_LAB_NETFLOW_PORT)
    ipfix=$(port_of FG_LAB_IPFIX_PORT)
    sflow=$(port_of FG_LAB_SFLOW_PORT)
    v9=$(port_of FG_LAB_SOFTFLOWD_V9_PORT)
    sfipfix=$(port_of FG_LAB_SOFTFLOWD_IPFIX_PORT)

    vsctl -- clear Bridge "$BR" netflow -- clear Bridge "$BR" ipfix -- clear Bridge "$BR" sflow
    if [ -n "$nf" ]; then
        log "Open vSwitch NetFlow v5 -> 127.0.0.1:$nf (active_timeout $AT s)"
        vsctl -- set Bridge "$BR" netflow=@nf -- --id=@nf create NetFlow \
            targets="\"127.0.0.1:$nf\"" active_timeout="$AT" >/dev/null
    fi
    if [ -n "$ipfix" ]; then
        log "Open vSwitch IPFIX -> 127.0.0.1:$ipfix (sampling 1, cache_active_timeout $AT s)"
        vsctl -- set Bridge "$BR" ipfix=@i -- --id=@i create IPFIX \
            targets="\"127.0.0.1:$ipfix\"" sampling=1 cache_active_timeout="$AT" cache_max_flows=1000 >/dev/null
    fi
    if [ -n "$sflow" ]; then
        log "Open vSwitch sFlow -> 127.0.0.1:$sflow (sampling 1, polling $POLL s, header 128)"
        vsctl -- set Bridge "$BR" sflow=@s -- --id=@s create sFlow \
            targets="\"127.0.0.1:$sflow\"" sampling=1 polling="$POLL" header=128 >/dev/null
    fi

    stop_softflowd
    local kind port ver
    for kind in v9 ipfix; do
        if [ $kind = v9 ]; then port=$v9 ver=9; else port=$sfipfix ver=10; fi
        [ -n "$port" ] || continue
        log "softflowd -v $ver live on $HV1 -> 127.0.0.1:$port"
        rm -f "$DIR/softflowd-$kind.ctl"
        # -d: stay in the foreground (under timeout, with our own pid file); -6: IPv6 flows too.
        start_daemon "softflowd-$kind" softflowd -d -i "$HV1" -n "127.0.0.1:$port" -v $ver -6 -T full \
            -c "$DIR/softflowd-$kind.ctl" -p "$DIR/softflowd-$kind.own.pid"
        wait_for 10 test -S "$DIR/softflowd-$kind.ctl" || {
            cat "$DIR/softflowd-$kind.out" >&2
            die "softflowd -v $ver did not start"
        }
    done
    exporters_facts
}

up_exit() {      # EXIT trap of up: a failing up removes what it made
    local rc=$?
    trap - EXIT
    if [ $rc != 0 ]; then
        log "up failed (exit $rc): removing what it made"
        cmd_down
    fi
    exit $rc
}

cmd_up() {
    need_root
    local m
    m=$(missing)
    [ -z "$m" ] || die "missing: $(echo "$m" | paste -sd, -)"
    local v
    for v in NETFLOW IPFIX SFLOW SOFTFLOWD_V9 SOFTFLOWD_IPFIX; do # bad ports fail before anything is made
        m=$(port_of "FG_LAB_${v}_PORT")
    done
    case ${DIR%/} in '' | / | . | ..) die "bad FG_LAB_DIR '$DIR'" ;; esac
    if [ -e "$DIR" ] && [ ! -e "$DIR/.fg-lab" ]; then
        die "$DIR exists and is not a lab directory; refusing to use it"
    fi
    # Leftovers of an earlier lab of this name (aborted run): stop and remove them first.
    cmd_down 2>/dev/null
    mkdir -p "$D"
    touch "$DIR/.fg-lab"
    trap up_exit EXIT
    trap 'exit 130' INT TERM

    take_host_lock
    ip link show ovs-netdev >/dev/null 2>&1 || touch "$DIR/created-ovs-netdev"
    log "starting ovsdb-server and ovs-vswitchd in $D"
    ovsdb-tool create "$D/conf.db" "$OVS_SCHEMA"
    start_daemon ovs/ovsdb.timeout ovsdb-server "$D/conf.db" --remote="punix:$D/db.sock" \
        --pidfile="$D/ovsdb.pid" --unixctl="$D/ovsdb.ctl" --log-file="$D/ovsdb.log" -vconsole:off
    wait_for 10 test -S "$D/db.sock"
    vsctl --no-wait init
    start_daemon ovs/vswitchd.timeout ovs-vswitchd "unix:$D/db.sock" --pidfile="$D/vswitchd.pid" \
        --unixctl="$D/vswitchd.ctl" --log-file="$D/vswitchd.log" -vconsole:off
    wait_for 10 test -S "$D/vswitchd.ctl"
    vsctl add-br "$BR" -- set bridge "$BR" datapath_type=netdev other_config:datapath-id=0000000000000f01
    # (the bridge's own internal port stays down: no host traffic enters the bridge)

    local i=0 ns hv
    for ns in "$NS1" "$NS2"; do
        i=$((i + 1))
        hv=$NAME-v$i
        ip netns add "$ns"
        ip link add "$hv" type veth peer name eth0 netns "$ns"
        # no IPv6 on the host side: the host must not send RS/MLD into the bridge
        sysctl -qw "net.ipv6.conf.$hv.disable_ipv6=1"
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0 \
            net.ipv6.conf.eth0.router_solicitations=0 net.ipv6.conf.eth0.addr_gen_mode=1
        ip -n "$ns" link set eth0 address "02:99:00:00:00:0$i"
        ip -n "$ns" addr add "10.99.0.$i/24" dev eth0
        ip -n "$ns" addr add "fd99::$i/64" dev eth0 nodad
        ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null # else TCP/UDP checksums stay partial
        ethtool -K "$hv" tx off >/dev/null 2>&1 || true
        ip -n "$ns" link set lo up
        ip -n "$ns" link set eth0 up
        ip link set "$hv" up
        vsctl add-port "$BR" "$hv" -- set interface "$hv" ofport_request=$i
    done
    write_facts
    log "ifindexes: $HV1=$(cat "/sys/class/net/$HV1/ifindex") $HV2=$(cat "/sys/class/net/$HV2/ifindex")" \
        "$BR=$(cat "/sys/class/net/$BR/ifindex" 2>/dev/null || echo -) (OpenFlow ports $HV1=1 $HV2=2)"
    sleep "$SETTLE" # let link-up chatter (MLD reports) pass before anything is exported
    cmd_exporters
    trap - EXIT INT TERM
    cmd_env
}

cmd_env() {
    [ -e "$DIR/lab.env" ] || die "the lab is not up (no $DIR/lab.env)"
    cat "$DIR/lab.env"
    [ ! -e "$DIR/exporters.env" ] || cat "$DIR/exporters.env"
}

# ------------------------------------------------------------------ traffic
cmd_traffic() {
    need_root
    [ -e "$DIR/lab.env" ] || die "the lab is not up (no $DIR/lab.env)"
    local kind=${1:-main} server
    case $kind in main | late) ;; *) die "traffic: unknown kind '$kind' (main or late)" ;; esac
    rm -f "$DIR/server.ready"
    ip netns exec "$NS2" timeout 60 env PYTHONDONTWRITEBYTECODE=1 "$PY" "$TOOL" server 50 "$DIR/server.ready" "$IP4_2" "$IP6_2" \
        </dev/null >>"$DIR/server.out" 2>&1 &
    server=$!
    # shellcheck disable=SC2064 # expand now: the pid is known now
    trap "stop_pid $server" EXIT
    wait_for 10 test -e "$DIR/server.ready" || { cat "$DIR/server.out" >&2; die "pod server did not start"; }
    local addrs=("$IP4_1" "$IP4_2" "$IP6_1" "$IP6_2")
    if [ "$kind" = main ]; then
        log "traffic: ping -c 3 both ways (IPv4, IPv6), TCP and UDP exchanges (IPv4, IPv6)"
        ip netns exec "$NS1" timeout 10 ping -n -q -c 3 -i 0.2 -W 1 "$IP4_2" >/dev/null
        ip netns exec "$NS2" timeout 10 ping -n -q -c 3 -i 0.2 -W 1 "$IP4_1" >/dev/null
        ip netns exec "$NS1" timeout 10 ping -6 -n -q -c 3 -i 0.2 -W 1 "$IP6_2" >/dev/null
        ip netns exec "$NS2" timeout 10 ping -6 -n -q -c 3 -i 0.2 -W 1 "$IP6_1" >/dev/null
        ip netns exec "$NS1" timeout 20 env PYTHONDONTWRITEBYTECODE=1 "$PY" "$TOOL" client "${addrs[@]}"
    else
        log "traffic: late UDP exchange from port 40002 (IPv4, IPv6)"
        ip netns exec "$NS1" timeout 10 env PYTHONDONTWRITEBYTECODE=1 "$PY" "$TOOL" late "${addrs[@]}"
    fi
    stop_pid "$server"
    trap - EXIT
    log "traffic done"
}

sf_stat() {      # sf_stat CTL: "received dispatched" packet counts of one softflowd
    timeout 10 softflowctl -c "$1" statistics | awk '
        /^Packets processed:/ { p = $3 }
        /^Ignored packets:/ { i = $3 }
        /^Packets received by libpcap:/ { r = $5 }
        END { print r + 0, p + i }'
}

cmd_flush() {
    need_root
    local s ctls=() i n stat behind
    for s in "$DIR"/softflowd-*.ctl; do [ -S "$s" ] && ctls+=("$s"); done
    [ ${#ctls[@]} -gt 0 ] || { log "flush: no softflowd running"; return 0; }
    # softflowd processes captured packets only when libpcap hands over a full 256 KiB
    # block (see labtool.py fill). Send filler frames until every instance has processed
    # at least as many packets as the kernel had captured for it before the first filler.
    local -A want=()
    for s in "${ctls[@]}"; do
        read -r stat _ < <(sf_stat "$s")
        want[$s]=$stat
    done
    for i in $(seq 1 20); do
        behind=0
        for s in "${ctls[@]}"; do
            read -r _ n < <(sf_stat "$s")
            [ "$n" -ge "${want[$s]}" ] || behind=$((behind + 1))
        done
        [ $behind -gt 0 ] || break
        [ "$i" -lt 20 ] || die "flush: softflowd did not process its captured packets"
        "$PY" "$TOOL" fill "$HV1" "$MAC_1" 1500
        sleep 0.2
    done
    for s in "${ctls[@]}"; do
        timeout 10 softflowctl -c "$s" expire-all >/dev/null
    done
    log "flush: ${#ctls[@]} softflowd instance(s) processed every captured packet and expired all flows"
}

cmd_stop_exporters() {
    need_root
    [ -e "$DIR/lab.env" ] || die "the lab is not up (no $DIR/lab.env)"
    [ $# -gt 0 ] || set -- netflow ipfix sflow softflowd
    local e
    for e in "$@"; do
        case $e in
            netflow | ipfix | sflow) vsctl clear Bridge "$BR" "$e" ;;
            softflowd) stop_softflowd ;;
            *) die "stop-exporters: unknown exporter '$e' (netflow, ipfix, sflow or softflowd)" ;;
        esac
    done
    log "stopped: $*"
}

cmd_stats() {
    need_root
    [ -e "$DIR/lab.env" ] || die "the lab is not up (no $DIR/lab.env)"
    if [ -n "$(vsctl get Bridge "$BR" ipfix 2>/dev/null | tr -d '[]')" ]; then
        # "bridge ipfix: flows=48, current flows=0, sampled pkts=128, ... tx pkts=34" + "... tx errs=0"
        OVS_RUNDIR=$D timeout 10 ovs-ofctl dump-ipfix-bridge "$BR" | tr ',' '\n' | awk '
            /^ *bridge ipfix: flows=/ { sub(/.*flows=/, ""); print "OVS_IPFIX_FLOWS=" $0 }
            /^ *sampled pkts=/ { sub(/.*=/, ""); print "OVS_IPFIX_SAMPLED_PKTS=" $0 }
            /tx pkts=/ { sub(/.*tx pkts=/, ""); print "OVS_IPFIX_TX_PKTS=" $0 }
            /tx errs=/ { sub(/.*tx errs=/, ""); print "OVS_IPFIX_TX_ERRS=" $0 }'
    fi
    local s kind
    for s in "$DIR"/softflowd-*.ctl; do
        [ -S "$s" ] || continue
        kind=$(basename "$s" .ctl)
        kind=${kind#softflowd-}
        kind=${kind^^}
        # "Flows exported: 13 (18 records) in 1 packets (0 failures)"
        timeout 10 softflowctl -c "$s" statistics | awk -v k="SOFTFLOWD_$kind" '
            /^Flows exported:/ {
                gsub(/[()]/, "")
                print k "_FLOWS=" $3; print k "_RECORDS=" $4; print k "_PACKETS=" $7; print k "_FAILURES=" $9
            }
            /^Packets processed:/ { print k "_PROCESSED=" $3 }'
    done
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
    exit 64
}

case ${1:-} in
    check) cmd_check ;;
    up) cmd_up ;;
    exporters) cmd_exporters ;;
    traffic) cmd_traffic "${2:-main}" ;;
    flush) cmd_flush ;;
    stats) cmd_stats ;;
    stop-exporters) shift; cmd_stop_exporters "$@" ;;
    env) cmd_env ;;
    down) cmd_down ;;
    *) usage ;;
esac
