/*
 * stomp_ws_load — independent WebSocket fan-out load client (C, libwebsockets).
 *
 * Opens N WebSocket connections to a loopback URL, optionally speaks STOMP 1.2
 * (CONNECT + SUBSCRIBE with receipt), counts delivered messages and computes
 * publish->receive latency from a timestamp in each message body.
 *
 * Body timestamp format: decimal nanoseconds of CLOCK_REALTIME at publish time,
 * optionally prefixed by "ts=" (e.g. "1764137627123456789" or
 * "ts=1764137627123456789"). Parsing stops at the first non-digit, so padding
 * may follow (e.g. "ts=1764137627123456789 xxxxxxxx"). Bodies without a
 * timestamp are counted but not included in latency figures.
 *
 * Modes:
 *   stomp  subprotocol v12.stomp, CONNECT, SUBSCRIBE (receipt), count MESSAGE frames
 *   raw    no STOMP; every complete WebSocket text/binary message is one delivery
 *          (for nginx + nchan websocket subscribers)
 *
 * Timeline: connections are opened in batches; when all are subscribed (stomp) or
 * established (raw) — or after --setup-timeout — the client prints a line starting
 * with "READY" and the measurement window of --duration seconds starts. The client
 * exits by itself at the end of that window.
 *
 * Only loopback hosts are accepted: 127.0.0.1, localhost, ::1.
 */
#define _GNU_SOURCE
#include <uv.h>
#include <libwebsockets.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* ---------------- options ---------------- */

static const char *opt_url = "ws://127.0.0.1:15674/ws";
static int opt_conns = 100;
static const char *opt_dest = "/topic/bench";
static double opt_duration = 10.0;
static double opt_setup_timeout = 60.0;
static const char *opt_login = "guest";
static const char *opt_passcode = "guest";
static const char *opt_vhost = "/";
static const char *opt_subproto = NULL; /* default depends on mode */
static int opt_raw = 0;
static int opt_batch = 100;       /* connections opened per batch */
static int opt_batch_ms = 20;     /* delay between batches */
static int opt_quiet = 0;
static int opt_libuv = 1;        /* lws's libuv event loop (epoll); --poll: lws's default poll() loop */

static char url_host[256];
static int url_port;
static char url_path[1024];

/* ---------------- state ---------------- */

enum cstate {
	CS_IDLE = 0,
	CS_CONNECTING,
	CS_SEND_CONNECT,
	CS_WAIT_CONNECTED,
	CS_SEND_SUBSCRIBE,
	CS_WAIT_RECEIPT,
	CS_SUBSCRIBED,
	CS_CLOSED,
};

struct conn {
	struct lws *wsi;
	int idx;
	enum cstate st;
	/* STOMP frame carry-over buffer (incomplete frame across WS fragments) */
	char *buf;
	size_t len, cap;
	/* raw mode: first bytes of the current message, for the timestamp */
	char head[40];
	size_t headlen;
	uint64_t deliveries;
};

static struct lws_context *ctx;
static uv_loop_t uvloop;          /* --libuv: our own loop, handed to lws as a foreign loop */
static struct conn *conns;
static int next_to_open;
static volatile sig_atomic_t interrupted;

static int n_established, n_subscribed, n_conn_errors, n_closed, n_stomp_errors;
static int n_printed_errors, n_setup_failed;
static uint64_t deliveries_total, deliveries_window, deliveries_sec;
static uint64_t no_ts, neg_lat;
static int64_t t_start_ns, t_ready_ns = 0, t_first_ns = 0, t_last_ns = 0;
static int phase; /* 0 = setup, 1 = measuring, 2 = done */
static int sec_no;

static struct rusage ru_ready;
static lws_sorted_usec_list_t sul_open, sul_tick, sul_end;
static void start_window(const char *why);

/* ---------------- latency histogram (log-linear, ~1.6% resolution, µs) ---------------- */

#define SUB_BITS 6
#define SUB 64                     /* sub-buckets per power of two (upper half) */
#define HBUCKETS (128 + 64 * 58)
static uint64_t hist[HBUCKETS];
static uint64_t hist_n;
static double lat_sum_us;
static uint64_t lat_max_us;

static inline int hidx(uint64_t v)
{
	if (v < 128)
		return (int)v;
	int e = 63 - __builtin_clzll(v); /* >= 7 */
	int shift = e - SUB_BITS;         /* v >> shift in [64,128) */
	return 128 + (e - 7) * SUB + (int)((v >> shift) - SUB);
}

