/*
 * sse_load — independent Server-Sent Events fan-out load client (C, libc only).
 *
 * Opens N HTTP/1.1 connections to a loopback URL, each sending
 *
 *   GET <path?query> HTTP/1.1
 *   Host: <host:port>
 *   Accept: text/event-stream
 *   [--header lines]
 *
 * and reads the response: status line (200 required; anything else counts as
 * refused), headers, then the body in chunked transfer coding (or, without
 * Transfer-Encoding: chunked, the raw bytes until the connection closes), then the
 * event stream, incrementally across arbitrary read and chunk boundaries.
 *
 * Event stream (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 * lines end with LF, CRLF or CR; a blank line ends an event; lines starting with
 * ':' are comments; fields id / event / data / retry (id and retry are ignored).
 * An event with "event: message", or with data and no event field, is one
 * delivery; "event: gap" and "event: error" are counted separately; other event
 * types are counted as "other". A block with neither data nor an event field
 * (a comment such as ": heartbeat", or a lone "retry:") is not an event.
 *
 * Timestamp: in the data, after "body" : " (the stomp-gateway JSON envelope
 * {..."body":"ts=<ns>"...}), or, when the data has no "body" key, at the start of
 * the data itself (nchan sends the published body as the data): optional "ts=",
 * then decimal nanoseconds of CLOCK_REALTIME at publish time. Parsing stops at the
 * first non-digit. Latency = CLOCK_REALTIME at receipt - that. Events without a
 * timestamp are counted as deliveries and reported as no_timestamp.
 *
 * Timeline and output follow stomp_ws_load: connections are opened in batches;
 * a connection counts as subscribed when its response head arrived with status 200;
 * when all are subscribed (or setup has settled with failures, or --setup-timeout
 * has passed) a line starting with "READY" is printed and the measurement window
 * of --duration seconds starts; one line per second; a final SUMMARY with
 * deliveries_in_window=. Exit status 0 only if every connection subscribed.
 *
 * Only loopback hosts are accepted: 127.0.0.1, localhost (connects to 127.0.0.1),
 * ::1 (written [::1] in the URL).
 *
 * One thread, epoll (level-triggered), non-blocking sockets. Nothing is allocated
 * per delivery: a per-connection carry buffer holds an incomplete response head or
 * an incomplete line; it grows (rarely) to the longest line seen and is reused.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---------------- options ---------------- */

static const char *opt_url = "http://127.0.0.1:8080/events?destination=/topic/bench";
static int opt_conns = 100;
static double opt_duration = 10.0;
static double opt_setup_timeout = 60.0;
static int opt_batch = 100;   /* connections opened per batch */
static int opt_batch_ms = 20; /* delay between batches */
static int opt_quiet = 0;
#define MAX_HEADERS 32
static const char *opt_headers[MAX_HEADERS];
static int n_opt_headers;

static char url_host[256];
static int url_port;
static char url_path[2048];
static struct sockaddr_storage dst_addr;
static socklen_t dst_len;

static char request[8192];
static size_t request_len;

/* ---------------- state ---------------- */

enum cstate {
	CS_IDLE = 0,
	CS_CONNECTING, /* connect() in progress */
	CS_SENDING,    /* request partly written */
	CS_HEAD,       /* waiting for the response head */
	CS_STREAM,     /* 200 received: reading the body */
	CS_CLOSED,
};

enum chunk_state {
	CK_SIZE = 0, /* hex digits of a chunk size */
	CK_EXT,      /* chunk extension: skip to LF */
	CK_SIZE_LF,  /* CR seen after the size, LF expected */
	CK_DATA,     /* chunk data, ck_left bytes to go */
	CK_DATA_CR,  /* CRLF after the data */
	CK_DATA_LF,
	CK_DONE,     /* last chunk seen: the response has ended */
};

enum ev_type { EV_NONE = 0, EV_MESSAGE, EV_GAP, EV_ERROR, EV_OTHER };

