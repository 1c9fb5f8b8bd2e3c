/* epoll_loop — the sans-IO API in a plain epoll loop: two endpoints, each
 * with its own UDP socket on 127.0.0.1 (SCTP over UDP, RFC 6951). The
 * client sends `count` messages over 4 streams, the server checks each, then
 * the client shuts the association down. Everything the library needs from
 * the host is here: datagrams in, datagrams out, the time, the deadline.
 *
 *   ./epoll_loop [count]          (default 10000)
 */
#include <anysctp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  const char *name;
  anysctp_endpoint *ep;
  int udp;
  anysctp_sockaddr local;
} node;

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void check(anysctp_result r, const char *what) {
  if (r < 0) {
    char err[256];
    anysctp_last_error(err, sizeof err);
    fprintf(stderr, "epoll_loop: %s: %s (%s)\n", what, err, anysctp_result_str(r));
    exit(1);
  }
}

static void open_node(node *n, const char *name, uint16_t sctp_port, bool server) {
  n->name = name;
  n->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (n->udp < 0 || bind(n->udp, (struct sockaddr *)&a, sizeof a) < 0 ||
      getsockname(n->udp, (struct sockaddr *)&a, &len) < 0) {
    perror("udp socket");
    exit(1);
  }
  check(anysctp_sockaddr_from_sys(&a, len, &n->local), "address");
  anysctp_endpoint_config cfg;
  check(anysctp_endpoint_config_default(&cfg), "config");
  cfg.port = sctp_port;
  cfg.accept_incoming = server;
  uint8_t seed[32];
  if (getrandom(seed, sizeof seed, 0) != sizeof seed) exit(1);
  check(anysctp_endpoint_new(&cfg, seed, &n->ep), "endpoint");
}

/* Sends every datagram the endpoint has for the network. */
static void flush(node *n) {
  static uint8_t buf[65536];
  anysctp_transmit t;
  while (anysctp_endpoint_poll_transmit(n->ep, now_us(), buf, sizeof buf, &t) == ANYSCTP_OK) {
    struct sockaddr_storage to;
    size_t len;
    check(anysctp_sockaddr_to_sys(&t.destination, &to, sizeof to, &len), "destination");
    sendto(n->udp, buf, t.len, 0, (struct sockaddr *)&to, (socklen_t)len);
  }
}

/* Hands every datagram waiting on the UDP socket to the endpoint. */
static void receive(node *n) {
  static uint8_t buf[65536];
  for (;;) {
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t len = recvfrom(n->udp, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    if (len < 0) break; /* EAGAIN: drained */
    anysctp_sockaddr f;
    if (anysctp_sockaddr_from_sys(&from, flen, &f) != ANYSCTP_OK) continue;
    check(anysctp_endpoint_handle_datagram(n->ep, now_us(), &f, buf, (size_t)len), "datagram");
  }
}

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 10000;
  node srv, cli;
  open_node(&srv, "server", 5000, true);
  open_node(&cli, "client", 5001, false);
  int ep = epoll_create1(0);
  node *nodes[2] = {&srv, &cli};
  for (int i = 0; i < 2; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nodes[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, nodes[i]->udp, &ev);
  }

  uint64_t assoc;
  check(anysctp_endpoint_connect(cli.ep, now_us(), &srv.local, 5000, NULL, &assoc), "connect");
  int connected = 0, closed = 0, shutting = 0;
  long sent = 0, received = 0;
  uint64_t next_id[4] = {0, 1, 2, 3};
  uint64_t start = 0;
  static uint8_t msg[2048];

  while (closed < 2) {
    /* Application work: send while the send buffer takes more. */
    while (connected && sent < count) {
      size_t len = 8 + (size_t)(sent * 37) % 1500;
      for (size_t i = 0; i < len; i++)
        msg[i] = i < 8 ? (uint8_t)((uint64_t)sent >> (8 * i)) : (uint8_t)(((uint64_t)sent + i) % 251);
      anysctp_result r = anysctp_endpoint_send(cli.ep, now_us(), assoc, (uint16_t)(sent % 4), 51, false, msg, len);
      if (r == ANYSCTP_ERR_WOULD_BLOCK) break;
      check(r, "send");
      sent++;
    }
    if (received == count && !shutting) {
      check(anysctp_endpoint_shutdown(cli.ep, now_us(), assoc), "shutdown");
      shutting = 1;
    }
    /* Output, then events. */
    for (int i = 0; i < 2; i++) {
      flush(nodes[i]);
      anysctp_event ev;
      while (anysctp_endpoint_poll_event(nodes[i]->ep, &ev) == ANYSCTP_OK) {
        switch (ev.kind) {
          case ANYSCTP_EVENT_CONNECTED:
            printf("%s: connected, %u streams out\n", nodes[i]->name, ev.u.connected.outbound_streams);
            if (nodes[i] == &cli) { connected = 1; start = now_us(); }
            break;
          case ANYSCTP_EVENT_MESSAGE: {
            const anysctp_event_message *m = &ev.u.message;
            uint64_t id = 0;
            for (int b = 0; b < 8 && b < (int)m->len; b++) id |= (uint64_t)m->data[b] << (8 * b);
            if (m->stream >= 4 || id != next_id[m->stream]) {
              fprintf(stderr, "server: message %llu out of order on stream %u\n", (unsigned long long)id, m->stream);
              return 1;
            }
            next_id[m->stream] += 4;
            received++;
            break;
          }
          case ANYSCTP_EVENT_CLOSED:
            printf("%s: closed (%s)\n", nodes[i]->name,
                   ev.u.closed.reason == ANYSCTP_CLOSE_SHUTDOWN ? "shutdown" : ev.u.closed.text);
            closed++;
            break;
          default:
            break;
        }
      }
      flush(nodes[i]);
    }
    if (closed == 2) break;
    /* Wait for a datagram or the earliest deadline. */
    uint64_t deadline = UINT64_MAX, d;
    for (int i = 0; i < 2; i++)
      if (anysctp_endpoint_poll_timeout(nodes[i]->ep, &d) == ANYSCTP_OK && d < deadline) deadline = d;
    uint64_t now = now_us();
    int timeout_ms = deadline == UINT64_MAX ? -1 : deadline <= now ? 0 : (int)((deadline - now + 999) / 1000);
    if (connected && sent < count) timeout_ms = 0; /* more to send: don't sleep */
    struct epoll_event evs[2];
    int n = epoll_wait(ep, evs, 2, timeout_ms);
    for (int i = 0; i < n; i++) receive(evs[i].data.ptr);
    now = now_us();
    for (int i = 0; i < 2; i++) check(anysctp_endpoint_handle_timeout(nodes[i]->ep, now), "timeout");
  }
  double secs = (double)(now_us() - start) / 1e6;
  printf("%ld messages delivered in order in %.3f s (%.0f msg/s)\n", received, secs, (double)received / secs);
  for (int i = 0; i < 2; i++) {
    anysctp_endpoint_free(nodes[i]->ep);
    close(nodes[i]->udp);
  }
  close(ep);
  return received == count ? 0 : 1;
}
