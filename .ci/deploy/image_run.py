"""Replays docker/Dockerfile without a Docker engine, as faithfully as this
machine allows:

- the builder stage's commands run here (scripts/build-deps.sh, its exact
  `cargo build` line, the install to /out), each one recognised by name so
  that a new step fails until it is taught here;
- every COPY source exists and is not cut out by .dockerignore;
- every shared library `ldd` lists for the binary comes from a package that
  debian:bookworm-slim has (Priority: required) or that the final stage
  installs;
- a root file system is assembled from those packages' files, the binary,
  the COPYed config and the state directory the final stage makes, and the
  ENTRYPOINT + CMD run in it (chroot, private /proc) as the USER, with the
  ENV, ports moved by FLOWGATE_* variables as `docker run -e` would; then
  the HEALTHCHECK command runs the same way and must exit 0 (and 1 once the
  collector is stopped).

Not done: pulling the base images, the build in the rust:1-bookworm image
(this machine's toolchain stands in), and the image's network namespace.

usage: image_run.py DOCKERFILE BINARY TARGET_DIR SCRATCH"""

import fnmatch
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import fail, free_port, http_status, netflow_v5, ok, wait_lines  # noqa: E402
from dockerfile import parse_dockerfile  # noqa: E402

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def dockerignore():
    path = os.path.join(REPO, ".dockerignore")
    pats = []
    for line in open(path) if os.path.exists(path) else []:
        line = line.strip()
        if line and not line.startswith("#"):
            pats.append(line.lstrip("/"))
    return pats


def ignored(rel, pats):
    parts = rel.split("/")
    return any(fnmatch.fnmatch("/".join(parts[:i]), p) or
               fnmatch.fnmatch("/".join(parts[:i]), "*/" + p.removeprefix("**/"))
               for p in pats for i in range(1, len(parts) + 1))


def check_copies(stages):
    pats = dockerignore()
    for stage in stages:
        for args in stage.all("COPY"):
            if any(a.startswith("--from") for a in args):
                continue
            for src in [a for a in args if not a.startswith("--")][:-1]:
                if src == ".":
                    continue
                if not os.path.exists(os.path.join(REPO, src)):
                    fail(f"COPY {src}: no such path in the repository")
                if ignored(src, pats):
                    fail(f"COPY {src}: excluded by .dockerignore")
    for must in ("target", ".git"):
        if not ignored(must, pats):
            fail(f".dockerignore lets {must}/ into the build context")
    ok("every COPY source exists and is in the build context; target/ and .git are not")


def replay_builder(stage, target, out_dir):
    """Runs the builder's RUN commands here. Returns the /out binary."""
    cargo = None
    for run in stage.all("RUN"):
        for cmd in " ".join(a for a in run if not a.startswith("--mount")).split("&&"):
            argv = shlex.split(cmd)
            if argv[:1] == ["scripts/build-deps.sh"]:
                subprocess.run(argv, cwd=REPO, check=True)
                ok("builder: scripts/build-deps.sh (the rdkafka build tools are installed)")
            elif argv[:2] == ["rm", "-rf"] and argv[2:] == ["/var/lib/apt/lists/*"]:
                pass  # image size only; not repeated on this machine
            elif argv[:2] == ["cargo", "build"]:
                cargo = argv
                print(f"+ {shlex.join(argv)}", flush=True)
                subprocess.run(argv, cwd=REPO, check=True,
                               env=dict(os.environ, CARGO_TARGET_DIR=target))
            elif argv[:1] == ["install"] and argv[-2:] == ["target/release/flowgate", "/out/flowgate"]:
                argv = argv[:-2] + [os.path.join(target, "release/flowgate"), out_dir + "/flowgate"]
                subprocess.run(argv, check=True)
            else:
                fail(f"builder step '{cmd.strip()}' is unknown to .ci/deploy/image_run.py: "
                     "teach it, so the image build stays checked")
    if not cargo or "--release" not in cargo or "--locked" not in cargo:
        fail(f"the builder must run cargo build --release --locked, found {cargo}")
    ok(f"builder: `{shlex.join(cargo)}` ran here and left the binary under test as it was")
    return os.path.join(out_dir, "flowgate")


def runtime_packages(stage):
    """Packages the final stage installs; every other RUN step must be known."""
    pkgs = set()
    for run in stage.all("RUN"):
        for cmd in " ".join(run).split("&&"):
            argv = shlex.split(cmd)
            if argv[:2] == ["apt-get", "install"]:
                pkgs |= {a for a in argv[2:] if not a.startswith("-")}
            elif argv[:2] in (["apt-get", "update"], ["rm", "-rf"], ["install", "-d"]):
                pass
            else:
                fail(f"final stage step '{cmd.strip()}' is unknown to .ci/deploy/image_run.py")
    return pkgs


