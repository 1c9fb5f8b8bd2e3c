/*
 * usrsctp-peer: an SCTP interop peer built on usrsctp, speaking SCTP over UDP
 * (RFC 6951: the SCTP packet is the UDP payload). usrsctp runs in AF_CONN
 * mode: it hands us each SCTP packet and we carry it over our own UDP socket
 * (and feed received datagrams back with usrsctp_conninput). usrsctp's
 * built-in UDP encapsulation was tried first and does not interoperate with
 * pion/sctp 1.8.6: its INIT/INIT-ACK carry IPv4 address and Supported Address
 * Types parameters that pion cannot parse (see ../README.md, "Findings").
 *
 *   usrsctp-peer server --udp-port U --sctp-port S [scenario flags]
 *   usrsctp-peer client --remote HOST:UDPPORT --sctp-port S --remote-sctp-port S2
 *                       [--udp-port U] [scenario flags]
 *
 * Scenario flags: --streams N --count N --size B --unordered 0|1|mixed
 * --send-streams N --big BYTES --echo --expect N --timeout SECS
 * [--linger SECS: after a graceful end, keep answering the peer; SIGTERM ends it]
 * [--immediate-sack: no delayed SACKs]
 * [--reset-every N: after every N messages sent, reset the outgoing streams
 *  0..send-streams-1 (RFC 6525, SCTP_RESET_STREAMS); every reset must be
 *  confirmed by an SCTP_STREAM_RESET_EVENT before the shutdown].
 * [--reset-assoc-every N: after every N messages sent, reset the association's
 *  TSNs and stream numbering (RFC 6525 SSN/TSN Reset, SCTP_RESET_ASSOC); every
 *  reset must be confirmed by an SCTP_ASSOC_RESET_EVENT before the shutdown].
 * [--auth: accept DATA and SACK only authenticated (SCTP_AUTH_CHUNK, RFC 4895)].
 * Prints exactly one line `RESULT {json}`; exits 0 only if ok.
 * See ../README.md for the message format.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <usrsctp.h>

/* ------------------------------------------------------------ options */

enum { UNORD_NONE, UNORD_ALL, UNORD_MIXED };

static struct {
	int server;
	int udp_port, sctp_port, remote_udp_port, remote_sctp_port;
	char remote_host[64];
	int streams, count, size, unordered, send_streams, big, echo, expect;
	double timeout, linger;
	int immediate_sack;
	int reset_every;
	int reset_assoc_every;
	int auth;
} opt = {.sctp_port = 5000, .streams = 16, .size = 100, .send_streams = 1, .timeout = 30};

static int is_unordered(uint64_t id)
{
	return opt.unordered == UNORD_ALL || (opt.unordered == UNORD_MIXED && (id & 1));
}

static uint16_t stream_of(uint64_t id) { return (uint16_t)(id % (uint64_t)opt.send_streams); }

/* ------------------------------------------------------------ result */

#define MAX_ERRORS 20
static pthread_mutex_t res_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t res_cv = PTHREAD_COND_INITIALIZER;
static long long n_sent, n_received, n_bytes;
static int n_resets, n_resets_ok, n_resets_refused; /* --reset-every */
static int n_assoc_resets, n_assoc_resets_ok, n_assoc_resets_refused; /* --reset-assoc-every */
static int assoc_ended; /* under res_mu */
/* Confirmed resets per outgoing stream: usrsctp may split one
 * SCTP_RESET_STREAMS call into several requests (streams with queued data
 * later), each confirmed by its own event, so a call counts as confirmed
 * once every stream it named was (n_resets_ok = the minimum). */
#define MAX_RESET_STREAMS 1024
static int stream_resets_ok[MAX_RESET_STREAMS];
static int n_errors, printed;
static char errors[MAX_ERRORS][160];
static const char *shutdown_kind = "none";
static uint8_t *seen;            /* bitmap over [0, seen_len) */
static uint64_t seen_len;
static int64_t last_ordered[65536]; /* -1: none yet */

static volatile sig_atomic_t exit_code = 1;
static void on_term(int sig)
{
	(void)sig;
	_exit(exit_code);
}

