#!/bin/sh
# Runs the official Kintone clients (@kintone/rest-api-client, @kintone/cli) against the bundled
# emulator: installs the pinned packages when needed, then runs the node:test suite with TAP
# output (it ends with "# pass N" / "# fail N"). Exit status is the test run's.
set -eu
cd "$(dirname "$0")"

# (Re)install only when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund >&2
    touch node_modules
fi

exec node --test --test-reporter=tap official-clients.test.mjs auth-modes.test.mjs
