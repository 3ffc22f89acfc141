#!/usr/bin/env bash
# Request–reply through the gateway's HTTP front door vs a direct STOMP client, same
# broker, same run:
#
#   bash Benchmarks/bench_request_reply.sh [BROKER_URL]
#
# Without BROKER_URL the gateway runs its embedded broker (127.0.0.1:16191) and both
# paths use that; with one (e.g. stomp://guest:guest@127.0.0.1:61613) both use it.
# Needs the release gateway (.build-release/release/stomp-gateway) and
# Benchmarks/.build/release/stomp-bench (cd Benchmarks && swift build -c release).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${GATEWAY_BIN:-$PWD/.build-release/release/stomp-gateway}"
BENCH="${BENCH_BIN:-$PWD/Benchmarks/.build/release/stomp-bench}"
HTTP_PORT=18091; BROKER_PORT=16191; KEY="bench-key-0123456789abcdef"
config="$(mktemp /tmp/gateway-rr.XXXXXX.yaml)"
printf 'api:\n  keys: ["%s"]\nlog:\n  level: warning\n' "$KEY" >"$config"
args=(serve --config "$config" --http-port "$HTTP_PORT")
if [ -n "${1:-}" ]; then args+=(--broker "$1"); broker="$1"; else args+=(--broker-port "$BROKER_PORT"); broker="stomp://127.0.0.1:$BROKER_PORT"; fi
"$BIN" "${args[@]}" >/tmp/gateway-rr.log 2>&1 &
gpid=$!
trap 'kill $gpid 2>/dev/null; wait $gpid 2>/dev/null; rm -f "$config"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && break; sleep 0.1; done
"$BENCH" request --broker "$broker" --gateway "http://127.0.0.1:$HTTP_PORT" --api-key "$KEY" "${@:2}"
