/* Stream reconfiguration (RFC 6525), SCTP-AUTH (RFC 4895) and dynamic
 * addresses (RFC 5061) through the sans-IO API: two endpoints in one
 * process over the in-memory link of pair.h. */
#include "pair.h"

/* What each side saw, in order: 'm' + payload byte for a message, 'R' for
 * a streams-reset event, 'A' for an association-reset event. */
typedef struct {
  int connected[2];
  uint64_t assoc[2];
  char log[2][64];
  size_t log_len[2];
  int reset_seen[2], added_seen;
  anysctp_event_streams_reset reset[2];
  uint16_t reset_stream[2];
  anysctp_event_streams_added added;
  int assoc_reset_seen[2];
  anysctp_event_association_reset assoc_reset[2];
  int auth_new_key[2], auth_free_key[2], no_auth[2];
  uint16_t new_key_id[2];
  int asconf_answered;
  anysctp_event_address_request_result asconf;
} state;

static void on_event(void *user, int side, const anysctp_event *ev) {
  state *st = user;
  char *log = st->log[side];
  size_t *n = &st->log_len[side];
  switch (ev->kind) {
    case ANYSCTP_EVENT_CONNECTED:
      st->connected[side] = 1;
      st->assoc[side] = ev->association;
      break;
    case ANYSCTP_EVENT_MESSAGE: {
      uint64_t id = 0;
      CHECK(interop_check(ev->u.message.data, ev->u.message.len, &id));
      if (*n + 2 < sizeof st->log[side]) { log[(*n)++] = 'm'; log[(*n)++] = (char)id; }
      break;
    }
    case ANYSCTP_EVENT_STREAMS_RESET:
      if (*n + 1 < sizeof st->log[side]) log[(*n)++] = 'R';
      st->reset_seen[side]++;
      st->reset[side] = ev->u.streams_reset;
      CHECK(ev->u.streams_reset.count == 1 && ev->u.streams_reset.streams != NULL);
      if (ev->u.streams_reset.count == 1) st->reset_stream[side] = ev->u.streams_reset.streams[0];
      break;
    case ANYSCTP_EVENT_ASSOCIATION_RESET:
      if (*n + 1 < sizeof st->log[side]) log[(*n)++] = 'A';
      st->assoc_reset_seen[side]++;
      st->assoc_reset[side] = ev->u.association_reset;
      break;
    case ANYSCTP_EVENT_STREAMS_ADDED:
      if (side == 0) { st->added_seen++; st->added = ev->u.streams_added; }
      break;
    case ANYSCTP_EVENT_AUTHENTICATION:
      switch (ev->u.authentication.indication) {
        case ANYSCTP_AUTH_NEW_KEY: st->auth_new_key[side]++; st->new_key_id[side] = ev->u.authentication.key_id; break;
        case ANYSCTP_AUTH_FREE_KEY: st->auth_free_key[side]++; break;
        case ANYSCTP_AUTH_NO_AUTH: st->no_auth[side]++; break;
        default: CHECK(0); break;
      }
      break;
    case ANYSCTP_EVENT_ADDRESS_REQUEST_RESULT:
      if (side == 0) {
        st->asconf_answered++;
        st->asconf = ev->u.address_request_result;
        CHECK(ev->u.address_request_result.text != NULL);
      }
      break;
    case ANYSCTP_EVENT_OTHER:
      CHECK(0); /* every event the core has is converted */
      break;
    default:
      break;
  }
}

/* Connects A (with `client`, NULL: defaults) to B (with `server`). */
static void setup_pair(pair *p, state *st, const anysctp_association_config *server) {
  memset(st, 0, sizeof *st);
  anysctp_endpoint_config scfg;
  CHECK_RC(anysctp_endpoint_config_default(&scfg), ANYSCTP_OK);
  if (server) scfg.association = *server;
  pair_init(p, &scfg, 0);
  p->on_event = on_event;
  p->user = st;
}