struct conn {
	int fd;
	int idx;
	uint8_t st;
	uint8_t chunked;
	uint8_t ck;          /* enum chunk_state */
	uint8_t ck_digits;
	uint8_t skip_lf;     /* the previous line ended with CR: drop a following LF */
	uint8_t ev;          /* enum ev_type of the event being read */
	uint8_t has_data;
	uint8_t ts_done;     /* a timestamp was looked for in this event's data already */
	uint16_t sent;       /* request bytes written */
	uint64_t ck_left;
	uint64_t ts;         /* timestamp of the event being read, 0 = none */
	/* carry buffer: incomplete response head, or incomplete line of the stream */
	char *buf;
	uint32_t len, cap;
	uint64_t deliveries;
};

static struct conn *conns;
static int epfd = -1;
static int next_to_open;
static volatile sig_atomic_t interrupted;

static int n_established, n_subscribed, n_conn_errors, n_refused, n_closed, n_proto_errors;
static int n_pending; /* opened, not yet subscribed / refused / failed */
static int n_printed_errors;
static uint64_t ev_gap, ev_error, ev_other;
static uint64_t deliveries_total, deliveries_window, deliveries_sec;
static uint64_t no_ts, neg_lat;
static uint64_t bytes_in;
static int64_t t_start_ns, t_ready_ns = 0, t_first_ns = 0, t_last_ns = 0;
static int64_t t_next_open, t_next_tick, t_end;
static int phase; /* 0 = setup, 1 = measuring, 2 = done */
static int sec_no;
static struct rusage ru_ready;

/* ---------------- latency histogram (log-linear, ~1.6% resolution, µs) ---------------- */

#define SUB_BITS 6
#define SUB 64 /* sub-buckets per power of two (upper half) */
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

static void start_window(const char *why);

/* ---------------- deliveries ---------------- */

/* Timestamp at p[0..n): optional "ts=", then up to 20 decimal digits. 0 = none. */
static uint64_t parse_ts(const char *p, size_t n)
{
	size_t i = 0;
	if (n >= 3 && p[0] == 't' && p[1] == 's' && p[2] == '=')
		i = 3;
	uint64_t ts = 0;
	size_t d0 = i;
	while (i < n && p[i] >= '0' && p[i] <= '9' && i - d0 < 20) {
		ts = ts * 10 + (uint64_t)(p[i] - '0');
		i++;
	}
	return i == d0 ? 0 : ts;
}

/* Looks for the timestamp in one data line: after "body" : " if present, else at
 * the start of the line. */
static uint64_t data_ts(const char *v, size_t n)
{
	const char *b = memmem(v, n, "\"body\"", 6);
	if (!b)
		return parse_ts(v, n);
	const char *e = v + n;
	b += 6;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	if (b >= e || *b != ':')
		return 0;
	b++;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	if (b >= e || *b != '"')
		return 0;
	b++;
	return parse_ts(b, (size_t)(e - b));
}

