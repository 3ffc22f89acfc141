#!/usr/bin/env bash
# The same fan-out load, in one run, against stomp-gateway (STOMP over WebSocket, and
# SSE), RabbitMQ Web-STOMP and nginx + nchan (WebSocket, and EventSource), one after
# the other; prints each one's SERVER lines and a summary table.
#
#   bash bench_compare.sh CONNECTIONS RATE SECONDS
#
# Needs: the release gateway (see bench_gateway.sh), RabbitMQ running
# (scripts/brokers.sh start rabbitmq), nginx + nchan running with eventsource enabled
# on /sub (see bench_nchan_sse.sh), and both clients built (make).
# SKIP="rabbitmq nchan-sse" leaves runs out.
set -uo pipefail
cd "$(dirname "$0")"
N="${1:?connections}"; R="${2:?rate}"; S="${3:?seconds}"
SKIP="${SKIP:-}"
results=()
run() {
    local name="$1"; shift
    case " $SKIP " in *" $name "*) return ;; esac
    echo "=== $name: $N connections × $R msg/s × $S s"
    local out
    out="$("$@" 2>&1)"
    echo "$out" | grep -E '^(SUMMARY|SERVER)'
    local cpu lat mem deliv
    cpu="$(echo "$out" | sed -n 's/.*cpu_us_per_delivery=\([0-9.]*\).*/\1/p' | head -1)"
    deliv="$(echo "$out" | sed -n 's/^SERVER.*deliveries=\([0-9]*\) expected=\([0-9]*\).*/\1\/\2/p' | head -1)"
    lat="$(echo "$out" | sed -n 's/.*latency_ms p50=\([0-9.]*\) p99=\([0-9.]*\) p99.9=\([0-9.]*\).*/\1 \/ \2 \/ \3/p' | head -1)"
    mem="$(echo "$out" | sed -n 's/.*per_connection_kb=\([0-9.-]*\).*/\1/p' | head -1)"
    results+=("| $name | ${deliv:-?} | ${cpu:-?} | ${lat:-?} | ${mem:-?} |")
    sleep 2
}
run gateway-ws bash bench_gateway.sh "$N" "$R" "$S"
run gateway-sse bash bench_gateway_sse.sh "$N" "$R" "$S"
run rabbitmq bash bench_rabbitmq.sh "$N" "$R" "$S"
run nchan-ws bash bench_nchan.sh "$N" "$R" "$S"
run nchan-sse bash bench_nchan_sse.sh "$N" "$R" "$S"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores — $N connections × $R msg/s × $S s"
echo "| server | deliveries (expected) | server CPU µs / delivery | latency p50 / p99 / p99.9 ms | KB / connection |"
echo "|---|---|---|---|---|"
printf '%s\n' "${results[@]}"
