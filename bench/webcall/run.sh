#!/usr/bin/env bash
# The call in the browser, measured (bench/webcall/main.go; results in
# bench/README.md, "The call in the browser"): time from the host's
# "Answer" to the first remote video frame on each side, over -calls calls
# per ICE policy on loopback, and each page's weight.
#
#   bench/webcall/run.sh                      # 20 calls, relay-only and all
#   bench/webcall/run.sh -calls 5 -policies relay -out /tmp/webcall.json
#
# Needs Debian's chromium (apt-get install chromium). Builds the binary
# and the driver into a temporary directory; everything listens on
# 127.0.0.1 (HTTP, the embedded TURN server) with a fresh SQLite data dir.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d "${TMPDIR:-/tmp}/vidivo-webcall.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/vidivo" ./cmd/vidivo
go build -o "$work/webcall" ./bench/webcall

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ {print $2 " GiB"}') RAM; $(go version); $(/usr/bin/chromium --version 2>/dev/null || echo 'no chromium'); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/webcall" -bin "$work/vidivo" "$@"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
