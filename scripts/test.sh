#!/usr/bin/env bash
# The test command: installs the system packages the tests use (as root with apt), then runs the
# whole Maven build with every test. Extra arguments go to Maven (e.g. -pl sandbox).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/system-packages.sh" test
cd "$root"
exec mvn -B verify "$@"
