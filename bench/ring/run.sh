#!/usr/bin/env bash
# Runs the fleet ring benchmark (bench/ring): two `vidivo serve` on one
# fresh PostgreSQL database (vidivo_bench_ring, dropped after) and NATS
# (VIDIVO_NATS_URL, default nats://127.0.0.1:4222, JetStream on), then
# joins on the second and times the ring on the first. "alone" runs one
# instance without NATS instead (joins and stream on it), for comparison.
#
#   bench/ring/run.sh [fleet|alone] [flags for bench/ring…]   # e.g. fleet -n 200
set -euo pipefail
mode="${1:-fleet}"
[ $# -gt 0 ] && shift

cd "$(dirname "$0")/../.."
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
NATS="${VIDIVO_NATS_URL:-nats://127.0.0.1:4222}"
DBNAME="vidivo_bench_ring"
A=127.0.0.1:9410
B=127.0.0.1:9411

work="$(mktemp -d /tmp/vidivo-bench-ring.XXXXXX)"
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -q -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/vidivo" ./cmd/vidivo
go build -o "$work/ring" ./bench/ring
psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -q -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" -c "CREATE DATABASE $DBNAME"

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1); $(go version); $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# One data dir: the first instance makes the signing keys, the second reads them.
start() {
	(cd "$work" && VIDIVO_DATA_DIR="$work/data" VIDIVO_DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DBNAME?sslmode=disable" \
		VIDIVO_NATS_URL="$3" VIDIVO_PAYMENTS=sandbox VIDIVO_PUBLIC_RATE_LIMIT=0 VIDIVO_AUTH_RATE_LIMIT=0 VIDIVO_LOG_LEVEL=warn \
		exec "$work/vidivo" serve --addr "$1" --turn-addr 127.0.0.1:0 >"$work/$2.log" 2>&1) &
	pids+=($!)
	for _ in $(seq 100); do
		curl -fs "http://$1/readyz" >/dev/null && return 0
		sleep 0.1
	done
	echo "instance $2 did not become ready:" >&2
	cat "$work/$2.log" >&2
	exit 1
}
case "$mode" in
fleet)
	start "$A" a "$NATS"
	start "$B" b "$NATS"
	"$work/ring" -a "http://$A" -b "http://$B" "$@"
	;;
alone)
	start "$A" a ""
	"$work/ring" -a "http://$A" -b "http://$A" "$@"
	;;
*)
	echo "usage: $0 [fleet|alone] [flags…]" >&2
	exit 2
	;;
esac
