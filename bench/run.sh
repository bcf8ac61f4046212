#!/usr/bin/env bash
# Benchmarks one route of the real `vidivo serve` binary over HTTP, against
# the bare baseline server (bench/baseline) where there is one, on SQLite and
# — when it is reachable — PostgreSQL. Load comes from bench/loadgen and, if
# installed, from wrk. Everything listens on 127.0.0.1 only.
#
#   bash bench/run.sh                         # GET /v1/users/me
#   BENCH_ROUTE=link_info bash bench/run.sh   # GET /v1/calls/links/{code}/info
#   BENCH_ROUTE=schedule bash bench/run.sh    # GET /v1/schedule/{username}
#
# Settings (environment):
#   BENCH_ROUTE     the route to load                      (default users_me)
#                   users_me   GET /v1/users/me with a client's token;
#                              servers vidivo (info), vidivo (warn), baseline
#                   link_info  GET /v1/calls/links/{code}/info, no token: a
#                              host with payouts connected and one link
#                              ($2.50/min, 10-min windows); same servers
#                   schedule   GET /v1/schedule/{username}?start_date=
#                              <tomorrow>&end_date=<tomorrow+6> (host dates),
#                              no token: the host above, with a working week
#                              in Europe/Berlin (30-min slots) and 6 bookings;
#                              servers vidivo (info), vidivo (warn)
#   BENCH_SERVERS   override the servers loaded, from
#                   "vidivo-info vidivo-warn baseline"
#   BENCH_DURATION  measured time per run          (default 10s)
#   BENCH_WARMUP    loadgen warm-up per run        (default 2s)
#   BENCH_CONNS     concurrent connections         (default 32)
#   BENCH_ROUNDS    rounds; each loads every server once per load generator
#                   and the table shows the median  (default 2)
#   BENCH_ENGINES   engines to try                 (default "sqlite postgres")
#   BENCH_PG_HOST / BENCH_PG_PORT / BENCH_PG_USER / BENCH_PG_DB
#                   PostgreSQL server and the database psql connects to in
#                   order to create and drop vidivo_bench
#                   (default 127.0.0.1 / 5432 / postgres / test)
#   BENCH_NO_WRK=1  skip wrk even if it is installed
#   BENCH_KEEP=DIR  copy the raw outputs of every run to DIR
#   BENCH_QUIET_WAIT  seconds to wait, before each engine and each run, for
#                   other work on the machine to stop       (default 15)
#
# Per engine, vidivo at log level info (the default; every request is
# access-logged), vidivo at warn (no access log) and the baseline run side by
# side on the same database and signing key, and are loaded in turn. Logs go
# to /dev/null. The load generator shares the machine's CPUs with the server.
#
# users_me: one access token (15 minutes) serves an engine's whole run: keep
# BENCH_ROUNDS × 6 × BENCH_DURATION well under that.
set -euo pipefail

# Only the settings below reach vidivo, whatever the caller's environment.
while read -r v; do
	unset "$v"
done < <(compgen -e | grep '^VIDIVO_' || true)

DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNS:-32}
ROUNDS=${BENCH_ROUNDS:-2}
ENGINES=${BENCH_ENGINES:-sqlite postgres}
ROUTE=${BENCH_ROUTE:-users_me}
case $ROUTE in
users_me | link_info) DEFAULT_SERVERS="vidivo-info vidivo-warn baseline" ;;
schedule) DEFAULT_SERVERS="vidivo-info vidivo-warn" ;;
*)
	printf 'bench: unknown BENCH_ROUTE %s (users_me, link_info or schedule)\n' "$ROUTE" >&2
	exit 2
	;;
esac
read -r -a SERVERS <<<"${BENCH_SERVERS:-$DEFAULT_SERVERS}"
PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
PG_PORT=${BENCH_PG_PORT:-5432}
PG_USER=${BENCH_PG_USER:-postgres}
PG_DB=${BENCH_PG_DB:-test}
PG_BENCH_DB=vidivo_bench

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vidivo-bench.XXXXXX")
BIN=$WORK/bin

SERVER_PIDS=()
TOOL_PID=""
PG_CREATED=0

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

psql_admin() {
	PGCONNECT_TIMEOUT=3 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" \
		-v ON_ERROR_STOP=1 -Atq "$@"
}

