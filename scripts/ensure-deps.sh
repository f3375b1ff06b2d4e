#!/usr/bin/env bash
# Installs what the project needs on a Debian 12 machine, once: npm packages from the lockfile and
# the Debian packages the lab and the tests use. Re-running is cheap (stamps).
set -euo pipefail
cd "$(dirname "$0")/.."

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.scaleup-lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.scaleup-lock-sum
fi

if [ "$(id -u)" = 0 ]; then
  need=()
  for cmd_pkg in mmdebstrap:mmdebstrap systemd-nspawn:systemd-container dpkg-scanpackages:dpkg-dev ip:iproute2 \
                 ssh:openssh-client ssh-keygen:openssh-client curl:curl tmux:tmux flock:util-linux chromium:chromium \
                 pebble:pebble pebble-challtestsrv:pebble openssl:openssl; do
    command -v "${cmd_pkg%%:*}" >/dev/null 2>&1 || need+=("${cmd_pkg##*:}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

# The bundled CLI starts in a fraction of the time the TypeScript sources take (bin/provision.js
# falls back to the sources whenever they are newer than the bundle).
npm run --silent build