static void add_error_locked(const char *fmt, ...)
{
	if (n_errors < MAX_ERRORS) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errors[n_errors], sizeof errors[0], fmt, ap);
		va_end(ap);
		/* keep the JSON simple: no quotes or backslashes inside strings */
		for (char *c = errors[n_errors]; *c; c++)
			if (*c == '"' || *c == '\\' || (unsigned char)*c < 32)
				*c = '\'';
	}
	n_errors++;
}

#define add_error(...)                           \
	do {                                     \
		pthread_mutex_lock(&res_mu);     \
		add_error_locked(__VA_ARGS__);   \
		pthread_mutex_unlock(&res_mu);   \
	} while (0)

static void finish(const char *extra)
{
	pthread_mutex_lock(&res_mu);
	if (printed) { /* someone else is exiting */
		pthread_mutex_unlock(&res_mu);
		for (;;)
			pause();
	}
	printed = 1;
	if (extra)
		add_error_locked("%s", extra);
	if (opt.expect > 0) {
		uint64_t missing = 0, first = 0;
		for (uint64_t id = 0; id < (uint64_t)opt.expect; id++)
			if (!(seen[id / 8] & (1u << (id % 8)))) {
				if (!missing)
					first = id;
				missing++;
			}
		if (missing)
			add_error_locked("%llu expected ids missing (first %llu)",
			                 (unsigned long long)missing, (unsigned long long)first);
		if (n_received > opt.expect)
			add_error_locked("received %lld messages, expected %d", n_received, opt.expect);
	}
	if (n_resets_ok != n_resets)
		add_error_locked("%d of %d stream resets confirmed (%d refused)", n_resets_ok, n_resets,
		                 n_resets_refused);
	if (n_assoc_resets_ok != n_assoc_resets)
		add_error_locked("%d of %d association resets confirmed (%d refused)", n_assoc_resets_ok,
		                 n_assoc_resets, n_assoc_resets_refused);
	if (strcmp(shutdown_kind, "graceful") != 0)
		add_error_locked("association did not shut down gracefully: %s", shutdown_kind);
	int ok = n_errors == 0;
	printf("RESULT {\"ok\":%s,\"peer\":\"usrsctp\",\"role\":\"%s\",\"sent\":%lld,\"received\":%lld,"
	       "\"bytes\":%lld,\"errors\":[",
	       ok ? "true" : "false", opt.server ? "server" : "client", n_sent, n_received, n_bytes);
	for (int i = 0; i < n_errors && i < MAX_ERRORS; i++)
		printf("%s\"%s\"", i ? "," : "", errors[i]);
	printf("],\"shutdown\":\"%s\"}\n", shutdown_kind);
	fflush(stdout);
	exit_code = ok ? 0 : 1;
	if (!extra && opt.linger > 0) {
		/* After a graceful end, keep the stack running for a while: if our
		 * SHUTDOWN-COMPLETE was lost, usrsctp answers the peer's retransmitted
		 * SHUTDOWN-ACK as out of the blue (RFC 9260 §8.4 item 5). */
		signal(SIGTERM, on_term);
		pthread_mutex_unlock(&res_mu);
		struct timespec ts = {.tv_sec = (time_t)opt.linger,
		                      .tv_nsec = (long)((opt.linger - (double)(time_t)opt.linger) * 1e9)};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	_exit(exit_code); /* no usrsctp_finish: it may block on a live association */
}

static void *watchdog(void *arg)
{
	(void)arg;
	struct timespec ts = {.tv_sec = (time_t)opt.timeout,
	                      .tv_nsec = (long)((opt.timeout - (double)(time_t)opt.timeout) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	char msg[64];
	snprintf(msg, sizeof msg, "timeout after %gs", opt.timeout);
	finish(msg);
	return NULL;
}

/* Verifies one received message (size, content, stream, order, duplicates). */
static uint64_t verify(uint16_t sid, const uint8_t *m, size_t len)
{
	pthread_mutex_lock(&res_mu);
	n_received++;
	n_bytes += (long long)len;
	uint64_t id = 0;
	if (len < 8) {
		add_error_locked("message of %zu bytes on stream %u: too short", len, sid);
		goto out;
	}
	for (int i = 7; i >= 0; i--)
		id = (id << 8) | m[i];
	if (len != (size_t)opt.size)
		add_error_locked("id %llu: size %zu, want %d", (unsigned long long)id, len, opt.size);
	for (size_t i = 8; i < len; i++)
		if (m[i] != (uint8_t)((id + i) % 251)) {
			add_error_locked("id %llu: wrong byte at %zu", (unsigned long long)id, i);
			break;
		}
	if (stream_of(id) != sid)
		add_error_locked("id %llu: on stream %u, want %u", (unsigned long long)id, sid, stream_of(id));
	if (id >= seen_len) {
		add_error_locked("id %llu: not expected", (unsigned long long)id);
		goto out;
	}
	if (seen[id / 8] & (1u << (id % 8))) {
		add_error_locked("id %llu: duplicate", (unsigned long long)id);
		goto out;
	}
	seen[id / 8] |= (uint8_t)(1u << (id % 8));
	if (!is_unordered(id)) {
		if (last_ordered[sid] >= 0 && (int64_t)id <= last_ordered[sid])
			add_error_locked("id %llu: ordered message after id %lld on stream %u",
			                 (unsigned long long)id, (long long)last_ordered[sid], sid);
		last_ordered[sid] = (int64_t)id;
	}
out:
	pthread_cond_broadcast(&res_cv);
	pthread_mutex_unlock(&res_mu);
	return id;
}

/* ------------------------------------------------------------ sending */

static struct socket *sock; /* the association's socket (one-to-one style) */

static int send_msg(uint16_t sid, uint64_t id, const uint8_t *m, size_t len)
{
	struct sctp_sndinfo si;
	memset(&si, 0, sizeof si);
	si.snd_sid = sid;
	si.snd_flags = is_unordered(id) ? SCTP_UNORDERED : 0;
	si.snd_ppid = htonl(53); /* WebRTC binary, as pion's default */
	for (int tries = 0; usrsctp_sendv(sock, m, len, NULL, 0, &si, sizeof si, SCTP_SENDV_SNDINFO, 0) < 0;
	     tries++) {
		/* usrsctp refuses new data on a stream whose reset is pending
		 * (RFC 6525 §5.1.2 A1 leaves the queueing to the application). */
		if (errno == EAGAIN && (opt.reset_every > 0 || opt.reset_assoc_every > 0) && tries < 30000) {
			usleep(1000);
			continue;
		}
		add_error("send id %llu: %s", (unsigned long long)id, strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&res_mu);
	n_sent++;
	pthread_mutex_unlock(&res_mu);
	return 0;
}

/* Sets a RE-CONFIG request option; while usrsctp says another request is
 * outstanding or data is pending (EALREADY, EAGAIN, EBUSY) waits and
 * retries. Counts a request made in *made. */
static void request_retrying(int name, const void *val, socklen_t len, int *made, const char *what)
{
	for (int tries = 0;; tries++) {
		if (usrsctp_setsockopt(sock, IPPROTO_SCTP, name, val, len) == 0) {
			pthread_mutex_lock(&res_mu);
			(*made)++;
			pthread_mutex_unlock(&res_mu);
			return;
		}
		if ((errno == EALREADY || errno == EAGAIN || errno == EBUSY) && tries < 3000) {
			usleep(10000);
			continue;
		}
		add_error("%s: %s", what, strerror(errno));
		return;
	}
}

/* RFC 6525 §6.3.2: resets our outgoing streams 0..send_streams-1. One
 * request at a time: while the previous one is unanswered usrsctp says
 * EALREADY (or EAGAIN / EBUSY), so wait and retry. */
static void reset_streams(void)
{
	size_t n = (size_t)opt.send_streams;
	socklen_t len = (socklen_t)(sizeof(struct sctp_reset_streams) + n * sizeof(uint16_t));
	struct sctp_reset_streams *srs = calloc(1, len);
	if (!srs)
		finish("out of memory");
	srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
	srs->srs_number_streams = (uint16_t)n;
	for (size_t i = 0; i < n; i++)
		srs->srs_stream_list[i] = (uint16_t)i;
	request_retrying(SCTP_RESET_STREAMS, srs, len, &n_resets, "SCTP_RESET_STREAMS");
	free(srs);
}

/* RFC 6525 §6.3.3: resets the association's TSNs and stream numbering.
 * usrsctp refuses while data is queued or unacknowledged (EBUSY) or another
 * request is outstanding (EALREADY): wait and retry. */
static void reset_assoc(void)
{
	sctp_assoc_t id = 0; /* one-to-one socket: its association */
	request_retrying(SCTP_RESET_ASSOC, &id, sizeof id, &n_assoc_resets, "SCTP_RESET_ASSOC");
	/* usrsctp would send new DATA with the old numbering before the answer
	 * came; the peer then acknowledges in the new numbering. Hold the next
	 * messages until the answer (RFC 6525 §5.1.4 leaves it to us). */
	pthread_mutex_lock(&res_mu);
	while (n_assoc_resets_ok + n_assoc_resets_refused < n_assoc_resets && !assoc_ended)
		pthread_cond_wait(&res_cv, &res_mu);
	pthread_mutex_unlock(&res_mu);
}

static void send_all(void)
{
	uint8_t *m = malloc((size_t)opt.size);
	if (!m)
		finish("out of memory");
	for (int i = 0; i < opt.count; i++) {
		uint64_t id = (uint64_t)i;
		for (int b = 0; b < 8; b++)
			m[b] = (uint8_t)(id >> (8 * b));
		for (int j = 8; j < opt.size; j++)
			m[j] = (uint8_t)((id + (uint64_t)j) % 251);
		if (send_msg(stream_of(id), id, m, (size_t)opt.size) < 0)
			break;
		if (opt.reset_every > 0 && (i + 1) % opt.reset_every == 0 && i + 1 < opt.count)
			reset_streams();
		if (opt.reset_assoc_every > 0 && (i + 1) % opt.reset_assoc_every == 0 && i + 1 < opt.count)
			reset_assoc();
	}
	free(m);
}

/* ------------------------------------------------------------ receiving */


static void set_end(const char *kind)
{
	pthread_mutex_lock(&res_mu);
	/* the first decisive signal wins; "graceful" is only set by SHUTDOWN_COMP */
	if (strcmp(shutdown_kind, "none") == 0 || strcmp(shutdown_kind, "shutdown-received") == 0)
		shutdown_kind = kind;
	pthread_mutex_unlock(&res_mu);
}

static void handle_notification(const union sctp_notification *n, size_t len)
{
	if (len < sizeof n->sn_header)
		return;
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len < sizeof n->sn_assoc_change)
			return;
		switch (n->sn_assoc_change.sac_state) {
		case SCTP_COMM_UP:
			fprintf(stderr, "usrsctp-peer %s: association established (in %u, out %u streams)\n",
			        opt.server ? "server" : "client", n->sn_assoc_change.sac_inbound_streams,
			        n->sn_assoc_change.sac_outbound_streams);
			break;
		case SCTP_SHUTDOWN_COMP:
			set_end("graceful");
			break;
		case SCTP_COMM_LOST:
			set_end("abort");
			break;
		case SCTP_CANT_STR_ASSOC:
			set_end("cannot start association");
			break;
		default:
			break;
		}
		break;
	case SCTP_SHUTDOWN_EVENT:
		set_end("shutdown-received");
		break;
	case SCTP_ASSOC_RESET_EVENT: {
		if (len < sizeof n->sn_assocreset_event)
			return;
		uint16_t f = n->sn_assocreset_event.assocreset_flags;
		pthread_mutex_lock(&res_mu);
		if (f & (SCTP_ASSOC_RESET_DENIED | SCTP_ASSOC_RESET_FAILED))
			n_assoc_resets_refused++;
		else
			n_assoc_resets_ok++;
		pthread_cond_broadcast(&res_cv);
		pthread_mutex_unlock(&res_mu);
		break;
	}
	case SCTP_STREAM_RESET_EVENT: {
		if (len < sizeof n->sn_strreset_event)
			return;
		uint16_t f = n->sn_strreset_event.strreset_flags;
		/* (usrsctp reports an association reset as stream resets too.) */
		if (!(f & SCTP_STREAM_RESET_OUTGOING_SSN) || opt.reset_every == 0)
			break;
		pthread_mutex_lock(&res_mu);
		if (f & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED))
			n_resets_refused++;
		else {
			size_t k = (len - sizeof n->sn_strreset_event) / sizeof(uint16_t);
			int ns = opt.send_streams < MAX_RESET_STREAMS ? opt.send_streams : MAX_RESET_STREAMS;
			if (k == 0) { /* RFC 6525 §4.1: no list means every stream */
				for (int s = 0; s < ns; s++)
					stream_resets_ok[s]++;
			}
			for (size_t i = 0; i < k; i++) {
				uint16_t sid = n->sn_strreset_event.strreset_stream_list[i];
				if (sid < MAX_RESET_STREAMS)
					stream_resets_ok[sid]++;
			}
			int min = ns > 0 ? stream_resets_ok[0] : 0;
			for (int s = 1; s < ns; s++)
				if (stream_resets_ok[s] < min)
					min = stream_resets_ok[s];
			n_resets_ok = min;
		}
		pthread_cond_broadcast(&res_cv);
		pthread_mutex_unlock(&res_mu);
		break;
	}
	default:
		break;
	}
}

static void *receiver(void *arg)
{
	(void)arg;
	size_t cap = (size_t)opt.size + 1;
	uint8_t *msg = malloc(cap);
	uint8_t buf[65536];
	size_t have = 0;
	int overflow = 0;
	if (!msg)
		finish("out of memory");
	for (;;) {
		struct sctp_rcvinfo rcv;
		socklen_t infolen = sizeof rcv;
		unsigned int infotype = 0;
		int flags = 0;
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof from;
		ssize_t n = usrsctp_recvv(sock, buf, sizeof buf, (struct sockaddr *)&from, &fromlen, &rcv,
		                          &infolen, &infotype, &flags);
		if (n <= 0) /* 0: the association is shut down; <0: gone */
			break;
		if (flags & MSG_NOTIFICATION) {
			handle_notification((const union sctp_notification *)buf, (size_t)n);
			continue;
		}
		if (infotype != SCTP_RECVV_RCVINFO) {
			add_error("data without rcvinfo");
			continue;
		}
		/* messages larger than buf come in pieces (partial delivery) until MSG_EOR */
		if (!overflow && have + (size_t)n <= cap) {
			memcpy(msg + have, buf, (size_t)n);
			have += (size_t)n;
		} else {
			overflow = 1;
		}
		if (!(flags & MSG_EOR))
			continue;
		if (overflow) {
			add_error("stream %u: message larger than %zu bytes", rcv.rcv_sid, cap);
		} else {
			uint64_t id = verify(rcv.rcv_sid, msg, have);
			if (opt.echo && have >= 8)
				send_msg(rcv.rcv_sid, id, msg, have);
		}
		have = 0;
		overflow = 0;
	}
	free(msg);
	pthread_mutex_lock(&res_mu);
	assoc_ended = 1;
	pthread_cond_broadcast(&res_cv);
	pthread_mutex_unlock(&res_mu);
	return NULL;
}

/* ------------------------------------------------------------ main */

static void usage(const char *why)
{
	fprintf(stderr, "usrsctp-peer: %s\n", why);
	finish(why);
}

static void parse(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client")))
		usage("first argument must be 'server' or 'client'");
	opt.server = strcmp(argv[1], "server") == 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NUM(name, field)                                  \
	if (!strcmp(a, name)) {                           \
		if (!v)                                   \
			usage("missing value for " name); \
		field = atoi(v);                          \
		i++;                                      \
		continue;                                 \
	}
		NUM("--udp-port", opt.udp_port)
		NUM("--sctp-port", opt.sctp_port)
		NUM("--remote-sctp-port", opt.remote_sctp_port)
		NUM("--streams", opt.streams)
		NUM("--count", opt.count)
		NUM("--size", opt.size)
		NUM("--send-streams", opt.send_streams)
		NUM("--big", opt.big)
		NUM("--expect", opt.expect)
		NUM("--reset-every", opt.reset_every)
		NUM("--reset-assoc-every", opt.reset_assoc_every)
		if (!strcmp(a, "--echo")) {
			opt.echo = 1;
			continue;
		}
		if (!strcmp(a, "--immediate-sack")) {
			opt.immediate_sack = 1;
			continue;
		}
		if (!strcmp(a, "--auth")) {
			opt.auth = 1;
			continue;
		}
		if (!strcmp(a, "--linger") && v) {
			opt.linger = atof(v);
			i++;
			continue;
		}
		if (!strcmp(a, "--timeout") && v) {
			opt.timeout = atof(v);
			i++;
			continue;
		}
		if (!strcmp(a, "--unordered") && v) {
			opt.unordered = !strcmp(v, "mixed") ? UNORD_MIXED : atoi(v) ? UNORD_ALL : UNORD_NONE;
			i++;
			continue;
		}
		if ((!strcmp(a, "--remote") || !strcmp(a, "--remote-udp")) && v) {
			const char *colon = strrchr(v, ':');
			if (!colon || (size_t)(colon - v) >= sizeof opt.remote_host)
				usage("--remote must be HOST:PORT");
			memcpy(opt.remote_host, v, (size_t)(colon - v));
			opt.remote_host[colon - v] = 0;
			opt.remote_udp_port = atoi(colon + 1);
			i++;
			continue;
		}
		usage("unknown option");
	}
	if (opt.big > 0) {
		opt.size = opt.big;
		if (opt.count > 1 || (!opt.server && opt.count == 0))
			opt.count = 1;
	}
	if (opt.size < 8 || opt.send_streams < 1 || opt.send_streams > 65535 || opt.streams < 1 ||
	    opt.streams > 65535 || opt.timeout <= 0)
		usage("bad --size, --send-streams, --streams or --timeout");
	if (opt.server && !opt.udp_port)
		usage("server needs --udp-port");
	if (!opt.server && (!opt.remote_udp_port || !opt.remote_sctp_port))
		usage("client needs --remote and --remote-sctp-port");
}

