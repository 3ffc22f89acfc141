#!/usr/bin/env bash
# One stomp-gateway fan-out run: N subscribers on /stomp (STOMP over WebSocket), a
# publisher at R msg/s for S s into the gateway's embedded broker.
#
#   bash bench_gateway.sh CONNECTIONS RATE SECONDS
#
# Starts the release binary (GATEWAY_BIN, default .build-release/release/stomp-gateway,
# built with: swift build -c release --product stomp-gateway --scratch-path .build-release)
# on 127.0.0.1:18090 with its embedded broker on 127.0.0.1:16190, runs the same client
# and publisher as the peers' scripts, and stops it. Server CPU is the one gateway
# process (feeds, fan-out and the embedded broker receiving the publisher's messages);
# see bench_lib.sh for how CPU and memory are measured.
set -euo pipefail
cd "$(dirname "$0")"
N="${1:?connections}"; R="${2:?rate}"; S="${3:?seconds}"
source ./bench_lib.sh
[ -x ./stomp_ws_load ] || make stomp_ws_load >/dev/null
start_bench_gateway
bench_measure gateway "$GATEWAY_PID" "$N" "$R" "$S" \
    -- ./stomp_ws_load --url "ws://127.0.0.1:${HTTP_PORT:-18090}/stomp" --connections "$N" --destination /topic/bench \
        --duration "$((S + 4))" --passcode "" \
    -- python3 publish.py --port "${BROKER_PORT:-16190}" --rate "$R" --seconds "$S" --destination /topic/bench
