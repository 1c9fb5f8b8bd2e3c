/* The socket API's extension options over real UDP on 127.0.0.1, with the
 * RFC 6458 / Linux option names and notification flags: stream
 * reconfiguration (SCTP_RESET_STREAMS, SCTP_ADD_STREAMS,
 * SCTP_ENABLE_STREAM_RESET and their notifications), SCTP-AUTH
 * (SCTP_AUTH_CHUNK, SCTP_HMAC_IDENT, SCTP_AUTH_KEY and the key options,
 * SCTP_PEER/LOCAL_AUTH_CHUNKS, SCTP_AUTHENTICATION_EVENT) and ASCONF
 * (sctp_bindx on a connected socket, SCTP_AUTO_ASCONF,
 * SCTP_SET_PEER_PRIMARY_ADDR), with their error paths. */
#include <errno.h>
#include "sock.h"

/* The values are Linux's: where <linux/sctp.h> is installed, the compiler
 * checks each against it. */
#if defined(__has_include)
#if __has_include(<linux/sctp.h>)
#include <linux/sctp.h>
#define SAME(ours, theirs) _Static_assert((ours) == (theirs), #ours " differs from " #theirs)
SAME(ANYSCTP_SET_PEER_PRIMARY_ADDR, SCTP_SET_PEER_PRIMARY_ADDR);
SAME(ANYSCTP_AUTH_CHUNK, SCTP_AUTH_CHUNK);
SAME(ANYSCTP_HMAC_IDENT, SCTP_HMAC_IDENT);
SAME(ANYSCTP_AUTH_KEY, SCTP_AUTH_KEY);
SAME(ANYSCTP_AUTH_ACTIVE_KEY, SCTP_AUTH_ACTIVE_KEY);
SAME(ANYSCTP_AUTH_DELETE_KEY, SCTP_AUTH_DELETE_KEY);
SAME(ANYSCTP_AUTH_DEACTIVATE_KEY, SCTP_AUTH_DEACTIVATE_KEY);
SAME(ANYSCTP_PEER_AUTH_CHUNKS, SCTP_PEER_AUTH_CHUNKS);
SAME(ANYSCTP_LOCAL_AUTH_CHUNKS, SCTP_LOCAL_AUTH_CHUNKS);
SAME(ANYSCTP_AUTO_ASCONF, SCTP_AUTO_ASCONF);
SAME(ANYSCTP_ENABLE_STREAM_RESET, SCTP_ENABLE_STREAM_RESET);
SAME(ANYSCTP_RESET_STREAMS, SCTP_RESET_STREAMS);
SAME(ANYSCTP_ADD_STREAMS, SCTP_ADD_STREAMS);
SAME(ANYSCTP_RESET_ASSOC, SCTP_RESET_ASSOC);
SAME(ANYSCTP_ASSOC_RESET_EVENT, SCTP_ASSOC_RESET_EVENT);
SAME(ANYSCTP_ASSOC_RESET_DENIED, SCTP_ASSOC_RESET_DENIED);
SAME(ANYSCTP_ASSOC_RESET_FAILED, SCTP_ASSOC_RESET_FAILED);
SAME(ANYSCTP_ENABLE_RESET_STREAM_REQ, SCTP_ENABLE_RESET_STREAM_REQ);
SAME(ANYSCTP_ENABLE_RESET_ASSOC_REQ, SCTP_ENABLE_RESET_ASSOC_REQ);
SAME(ANYSCTP_ENABLE_CHANGE_ASSOC_REQ, SCTP_ENABLE_CHANGE_ASSOC_REQ);
SAME(ANYSCTP_STREAM_RESET_INCOMING, SCTP_STREAM_RESET_INCOMING);
SAME(ANYSCTP_STREAM_RESET_OUTGOING, SCTP_STREAM_RESET_OUTGOING);
SAME(ANYSCTP_AUTH_HMAC_ID_SHA1, SCTP_AUTH_HMAC_ID_SHA1);
SAME(ANYSCTP_AUTH_HMAC_ID_SHA256, SCTP_AUTH_HMAC_ID_SHA256);
SAME(ANYSCTP_AUTHENTICATION_EVENT, SCTP_AUTHENTICATION_EVENT);
SAME(ANYSCTP_STREAM_RESET_EVENT, SCTP_STREAM_RESET_EVENT);
SAME(ANYSCTP_STREAM_CHANGE_EVENT, SCTP_STREAM_CHANGE_EVENT);
SAME(ANYSCTP_STREAM_RESET_INCOMING_SSN, SCTP_STREAM_RESET_INCOMING_SSN);
SAME(ANYSCTP_STREAM_RESET_OUTGOING_SSN, SCTP_STREAM_RESET_OUTGOING_SSN);
SAME(ANYSCTP_STREAM_RESET_DENIED, SCTP_STREAM_RESET_DENIED);
SAME(ANYSCTP_STREAM_RESET_FAILED, SCTP_STREAM_RESET_FAILED);
SAME(ANYSCTP_STREAM_CHANGE_DENIED, SCTP_STREAM_CHANGE_DENIED);
SAME(ANYSCTP_STREAM_CHANGE_FAILED, SCTP_STREAM_CHANGE_FAILED);
SAME(ANYSCTP_SN_AUTH_NEW_KEY, SCTP_AUTH_NEW_KEY);
SAME(ANYSCTP_SN_AUTH_FREE_KEY, SCTP_AUTH_FREE_KEY);
SAME(ANYSCTP_SN_AUTH_NO_AUTH, SCTP_AUTH_NO_AUTH);
SAME(ANYSCTP_PEER_ADDR_CHANGE, SCTP_PEER_ADDR_CHANGE);
SAME(ANYSCTP_BINDX_ADD_ADDR, SCTP_BINDX_ADD_ADDR);
SAME(ANYSCTP_BINDX_REM_ADDR, SCTP_BINDX_REM_ADDR);
/* The flexible arrays start right after the fixed fields, as in Linux's
 * structs (whose association ids are 32-bit). */