static void record_delivery(struct conn *c, uint64_t ts, int64_t now)
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
	if (!ts) {
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

/* ---------------- event stream ---------------- */

static void sse_dispatch(struct conn *c, int64_t now)
{
	if (c->has_data || c->ev != EV_NONE) {
		switch (c->ev) {
		case EV_NONE:
		case EV_MESSAGE: record_delivery(c, c->ts, now); break;
		case EV_GAP: ev_gap++; break;
		case EV_ERROR: ev_error++; break;
		default: ev_other++; break;
		}
	}
	c->ev = EV_NONE;
	c->has_data = 0;
	c->ts_done = 0;
	c->ts = 0;
}

/* One complete line, without its terminator. */
static void sse_line(struct conn *c, const char *l, size_t n, int64_t now)
{
	if (n == 0) {
		sse_dispatch(c, now);
		return;
	}
	if (l[0] == ':')
		return; /* comment (": heartbeat") */
	const char *colon = memchr(l, ':', n);
	size_t fl = colon ? (size_t)(colon - l) : n;
	const char *v = colon ? colon + 1 : l + n;
	size_t vn = colon ? n - fl - 1 : 0;
	if (vn && *v == ' ') {
		v++;
		vn--;
	}
	if (fl == 4 && !memcmp(l, "data", 4)) {
		c->has_data = 1;
		if (!c->ts_done) {
			c->ts = data_ts(v, vn);
			c->ts_done = c->ts != 0;
		}
	} else if (fl == 5 && !memcmp(l, "event", 5)) {
		if (vn == 7 && !memcmp(v, "message", 7))
			c->ev = EV_MESSAGE;
		else if (vn == 3 && !memcmp(v, "gap", 3))
			c->ev = EV_GAP;
		else if (vn == 5 && !memcmp(v, "error", 5))
			c->ev = EV_ERROR;
		else if (vn == 0)
			c->ev = EV_NONE;
		else
			c->ev = EV_OTHER;
	}
	/* id, retry and unknown fields: ignored */
}

static int carry_append(struct conn *c, const char *p, size_t n)
{
	if ((size_t)c->len + n > c->cap) {
		size_t want = ((size_t)c->len + n) * 2;
		if (want < 512)
			want = 512;
		if (want > (64u << 20)) {
			fprintf(stderr, "conn %d: line longer than 32 MiB\n", c->idx);
			return -1;
		}
		char *nb = realloc(c->buf, want);
		if (!nb) {
			fprintf(stderr, "oom\n");
			exit(2);
		}
		c->buf = nb;
		c->cap = (uint32_t)want;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += (uint32_t)n;
	return 0;
}

/* Decoded body bytes p[0..n), any boundary. Complete lines are parsed in place;
 * an incomplete last line goes to the carry buffer. */
static int sse_feed(struct conn *c, const char *p, size_t n, int64_t now)
{
	size_t off = 0;
	if (c->skip_lf && n) {
		if (p[0] == '\n')
			off = 1;
		c->skip_lf = 0;
	}
	while (off < n) {
		const char *s = p + off;
		size_t rest = n - off;
		size_t k = 0;
		/* find the end of the line: LF or CR */
		const char *lf = memchr(s, '\n', rest);
		size_t lim = lf ? (size_t)(lf - s) : rest;
		const char *cr = memchr(s, '\r', lim);
		if (cr)
			k = (size_t)(cr - s);
		else if (lf)
			k = lim;
		else {
			/* no terminator: keep for later */
			return carry_append(c, s, rest);
		}
		if (c->len) {
			if (carry_append(c, s, k))
				return -1;
			sse_line(c, c->buf, c->len, now);
			c->len = 0;
		} else {
			sse_line(c, s, k, now);
		}
		off += k + 1;
		if (s[k] == '\r') {
			if (off < n) {
				if (p[off] == '\n')
					off++;
			} else {
				c->skip_lf = 1;
			}
		}
	}
	return 0;
}

/* Body bytes after the response head: chunked decoding, or pass-through. */
static int body_feed(struct conn *c, const char *p, size_t n, int64_t now)
{
	if (!c->chunked)
		return sse_feed(c, p, n, now);
	size_t i = 0;
	while (i < n) {
		switch (c->ck) {
		case CK_SIZE: {
			char ch = p[i++];
			int d;
			if (ch >= '0' && ch <= '9')
				d = ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				d = ch - 'a' + 10;
			else if (ch >= 'A' && ch <= 'F')
				d = ch - 'A' + 10;
			else
				d = -1;
			if (d >= 0) {
				if (++c->ck_digits > 15)
					return -1;
				c->ck_left = c->ck_left * 16 + (uint64_t)d;
				break;
			}
			if (!c->ck_digits)
				return -1;
			if (ch == ';' || ch == ' ' || ch == '\t')
				c->ck = CK_EXT;
			else if (ch == '\r')
				c->ck = CK_SIZE_LF;
			else if (ch == '\n')
				goto size_done;
			else
				return -1;
			break;
		}
		case CK_EXT: {
			const char *lf = memchr(p + i, '\n', n - i);
			if (!lf) {
				i = n;
				break;
			}
			i = (size_t)(lf - p) + 1;
			goto size_done;
		}
		case CK_SIZE_LF:
			if (p[i++] != '\n')
				return -1;
		size_done:
			c->ck_digits = 0;
			if (c->ck_left == 0) {
				c->ck = CK_DONE; /* last chunk: the server ended the stream */
				return 1;
			}
			c->ck = CK_DATA;
			break;
		case CK_DATA: {
			size_t k = n - i;
			if (k > c->ck_left)
				k = (size_t)c->ck_left;
			if (sse_feed(c, p + i, k, now))
				return -1;
			i += k;
			c->ck_left -= k;
			if (!c->ck_left)
				c->ck = CK_DATA_CR;
			break;
		}
		case CK_DATA_CR:
			if (p[i] == '\r') {
				i++;
				c->ck = CK_DATA_LF;
			} else if (p[i] == '\n') {
				i++;
				c->ck = CK_SIZE;
			} else {
				return -1;
			}
			break;
		case CK_DATA_LF:
			if (p[i++] != '\n')
				return -1;
			c->ck = CK_SIZE;
			break;
		case CK_DONE:
			return 1;
		}
	}
	return 0;
}

/* ---------------- connections ---------------- */

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->st = CS_CLOSED;
}

static void maybe_all_subscribed(void)
{
	if (n_subscribed == opt_conns && phase == 0)
		start_window("all subscribed");
}

/* failure before subscription; kind 0 = connection error, 1 = refused (status),
 * 2 = protocol error */
static void setup_failed(struct conn *c, int kind, const char *what)
{
	if (kind == 0)
		n_conn_errors++;
	else if (kind == 1)
		n_refused++;
	else
		n_proto_errors++;
	if (c->st != CS_IDLE && c->st != CS_CLOSED)
		n_pending--;
	if (n_printed_errors++ < 5)
		fprintf(stderr, "conn %d: %s\n", c->idx, what);
	conn_close(c);
}

/* the server closed, or the stream broke, after subscription */
static void stream_closed(struct conn *c, const char *what)
{
	n_closed++;
	if (phase < 2 && n_printed_errors++ < 5)
		fprintf(stderr, "conn %d: %s\n", c->idx, what);
	conn_close(c);
}

static void open_one(struct conn *c)
{
	int fd = socket(dst_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		char m[128];
		snprintf(m, sizeof(m), "socket: %s", strerror(errno));
		c->st = CS_IDLE;
		setup_failed(c, 0, m);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->st = CS_CONNECTING;
	n_pending++;
	int r = connect(fd, (struct sockaddr *)&dst_addr, dst_len);
	if (r < 0 && errno != EINPROGRESS) {
		char m[128];
		snprintf(m, sizeof(m), "connect: %s", strerror(errno));
		setup_failed(c, 0, m);
		return;
	}
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		char m[128];
		snprintf(m, sizeof(m), "epoll_ctl: %s", strerror(errno));
		setup_failed(c, 0, m);
	}
}

static void on_writable(struct conn *c)
{
	if (c->st == CS_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			char m[128];
			snprintf(m, sizeof(m), "connect: %s", strerror(err));
			setup_failed(c, 0, m);
			return;
		}
		n_established++;
		c->st = CS_SENDING;
	}
	if (c->st != CS_SENDING)
		return;
	ssize_t w = send(c->fd, request + c->sent, request_len - c->sent, MSG_NOSIGNAL);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		char m[128];
		snprintf(m, sizeof(m), "send: %s", strerror(errno));
		setup_failed(c, 0, m);
		return;
	}
	c->sent += (uint16_t)w;
	if (c->sent == request_len) {
		c->st = CS_HEAD;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Response head in c->buf[0..hlen). Returns 0 if 200, else -1 (already counted). */
static int parse_head(struct conn *c, size_t hlen, const char *after, size_t alen)
{
	const char *h = c->buf;
	const char *eol = memchr(h, '\n', hlen);
	size_t l1 = eol ? (size_t)(eol - h) : hlen;
	int status = 0;
	if (l1 > 12 && !memcmp(h, "HTTP/1.", 7) && h[8] == ' ')
		status = atoi(h + 9);
	if (status != 200) {
		char m[512];
		size_t sl = l1 && h[l1 - 1] == '\r' ? l1 - 1 : l1;
		size_t bl = alen > 200 ? 200 : alen;
		snprintf(m, sizeof(m), "%s: %.*s | %.*s", status ? "refused" : "not an HTTP/1.x response", (int)(sl > 200 ? 200 : sl), h, (int)bl, after);
		for (char *q = m; *q; q++)
			if (*q == '\r' || *q == '\n')
				*q = ' ';
		setup_failed(c, status ? 1 : 2, m);
		return -1;
	}
	/* headers: Transfer-Encoding: chunked */
	c->chunked = 0;
	const char *p = eol ? eol + 1 : h + hlen;
	const char *end = h + hlen;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		size_t n = (size_t)(e - p);
		if (n > 18 && !strncasecmp(p, "transfer-encoding:", 18)) {
			const char *v = p + 18;
			size_t vn = n - 18;
			for (size_t i = 0; i + 7 <= vn; i++)
				if (!strncasecmp(v + i, "chunked", 7)) {
					c->chunked = 1;
					break;
				}
		}
		p = e + 1;
	}
	c->ck = CK_SIZE;
	c->ck_left = 0;
	c->ck_digits = 0;
	c->st = CS_STREAM;
	n_pending--;
	n_subscribed++;
	maybe_all_subscribed();
	return 0;
}

