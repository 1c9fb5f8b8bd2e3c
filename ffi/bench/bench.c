/* bench.c — libanysctp through its C sans-IO API under the perf-anchors
 * contract (shared/perf-anchors/README.md): two endpoints in one process,
 * one thread, over the anchors' in-memory wire (their c/wire.h, included
 * from the shared folder, not copied). Prints one RESULT line.
 *
 *   bench W2 size=1024 streams=1 unordered=0 count=65536
 *   bench W3 size=100 streams=16 unordered=1 count=262144
 */
#include <anysctp.h>
#include "wire.h"

typedef struct {
  anysctp_endpoint *ep[2]; /* 0 = A (client), 1 = B (server) */
  anysctp_sockaddr addr[2];
  wire w;
  checker c;
  bench_args a;
  uint64_t skip_us; /* idle time jumped over */
  double t0;
  int connected[2];
  uint64_t assoc;
  uint64_t sent, sent_bytes;
  uint8_t buf[65536];
} bench;

static uint64_t now_us(bench *b) {
  uint64_t real = b->a.virtual_clock ? 0 : (uint64_t)((mono_s() - b->t0) * 1e6);
  return 1000000 + real + b->skip_us;
}

static void die(const char *what, anysctp_result r) {
  char err[256];
  anysctp_last_error(err, sizeof err);
  fprintf(stderr, "bench: %s: %s (%s)\n", what, anysctp_result_str(r), err);
  exit(1);
}

/* Endpoint `s`'s output onto the wire, then its events. */
static int drain(bench *b, int s) {
  int progress = 0;
  anysctp_transmit t;
  while (anysctp_endpoint_poll_transmit(b->ep[s], now_us(b), b->buf, sizeof b->buf, &t) == ANYSCTP_OK) {
    wire_send(&b->w, s, b->buf, t.len);
    progress = 1;
  }
  anysctp_event ev;
  while (anysctp_endpoint_poll_event(b->ep[s], &ev) == ANYSCTP_OK) {
    progress = 1;
    if (ev.kind == ANYSCTP_EVENT_CONNECTED) {
      b->connected[s] = 1;
    } else if (ev.kind == ANYSCTP_EVENT_MESSAGE && s == 1) {
      checker_msg(&b->c, ev.u.message.stream, ev.u.message.data, ev.u.message.len, b->a.size);
    } else if (ev.kind == ANYSCTP_EVENT_CLOSED) {
      fprintf(stderr, "bench: association closed unexpectedly\n");
      exit(1);
    }
  }
  return progress;
}

/* Delivers the wire, direction 0 then 1, collecting the receiver's output
 * after every datagram (README "Wire model"). */
static int pump(bench *b) {
  int progress = 0;
  while (!wire_empty(&b->w)) {
    for (int dir = 0; dir < 2; dir++) {
      wpkt *p;
      while ((p = wire_pop(&b->w, dir)) != NULL) {
        int to = 1 - dir;
        anysctp_result r = anysctp_endpoint_handle_datagram(b->ep[to], now_us(b), &b->addr[dir], p->data, p->len);
        free(p);
        if (r != ANYSCTP_OK) die("handle_datagram", r);
        drain(b, to);
        progress = 1;
      }
    }
  }
  return progress;
}

/* No progress: jump the clock to the earliest timer and run it. */
static void jump(bench *b, double *stall_ms) {
  uint64_t next = UINT64_MAX, d;
  for (int s = 0; s < 2; s++)
    if (anysctp_endpoint_poll_timeout(b->ep[s], &d) == ANYSCTP_OK && d < next) next = d;
  if (next == UINT64_MAX) { fprintf(stderr, "bench: stalled with no timer\n"); exit(1); }
  uint64_t now = now_us(b);
  if (next > now) { b->skip_us += next - now; *stall_ms += (double)(next - now) / 1000.0; }
  for (int s = 0; s < 2; s++) anysctp_endpoint_handle_timeout(b->ep[s], now_us(b));
  drain(b, 0);
  drain(b, 1);
}

