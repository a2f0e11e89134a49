#!/usr/bin/env bash
# Installs the validators the tests run (tests/tools/requirements.txt from
# PyPI, tests/tools/package.json from npm), once, and prints the folder of
# their commands: actionlint, cfn-lint, check-jsonschema, zizmor,
# sarif-multitool, and python (the venv's, with python-hcl2).
#
# They live in target/tools unless NACL_DRIFT_TOOLS says otherwise.
# Concurrent callers (parallel tests) wait on a lock, and tools whose pins
# changed are brought up to date. Exits non-zero with the reason on stderr
# when it cannot install: the tests then fail, they never skip.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
tools="${NACL_DRIFT_TOOLS:-$root/target/tools}"
python="${PYTHON:-python3}"

mkdir -p "$tools"
exec 9>"$tools.lock"
flock 9

pins=$(cat "$here/requirements.txt" "$here/package.json" "$here/package-lock.json")
if [ "$pins" != "$(cat "$tools/installed-pins" 2>/dev/null)" ]; then
  command -v "$python" >/dev/null || { echo "install-tools: $python is not installed" >&2; exit 1; }
  command -v npm >/dev/null || { echo "install-tools: npm is not installed; the SARIF validator comes from the npm registry" >&2; exit 1; }
  echo "install-tools: installing the validators into $tools" >&2
  rm -rf "$tools"
  mkdir -p "$tools/bin"
  "$python" -m venv "$tools/venv" >&2
  "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  cp "$here/package.json" "$here/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
  # The package's own postinstall would do this; install scripts stay off.
  chmod u+x "$tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
  ln -s ../venv/bin/actionlint ../venv/bin/cfn-lint ../venv/bin/check-jsonschema ../venv/bin/zizmor \
    ../node_modules/.bin/sarif-multitool "$tools/bin/"
  # Not a link: a venv's python finds its packages by the path it runs as.
  printf '#!/bin/sh\nexec "%s/venv/bin/python" "$@"\n' "$tools" > "$tools/bin/python"
  chmod +x "$tools/bin/python"
  echo "$pins" > "$tools/installed-pins"
fi
echo "$tools/bin"