static char rbuf[1 << 16];

static void on_readable(struct conn *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, rbuf, sizeof(rbuf), 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			char m[128];
			snprintf(m, sizeof(m), "recv: %s", strerror(errno));
			if (c->st == CS_STREAM)
				stream_closed(c, m);
			else
				setup_failed(c, 0, m);
			return;
		}
		if (r == 0) {
			if (c->st == CS_STREAM)
				stream_closed(c, "closed by server");
			else
				setup_failed(c, 0, "closed by server before the response head");
			return;
		}
		bytes_in += (uint64_t)r;
		int64_t now = now_rt();
		const char *p = rbuf;
		size_t n = (size_t)r;
		if (c->st == CS_CONNECTING || c->st == CS_SENDING) {
			/* a response before the request was sent (e.g. an early 4xx/5xx) */
			c->st = CS_HEAD;
		}
		if (c->st == CS_HEAD) {
			size_t old = c->len;
			if (carry_append(c, p, n)) {
				setup_failed(c, 2, "response head too long");
				return;
			}
			/* look for the blank line, starting a little before the new bytes */
			size_t from = old > 3 ? old - 3 : 0;
			const char *b = c->buf + from;
			size_t bn = c->len - from;
			/* the head ends at the first CRLF CRLF, or LF LF (lenient) */
			const char *e = memmem(b, bn, "\r\n\r\n", 4);
			const char *e2 = memmem(b, bn, "\n\n", 2);
			size_t hlen, skip;
			if (e && (!e2 || e < e2 + 1)) {
				hlen = (size_t)(e - c->buf);
				skip = 4;
			} else if (e2) {
				hlen = (size_t)(e2 - c->buf);
				skip = 2;
			} else {
				if (c->len > 65536)
					setup_failed(c, 2, "response head over 64 KiB");
				return;
			}
			/* body bytes that came with the head: after the head in the carry
			 * buffer, i.e. at the same place in this read */
			size_t body_at = hlen + skip - old; /* offset in p */
			if (parse_head(c, hlen, p + body_at, n - body_at))
				return;
			c->len = 0;
			p += body_at;
			n -= body_at;
			if (!n) {
				if ((size_t)r < sizeof(rbuf))
					return;
				continue;
			}
		}
		if (c->st == CS_STREAM) {
			int rc = body_feed(c, p, n, now);
			if (rc < 0) {
				n_proto_errors++;
				stream_closed(c, "malformed chunked body or overlong line");
				return;
			}
			if (rc > 0) {
				stream_closed(c, "response ended (last chunk)");
				return;
			}
		}
		if ((size_t)r < sizeof(rbuf))
			return; /* level-triggered: epoll reports the rest */
	}
}