def owner_package(path):
    for p in (path, os.path.realpath(path)):
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0]
    fail(f"dpkg -S: no package owns {path}")


def base_image_packages():
    """What debian:bookworm-slim holds, as this Debian 12 machine's dpkg sees
    it: the Essential and Priority: required packages (debootstrap's
    minbase) and everything they depend on."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Essential}\t${Priority}\t"
                          "${Pre-Depends}, ${Depends}\n"],
                         check=True, capture_output=True, text=True).stdout
    deps, roots = {}, []
    for line in out.splitlines():
        name, essential, prio, rest = line.split("\t")
        alternatives = [[a.split()[0].split(":")[0] for a in d.split("|") if a.strip()]
                        for d in rest.split(",") if d.strip()]
        deps[name] = alternatives
        if essential == "yes" or prio == "required":
            roots.append(name)
    seen, todo = set(), roots
    while todo:
        p = todo.pop()
        if p in seen or p not in deps:
            continue
        seen.add(p)
        for alts in deps[p]:
            todo.extend(a for a in alts[:1] if a in deps)
    return seen


def check_libraries(binary, installed):
    """{package: [libraries]} for the binary's shared libraries."""
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and parts[parts.index("=>") + 1].startswith("/"):
            libs.append(parts[parts.index("=>") + 1])
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])
        elif "not found" in line:
            fail(f"ldd {binary}: {line.strip()}")
    by_pkg = {}
    for lib in libs:
        by_pkg.setdefault(owner_package(lib), []).append(lib)
    base = base_image_packages()
    for pkg, owned in sorted(by_pkg.items()):
        libs = ", ".join(os.path.basename(x) for x in owned)
        if pkg in installed:
            ok(f"{libs}: {pkg}, installed by the final stage")
        elif pkg in base:
            ok(f"{libs}: {pkg}, in the base image")
        else:
            fail(f"{libs} come from {pkg}, which debian:bookworm-slim lacks: "
                 "add it to the final stage's apt-get install")
    return by_pkg


def copy_in(root, path):
    dest = root + path
    if os.path.isdir(path) and not os.path.islink(path):
        os.makedirs(dest, exist_ok=True)
        return
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    if not os.path.lexists(dest):
        shutil.copy2(path, dest, follow_symlinks=False)


