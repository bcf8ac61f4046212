#!/usr/bin/env bash
# Runs the concurrent billed calls benchmark (bench/calls) on fresh
# databases: a new SQLite file in a temporary directory, and/or a dedicated
# PostgreSQL database (vidivo_bench_calls) created before and dropped after.
#
#   bench/calls/run.sh [sqlite|postgres|both] [flags for bench/calls…]
#   bench/calls/run.sh both -calls 10000 -duration 3m
#
# PostgreSQL: psql -h $PGHOST -U $PGUSER (default 127.0.0.1, postgres, trust
# auth). Exits non-zero if any run failed its verdict.
set -euo pipefail

cd "$(dirname "$0")/../.."
engine="${1:-both}"
[ $# -gt 0 ] && shift

PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
DBNAME="vidivo_bench_calls"

work="$(mktemp -d /tmp/vidivo-bench-calls.XXXXXX)"
pg_created=""
cleanup() {
	if [ -n "$pg_created" ]; then
		psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -q -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/bench-calls" ./bench/calls

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ {print $2 " GiB"}') RAM; $(go version); $(date -u +%Y-%m-%dT%H:%M:%SZ)"

status=0
run_sqlite() {
	echo "--- sqlite"
	"$work/bench-calls" -database-url "sqlite:$work/bench.db" "$@" || status=1
	rm -f "$work"/bench.db*
}
run_postgres() {
	echo "--- postgres"
	psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -q -v ON_ERROR_STOP=1 \
		-c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" -c "CREATE DATABASE $DBNAME"
	pg_created=1
	"$work/bench-calls" -database-url "postgres://$PGUSER@$PGHOST:$PGPORT/$DBNAME?sslmode=disable" "$@" || status=1
	psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -q -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)"
	pg_created=""
}

case "$engine" in
sqlite) run_sqlite "$@" ;;
postgres) run_postgres "$@" ;;
both)
	run_sqlite "$@"
	run_postgres "$@"
	;;
*)
	echo "usage: $0 [sqlite|postgres|both] [flags…]" >&2
	exit 2
	;;
esac
exit "$status"
