#!/usr/bin/env bash
# Installs pip, keyring, keyrings.codeartifact and boto3 into target/bench-pip-venv for the
# side-by-side pip benchmark (benches/pip.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-pip-venv
[ -f "$venv/.complete" ] && exit 0
python3 -m venv "$venv"
PIP_CONFIG_FILE=/dev/null "$venv/bin/pip" install --quiet --disable-pip-version-check \
  "pip>=26.2" keyring keyrings.codeartifact boto3
touch "$venv/.complete"
"$venv/bin/pip" list 2>/dev/null | grep -Ei '^(pip|keyring|keyrings.codeartifact|boto3) '
