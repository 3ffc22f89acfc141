#!/usr/bin/env bash
# One stomp-gateway fan-out run over Server-Sent Events: N subscribers on
# GET /events?destination=/topic/bench (sse_load), a publisher at R msg/s for S s into
# the gateway's embedded broker.
#
#   bash bench_gateway_sse.sh CONNECTIONS RATE SECONDS
#
# As bench_gateway.sh, with sse_load as the client.
set -euo pipefail
cd "$(dirname "$0")"
N="${1:?connections}"; R="${2:?rate}"; S="${3:?seconds}"
source ./bench_lib.sh
[ -x ./sse_load ] || make sse_load >/dev/null
start_bench_gateway
bench_measure gateway-sse "$GATEWAY_PID" "$N" "$R" "$S" \
    -- ./sse_load --url "http://127.0.0.1:${HTTP_PORT:-18090}/events?destination=/topic/bench" --connections "$N" \
        --duration "$((S + 4))" \
    -- python3 publish.py --port "${BROKER_PORT:-16190}" --rate "$R" --seconds "$S" --destination /topic/bench