def assemble_root(root, final, by_pkg, binary):
    """The final stage's file system: the runtime packages' files, then its
    COPY and RUN install -d steps in order."""
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    # debian:bookworm-slim is merged-/usr.
    for d in ("usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "etc", "var/lib", "proc", "dev", "tmp"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for link in ("bin", "sbin", "lib", "lib64"):
        os.symlink("usr/" + link, os.path.join(root, link))
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    for pkg in by_pkg:
        files = subprocess.run(["dpkg", "-L", pkg], check=True, capture_output=True,
                               text=True).stdout.split()
        for f in files:
            if os.path.lexists(f):
                copy_in(root, f)
    for ins, args in final.steps:
        if ins == "COPY":
            plain = [a for a in args if not a.startswith("--")]
            src, dest = plain[0], plain[-1]
            if any(a == "--from=builder" for a in args):
                src = binary
            else:
                src = os.path.join(REPO, src)
            os.makedirs(os.path.dirname(root + dest), exist_ok=True)
            shutil.copy2(src, root + dest)
            os.chmod(root + dest, 0o755 if os.access(src, os.X_OK) else 0o644)
        elif ins == "RUN":
            for cmd in " ".join(args).split("&&"):
                argv = shlex.split(cmd)
                if argv[:2] == ["install", "-d"]:
                    subprocess.run(argv[:-1] + [root + argv[-1]], check=True)


def main(dockerfile, binary_built, target, scratch):
    stages = parse_dockerfile(dockerfile)
    if len(stages) != 2 or stages[0].name != "builder":
        fail("docker/Dockerfile: expected a 'builder' stage and a final stage")
    builder, final = stages
    ok(f"stages: {builder.base} AS builder, then {final.base}")
    check_copies(stages)
    out_dir = os.path.join(scratch, "out")
    os.makedirs(out_dir, exist_ok=True)
    tested = open(binary_built, "rb").read()
    binary = replay_builder(builder, target, out_dir)
    if open(binary, "rb").read() != tested:
        fail(f"the Dockerfile's cargo command built a binary other than {binary_built}, "
             "the one the checks before ran: they must build the same thing")
    installed = runtime_packages(final)
    by_pkg = check_libraries(binary, installed)

    exposed = set()
    for args in final.all("EXPOSE"):
        exposed |= set(args)
    defaults = {"2055/udp", "2056/udp", "4739/udp", "6343/udp", "8080/tcp"}
    if exposed != defaults:
        fail(f"EXPOSE {sorted(exposed)}; the default config listens on {sorted(defaults)}")
    ok(f"EXPOSE matches the default config's ports: {' '.join(sorted(exposed))}")

    root = os.path.join(scratch, "rootfs")
    assemble_root(root, final, by_pkg, binary)
    user = final.last("USER")[0]
    uid, gid = (user.split(":") + [user])[:2]
    if not uid.isdigit() or int(uid) == 0:
        fail(f"USER {user}: a numeric non-root uid lets Kubernetes check runAsNonRoot")
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": "/", "HOSTNAME": "flowgate"}
    for args in final.all("ENV"):
        for a in args:
            k, _, v = a.partition("=")
            env[k] = v
    # `docker run -e`: every port moved to a free one on loopback.
    udp = {p: free_port(socket.SOCK_DGRAM) for p in (2055, 2056, 4739, 6343)}
    http = free_port(socket.SOCK_STREAM)
    env["FLOWGATE_LISTENERS"] = (f"netflow://127.0.0.1:{udp[2055]},nfl://127.0.0.1:{udp[2056]},"
                                 f"ipfix://127.0.0.1:{udp[4739]},sflow://127.0.0.1:{udp[6343]}")
    env["FLOWGATE_HTTP_ADDRESS"] = f"127.0.0.1:{http}"
    entry, cmd = final.last("ENTRYPOINT"), final.last("CMD")
    health = final.last("HEALTHCHECK")

    def in_image(argv):
        # A private mount namespace with /proc and /dev as Docker gives
        # them, then chroot as the image's USER: only the files put in the
        # root by assemble_root are there.
        script = ('mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && '
                  f'exec chroot --userspec={uid}:{gid} "$0" "$@"')
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, root] + argv

    out_path, err_path = os.path.join(scratch, "image.out"), os.path.join(scratch, "image.err")
    print(f"+ chroot rootfs as {uid}:{gid}: {shlex.join(entry + cmd)}", flush=True)
    proc = subprocess.Popen(in_image(entry + cmd), env=env, stdin=subprocess.DEVNULL,
                            stdout=open(out_path, "w"), stderr=open(err_path, "w"))
    try:
        exercise(proc, in_image, health, env, udp, http, root, uid, out_path, err_path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def exercise(proc, in_image, health, env, udp, http, root, uid, out_path, err_path):
    def stderr():
        return open(err_path, errors="replace").read()[-3000:]

    def healthcheck():
        return subprocess.run(in_image(health), env=env, capture_output=True, text=True)

    deadline = time.monotonic() + 60
    while http_status(http, "/readyz")[0] != 200:
        if proc.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if http_status(http, "/readyz")[0] != 200:
        fail(f"the image's ENTRYPOINT + CMD did not get ready:\n{stderr()}")
    r = healthcheck()
    if r.returncode != 0:
        fail(f"HEALTHCHECK {health} exited {r.returncode}: {r.stdout}{r.stderr}")
    ok(f"HEALTHCHECK {shlex.join(health)} exits 0 as uid {uid}: {r.stdout.strip()}")
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(netflow_v5(), ("127.0.0.1", udp[2056]))
    if not wait_lines(out_path, '"type":"NETFLOW_V5"', 1, 15):
        fail(f"a NetFlow v5 datagram gave no record in the image run:\n{stderr()}")
    ok("a NetFlow v5 datagram became a record on stdout (the container log)")
    proc.send_signal(signal.SIGTERM)  # docker stop
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        fail("still running 30 s after SIGTERM (docker stop would SIGKILL it at 10 s)")
    if code != 0:
        fail(f"exit status {code} after SIGTERM:\n{stderr()}")
    r = healthcheck()
    if r.returncode != 1:
        fail(f"HEALTHCHECK exits {r.returncode} with the collector stopped; it must fail")
    saved = os.path.join(root, "var/lib/flowgate/templates.json")
    if os.stat(saved).st_uid != int(uid):
        fail(f"{saved} is not owned by the image's USER")
    ok(f"SIGTERM: exit 0, templates saved in /var/lib/flowgate as uid {uid}; "
       "HEALTHCHECK then exits 1")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
