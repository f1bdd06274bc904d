#!/usr/bin/env bash
# The side-by-side benchmark of issue 20: Poetry and uv resolve a project of 50 packages from a
# loopback index that requires Basic auth, with the token from ecluse-cred's keyring backend
# (warm cache) or from keyrings.google-artifactregistry-auth (against a loopback GCE metadata
# server), and the credential lookups' share of each run.
#
#   bash benches/python_keyring/run.sh        # BENCH_RUNS=N runs per tool and backend (default 2)
#   BENCH_LOOKUPS=N (default 50): the direct lookups per kind and side; BENCH_TOOLS=poetry|uv:
#   one tool only; --install-only: install the venvs and stop.
#
# Needs root (or user namespaces) for `unshare -m`: the peer answers only hosts ending in
# .pkg.dev, so every measured command runs in a private mount namespace whose /etc/hosts maps
# us-python.pkg.dev to 127.0.0.1. Installs Poetry, uv, keyring and
# keyrings.google-artifactregistry-auth from PyPI into venvs under target/bench-tools/ (once),
# and uses target/release/ecluse-cred (built if missing). Prints a table and exits non-zero,
# naming each missed goal, when a lookup through ecluse-cred costs more than 5 ms (median) or
# less than 100x less than the peer's. Method: docs/benchmarks.md, "Python tools side by side".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$root/target/bench-tools"
exe="$root/target/release/ecluse-cred"
peer_version="1.1.2"

venv() { # venv NAME PACKAGE...: a fresh venv with PACKAGEs, once
  local dir="$tools/$1"
  shift
  [ -f "$dir/.complete" ] && return 0
  rm -rf "$dir"
  python3 -m venv "$dir"
  PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= "$dir/bin/pip" install --quiet \
    --disable-pip-version-check "$@"
  touch "$dir/.complete"
}
mkdir -p "$tools"
venv poetry poetry                                                   # ecluse-cred's side
venv poetry-gar poetry "keyrings.google-artifactregistry-auth==$peer_version"  # the peer's
venv uv uv
venv keyring-gar keyring "keyrings.google-artifactregistry-auth==$peer_version" # uv's `keyring`
if [ "${1-}" = "--install-only" ]; then exit 0; fi

if [ ! -x "$exe" ] || ! "$exe" setup poetry --help >/dev/null 2>&1; then
  (cd "$root" && cargo build --release --locked --bin ecluse-cred)
fi
unshare -m true 2>/dev/null || {
  echo "python keyring benchmark: not run; it needs a private mount namespace (unshare -m, root)" >&2
  exit 2
}
exec python3 "$here/bench.py" --root "$root" --tools "$tools" --exe "$exe"