static inline double hval(int i) /* midpoint of bucket, µs */
{
	if (i < 128)
		return i;
	int e = (i - 128) / SUB + 7;
	int m = (i - 128) % SUB + SUB;
	int shift = e - SUB_BITS;
	double lo = (double)((uint64_t)m << shift);
	return lo + (double)(1ULL << shift) / 2.0;
}

static double percentile(double p)
{
	if (!hist_n)
		return -1;
	uint64_t want = (uint64_t)(p * (double)hist_n);
	if (want >= hist_n)
		want = hist_n - 1;
	uint64_t acc = 0;
	for (int i = 0; i < HBUCKETS; i++) {
		acc += hist[i];
		if (acc > want)
			return hval(i);
	}
	return hval(HBUCKETS - 1);
}

static inline int64_t now_rt(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int64_t now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void record_delivery(struct conn *c, const char *body, size_t blen, int64_t now)
{
	c->deliveries++;
	deliveries_total++;
	deliveries_sec++;
	if (phase == 1) {
		deliveries_window++;
		int64_t m = now_mono();
		if (!t_first_ns)
			t_first_ns = m;
		t_last_ns = m;
	}
	/* timestamp: optional "ts=", then decimal ns */
	size_t i = 0;
	if (blen >= 3 && body[0] == 't' && body[1] == 's' && body[2] == '=')
		i = 3;
	uint64_t ts = 0;
	size_t d0 = i;
	while (i < blen && body[i] >= '0' && body[i] <= '9' && i - d0 < 20) {
		ts = ts * 10 + (uint64_t)(body[i] - '0');
		i++;
	}
	if (i == d0 || ts == 0) {
		no_ts++;
		return;
	}
	int64_t lat_ns = now - (int64_t)ts;
	if (lat_ns < 0) {
		neg_lat++;
		lat_ns = 0;
	}
	uint64_t us = (uint64_t)lat_ns / 1000;
	hist[hidx(us)]++;
	hist_n++;
	lat_sum_us += (double)us;
	if (us > lat_max_us)
		lat_max_us = us;
}

/* ---------------- STOMP ---------------- */

static void stomp_error(struct conn *c, const char *hdrs, size_t hlen, const char *body, size_t blen)
{
	n_stomp_errors++;
	if (c->st < CS_SUBSCRIBED) { /* CONNECT or SUBSCRIBE refused: give up on this connection */
		c->st = CS_CLOSED;
		n_setup_failed++;
	}
	if (n_printed_errors++ < 5)
		fprintf(stderr, "conn %d: STOMP ERROR frame: %.*s | %.*s\n", c->idx,
			(int)(hlen > 300 ? 300 : hlen), hdrs, (int)(blen > 300 ? 300 : blen), body);
}

/* Parses as many complete frames as possible from p[0..len). Returns bytes consumed. */
static size_t stomp_parse(struct conn *c, const char *p, size_t len, int64_t now)
{
	size_t off = 0;
	while (off < len) {
		/* skip heart-beat EOLs between frames */
		while (off < len && (p[off] == '\n' || p[off] == '\r'))
			off++;
		if (off >= len)
			break;
		const char *f = p + off;
		size_t flen = len - off;
		/* end of headers: blank line */
		const char *hend = NULL;
		size_t bstart = 0;
		for (size_t i = 0; i + 1 < flen; i++) {
			if (f[i] == '\n' && f[i + 1] == '\n') {
				hend = f + i;
				bstart = i + 2;
				break;
			}
			if (f[i] == '\n' && f[i + 1] == '\r' && i + 2 < flen && f[i + 2] == '\n') {
				hend = f + i;
				bstart = i + 3;
				break;
			}
		}
		if (!hend)
			return off; /* incomplete */
		size_t hlen = (size_t)(hend - f);
		/* content-length? */
		long cl = -1;
		{
			const char *h = memmem(f, hlen, "\ncontent-length:", 16);
			if (h)
				cl = strtol(h + 16, NULL, 10);
		}
		size_t blen;
		if (cl >= 0) {
			if (bstart + (size_t)cl + 1 > flen)
				return off;
			blen = (size_t)cl;
		} else {
			const char *nul = memchr(f + bstart, 0, flen - bstart);
			if (!nul)
				return off;
			blen = (size_t)(nul - (f + bstart));
		}
		const char *body = f + bstart;
		size_t cmdlen = 0;
		while (cmdlen < hlen && f[cmdlen] != '\n' && f[cmdlen] != '\r')
			cmdlen++;

		if (cmdlen == 7 && !memcmp(f, "MESSAGE", 7)) {
			record_delivery(c, body, blen, now);
		} else if (cmdlen == 9 && !memcmp(f, "CONNECTED", 9)) {
			if (c->st == CS_WAIT_CONNECTED) {
				c->st = CS_SEND_SUBSCRIBE;
				lws_callback_on_writable(c->wsi);
			}
		} else if (cmdlen == 7 && !memcmp(f, "RECEIPT", 7)) {
			if (c->st == CS_WAIT_RECEIPT) {
				c->st = CS_SUBSCRIBED;
				n_subscribed++;
				if (n_subscribed == opt_conns && phase == 0)
					start_window("all subscribed");
			}
		} else if (cmdlen == 5 && !memcmp(f, "ERROR", 5)) {
			stomp_error(c, f, hlen, body, blen);
		}
		off += bstart + blen + 1; /* + NUL */
	}
	return off;
}

static int send_text(struct conn *c, const char *s, size_t n)
{
	unsigned char buf[LWS_PRE + 2048];
	if (n > sizeof(buf) - LWS_PRE)
		return -1;
	memcpy(buf + LWS_PRE, s, n);
	int w = lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
	return w < (int)n ? -1 : 0;
}

/* ---------------- lws callback ---------------- */

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct conn *c = (struct conn *)user;
	char frame[2048];
	int n;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		n_conn_errors++;
		if (c)
			c->st = CS_CLOSED;
		if (n_printed_errors++ < 5)
			fprintf(stderr, "conn %d: connection error: %s\n", c ? c->idx : -1,
				in ? (const char *)in : "(null)");
		break;

	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		n_established++;
		if (opt_raw) {
			c->st = CS_SUBSCRIBED;
			n_subscribed++;
			if (n_subscribed == opt_conns && phase == 0)
				start_window("all established");
		} else {
			c->st = CS_SEND_CONNECT;
			lws_callback_on_writable(wsi);
		}
		break;

	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c->st == CS_SEND_CONNECT) {
			n = snprintf(frame, sizeof(frame),
				     "CONNECT\naccept-version:1.2\nhost:%s\nlogin:%s\npasscode:%s\nheart-beat:0,0\n\n",
				     opt_vhost, opt_login, opt_passcode);
			frame[n++] = 0;
			if (send_text(c, frame, (size_t)n))
				return -1;
			c->st = CS_WAIT_CONNECTED;
		} else if (c->st == CS_SEND_SUBSCRIBE) {
			n = snprintf(frame, sizeof(frame),
				     "SUBSCRIBE\nid:sub-0\ndestination:%s\nack:auto\nreceipt:sub-%d\n\n",
				     opt_dest, c->idx);
			frame[n++] = 0;
			if (send_text(c, frame, (size_t)n))
				return -1;
			c->st = CS_WAIT_RECEIPT;
		}
		break;

	case LWS_CALLBACK_CLIENT_RECEIVE: {
		int64_t now = now_rt();
		if (opt_raw) {
			if (lws_is_first_fragment(wsi))
				c->headlen = 0;
			if (c->headlen < sizeof(c->head)) {
				size_t k = sizeof(c->head) - c->headlen;
				if (k > len)
					k = len;
				memcpy(c->head + c->headlen, in, k);
				c->headlen += k;
			}
			if (lws_is_final_fragment(wsi))
				record_delivery(c, c->head, c->headlen, now);
			break;
		}
		if (!c->len) {
			size_t used = stomp_parse(c, (const char *)in, len, now);
			if (used < len) {
				size_t rest = len - used;
				if (rest > c->cap) {
					c->cap = rest * 2 + 256;
					c->buf = realloc(c->buf, c->cap);
					if (!c->buf) { fprintf(stderr, "oom\n"); exit(2); }
				}
				memcpy(c->buf, (const char *)in + used, rest);
				c->len = rest;
			}
		} else {
			if (c->len + len > c->cap) {
				c->cap = (c->len + len) * 2;
				c->buf = realloc(c->buf, c->cap);
				if (!c->buf) { fprintf(stderr, "oom\n"); exit(2); }
			}
			memcpy(c->buf + c->len, in, len);
			c->len += len;
			size_t used = stomp_parse(c, c->buf, c->len, now);
			if (used) {
				memmove(c->buf, c->buf + used, c->len - used);
				c->len -= used;
			}
		}
		if (c->st == CS_CLOSED)
			return -1; /* STOMP ERROR during setup: close */
		break;
	}

	case LWS_CALLBACK_CLIENT_CLOSED:
		n_closed++;
		if (c && c->st == CS_CLOSED) /* already counted as a setup failure */
			n_closed--;
		if (c) {
			if (phase < 2 && c->st != CS_CLOSED && n_printed_errors++ < 5)
				fprintf(stderr, "conn %d: closed by peer (state %d)\n", c->idx, c->st);
			c->st = CS_CLOSED;
			c->wsi = NULL;
		}
		break;

	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "load", cb, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* ---------------- timers ---------------- */

