#!/usr/bin/env bash
# The side-by-side benchmark of issue 21: the cached `docker-credential-ecluse get` against
# `docker-credential-ecr-login get` (Debian's amazon-ecr-credential-helper), both against a
# loopback fake of ECR's GetAuthorizationToken, and 50 concurrent cold callers per side.
#
#   bash benches/ecr_helper/run.sh      # BENCH_RUNS=N warm calls per side (default 300),
#                                       # BENCH_CALLERS=N cold callers per side (default 50)
#
# Installs amazon-ecr-credential-helper with apt-get when it is missing and we are root (else
# exits 2 saying why), builds target/release/ecluse-cred and ecluse-cred-mint when missing,
# then runs bench.py (stdlib Python, openssl for a throwaway CA). Prints a table and exits 1,
# naming each missed goal, unless ecluse-cred's cached get is faster than the peer's and its
# cold callers make one GetAuthorizationToken call. Method: docs/benchmarks.md, "ECR side by
# side".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v docker-credential-ecr-login >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      amazon-ecr-credential-helper >/dev/null
  else
    echo "ecr helper benchmark: not run; docker-credential-ecr-login is missing and installing" \
      "amazon-ecr-credential-helper needs root and apt-get" >&2
    exit 2
  fi
fi
for tool in openssl python3; do
  command -v "$tool" >/dev/null || {
    echo "ecr helper benchmark: not run; $tool is missing" >&2
    exit 2
  }
done
if [ ! -x "$root/target/release/ecluse-cred" ] || [ ! -x "$root/target/release/ecluse-cred-mint" ]; then
  (cd "$root" && cargo build --release --offline --locked -p ecluse-cred -p ecluse-cred-mint)
fi
echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown);" \
  "$("$root/target/release/ecluse-cred" --version);" \
  "amazon-ecr-credential-helper $(dpkg-query -W -f '${Version}' amazon-ecr-credential-helper 2>/dev/null || echo '?')" \
  "(its version command: $(docker-credential-ecr-login version 2>/dev/null || echo '?'))"
exec python3 "$here/bench.py" --root "$root"
