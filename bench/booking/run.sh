#!/usr/bin/env bash
# Runs the booking-throughput benchmark (bench/booking) against the real
# `vidivo serve` on fresh databases (see bench/serve-and-load.sh); the
# program samples the server's CPU.
#
#   bash bench/booking/run.sh [sqlite|postgres|both] [flags for bench/booking…]
#   bash bench/booking/run.sh both -clients 64 -workers 32 -bookings 6000 -collide-slots 100
set -euo pipefail
BENCH_SERVER_PID=1 exec bash "$(dirname "$0")/../serve-and-load.sh" booking "$@"
