/* The socket API over real UDP on 127.0.0.1 (RFC 6951 encapsulation):
 * blocking one-to-one echo with a server thread, non-blocking one-to-many
 * in one poll loop with notifications, peeloff and SCTP_STATUS, options,
 * and the error paths (bad handles, unknown options, too-large messages,
 * an unreachable peer). */
#include <errno.h>
#include <pthread.h>
#include "sock.h"

/* ---- blocking one-to-one echo, server in a thread ---- */

typedef struct { anysctp_sock *ls; int echoed; } server_arg;

static void *echo_server(void *p) {
  server_arg *arg = p;
  anysctp_sockaddr from;
  anysctp_sock *c = anysctp_accept(arg->ls, &from);
  if (!c) return NULL;
  uint8_t buf[4096];
  for (;;) {
    anysctp_rcvinfo info;
    int flags = 0;
    ssize_t n = anysctp_recvmsg(c, buf, sizeof buf, NULL, &info, &flags, NULL);
    if (n <= 0) break; /* 0 = EOF: the client shut down */
    anysctp_sndinfo snd = {.snd_sid = info.rcv_sid, .snd_ppid = info.rcv_ppid};
    if (anysctp_sendmsg(c, buf, (size_t)n, NULL, &snd) != n) break;
    arg->echoed++;
  }
  anysctp_close(c);
  return NULL;
}

static void blocking_one_to_one_echo(void) {
  uint16_t port;
  server_arg arg = {listener(SOCK_STREAM, &port), 0};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, echo_server, &arg) == 0);

  anysctp_sock *c = anysctp_socket(AF_INET, SOCK_STREAM);
  struct sockaddr_in to = loopback(port);
  CHECK(anysctp_connect(c, &to, sizeof to, 0) == 0);
  anysctp_status st;
  size_t len = sizeof st;
  memset(&st, 0, sizeof st);
  CHECK(anysctp_getsockopt(c, ANYSCTP_IPPROTO_SCTP, ANYSCTP_STATUS, &st, &len) == 0);
  CHECK(st.sstat_state == ANYSCTP_STATE_ESTABLISHED && st.sstat_outstrms >= 1);
  CHECK(st.sstat_primary_address.port == port);

  uint8_t msg[1000], back[1000];
  for (uint64_t id = 0; id < 50; id++) {
    size_t n = 8 + id * 19;
    for (size_t i = 0; i < n; i++) msg[i] = i < 8 ? (uint8_t)(id >> (8 * i)) : (uint8_t)((id + i) % 251);
    anysctp_sndinfo snd = {.snd_sid = (uint16_t)(id % 3), .snd_ppid = 51};
    CHECK(anysctp_sendmsg(c, msg, n, NULL, &snd) == (ssize_t)n);
    anysctp_rcvinfo info;
    int flags = 0;
    ssize_t got = anysctp_recvmsg(c, back, sizeof back, NULL, &info, &flags, NULL);
    CHECK(got == (ssize_t)n && memcmp(msg, back, n) == 0);
    CHECK(info.rcv_sid == id % 3 && info.rcv_ppid == 51 && (flags & ANYSCTP_MSG_EOR));
  }
  /* A message in two pieces: MSG_EOR only on the last. */
  memset(msg, 7, 600);
  CHECK(anysctp_sendmsg(c, msg, 600, NULL, NULL) == 600);
  int flags = 0;
  CHECK(anysctp_recvmsg(c, back, 400, NULL, NULL, &flags, NULL) == 400 && !(flags & ANYSCTP_MSG_EOR));
  CHECK(anysctp_recvmsg(c, back, 400, NULL, NULL, &flags, NULL) == 200 && (flags & ANYSCTP_MSG_EOR));

  CHECK(anysctp_shutdown(c, ANYSCTP_SHUT_WR) == 0);
  CHECK(anysctp_recvmsg(c, back, sizeof back, NULL, NULL, NULL, NULL) == 0); /* EOF after SHUTDOWN */
  pthread_join(t, NULL);
  CHECK(arg.echoed == 51);
  CHECK(anysctp_close(c) == 0);
  CHECK(anysctp_close(arg.ls) == 0);
}

/* ---- non-blocking one-to-many in one poll loop ---- */

