#!/bin/bash
# Container entrypoint: raise the soft open-files limit to the hard limit, then run
# stomp-gateway with the container's arguments (default: serve --config
# /etc/stomp-gateway/gateway.yaml).
#
# Every browser connection (WebSocket or SSE) is a file descriptor, and some container
# runtimes start processes with a soft limit of 1024 (containerd 2.x: 1024 soft,
# 524288 hard). Raising the soft limit up to the hard one needs no privilege. The hard
# limit itself comes from the runtime (`docker run --ulimit nofile=1048576:1048576`,
# compose `ulimits:`, the node's containerd/CRI-O configuration on Kubernetes).
hard="$(ulimit -Hn)"
ulimit -Sn "$hard" 2>/dev/null || true
exec /usr/local/bin/stomp-gateway "$@"
