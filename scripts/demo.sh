#!/usr/bin/env bash
# The main job on the local lab: bring up five hosts, converge the whole stack, verify it through
# the VIP. Leaves the lab running; `node bin/provision.js lab down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
node bin/provision.js lab up
node bin/provision.js apply -i inventory/lab.yml --yes
node bin/provision.js apply -i inventory/lab.yml --yes
node bin/provision.js verify -i inventory/lab.yml
