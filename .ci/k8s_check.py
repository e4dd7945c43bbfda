"""Cross-checks of docker/k8s against the code, for .ci/k8s-check.sh.

Schema validation says each manifest is a valid object; these say the
objects fit flowgate: the ConfigMap's config loads (`flowgate check-config`),
the ports and probes match that config, the RBAC is exactly what the
Kubernetes enricher watches, the memory limit covers the configured bounds,
and no manifest is left out of the kustomization by accident.

usage: k8s_check.py FLOWGATE_BINARY RENDERED_DEPLOYMENT.yaml RENDERED_DAEMONSET.yaml
Exits 1 listing every failed check.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "docker" / "k8s"
# In docker/k8s but applied on their own (docs/kubernetes.md), or the
# variant kustomization.yaml's comment tells how to select.
OPTIONAL = {"service-external.yaml", "servicemonitor.yaml", "daemonset.yaml"}
CONFIG_PATH = "/etc/flowgate/flowgate.yaml"
PROBES = {"readinessProbe": "/readyz", "livenessProbe": "/healthz"}
# A record in memory (FlowRecord is 864 bytes, rounded up for the heap
# parts), and records per datagram (full NetFlow v5): a worker hands a
# batch on once it holds FLUSH_RECORDS, so a batch holds at most
# FLUSH_RECORDS - 1 + one datagram's records; each worker also holds up to
# KEEP batches (sent or kept for reuse). Both constants are read from the code.
RECORD_BYTES, RECORDS_PER_DATAGRAM = 900, 30
_POOL = (ROOT / "crates/flowgate-server/src/receive/batch_pool.rs").read_text()
FLUSH_RECORDS = int(re.search(r"pub const FLUSH_RECORDS: usize = (\d+);", _POOL).group(1))
POOL_BATCHES = int(re.search(r"pub const KEEP: usize = (\d+);", _POOL).group(1))
# One Prometheus sink series (key, label strings, slot, index entry),
# rounded up (tests/sink_alloc.rs measures it against this bound); the sink keeps max_series of them, and so may each receive
# worker's shard of it (the sink aggregates on the workers' threads).
SERIES_BYTES = 512
# The process itself (code, decoder tables at their caps, HTTP, enricher
# cache of a mid-size cluster): measured well below this, kept generous.
BASE_BYTES = 64 << 20

failures = []
passed = []


def check(ok, what):
    (passed if ok else failures).append(what)
    print(("ok   " if ok else "FAIL ") + what)


def docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


def effective_config(binary):
    """The config the pods load, defaults filled in, exactly as flowgate reads it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWGATE_")}
    r = subprocess.run(
        [binary, "check-config", str(K8S / "flowgate.yaml")],
        capture_output=True, text=True, env=env,
    )
    check(r.returncode == 0, f"flowgate check-config docker/k8s/flowgate.yaml exits 0 {r.stderr.strip()}")
    if r.stderr.strip():
        print("     (warnings) " + r.stderr.strip())
    return yaml.safe_load(r.stdout) if r.returncode == 0 else None


def port_of(addr):
    """':2055', '0.0.0.0:2055', '[::]:2055' -> 2055."""
    return int(str(addr).rsplit(":", 1)[1])


def listener_ports(cfg):
    ports = set()
    for uri in cfg["listeners"]:
        rest = str(uri).split("://", 1)[1].split("?", 1)[0]
        ports.add(port_of(rest))
    return ports


def bytes_of(size):
    m = re.fullmatch(r"(\d+)\s*(|[KMG]i?B?)", str(size).strip())
    assert m, f"size {size!r}"
    unit = {"": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30,
            "K": 1000, "M": 10**6, "G": 10**9, "KB": 1000, "MB": 10**6, "GB": 10**9}[m.group(2)]
    return int(m.group(1)) * unit


def check_workload(kind, w, cfg, flow_ports, http_port):
    spec = w["spec"]["template"]["spec"]
    (c,) = spec["containers"]
    name = f"{kind}/{w['metadata']['name']}"
    udp = {p["containerPort"] for p in c["ports"] if p.get("protocol") == "UDP"}
    check(udp == flow_ports, f"{name}: UDP containerPorts {sorted(udp)} are the config's listener ports {sorted(flow_ports)}")
    named = {p["name"]: p for p in c["ports"]}
    http = named.get("http", {})
    check(http.get("containerPort") == http_port and http.get("protocol") == "TCP",
          f"{name}: containerPort 'http' is TCP {http_port} (http.address)")
    for probe, path in PROBES.items():
        get = c.get(probe, {}).get("httpGet", {})
        ok = get.get("path") == path and get.get("port") in ("http", http_port)
        check(ok, f"{name}: {probe} is GET {path} on the http port")
    check(c.get("args") == ["run", "--config", CONFIG_PATH], f"{name}: runs `flowgate run --config {CONFIG_PATH}`")
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    cfg_vol = volumes.get(mounts.get(os.path.dirname(CONFIG_PATH)), {})
    check("configMap" in cfg_vol and cfg_vol["configMap"]["name"].startswith("flowgate-config"),
          f"{name}: {os.path.dirname(CONFIG_PATH)} is the flowgate-config ConfigMap")
    state_dir = cfg["state"]["dir"]
    check(state_dir in mounts, f"{name}: state.dir {state_dir} is a mounted volume (read-only root filesystem)")
    sc = c.get("securityContext", {})
    psc = spec.get("securityContext", {})
    check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
          and sc.get("capabilities", {}).get("drop") == ["ALL"]
          and psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
          f"{name}: non-root, read-only root, no capabilities, seccomp RuntimeDefault")
    enrichers = [e for e in cfg.get("enrich", []) if e["type"] == "kubernetes" and e.get("enabled", True)]
    check(not enrichers or spec.get("serviceAccountName") == "flowgate",
          f"{name}: the Kubernetes enricher runs as the ServiceAccount rbac.yaml binds")
    limit = bytes_of(c["resources"]["limits"]["memory"])
    need = memory_bound(cfg)
    check(need <= limit, f"{name}: memory limit {limit >> 20} MiB covers the configured worst case {need >> 20} MiB")


