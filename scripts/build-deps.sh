#!/usr/bin/env bash
# Installs the C build tools flowgate's Kafka client (rdkafka, built from
# source with cmake) needs, when they are missing: Debian/Ubuntu packages
# cmake, curl and OpenSSL headers, zlib. Does nothing when they are present.
set -euo pipefail
pkgs=(cmake libcurl4-openssl-dev libssl-dev zlib1g-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "installing build dependencies: ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
