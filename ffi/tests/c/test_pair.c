/* Two endpoints through the sans-IO API in one process, over an in-memory
 * link with loss, in virtual time: connect, ordered multi-stream transfer
 * verified message by message, send errors, the copying poll, shutdown,
 * abort, and a peer that vanishes. */
#include "pair.h"

#define STREAMS 4

typedef struct {
  int connected[2];
  uint64_t assoc[2];
  uint16_t outbound[2];
  int closed[2];
  anysctp_close_reason reason[2];
  char close_text[2][256];
  uint64_t received, next_id[STREAMS], bad;
  uint64_t send_failed;
  int peer_aborted_seen;
  int sender_dry; /* side 0 had all its data acknowledged */
} state;

static void on_event(void *user, int side, const anysctp_event *ev) {
  state *st = user;
  switch (ev->kind) {
    case ANYSCTP_EVENT_CONNECTED:
      st->connected[side] = 1;
      st->assoc[side] = ev->association;
      st->outbound[side] = ev->u.connected.outbound_streams;
      break;
    case ANYSCTP_EVENT_MESSAGE: {
      uint64_t id;
      const anysctp_event_message *m = &ev->u.message;
      if (!interop_check(m->data, m->len, &id) || m->len != 8 + (id * 37) % 1500 ||
          m->stream != id % STREAMS || m->ppid != 51 || id != st->next_id[m->stream]) {
        st->bad++;
      } else {
        st->next_id[m->stream] += STREAMS;
      }
      st->received++;
      break;
    }
    case ANYSCTP_EVENT_SENDER_DRY:
      if (side == 0) st->sender_dry = 1;
      break;
    case ANYSCTP_EVENT_SEND_FAILED:
      st->send_failed++;
      break;
    case ANYSCTP_EVENT_CLOSED:
      st->closed[side] = 1;
      st->reason[side] = ev->u.closed.reason;
      CHECK(ev->u.closed.text != NULL && strlen(ev->u.closed.text) == ev->u.closed.len);
      snprintf(st->close_text[side], sizeof st->close_text[side], "%s", ev->u.closed.text);
      break;
    default:
      break;
  }
}

static int connect_pair(pair *p, state *st, uint32_t loss_ppm) {
  memset(st, 0, sizeof *st);
  for (int s = 0; s < STREAMS; s++) st->next_id[s] = s;
  pair_init(p, NULL, loss_ppm);
  p->on_event = on_event;
  p->user = st;
  uint64_t id = 0;
  CHECK_RC(anysctp_endpoint_connect(p->ep[0], p->now, &p->addr[1], 5002, NULL, &id), ANYSCTP_OK);
  anysctp_association_state s;
  CHECK_RC(anysctp_endpoint_state(p->ep[0], id, &s), ANYSCTP_OK);
  CHECK(s == ANYSCTP_STATE_COOKIE_WAIT);
  int both = 0;
  while (!both && p->now < 120000000) {
    pair_run(p, &st->connected[0], 60000000);
    pair_run(p, &st->connected[1], 60000000);
    both = st->connected[0] && st->connected[1];
  }
  CHECK(both);
  CHECK(st->assoc[0] == id);
  return both;
}

