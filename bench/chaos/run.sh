#!/usr/bin/env bash
# Chaos run of the real binary: kill -9 mid-billing on SQLite and
# PostgreSQL, then an audit of every call's money (see bench/chaos/main.go
# and bench/README.md, "Chaos: kill -9 mid-billing").
#
#   bench/chaos/run.sh                       # 30 minutes, both engines at once
#   bench/chaos/run.sh -duration 10m -engine sqlite
#   bench/chaos/run.sh -engine postgres -fleet 2 -duration 15m   # two instances behind nginx, one killed at a time
#   bench/chaos/run.sh ci                    # the short versions .ci/run runs: both engines, then a fleet (about 3 minutes)
#
# PostgreSQL: the run creates a database of its own (chaos_<tag>) on
# $VIDIVO_TEST_DATABASE_URL's server, or postgres://postgres@127.0.0.1:5432
# (trust auth), and drops it unless something was flagged. Runs under
# nice -n 10: the load is mostly waiting, the binary is the busy part.
# A fleet (-fleet N) needs PostgreSQL, NATS on 127.0.0.1:4222 (-nats-url)
# and nginx. Exits non-zero on any violation.
set -euo pipefail
cd "$(dirname "$0")/../.."

args=()
if [ -n "${VIDIVO_TEST_DATABASE_URL:-}" ]; then
	args+=(-pg-url "$VIDIVO_TEST_DATABASE_URL")
fi
ci=
if [ "${1:-}" = "ci" ]; then
	shift
	ci=1
	args+=(-duration 40s -kill-every 7s -max-call 20s -workers 8 -settle-timeout 40s -plant)
fi

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ {print $2 " GiB"}') RAM; $(go version); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
go build -o /tmp/vidivo-chaos-driver.$$ ./bench/chaos
trap 'rm -f /tmp/vidivo-chaos-driver.$$ /tmp/vidivo-chaos-bin.$$' EXIT
if [ -z "$ci" ]; then
	nice -n 10 /tmp/vidivo-chaos-driver.$$ "${args[@]}" "$@"
	exit
fi
# CI: one server on each engine at once, then a fleet of two behind nginx
# on PostgreSQL, which also waits (at most 60 s) for the jobs the killed
# instances were running to be rescued; one build of the binary for both.
go build -o /tmp/vidivo-chaos-bin.$$ ./cmd/vidivo
args+=(-binary /tmp/vidivo-chaos-bin.$$)
nice -n 10 /tmp/vidivo-chaos-driver.$$ "${args[@]}" -engine both -rescue-wait 0 "$@"
nice -n 10 /tmp/vidivo-chaos-driver.$$ "${args[@]}" -engine postgres -fleet 2 -rescue-wait 60s "$@"
