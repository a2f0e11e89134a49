#!/usr/bin/env bash
# Builds nacl-drift's wheel with maturin (a release build), installs it into
# a fresh virtualenv and runs it; then installs the pre-commit hooks'
# package (the root pyproject.toml) with that wheel as its only source of
# nacl-drift, and runs the hooks' commands. Not part of the test command:
# it needs a release build (minutes, from cold).
#
#   packaging/pypi/check-wheel.sh
#
# Works in target/wheel-check; prints "wheel check passed" at the end.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work="$root/target/wheel-check"
python="${PYTHON:-python3}"
# maturin's version, pinned (PyPI).
maturin_version=1.16.0

rm -rf "$work"
mkdir -p "$work/wheels"
version=$(cd "$root" && cargo metadata --no-deps --format-version 1 |
  "$python" -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "nacl-drift"))')
echo "check-wheel: nacl-drift $version" >&2

"$python" -m venv "$work/build"
"$work/build/bin/pip" install --quiet --disable-pip-version-check "maturin==$maturin_version"
(cd "$root/packaging/pypi" && "$work/build/bin/maturin" build --release --out "$work/wheels")
wheel=$(ls "$work/wheels"/nacl_drift-"$version"-*.whl)
echo "check-wheel: built $(basename "$wheel")" >&2

# The wheel alone, in a fresh virtualenv: the binary is on its PATH.
"$python" -m venv "$work/user"
"$work/user/bin/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
reported=$("$work/user/bin/nacl-drift" --version)
if [ "$reported" != "nacl-drift $version" ]; then
  echo "check-wheel: the installed binary says '$reported', not 'nacl-drift $version'" >&2
  exit 1
fi
"$work/user/bin/nacl-drift" validate --baseline-dir "$root/baselines" >/dev/null

# The pre-commit hooks' package, as pre-commit installs it for
# `language: python`: nacl-drift comes from the wheel, nothing compiles.
"$python" -m venv "$work/hooks"
"$work/hooks/bin/pip" install --quiet --disable-pip-version-check "setuptools>=70.1"
"$work/hooks/bin/pip" install --quiet --disable-pip-version-check --no-build-isolation \
  --no-index --find-links "$work/wheels" "$root"
(cd "$root" && "$work/hooks/bin/nacl-drift" validate baselines/123456789012/us-east-1/vpc-0fdb95690278abf19.yaml >/dev/null)
echo "wheel check passed: $(basename "$wheel") installs and runs; the pre-commit hooks install it without Rust"
