#!/usr/bin/env bash
# Starts stripe-mock, Stripe's API mock that validates every request
# against Stripe's OpenAPI spec, for the stripe package's tests: installs it
# with go install if missing, starts it in the background on
# 127.0.0.1:12111 (HTTP) and 127.0.0.1:12112 (HTTPS; without that flag it
# would listen on every interface), and waits until it accepts connections.
# Does nothing if something already accepts connections on 12111.
#
#   bash .ci/stripe-mock.sh        start (the tests' default URL is
#                                  http://127.0.0.1:12111)
#   bash .ci/stripe-mock.sh stop   stop the stripe-mock this script started
set -euo pipefail

version=v0.203.0
host=127.0.0.1
http_port=12111
https_port=12112
pidfile="${TMPDIR:-/tmp}/vidivo-stripe-mock.pid"
logfile="${TMPDIR:-/tmp}/vidivo-stripe-mock.log"

up() { (exec 3<>"/dev/tcp/$host/$http_port") 2>/dev/null; }

if [ "${1:-start}" = stop ]; then
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
  exit 0
fi

if up; then
  echo "stripe-mock: already listening on $host:$http_port"
  exit 0
fi

bin=$(command -v stripe-mock || true)
if [ -z "$bin" ]; then
  gobin=$(go env GOBIN)
  bin="${gobin:-$(go env GOPATH | cut -d: -f1)/bin}/stripe-mock"
  if [ ! -x "$bin" ]; then
    echo "stripe-mock: installing github.com/stripe/stripe-mock@$version"
    go install "github.com/stripe/stripe-mock@$version"
  fi
fi

nohup "$bin" -http-addr "$host:$http_port" -https-addr "$host:$https_port" >"$logfile" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 100); do
  if up; then
    echo "stripe-mock: listening on http://$host:$http_port (pid $(cat "$pidfile"), log $logfile)"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    break
  fi
  sleep 0.3
done
echo "stripe-mock: did not start on $host:$http_port; its log:" >&2
cat "$logfile" >&2
kill "$(cat "$pidfile")" 2>/dev/null || true
rm -f "$pidfile"
exit 1