/* ---------------- timers ---------------- */

static void open_batch(void)
{
	for (int k = 0; k < opt_batch && next_to_open < opt_conns; k++, next_to_open++)
		open_one(&conns[next_to_open]);
	if (next_to_open < opt_conns)
		t_next_open = now_mono() + (int64_t)opt_batch_ms * 1000000LL;
	else
		t_next_open = INT64_MAX;
}

static void start_window(const char *why)
{
	phase = 1;
	t_ready_ns = now_mono();
	getrusage(RUSAGE_SELF, &ru_ready);
	deliveries_window = 0;
	printf("READY %s: connections=%d established=%d subscribed=%d conn_errors=%d setup_refused=%d protocol_errors=%d setup_s=%.2f\n",
	       why, opt_conns, n_established, n_subscribed, n_conn_errors, n_refused, n_proto_errors,
	       (double)(t_ready_ns - t_start_ns) / 1e9);
	fflush(stdout);
	t_end = t_ready_ns + (int64_t)(opt_duration * 1e9);
}

static void tick(void)
{
	int64_t m = now_mono();
	sec_no++;
	if (phase == 0) {
		if (next_to_open >= opt_conns && n_pending == 0)
			start_window("setup finished with failures");
		else if ((double)(m - t_start_ns) / 1e9 >= opt_setup_timeout)
			start_window("setup timeout");
	}
	if (!opt_quiet || phase == 0) {
		printf("t=%d %s deliveries/s=%" PRIu64 " total=%" PRIu64
		       " established=%d subscribed=%d conn_errors=%d refused=%d closed=%d gap_events=%" PRIu64
		       " error_events=%" PRIu64 "\n",
		       sec_no, phase == 0 ? "setup" : "run", deliveries_sec, deliveries_total,
		       n_established, n_subscribed, n_conn_errors, n_refused, n_closed, ev_gap, ev_error);
		fflush(stdout);
	}
	deliveries_sec = 0;
	t_next_tick += 1000000000LL;
}