static void open_batch(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	for (int k = 0; k < opt_batch && next_to_open < opt_conns; k++, next_to_open++) {
		struct conn *c = &conns[next_to_open];
		struct lws_client_connect_info ci;
		memset(&ci, 0, sizeof(ci));
		ci.context = ctx;
		ci.address = url_host;
		ci.port = url_port;
		ci.path = url_path;
		ci.host = url_host;
		ci.origin = url_host;
		ci.protocol = (opt_subproto && *opt_subproto) ? opt_subproto : NULL;
		ci.local_protocol_name = "load";
		ci.userdata = c;
		ci.pwsi = &c->wsi;
		c->st = CS_CONNECTING;
		if (!lws_client_connect_via_info(&ci)) {
			if (c->st != CS_CLOSED)
				n_conn_errors++;
			c->st = CS_CLOSED;
		}
	}
	if (next_to_open < opt_conns)
		lws_sul_schedule(ctx, 0, &sul_open, open_batch, (lws_usec_t)opt_batch_ms * 1000);
}

static void end_window(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	phase = 2;
	lws_cancel_service(ctx);
	if (opt_libuv)
		uv_stop(&uvloop);
}

static void start_window(const char *why)
{
	phase = 1;
	t_ready_ns = now_mono();
	getrusage(RUSAGE_SELF, &ru_ready);
	deliveries_window = 0;
	printf("READY %s: connections=%d established=%d subscribed=%d conn_errors=%d setup_refused=%d setup_s=%.2f\n",
	       why, opt_conns, n_established, n_subscribed, n_conn_errors, n_setup_failed,
	       (double)(t_ready_ns - t_start_ns) / 1e9);
	fflush(stdout);
	lws_sul_schedule(ctx, 0, &sul_end, end_window, (lws_usec_t)(opt_duration * 1e6));
}