# stop_servers: SIGTERM to every server this script started, then SIGKILL
# to any still running after 5s.
stop_servers() {
	local pid
	((${#SERVER_PIDS[@]})) || return 0
	for pid in "${SERVER_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for _ in $(seq 50); do
		local alive=0
		for pid in "${SERVER_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		((alive)) || break
		sleep 0.1
	done
	for pid in "${SERVER_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	SERVER_PIDS=()
}

cleanup() {
	local rc=$?
	if [[ -n $TOOL_PID ]]; then
		kill -TERM "$TOOL_PID" 2>/dev/null || true
		wait "$TOOL_PID" 2>/dev/null || true
	fi
	stop_servers
	if ((PG_CREATED)); then
		psql_admin -c "DROP DATABASE IF EXISTS $PG_BENCH_DB WITH (FORCE)" >/dev/null 2>&1 ||
			printf 'bench: could not drop database %s\n' "$PG_BENCH_DB" >&2
	fi
	if [[ -n ${BENCH_KEEP:-} && -d $WORK/out ]]; then
		if mkdir -p "$BENCH_KEEP"; then
			cp -r "$WORK/out/." "$BENCH_KEEP/" || true
		fi
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v go >/dev/null || die "go is not installed"
command -v curl >/dev/null || die "curl is needed to sign up the benchmark user"
HAVE_WRK=0
TOOLS=(loadgen)
if [[ -z ${BENCH_NO_WRK:-} ]] && command -v wrk >/dev/null; then
	HAVE_WRK=1
	TOOLS+=(wrk)
fi

mkdir -p "$BIN" "$WORK/out"
log "building vidivo, loadgen and baseline into $BIN"
(cd "$ROOT" && go build -o "$BIN/" ./cmd/vidivo ./bench/loadgen ./bench/baseline)

# wait_listening PID FILE PREFIX: waits for the server's "PREFIX listening
# on ADDR" line and prints ADDR; fails if the server exits or takes over 30s.
wait_listening() {
	local pid=$1 file=$2 prefix=$3 addr=""
	for _ in $(seq 300); do
		addr=$(sed -n "s/^$prefix listening on \([^ ]*\).*/\1/p" "$file" 2>/dev/null | head -n1)
		if [[ -n $addr ]]; then
			printf '%s\n' "$addr"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_ok URL: polls until URL answers 200.
wait_ok() {
	for _ in $(seq 300); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	die "$1 did not become ready within 30s"
}

# Where each server of the current engine listens, and its process, by name.
declare -A ADDR PID_OF
CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks PID: user+system CPU time the process has used, in clock ticks.
cpu_ticks() {
	# Fields 14 and 15 of /proc/PID/stat; the name field (2) has no spaces here.
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# vidivo_env DATADIR DBURL LEVEL: sets VENV to vidivo's settings for the
# benchmark, as arguments for env(1). The embedded TURN server is off (it is
# not on this path and would listen on a fixed port on every interface) and
# payments use the sandbox; settings this vidivo does not have are ignored.
vidivo_env() {
	VENV=("VIDIVO_DATA_DIR=$1" "VIDIVO_DATABASE_URL=$2" "VIDIVO_LOG_LEVEL=$3"
		VIDIVO_ADDR=127.0.0.1:0 VIDIVO_AUTH_RATE_LIMIT=0 VIDIVO_PUBLIC_RATE_LIMIT=0 VIDIVO_TURN_ADDR=off VIDIVO_PAYMENTS=sandbox)
}

# start_vidivo NAME DATADIR DBURL LEVEL: starts vidivo serve.
start_vidivo() {
	local out=$WORK/$1.stdout pid
	: >"$out"
	vidivo_env "$2" "$3" "$4"
	# Logs go to stderr: /dev/null, so writing them costs only the encoding.
	# env execs vidivo, so $! is vidivo's own process id.
	env "${VENV[@]}" "$BIN/vidivo" serve >"$out" 2>/dev/null &
	pid=$!
	SERVER_PIDS+=("$pid")
	PID_OF[$1]=$pid
	if ! ADDR[$1]=$(wait_listening "$pid" "$out" vidivo); then
		# Its log went to /dev/null: start it again briefly to show why.
		kill -TERM "$pid" 2>/dev/null || true
		printf 'bench: vidivo serve did not start; again with its log:\n' >&2
		env "${VENV[@]}" timeout 10 "$BIN/vidivo" serve 2>&1 | tail -n 20 >&2 || true
		die "vidivo serve did not start"
	fi
	wait_ok "http://${ADDR[$1]}/readyz"
}

# start_baseline NAME DATADIR DBURL: starts the bare baseline.
start_baseline() {
	local out=$WORK/$1.stdout pid
	: >"$out"
	"$BIN/baseline" -addr 127.0.0.1:0 -database-url "$3" -key "$2/jwt-signing-key.pem" \
		>"$out" 2>"$WORK/$1.stderr" &
	pid=$!
	SERVER_PIDS+=("$pid")
	PID_OF[$1]=$pid
	ADDR[$1]=$(wait_listening "$pid" "$out" baseline) ||
		die "baseline did not start: $(cat "$WORK/$1.stderr")"
	wait_ok "http://${ADDR[$1]}/healthz"
}

# signup ADDR [USERNAME ROLE]: creates a user (default benchuser, a client)
# through vidivo's API; sets TOKEN.
signup() {
	local body resp user=${2:-benchuser} role=${3:-client}
	body='{"email":"'$user'@example.com","password":"bench-password-0123456789","username":"'$user'","display_name":"Bench User","role":"'$role'"}'
	resp=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "http://$1/v1/auth/signup") ||
		die "sign-up of $user failed"
	TOKEN=$(printf '%s' "$resp" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
	[[ -n $TOKEN ]] || die "sign-up: no access_token in $resp"
}

# api METHOD ADDR PATH TOKEN [BODY]: one API call; prints the response body,
# fails (showing it) on any status but 2xx.
api() {
	local args=(-sS -o "$WORK/api.out" -w '%{http_code}' -X "$1")
	[[ -n $4 ]] && args+=(-H "Authorization: Bearer $4")
	[[ -n ${5:-} ]] && args+=(-H 'Content-Type: application/json' -d "$5")
	local code
	code=$(curl "${args[@]}" "http://$2$3") || die "$1 $3: curl failed"
	[[ $code == 2?? ]] || die "$1 $3: HTTP $code: $(cat "$WORK/api.out")"
	cat "$WORK/api.out"
}

# json_field NAME: the first string value of "NAME" in the JSON on stdin.
json_field() { sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p' | head -n1; }

# setup_host ADDR: a host (benchhost) with payouts connected and one call
# link; sets HOST_TOKEN, HOST_USER and LINK_CODE.
setup_host() {
	signup "$1" benchhost host
	HOST_TOKEN=$TOKEN HOST_USER=benchhost
	api POST "$1" /v1/users/me/payouts/onboarding "$HOST_TOKEN" >/dev/null
	LINK_CODE=$(api POST "$1" /v1/links "$HOST_TOKEN" '{"rate_per_minute":"2.50","window_size_minutes":10}' |
		json_field short_code)
	[[ -n $LINK_CODE ]] || die "POST /v1/links: no short_code"
}

# setup_schedule ADDR: the host's availability — a working week in
# Europe/Berlin, 30-minute slots — and 6 bookings by a client (10:00 Berlin
# time on each working day of the 7 days loaded); sets SCHED_FROM/SCHED_TO.
setup_schedule() {
	local day='{"start":"09:00","end":"12:00"},{"start":"13:00","end":"17:30"}' d avail at i n=0
	avail='{"timezone":"Europe/Berlin","weekly":['
	for d in monday tuesday wednesday thursday friday; do
		avail+='{"day":"'$d'","intervals":['$day']},'
	done
	avail+='{"day":"saturday","intervals":[{"start":"10:00","end":"14:00"}]}],'
	avail+='"slot_minutes":30,"buffer_after_minutes":10,"min_notice_minutes":120,"max_days_ahead":60}'
	api PUT "$1" /v1/users/me/availability "$HOST_TOKEN" "$avail" >/dev/null
	SCHED_FROM=$(TZ=Europe/Berlin date -d '+1 day' +%F)
	SCHED_TO=$(TZ=Europe/Berlin date -d '+7 days' +%F)
	signup "$1" benchguest client
	for i in 1 2 3 4 5 6 7; do
		d=$(TZ=Europe/Berlin date -d "+$i days" +%F)
		# Sunday (7) is a day off.
		[[ $(date -d "$d" +%u) == 7 ]] && continue
		at=$(TZ=Europe/Berlin date -d "$d 10:00" --iso-8601=seconds)
		api POST "$1" /v1/schedule/book "$TOKEN" \
			'{"host_username":"'$HOST_USER'","scheduled_at":"'"$at"'","duration_minutes":30,"payment_method_id":"pm_card_visa"}' >/dev/null
		n=$((n + 1))
	done
	log "schedule: $n bookings; loading $SCHED_FROM to $SCHED_TO"
}

# setup_route ADDR: creates what the route reads through vidivo's API and
# sets URL_PATH and AUTH (the Authorization header value, or empty).
setup_route() {
	case $ROUTE in
	users_me)
		signup "$1"
		URL_PATH=/v1/users/me AUTH="Bearer $TOKEN"
		;;
	link_info)
		setup_host "$1"
		URL_PATH=/v1/calls/links/$LINK_CODE/info AUTH=""
		;;
	schedule)
		setup_host "$1"
		setup_schedule "$1"
		URL_PATH="/v1/schedule/$HOST_USER?start_date=$SCHED_FROM&end_date=$SCHED_TO" AUTH=""
		;;
	esac
}

# check_route: every server answers the route with 200 — and, for the link
# info, the baseline with the same body as vidivo.
check_route() {
	local server args=(-fsS)
	[[ -n $AUTH ]] && args+=(-H "Authorization: $AUTH")
	for server in "${SERVERS[@]}"; do
		curl "${args[@]}" -o "$WORK/check-$server" "http://${ADDR[$server]}$URL_PATH" ||
			die "GET $URL_PATH on ${LABEL[$server]} failed"
	done
	if [[ $ROUTE == link_info && -f $WORK/check-baseline && -f $WORK/check-vidivo-info ]]; then
		cmp -s "$WORK/check-baseline" "$WORK/check-vidivo-info" ||
			die "the baseline's link info differs from vidivo's: $(cat "$WORK/check-baseline") vs $(cat "$WORK/check-vidivo-info")"
	fi
	log "GET $URL_PATH: $(wc -c <"$WORK/check-${SERVERS[0]}") bytes"
}

# Results, keyed "engine|server|tool"; each holds one value per round.
declare -A RPS P50 P99 ERRS NON2XX CPU REST LOAD
KEYS=()

# to_ms VALUE: wrk's "1.23ms", "850.00us" or "1.02s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
		else { printf "%s", v } }'
}

# add KEY RPS P50 P99 ERRS NON2XX CPU: records one run (and OTHER, left by
# cpu_end).
add() {
	local key=$1
	[[ -n ${RPS[$key]+set} ]] || KEYS+=("$key")
	RPS[$key]+="$2 "
	P50[$key]+="$3 "
	P99[$key]+="$4 "
	ERRS[$key]+="$5 "
	NON2XX[$key]+="$6 "
	CPU[$key]+="$7 "
	REST[$key]+="$OTHER "
	LOAD[$key]+="$LOAD1 "
}

# machine_busy: busy CPU time of the whole machine so far (all CPUs, idle
# and iowait excluded; steal included), in clock ticks.
machine_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# db_ticks: CPU ticks used so far by the local PostgreSQL server's processes
# (0 when none is visible): their own time, plus their reaped children's,
# so a backend that exits during a run still counts (in the postmaster's).
db_ticks() {
	# cat, not awk, reads the files: processes come and go meanwhile, and
	# cat skips a vanished one where awk would give up.
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } |
		awk '$2 == "(postgres)" { s += $14 + $15 + $16 + $17 } END { print s + 0 }'
}

# children_cpu VAR: sets VAR to the CPU seconds used so far by this shell's
# finished children (the load generators). `times` must run in this shell,
# not in a command substitution's subshell.
children_cpu() {
	times >"$WORK/times"
	printf -v "$1" '%s' "$(awk 'NR == 2 {
		split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$WORK/times")"
}

# cpu_begin PID / cpu_end PID bracket one run of a load generator against
# the server PID. cpu_end sets TICKS (the server's CPU ticks) and OTHER, and
# logs where the machine's CPU went, in cores: the server, the load
# generator, PostgreSQL, and the rest (kernel loopback work charged to no
# process, plus anything else running). A large rest means the run was
# disturbed by other work on the machine.
cpu_begin() {
	M0=$(machine_busy)
	S0=$(cpu_ticks "$1")
	D0=$(db_ticks)
	children_cpu L0
	W0=$(date +%s.%N)
}
cpu_end() {
	local m1 s1 d1 l1 w1 line srv gen db
	m1=$(machine_busy)
	s1=$(cpu_ticks "$1")
	d1=$(db_ticks)
	children_cpu l1
	w1=$(date +%s.%N)
	TICKS=$((s1 - S0))
	line=$(awk -v m="$((m1 - M0))" -v s="$TICKS" -v d="$((d1 - D0))" -v l0="$L0" -v l1="$l1" \
		-v w0="$W0" -v w1="$w1" -v hz="$CLK_TCK" 'BEGIN {
			w = w1 - w0; srv = s / hz / w; gen = (l1 - l0) / w; db = d / hz / w
			if (db < 0) db = 0
			rest = m / hz / w - srv - gen - db
			if (rest < 0) rest = 0 # tick rounding
			printf "%.2f %.2f %.2f %.2f", srv, gen, db, rest }')
	read -r srv gen db OTHER <<<"$line"
	printf '    CPU cores:   server %s, load generator %s, postgres %s, rest of the machine %s\n' \
		"$srv" "$gen" "$db" "$OTHER" >&2
	if awk -v r="$OTHER" 'BEGIN { exit !(r > 0.3) }'; then
		log "warning: $OTHER cores went to other work during this run; its numbers are disturbed"
	fi
}

# wait_quiet: waits (up to BENCH_QUIET_WAIT seconds) until the machine is
# nearly idle, since other work on its few CPUs skews every number.
wait_quiet() {
	local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-15})) m0 busy
	while :; do
		m0=$(machine_busy)
		sleep 2
		busy=$(awk -v d="$(($(machine_busy) - m0))" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", d / hz / 2 }')
		if awk -v b="$busy" 'BEGIN { exit !(b < 0.3) }'; then
			return 0
		fi
		if ((SECONDS >= deadline)); then
			log "warning: the machine is still busy ($busy cores in use by other work); measuring anyway"
			return 0
		fi
		log "the machine is busy ($busy cores in use by other work); waiting for it to settle"
	done
}

