"""Checks an `strace -f` log of the collector against the sandbox of
config/flowgate.service, so that a new system call, address family or file
access that systemd would refuse fails CI instead of the first real start:

- every system call is allowed by its SystemCallFilter= lines (groups
  expanded by this machine's `systemd-analyze syscall-filter`);
- every socket() family is in RestrictAddressFamilies=;
- /proc is read only below a process (ProcSubset=pid);
- nothing is written outside the writable places (ProtectSystem=strict).

Only what the collector itself does after its execve counts: what runs
before it (setpriv here, systemd's own set-up for real) is not filtered."""

import re
import subprocess

from common import fail, ok

LINE = re.compile(r"^(\d+)\s+(?:<\.\.\. )?([a-z_][a-z0-9_]*)(?:\(| resumed>)(.*)$")
RESULT = re.compile(r"\)\s+=\s+(-?\d+)")
FIRST_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC")
PATH_WRITES = {"mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat",
               "rmdir", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmodat"}


def syscall_groups():
    """{"@group": {members}} from `systemd-analyze syscall-filter`."""
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"],
                         check=True, capture_output=True, text=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.split()[0], set())
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.add(line.split()[0])
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            if n not in groups:
                fail(f"SystemCallFilter names {n}, unknown to this systemd-analyze")
            out |= expand(groups[n], groups, seen)
        else:
            out.add(n)
    return out


def allowed_syscalls(unit):
    groups = syscall_groups()
    allow, deny = set(), set()
    for value in unit.get("SystemCallFilter", []):
        if value.startswith("~"):
            deny |= expand(value[1:].split(), groups)
        else:
            allow |= expand(value.split(), groups)
    if not allow:
        fail("config/flowgate.service has no SystemCallFilter allow-list")
    return allow - deny


def parse(log_path, binary):
    """[(pid, syscall, rest of line)] of the collector's processes/threads."""
    ours, events = set(), []
    exe = f'execve("{binary}"'
    for raw in open(log_path, errors="replace"):
        m = LINE.match(raw)
        if not m:
            continue
        pid, name, rest = int(m.group(1)), m.group(2), m.group(3)
        if raw[len(m.group(1)):].lstrip().startswith(exe) and RESULT.search(rest) \
                and RESULT.search(rest).group(1) == "0":
            ours.add(pid)
            continue
        if pid not in ours:
            continue
        events.append((pid, name, rest))
        if name in ("clone", "clone3", "fork", "vfork"):
            r = RESULT.search(rest)
            if r and int(r.group(1)) > 0:
                ours.add(int(r.group(1)))
    if not events:
        fail(f"{log_path}: no system calls of {binary} found (did strace follow the exec?)")
    return events


def check(unit, log_path, binary, writable):
    events = parse(log_path, binary)
    allowed = allowed_syscalls(unit)
    used = {name for _, name, _ in events}
    refused = sorted(used - allowed)
    if refused:
        fail(f"SystemCallFilter would refuse {refused} (EPERM): add the group that holds "
             "them to config/flowgate.service, or avoid the calls")
    ok(f"all {len(used)} distinct system calls ({len(events)} in all) pass SystemCallFilter")

    families = set(unit.get("RestrictAddressFamilies", [""])[-1].split())
    # The family is the first argument; a "<... socket resumed>" line has none.
    opened = {rest.split(",", 1)[0] for _, name, rest in events
              if name == "socket" and rest.startswith("AF_")}
    if not opened:
        fail("no socket() calls in the trace: the check would prove nothing")
    if not opened <= families:
        fail(f"socket families {sorted(opened - families)} are not in RestrictAddressFamilies")
    ok(f"socket families {sorted(opened)} are within RestrictAddressFamilies")

    proc, writes = set(), set()
    for _, name, rest in events:
        s = FIRST_STRING.search(rest)
        if not s or s.group(1) == "":
            continue
        path = s.group(1)
        if name in ("open", "openat", "openat2", "stat", "newfstatat", "statx", "access",
                    "faccessat", "faccessat2", "readlink", "readlinkat") and \
                path.startswith("/proc/") and \
                not re.match(r"^/proc/(self|thread-self|\d+)(/|$)", path):
            proc.add(path)
        is_write = (name in ("open", "openat", "openat2") and any(f in rest for f in WRITE_FLAGS)) \
            or name in PATH_WRITES
        if is_write and path.startswith("/") and not any(
                path == w or path.startswith(w.rstrip("/") + "/") for w in writable):
            writes.add(f"{name} {path}")
    if unit.get("ProcSubset", ["all"])[-1] == "pid" and proc:
        fail(f"ProcSubset=pid hides {sorted(proc)}, which the collector reads")
    ok("/proc is read only below a process (ProcSubset=pid holds)")
    if writes:
        fail(f"ProtectSystem=strict would refuse writes: {sorted(writes)}")
    ok(f"writes only below {sorted(writable)} (ProtectSystem=strict holds)")