/* ------------------------------------------------------------ UDP carrier */

static int udp_fd = -1;
static pthread_mutex_t remote_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sockaddr_storage remote_addr; /* the peer's UDP address */
static socklen_t remote_len;                /* 0: not known yet (server) */
static int conn_ctx;                        /* the address usrsctp knows our "link" by */

/* usrsctp hands every outgoing SCTP packet here (AF_CONN). */
static int conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
	(void)addr;
	(void)tos;
	(void)set_df;
	pthread_mutex_lock(&remote_mu);
	struct sockaddr_storage to = remote_addr;
	socklen_t tolen = remote_len;
	pthread_mutex_unlock(&remote_mu);
	if (!tolen)
		return 0; /* nobody to send to yet: drop, like a lost packet */
	while (sendto(udp_fd, buf, len, 0, (struct sockaddr *)&to, tolen) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS || errno == EAGAIN)
			return 0; /* a loss SCTP recovers from */
		return -1;
	}
	return 0;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr);
}

/* Feeds datagrams from the peer (the first sender, for a server) to usrsctp. */
static void *udp_reader(void *arg)
{
	(void)arg;
	static uint8_t buf[65536];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof from;
		ssize_t n = recvfrom(udp_fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		pthread_mutex_lock(&remote_mu);
		if (!remote_len) {
			remote_addr = from;
			remote_len = fromlen;
		}
		int ok = same_addr(&from, &remote_addr);
		pthread_mutex_unlock(&remote_mu);
		if (ok)
			usrsctp_conninput(&conn_ctx, buf, (size_t)n, 0);
	}
}

