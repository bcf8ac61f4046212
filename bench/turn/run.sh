#!/usr/bin/env bash
# The embedded TURN relay against coturn, same machine, same method: starts
# the real `vidivo serve` (its TURN listener with its real configuration)
# and Debian's coturn (/usr/bin/turnserver) configured alike — the same
# REST-API secret (static-auth-secret), UDP on loopback, no TLS, relay
# ports from the kernel's ephemeral range, the same denied peer ranges,
# 127.0.0.1 allowed as a peer for the measurement only — then runs the load
# generator (bench/turn, its own process) against each, alternating which
# goes first each round, and prints each round's table with the ratios
# vidivo / coturn. Everything listens on 127.0.0.1.
#
#   bash bench/turn/run.sh
#   BENCH_TURN_ROUNDS=1 BENCH_TURN_ARGS="-sizes 160 -step 2s" bash bench/turn/run.sh
#
# Settings (environment):
#   BENCH_TURN_ROUNDS  rounds, each measuring both servers   (default 2)
#   BENCH_TURN_ARGS    extra flags for `turn load` (go doc ./bench/turn)
#   BENCH_TURN_PORT    vidivo's TURN port; coturn gets +1, the API +15000 (default 3480)
#   BENCH_TURN_KEEP=DIR  copy the JSON results and logs to DIR
#   BENCH_TURN_VIDIVO=BIN  run this vidivo binary instead of building the tree's
#   BENCH_TURN_BEFORE=BIN  also run this vidivo binary (e.g. a build from before a
#                      change) as a third server, "vidivo-before", on port +2 (API
#                      +15002), in every round: before and after under the same load
#
# The order rotates every round (coturn, vidivo[, vidivo-before]; then
# starting with the next), so that no server is always measured first.
set -euo pipefail

ROUNDS=${BENCH_TURN_ROUNDS:-2}
PORT=${BENCH_TURN_PORT:-3480}
COTURN_PORT=$((PORT + 1))
API_PORT=$((PORT + 15000))
TURNSERVER=${TURNSERVER:-/usr/bin/turnserver}

if [ ! -x "$TURNSERVER" ]; then
	echo "coturn is not installed ($TURNSERVER): apt-get install coturn" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vidivo-turn-bench.XXXXXX")
