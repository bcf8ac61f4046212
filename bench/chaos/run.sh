#!/usr/bin/env bash
# Chaos run of the real binary: kill -9 mid-billing on SQLite and
# PostgreSQL, then an audit of every call's money (see bench/chaos/main.go
# and bench/README.md, "Chaos: kill -9 mid-billing").
#
#   bench/chaos/run.sh                       # 30 minutes, both engines at once
#   bench/chaos/run.sh -duration 10m -engine sqlite
#   bench/chaos/run.sh ci                    # the short version .ci/run runs (about a minute and a half)
#
# PostgreSQL: the run creates a database of its own (chaos_<tag>) on
# $VIDIVO_TEST_DATABASE_URL's server, or postgres://postgres@127.0.0.1:5432
# (trust auth), and drops it unless something was flagged. Runs under
# nice -n 10: the load is mostly waiting, the binary is the busy part.
# Exits non-zero on any violation.
set -euo pipefail
cd "$(dirname "$0")/../.."

args=()
if [ -n "${VIDIVO_TEST_DATABASE_URL:-}" ]; then
	args+=(-pg-url "$VIDIVO_TEST_DATABASE_URL")
fi
if [ "${1:-}" = "ci" ]; then
	shift
	args+=(-engine both -duration 40s -kill-every 7s -max-call 20s -workers 8 -settle-timeout 40s -plant)
fi

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ {print $2 " GiB"}') RAM; $(go version); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
go build -o /tmp/vidivo-chaos-driver.$$ ./bench/chaos
trap 'rm -f /tmp/vidivo-chaos-driver.$$' EXIT
nice -n 10 /tmp/vidivo-chaos-driver.$$ "${args[@]}" "$@"