static void nonblocking_one_to_many(void) {
  uint16_t port;
  anysctp_sock *srv = listener(SOCK_SEQPACKET, &port);
  CHECK(anysctp_set_nonblocking(srv, 1) == 0);
  anysctp_event_subscribe sub = {.se_type = ANYSCTP_ASSOC_CHANGE, .se_on = 1};
  CHECK(anysctp_setsockopt(srv, ANYSCTP_IPPROTO_SCTP, ANYSCTP_EVENT, &sub, sizeof sub) == 0);

  anysctp_sock *cli = anysctp_socket(AF_INET, SOCK_SEQPACKET);
  CHECK(anysctp_set_nonblocking(cli, 1) == 0);
  anysctp_sockaddr to;
  char text[32];
  snprintf(text, sizeof text, "127.0.0.1:%u", port);
  CHECK_RC(anysctp_sockaddr_parse(text, &to), ANYSCTP_OK);
  uint8_t buf[256];
  CHECK(anysctp_recvmsg(srv, buf, sizeof buf, NULL, NULL, NULL, NULL) == -1 && errno == EAGAIN);
  /* Implicit setup: the first sendmsg to an address starts the association. */
  anysctp_sndinfo snd = {.snd_sid = 1, .snd_ppid = 7};
  CHECK(anysctp_sendmsg(cli, "hello", 5, &to, &snd) == 5);

  anysctp_sock *both[2] = {srv, cli};
  int comm_up = 0, got = 0;
  uint64_t assoc = 0;
  for (int i = 0; i < 200 && !(comm_up && got); i++) {
    pump(both, 2, 20);
    anysctp_notification nt;
    anysctp_rcvinfo info;
    int flags = 0;
    ssize_t n;
    while ((n = anysctp_recvmsg(srv, buf, sizeof buf, NULL, &info, &flags, &nt)) >= 0) {
      if (flags & ANYSCTP_MSG_NOTIFICATION) {
        CHECK(n == 0 && nt.sn_type == ANYSCTP_ASSOC_CHANGE);
        if (nt.state == ANYSCTP_COMM_UP) { comm_up = 1; assoc = nt.assoc_id; }
      } else {
        CHECK(n == 5 && memcmp(buf, "hello", 5) == 0 && info.rcv_sid == 1 && info.rcv_ppid == 7);
        got = 1;
      }
    }
    CHECK(errno == EAGAIN);
  }
  CHECK(comm_up && got && assoc != 0);

  /* Peel the association off into its own one-to-one socket. */
  anysctp_sock *peeled = anysctp_peeloff(srv, assoc);
  CHECK(peeled != NULL);
  if (peeled) {
    anysctp_status st;
    size_t len = sizeof st;
    CHECK(anysctp_getsockopt(peeled, ANYSCTP_IPPROTO_SCTP, ANYSCTP_STATUS, &st, &len) == 0);
    CHECK(st.sstat_state == ANYSCTP_STATE_ESTABLISHED);
    anysctp_sockaddr peers[2];
    size_t n = 0;
    CHECK(anysctp_getpaddrs(peeled, 0, peers, 2, &n) == 0 && n == 1);
    CHECK(anysctp_close(peeled) == 0);
  }
  CHECK(anysctp_close(cli) == 0);
  CHECK(anysctp_close(srv) == 0);
}

/* ---- options and errors ---- */

static void options_round_trip(void) {
  anysctp_sock *s = anysctp_socket(AF_INET, SOCK_STREAM);
  anysctp_initmsg im = {.sinit_num_ostreams = 17, .sinit_max_instreams = 9, .sinit_max_attempts = 3};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_INITMSG, &im, sizeof im) == 0);
  anysctp_initmsg back;
  size_t len = sizeof back;
  CHECK(anysctp_getsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_INITMSG, &back, &len) == 0);
  CHECK(back.sinit_num_ostreams == 17 && back.sinit_max_instreams == 9 && back.sinit_max_attempts == 3);
  anysctp_rtoinfo rto = {.srto_initial = 300, .srto_min = 200, .srto_max = 5000};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_RTOINFO, &rto, sizeof rto) == 0);
  anysctp_rtoinfo rback;
  len = sizeof rback;
  memset(&rback, 0, sizeof rback);
  CHECK(anysctp_getsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_RTOINFO, &rback, &len) == 0);
  CHECK(rback.srto_initial == 300 && rback.srto_min == 200 && rback.srto_max == 5000);
  int one = 1, v = 0;
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_NODELAY, &one, sizeof one) == 0);
  len = sizeof v;
  CHECK(anysctp_getsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_NODELAY, &v, &len) == 0 && v == 1);
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_DISABLE_FRAGMENTS, &one, sizeof one) == 0);
  anysctp_sndinfo def = {.snd_sid = 2, .snd_ppid = 99};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_DEFAULT_SNDINFO, &def, sizeof def) == 0);
  anysctp_sndinfo dback;
  len = sizeof dback;
  CHECK(anysctp_getsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_DEFAULT_SNDINFO, &dback, &len) == 0);
  CHECK(dback.snd_sid == 2 && dback.snd_ppid == 99);
  anysctp_setadaptation ad = {.ssb_adaptation_ind = 0xabc};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_ADAPTATION_LAYER, &ad, sizeof ad) == 0);
  anysctp_assocparams ap = {.sasoc_asocmaxrxt = 4};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_ASSOCINFO, &ap, sizeof ap) == 0);
  anysctp_paddrparams pp = {.spp_hbinterval = 5000, .spp_flags = 1};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_PEER_ADDR_PARAMS, &pp, sizeof pp) == 0);
  /* SCTP-PF thresholds (RFC 7829 §7.2): defaults PMR 5 / PFMR 0, then PF off. */
  anysctp_paddrthlds th = {0}; /* in: assoc id and address (family 0 = all) */
  len = sizeof th;
  CHECK(anysctp_getsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_PEER_ADDR_THLDS, &th, &len) == 0);
  CHECK(th.spt_pathmaxrxt == 5 && th.spt_pathpfthld == 0 && th.spt_pathcpthld == 0);
  anysctp_paddrthlds off = {.spt_pathmaxrxt = 4, .spt_pathpfthld = 4};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_PEER_ADDR_THLDS, &off, sizeof off) == 0);
  th = (anysctp_paddrthlds){0};
  len = sizeof th;
  CHECK(anysctp_getsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_PEER_ADDR_THLDS, &th, &len) == 0);
  CHECK(th.spt_pathmaxrxt == 4 && th.spt_pathpfthld == 4 && th.spt_pathcpthld == 4);
  anysctp_paddrthlds bad = {.spt_pathmaxrxt = 6, .spt_pathpfthld = 1, .spt_pathcpthld = 0xffff};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_PEER_ADDR_THLDS, &bad, sizeof bad) == -1 && errno == EINVAL);
  anysctp_assoc_value mseg = {.assoc_value = 500};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_MAXSEG, &mseg, sizeof mseg) == 0);
  /* Errors. */
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, 4242, &one, sizeof one) == -1 && errno == ENOPROTOOPT);
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_INITMSG, &im, 2) == -1 && errno == EINVAL);
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_INITMSG, NULL, sizeof im) == -1 && errno == EINVAL);
  len = 1;
  CHECK(anysctp_getsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_INITMSG, &back, &len) == -1 && errno == EINVAL);
  CHECK(anysctp_close(s) == 0);
}