VIDIVO_PID="" COTURN_PID="" BEFORE_PID=""
cleanup() {
	for p in $VIDIVO_PID $COTURN_PID $BEFORE_PID; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	if [ -n "${BENCH_TURN_KEEP:-}" ]; then mkdir -p "$BENCH_TURN_KEEP" && cp "$WORK"/*.json "$WORK"/*.log "$BENCH_TURN_KEEP"/ 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$ROOT" && go build -o "$WORK/turn" ./bench/turn)
if [ -n "${BENCH_TURN_VIDIVO:-}" ]; then cp "$BENCH_TURN_VIDIVO" "$WORK/vidivo"; else (cd "$ROOT" && go build -o "$WORK/vidivo" ./cmd/vidivo); fi
SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
PION=$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/pion/turn/v4)
VIDIVO_VERSION="$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- turn cmd || echo +changes) (pion/turn $PION, $(go version | cut -d' ' -f3))"
if [ -n "${BENCH_TURN_VIDIVO:-}" ]; then VIDIVO_VERSION="$(basename "$BENCH_TURN_VIDIVO") (pion/turn $PION)"; fi
SERVERS="coturn vidivo"
if [ -n "${BENCH_TURN_BEFORE:-}" ]; then
	cp "$BENCH_TURN_BEFORE" "$WORK/vidivo-before"
	BEFORE_VERSION="$(basename "$BENCH_TURN_BEFORE") (pion/turn $PION)"
	SERVERS="coturn vidivo vidivo-before"
fi
COTURN_VERSION="$("$TURNSERVER" --version 2>&1 | tail -1) (Debian)"
MIN_PORT=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
MAX_PORT=$(cut -f2 /proc/sys/net/ipv4/ip_local_port_range)

# wait_for FILE PATTERN: until the log says the server is up.
wait_for() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "not ready: $1" >&2
	cat "$1" >&2
	exit 1
}

# vidivo: the real binary, SQLite in a fresh data dir, its TURN listener
# on loopback (relay address 127.0.0.1, relay ports chosen by the kernel),
# no per-participant quota (coturn's user-quota is off by default too).
# start_vidivo NAME TURN_PORT API_PORT: starts $WORK/NAME, logging to $WORK/NAME.log.
start_vidivo() {
	env -i PATH="$PATH" HOME="$WORK" \
		VIDIVO_ADDR="127.0.0.1:$3" VIDIVO_PUBLIC_URL="http://127.0.0.1:$3" VIDIVO_DATA_DIR="$WORK/data-$1" \
		VIDIVO_METRICS_ADDR=off VIDIVO_PAYMENTS=sandbox \
		VIDIVO_TURN_ADDR="127.0.0.1:$2" VIDIVO_TURN_SECRET="$SECRET" VIDIVO_TURN_ALLOW_PEERS=127.0.0.1 \
		VIDIVO_TURN_USER_QUOTA=0 \
		"$WORK/$1" serve >"$WORK/$1.log" 2>&1 &
}
start_vidivo vidivo "$PORT" "$API_PORT"
VIDIVO_PID=$!
wait_for "$WORK/vidivo.log" "TURN server listening"
if [ -n "${BENCH_TURN_BEFORE:-}" ]; then
	start_vidivo vidivo-before $((PORT + 2)) $((API_PORT + 2))
	BEFORE_PID=$!
	wait_for "$WORK/vidivo-before.log" "TURN server listening"
fi

# coturn with the same secret, realm and peer rules (the ranges of
# turn.deniedPeers, as coturn's inclusive ranges; IPv6 outside 2000::/3
# as two ranges), relay ports in the same range as the kernel's.
cat >"$WORK/turnserver.conf" <<EOF
listening-ip=127.0.0.1
listening-port=$COTURN_PORT
relay-ip=127.0.0.1
min-port=$MIN_PORT
max-port=$MAX_PORT
realm=vidivo
use-auth-secret
static-auth-secret=$SECRET
fingerprint
no-tls
no-dtls
no-cli
allow-loopback-peers
allowed-peer-ip=127.0.0.1
denied-peer-ip=0.0.0.0-0.255.255.255
denied-peer-ip=10.0.0.0-10.255.255.255
denied-peer-ip=100.64.0.0-100.127.255.255
denied-peer-ip=127.0.0.0-127.255.255.255
denied-peer-ip=169.254.0.0-169.254.255.255
denied-peer-ip=172.16.0.0-172.31.255.255
denied-peer-ip=192.0.0.0-192.0.0.255
denied-peer-ip=192.0.2.0-192.0.2.255
denied-peer-ip=192.88.99.0-192.88.99.255
denied-peer-ip=192.168.0.0-192.168.255.255
denied-peer-ip=198.18.0.0-198.19.255.255
denied-peer-ip=198.51.100.0-198.51.100.255
denied-peer-ip=203.0.113.0-203.0.113.255
denied-peer-ip=224.0.0.0-255.255.255.255
denied-peer-ip=::-1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
denied-peer-ip=4000::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
denied-peer-ip=2001::-2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff
denied-peer-ip=2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff
denied-peer-ip=2002::-2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff
log-file=$WORK/coturn.log
simple-log
pidfile=$WORK/coturn.pid
userdb=$WORK/turndb
EOF
"$TURNSERVER" -c "$WORK/turnserver.conf" >"$WORK/coturn.stdout.log" 2>&1 &
COTURN_PID=$!
wait_for "$WORK/coturn.log" "Total General servers"

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1); $(date -u +%Y-%m-%dT%H:%M:%SZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "vidivo: $VIDIVO_VERSION; coturn: $COTURN_VERSION${BEFORE_VERSION:+; vidivo-before: $BEFORE_VERSION}"

# load LABEL
load() {
	local label=$1 port pid version
	case $label in
	vidivo) port=$PORT pid=$VIDIVO_PID version=$VIDIVO_VERSION ;;
	vidivo-before) port=$((PORT + 2)) pid=$BEFORE_PID version=$BEFORE_VERSION ;;
	*) port=$COTURN_PORT pid=$COTURN_PID version=$COTURN_VERSION ;;
	esac
	# shellcheck disable=SC2086 # BENCH_TURN_ARGS is a list of flags
	"$WORK/turn" load -server "127.0.0.1:$port" -secret "$SECRET" -server-pid "$pid" -label "$label" \
		-version "$version" -out "$WORK/$label.$round.json" ${BENCH_TURN_ARGS:-} | tee -a "$WORK/load.log"
	sleep 2 # let the last deallocations pass
}

# rotated N: the servers, starting with the Nth (from 0), wrapping around.
rotated() {
	local list=($SERVERS) i
	for i in $(seq 0 $((${#list[@]} - 1))); do echo "${list[$(((i + $1) % ${#list[@]}))]}"; done
}

for round in $(seq "$ROUNDS"); do
	echo
	echo "round $round"
	for s in $(rotated $((round - 1))); do load "$s"; done
	echo
	files=()
	for s in $SERVERS; do files+=("$WORK/$s.$round.json"); done
	"$WORK/turn" report "${files[@]}" | tee -a "$WORK/report.log"
done