SAME(offsetof(anysctp_reset_streams, srs_stream_list) - offsetof(anysctp_reset_streams, srs_flags),
     offsetof(struct sctp_reset_streams, srs_stream_list) - offsetof(struct sctp_reset_streams, srs_flags));
SAME(offsetof(anysctp_authkey, sca_key) - offsetof(anysctp_authkey, sca_keynumber),
     offsetof(struct sctp_authkey, sca_key) - offsetof(struct sctp_authkey, sca_keynumber));
SAME(offsetof(anysctp_hmacalgo, shmac_idents), offsetof(struct sctp_hmacalgo, shmac_idents));
#endif
#endif

#define SCTP ANYSCTP_IPPROTO_SCTP

static int set(anysctp_sock *s, int name, const void *v, size_t len) {
  return anysctp_setsockopt(s, SCTP, name, v, len);
}

static int set_int(anysctp_sock *s, int name, int v) { return set(s, name, &v, sizeof v); }

static void subscribe(anysctp_sock *s, uint16_t type) {
  anysctp_event_subscribe sub = {.se_type = type, .se_on = 1};
  CHECK(set(s, ANYSCTP_EVENT, &sub, sizeof sub) == 0);
}

/* SCTP_AUTH_KEY `keynumber` = `secret` (assoc_id 0: the endpoint, or a
 * connected one-to-one socket's association); `short_by` bytes fewer in
 * `len` than the key needs. */
static int set_key(anysctp_sock *s, uint16_t keynumber, const char *secret, size_t short_by) {
  size_t n = strlen(secret);
  anysctp_authkey *k = calloc(1, sizeof *k + n);
  k->sca_keynumber = keynumber;
  k->sca_keylength = (uint16_t)n;
  memcpy(k->sca_key, secret, n);
  int r = set(s, ANYSCTP_AUTH_KEY, k, offsetof(anysctp_authkey, sca_key) + n - short_by);
  free(k);
  return r;
}

/* SCTP_RESET_STREAMS with `flags` for `n` streams, `listed` of them in
 * the buffer (fewer: a length too short for the count). */
static int reset_streams(anysctp_sock *s, uint16_t flags, const uint16_t *ids, uint16_t n, uint16_t listed) {
  anysctp_reset_streams *r = calloc(1, sizeof *r + listed * sizeof(uint16_t));
  r->srs_flags = flags;
  r->srs_number_streams = n;
  for (uint16_t i = 0; i < listed; i++) r->srs_stream_list[i] = ids[i];
  int rc = set(s, ANYSCTP_RESET_STREAMS, r, offsetof(anysctp_reset_streams, srs_stream_list) + listed * sizeof(uint16_t));
  free(r);
  return rc;
}

/* SCTP-AUTH on for future associations of `s` (bound): HMAC-SHA-256
 * preferred, DATA authenticated when `data`, key 1 = `secret`, active. */
static void auth_on(anysctp_sock *s, int data, const char *secret) {
  if (data) {
    anysctp_authchunk c = {.sauth_chunk = 0}; /* DATA */
    CHECK(set(s, ANYSCTP_AUTH_CHUNK, &c, sizeof c) == 0);
  }
  struct { anysctp_hmacalgo h; uint16_t ids[2]; } hm = {
      .h = {.shmac_num_idents = 2}, .ids = {ANYSCTP_AUTH_HMAC_ID_SHA256, ANYSCTP_AUTH_HMAC_ID_SHA1}};
  CHECK(set(s, ANYSCTP_HMAC_IDENT, &hm, sizeof hm) == 0);
  CHECK(set_key(s, 1, secret, 0) == 0);
  anysctp_authkeyid id = {.scact_keynumber = 1};
  CHECK(set(s, ANYSCTP_AUTH_ACTIVE_KEY, &id, sizeof id) == 0);
}

