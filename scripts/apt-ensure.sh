#!/usr/bin/env bash
# Installs the named Debian packages that are missing; does nothing when all are there.
set -euo pipefail
missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
echo "Installing missing packages: ${missing[*]}"
$sudo apt-get update -q
# A package's own service must not start (and grab ports) on a CI machine or a desktop.
DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
