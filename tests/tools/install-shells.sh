#!/usr/bin/env bash
# Makes sure zsh and fish are installed, for the completion tests, and
# prints the folder that holds them. They come from Debian's packages
# (apt-get, as root); zsh finds its modules and completion functions only
# where its package puts them, so they cannot live in target/.
#
# Exits non-zero with the reason on stderr when it cannot install: the
# tests then fail, they never skip.
set -euo pipefail

missing=()
for shell in zsh fish; do
  command -v "$shell" >/dev/null || missing+=("$shell")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-shells: ${missing[*]} not installed, and apt-get as root is not available to install them; install Debian's ${missing[*]} package" >&2
    exit 1
  fi
  exec 9>/tmp/nacl-drift-install-shells.lock
  flock 9
  echo "install-shells: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
fi
dirname "$(command -v zsh)"
