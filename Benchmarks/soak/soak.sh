#!/usr/bin/env bash
# Soak: a steady mixed load (feeds over SSE and WebSocket with churn and resume, webhooks
# with retries, request-reply, HTTP publish) against one release-build gateway, sampling
# its memory and file descriptors every 10 s; checks and a plot at the end.
#
#   bash Benchmarks/soak/soak.sh [--minutes N] [--out DIR] [--embedded] [soak.py options…]
#
# Defaults: 30 minutes, output in /tmp/stomp-gateway-soak (soak.csv, summary.json, soak.png,
# gateway.log, gateway.yaml). The broker is RabbitMQ from /tmp/stomp-gateway-brokers/env
# (STOMP_TEST_RABBITMQ_URL; `bash scripts/brokers.sh start rabbitmq` starts it), or the
# embedded broker with --embedded or when no RabbitMQ answers. The gateway binary is
# $STOMP_GATEWAY_BIN, else built with
# `swift build -c release --product stomp-gateway --scratch-path .build-release`.
# Needs python3 with websockets and matplotlib. Exit status 0 only if every check passed.
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=30; out=/tmp/stomp-gateway-soak; embedded=0; rest=()
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --embedded) embedded=1; shift ;;
        *) rest+=("$1"); shift ;;
    esac
done

if [ -n "${STOMP_GATEWAY_BIN:-}" ]; then
    bin="$STOMP_GATEWAY_BIN"; unset STOMP_GATEWAY_BIN
else
    swift build -c release --product stomp-gateway --scratch-path .build-release >&2
    bin="$PWD/.build-release/release/stomp-gateway"
fi
python3 -c 'import websockets, matplotlib' 2>/dev/null || pip install -q websockets matplotlib

broker=embedded
if [ "$embedded" = 0 ]; then
    env_file="${BROKER_STATE_DIR:-/tmp/stomp-gateway-brokers}/env"
    # shellcheck disable=SC1090
    [ -f "$env_file" ] && . "$env_file"
    url="${STOMP_TEST_RABBITMQ_URL:-}"
    hostport="$(sed -E 's#^stomp://([^@]*@)?##; s#[/?].*$##' <<<"$url")"
    if [ -n "$url" ] && (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null; then
        broker="$url"
    else
        echo "[soak] RabbitMQ not reachable (${url:-no STOMP_TEST_RABBITMQ_URL}); using the embedded broker" >&2
    fi
fi

mkdir -p "$out"
driver=""
cleanup() {
    # only what this script started: the driver (which stops its gateway), then the gateway by its pid
    if [ -n "$driver" ] && kill -0 "$driver" 2>/dev/null; then
        kill -TERM "$driver" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$driver" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$driver" 2>/dev/null || true
    fi
    if [ -f "$out/gateway.pid" ]; then
        gw="$(cat "$out/gateway.pid")"
        if [ -r "/proc/$gw/cmdline" ] && tr '\0' ' ' <"/proc/$gw/cmdline" | grep -q "$out/gateway.yaml"; then
            kill -TERM "$gw" 2>/dev/null || true; sleep 2; kill -KILL "$gw" 2>/dev/null || true
        fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
set +e
python3 Benchmarks/soak/soak.py --bin "$bin" --broker "$broker" --minutes "$minutes" --out "$out" "${rest[@]}" &
driver=$!
wait "$driver"; status=$?
set -e
driver=""
python3 Benchmarks/soak/plot.py "$out/soak.csv" "$out/soak.png" \
    "stomp-gateway soak $(date -u +%Y-%m-%d), ${minutes} min, broker: $(sed -E "s#//[^@/]*@#//#; s#\\?.*##" <<<"$broker")" || echo "[soak] plot failed" >&2
echo "[soak] $(( $(date +%s) - start )) s in all; CSV, summary.json and soak.png in $out; exit $status"
exit "$status"
