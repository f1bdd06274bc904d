#!/usr/bin/env bash
# Debian packages some tests drive as real components: skopeo (a real client of docker's
# credential helpers), docker-registry (the distribution registry server) and htpasswd (its
# credential file). Installed when missing and when we may (root with apt-get); otherwise the
# tests that need them skip, saying why.
set -u
missing=()
command -v skopeo >/dev/null || missing+=(skopeo)
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-debian-tools: not root or no apt-get; tests needing ${missing[*]} will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } \
  || echo "install-debian-tools: could not install ${missing[*]}; tests needing them will skip" >&2
exit 0
