#!/usr/bin/env bash
# Runs one of the load programs under bench/ (PROGRAM: bench/PROGRAM)
# against the real `vidivo serve` binary on fresh databases: a new SQLite
# file in a temporary directory, and/or a dedicated PostgreSQL database
# (vidivo_bench_PROGRAM) created before and dropped after. The server and
# the load program are separate processes on 127.0.0.1. Each benchmark's
# run.sh calls it:
#
#   bash bench/serve-and-load.sh PROGRAM [sqlite|postgres|both] [flags for bench/PROGRAM…]
#
# BENCH_SERVER_ENV adds settings for the server (e.g. loopback webhook
# receivers); BENCH_SERVER_PID=1 passes the program -server-pid, for
# programs that sample the server's CPU. vidivo runs with
# VIDIVO_AUTH_RATE_LIMIT=0 (the client sign-ups), the sandbox payment
# gateway, the TURN server off, logs at info (the default) to /dev/null.
# Before each engine the script waits (up to BENCH_QUIET_WAIT seconds,
# default 30) for the machine to be idle. PostgreSQL: psql -h $PGHOST -U
# $PGUSER (default 127.0.0.1, postgres, trust auth). Exits non-zero if any
# run failed its checks.
set -euo pipefail

while read -r v; do
	unset "$v"
done < <(compgen -e | grep '^VIDIVO_' || true)

cd "$(dirname "$0")/.."
program="${1:?usage: $0 PROGRAM [sqlite|postgres|both] [flags…]}"
shift
engine="${1:-both}"
[ $# -gt 0 ] && shift
read -r -a server_env <<<"${BENCH_SERVER_ENV:-}"
pid_flag=()

PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
DBNAME="vidivo_bench_$program"
CLK_TCK=$(getconf CLK_TCK)

work="$(mktemp -d "/tmp/vidivo-bench-$program.XXXXXX")"
pg_created=""
server_pid=""
stop_server() {
	[ -n "$server_pid" ] || return 0
	kill -TERM "$server_pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	stop_server
	if [ -n "$pg_created" ]; then
		psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -q -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$work/" ./cmd/vidivo "./bench/$program"

machine_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# wait_quiet: as bench/run.sh's — waits until the whole machine uses under
# 0.3 core (2-second samples), at most BENCH_QUIET_WAIT seconds.
wait_quiet() {
	local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-30})) m0 busy
	while :; do
		m0=$(machine_busy)
		sleep 2
		busy=$(awk -v d="$(($(machine_busy) - m0))" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", d / hz / 2 }')
		if awk -v b="$busy" 'BEGIN { exit !(b < 0.3) }'; then
			echo "machine idle ($busy cores busy); load average $(cut -d' ' -f1-3 /proc/loadavg)"
			return 0
		fi
		if ((SECONDS >= deadline)); then
			echo "warning: the machine is still busy ($busy cores in use by other work); measuring anyway"
			return 0
		fi
		echo "the machine is busy ($busy cores in use); waiting"
	done
}

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ {print $2 " GiB"}') RAM; $(go version); $(date -u +%Y-%m-%dT%H:%M:%SZ)"

status=0
# bench NAME DBURL FLAGS…: one engine.
bench() {
	local name=$1 dburl=$2 addr="" m0 m1 t0 t1
	shift 2
	echo "--- $name"
	mkdir -p "$work/$name"
	env VIDIVO_DATA_DIR="$work/$name" VIDIVO_DATABASE_URL="$dburl" VIDIVO_ADDR=127.0.0.1:0 \
		VIDIVO_AUTH_RATE_LIMIT=0 VIDIVO_PUBLIC_RATE_LIMIT=0 VIDIVO_TURN_ADDR=off VIDIVO_PAYMENTS=sandbox \
		"${server_env[@]}" "$work/vidivo" serve >"$work/$name.stdout" 2>/dev/null &
	server_pid=$!
	for _ in $(seq 300); do
		addr=$(sed -n 's/^vidivo listening on \([^ ]*\).*/\1/p' "$work/$name.stdout" | head -n1)
		[ -n "$addr" ] && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$addr" ] || { echo "vidivo serve did not start" >&2; exit 1; }
	wait_quiet
	m0=$(machine_busy)
	t0=$(date +%s.%N)
	[ "${BENCH_SERVER_PID:-}" = 1 ] && pid_flag=(-server-pid "$server_pid")
	"$work/$program" -url "http://$addr" "${pid_flag[@]}" "$@" || status=1
	m1=$(machine_busy)
	t1=$(date +%s.%N)
	awk -v m="$((m1 - m0))" -v hz="$CLK_TCK" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		'BEGIN { printf "whole machine over the run: %.2f of %d cores busy\n", m / hz / w, '"$(nproc)"' }'
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	stop_server
}

run_sqlite() {
	bench sqlite "sqlite:$work/sqlite/vidivo.db" "$@"
}
run_postgres() {
	psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -q -v ON_ERROR_STOP=1 \
		-c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" -c "CREATE DATABASE $DBNAME"
	pg_created=1
	bench postgres "postgres://$PGUSER@$PGHOST:$PGPORT/$DBNAME?sslmode=disable" "$@"
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
	echo "usage: $0 PROGRAM [sqlite|postgres|both] [flags…]" >&2
	exit 2
	;;
esac
exit "$status"
