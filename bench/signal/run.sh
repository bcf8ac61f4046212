#!/usr/bin/env bash
# Load-tests the signaling Hub against the bare coder/websocket relay, each
# in its own server process, from a separate client process, and prints the
# table with hub/bare ratios. Everything listens on loopback.
#
#   bash bench/signal/run.sh
#
# Settings (environment):
#   BENCH_SIGNAL_PAIRS     calls, two sockets each          (default 5000)
#   BENCH_SIGNAL_RATES     relay rates to measure, msg/s    (default 1000,4000)
#   BENCH_SIGNAL_DURATION  measured time per rate           (default 15s)
#   BENCH_SIGNAL_KEEP=DIR  copy the JSON results and logs to DIR
set -euo pipefail

PAIRS=${BENCH_SIGNAL_PAIRS:-5000}
RATES=${BENCH_SIGNAL_RATES:-1000,4000}
DURATION=${BENCH_SIGNAL_DURATION:-15s}

# Each process holds one descriptor per socket: raise the soft limit.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * PAIRS + 100)) ]; then
	echo "ulimit -n is $(ulimit -n): too low for $((2 * PAIRS)) sockets" >&2
	exit 2
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vidivo-signal-bench.XXXXXX")
SERVER_PID=""
cleanup() {
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
	if [ -n "${BENCH_SIGNAL_KEEP:-}" ]; then mkdir -p "$BENCH_SIGNAL_KEEP" && cp "$WORK"/*.json "$WORK"/*.log "$BENCH_SIGNAL_KEEP"/ 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$ROOT" && go build -o "$WORK/signal" ./bench/signal)

# run LABEL PORT [server flags…]
run() {
	local label=$1 port=$2
	shift 2
	"$WORK/signal" server -addr "127.0.0.1:$port" "$@" >"$WORK/$label.server.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do
		grep -q listening "$WORK/$label.server.log" && break
		sleep 0.1
	done
	"$WORK/signal" client -url "ws://127.0.0.1:$port/signal/ws" -pairs "$PAIRS" -server-pid "$SERVER_PID" \
		-rates "$RATES" -duration "$DURATION" -label "$label" -out "$WORK/$label.json" | tee "$WORK/$label.client.log"
	kill "$SERVER_PID"
	wait "$SERVER_PID" || true
	SERVER_PID=""
}

run bare 9301 -bare
sleep 2 # let the first run's sockets close
run hub 9300
echo
"$WORK/signal" report "$WORK/bare.json" "$WORK/hub.json"