typedef struct { anysctp_sock *ls, *srv, *cli; } conn;

/* A one-to-one association to a listener on 127.0.0.1, both sockets
 * non-blocking; the client binds 127.0.0.1, or the wildcard address when
 * `client_any` (then it receives on every address it adds).
 * `setup(s, side)` runs on the listener (side 0, bound, before listen) and
 * the client (side 1, bound, before connect). */
static conn connected(void (*setup)(anysctp_sock *, int), int client_any) {
  conn c = {0};
  c.ls = anysctp_socket(AF_INET, SOCK_STREAM);
  struct sockaddr_in a = loopback(0);
  CHECK(anysctp_bind(c.ls, &a, sizeof a) == 0);
  if (setup) setup(c.ls, 0);
  CHECK(anysctp_listen(c.ls, 4) == 0);
  CHECK(anysctp_set_nonblocking(c.ls, 1) == 0);
  uint16_t port = local_port(c.ls);
  c.cli = anysctp_socket(AF_INET, SOCK_STREAM);
  struct sockaddr_in any = loopback(0);
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  if (client_any) CHECK(anysctp_bind(c.cli, &any, sizeof any) == 0);
  else CHECK(anysctp_bind(c.cli, &a, sizeof a) == 0);
  if (setup) setup(c.cli, 1);
  CHECK(anysctp_set_nonblocking(c.cli, 1) == 0);
  struct sockaddr_in to = loopback(port);
  CHECK(anysctp_connect(c.cli, &to, sizeof to, 0) == -1 && errno == EINPROGRESS);
  anysctp_sock *both[2] = {c.ls, c.cli};
  for (int i = 0; i < 300 && !c.srv; i++) {
    pump(both, 2, 10);
    c.srv = anysctp_accept(c.ls, NULL);
  }
  CHECK(c.srv != NULL);
  int ev = 0;
  for (int i = 0; i < 300 && !(ev & ANYSCTP_POLLOUT); i++) {
    CHECK(anysctp_socket_readiness(c.cli, &ev) == 0);
    if (!(ev & ANYSCTP_POLLOUT)) pump(both, 2, 10);
  }
  CHECK(ev & ANYSCTP_POLLOUT);
  if (c.srv) CHECK(anysctp_set_nonblocking(c.srv, 1) == 0);
  return c;
}

static void conn_close(conn *c) {
  CHECK(anysctp_close(c->cli) == 0);
  CHECK(anysctp_close(c->srv) == 0);
  CHECK(anysctp_close(c->ls) == 0);
}

/* The next thing `s` has (driving the pair until there is one): a
 * notification (returns its sn_type, fills *n) or data (returns 0, copies
 * up to `cap` bytes to buf). -1 when nothing came. */
static int next(conn *c, anysctp_sock *s, anysctp_notification *n, uint8_t *buf, size_t cap) {
  anysctp_sock *all[2] = {c->ls, c->cli};
  for (int i = 0; i < 300; i++) {
    int flags = 0;
    ssize_t got = anysctp_recvmsg(s, buf, cap, NULL, NULL, &flags, n);
    if (got >= 0) return (flags & ANYSCTP_MSG_NOTIFICATION) ? n->sn_type : 0;
    CHECK(errno == EAGAIN);
    pump(all, 2, 10);
  }
  return -1;
}

/* The next notification of `s`, skipping data. */
static int next_note(conn *c, anysctp_sock *s, anysctp_notification *n) {
  uint8_t buf[2048];
  int t;
  while ((t = next(c, s, n, buf, sizeof buf)) == 0) {}
  return t;
}

static void settle(conn *c, int ms) {
  anysctp_sock *all[2] = {c->ls, c->cli};
  for (int i = 0; i < ms / 10; i++) pump(all, 2, 10);
}

static int outstreams(anysctp_sock *s) {
  anysctp_status st;
  memset(&st, 0, sizeof st);
  size_t len = sizeof st;
  CHECK(anysctp_getsockopt(s, SCTP, ANYSCTP_STATUS, &st, &len) == 0);
  return st.sstat_outstrms;
}

/* ---- stream reconfiguration (RFC 6525) ---- */

static void reconfig_events(anysctp_sock *s, int side) {
  (void)side;
  subscribe(s, ANYSCTP_STREAM_RESET_EVENT);
  subscribe(s, ANYSCTP_STREAM_CHANGE_EVENT);
}

