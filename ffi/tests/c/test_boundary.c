/* Every error path of the boundary that needs no peer: NULL pointers, bad
 * lengths, bad configuration, bad addresses, unknown associations, small
 * buffers, and the per-thread last error. */
#include "check.h"

static const uint8_t SEED[32] = {1, 2, 3};

static anysctp_endpoint *new_endpoint(void) {
  anysctp_endpoint *ep = NULL;
  CHECK_RC(anysctp_endpoint_new(NULL, SEED, &ep), ANYSCTP_OK);
  CHECK(ep != NULL);
  return ep;
}

static void version_and_result_strings(void) {
  CHECK(anysctp_version() != NULL && strlen(anysctp_version()) > 0);
  CHECK(strncmp(anysctp_result_str(ANYSCTP_ERR_WOULD_BLOCK), "ANYSCTP_ERR_WOULD_BLOCK", 23) == 0);
  CHECK(strcmp(anysctp_result_str(12345), "unknown anysctp_result") == 0);
  CHECK(strcmp(anysctp_association_state_name(ANYSCTP_STATE_ESTABLISHED), "ESTABLISHED") == 0);
  CHECK(strcmp(anysctp_association_state_name(-7), "UNKNOWN") == 0);
}

static void last_error_is_set_and_truncated(void) {
  anysctp_endpoint *ep = NULL;
  CHECK_RC(anysctp_endpoint_new(NULL, NULL, &ep), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK(ep == NULL);
  char buf[256];
  size_t n = anysctp_last_error(buf, sizeof buf);
  CHECK(n > 0 && strstr(buf, "seed") != NULL);
  char small[5];
  memset(small, 'x', sizeof small);
  CHECK(anysctp_last_error(small, sizeof small) == n);
  CHECK(small[4] == '\0' && strlen(small) == 4);
  CHECK(anysctp_last_error(NULL, 0) == n);
}

static void null_arguments_rejected(void) {
  anysctp_endpoint *ep = new_endpoint();
  anysctp_event ev;
  anysctp_transmit t;
  uint64_t u64;
  size_t sz;
  uint8_t buf[65536];
  anysctp_sockaddr a;
  CHECK_RC(anysctp_sockaddr_parse("127.0.0.1:9899", &a), ANYSCTP_OK);

  CHECK_RC(anysctp_endpoint_new(NULL, SEED, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_handle_timeout(NULL, 0), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_poll_event(NULL, &ev), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_poll_event(ep, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_poll_event_copy(ep, &ev, NULL, 10, &sz), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_poll_timeout(ep, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_poll_transmit(ep, 0, NULL, sizeof buf, &t), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_poll_transmit(ep, 0, buf, sizeof buf, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_handle_datagram(ep, 0, NULL, buf, 12), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_handle_datagram(ep, 0, &a, NULL, 12), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_connect(ep, 0, NULL, 5000, NULL, &u64), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_connect(ep, 0, &a, 5000, NULL, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_connectx(ep, 0, NULL, 1, 5000, NULL, &u64), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_connectx(ep, 0, &a, 0, 5000, NULL, &u64), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_send(ep, 0, 1, 0, 0, false, NULL, 3), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_stats(ep, 1, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_state(ep, 1, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_associations(ep, NULL, 4, &sz), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_associations(ep, NULL, 0, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_buffered_amount(ep, 1, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_peer_addresses(ep, 1, NULL, 2, &sz), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_set_primary(ep, 1, NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_sockaddr_parse(NULL, &a), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_sockaddr_parse("1.2.3.4:5", NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_association_config_default(NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  CHECK_RC(anysctp_endpoint_config_default(NULL), ANYSCTP_ERR_INVALID_ARGUMENT);
  anysctp_endpoint_free(ep);
  anysctp_endpoint_free(NULL);
}

static void bad_values_rejected(void) {
  anysctp_endpoint_config cfg;
  anysctp_endpoint *ep = NULL;
  CHECK_RC(anysctp_endpoint_config_default(&cfg), ANYSCTP_OK);
  CHECK(cfg.association.outbound_streams == 10 && cfg.association.rto_initial_ms == 1000);
  cfg.association.outbound_streams = 0;
  CHECK_RC(anysctp_endpoint_new(&cfg, SEED, &ep), ANYSCTP_ERR_INVALID_CONFIG);
  CHECK(ep == NULL);
  char err[256];
  anysctp_last_error(err, sizeof err);
  CHECK(strstr(err, "outbound_streams") != NULL);
  CHECK_RC(anysctp_endpoint_config_default(&cfg), ANYSCTP_OK);
  cfg.association.sack_delay_ms = 501;
  CHECK_RC(anysctp_endpoint_new(&cfg, SEED, &ep), ANYSCTP_ERR_INVALID_CONFIG);
  /* SCTP-PF on by default (RFC 7829 §6); its threshold must stay below Path.Max.Retrans. */
  CHECK_RC(anysctp_endpoint_config_default(&cfg), ANYSCTP_OK);
  CHECK(cfg.association.pf_enabled && cfg.association.pf_max_retrans == 0 && cfg.association.max_init_timeout_ms == 0);
  cfg.association.pf_max_retrans = 5;
  CHECK_RC(anysctp_endpoint_new(&cfg, SEED, &ep), ANYSCTP_ERR_INVALID_CONFIG);
  anysctp_last_error(err, sizeof err);
  CHECK(strstr(err, "pf_max_retrans") != NULL);
  cfg.association.pf_enabled = false; /* off: the threshold is ignored */
  cfg.association.max_init_timeout_ms = 3000;
  CHECK_RC(anysctp_endpoint_new(&cfg, SEED, &ep), ANYSCTP_OK);
  anysctp_endpoint_free(ep);
  ep = NULL;
  CHECK_RC(anysctp_endpoint_config_default(&cfg), ANYSCTP_OK);
  cfg.max_associations = 0;
  CHECK_RC(anysctp_endpoint_new(&cfg, SEED, &ep), ANYSCTP_ERR_INVALID_CONFIG);

  ep = new_endpoint();
  anysctp_association_config ac;
  CHECK_RC(anysctp_association_config_default(&ac), ANYSCTP_OK);
  ac.mtu = 10;
  anysctp_sockaddr a;
  uint64_t id = 0;
  CHECK_RC(anysctp_sockaddr_parse("127.0.0.1:9899", &a), ANYSCTP_OK);
  CHECK_RC(anysctp_endpoint_connect(ep, 0, &a, 5000, &ac, &id), ANYSCTP_ERR_INVALID_CONFIG);
  a.family = 77;
  CHECK_RC(anysctp_endpoint_connect(ep, 0, &a, 5000, NULL, &id), ANYSCTP_ERR_INVALID_ADDRESS);
  CHECK_RC(anysctp_endpoint_handle_datagram(ep, 0, &a, (const uint8_t *)"x", 1), ANYSCTP_ERR_INVALID_ADDRESS);
  anysctp_sockaddr many[65];
  for (int i = 0; i < 65; i++) CHECK_RC(anysctp_sockaddr_parse("127.0.0.1:9899", &many[i]), ANYSCTP_OK);
  CHECK_RC(anysctp_endpoint_connectx(ep, 0, many, 65, 5000, NULL, &id), ANYSCTP_ERR_INVALID_ARGUMENT);
  anysctp_endpoint_free(ep);
}

static void addresses(void) {
  anysctp_sockaddr a;
  char text[64];
  size_t n = 0;
  CHECK_RC(anysctp_sockaddr_parse("[::1]:9899", &a), ANYSCTP_OK);
  CHECK(a.family == ANYSCTP_AF_INET6 && a.port == 9899 && a.addr[15] == 1);
  CHECK_RC(anysctp_sockaddr_format(&a, text, sizeof text, &n), ANYSCTP_OK);
  CHECK(strcmp(text, "[::1]:9899") == 0 && n == 10);
  CHECK_RC(anysctp_sockaddr_format(&a, text, 4, &n), ANYSCTP_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 10 && strlen(text) == 3);
  CHECK_RC(anysctp_sockaddr_parse("not an address", &a), ANYSCTP_ERR_INVALID_ADDRESS);
  CHECK_RC(anysctp_sockaddr_parse("127.0.0.1", &a), ANYSCTP_ERR_INVALID_ADDRESS);
}

static void fresh_endpoint_has_nothing(void) {
  anysctp_endpoint *ep = new_endpoint();
  anysctp_event ev;
  anysctp_transmit t;
  uint8_t buf[1500];
  uint64_t deadline;
  size_t count = 99;
  CHECK_RC(anysctp_endpoint_poll_event(ep, &ev), ANYSCTP_NONE);
  CHECK_RC(anysctp_endpoint_poll_transmit(ep, 0, buf, sizeof buf, &t), ANYSCTP_NONE);
  CHECK_RC(anysctp_endpoint_poll_timeout(ep, &deadline), ANYSCTP_NONE);
  CHECK_RC(anysctp_endpoint_associations(ep, NULL, 0, &count), ANYSCTP_OK);
  CHECK(count == 0);
  /* A buffer below the MTU (1200 by default) is refused. */
  CHECK_RC(anysctp_endpoint_poll_transmit(ep, 0, buf, 1000, &t), ANYSCTP_ERR_BUFFER_TOO_SMALL);
  /* Garbage datagrams are not errors: the protocol drops them. */
  anysctp_sockaddr from;
  CHECK_RC(anysctp_sockaddr_parse("192.0.2.1:9899", &from), ANYSCTP_OK);
  memset(buf, 0xAB, sizeof buf);
  for (size_t len = 0; len < 64; len++)
    CHECK_RC(anysctp_endpoint_handle_datagram(ep, 1, &from, buf, len), ANYSCTP_OK);
  CHECK_RC(anysctp_endpoint_handle_datagram(ep, 1, &from, buf, 70000), ANYSCTP_ERR_INVALID_ARGUMENT);
  anysctp_endpoint_free(ep);
}

static void unknown_association(void) {
  anysctp_endpoint *ep = new_endpoint();
  const uint8_t msg[4] = {1, 2, 3, 4};
  anysctp_stats st;
  anysctp_association_state s;
  size_t n;
  anysctp_sockaddr a;
  CHECK_RC(anysctp_sockaddr_parse("127.0.0.1:1", &a), ANYSCTP_OK);
  CHECK_RC(anysctp_endpoint_send(ep, 0, 424242, 0, 0, false, msg, sizeof msg), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_send_with_options(ep, 0, 424242, 0, msg, sizeof msg, NULL), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_shutdown(ep, 0, 424242), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_abort(ep, 0, 424242, "why"), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_abort(ep, 0, 424242, NULL), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_stats(ep, 424242, &st), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_state(ep, 424242, &s), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_buffered_amount(ep, 424242, &n), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_set_buffered_amount_low_threshold(ep, 424242, 10), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_peer_addresses(ep, 424242, NULL, 0, &n), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  CHECK_RC(anysctp_endpoint_set_primary(ep, 424242, &a), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  anysctp_endpoint_free(ep);
}

int main(void) {
  RUN(version_and_result_strings);
  RUN(last_error_is_set_and_truncated);
  RUN(null_arguments_rejected);
  RUN(bad_values_rejected);
  RUN(addresses);
  RUN(fresh_endpoint_has_nothing);
  RUN(unknown_association);
  CHECK_EXIT();
}
