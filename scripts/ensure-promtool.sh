#!/usr/bin/env bash
# The ops checks (tests/unit/test_ops_config.py) run `promtool check rules|config` on deploy/:
# install Debian's prometheus package, which provides promtool, if it is missing.
# Idempotent; needs root (as on CI machines) only when it has to install.
set -eu
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
echo "promtool missing: installing Debian's prometheus package"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
# --no-install-recommends: promtool only, not the exporters and the web console.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
promtool --version