static void reset_and_add_streams(void) {
  conn c = connected(reconfig_events, 0);
  anysctp_notification n;
  uint8_t buf[64];
  anysctp_sndinfo snd = {.snd_sid = 1, .snd_ppid = 5};
  CHECK(anysctp_sendmsg(c.cli, "before", 6, NULL, &snd) == 6);

  const uint16_t ids[2] = {1, 2};
  CHECK(reset_streams(c.cli, ANYSCTP_STREAM_RESET_OUTGOING, ids, 2, 2) == 0);
  /* The peer gets the data sent before, then the reset of its incoming streams. */
  CHECK(next(&c, c.srv, &n, buf, sizeof buf) == 0 && memcmp(buf, "before", 6) == 0);
  CHECK(next_note(&c, c.srv, &n) == ANYSCTP_STREAM_RESET_EVENT);
  CHECK(n.flags == ANYSCTP_STREAM_RESET_INCOMING_SSN && n.stream_count == 2);
  CHECK(n.streams && n.streams[0] == 1 && n.streams[1] == 2);
  CHECK(n.assoc_id != 0);
  CHECK(next_note(&c, c.cli, &n) == ANYSCTP_STREAM_RESET_EVENT);
  CHECK(n.flags == ANYSCTP_STREAM_RESET_OUTGOING_SSN && n.stream_count == 2);
  CHECK(n.streams && n.streams[0] == 1 && n.streams[1] == 2);

  int before = outstreams(c.cli);
  anysctp_add_streams as = {.sas_outstrms = 3};
  CHECK(set(c.cli, ANYSCTP_ADD_STREAMS, &as, sizeof as) == 0);
  CHECK(next_note(&c, c.cli, &n) == ANYSCTP_STREAM_CHANGE_EVENT);
  CHECK(n.flags == 0 && n.outbound_streams == before + 3);
  CHECK(outstreams(c.cli) == before + 3);
  CHECK(next_note(&c, c.srv, &n) == ANYSCTP_STREAM_CHANGE_EVENT);
  CHECK(n.flags == 0 && n.inbound_streams == before + 3);

  /* The peer now refuses both kinds of request, on the live association. */
  anysctp_assoc_value policy = {.assoc_value = 0};
  CHECK(set(c.srv, ANYSCTP_ENABLE_STREAM_RESET, &policy, sizeof policy) == 0);
  anysctp_assoc_value got = {.assoc_value = 99};
  size_t len = sizeof got;
  CHECK(anysctp_getsockopt(c.srv, SCTP, ANYSCTP_ENABLE_STREAM_RESET, &got, &len) == 0);
  CHECK(got.assoc_value == 0 && len == sizeof got);
  len = sizeof got;
  CHECK(anysctp_getsockopt(c.cli, SCTP, ANYSCTP_ENABLE_STREAM_RESET, &got, &len) == 0);
  CHECK(got.assoc_value == (ANYSCTP_ENABLE_RESET_STREAM_REQ | ANYSCTP_ENABLE_CHANGE_ASSOC_REQ));
  CHECK(reset_streams(c.cli, ANYSCTP_STREAM_RESET_OUTGOING, ids, 1, 1) == 0);
  CHECK(next_note(&c, c.cli, &n) == ANYSCTP_STREAM_RESET_EVENT);
  CHECK(n.flags == (ANYSCTP_STREAM_RESET_OUTGOING_SSN | ANYSCTP_STREAM_RESET_DENIED));
  CHECK(n.stream_count == 1 && n.streams[0] == 1);
  CHECK(set(c.cli, ANYSCTP_ADD_STREAMS, &as, sizeof as) == 0);
  CHECK(next_note(&c, c.cli, &n) == ANYSCTP_STREAM_CHANGE_EVENT);
  CHECK(n.flags == ANYSCTP_STREAM_CHANGE_DENIED && n.outbound_streams == before + 3);

  /* Bad requests are refused with a reason. */
  CHECK(reset_streams(c.cli, ANYSCTP_STREAM_RESET_OUTGOING, ids, 0, 0) == -1 && errno == EINVAL); /* "all" */
  CHECK(reset_streams(c.cli, ANYSCTP_STREAM_RESET_OUTGOING, ids, 40, 2) == -1 && errno == EINVAL);
  conn_close(&c);
}

static void assoc_reset_events(anysctp_sock *s, int side) {
  reconfig_events(s, side);
  subscribe(s, ANYSCTP_ASSOC_RESET_EVENT);
}