static void lossy_transfer_in_order(void) {
  pair p;
  state st;
  if (connect_pair(&p, &st, 50000)) { /* 5% loss each way */
    enum { COUNT = 3000 };
    uint8_t msg[2000];
    uint64_t sent = 0;
    while (sent < COUNT && p.now < 3600000000ULL) {
      size_t len = 8 + (sent * 37) % 1500;
      interop_fill(msg, len, sent);
      int rc = anysctp_endpoint_send(p.ep[0], p.now, st.assoc[0], (uint16_t)(sent % STREAMS), 51, false, msg, len);
      if (rc == ANYSCTP_OK) { sent++; st.sender_dry = 0; continue; }
      CHECK_RC(rc, ANYSCTP_ERR_WOULD_BLOCK);
      int progressed = 0;
      pair_run(&p, &progressed, 10000); /* let it drain a little */
    }
    CHECK(sent == COUNT);
    /* The transfer is over when the sender has had everything
       acknowledged (SENDER_DRY). The last messages may have needed a T3
       retransmission, which made the path Potentially Failed (RFC 7829);
       the acknowledgement of the retransmitted data made it active again
       (RFC 7829 §3.2 rule 10), so it is checked at once, with no probe. */
    pair_run(&p, &st.sender_dry, 3600000000ULL);
    CHECK(st.sender_dry);
    CHECK(st.received == COUNT);
    CHECK(st.bad == 0);
    CHECK(p.dropped > 0);
    anysctp_stats s;
    CHECK_RC(anysctp_endpoint_stats(p.ep[0], st.assoc[0], &s), ANYSCTP_OK);
    CHECK(s.bytes_in_flight == 0);
    CHECK(s.timeouts > 0); /* some data needed T3-rtx, as the check above says */
    CHECK_RC(anysctp_endpoint_stats(p.ep[1], st.assoc[1], &s), ANYSCTP_OK);
    CHECK(s.messages_received == COUNT);
    CHECK(s.state == ANYSCTP_STATE_ESTABLISHED);
    CHECK_RC(anysctp_endpoint_stats(p.ep[0], st.assoc[0], &s), ANYSCTP_OK);
    CHECK(s.retransmissions > 0);
    CHECK(s.path_count == 1);
    anysctp_path_stats ps;
    CHECK_RC(anysctp_endpoint_path_stats(p.ep[0], st.assoc[0], 0, &ps), ANYSCTP_OK);
    CHECK(ps.primary && ps.address.port == 9899 && ps.cwnd > 0);
    CHECK(ps.rtt_measured && ps.rto_us >= 1000000); /* RTO.Min is 1 s */
    CHECK(ps.state == ANYSCTP_PATH_ACTIVE && ps.error_count == 0);
    /* And it stays active while idle: a HEARTBEAT probe sent while the path
       was Potentially Failed and lost does not count against it once the
       data acknowledgement has answered it (next regular HEARTBEAT after
       HB.interval, 30 s). */
    int idle = 0;
    pair_run(&p, &idle, 10000000);
    CHECK_RC(anysctp_endpoint_path_stats(p.ep[0], st.assoc[0], 0, &ps), ANYSCTP_OK);
    CHECK(ps.state == ANYSCTP_PATH_ACTIVE && ps.error_count == 0);
    CHECK_RC(anysctp_endpoint_path_stats(p.ep[0], st.assoc[0], 1, &ps), ANYSCTP_ERR_INVALID_ARGUMENT);
    anysctp_sockaddr peers[4];
    size_t n = 0;
    CHECK_RC(anysctp_endpoint_peer_addresses(p.ep[0], st.assoc[0], peers, 4, &n), ANYSCTP_OK);
    CHECK(n == 1 && peers[0].port == 9899 && peers[0].addr[3] == 2);
    uint64_t ids[1];
    CHECK_RC(anysctp_endpoint_associations(p.ep[1], ids, 1, &n), ANYSCTP_OK);
    CHECK(n == 1 && ids[0] == st.assoc[1]);
  }
  pair_free(&p);
}

static void send_errors_and_copying_poll(void) {
  pair p;
  state st;
  if (connect_pair(&p, &st, 0)) {
    anysctp_association_config ac;
    CHECK_RC(anysctp_association_config_default(&ac), ANYSCTP_OK);
    size_t big_len = (size_t)ac.max_message_size + 1;
    uint8_t *big = calloc(1, big_len);
    CHECK_RC(anysctp_endpoint_send(p.ep[0], p.now, st.assoc[0], 0, 0, false, big, big_len), ANYSCTP_ERR_MESSAGE_TOO_LARGE);
    char err[256];
    anysctp_last_error(err, sizeof err);
    CHECK(strstr(err, "exceeds the maximum message size") != NULL);
    free(big);
    CHECK_RC(anysctp_endpoint_send(p.ep[0], p.now, st.assoc[0], st.outbound[0], 0, false, (const uint8_t *)"x", 1), ANYSCTP_ERR_INVALID_STREAM);
    CHECK_RC(anysctp_endpoint_send(p.ep[0], p.now, st.assoc[0], 0, 0, false, NULL, 0), ANYSCTP_ERR_EMPTY_MESSAGE);

    /* One unordered message with options, read with the copying poll. */
    p.on_event = NULL;
    anysctp_send_options o = {.ppid = 99, .unordered = true, .lifetime_ms = 5000};
    uint8_t msg[300];
    interop_fill(msg, sizeof msg, 7);
    CHECK_RC(anysctp_endpoint_send_with_options(p.ep[0], p.now, st.assoc[0], 1, msg, sizeof msg, &o), ANYSCTP_OK);
    for (int i = 0; i < 10; i++) pair_step(&p);
    /* The message is now waiting at B; with on_event NULL pair_step
       discarded events, so send a second one and poll B ourselves. */
    CHECK_RC(anysctp_endpoint_send_with_options(p.ep[0], p.now, st.assoc[0], 1, msg, sizeof msg, &o), ANYSCTP_OK);
    anysctp_transmit t;
    int got = 0;
    for (int round = 0; round < 10 && !got; round++) {
      while (anysctp_endpoint_poll_transmit(p.ep[0], p.now, p.buf, sizeof p.buf, &t) == ANYSCTP_OK)
        CHECK_RC(anysctp_endpoint_handle_datagram(p.ep[1], p.now, &p.addr[0], p.buf, t.len), ANYSCTP_OK);
      anysctp_event ev;
      uint8_t small[100], large[1000];
      size_t needed = 0;
      int rc;
      while ((rc = anysctp_endpoint_poll_event_copy(p.ep[1], &ev, small, sizeof small, &needed)) != ANYSCTP_NONE) {
        if (rc == ANYSCTP_ERR_BUFFER_TOO_SMALL) {
          CHECK(needed == sizeof msg);
          CHECK_RC(anysctp_endpoint_poll_event_copy(p.ep[1], &ev, large, sizeof large, &needed), ANYSCTP_OK);
          CHECK(ev.kind == ANYSCTP_EVENT_MESSAGE);
          CHECK(ev.u.message.data == large && ev.u.message.len == sizeof msg);
          CHECK(ev.u.message.unordered && ev.u.message.ppid == 99 && ev.u.message.stream == 1);
          CHECK(memcmp(large, msg, sizeof msg) == 0);
          got = 1;
        } else {
          CHECK_RC(rc, ANYSCTP_OK);
        }
      }
      while (anysctp_endpoint_poll_transmit(p.ep[1], p.now, p.buf, sizeof p.buf, &t) == ANYSCTP_OK)
        CHECK_RC(anysctp_endpoint_handle_datagram(p.ep[0], p.now, &p.addr[1], p.buf, t.len), ANYSCTP_OK);
      p.now += 250000;
      anysctp_endpoint_handle_timeout(p.ep[0], p.now);
      anysctp_endpoint_handle_timeout(p.ep[1], p.now);
    }
    CHECK(got);
  }
  pair_free(&p);
}

