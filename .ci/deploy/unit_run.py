"""Runs config/flowgate.service's commands the way systemd would, as far as
that is possible without systemd as PID 1:

ExecStart (its binary replaced by the one cargo built, %S and the config
path moved into a scratch root) as an unprivileged user with the unit's
UMask, LimitNOFILE, NoNewPrivileges and an empty capability bounding set,
NOTIFY_SOCKET and WATCHDOG_USEC set; then ExecReload with $MAINPID; then
SIGTERM (KillSignal's default). Under strace, so that sandbox.py can hold
the run against the unit's SystemCallFilter and the rest.

Not reproduced: the mount namespace (ProtectSystem, PrivateTmp, ...), the
seccomp filter itself and the user namespace. sandbox.py checks the log
against those instead.

usage: unit_run.py UNIT BINARY CONFIG SCRATCH"""

import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import sandbox  # noqa: E402
from common import Notify, fail, http_status, netflow_v5, ok, remap_config, udp_bound, wait_lines  # noqa: E402

UID = 65534  # nobody: what DynamicUser= allocates is just as unprivileged


def parse_unit(path):
    """{key: [values]} of the [Service] and [Unit] sections."""
    out, section, pending = {}, None, ""
    for raw in open(path):
        line = pending + raw.rstrip("\n")
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("["):
            section = s
            continue
        if section in ("[Service]", "[Unit]") and "=" in s:
            k, v = s.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def seconds(v):
    units = {"ms": 0.001, "s": 1, "min": 60}
    for u in sorted(units, key=len, reverse=True):
        if v.endswith(u):
            return float(v[:-len(u)]) * units[u]
    return float(v)


