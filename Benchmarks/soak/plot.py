#!/usr/bin/env python3
"""Plots a soak CSV: RSS and open fds of the gateway over time, and the message rates.

  plot.py soak.csv out.png [title]
"""
import csv, sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows = list(csv.DictReader(open(sys.argv[1])))
title = sys.argv[3] if len(sys.argv) > 3 else "stomp-gateway soak"
f = lambda k: [float(r[k]) if r[k] not in ("", None) else float("nan") for r in rows]
t = [x / 60 for x in f("t_s")]
rss = [x / 1024 for x in f("rss_kb")]
fds = f("fds")


def rate(k):
    v, ts = f(k), f("t_s")
    return [float("nan")] + [(v[i] - v[i - 1]) / (ts[i] - ts[i - 1]) if ts[i] > ts[i - 1] else float("nan") for i in range(1, len(v))]


fig, (ax1, ax3) = plt.subplots(2, 1, figsize=(10, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
ax1.plot(t, rss, color="tab:blue", label="RSS (MiB)")
ax1.set_ylabel("gateway RSS (MiB)", color="tab:blue")
ax1.set_ylim(0, max(rss) * 1.25)
ax1.grid(alpha=0.3)
ax2 = ax1.twinx()
ax2.plot(t, fds, color="tab:red", label="open fds")
ax2.set_ylabel("open file descriptors", color="tab:red")
ax2.set_ylim(0, max(fds) * 1.25)
ax1.set_title(title)
h1, l1 = ax1.get_legend_handles_labels()
h2, l2 = ax2.get_legend_handles_labels()
ax1.legend(h1 + h2, l1 + l2, loc="lower right")

ax3.plot(t, rate("delivered"), label="feed deliveries/s (SSE + WebSocket)")
ax3.plot(t, rate("feed_published"), label="feed messages published/s")
ax3.plot(t, rate("wh_delivered"), label="webhooks delivered/s")
ax3.plot(t, rate("rpc_ok"), label="/api/request replies/s")
ax3.plot(t, rate("churned"), label="subscribers cut and resumed/s")
ax3.set_ylabel("per second")
ax3.set_xlabel("minutes")
ax3.set_yscale("log")
ax3.grid(alpha=0.3, which="both")
ax3.legend(loc="lower right", fontsize=8)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