# cpu_per_req TICKS REQUESTS: server CPU time per request, in µs.
cpu_per_req() {
	awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }'
}

# run_tool OUT CMD…: runs a load generator with stdout to OUT. It runs in
# the background and is waited for, so a signal to this script is handled
# at once (and cleanup stops the tool).
run_tool() {
	local out=$1 rc=0
	shift
	"$@" >"$out" &
	TOOL_PID=$!
	wait "$TOOL_PID" || rc=$?
	TOOL_PID=""
	return "$rc"
}

# measure ENGINE SERVER TOOL ROUND: one run of TOOL against SERVER.
measure() {
	local engine=$1 server=$2 tool=$3 round=$4 url out line warmup pid
	url="http://${ADDR[$server]}$URL_PATH"
	local lg_hdr=() wrk_hdr=()
	if [[ -n $AUTH ]]; then
		lg_hdr=(-H "Authorization: $AUTH")
		wrk_hdr=(-H "Authorization: $AUTH")
	fi
	pid=${PID_OF[$server]}
	out=$WORK/out/$engine-$server-$tool-$round.txt
	wait_quiet
	LOAD1=$(cut -d' ' -f1 /proc/loadavg)
	if [[ $tool == loadgen ]]; then
		# Later rounds hit a server that is already warm.
		warmup=$WARMUP
		((round == 1)) || warmup=1s
		log "[$engine, round $round] ${LABEL[$server]}: loadgen -c $CONNS -warmup $warmup -d $DURATION"
		cpu_begin "$pid"
		run_tool "$out" "$BIN/loadgen" -url "$url" -c "$CONNS" -d "$DURATION" -warmup "$warmup" \
			"${lg_hdr[@]}" || { cat "$out" >&2; die "loadgen failed"; }
		grep -v '^RESULT' "$out" | sed 's/^/    /' >&2
		cpu_end "$pid"
		line=$(grep '^RESULT ' "$out")
		# Server CPU over the whole run (warm-up included) per response.
		local cpu
		cpu=$(cpu_per_req "$TICKS" "$(sed -n 's/.* all=\([^ ]*\).*/\1/p' <<<"$line")")
		printf '    server CPU:  %s µs/request\n' "$cpu" >&2
		add "$engine|$server|$tool" \
			"$(sed -n 's/.* rps=\([^ ]*\).*/\1/p' <<<"$line")" \
			"$(sed -n 's/.* p50_ms=\([^ ]*\).*/\1/p' <<<"$line")" \
			"$(sed -n 's/.* p99_ms=\([^ ]*\).*/\1/p' <<<"$line")" \
			"$(sed -n 's/.* errors=\([^ ]*\).*/\1/p' <<<"$line")" \
			"$(sed -n 's/.* non2xx=\([^ ]*\).*/\1/p' <<<"$line")" \
			"$cpu"
		return
	fi
	# wrk has no warm-up; the server is warm from the loadgen runs. One wrk
	# thread is plenty for this rate and leaves the most CPU to the server.
	log "[$engine, round $round] ${LABEL[$server]}: wrk -t1 -c $CONNS -d $DURATION"
	cpu_begin "$pid"
	run_tool "$out" wrk -t1 -c "$CONNS" -d "$DURATION" --latency "${wrk_hdr[@]}" "$url" ||
		{ cat "$out" >&2; die "wrk failed"; }
	sed 's/^/    /' "$out" >&2
	cpu_end "$pid"
	local errs non2xx cpu
	cpu=$(cpu_per_req "$TICKS" "$(awk '/ requests in / {print $1}' "$out")")
	printf '    server CPU:  %s µs/request\n' "$cpu" >&2
	errs=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
	add "$engine|$server|$tool" \
		"$(awk '/^Requests\/sec:/ {print $2}' "$out")" \
		"$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")" \
		"$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")" \
		"${errs:-0}" "${non2xx:-0}" "$cpu"
}