def memory_bound(cfg):
    """Worst case the config allows: full sink queues, granted socket
    buffers (the kernel doubles SO_RCVBUF), plus the process itself."""
    rx = cfg["receive"]
    workers = rx["workers"]
    if workers == 0:
        return 1 << 62  # one per core: unbounded by the config, refuse
    per_batch = (FLUSH_RECORDS - 1 + RECORDS_PER_DATAGRAM) * RECORD_BYTES
    # The Prometheus sink takes records on the workers' threads: its queue stays empty.
    # The stdout sink's queue holds chunks of rendered lines (128 KiB and at
    # most 32 lines more, sink/stdout/inline.rs), under a batch's bytes: counted as batches.
    queues = sum(s["queue_batches"] * per_batch for s in cfg["sinks"]
                 if s.get("enabled", True) and s["type"] != "prometheus")
    idle = len(cfg["listeners"]) * workers * POOL_BATCHES * per_batch
    sockets = len(cfg["listeners"]) * workers * 2 * bytes_of(rx["receive_buffer"])
    shards = len(cfg["listeners"]) * workers
    series = sum((1 + shards) * s["max_series"] * SERIES_BYTES
                 for s in cfg["sinks"] if s.get("enabled", True) and s["type"] == "prometheus")
    return BASE_BYTES + queues + idle + sockets + series


def check_rbac(rendered):
    kinds = re.search(r"KINDS: \[&str; \d+\] = \[([^\]]*)\]",
                      (ROOT / "crates/flowgate-enrich/src/kubernetes/mod.rs").read_text())
    watched = set(re.findall(r'"([a-z]+)"', kinds.group(1)))
    role = next(d for d in rendered if d["kind"] == "ClusterRole")
    granted, verbs, extra = set(), set(), set()
    for rule in role["rules"]:
        granted |= set(rule["resources"])
        verbs |= set(rule["verbs"])
        extra |= set(rule) - {"apiGroups", "resources", "verbs"}
    check(not extra, f"ClusterRole rules have no resourceNames, nonResourceURLs (got {sorted(extra)})")
    check(granted == watched, f"ClusterRole grants exactly the kinds the enricher watches {sorted(watched)} (got {sorted(granted)})")
    check(verbs == {"list", "watch"}, f"ClusterRole verbs are exactly list, watch (got {sorted(verbs)})")
    binding = next(d for d in rendered if d["kind"] == "ClusterRoleBinding")
    check(binding["roleRef"]["name"] == role["metadata"]["name"]
          and binding["subjects"] == [{"kind": "ServiceAccount", "name": "flowgate", "namespace": "flowgate"}],
          "ClusterRoleBinding binds the role to flowgate/flowgate")


def check_services(rendered, flow_ports, http_port):
    for d in rendered + docs((K8S / "service-external.yaml").read_text()):
        if d["kind"] != "Service":
            continue
        name = d["metadata"]["name"]
        ports = d["spec"]["ports"]
        if name == "flowgate-metrics":
            check([(p["port"], p["protocol"], p["targetPort"]) for p in ports] == [(http_port, "TCP", "http")],
                  f"Service/{name}: TCP {http_port} to the http port")
            continue
        got = {p["port"] for p in ports}
        check(all(p["protocol"] == "UDP" for p in ports) and got == flow_ports,
              f"Service/{name}: UDP ports {sorted(got)} are the listener ports")
        check(d["spec"].get("sessionAffinity") == "ClientIP", f"Service/{name}: exporter affinity (ClientIP)")
        if d["spec"].get("type") in ("LoadBalancer", "NodePort"):
            check(d["spec"].get("externalTrafficPolicy") == "Local",
                  f"Service/{name}: externalTrafficPolicy Local keeps the exporter's address")


def check_kustomization():
    k = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    used = set(k["resources"]) | {f for g in k.get("configMapGenerator", []) for f in g["files"]}
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    stray = present - used - OPTIONAL
    check(not stray, f"every docker/k8s/*.yaml is in kustomization.yaml or documented optional (stray: {sorted(stray)})")
    missing = used - present
    check(not missing, f"kustomization.yaml names only existing files (missing: {sorted(missing)})")


def main():
    binary, deployment, daemonset = sys.argv[1:4]
    cfg = effective_config(binary)
    if cfg is None:
        sys.exit(1)
    flow_ports = listener_ports(cfg)
    http_port = port_of(cfg["http"]["address"])
    for variant in (deployment, daemonset):
        rendered = docs(Path(variant).read_text())
        kinds = [d["kind"] for d in rendered]
        workload = next(d for d in rendered if d["kind"] in ("Deployment", "DaemonSet"))
        check(kinds.count("Deployment") + kinds.count("DaemonSet") == 1, f"{variant}: one workload ({kinds})")
        check_workload(workload["kind"], workload, cfg, flow_ports, http_port)
        if variant == deployment:
            check_rbac(rendered)
            check_services(rendered, flow_ports, http_port)
            check(any(d["kind"] == "PodDisruptionBudget" for d in rendered), "the Deployment has a PodDisruptionBudget")
            check(workload["spec"]["replicas"] == 1, "Deployment: 1 replica by default")
    check_kustomization()
    print(f"cross-checks: {len(passed)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
