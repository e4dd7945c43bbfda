#!/usr/bin/env bash
# Validates docker/k8s offline: every manifest and both rendered variants
# (Deployment, DaemonSet) against the Kubernetes OpenAPI schemas bundled in
# PyPI's kubernetes-validate (--strict: unknown fields fail), the optional
# ServiceMonitor against our own schema of the fields it uses, then the
# cross-checks of .ci/k8s_check.py (config loads, ports, probes, RBAC,
# memory). Needs the flowgate binary: target/release/flowgate, which .ci/run
# builds before this (`cargo run --release`), else target/debug/flowgate,
# or FLOWGATE_BIN. Installs (idempotent, skipped when present): a venv under
# the target directory; kubectl, or else Debian's kubernetes-client unpacked
# there (not installed system-wide), for `kubectl kustomize`.
set -euo pipefail
cd "$(dirname "$0")/.."
K8S_VERSION=1.33.0
target=${CARGO_TARGET_DIR:-target}
work="$target/k8s-check"
venv="$target/k8s-venv"
mkdir -p "$work"
summary=()

echo "== k8s: tools"
if ! "$venv/bin/python" -c 'import kubernetes_validate, jsonschema, yaml' 2>/dev/null; then
  if ! python3 -m venv "$venv"; then
    # Debian's python3 needs its venv module as a package of its own.
    rm -rf "$venv"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate jsonschema pyyaml
fi
"$venv/bin/pip" list --disable-pip-version-check 2>/dev/null | grep -iE '^(kubernetes-validate|jsonschema) '

kubectl_bin=$(command -v kubectl || true)
if [ -z "$kubectl_bin" ] || ! "$kubectl_bin" kustomize --help >/dev/null 2>&1; then
  kubectl_bin="$work/kubernetes-client/usr/bin/kubectl"
  if [ ! -x "$kubectl_bin" ]; then
    # Debian's kubectl (kustomize built in), unpacked beside the venv so that
    # nothing on the machine changes. apt-get update only if the download fails.
    (cd "$work" && { apt-get download kubernetes-client 2>/dev/null || { apt-get update -qq && apt-get download kubernetes-client; }; })
    dpkg-deb -x "$work"/kubernetes-client_*.deb "$work/kubernetes-client"
  fi
fi
echo "kubectl: $kubectl_bin ($("$kubectl_bin" version --client 2>/dev/null | head -1))"

bin=${FLOWGATE_BIN:-}
for b in "$target/release/flowgate" "$target/debug/flowgate"; do
  if [ -z "$bin" ] && [ -x "$b" ]; then bin=$b; fi
done
if [ -z "$bin" ]; then
  echo "no flowgate binary in $target/release or $target/debug: run cargo build --release first (or set FLOWGATE_BIN)" >&2
  exit 1
fi
echo "flowgate: $bin"

echo "== k8s: render the kustomization (Deployment) and its DaemonSet variant"
"$kubectl_bin" kustomize docker/k8s > "$work/deployment.yaml"
# The variant kustomization.yaml's comment describes: daemonset.yaml in place
# of deployment.yaml and pdb.yaml, rendered from a copy.
rm -rf "$work/daemonset-variant" && cp -r docker/k8s "$work/daemonset-variant"
sed -i -e 's/^  - deployment.yaml.*/  - daemonset.yaml/' -e '/^  - pdb.yaml/d' "$work/daemonset-variant/kustomization.yaml"
"$kubectl_bin" kustomize "$work/daemonset-variant" > "$work/daemonset.yaml"
summary+=("rendered: $(grep -c '^kind:' "$work/deployment.yaml") objects (Deployment), $(grep -c '^kind:' "$work/daemonset.yaml") (DaemonSet)")

echo "== k8s: schemas (kubernetes-validate --strict, Kubernetes $K8S_VERSION)"
manifests=()
for f in docker/k8s/*.yaml; do
  case "$(basename "$f")" in kustomization.yaml | flowgate.yaml | servicemonitor.yaml) continue ;; esac
  manifests+=("$f")
done
# kubernetes-validate only warns about a kind it has no schema for; every
# object here must have one, so a warning fails too.
if ! "$venv/bin/kubernetes-validate" --strict -k "$K8S_VERSION" \
  "${manifests[@]}" "$work/deployment.yaml" "$work/daemonset.yaml" > "$work/schemas.log" 2>&1 \
  || grep -E '^(WARN|ERROR)' "$work/schemas.log"; then
  cat "$work/schemas.log" >&2
  echo "kubernetes-validate: not every object is valid (or has a schema)" >&2
  exit 1
fi
summary+=("schemas: ${#manifests[@]} files + 2 renderings valid for Kubernetes $K8S_VERSION")

echo "== k8s: ServiceMonitor (our schema of the prometheus-operator fields it uses)"
"$venv/bin/python" - docker/k8s/servicemonitor.yaml docker/k8s/schema/servicemonitor.schema.json <<'PY'
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator.check_schema(schema)
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert len(docs) == 1, docs
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(docs[0]))
for e in errors:
    print(f"FAIL servicemonitor.yaml {'.'.join(map(str, e.path))}: {e.message}")
sys.exit(1 if errors else 0)
PY
# It must select the metrics Service by that Service's labels, on a port it has.
"$venv/bin/python" - docker/k8s/servicemonitor.yaml "$work/deployment.yaml" <<'PY'
import sys, yaml
(sm,) = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
svcs = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d and d["kind"] == "Service"]
want = sm["spec"]["selector"]["matchLabels"]
hit = [s for s in svcs if want.items() <= s["metadata"].get("labels", {}).items()]
assert [s["metadata"]["name"] for s in hit] == ["flowgate-metrics"], f"ServiceMonitor selects {hit}"
ports = {p["name"] for p in hit[0]["spec"]["ports"]}
assert {e["port"] for e in sm["spec"]["endpoints"]} <= ports, ports
print("ok   ServiceMonitor selects Service/flowgate-metrics and its port")
PY
summary+=("ServiceMonitor: valid against docker/k8s/schema/servicemonitor.schema.json")

echo "== k8s: cross-checks against the code"
"$venv/bin/python" .ci/k8s_check.py "$bin" "$work/deployment.yaml" "$work/daemonset.yaml" | tee "$work/cross.log"
summary+=("$(tail -1 "$work/cross.log")")

echo "== k8s: summary"
printf '  %s\n' "${summary[@]}"