declare -A LABEL=([vidivo-info]="vidivo (info logs)" [vidivo-warn]="vidivo (warn logs)" [baseline]="baseline")

# bench_engine ENGINE DBURL: the three servers run side by side on one
# database (an idle server costs nothing); each round loads them in turn,
# one tool at a time, so slow drift in the machine hits all three alike.
bench_engine() {
	local engine=$1 dburl=$2 datadir=$WORK/$1-data round tool server
	mkdir -p "$datadir"
	wait_quiet
	log "$engine: starting ${SERVERS[*]}"
	# The first vidivo migrates the database and creates the signing key the
	# others then use; set-up goes through it.
	start_vidivo vidivo-info "$datadir" "$dburl" info
	for server in "${SERVERS[@]}"; do
		case $server in
		vidivo-info) ;;
		vidivo-warn) start_vidivo vidivo-warn "$datadir" "$dburl" warn ;;
		baseline) start_baseline baseline "$datadir" "$dburl" ;;
		*) die "unknown server $server" ;;
		esac
	done
	setup_route "${ADDR[vidivo-info]}"
	check_route
	wait_quiet
	for round in $(seq "$ROUNDS"); do
		for tool in "${TOOLS[@]}"; do
			for server in "${SERVERS[@]}"; do
				measure "$engine" "$server" "$tool" "$round"
			done
		done
	done
	stop_servers
}