static void reset_assoc_incoming_reset_and_added_instreams(void) {
  conn c = connected(assoc_reset_events, 0);
  anysctp_notification n;
  uint8_t buf[64];
  anysctp_sndinfo snd = {.snd_sid = 1, .snd_ppid = 5};
  uint64_t assoc = 0; /* one-to-one: the socket's association */

  /* SCTP_RESET_ASSOC, refused by the default policy: nothing reset. */
  CHECK(set(c.cli, ANYSCTP_RESET_ASSOC, &assoc, sizeof assoc) == 0);
  CHECK(next_note(&c, c.cli, &n) == ANYSCTP_ASSOC_RESET_EVENT);
  CHECK(n.flags == ANYSCTP_ASSOC_RESET_DENIED && n.assoc_id != 0);

  /* Allowed on the live association (with SCTP_ENABLE_RESET_ASSOC_REQ). */
  anysctp_assoc_value policy = {.assoc_value = ANYSCTP_ENABLE_RESET_ASSOC_REQ | ANYSCTP_ENABLE_RESET_STREAM_REQ |
                                               ANYSCTP_ENABLE_CHANGE_ASSOC_REQ};
  CHECK(set(c.srv, ANYSCTP_ENABLE_STREAM_RESET, &policy, sizeof policy) == 0);
  anysctp_assoc_value got = {.assoc_value = 0};
  size_t len = sizeof got;
  CHECK(anysctp_getsockopt(c.srv, SCTP, ANYSCTP_ENABLE_STREAM_RESET, &got, &len) == 0);
  CHECK(got.assoc_value == policy.assoc_value);
  CHECK(anysctp_sendmsg(c.cli, "before", 6, NULL, &snd) == 6);
  CHECK(set(c.cli, ANYSCTP_RESET_ASSOC, &assoc, sizeof assoc) == 0);
  CHECK(anysctp_sendmsg(c.cli, "after", 5, NULL, &snd) == 5);
  /* The peer: the data sent before, the reset, the data sent after. */
  CHECK(next(&c, c.srv, &n, buf, sizeof buf) == 0 && memcmp(buf, "before", 6) == 0);
  CHECK(next_note(&c, c.srv, &n) == ANYSCTP_ASSOC_RESET_EVENT && n.flags == 0);
  uint32_t srv_local = n.local_tsn, srv_remote = n.remote_tsn;
  CHECK(next(&c, c.srv, &n, buf, sizeof buf) == 0 && memcmp(buf, "after", 5) == 0);
  CHECK(next_note(&c, c.cli, &n) == ANYSCTP_ASSOC_RESET_EVENT && n.flags == 0);
  CHECK(n.local_tsn == srv_remote && n.remote_tsn == srv_local);
  uint64_t bad = 12345;
  CHECK(set(c.cli, ANYSCTP_RESET_ASSOC, &bad, 2) == -1 && errno == EINVAL); /* too short */

  /* SCTP_STREAM_RESET_INCOMING: the peer resets the stream it sends on. */
  const uint16_t ids[1] = {1};
  CHECK(reset_streams(c.cli, ANYSCTP_STREAM_RESET_INCOMING, ids, 1, 1) == 0);
  CHECK(next_note(&c, c.cli, &n) == ANYSCTP_STREAM_RESET_EVENT);
  CHECK(n.flags == ANYSCTP_STREAM_RESET_INCOMING_SSN && n.stream_count == 1 && n.streams[0] == 1);
  CHECK(next_note(&c, c.srv, &n) == ANYSCTP_STREAM_RESET_EVENT);
  CHECK(n.flags == ANYSCTP_STREAM_RESET_OUTGOING_SSN && n.stream_count == 1 && n.streams[0] == 1);

  /* sas_instrms: the peer adds outgoing streams for us. */
  int before = outstreams(c.srv);
  anysctp_add_streams in = {.sas_instrms = 2};
  CHECK(set(c.cli, ANYSCTP_ADD_STREAMS, &in, sizeof in) == 0);
  CHECK(next_note(&c, c.cli, &n) == ANYSCTP_STREAM_CHANGE_EVENT);
  CHECK(n.flags == 0 && n.inbound_streams == before + 2);
  CHECK(next_note(&c, c.srv, &n) == ANYSCTP_STREAM_CHANGE_EVENT);
  CHECK(n.flags == 0 && n.outbound_streams == before + 2);
  CHECK(outstreams(c.srv) == before + 2);
  conn_close(&c);
}

/* ---- SCTP-AUTH (RFC 4895, RFC 6458 §8) ---- */

static void auth_setup(anysctp_sock *s, int side) {
  auth_on(s, 1, "shared secret");
  if (side == 1) subscribe(s, ANYSCTP_AUTHENTICATION_EVENT);
}