/* ---------------- setup ---------------- */

static void usage(const char *a0)
{
	fprintf(stderr,
		"usage: %s [options]\n"
		"  --url URL             http://127.0.0.1:8080/events?destination=/topic/bench\n"
		"                        (loopback hosts only; path and query are sent as given)\n"
		"  --connections N       number of SSE connections (100)\n"
		"  --duration S          measurement window in seconds, after READY (10)\n"
		"  --setup-timeout S     max seconds to wait for all subscriptions (60)\n"
		"  --batch N --batch-ms MS  open N connections every MS ms (100, 20)\n"
		"  --header 'Name: value'   extra request header, repeatable (e.g. Authorization)\n"
		"  --quiet               no per-second lines during the run\n", a0);
}

static int parse_url(const char *u)
{
	if (strncmp(u, "http://", 7)) {
		fprintf(stderr, "only http:// URLs are supported\n");
		return -1;
	}
	const char *p = u + 7, *hs, *he;
	int v6 = 0;
	if (*p == '[') {
		hs = p + 1;
		he = strchr(hs, ']');
		if (!he)
			return -1;
		p = he + 1;
		v6 = 1;
	} else {
		hs = p;
		he = p + strcspn(p, ":/?");
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
	if (*p == '?')
		snprintf(url_path, sizeof(url_path), "/%s", p);
	else
		snprintf(url_path, sizeof(url_path), "%s", *p ? p : "/");
	if (url_path[0] != '/' || strpbrk(url_path, " \r\n\t"))
		return -1;
	if (strcmp(url_host, "127.0.0.1") && strcmp(url_host, "localhost") && strcmp(url_host, "::1")) {
		fprintf(stderr, "refusing non-loopback host '%s' (allowed: 127.0.0.1, localhost, ::1)\n",
			url_host);
		return -1;
	}
	if (!strcmp(url_host, "::1") && !v6)
		return -1;
	if (url_port <= 0 || url_port > 65535)
		return -1;
	memset(&dst_addr, 0, sizeof(dst_addr));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&dst_addr;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)url_port);
		a->sin6_addr = in6addr_loopback;
		dst_len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&dst_addr;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)url_port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		dst_len = sizeof(*a);
	}
	return 0;
}

