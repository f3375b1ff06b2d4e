#!/usr/bin/env bash
# Every suite: type check, unit tests, then the lab suites (need root: they start real hosts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc --noEmit -p .
npx vitest run --project unit
if [ "$(id -u)" != 0 ]; then
  echo "lab suites skipped: they need root (they create network namespaces and mounts)" >&2
  exit 1
fi
npx vitest run --project lab