static void auth_chunks(anysctp_sock *s, int name, uint8_t *out, uint32_t *count) {
  uint64_t raw[8] = {0};
  anysctp_authchunks *q = (anysctp_authchunks *)raw;
  size_t len = sizeof raw;
  CHECK(anysctp_getsockopt(s, SCTP, name, q, &len) == 0);
  CHECK(len == offsetof(anysctp_authchunks, gauth_chunks) + q->gauth_number_of_chunks);
  *count = q->gauth_number_of_chunks;
  memcpy(out, q->gauth_chunks, q->gauth_number_of_chunks <= 16 ? q->gauth_number_of_chunks : 16);
}

static void authenticated_association(void) {
  conn c = connected(auth_setup, 0);
  anysctp_notification n;
  uint8_t buf[64];
  /* DATA, and ASCONF-ACK / ASCONF (offered by default, RFC 5061 §4.1.1). */
  uint8_t list[16];
  uint32_t count = 0;
  auth_chunks(c.cli, ANYSCTP_PEER_AUTH_CHUNKS, list, &count);
  CHECK(count == 3 && list[0] == 0 && list[1] == 0x80 && list[2] == 0xc1);
  auth_chunks(c.cli, ANYSCTP_LOCAL_AUTH_CHUNKS, list, &count);
  CHECK(count == 3 && list[0] == 0);
  /* Too small for the list: the count still comes back. */
  anysctp_authchunks small = {0};
  size_t len = offsetof(anysctp_authchunks, gauth_chunks);
  CHECK(anysctp_getsockopt(c.cli, SCTP, ANYSCTP_PEER_AUTH_CHUNKS, &small, &len) == -1 && errno == EINVAL);
  CHECK(small.gauth_number_of_chunks == 3);
  uint32_t raw[4] = {0};
  anysctp_hmacalgo *hm = (anysctp_hmacalgo *)raw;
  len = sizeof raw;
  CHECK(anysctp_getsockopt(c.cli, SCTP, ANYSCTP_HMAC_IDENT, hm, &len) == 0);
  CHECK(len == sizeof *hm + 2 * sizeof(uint16_t) && hm->shmac_num_idents == 2);
  CHECK(hm->shmac_idents[0] == ANYSCTP_AUTH_HMAC_ID_SHA256 && hm->shmac_idents[1] == ANYSCTP_AUTH_HMAC_ID_SHA1);
  anysctp_authkeyid active = {0};
  len = sizeof active;
  CHECK(anysctp_getsockopt(c.cli, SCTP, ANYSCTP_AUTH_ACTIVE_KEY, &active, &len) == 0);
  CHECK(active.scact_keynumber == 1);

  /* The peer's first authenticated packet: SCTP_AUTH_NEW_KEY, then data. */
  CHECK(anysctp_sendmsg(c.srv, "signed", 6, NULL, NULL) == 6);
  CHECK(next(&c, c.cli, &n, buf, sizeof buf) == ANYSCTP_AUTHENTICATION_EVENT);
  CHECK(n.state == ANYSCTP_SN_AUTH_NEW_KEY && n.keynumber == 1 && n.assoc_id != 0);
  CHECK(next(&c, c.cli, &n, buf, sizeof buf) == 0 && memcmp(buf, "signed", 6) == 0);

  /* Key rotation on the association (assoc_id 0 on a connected one-to-one
   * socket): key 2 on both sides, made active, key 1 retired. */
  anysctp_sock *sides[2] = {c.cli, c.srv};
  for (int i = 0; i < 2; i++) {
    CHECK(set_key(sides[i], 2, "new", 0) == 0);
    anysctp_authkeyid id = {.scact_keynumber = 2};
    CHECK(set(sides[i], ANYSCTP_AUTH_ACTIVE_KEY, &id, sizeof id) == 0);
  }
  anysctp_authkeyid one = {.scact_keynumber = 1}, two = {.scact_keynumber = 2};
  CHECK(set(c.cli, ANYSCTP_AUTH_DELETE_KEY, &one, sizeof one) == -1); /* not deactivated yet */
  CHECK(set(c.cli, ANYSCTP_AUTH_DEACTIVATE_KEY, &two, sizeof two) == -1); /* the active key */
  CHECK(set(c.cli, ANYSCTP_AUTH_DEACTIVATE_KEY, &one, sizeof one) == 0);
  /* The peer's next packet uses key 2: SCTP_AUTH_NEW_KEY 2 and
   * SCTP_AUTH_FREE_KEY 1 (the peer no longer uses it), then the data. */
  CHECK(anysctp_sendmsg(c.srv, "rotated", 7, NULL, NULL) == 7);
  int t, new_key = 0, free_key = 0;
  while ((t = next(&c, c.cli, &n, buf, sizeof buf)) == ANYSCTP_AUTHENTICATION_EVENT) {
    new_key |= n.state == ANYSCTP_SN_AUTH_NEW_KEY && n.keynumber == 2;
    free_key |= n.state == ANYSCTP_SN_AUTH_FREE_KEY && n.keynumber == 1;
  }
  CHECK(t == 0 && memcmp(buf, "rotated", 7) == 0);
  CHECK(new_key && free_key);
  CHECK(set(c.cli, ANYSCTP_AUTH_DELETE_KEY, &one, sizeof one) == 0);
  conn_close(&c);
}

