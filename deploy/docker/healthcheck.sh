#!/bin/bash
# Container health check: exits 0 when the gateway's GET /readyz answers 200 (broker
# connected, listeners up), 1 otherwise. The runtime image has no curl or wget, so this
# speaks HTTP/1.1 over bash's /dev/tcp: no extra package, nothing to patch.
#
#   stomp-gateway-healthcheck            # /readyz (the Dockerfile's HEALTHCHECK)
#   stomp-gateway-healthcheck /healthz   # liveness only: the process serves HTTP
#
# The port is STOMP_GATEWAY_HTTP_PORT (default 8080), on 127.0.0.1: the gateway must
# listen there too (0.0.0.0 does). With http.tls_certificate_file set the listener
# speaks TLS only and this check fails: use an orchestrator probe with HTTPS instead.
set -u
path="${1:-/readyz}"
port="${STOMP_GATEWAY_HTTP_PORT:-8080}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3 || exit 1
IFS= read -r -t 4 status <&3 || { echo "no answer from 127.0.0.1:${port}${path}"; exit 1; }
exec 3>&-
case "$status" in
    "HTTP/1."?" 200 "*) exit 0 ;;
    *) echo "${path}: ${status%$'\r'}"; exit 1 ;;
esac
