#!/usr/bin/env python3
"""Overload check: flowgate fed at a rate it cannot keep (e.g. 2 x its
highest lossless rate from scripts/perf/compare.sh) must stay up, keep its
memory under the bound, and count every datagram and record it did not
carry through:

  datagrams sent = datagrams read by the workers + kernel drops
  records decoded = records the sink delivered + records dropped (queues, sink)

    overload.py --proto v5 --fps 8000000 [--seconds 10] [--sink prometheus|stdout]

Uses the blaster and packet files of ../shared/perf (PERF_BUILD, made by
its run.sh or scripts/perf/compare.sh) and target/release/flowgate. Prints
one JSON object and exits 1 if a check fails.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def metrics(mport):
    with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=3) as r:
        return r.read().decode()


def total(text, pattern):
    rx = re.compile(pattern)
    s = 0.0
    for line in text.splitlines():
        if line and line[0] != "#":
            key, _, val = line.rpartition(" ")
            if rx.search(key):
                s += float(val)
    return s


def hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proto", default="v5", choices=["v5", "ipfix", "v9", "sflow"])
    ap.add_argument("--fps", type=float, required=True, help="flow records per second to send")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--sink", default="prometheus", choices=["prometheus", "stdout"])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--rss-bound-mb", type=float, default=64)
    ap.add_argument("--bin", default=os.environ.get("FLOWGATE_BIN", os.path.join(ROOT, "target/release/flowgate")))
    ap.add_argument("--perf-build", default=os.environ.get("PERF_BUILD", os.path.join(ROOT, "target/perf/build")))
    a = ap.parse_args()

    port, mport = free(socket.SOCK_DGRAM), free(socket.SOCK_STREAM)
    scheme = "sflow" if a.proto == "sflow" else "netflow"
    sink = "{type: prometheus}" if a.sink == "prometheus" else "{type: stdout, path: /dev/null}"
    cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    cfg.write(f"state: {{dir: null}}\nlog: {{level: warn}}\nsinks: [{sink}]\n")
    cfg.close()
    proc = subprocess.Popen([a.bin, "run", "-c", cfg.name, "--listen", f"{scheme}://127.0.0.1:{port}",
                             "--http", f"127.0.0.1:{mport}", "--workers", str(a.workers),
                             "--receive-buffer", "8MiB"], stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            m0 = metrics(mport)
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit("flowgate did not start")
    blaster = subprocess.Popen([os.path.join(a.perf_build, "blaster"), "-f",
                                os.path.join(a.perf_build, "packets", f"{a.proto}.bin"),
                                "-p", str(port), "-F", str(int(a.fps)), "-t", str(a.seconds), "-G"],
                               stdout=subprocess.PIPE, text=True)
    peak_rss = 0
    while blaster.poll() is None:
        peak_rss = max(peak_rss, hwm_kb(proc.pid))
        time.sleep(0.2)
    sent = json.loads(blaster.stdout.read().strip().splitlines()[-1])
    # let the workers and sinks finish what reached them
    last, stable = None, 0
    while stable < 4:
        time.sleep(0.5)
        m = metrics(mport)
        now = (total(m, r"^flowgate_worker_datagrams_total"), total(m, r"^flowgate_sink_records_total\{.*outcome=\"sent\""))
        stable = stable + 1 if now == last else 0
        last = now
    alive = proc.poll() is None
    with urllib.request.urlopen(f"http://127.0.0.1:{mport}/healthz", timeout=3) as r:
        healthy = r.status == 200
    peak_rss = max(peak_rss, hwm_kb(proc.pid))
    d = lambda rx: total(m, rx) - total(m0, rx)
    read = d(r"^flowgate_worker_datagrams_total")
    kdrops = d(r"^flowgate_kernel_drops_total")
    decoded = d(r"^flowgate_records_total")
    delivered = d(r"^flowgate_sink_records_total\{.*outcome=\"sent\"")
    dropped = d(r"^flowgate_records_dropped_total")
    proc.terminate()
    proc.wait(timeout=15)
    os.unlink(cfg.name)
    res = dict(proto=a.proto, target_fps=a.fps, achieved_fps=sent["fps"], datagrams_sent=sent["packets"],
               flows_sent=sent["flows"], datagrams_read=read, kernel_drops=kdrops, records_decoded=decoded,
               records_delivered=delivered, records_dropped=dropped, peak_rss_mb=round(peak_rss / 1024, 1),
               stayed_up=alive, healthy=healthy,
               loss_pct=round(100 * (1 - delivered / sent["flows"]), 2) if sent["flows"] else None)
    checks = {
        "stayed up and healthy": alive and healthy,
        f"peak RSS <= {a.rss_bound_mb:g} MB": peak_rss / 1024 <= a.rss_bound_mb,
        "datagrams sent = read + kernel drops": abs(sent["packets"] - (read + kdrops)) <= 0.001 * sent["packets"],
        "records decoded = delivered + dropped": decoded == delivered + dropped,
        "records decoded = flows in the datagrams read": abs(decoded - read * sent["flows"] / sent["packets"]) <= 0.001 * decoded + 30,
    }
    res["checks"] = checks
    print(json.dumps(res, indent=1))
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