static void auth_option_errors(void) {
  anysctp_sock *s = anysctp_socket(AF_INET, SOCK_SEQPACKET);
  /* Keys live in the socket's endpoint: bind first. */
  CHECK(set_key(s, 3, "k3", 0) == -1 && errno == EINVAL);
  struct sockaddr_in a = loopback(0);
  CHECK(anysctp_bind(s, &a, sizeof a) == 0);
  CHECK(set_key(s, 3, "k3", 0) == 0);
  CHECK(set_key(s, 4, "k4", 1) == -1 && errno == EINVAL); /* len shorter than the key */
  anysctp_authchunk init = {.sauth_chunk = 1}; /* INIT may not be authenticated */
  CHECK(set(s, ANYSCTP_AUTH_CHUNK, &init, sizeof init) == -1 && errno == EINVAL);
  struct { anysctp_hmacalgo h; uint16_t ids[3]; } hm = {.h = {.shmac_num_idents = 1}, .ids = {ANYSCTP_AUTH_HMAC_ID_SHA256}};
  CHECK(set(s, ANYSCTP_HMAC_IDENT, &hm, sizeof hm) == -1 && errno == EINVAL); /* no SHA-1 */
  hm.ids[0] = 2;
  CHECK(set(s, ANYSCTP_HMAC_IDENT, &hm, sizeof hm) == -1 && errno == EINVAL); /* unknown id */
  hm.h.shmac_num_idents = 3;
  hm.ids[0] = 1; hm.ids[1] = 3; hm.ids[2] = 1;
  CHECK(set(s, ANYSCTP_HMAC_IDENT, &hm, sizeof hm) == -1 && errno == EINVAL);
  hm.h.shmac_num_idents = 1;
  CHECK(set(s, ANYSCTP_HMAC_IDENT, &hm, sizeof hm) == 0); /* SHA-1 alone */
  /* Get-only and set-only options. */
  anysctp_authchunks q = {0};
  CHECK(set(s, ANYSCTP_PEER_AUTH_CHUNKS, &q, sizeof q) == -1 && errno == ENOPROTOOPT);
  anysctp_authkeyid id = {.scact_keynumber = 3};
  size_t len = sizeof id;
  CHECK(anysctp_getsockopt(s, SCTP, ANYSCTP_AUTH_DELETE_KEY, &id, &len) == -1 && errno == ENOPROTOOPT);
  /* One-to-many: the association must be named. */
  len = sizeof q;
  CHECK(anysctp_getsockopt(s, SCTP, ANYSCTP_PEER_AUTH_CHUNKS, &q, &len) == -1 && errno == EINVAL);
  /* The endpoint's key list: 3 made active, then key 0 retired and deleted. */
  CHECK(set(s, ANYSCTP_AUTH_ACTIVE_KEY, &id, sizeof id) == 0);
  len = sizeof id;
  id.scact_keynumber = 0;
  CHECK(anysctp_getsockopt(s, SCTP, ANYSCTP_AUTH_ACTIVE_KEY, &id, &len) == 0 && id.scact_keynumber == 3);
  id.scact_keynumber = 0;
  CHECK(set(s, ANYSCTP_AUTH_DEACTIVATE_KEY, &id, sizeof id) == 0);
  CHECK(set(s, ANYSCTP_AUTH_DELETE_KEY, &id, sizeof id) == 0);
  CHECK(anysctp_close(s) == 0);
}

/* ---- ASCONF (RFC 5061): bindx on a connected socket ---- */

static void asconf_setup(anysctp_sock *s, int side) {
  auth_on(s, 0, "k"); /* ASCONF needs SCTP-AUTH on both sides */
  if (side == 0) subscribe(s, ANYSCTP_PEER_ADDR_CHANGE);
}

static int peer_count(anysctp_sock *s) {
  anysctp_sockaddr a[8];
  size_t n = 0;
  CHECK(anysctp_getpaddrs(s, 0, a, 8, &n) == 0);
  return (int)n;
}

/* The next SCTP_PEER_ADDR_CHANGE of `s` with `state`, skipping others;
 * -1 when none comes. */
static int next_addr_change(conn *c, anysctp_sock *s, uint32_t state, anysctp_notification *n) {
  int t;
  while ((t = next_note(c, s, n)) == ANYSCTP_PEER_ADDR_CHANGE && n->state != state) {}
  return t;
}

