#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a downloaded one): install it if missing.
# Idempotent; needs root (as on CI machines) only when it has to install.
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "chromium missing: installing Debian's chromium package"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
