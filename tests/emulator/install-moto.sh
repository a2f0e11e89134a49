#!/usr/bin/env bash
# Installs the pinned moto server (tests/emulator/requirements.txt) into a
# virtualenv, once, and prints the virtualenv's path.
#
# The virtualenv lives in target/moto-venv unless NACL_DRIFT_MOTO_VENV says
# otherwise. Concurrent callers (parallel tests) wait on a lock, and a venv
# whose requirements changed is brought up to date. Exits non-zero with the
# reason on stderr when it cannot install.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
requirements="$root/tests/emulator/requirements.txt"
venv="${NACL_DRIFT_MOTO_VENV:-$root/target/moto-venv}"
python="${PYTHON:-python3}"

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if ! cmp -s "$requirements" "$venv/installed-requirements.txt" 2>/dev/null; then
  command -v "$python" >/dev/null || { echo "install-moto: $python is not installed; moto needs Python 3.9 or later" >&2; exit 1; }
  echo "install-moto: installing $(grep -v '^#' "$requirements" | xargs) into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
  cp "$requirements" "$venv/installed-requirements.txt"
fi
echo "$venv"
