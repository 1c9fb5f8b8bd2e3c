"""The blocking, socket-like API."""

import anysctp


def main() -> None:
    with anysctp.socket() as srv:
        srv.bind(("127.0.0.1", 9900))
        srv.listen()
        with anysctp.socket() as cli:
            cli.settimeout(5)
            cli.setsockopt(anysctp.SCTP_NODELAY, True)
            cli.connect(("127.0.0.1", 9900))
            conn, peer = srv.accept()
            cli.sendmsg(b"ping", stream=0, ppid=51)
            print(peer, conn.recvmsg())
            conn.close()


if __name__ == "__main__":
    main()
