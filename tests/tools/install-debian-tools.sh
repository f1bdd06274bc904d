#!/usr/bin/env bash
# Debian packages some tests drive as real components: skopeo (a real client of docker's
# credential helpers), docker-registry (the distribution registry server), htpasswd (its
# credential file), and Maven with the plugins of its default lifecycle, which Debian puts in
# /usr/share/maven-repo (a loopback repository serves them to the real mvn), redis-server
# with openssl (the fleet store and its TLS certificates, fleet/tests); debootstrap and
# lintian for the packaging proof (tests/dist/debian.sh: a fresh Debian to install the .deb in,
# Debian's checks of the .deb, scripts/release.sh). Installed when
# missing and when we may (root with apt-get). What is still missing afterwards is skipped by
# the tests that need it, visibly — or, where the run sets ECLUSE_TEST_REQUIRE (as .ci/run
# does), fails them (tests/common/tools.rs, docs/testing.md).
set -u
missing=()
command -v skopeo >/dev/null || missing+=(skopeo)
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v mvn >/dev/null || missing+=(maven)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v openssl >/dev/null || missing+=(openssl)
plugins=/usr/share/maven-repo/org/apache/maven/plugins
for p in resources compiler jar install deploy; do
  [ -d "$plugins/maven-$p-plugin" ] || missing+=("libmaven-$p-plugin-java")
done
[ -d "$plugins/maven-surefire-plugin" ] || missing+=(libsurefire-java)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
command -v lintian >/dev/null || missing+=(lintian)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-debian-tools: not root or no apt-get; cannot install ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } \
  || echo "install-debian-tools: could not install ${missing[*]}" >&2
exit 0