START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain 2>/dev/null) ]]; then
	REV+=" + uncommitted changes"
fi
for engine in $ENGINES; do
	case $engine in
	sqlite)
		bench_engine sqlite "sqlite:$WORK/sqlite-data/vidivo.db"
		;;
	postgres)
		if ! command -v psql >/dev/null; then
			log "postgres: psql not installed; skipped"
			continue
		fi
		if ! psql_admin -c 'SELECT 1' >/dev/null 2>&1; then
			log "postgres: $PG_USER@$PG_HOST:$PG_PORT/$PG_DB not reachable; skipped"
			continue
		fi
		psql_admin -c "DROP DATABASE IF EXISTS $PG_BENCH_DB WITH (FORCE)" >/dev/null
		psql_admin -c "CREATE DATABASE $PG_BENCH_DB" >/dev/null
		PG_CREATED=1
		bench_engine postgres "postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_BENCH_DB?sslmode=disable"
		psql_admin -c "DROP DATABASE IF EXISTS $PG_BENCH_DB WITH (FORCE)" >/dev/null
		PG_CREATED=0
		;;
	*) die "unknown engine $engine" ;;
	esac
done

# median VALUES…: the median (mean of the middle two for an even count).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# span VALUES…: "min–max".
span() {
	printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f", lo, hi }'
}
sum() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%d", s }'; }
maxv() { printf '%s\n' "$@" | sort -g | tail -n1; }
# flag CORES: CORES, marked when a run was disturbed.
flag() { awk -v r="$1" 'BEGIN { printf "%s%s", r, (r > 0.3 ? " ⚠" : "") }'; }