def main(unit_path, binary, config, scratch):
    unit = parse_unit(unit_path)
    for key, want in [("Type", "notify"), ("NotifyAccess", "main"), ("DynamicUser", "yes"),
                      ("StateDirectory", "flowgate"), ("ConfigurationDirectory", "flowgate")]:
        if unit.get(key, [None])[-1] != want:
            fail(f"{unit_path}: expected {key}={want}")

    # The directories systemd would make: /etc/flowgate (root's, readable
    # by all) and %S/flowgate (the service user's, 0700).
    root = os.path.join(scratch, "unit")
    shutil.rmtree(root, ignore_errors=True)
    etc, state_base = os.path.join(root, "etc/flowgate"), os.path.join(root, "var/lib")
    os.makedirs(etc)
    os.makedirs(os.path.join(state_base, "flowgate"))
    for d in (scratch, root, os.path.join(root, "etc"), etc, os.path.join(root, "var"), state_base):
        os.chmod(d, 0o755)
    state = os.path.join(state_base, "flowgate")
    os.chown(state, UID, UID)
    os.chmod(state, 0o700)
    text, ports, http = remap_config(open(config).read())
    cfg = os.path.join(etc, "flowgate.yaml")
    open(cfg, "w").write(text)
    os.chmod(cfg, 0o644)

    def expand(cmd, mainpid=None):
        argv = shlex.split(cmd.lstrip("-@+!:"))
        out = []
        for a in argv:
            a = a.replace("%S", state_base).replace("/etc/flowgate/", etc + "/")
            if mainpid is not None:
                a = a.replace("$MAINPID", str(mainpid))
            if "%" in a or "$" in a:
                fail(f"{unit_path}: '{a}' has a specifier or variable this check does not know")
            out.append(a)
        return out

    start = expand(unit["ExecStart"][-1])
    if start[0] != "/usr/bin/flowgate":
        fail(f"ExecStart runs {start[0]}; docs/systemd.md installs /usr/bin/flowgate")
    start[0] = os.path.realpath(binary)
    drop = ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups",
            "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"]

    notify = Notify(os.path.join(scratch, "notify.sock"))
    watchdog_usec = int(seconds(unit["WatchdogSec"][-1]) * 1_000_000)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin", "LANG": "C.UTF-8",
           "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": str(watchdog_usec),
           "STATE_DIRECTORY": state, "CONFIGURATION_DIRECTORY": etc}
    # systemd raises the hard limit too; here it is capped at what this
    # process may have.
    nofile = min(int(unit["LimitNOFILE"][-1]), resource.getrlimit(resource.RLIMIT_NOFILE)[1])

    def limits():
        os.umask(int(unit["UMask"][-1], 8))
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    log = os.path.join(scratch, "strace.log")
    out_path, err_path = os.path.join(scratch, "unit.out"), os.path.join(scratch, "unit.err")
    print(f"+ {shlex.join(start)}  (as uid {UID}, LimitNOFILE {nofile}, under strace)", flush=True)
    proc = subprocess.Popen(["strace", "-f", "-qq", "-s", "256", "-o", log] + drop + start,
                            env=env, preexec_fn=limits, stdin=subprocess.DEVNULL,
                            stdout=open(out_path, "w"), stderr=open(err_path, "w"))
    try:
        run(unit, start[0], notify, proc, ports, http, state, drop, expand, out_path, err_path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    writable = [state, "/tmp", "/var/tmp", "/dev/null"]
    sandbox.check(unit, log, start[0], writable)


def run(unit, binary, notify, proc, ports, http, state, drop, expand, out_path, err_path):
    def stderr():
        return open(err_path, errors="replace").read()[-3000:]

    got = notify.until("READY=1", 60, f"after start; stderr:\n{stderr()}")
    ready, mainpid, uid = got[-1]
    # Checked at once: READY=1 must mean the ports are open.
    closed = [p for p in ports.values() if not udp_bound(p)]
    status, _ = http_status(http, "/readyz")
    if closed or status != 200:
        fail(f"READY=1 came before the ports were open: UDP {closed} unbound, /readyz {status}")
    if len(got) != 1:
        fail(f"messages before READY=1: {got[:-1]}")
    exe = os.readlink(f"/proc/{mainpid}/exe")
    if uid != UID or exe != binary:
        fail(f"READY=1 came from pid {mainpid} uid {uid}, not {binary} as uid {UID}")
    ok(f"READY=1 from the main process (pid {mainpid}, uid {uid}) with UDP "
       f"{sorted(ports.values())} bound and /readyz 200: {ready.splitlines()[1:]}")

    reload_cmd = drop + expand(unit["ExecReload"][-1], mainpid)
    print(f"+ {shlex.join(reload_cmd)}", flush=True)
    subprocess.run(reload_cmd, check=True)
    notify.until("RELOADING=1", 15, "after ExecReload")
    notify.until("READY=1", 15, "after reload")
    if not wait_lines(err_path, "SIGHUP: reloaded", 1, 10) or proc.poll() is not None:
        fail(f"ExecReload: no 'SIGHUP: reloaded' or the process ended:\n{stderr()}")
    ok("ExecReload: RELOADING=1, READY=1, 'SIGHUP: reloaded' logged, still running")

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(netflow_v5(), ("127.0.0.1", ports[2056]))
    if not wait_lines(out_path, '"type":"NETFLOW_V5"', 1, 15):
        fail(f"a NetFlow v5 datagram sent to the nfl listener gave no record:\n{stderr()}")
    ok("a NetFlow v5 datagram became a record on stdout (the journal, under systemd)")

    os.kill(mainpid, signal.SIGTERM)
    notify.until("STOPPING=1", 15, "after SIGTERM")
    try:
        code = proc.wait(timeout=seconds(unit["TimeoutStopSec"][-1]))
    except subprocess.TimeoutExpired:
        fail(f"still running TimeoutStopSec after SIGTERM; systemd would SIGKILL it:\n{stderr()}")
    if code != 0:
        fail(f"exit status {code} after SIGTERM (Restart=on-failure would restart it):\n{stderr()}")
    strangers = [m for m in notify.seen if m[1] != mainpid]
    if strangers:
        fail(f"NotifyAccess=main would drop messages from other processes: {strangers}")
    saved = os.path.join(state, "templates.json")
    st = os.stat(saved)
    if st.st_uid != UID or st.st_mode & 0o077:
        fail(f"{saved}: uid {st.st_uid} mode {oct(st.st_mode)}; want uid {UID}, no group/other bits")
    ok(f"SIGTERM: STOPPING=1, exit 0, templates saved to the state directory "
       f"(uid {UID}, mode {oct(st.st_mode & 0o777)})")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
