#!/usr/bin/env bash
# Installs the AWS CLI (v1, from PyPI) into target/bench-venv for the side-by-side benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
[ -x "$venv/bin/aws" ] && exit 0
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check awscli
"$venv/bin/aws" --version