static int establish(pair *p, state *st, const anysctp_association_config *client) {
  uint64_t id = 0;
  CHECK_RC(anysctp_endpoint_connect(p->ep[0], p->now, &p->addr[1], 5002, client, &id), ANYSCTP_OK);
  int both = 0;
  while (!both && p->now < 120000000) {
    pair_run(p, &st->connected[0], 60000000);
    pair_run(p, &st->connected[1], 60000000);
    both = st->connected[0] && st->connected[1];
  }
  CHECK(both && st->assoc[0] == id);
  return both;
}

static void send1(pair *p, state *st, uint16_t stream, char tag) {
  uint8_t m[20];
  interop_fill(m, sizeof m, (uint64_t)tag);
  CHECK_RC(anysctp_endpoint_send(p->ep[0], p->now, st->assoc[0], stream, 0, false, m, sizeof m), ANYSCTP_OK);
}

static void reset_stream_round_trip(void) {
  pair p;
  state st;
  setup_pair(&p, &st, NULL);
  if (establish(&p, &st, NULL)) {
    send1(&p, &st, 1, 'a');
    send1(&p, &st, 1, 'b');
    uint16_t streams[] = {1};
    CHECK_RC(anysctp_endpoint_reset_streams(p.ep[0], p.now, st.assoc[0], streams, 1), ANYSCTP_OK);
    /* One request at a time (RFC 6525 §5.1.1). */
    CHECK_RC(anysctp_endpoint_reset_streams(p.ep[0], p.now, st.assoc[0], streams, 1), ANYSCTP_ERR_RECONFIG_IN_PROGRESS);
    char err[256];
    anysctp_last_error(err, sizeof err);
    CHECK(strstr(err, "already outstanding") != NULL);
    send1(&p, &st, 1, 'c'); /* held until the peer answered */
    for (int i = 0; i < 50 && !(st.reset_seen[0] && st.log_len[1] >= 7); i++) pair_step(&p);
    CHECK(st.reset_seen[0] == 1 && st.reset_seen[1] == 1);
    CHECK(st.reset[0].direction == ANYSCTP_STREAMS_OUTGOING && st.reset[0].result == ANYSCTP_RECONFIG_SUCCESS);
    CHECK(st.reset[1].direction == ANYSCTP_STREAMS_INCOMING && st.reset[1].result == ANYSCTP_RECONFIG_SUCCESS);
    CHECK(st.reset_stream[0] == 1 && st.reset_stream[1] == 1);
    st.log[1][st.log_len[1]] = 0;
    CHECK(strcmp(st.log[1], "mambRmc") == 0); /* before, the reset, after */

    /* Bad requests name what to change. */
    CHECK_RC(anysctp_endpoint_reset_streams(p.ep[0], p.now, st.assoc[0], NULL, 0), ANYSCTP_ERR_INVALID_RECONFIG);
    CHECK_RC(anysctp_endpoint_reset_streams(p.ep[0], p.now, st.assoc[0], NULL, 3), ANYSCTP_ERR_INVALID_ARGUMENT);
    uint16_t bad[] = {999};
    CHECK_RC(anysctp_endpoint_reset_streams(p.ep[0], p.now, st.assoc[0], bad, 1), ANYSCTP_ERR_INVALID_STREAM);
    CHECK_RC(anysctp_endpoint_reset_streams(p.ep[0], p.now, 777, streams, 1), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);

    /* Add streams: the peer allows it; the new counts come back. */
    CHECK_RC(anysctp_endpoint_add_streams(p.ep[0], p.now, st.assoc[0], 0), ANYSCTP_ERR_INVALID_RECONFIG);
    CHECK_RC(anysctp_endpoint_add_streams(p.ep[0], p.now, st.assoc[0], 5), ANYSCTP_OK);
    for (int i = 0; i < 50 && !st.added_seen; i++) pair_step(&p);
    CHECK(st.added_seen == 1 && st.added.result == ANYSCTP_RECONFIG_SUCCESS && st.added.outbound_streams == 15);

    /* A peer that refuses resets answers "denied". */
    CHECK_RC(anysctp_endpoint_set_reconfig_policy(p.ep[1], st.assoc[1], false, true, 65535), ANYSCTP_OK);
    CHECK_RC(anysctp_endpoint_reset_streams(p.ep[0], p.now, st.assoc[0], streams, 1), ANYSCTP_OK);
    for (int i = 0; i < 50 && st.reset_seen[0] < 2; i++) pair_step(&p);
    CHECK(st.reset_seen[0] == 2 && st.reset[0].result == ANYSCTP_RECONFIG_DENIED);
    CHECK_RC(anysctp_endpoint_set_reconfig_policy(p.ep[1], 777, true, true, 1), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  }
  pair_free(&p);
}

static void reset_association_round_trip(void) {
  pair p;
  state st;
  anysctp_association_config c;
  CHECK_RC(anysctp_association_config_default(&c), ANYSCTP_OK);
  c.nodelay = true; /* each message goes at once, even with data in flight */
  setup_pair(&p, &st, NULL);
  if (establish(&p, &st, &c)) {
    /* The default policy refuses: nothing is reset, the held message goes. */
    send1(&p, &st, 1, 'a');
    CHECK_RC(anysctp_endpoint_reset_association(p.ep[0], p.now, st.assoc[0]), ANYSCTP_OK);
    CHECK_RC(anysctp_endpoint_reset_association(p.ep[0], p.now, st.assoc[0]), ANYSCTP_ERR_RECONFIG_IN_PROGRESS);
    send1(&p, &st, 1, 'b');
    for (int i = 0; i < 50 && !(st.assoc_reset_seen[0] && st.log_len[1] >= 4); i++) pair_step(&p);
    CHECK(st.assoc_reset_seen[0] == 1 && st.assoc_reset_seen[1] == 0);
    CHECK(st.assoc_reset[0].result == ANYSCTP_RECONFIG_DENIED);

    /* Allowed: both sides report the same new TSNs, each from its side,
     * and the messages come before and after the reset, once each. */
    CHECK_RC(anysctp_endpoint_set_reconfig_policy_with(p.ep[1], st.assoc[1], true, true, 65535, true), ANYSCTP_OK);
    send1(&p, &st, 1, 'c');
    pair_step(&p); /* 'c' in flight, not yet acknowledged */
    CHECK_RC(anysctp_endpoint_reset_association(p.ep[0], p.now, st.assoc[0]), ANYSCTP_OK);
    send1(&p, &st, 1, 'd');
    /* The request waits for the SACK of 'c' (RFC 6525 §5.1.4 C2). */
    st.assoc_reset_seen[0] = 0;
    pair_run(&p, &st.assoc_reset_seen[0], 10000000);
    for (int i = 0; i < 50 && st.log_len[1] < 9; i++) pair_step(&p);
    CHECK(st.assoc_reset_seen[0] == 1 && st.assoc_reset_seen[1] == 1);
    CHECK(st.assoc_reset[0].result == ANYSCTP_RECONFIG_SUCCESS && st.assoc_reset[1].result == ANYSCTP_RECONFIG_SUCCESS);
    CHECK(st.assoc_reset[0].local_tsn == st.assoc_reset[1].remote_tsn);
    CHECK(st.assoc_reset[0].remote_tsn == st.assoc_reset[1].local_tsn);
    st.log[1][st.log_len[1]] = 0;
    CHECK(strcmp(st.log[1], "mambmcAmd") == 0);
  }
  pair_free(&p);
}

static void incoming_reset_and_added_incoming_streams(void) {
  pair p;
  state st;
  setup_pair(&p, &st, NULL);
  if (establish(&p, &st, NULL)) {
    uint16_t streams[] = {1};
    CHECK_RC(anysctp_endpoint_reset_streams_with(p.ep[0], p.now, st.assoc[0], streams, 1, 9), ANYSCTP_ERR_INVALID_ARGUMENT);
    char err[256];
    anysctp_last_error(err, sizeof err);
    CHECK(strstr(err, "ANYSCTP_RESET_OUTGOING") != NULL);
    CHECK_RC(anysctp_endpoint_reset_streams_with(p.ep[0], p.now, st.assoc[0], streams, 1, ANYSCTP_RESET_INCOMING), ANYSCTP_OK);
    for (int i = 0; i < 50 && !(st.reset_seen[0] && st.reset_seen[1]); i++) pair_step(&p);
    /* The peer reset the stream it sends on; we saw its incoming side. */
    CHECK(st.reset_seen[0] == 1 && st.reset[0].direction == ANYSCTP_STREAMS_INCOMING);
    CHECK(st.reset[0].result == ANYSCTP_RECONFIG_SUCCESS && st.reset_stream[0] == 1);
    CHECK(st.reset_seen[1] == 1 && st.reset[1].direction == ANYSCTP_STREAMS_OUTGOING);

    CHECK_RC(anysctp_endpoint_add_streams_with(p.ep[0], p.now, st.assoc[0], 0, 0), ANYSCTP_ERR_INVALID_RECONFIG);
    CHECK_RC(anysctp_endpoint_add_streams_with(p.ep[0], p.now, st.assoc[0], 2, 0), ANYSCTP_OK);
    for (int i = 0; i < 50 && !st.added_seen; i++) pair_step(&p);
    CHECK(st.added_seen == 1 && st.added.result == ANYSCTP_RECONFIG_SUCCESS);
    CHECK(st.added.inbound_streams == 12 && st.added.outbound_streams == 10);
  }
  pair_free(&p);
}

static void reset_without_reconfig_is_refused(void) {
  pair p;
  state st;
  anysctp_association_config c;
  CHECK_RC(anysctp_association_config_default(&c), ANYSCTP_OK);
  c.reconfig = false;
  setup_pair(&p, &st, &c);
  if (establish(&p, &st, &c)) {
    uint16_t streams[] = {0};
    CHECK_RC(anysctp_endpoint_reset_streams(p.ep[0], p.now, st.assoc[0], streams, 1), ANYSCTP_ERR_RECONFIG_UNAVAILABLE);
    char err[256];
    anysctp_last_error(err, sizeof err);
    CHECK(strstr(err, "stream re-configuration unavailable") != NULL);
  }
  pair_free(&p);
}

static const uint8_t SECRET[] = "a secret both sides share";

static void auth_pair_authenticates_data(void) {
  pair p;
  state st;
  anysctp_association_config c;
  CHECK_RC(anysctp_association_config_default(&c), ANYSCTP_OK);
  CHECK(!c.auth_enabled && c.auth_hmac_algorithms[0] == 3 && c.auth_hmac_algorithms[1] == 1);
  c.auth_enabled = true;
  c.auth_chunks[0] |= 1; /* DATA only authenticated */
  setup_pair(&p, &st, &c);
  for (int s = 0; s < 2; s++) {
    CHECK_RC(anysctp_endpoint_set_auth_key(p.ep[s], ANYSCTP_ENDPOINT_KEYS, 1, SECRET, sizeof SECRET), ANYSCTP_OK);
    CHECK_RC(anysctp_endpoint_set_active_auth_key(p.ep[s], ANYSCTP_ENDPOINT_KEYS, 1), ANYSCTP_OK);
    uint16_t k = 0;
    CHECK_RC(anysctp_endpoint_active_auth_key(p.ep[s], ANYSCTP_ENDPOINT_KEYS, &k), ANYSCTP_OK);
    CHECK(k == 1);
  }
  if (establish(&p, &st, &c)) {
    uint8_t chunks[256];
    size_t n = 0;
    CHECK_RC(anysctp_endpoint_local_auth_chunks(p.ep[0], st.assoc[0], chunks, sizeof chunks, &n), ANYSCTP_OK);
    CHECK(n >= 1 && chunks[0] == 0);
    CHECK_RC(anysctp_endpoint_peer_auth_chunks(p.ep[0], st.assoc[0], chunks, 0, &n), ANYSCTP_ERR_BUFFER_TOO_SMALL);
    CHECK(n >= 1);
    for (char t = 'a'; t < 'f'; t++) send1(&p, &st, 0, t);
    for (int i = 0; i < 50 && st.log_len[1] < 10; i++) pair_step(&p);
    st.log[1][st.log_len[1]] = 0;
    CHECK(strcmp(st.log[1], "mambmcmdme") == 0);
    CHECK(st.auth_new_key[1] == 1 && st.new_key_id[1] == 1);
    CHECK(st.no_auth[0] == 0 && st.no_auth[1] == 0);

    /* Rotate A's key on this association: old key 1 is freed once unused. */
    CHECK_RC(anysctp_endpoint_set_auth_key(p.ep[0], st.assoc[0], 2, SECRET, 4), ANYSCTP_OK);
    CHECK_RC(anysctp_endpoint_set_auth_key(p.ep[1], st.assoc[1], 2, SECRET, 4), ANYSCTP_OK);
    CHECK_RC(anysctp_endpoint_set_active_auth_key(p.ep[0], st.assoc[0], 2), ANYSCTP_OK);
    CHECK_RC(anysctp_endpoint_delete_auth_key(p.ep[0], st.assoc[0], 2), ANYSCTP_ERR_AUTH); /* active */
    /* Bad key commands. */
    CHECK_RC(anysctp_endpoint_set_active_auth_key(p.ep[0], st.assoc[0], 9), ANYSCTP_ERR_AUTH);
    CHECK_RC(anysctp_endpoint_set_auth_key(p.ep[0], st.assoc[0], 3, NULL, 5), ANYSCTP_ERR_INVALID_ARGUMENT);
    CHECK_RC(anysctp_endpoint_set_auth_key(p.ep[0], 777, 3, SECRET, 4), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
    CHECK_RC(anysctp_endpoint_active_auth_key(p.ep[0], st.assoc[0], NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
    send1(&p, &st, 0, 'f');
    for (int i = 0; i < 50 && st.log_len[1] < 12; i++) pair_step(&p);
    CHECK(st.log_len[1] == 12 && st.auth_new_key[1] == 2 && st.new_key_id[1] == 2);
  }
  pair_free(&p);
}

static void auth_config_errors(void) {
  anysctp_endpoint_config cfg;
  CHECK_RC(anysctp_endpoint_config_default(&cfg), ANYSCTP_OK);
  cfg.association.auth_enabled = true;
  cfg.association.auth_hmac_algorithms[0] = 3;
  cfg.association.auth_hmac_algorithms[1] = 0;
  uint8_t seed[32] = {0};
  anysctp_endpoint *ep = NULL;
  CHECK_RC(anysctp_endpoint_new(&cfg, seed, &ep), ANYSCTP_ERR_INVALID_CONFIG);
  char err[256];
  anysctp_last_error(err, sizeof err);
  CHECK(strstr(err, "Sha1") != NULL);
  cfg.association.auth_hmac_algorithms[1] = 7;
  CHECK_RC(anysctp_endpoint_new(&cfg, seed, &ep), ANYSCTP_ERR_INVALID_CONFIG);
  anysctp_last_error(err, sizeof err);
  CHECK(strstr(err, "auth_hmac_algorithms holds 7") != NULL);
  cfg.association.auth_hmac_algorithms[1] = 1;
  cfg.association.auth_chunks[1] |= 1 << (15 - 8); /* AUTH itself */
  CHECK_RC(anysctp_endpoint_new(&cfg, seed, &ep), ANYSCTP_ERR_INVALID_CONFIG);
  cfg.association.auth_chunks[1] = 0;
  CHECK_RC(anysctp_endpoint_new(&cfg, seed, &ep), ANYSCTP_OK);
  uint8_t big[1025] = {0};
  CHECK_RC(anysctp_endpoint_set_auth_key(ep, ANYSCTP_ENDPOINT_KEYS, 1, big, sizeof big), ANYSCTP_ERR_AUTH);
  anysctp_endpoint_free(ep);
}

static void local_addresses_and_peer_primary(void) {
  pair p;
  state st;
  anysctp_association_config c;
  CHECK_RC(anysctp_association_config_default(&c), ANYSCTP_OK);
  CHECK(c.asconf);
  c.auth_enabled = true; /* ASCONF runs over SCTP-AUTH (RFC 5061 §4.2) */
  setup_pair(&p, &st, &c);
  anysctp_sockaddr a1, a2, other;
  CHECK_RC(anysctp_sockaddr_parse("10.0.0.1:0", &a1), ANYSCTP_OK);
  CHECK_RC(anysctp_sockaddr_parse("10.0.1.1:0", &a2), ANYSCTP_OK);
  CHECK_RC(anysctp_sockaddr_parse("10.7.7.7:0", &other), ANYSCTP_OK);
  /* Before any association: only the endpoint's address list changes. */
  CHECK_RC(anysctp_endpoint_add_local_address(p.ep[0], p.now, &a1), ANYSCTP_OK);
  CHECK_RC(anysctp_endpoint_add_local_address(p.ep[0], p.now, &a1), ANYSCTP_ERR_INVALID_ADDRESS);
  CHECK_RC(anysctp_endpoint_remove_local_address(p.ep[0], p.now, &a1), ANYSCTP_ERR_INVALID_ADDRESS); /* the last */
  char err[256];
  anysctp_last_error(err, sizeof err);
  CHECK(strstr(err, "last address") != NULL);
  CHECK_RC(anysctp_endpoint_add_local_address(p.ep[0], p.now, &a2), ANYSCTP_OK);
  anysctp_sockaddr list[4];
  size_t n = 0;
  CHECK_RC(anysctp_endpoint_local_addresses(p.ep[0], list, 4, &n), ANYSCTP_OK);
  CHECK(n == 2 && memcmp(list[0].addr, a1.addr, 4) == 0 && memcmp(list[1].addr, a2.addr, 4) == 0);
  CHECK_RC(anysctp_endpoint_remove_local_address(p.ep[0], p.now, &a2), ANYSCTP_OK);
  CHECK_RC(anysctp_endpoint_local_addresses(p.ep[0], list, 4, &n), ANYSCTP_OK);
  CHECK(n == 1);
  CHECK_RC(anysctp_endpoint_local_addresses(p.ep[0], list, 4, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_local_addresses(p.ep[0], NULL, 0, &n), ANYSCTP_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 1);
  bool on = false;
  CHECK_RC(anysctp_endpoint_auto_asconf(p.ep[0], &on), ANYSCTP_OK);
  CHECK(on);
  if (establish(&p, &st, &c)) {
    CHECK_RC(anysctp_endpoint_set_peer_primary(p.ep[0], p.now, st.assoc[0], &other), ANYSCTP_ERR_INVALID_ADDRESS);
    CHECK_RC(anysctp_endpoint_set_peer_primary(p.ep[0], p.now, st.assoc[0], &a1), ANYSCTP_OK);
    for (int i = 0; i < 50 && !st.asconf_answered; i++) pair_step(&p);
    CHECK(st.asconf_answered == 1);
    CHECK(st.asconf.request == ANYSCTP_REQUEST_SET_PEER_PRIMARY && st.asconf.outcome == ANYSCTP_OUTCOME_ACCEPTED);
    CHECK(memcmp(st.asconf.address.addr, a1.addr, 4) == 0 && st.asconf.cause_code == 0);
  }
  pair_free(&p);
}

static void peer_primary_without_asconf_is_refused(void) {
  pair p;
  state st;
  anysctp_association_config c, s;
  CHECK_RC(anysctp_association_config_default(&c), ANYSCTP_OK);
  c.auth_enabled = true;
  s = c;
  s.asconf = false;
  setup_pair(&p, &st, &s);
  anysctp_sockaddr a1;
  CHECK_RC(anysctp_sockaddr_parse("10.0.0.1:0", &a1), ANYSCTP_OK);
  CHECK_RC(anysctp_endpoint_add_local_address(p.ep[0], p.now, &a1), ANYSCTP_OK);
  if (establish(&p, &st, &c)) {
    CHECK_RC(anysctp_endpoint_set_peer_primary(p.ep[0], p.now, st.assoc[0], &a1), ANYSCTP_ERR_INVALID_STATE);
    char err[256];
    anysctp_last_error(err, sizeof err);
    CHECK(strstr(err, "does not support dynamic address reconfiguration") != NULL);
  }
  pair_free(&p);
}

int main(void) {
  RUN(reset_stream_round_trip);
  RUN(reset_association_round_trip);
  RUN(incoming_reset_and_added_incoming_streams);
  RUN(reset_without_reconfig_is_refused);
  RUN(auth_pair_authenticates_data);
  RUN(auth_config_errors);
  RUN(local_addresses_and_peer_primary);
  RUN(peer_primary_without_asconf_is_refused);
  CHECK_EXIT();
}