static void open_udp(void)
{
	struct sockaddr_storage local;
	socklen_t llen;
	memset(&local, 0, sizeof local);
	int family = AF_INET;
	if (!opt.server) {
		/* resolve the numeric remote address */
		struct sockaddr_in *r4 = (struct sockaddr_in *)&remote_addr;
		struct sockaddr_in6 *r6 = (struct sockaddr_in6 *)&remote_addr;
		if (inet_pton(AF_INET, opt.remote_host, &r4->sin_addr) == 1) {
			r4->sin_family = AF_INET;
			r4->sin_port = htons((uint16_t)opt.remote_udp_port);
			remote_len = sizeof *r4;
		} else if (inet_pton(AF_INET6, opt.remote_host, &r6->sin6_addr) == 1) {
			r6->sin6_family = AF_INET6;
			r6->sin6_port = htons((uint16_t)opt.remote_udp_port);
			remote_len = sizeof *r6;
			family = AF_INET6;
		} else {
			finish("--remote host must be a numeric IP address");
		}
	}
	if (family == AF_INET) {
		struct sockaddr_in *l = (struct sockaddr_in *)&local;
		l->sin_family = AF_INET;
		l->sin_port = htons((uint16_t)opt.udp_port);
		l->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (!opt.server && ((struct sockaddr_in *)&remote_addr)->sin_addr.s_addr != htonl(INADDR_LOOPBACK))
			l->sin_addr.s_addr = htonl(INADDR_ANY);
		llen = sizeof *l;
	} else {
		struct sockaddr_in6 *l = (struct sockaddr_in6 *)&local;
		l->sin6_family = AF_INET6;
		l->sin6_port = htons((uint16_t)opt.udp_port);
		llen = sizeof *l;
	}
	udp_fd = socket(family, SOCK_DGRAM, 0);
	const int bufsz = 4 << 20;
	if (udp_fd >= 0) {
		setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
		setsockopt(udp_fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
	}
	if (udp_fd < 0 || bind(udp_fd, (struct sockaddr *)&local, llen) < 0) {
		char m[96];
		snprintf(m, sizeof m, "bind UDP port %d: %s", opt.udp_port, strerror(errno));
		finish(m);
	}
}

/* Starts feeding datagrams to usrsctp. Only once usrsctp is initialised and,
 * for a server, listening: before that, usrsctp_conninput() works on a stack
 * that is not set up (seen: heap corruption) and an early INIT would be
 * answered with ABORT. The kernel keeps what arrives meanwhile. */
static void start_udp_reader(void)
{
	pthread_t t;
	pthread_create(&t, NULL, udp_reader, NULL);
}

static void setopt(struct socket *s, int level, int name, const void *v, socklen_t l, const char *what)
{
	if (usrsctp_setsockopt(s, level, name, v, l) < 0) {
		char m[128];
		snprintf(m, sizeof m, "setsockopt %s: %s", what, strerror(errno));
		finish(m);
	}
}

int main(int argc, char **argv)
{
	for (int i = 0; i < 65536; i++)
		last_ordered[i] = -1;
	parse(argc, argv);
	pthread_t wd;
	pthread_create(&wd, NULL, watchdog, NULL);

	seen_len = (uint64_t)(opt.expect > 0 ? opt.expect : 1);
	seen = calloc((size_t)(seen_len + 7) / 8, 1);
	if (!seen)
		finish("out of memory");

	open_udp();
	usrsctp_init(0, conn_output, NULL); /* 0: no built-in UDP encapsulation */
	/* Always compute the CRC32c (usrsctp may skip it on loopback). */
	usrsctp_sysctl_set_sctp_no_csum_on_loopback(0);
	/* Stay in plain RFC 9260 + RFC 3758 territory the other stacks share. */
	usrsctp_sysctl_set_sctp_ecn_enable(0);
	usrsctp_sysctl_set_sctp_blackhole(2);
	usrsctp_register_address(&conn_ctx);

	struct socket *s = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (!s)
		finish("usrsctp_socket failed");
	const int on = 1, bufsz = 4 << 20;
	setopt(s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on, "SCTP_NODELAY");
	setopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on, "SCTP_RECVRCVINFO");
	setopt(s, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz, "SO_SNDBUF");
	setopt(s, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz, "SO_RCVBUF");
	if (opt.immediate_sack) {
		/* SACK every packet at once (no delayed SACK), so no SACK is still
		 * pending when SHUTDOWN goes out; see README, Findings (pion). */
		struct sctp_sack_info si = {.sack_assoc_id = SCTP_FUTURE_ASSOC, .sack_delay = 0, .sack_freq = 1};
		setopt(s, IPPROTO_SCTP, SCTP_DELAYED_SACK, &si, sizeof si, "SCTP_DELAYED_SACK");
	}
	if (opt.auth) {
		/* RFC 4895: DATA and SACK must reach us authenticated. */
		const uint8_t types[] = {0 /* DATA */, 3 /* SACK */};
		for (size_t i = 0; i < sizeof types; i++) {
			struct sctp_authchunk ac = {.sauth_chunk = types[i]};
			setopt(s, IPPROTO_SCTP, SCTP_AUTH_CHUNK, &ac, sizeof ac, "SCTP_AUTH_CHUNK");
		}
	}
	struct sctp_initmsg im = {.sinit_num_ostreams = (uint16_t)opt.streams,
	                          .sinit_max_instreams = (uint16_t)opt.streams};
	setopt(s, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im, "SCTP_INITMSG");
	if (opt.reset_assoc_every > 0) {
		/* usrsctp performs a peer's SSN/TSN reset only with both flags. */
		struct sctp_assoc_value av = {.assoc_id = SCTP_FUTURE_ASSOC,
		                              .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ |
		                                             SCTP_ENABLE_RESET_ASSOC_REQ |
		                                             SCTP_ENABLE_CHANGE_ASSOC_REQ};
		setopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof av, "SCTP_ENABLE_STREAM_RESET");
	}
	const uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT, SCTP_STREAM_RESET_EVENT,
	                           SCTP_ASSOC_RESET_EVENT};
	for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
		struct sctp_event ev = {.se_assoc_id = SCTP_ALL_ASSOC, .se_type = events[i], .se_on = 1};
		setopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev, "SCTP_EVENT");
	}

	struct sockaddr_conn local;
	memset(&local, 0, sizeof local);
	local.sconn_family = AF_CONN;
	local.sconn_port = htons((uint16_t)opt.sctp_port);
	local.sconn_addr = &conn_ctx;
	if (usrsctp_bind(s, (struct sockaddr *)&local, sizeof local) < 0)
		finish("usrsctp_bind failed");

	if (opt.server) {
		if (usrsctp_listen(s, 1) < 0)
			finish("usrsctp_listen failed");
		start_udp_reader();
		sock = usrsctp_accept(s, NULL, NULL);
		if (!sock)
			finish("usrsctp_accept failed");
	} else {
		struct sockaddr_conn remote;
		memset(&remote, 0, sizeof remote);
		remote.sconn_family = AF_CONN;
		remote.sconn_port = htons((uint16_t)opt.remote_sctp_port);
		remote.sconn_addr = &conn_ctx;
		start_udp_reader();
		if (usrsctp_connect(s, (struct sockaddr *)&remote, sizeof remote) < 0) {
			char m[96];
			snprintf(m, sizeof m, "connect: %s", strerror(errno));
			set_end("cannot start association");
			finish(m);
		}
		sock = s;
	}

	pthread_t rt;
	pthread_create(&rt, NULL, receiver, NULL);
	send_all();

	if (!opt.server) {
		/* wait for everything expected, then shut down gracefully: SCTP itself
		 * sends SHUTDOWN only once all outstanding data is acknowledged
		 * (RFC 9260 §9.2) */
		pthread_mutex_lock(&res_mu);
		while ((n_received < opt.expect || n_resets_ok + n_resets_refused < n_resets ||
		        n_assoc_resets_ok + n_assoc_resets_refused < n_assoc_resets) &&
		       !assoc_ended)
			pthread_cond_wait(&res_cv, &res_mu);
		pthread_mutex_unlock(&res_mu);
		if (usrsctp_shutdown(sock, SHUT_WR) < 0)
			add_error("shutdown: %s", strerror(errno));
	}
	pthread_join(rt, NULL);
	finish(NULL);
	return 0;
}