static void error_paths(void) {
  CHECK(anysctp_socket(12345, SOCK_STREAM) == NULL && errno == EAFNOSUPPORT);
  CHECK(anysctp_socket(AF_INET, SOCK_DGRAM) == NULL && errno == EINVAL);
  CHECK(anysctp_bind(NULL, NULL, 0) == -1 && errno == EBADF);
  CHECK(anysctp_socket_fd(NULL) == -1);
  CHECK(anysctp_close(NULL) == 0);
  anysctp_sock *s = anysctp_socket(AF_INET, SOCK_STREAM);
  struct sockaddr_in a = loopback(0);
  CHECK(anysctp_bind(s, &a, 3) == -1 && errno == EINVAL);
  CHECK(anysctp_sendmsg(s, "x", 1, NULL, NULL) == -1); /* not connected */
  char err[256];
  CHECK(anysctp_last_error(err, sizeof err) > 0);
  CHECK(anysctp_accept(s, NULL) == NULL && errno == EINVAL); /* not listening */
  CHECK(anysctp_shutdown(s, 99) == -1 && errno == EINVAL);
  CHECK(anysctp_close(s) == 0);
}

static void unreachable_peer_times_out(void) {
  /* A UDP port nobody listens on: INITs go unanswered. */
  anysctp_sock *probe = anysctp_socket(AF_INET, SOCK_STREAM);
  struct sockaddr_in a = loopback(0);
  CHECK(anysctp_bind(probe, &a, sizeof a) == 0);
  uint16_t dead = local_port(probe);
  CHECK(anysctp_close(probe) == 0);

  anysctp_sock *s = anysctp_socket(AF_INET, SOCK_STREAM);
  anysctp_initmsg im = {.sinit_max_attempts = 1};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_INITMSG, &im, sizeof im) == 0);
  anysctp_rtoinfo rto = {.srto_initial = 50, .srto_min = 50, .srto_max = 100};
  CHECK(anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_RTOINFO, &rto, sizeof rto) == 0);
  struct sockaddr_in to = loopback(dead);
  CHECK(anysctp_connect(s, &to, sizeof to, 0) == -1);
  CHECK(errno == ETIMEDOUT || errno == ECONNREFUSED);
  CHECK(anysctp_sendmsg(s, "x", 1, NULL, NULL) == -1);
  CHECK(anysctp_close(s) == 0);
}

static void message_too_large(void) {
  uint16_t port;
  anysctp_sock *ls = listener(SOCK_SEQPACKET, &port);
  anysctp_sock *c = anysctp_socket(AF_INET, SOCK_SEQPACKET);
  anysctp_sockaddr to;
  char text[32];
  snprintf(text, sizeof text, "127.0.0.1:%u", port);
  CHECK_RC(anysctp_sockaddr_parse(text, &to), ANYSCTP_OK);
  size_t big = 256 * 1024 + 1;
  uint8_t *m = calloc(1, big);
  CHECK(anysctp_sendmsg(c, m, big, &to, NULL) == -1 && errno == EMSGSIZE);
  free(m);
  CHECK(anysctp_close(c) == 0);
  CHECK(anysctp_close(ls) == 0);
}

int main(void) {
  RUN(blocking_one_to_one_echo);
  RUN(nonblocking_one_to_many);
  RUN(options_round_trip);
  RUN(error_paths);
  RUN(unreachable_peer_times_out);
  RUN(message_too_large);
  CHECK_EXIT();
}
