#!/usr/bin/env bash
# The whole test suite (README's test command; .ci/run adds formatting and lints): the tools
# the real-client tests drive (Debian's packages, as root), every crate's tests, then what users
# install without a Rust toolchain: the .deb, the release archive and its .sha256 built into
# target/dist/ with every crate's publish dry run (scripts/release.sh), both installed and used
# on a freshly bootstrapped Debian (tests/dist/debian.sh; docs/packaging.md). A tool that cannot
# be had is skipped, saying so, unless ECLUSE_TEST_REQUIRE names it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real servers and clients some tests drive (skopeo, docker-registry, htpasswd, redis-server,
# maven), and the packaging's tools (debootstrap, lintian).
bash tests/tools/install-debian-tools.sh

cargo test --locked
# A developer's tree may hold uncommitted changes; CI's clean clone must not.
if [ -n "${CI:-}" ]; then bash scripts/release.sh; else bash scripts/release.sh --allow-dirty; fi
bash tests/dist/debian.sh
