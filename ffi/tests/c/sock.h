/* sock.h — helpers of the socket API tests: loopback addresses,
 * listeners, driving non-blocking sockets from one poll loop. */
#ifndef ANYSCTP_SOCK_H
#define ANYSCTP_SOCK_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include "check.h"

/* 127.0.0.`last`:port. */
static inline struct sockaddr_in loopback_at(uint8_t last, uint16_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl((127u << 24) | last);
  return a;
}

static inline struct sockaddr_in loopback(uint16_t port) { return loopback_at(1, port); }

static inline uint16_t local_port(anysctp_sock *s) {
  anysctp_sockaddr a[4];
  size_t n = 0;
  CHECK(anysctp_getladdrs(s, a, 4, &n) == 0);
  CHECK(n >= 1);
  return n ? a[0].port : 0;
}

static inline anysctp_sock *listener(int type, uint16_t *port) {
  anysctp_sock *s = anysctp_socket(AF_INET, type);
  CHECK(s != NULL);
  struct sockaddr_in a = loopback(0);
  CHECK(anysctp_bind(s, &a, sizeof a) == 0);
  CHECK(anysctp_listen(s, 8) == 0);
  *port = local_port(s);
  CHECK(*port != 0);
  return s;
}

/* Waits up to `ms` for any of the `n` (at most 4) sockets' stacks, then
 * processes them all. */
static inline void pump(anysctp_sock **s, int n, int ms) {
  struct pollfd p[4];
  for (int i = 0; i < n; i++) p[i] = (struct pollfd){.fd = anysctp_socket_fd(s[i]), .events = POLLIN};
  poll(p, (nfds_t)n, ms);
  for (int i = 0; i < n; i++) CHECK(anysctp_socket_process(s[i]) == 0);
}

#endif