static void tick(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	int64_t m = now_mono();
	sec_no++;
	if (phase == 0) {
		int settled = n_subscribed + n_conn_errors + n_closed + n_setup_failed >= opt_conns && next_to_open >= opt_conns;
		if (settled)
			start_window("setup finished with failures");
		else if ((double)(m - t_start_ns) / 1e9 >= opt_setup_timeout)
			start_window("setup timeout");
	}
	if (!opt_quiet || phase == 0) {
		printf("t=%d %s deliveries/s=%" PRIu64 " total=%" PRIu64
		       " established=%d subscribed=%d conn_errors=%d closed=%d stomp_errors=%d\n",
		       sec_no, phase == 0 ? "setup" : "run", deliveries_sec, deliveries_total,
		       n_established, n_subscribed, n_conn_errors, n_closed, n_stomp_errors);
		fflush(stdout);
	}
	deliveries_sec = 0;
	lws_sul_schedule(ctx, 0, &sul_tick, tick, LWS_US_PER_SEC);
}

/* ---------------- main ---------------- */

static void usage(const char *a0)
{
	fprintf(stderr,
		"usage: %s [options]\n"
		"  --url URL             ws://127.0.0.1:15674/ws (loopback hosts only)\n"
		"  --connections N       number of WebSocket connections (100)\n"
		"  --destination D       STOMP destination (/topic/bench)\n"
		"  --duration S          measurement window in seconds, after READY (10)\n"
		"  --setup-timeout S     max seconds to wait for all subscriptions (60)\n"
		"  --login L --passcode P  STOMP credentials (guest/guest)\n"
		"  --vhost V             STOMP host header (/)\n"
		"  --mode stomp|raw      stomp: STOMP 1.2 over v12.stomp; raw: count WS messages\n"
		"  --subprotocol P       WebSocket subprotocol (stomp: v12.stomp, raw: none; '' = none)\n"
		"  --batch N --batch-ms MS  open N connections every MS ms (100, 20)\n"
		"  --quiet               no per-second lines during the run\n"
		"  --libuv / --poll      event loop: libuv/epoll (default) or lws's own poll() loop\n"
		"                        (poll() costs O(connections) per wakeup: ~20%% more client CPU at 1k)\n", a0);
}