int main(int argc, char **argv) {
  static bench b;
  bench_parse(&b.a, argc, argv);
  wire_init(&b.w, (uint64_t)b.a.seed, (uint32_t)b.a.loss_ppm, (uint32_t)b.a.reorder_ppm, b.a.trace);
  checker_init(&b.c, b.a.streams, !b.a.unordered);
  b.t0 = mono_s();

  anysctp_endpoint_config cfg;
  anysctp_endpoint_config_default(&cfg);
  cfg.association.nodelay = true;
  cfg.association.outbound_streams = (uint16_t)(b.a.streams > 10 ? b.a.streams : 10);
  uint8_t seed[32] = {(uint8_t)b.a.seed};
  anysctp_result r;
  cfg.port = 5000;
  if ((r = anysctp_endpoint_new(&cfg, seed, &b.ep[0])) != ANYSCTP_OK) die("endpoint A", r);
  cfg.port = 5001;
  cfg.accept_incoming = true;
  seed[1] = 1;
  if ((r = anysctp_endpoint_new(&cfg, seed, &b.ep[1])) != ANYSCTP_OK) die("endpoint B", r);
  anysctp_sockaddr_parse("10.0.0.1:9899", &b.addr[0]);
  anysctp_sockaddr_parse("10.0.0.2:9899", &b.addr[1]);

  double stall_ms = 0;
  if ((r = anysctp_endpoint_connect(b.ep[0], now_us(&b), &b.addr[1], 5001, NULL, &b.assoc)) != ANYSCTP_OK)
    die("connect", r);
  while (!(b.connected[0] && b.connected[1])) {
    int p = drain(&b, 0) | pump(&b);
    if (!p) jump(&b, &stall_ms);
  }
  b.w.impair = 1;
  stall_ms = 0;

  unsigned char *msg = calloc(1, (size_t)b.a.size > 8 ? (size_t)b.a.size : 8);
  uint64_t count = (uint64_t)b.a.count;
  double start = mono_s();
  while (b.c.got < count) {
    int progress = 0;
    while (b.sent < count) {
      uint64_t outstanding = b.sent_bytes - b.c.bytes;
      if (outstanding > 0 && outstanding + (uint64_t)b.a.size > (uint64_t)b.a.backlog) break;
      stamp(msg, b.a.size, b.sent);
      r = anysctp_endpoint_send(b.ep[0], now_us(&b), b.assoc, (uint16_t)(b.sent % (uint64_t)b.a.streams), 0,
                                b.a.unordered != 0, msg, (size_t)b.a.size);
      if (r == ANYSCTP_ERR_WOULD_BLOCK) break;
      if (r != ANYSCTP_OK) die("send", r);
      b.sent++;
      b.sent_bytes += (uint64_t)b.a.size;
      progress = 1;
    }
    progress |= drain(&b, 0);
    progress |= pump(&b);
    progress |= drain(&b, 1);
    if (!progress) jump(&b, &stall_ms);
  }
  double secs = mono_s() - start;
  char config[256];
  snprintf(config, sizeof config,
           "{\"nodelay\":1,\"mtu\":%u,\"sack_delay_ms\":%u,\"send_buffer\":%u,\"receive_buffer\":%u,\"api\":\"C sans-IO\"}",
           cfg.association.mtu, cfg.association.sack_delay_ms, cfg.association.send_buffer,
           cfg.association.receive_buffer);
  print_result("anysctp-c", anysctp_version(), &b.a, &b.c, secs, secs, &b.w, stall_ms, config);
  anysctp_endpoint_free(b.ep[0]);
  anysctp_endpoint_free(b.ep[1]);
  free(msg);
  free(b.c.next);
  return checker_ok(&b.c, b.a.count) ? 0 : 1;
}
