#!/usr/bin/env bash
# Packages nacl-drift's guard as a Lambda function (runtime provided.al2023,
# arm64): the binary as `bootstrap`, the reviewed baselines beside it in
# baselines/, and the project's config file as nacl-drift.toml when there is
# one. examples/lambda/template.yaml deploys the package it writes.
#
#   examples/lambda/build.sh [--baseline-dir DIR] [--config FILE] [--binary FILE] [--out DIR]
#
#   --baseline-dir  the reviewed baselines            [default: baselines]
#   --config        the project's nacl-drift.toml     [default: none]
#   --binary        a nacl-drift built already, for the function's platform
#                   [default: built for arm64 Linux with cargo-lambda,
#                   `pip install cargo-lambda`, which brings its own zig]
#   --out           the package's folder              [default: target/lambda/nacl-drift]
#
# The baselines (and the config) are checked with `nacl-drift validate` first:
# the function enforces what git holds, so CI runs this on every merge and
# deploys the result. Only the package's folder is written.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
baselines=baselines
config=
binary=
out="$root/target/lambda/nacl-drift"

while [ $# -gt 0 ]; do
  case "$1" in
    --baseline-dir) baselines=${2:?--baseline-dir needs a folder}; shift 2 ;;
    --config) config=${2:?--config needs a file}; shift 2 ;;
    --binary) binary=${2:?--binary needs a file}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    *) echo "build.sh: unknown argument $1 (see the comment at the top of $0)" >&2; exit 1 ;;
  esac
done

[ -d "$baselines" ] || { echo "build.sh: no baselines folder $baselines: run \`nacl-drift snapshot\` first, or pass --baseline-dir" >&2; exit 1; }
[ -z "$config" ] || [ -f "$config" ] || { echo "build.sh: no config file $config" >&2; exit 1; }

# The checks run on a nacl-drift of this machine: --binary when it runs
# here, else the one on PATH, else a build.
if [ -n "$binary" ] && "$binary" --version >/dev/null 2>&1; then
  check=("$binary")
elif command -v nacl-drift >/dev/null; then
  check=(nacl-drift)
else
  check=(cargo run --quiet --release --manifest-path "$root/Cargo.toml" --)
fi
config_args=()
[ -z "$config" ] || config_args=(--config "$config")
"${check[@]}" validate "${config_args[@]}" --baseline-dir "$baselines" >&2

if [ -z "$binary" ]; then
  command -v cargo-lambda >/dev/null || { echo "build.sh: cargo-lambda is not installed (pip install cargo-lambda), and no --binary was given" >&2; exit 1; }
  (cd "$root" && cargo lambda build --release --arm64 --bin nacl-drift >&2)
  binary="$root/target/lambda/nacl-drift/bootstrap"
fi
[ -x "$binary" ] || { echo "build.sh: $binary is not an executable" >&2; exit 1; }

mkdir -p "$out"
if [ "$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")" != "$(cd "$out" && pwd)/bootstrap" ]; then
  cp "$binary" "$out/bootstrap"
fi
rm -rf "$out/baselines" "$out/nacl-drift.toml"
cp -R "$baselines" "$out/baselines"
[ -z "$config" ] || cp "$config" "$out/nacl-drift.toml"
echo "build.sh: packaged $(find "$out/baselines" -name '*.yaml' | wc -l) baselines in $out" >&2
echo "$out"