static int parse_url(const char *u)
{
	if (strncmp(u, "ws://", 5)) {
		fprintf(stderr, "only ws:// URLs are supported\n");
		return -1;
	}
	const char *p = u + 5, *hs, *he;
	if (*p == '[') {
		hs = p + 1;
		he = strchr(hs, ']');
		if (!he)
			return -1;
		p = he + 1;
	} else {
		hs = p;
		he = p + strcspn(p, ":/");
		p = he;
	}
	if ((size_t)(he - hs) >= sizeof(url_host))
		return -1;
	memcpy(url_host, hs, (size_t)(he - hs));
	url_host[he - hs] = 0;
	url_port = 80;
	if (*p == ':') {
		url_port = atoi(p + 1);
		p += 1 + strspn(p + 1, "0123456789");
	}
	snprintf(url_path, sizeof(url_path), "%s", *p ? p : "/");
	if (url_path[0] != '/')
		return -1;
	if (strcmp(url_host, "127.0.0.1") && strcmp(url_host, "localhost") && strcmp(url_host, "::1")) {
		fprintf(stderr, "refusing non-loopback host '%s' (allowed: 127.0.0.1, localhost, ::1)\n",
			url_host);
		return -1;
	}
	if (url_port <= 0 || url_port > 65535)
		return -1;
	return 0;
}

