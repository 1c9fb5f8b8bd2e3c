/* echo_server — SCTP echo server with the libanysctp socket API (SCTP over
 * UDP, RFC 6951). Serves one client at a time, echoing every message on
 * the stream and with the PPID it came with.
 *
 *   ./echo_server [port]          (default 9899)
 */
#include <anysctp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void die(const char *what) {
  char err[256];
  anysctp_last_error(err, sizeof err);
  fprintf(stderr, "echo_server: %s: %s\n", what, err);
  exit(1);
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 9899;
  anysctp_sock *ls = anysctp_socket(AF_INET, SOCK_STREAM);
  if (!ls) die("socket");
  /* Request/response traffic: send at once instead of waiting to bundle
     (accepted sockets inherit the option). */
  int one = 1;
  if (anysctp_setsockopt(ls, ANYSCTP_IPPROTO_SCTP, ANYSCTP_NODELAY, &one, sizeof one) < 0) die("SCTP_NODELAY");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (anysctp_bind(ls, &addr, sizeof addr) < 0) die("bind");
  if (anysctp_listen(ls, 4) < 0) die("listen");
  printf("listening on 127.0.0.1:%d (SCTP over UDP)\n", port);
  fflush(stdout);
  for (;;) {
    anysctp_sockaddr from;
    anysctp_sock *c = anysctp_accept(ls, &from);
    if (!c) die("accept");
    char peer[64];
    anysctp_sockaddr_format(&from, peer, sizeof peer, NULL);
    printf("client %s connected\n", peer);
    fflush(stdout);
    static uint8_t buf[262144];
    long count = 0;
    for (;;) {
      anysctp_rcvinfo info;
      ssize_t n = anysctp_recvmsg(c, buf, sizeof buf, NULL, &info, NULL, NULL);
      if (n <= 0) break; /* 0: the client shut down; -1: error */
      anysctp_sndinfo snd = {.snd_sid = info.rcv_sid, .snd_ppid = info.rcv_ppid,
                             .snd_flags = info.rcv_flags & ANYSCTP_UNORDERED};
      if (anysctp_sendmsg(c, buf, (size_t)n, NULL, &snd) < 0) break;
      count++;
    }
    printf("client %s done: %ld messages echoed\n", peer, count);
    fflush(stdout);
    anysctp_close(c);
  }
}
