#!/usr/bin/env bash
# Runs the webhook delivery benchmark (bench/webhooks) against the real
# `vidivo serve` on fresh databases (see bench/serve-and-load.sh), with
# loopback receivers allowed.
#
#   bash bench/webhooks/run.sh [sqlite|postgres|both] [flags for bench/webhooks…]
#   bash bench/webhooks/run.sh both -rate 100 -duration 30s -slow-bookings 2000
set -euo pipefail
BENCH_SERVER_ENV="VIDIVO_WEBHOOK_ALLOW_NETS=127.0.0.0/8" exec bash "$(dirname "$0")/../serve-and-load.sh" webhooks "$@"