static void on_sigint(int s)
{
	(void)s;
	interrupted = 1;
	if (ctx)
		lws_cancel_service(ctx);
	if (ctx && opt_libuv)
		uv_stop(&uvloop);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, 0, 'u' },
		{ "connections", required_argument, 0, 'c' },
		{ "destination", required_argument, 0, 'd' },
		{ "duration", required_argument, 0, 't' },
		{ "setup-timeout", required_argument, 0, 'T' },
		{ "login", required_argument, 0, 'l' },
		{ "passcode", required_argument, 0, 'p' },
		{ "vhost", required_argument, 0, 'v' },
		{ "mode", required_argument, 0, 'm' },
		{ "subprotocol", required_argument, 0, 's' },
		{ "batch", required_argument, 0, 'b' },
		{ "batch-ms", required_argument, 0, 'B' },
		{ "quiet", no_argument, 0, 'q' },
		{ "libuv", no_argument, 0, 'U' },
		{ "poll", no_argument, 0, 'P' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	int o;
	while ((o = getopt_long(argc, argv, "u:c:d:t:T:l:p:v:m:s:b:B:qUPh", lo, NULL)) != -1) {
		switch (o) {
		case 'u': opt_url = optarg; break;
		case 'c': opt_conns = atoi(optarg); break;
		case 'd': opt_dest = optarg; break;
		case 't': opt_duration = atof(optarg); break;
		case 'T': opt_setup_timeout = atof(optarg); break;
		case 'l': opt_login = optarg; break;
		case 'p': opt_passcode = optarg; break;
		case 'v': opt_vhost = optarg; break;
		case 'm':
			if (!strcmp(optarg, "raw")) opt_raw = 1;
			else if (!strcmp(optarg, "stomp")) opt_raw = 0;
			else { usage(argv[0]); return 2; }
			break;
		case 's': opt_subproto = optarg; break;
		case 'b': opt_batch = atoi(optarg); break;
		case 'B': opt_batch_ms = atoi(optarg); break;
		case 'q': opt_quiet = 1; break;
		case 'U': opt_libuv = 1; break;
		case 'P': opt_libuv = 0; break;
		default: usage(argv[0]); return o == 'h' ? 0 : 2;
		}
	}
	if (opt_conns <= 0 || opt_duration <= 0 || opt_batch <= 0 || opt_batch_ms < 0) {
		usage(argv[0]);
		return 2;
	}
	if (parse_url(opt_url))
		return 2;
	if (!opt_subproto)
		opt_subproto = opt_raw ? "" : "v12.stomp";

	/* raise the fd limit to the hard limit */
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if ((rlim_t)opt_conns + 64 > rl.rlim_cur) {
		fprintf(stderr, "fd limit %lu too low for %d connections\n", (unsigned long)rl.rlim_cur, opt_conns);
		return 2;
	}

	conns = calloc((size_t)opt_conns, sizeof(*conns));
	if (!conns)
		return 2;
	for (int i = 0; i < opt_conns; i++)
		conns[i].idx = i;

	lws_set_log_level(LLL_ERR, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.fd_limit_per_thread = (unsigned int)opt_conns + 64;
	void *foreign[1] = { &uvloop };
	if (opt_libuv) {
		uv_loop_init(&uvloop);
		info.options |= LWS_SERVER_OPTION_LIBUV;
		info.foreign_loops = foreign;
	}
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "lws_create_context failed\n");
		return 1;
	}
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);

	printf("stomp_ws_load: url=%s host=%s port=%d path=%s mode=%s subprotocol=%s connections=%d destination=%s duration=%.1fs loop=%s\n",
	       opt_url, url_host, url_port, url_path, opt_raw ? "raw" : "stomp",
	       *opt_subproto ? opt_subproto : "(none)", opt_conns, opt_dest, opt_duration, opt_libuv ? "libuv" : "poll");
	fflush(stdout);

	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	t_start_ns = now_mono();
	lws_sul_schedule(ctx, 0, &sul_open, open_batch, 1);
	lws_sul_schedule(ctx, 0, &sul_tick, tick, LWS_US_PER_SEC);

	if (opt_libuv)
		uv_run(&uvloop, UV_RUN_DEFAULT); /* returns after uv_stop() in end_window / signal */
	else
		while (!interrupted && phase < 2)
			if (lws_service(ctx, 0) < 0)
				break;

	int64_t t_end = now_mono();
	getrusage(RUSAGE_SELF, &ru1);
	if (phase == 0)
		t_ready_ns = t_end;
	double win_s = (double)(t_end - t_ready_ns) / 1e9;
	double active_s = t_last_ns > t_first_ns ? (double)(t_last_ns - t_first_ns) / 1e9 : 0;
	double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		     (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	if (phase == 0)
		ru_ready = ru1;
	double wcpu = (double)(ru1.ru_utime.tv_sec - ru_ready.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru_ready.ru_stime.tv_sec) +
		      (double)(ru1.ru_utime.tv_usec - ru_ready.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru_ready.ru_stime.tv_usec) / 1e6;

	uint64_t minc = UINT64_MAX, maxc = 0;
	for (int i = 0; i < opt_conns; i++) {
		if (conns[i].deliveries < minc) minc = conns[i].deliveries;
		if (conns[i].deliveries > maxc) maxc = conns[i].deliveries;
	}

	printf("SUMMARY connections=%d established=%d subscribed=%d conn_errors=%d setup_refused=%d closed=%d stomp_errors=%d\n",
	       opt_conns, n_established, n_subscribed, n_conn_errors, n_setup_failed, n_closed, n_stomp_errors);
	printf("SUMMARY deliveries=%" PRIu64 " deliveries_in_window=%" PRIu64 " window_s=%.2f active_s=%.2f"
	       " deliveries/s(window)=%.0f deliveries/s(active)=%.0f per_conn_min=%" PRIu64 " per_conn_max=%" PRIu64 "\n",
	       deliveries_total, deliveries_window, win_s, active_s,
	       win_s > 0 ? (double)deliveries_window / win_s : 0,
	       active_s > 0 ? (double)deliveries_window / active_s : 0, minc, maxc);
	if (!hist_n)
		printf("SUMMARY latency_ms n/a (no timestamped deliveries) no_timestamp=%" PRIu64 "\n", no_ts);
	else
	printf("SUMMARY latency_ms p50=%.3f p99=%.3f p99.9=%.3f max=%.3f mean=%.3f samples=%" PRIu64
	       " no_timestamp=%" PRIu64 " negative=%" PRIu64 "\n",
	       percentile(0.50) / 1000, percentile(0.99) / 1000, percentile(0.999) / 1000,
	       (double)lat_max_us / 1000, hist_n ? lat_sum_us / (double)hist_n / 1000 : -1.0,
	       hist_n, no_ts, neg_lat);
	printf("SUMMARY client_cpu_s total=%.3f setup=%.3f window=%.3f client_cpu_us_per_delivery(window)=%.2f\n",
	       cpu, cpu - wcpu, wcpu, deliveries_window ? wcpu * 1e6 / (double)deliveries_window : 0);
	fflush(stdout);

	if (opt_libuv) /* process exit closes the sockets; skip the foreign-loop teardown dance */
		return (n_subscribed == opt_conns) ? 0 : 1;
	lws_context_destroy(ctx);
	for (int i = 0; i < opt_conns; i++)
		free(conns[i].buf);
	free(conns);
	return (n_subscribed == opt_conns) ? 0 : 1;
}