static int build_request(void)
{
	int n = snprintf(request, sizeof(request),
			 "GET %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n",
			 url_path, strchr(url_host, ':') ? "[" : "", url_host, strchr(url_host, ':') ? "]" : "",
			 url_port);
	if (n < 0 || (size_t)n >= sizeof(request))
		return -1;
	for (int i = 0; i < n_opt_headers; i++) {
		const char *h = opt_headers[i];
		if (strpbrk(h, "\r\n") || !strchr(h, ':')) {
			fprintf(stderr, "bad --header '%s' (want 'Name: value', one line)\n", h);
			return -1;
		}
		int k = snprintf(request + n, sizeof(request) - (size_t)n, "%s\r\n", h);
		if (k < 0 || (size_t)(n + k) >= sizeof(request))
			return -1;
		n += k;
	}
	int k = snprintf(request + n, sizeof(request) - (size_t)n, "\r\n");
	if (k < 0 || (size_t)(n + k) >= sizeof(request))
		return -1;
	request_len = (size_t)(n + k);
	return request_len < 65535 ? 0 : -1;
}

static void on_sigint(int s)
{
	(void)s;
	interrupted = 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, 0, 'u' },
		{ "connections", required_argument, 0, 'c' },
		{ "duration", required_argument, 0, 't' },
		{ "setup-timeout", required_argument, 0, 'T' },
		{ "batch", required_argument, 0, 'b' },
		{ "batch-ms", required_argument, 0, 'B' },
		{ "header", required_argument, 0, 'H' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	int o;
	while ((o = getopt_long(argc, argv, "u:c:t:T:b:B:H:qh", lo, NULL)) != -1) {
		switch (o) {
		case 'u': opt_url = optarg; break;
		case 'c': opt_conns = atoi(optarg); break;
		case 't': opt_duration = atof(optarg); break;
		case 'T': opt_setup_timeout = atof(optarg); break;
		case 'b': opt_batch = atoi(optarg); break;
		case 'B': opt_batch_ms = atoi(optarg); break;
		case 'H':
			if (n_opt_headers >= MAX_HEADERS) {
				fprintf(stderr, "at most %d --header\n", MAX_HEADERS);
				return 2;
			}
			opt_headers[n_opt_headers++] = optarg;
			break;
		case 'q': opt_quiet = 1; break;
		default: usage(argv[0]); return o == 'h' ? 0 : 2;
		}
	}
	if (optind < argc || opt_conns <= 0 || opt_duration <= 0 || opt_batch <= 0 || opt_batch_ms < 0) {
		usage(argv[0]);
		return 2;
	}
	if (parse_url(opt_url)) {
		fprintf(stderr, "bad or refused URL '%s'\n", opt_url);
		return 2;
	}
	if (build_request()) {
		fprintf(stderr, "request too long or bad header\n");
		return 2;
	}

	/* raise the fd limit as far as allowed */
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if ((rlim_t)opt_conns + 16 > rl.rlim_cur) {
		fprintf(stderr, "fd limit %lu too low for %d connections\n", (unsigned long)rl.rlim_cur, opt_conns);
		return 2;
	}

	conns = calloc((size_t)opt_conns, sizeof(*conns));
	if (!conns)
		return 2;
	for (int i = 0; i < opt_conns; i++) {
		conns[i].idx = i;
		conns[i].fd = -1;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		perror("epoll_create1");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint; /* no SA_RESTART: epoll_wait returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	printf("sse_load: url=%s host=%s port=%d path=%s connections=%d headers=%d duration=%.1fs\n",
	       opt_url, url_host, url_port, url_path, opt_conns, n_opt_headers, opt_duration);
	fflush(stdout);

	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	t_start_ns = now_mono();
	t_next_open = t_start_ns;
	t_next_tick = t_start_ns + 1000000000LL;
	t_end = INT64_MAX;

	enum { MAXEV = 1024 };
	static struct epoll_event evs[MAXEV];
	while (!interrupted && phase < 2) {
		int64_t m = now_mono();
		if (m >= t_next_open)
			open_batch();
		if (m >= t_next_tick)
			tick();
		if (phase == 1 && m >= t_end) {
			phase = 2;
			break;
		}
		int64_t next = t_next_open < t_next_tick ? t_next_open : t_next_tick;
		if (t_end < next)
			next = t_end;
		int64_t wait_ns = next - now_mono();
		int tmo = wait_ns <= 0 ? 0 : (int)((wait_ns + 999999) / 1000000);
		int ne = epoll_wait(epfd, evs, MAXEV, tmo);
		if (ne < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			break;
		}
		for (int i = 0; i < ne; i++) {
			struct conn *c = evs[i].data.ptr;
			uint32_t e = evs[i].events;
			if (c->fd < 0)
				continue;
			if (e & EPOLLOUT)
				on_writable(c);
			if (c->fd >= 0 && (e & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
				if (c->st == CS_CONNECTING && (e & (EPOLLERR | EPOLLHUP)))
					on_writable(c); /* reports the SO_ERROR */
				else
					on_readable(c);
			}
		}
	}

	int64_t t_stop = now_mono();
	getrusage(RUSAGE_SELF, &ru1);
	if (phase == 0)
		t_ready_ns = t_stop;
	double win_s = (double)(t_stop - t_ready_ns) / 1e9;
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

	printf("SUMMARY connections=%d established=%d subscribed=%d conn_errors=%d setup_refused=%d protocol_errors=%d closed=%d"
	       " gap_events=%" PRIu64 " error_events=%" PRIu64 " other_events=%" PRIu64 "%s\n",
	       opt_conns, n_established, n_subscribed, n_conn_errors, n_refused, n_proto_errors, n_closed,
	       ev_gap, ev_error, ev_other, interrupted ? " interrupted=1" : "");
	printf("SUMMARY deliveries=%" PRIu64 " deliveries_in_window=%" PRIu64 " window_s=%.2f active_s=%.2f"
	       " deliveries/s(window)=%.0f deliveries/s(active)=%.0f per_conn_min=%" PRIu64 " per_conn_max=%" PRIu64
	       " bytes_in=%" PRIu64 "\n",
	       deliveries_total, deliveries_window, win_s, active_s,
	       win_s > 0 ? (double)deliveries_window / win_s : 0,
	       active_s > 0 ? (double)deliveries_window / active_s : 0, minc, maxc, bytes_in);
	if (!hist_n)
		printf("SUMMARY latency_ms n/a (no timestamped deliveries) no_timestamp=%" PRIu64 "\n", no_ts);
	else
		printf("SUMMARY latency_ms p50=%.3f p99=%.3f p99.9=%.3f max=%.3f mean=%.3f samples=%" PRIu64
		       " no_timestamp=%" PRIu64 " negative=%" PRIu64 "\n",
		       percentile(0.50) / 1000, percentile(0.99) / 1000, percentile(0.999) / 1000,
		       (double)lat_max_us / 1000, lat_sum_us / (double)hist_n / 1000, hist_n, no_ts, neg_lat);
	printf("SUMMARY client_cpu_s total=%.3f setup=%.3f window=%.3f client_cpu_us_per_delivery(window)=%.2f\n",
	       cpu, cpu - wcpu, wcpu, deliveries_window ? wcpu * 1e6 / (double)deliveries_window : 0);
	fflush(stdout);
	/* process exit closes the sockets */
	return (n_subscribed == opt_conns) ? 0 : 1;
}