static void bindx_on_a_connected_socket(void) {
  conn c = connected(asconf_setup, 1);
  anysctp_notification n;
  uint16_t port = local_port(c.cli);
  int on = 0;
  size_t len = sizeof on;
  CHECK(anysctp_getsockopt(c.cli, SCTP, ANYSCTP_AUTO_ASCONF, &on, &len) == 0 && on == 1);
  CHECK(peer_count(c.srv) == 1);

  /* Two addresses added, one removed again: each reaches the peer. */
  struct sockaddr_in two = loopback_at(2, port), three = loopback_at(3, port);
  CHECK(anysctp_bindx(c.cli, &two, 1, ANYSCTP_BINDX_ADD_ADDR) == 0);
  CHECK(next_addr_change(&c, c.srv, 3 /* SCTP_ADDR_ADDED */, &n) == ANYSCTP_PEER_ADDR_CHANGE);
  CHECK(n.address.family == ANYSCTP_AF_INET && n.address.addr[3] == 2 && n.address.port == port);
  CHECK(anysctp_bindx(c.cli, &three, 1, ANYSCTP_BINDX_ADD_ADDR) == 0);
  CHECK(next_addr_change(&c, c.srv, 3, &n) == ANYSCTP_PEER_ADDR_CHANGE && n.address.addr[3] == 3);
  CHECK(peer_count(c.srv) == 3);
  /* The client takes an address as part of the association once the
   * peer's ASCONF-ACK arrives: let it, before removing one. */
  settle(&c, 200);
  CHECK(anysctp_bindx(c.cli, &three, 1, ANYSCTP_BINDX_REM_ADDR) == 0);
  CHECK(next_addr_change(&c, c.srv, 2 /* SCTP_ADDR_REMOVED */, &n) == ANYSCTP_PEER_ADDR_CHANGE);
  CHECK(n.address.addr[3] == 3);
  CHECK(peer_count(c.srv) == 2);
  /* An address bound before the association cannot be removed from it. */
  struct sockaddr_in first = loopback_at(1, port);
  CHECK(anysctp_bindx(c.cli, &first, 1, ANYSCTP_BINDX_REM_ADDR) == -1 && errno == EADDRNOTAVAIL);

  settle(&c, 200);
  /* SCTP_SET_PEER_PRIMARY_ADDR: only an address of the association; the
   * peer makes it its primary. */
  anysctp_setpeerprim prim = {0};
  CHECK_RC(anysctp_sockaddr_parse("127.0.0.9:1", &prim.sspp_addr), ANYSCTP_OK);
  CHECK(set(c.cli, ANYSCTP_SET_PEER_PRIMARY_ADDR, &prim, sizeof prim) == -1 && errno == EADDRNOTAVAIL);
  CHECK_RC(anysctp_sockaddr_parse("127.0.0.2:1", &prim.sspp_addr), ANYSCTP_OK);
  CHECK(set(c.cli, ANYSCTP_SET_PEER_PRIMARY_ADDR, &prim, sizeof prim) == 0);
  CHECK(next_addr_change(&c, c.srv, 4 /* SCTP_ADDR_MADE_PRIM */, &n) == ANYSCTP_PEER_ADDR_CHANGE);
  CHECK(n.address.addr[3] == 2);
  len = sizeof prim;
  CHECK(anysctp_getsockopt(c.cli, SCTP, ANYSCTP_SET_PEER_PRIMARY_ADDR, &prim, &len) == -1 && errno == ENOPROTOOPT);

  /* SCTP_AUTO_ASCONF off: the next address stays local. */
  CHECK(set_int(c.cli, ANYSCTP_AUTO_ASCONF, 0) == 0);
  len = sizeof on;
  CHECK(anysctp_getsockopt(c.cli, SCTP, ANYSCTP_AUTO_ASCONF, &on, &len) == 0 && on == 0);
  struct sockaddr_in four = loopback_at(4, port);
  CHECK(anysctp_bindx(c.cli, &four, 1, ANYSCTP_BINDX_ADD_ADDR) == 0);
  settle(&c, 300);
  CHECK(peer_count(c.srv) == 2);
  anysctp_sockaddr local[8];
  size_t nl = 0;
  CHECK(anysctp_getladdrs(c.cli, local, 8, &nl) == 0 && nl == 3); /* wildcard, .2, .4 */
  conn_close(&c);
}

int main(void) {
  RUN(reset_and_add_streams);
  RUN(reset_assoc_incoming_reset_and_added_instreams);
  RUN(authenticated_association);
  RUN(auth_option_errors);
  RUN(bindx_on_a_connected_socket);
  CHECK_EXIT();
}