static void graceful_shutdown_then_use_after_close(void) {
  pair p;
  state st;
  if (connect_pair(&p, &st, 0)) {
    uint8_t msg[64];
    interop_fill(msg, 8, 0); /* message 0: 8 bytes on stream 0 */
    CHECK_RC(anysctp_endpoint_send(p.ep[0], p.now, st.assoc[0], 0, 51, false, msg, 8), ANYSCTP_OK);
    CHECK_RC(anysctp_endpoint_shutdown(p.ep[0], p.now, st.assoc[0]), ANYSCTP_OK);
    int done = 0;
    while (!done && p.now < 600000000) {
      pair_run(&p, &done, 1000000);
      done = st.closed[0] && st.closed[1];
    }
    CHECK(st.closed[0] && st.closed[1]);
    CHECK(st.reason[0] == ANYSCTP_CLOSE_SHUTDOWN && st.reason[1] == ANYSCTP_CLOSE_SHUTDOWN);
    CHECK(st.received == 1 && st.bad == 0); /* queued data delivered before close */
    CHECK_RC(anysctp_endpoint_send(p.ep[0], p.now, st.assoc[0], 0, 51, false, msg, 8), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
    CHECK_RC(anysctp_endpoint_shutdown(p.ep[0], p.now, st.assoc[0]), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
    anysctp_association_state s;
    CHECK_RC(anysctp_endpoint_state(p.ep[1], st.assoc[1], &s), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  }
  pair_free(&p);
}

static void abort_reaches_the_peer(void) {
  pair p;
  state st;
  if (connect_pair(&p, &st, 0)) {
    CHECK_RC(anysctp_endpoint_abort(p.ep[0], p.now, st.assoc[0], "test over"), ANYSCTP_OK);
    int done = 0;
    while (!done && p.now < 60000000) {
      pair_run(&p, &done, 1000000);
      done = st.closed[0] && st.closed[1];
    }
    CHECK(st.closed[1] && st.reason[1] == ANYSCTP_CLOSE_PEER_ABORTED);
    CHECK(strstr(st.close_text[1], "test over") != NULL);
    CHECK(st.closed[0] && st.reason[0] == ANYSCTP_CLOSE_LOCALLY_ABORTED);
  }
  pair_free(&p);
}

static void vanished_peer_gives_an_event(void) {
  pair p;
  state st;
  if (connect_pair(&p, &st, 0)) {
    pair_free_side(&p, 1); /* B disappears without a word */
    uint8_t msg[100];
    interop_fill(msg, sizeof msg, 1);
    CHECK_RC(anysctp_endpoint_send(p.ep[0], p.now, st.assoc[0], 0, 51, false, msg, sizeof msg), ANYSCTP_OK);
    pair_run(&p, &st.closed[0], 3600000000ULL);
    CHECK(st.closed[0]);
    CHECK(st.reason[0] == ANYSCTP_CLOSE_TIMEOUT);
    CHECK(st.send_failed == 1); /* the unacknowledged message comes back */
    CHECK_RC(anysctp_endpoint_send(p.ep[0], p.now, st.assoc[0], 0, 51, false, msg, sizeof msg), ANYSCTP_ERR_NO_SUCH_ASSOCIATION);
  }
  pair_free(&p);
}

int main(void) {
  RUN(lossy_transfer_in_order);
  RUN(send_errors_and_copying_poll);
  RUN(graceful_shutdown_then_use_after_close);
  RUN(abort_reaches_the_peer);
  RUN(vanished_peer_gives_an_event);
  CHECK_EXIT();
}
