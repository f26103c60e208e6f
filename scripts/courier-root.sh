#!/usr/bin/env bash
# Extracts (never installs: Courier conflicts with Dovecot) Courier's POP3 server into DIR, for the
# tests that run the real Courier pop3d. Prints DIR. Does nothing when DIR already holds it.
set -euo pipefail
dir=${1:?usage: courier-root.sh DIR}
pop3d="$dir/root/usr/lib/courier/courier/courierpop3d"
if [ -x "$pop3d" ]; then
	echo "$dir/root"
	exit 0
fi
mkdir -p "$dir/debs"
cd "$dir/debs"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
apt-get download courier-pop courier-base courier-authlib libcourier-unicode4 libidn12 >/dev/null 2>&1 ||
	{ $sudo apt-get update -q >/dev/null && apt-get download courier-pop courier-base courier-authlib libcourier-unicode4 libidn12 >/dev/null; }
for f in *.deb; do dpkg-deb -x "$f" "$dir/root"; done
test -x "$pop3d"
echo "$dir/root"
