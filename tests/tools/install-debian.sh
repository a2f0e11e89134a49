#!/usr/bin/env bash
# Makes sure the tests' programs from Debian's packages are installed, and
# prints the folder that holds them (/usr/bin): zsh and fish, for the
# completion tests; Chromium and its ChromeDriver, for the HTML report's
# test in a real browser. They come from Debian's packages (apt-get, as
# root): zsh finds its modules and completion functions only where its
# package puts them, and a test tool's download of its own browser cannot
# be reached, so none of them can live in target/.
#
# Exits non-zero with the reason on stderr when it cannot install: the
# tests then fail, they never skip.
set -euo pipefail

# Each package, and the command that shows it is installed.
packages=(zsh:zsh fish:fish chromium:chromium chromium-driver:chromedriver)

missing=()
for package in "${packages[@]}"; do
  command -v "${package#*:}" >/dev/null || missing+=("${package%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-debian: ${missing[*]} not installed, and apt-get as root is not available to install them; install Debian's ${missing[*]} packages" >&2
    exit 1
  fi
  exec 9>/tmp/nacl-drift-install-debian.lock
  flock 9
  echo "install-debian: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
fi
dirname "$(command -v zsh)"
