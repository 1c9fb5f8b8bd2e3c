/* echo_client — sends messages to echo_server and checks every echo. Uses
 * the interop message format: 8-byte little-endian id, then byte i is
 * (id + i) % 251.
 *
 *   ./echo_client [port] [count]  (defaults 9899, 1000)
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
  fprintf(stderr, "echo_client: %s: %s\n", what, err);
  exit(1);
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 9899;
  long count = argc > 2 ? atol(argv[2]) : 1000;
  anysctp_sock *s = anysctp_socket(AF_INET, SOCK_STREAM);
  if (!s) die("socket");
  int one = 1; /* request/response: no bundling delay */
  if (anysctp_setsockopt(s, ANYSCTP_IPPROTO_SCTP, ANYSCTP_NODELAY, &one, sizeof one) < 0) die("SCTP_NODELAY");
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* SCTP port 0 = the same as the UDP port (the RFC 6951 convention). */
  if (anysctp_connect(s, &to, sizeof to, 0) < 0) die("connect");
  static uint8_t msg[2048], back[2048];
  for (long id = 0; id < count; id++) {
    size_t len = 8 + (size_t)(id * 37) % 1500;
    for (size_t i = 0; i < len; i++)
      msg[i] = i < 8 ? (uint8_t)((uint64_t)id >> (8 * i)) : (uint8_t)(((uint64_t)id + i) % 251);
    anysctp_sndinfo snd = {.snd_sid = (uint16_t)(id % 4), .snd_ppid = 51};
    if (anysctp_sendmsg(s, msg, len, NULL, &snd) < 0) die("sendmsg");
    anysctp_rcvinfo info;
    ssize_t n = anysctp_recvmsg(s, back, sizeof back, NULL, &info, NULL, NULL);
    if (n < 0) die("recvmsg");
    if ((size_t)n != len || memcmp(msg, back, len) != 0 || info.rcv_sid != id % 4) {
      fprintf(stderr, "echo_client: message %ld came back wrong\n", id);
      return 1;
    }
  }
  anysctp_shutdown(s, ANYSCTP_SHUT_WR);
  while (anysctp_recvmsg(s, back, sizeof back, NULL, NULL, NULL, NULL) > 0) {
  } /* wait for the end of the association */
  anysctp_close(s);
  printf("echo_client: %ld messages echoed correctly\n", count);
  return 0;
}