# ratio ARRAY KEY: vidivo's median over the baseline's, same engine and
# tool, for the results in the named array (RPS or CPU).
ratio() {
	local -n values=$1
	local engine server tool base
	IFS='|' read -r engine server tool <<<"$2"
	base=${values["$engine|baseline|$tool"]:-}
	if [[ $server == baseline || -z $base ]]; then
		printf '—'
		return
	fi
	# shellcheck disable=SC2086 # the values are a space-separated list
	awk -v a="$(median ${values[$2]})" -v b="$(median $base)" 'BEGIN { printf "%.2f", a / b }'
}

echo
case $ROUTE in
users_me) TITLE="GET /v1/users/me" ;;
link_info) TITLE="GET /v1/calls/links/{code}/info (no token)" ;;
schedule) TITLE="GET /v1/schedule/{username}?start_date=…&end_date=… (7 host dates, no token)" ;;
esac
echo "$TITLE — $CONNS connections, $ROUNDS round(s) of $DURATION per server and load generator"
echo "$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -n1)), $(go version | cut -d' ' -f3), started $START, source $REV"
((HAVE_WRK)) || echo "(wrk not installed: loadgen only)"
echo
echo "| engine | server | load generator | req/s (median) | req/s (range) | p50 ms | p99 ms | errors | non-2xx | server CPU µs/req | vidivo/baseline req/s | vidivo/baseline CPU/req | rest of machine, cores (max) | load avg 1 min (max) |"
echo "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
for key in "${KEYS[@]}"; do
	IFS='|' read -r engine server tool <<<"$key"
	# shellcheck disable=SC2086 # the values are space-separated lists
	printf '| %s | %s | %s | %.0f | %s | %.2f | %.2f | %s | %s | %.1f | %s | %s | %s | %s |\n' "$engine" "${LABEL[$server]}" "$tool" \
		"$(median ${RPS[$key]})" "$(span ${RPS[$key]})" "$(median ${P50[$key]})" "$(median ${P99[$key]})" \
		"$(sum ${ERRS[$key]})" "$(sum ${NON2XX[$key]})" "$(median ${CPU[$key]})" \
		"$(ratio RPS "$key")" "$(ratio CPU "$key")" "$(flag "$(maxv ${REST[$key]})")" "$(maxv ${LOAD[$key]})"
