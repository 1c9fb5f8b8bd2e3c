/* pair.h — two endpoints in one process over an in-memory link with
 * deterministic loss, in virtual time (for the C tests). */
#ifndef ANYSCTP_PAIR_H
#define ANYSCTP_PAIR_H
#include "check.h"

#define PAIR_QCAP 8192

typedef struct { uint8_t *data; size_t len; } pair_pkt;
typedef struct { pair_pkt q[PAIR_QCAP]; size_t head, n; } pair_queue;

typedef void (*pair_event_fn)(void *user, int side, const anysctp_event *ev);

typedef struct {
  anysctp_endpoint *ep[2];  /* 0 = client A, 1 = server B */
  anysctp_sockaddr addr[2];
  pair_queue q[2];          /* q[i]: datagrams travelling to side i */
  uint64_t now;
  uint32_t loss_ppm;        /* both directions */
  uint64_t rng;
  uint64_t dropped, delivered;
  pair_event_fn on_event;
  void *user;
  uint8_t buf[65536];
} pair;

static uint64_t pair_rand(pair *p) { /* splitmix64 */
  uint64_t z = (p->rng += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static void pair_init(pair *p, const anysctp_endpoint_config *server_cfg, uint32_t loss_ppm) {
  memset(p, 0, sizeof *p);
  p->now = 1000000;
  p->loss_ppm = loss_ppm;
  p->rng = 42;
  uint8_t seed[32] = {0};
  anysctp_endpoint_config cfg;
  CHECK_RC(anysctp_endpoint_config_default(&cfg), ANYSCTP_OK);
  cfg.port = 5001;
  seed[0] = 'A';
  CHECK_RC(anysctp_endpoint_new(&cfg, seed, &p->ep[0]), ANYSCTP_OK);
  if (server_cfg) cfg = *server_cfg;
  cfg.port = 5002;
  cfg.accept_incoming = true;
  seed[0] = 'B';
  CHECK_RC(anysctp_endpoint_new(&cfg, seed, &p->ep[1]), ANYSCTP_OK);
  CHECK_RC(anysctp_sockaddr_parse("10.0.0.1:9899", &p->addr[0]), ANYSCTP_OK);
  CHECK_RC(anysctp_sockaddr_parse("10.0.0.2:9899", &p->addr[1]), ANYSCTP_OK);
}

static void pair_free_side(pair *p, int side) {
  anysctp_endpoint_free(p->ep[side]);
  p->ep[side] = NULL;
}

static void pair_free(pair *p) {
  for (int i = 0; i < 2; i++) {
    pair_free_side(p, i);
    while (p->q[i].n) {
      free(p->q[i].q[p->q[i].head].data);
      p->q[i].head = (p->q[i].head + 1) % PAIR_QCAP;
      p->q[i].n--;
    }
  }
}

/* Moves everything each side wants to send onto the link, delivers what is
 * on the link, hands out events. Returns whether anything happened. */
static int pair_step(pair *p) {
  int progress = 0;
  for (int s = 0; s < 2; s++) {
    if (!p->ep[s]) continue;
    anysctp_transmit t;
    int rc;
    while ((rc = anysctp_endpoint_poll_transmit(p->ep[s], p->now, p->buf, sizeof p->buf, &t)) == ANYSCTP_OK) {
      progress = 1;
      int to = 1 - s;
      CHECK(t.destination.family == p->addr[to].family && t.destination.port == p->addr[to].port &&
            memcmp(t.destination.addr, p->addr[to].addr, 4) == 0);
      if (p->loss_ppm && pair_rand(p) % 1000000 < p->loss_ppm) { p->dropped++; continue; }
      pair_queue *q = &p->q[to];
      if (q->n == PAIR_QCAP) { p->dropped++; continue; }
      pair_pkt *k = &q->q[(q->head + q->n) % PAIR_QCAP];
      k->data = malloc(t.len);
      memcpy(k->data, p->buf, t.len);
      k->len = t.len;
      q->n++;
    }
    CHECK_RC(rc, ANYSCTP_NONE);
  }
  for (int to = 0; to < 2; to++) {
    pair_queue *q = &p->q[to];
    while (q->n) {
      pair_pkt k = q->q[q->head];
      q->head = (q->head + 1) % PAIR_QCAP;
      q->n--;
      if (p->ep[to]) {
        CHECK_RC(anysctp_endpoint_handle_datagram(p->ep[to], p->now, &p->addr[1 - to], k.data, k.len), ANYSCTP_OK);
        p->delivered++;
      }
      free(k.data);
      progress = 1;
    }
  }
  for (int s = 0; s < 2; s++) {
    if (!p->ep[s]) continue;
    anysctp_event ev;
    while (anysctp_endpoint_poll_event(p->ep[s], &ev) == ANYSCTP_OK) {
      progress = 1;
      if (p->on_event) p->on_event(p->user, s, &ev);
    }
  }
  return progress;
}

/* Runs until *done is non-zero or `budget_us` of virtual time passed; when
 * nothing happens, jumps to the earliest timer. Returns *done. */
static int pair_run(pair *p, const int *done, uint64_t budget_us) {
  uint64_t end = p->now + budget_us;
  while (!*done && p->now < end) {
    if (pair_step(p)) continue;
    uint64_t next = UINT64_MAX, d;
    for (int s = 0; s < 2; s++)
      if (p->ep[s] && anysctp_endpoint_poll_timeout(p->ep[s], &d) == ANYSCTP_OK && d < next) next = d;
    if (next == UINT64_MAX) break;
    if (next > p->now) p->now = next;
    for (int s = 0; s < 2; s++)
      if (p->ep[s]) CHECK_RC(anysctp_endpoint_handle_timeout(p->ep[s], p->now), ANYSCTP_OK);
  }
  return *done;
}

/* The project's interop message: 8-byte little-endian id, then byte i is
 * (id + i) % 251. */
static void interop_fill(uint8_t *m, size_t len, uint64_t id) {
  for (size_t i = 0; i < len; i++) m[i] = i < 8 ? (uint8_t)(id >> (8 * i)) : (uint8_t)((id + i) % 251);
}

static int interop_check(const uint8_t *m, size_t len, uint64_t *id) {
  if (len < 8) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)m[i] << (8 * i);
  for (size_t i = 8; i < len; i++)
    if (m[i] != (uint8_t)((v + i) % 251)) return 0;
  *id = v;
  return 1;
}

#endif