done
echo
echo "server CPU µs/req: the server process's user+system CPU time over the run divided by the responses it sent;"
echo "less sensitive than req/s to other load on the machine. rest of machine: busy CPU used by neither the server,"
echo "the load generator nor PostgreSQL (kernel loopback work charged to no process, plus anything else running);"
echo "on a quiet machine it stays around 0.1 core. ⚠: above 0.3 core in some round — other work competed for the"
echo "CPUs and that row's numbers are disturbed; run again on a quiet machine. load avg: /proc/loadavg's 1-minute"
echo "figure just before the run; it counts this benchmark's own earlier runs too (≈ 2–3 right after one)."
echo
# target ENGINE TOOL AIM: vidivo (info)'s median against the route's aim.
target() {
	local key="$1|vidivo-info|$2" rps verdict
	[[ -n ${RPS[$key]:-} ]] || return 0
	# shellcheck disable=SC2086
	rps=$(median ${RPS[$key]})
	verdict=$(awk -v a="$rps" -v t="$3" 'BEGIN { print (a >= t ? "meets" : "MISSES") }')
	printf '%s, %s: aim ≥ %s req/s (vidivo, default info logs, median): %.0f req/s — %s the aim.\n' "$1" "$2" "$3" "$rps" "$verdict"
}
case $ROUTE in
users_me) target sqlite loadgen 10000 ;;
link_info | schedule)
	aim=15000
	[[ $ROUTE == schedule ]] && aim=5000
	for engine in $ENGINES; do
		for tool in "${TOOLS[@]}"; do
			target "$engine" "$tool" "$aim"
		done
	done
	;;
esac
