//! One-to-many (SOCK_SEQPACKET) sockets: implicit setup by sendmsg,
//! recvmsg with association ids, SCTP_EOF, peeloff.

mod socket_support;

use core::time::Duration;

use anysctp::socket::{
    snd_flags, AssocChangeState, Errno, EventType, Notification, SndInfo, SocketKind, SocketOption,
};
use bytes::Bytes;
use socket_support::*;

const SECS: Duration = Duration::from_secs(5);

#[test]
fn sendto_sets_up_implicitly_recvmsg_and_peeloff() {
    let mut net = Net::new();
    let now = net.now;
    let srv = net.a.socket(SocketKind::OneToMany);
    net.a.bind(srv, addr(A_IP, 5000)).unwrap();
    net.a
        .setsockopt(
            now,
            srv,
            SocketOption::Event {
                assoc_id: None,
                event: EventType::AssocChange,
                on: true,
            },
        )
        .unwrap();
    net.a.listen(now, srv, 1).unwrap();
    assert_eq!(net.a.accept(srv).unwrap_err(), Errno::EOPNOTSUPP);

    let cli = net.b.socket(SocketKind::OneToMany);
    net.b.bind(cli, addr(B_IP, 6000)).unwrap();
    // No destination, no association: EDESTADDRREQ.
    assert_eq!(
        net.b
            .sendmsg(now, cli, Bytes::from_static(b"x"), None, None)
            .unwrap_err(),
        Errno::EDESTADDRREQ
    );
    let info = SndInfo {
        stream: 3,
        ppid: 51,
        ..SndInfo::default()
    };
    let m0 = Bytes::from(message(0, 64));
    assert_eq!(
        net.b
            .sendmsg(now, cli, m0.clone(), Some(&info), Some(addr(A_IP, 5000)))
            .unwrap(),
        64
    );
    let assocs = net.b.associations(cli).unwrap();
    assert_eq!(assocs.len(), 1, "implicit setup created one association");
    // A second message to the same peer reuses it.
    let m1 = Bytes::from(message(1, 64));
    net.b
        .sendmsg(now, cli, m1.clone(), Some(&info), Some(addr(A_IP, 5000)))
        .unwrap();
    assert_eq!(net.b.associations(cli).unwrap(), assocs);

    assert!(net.run_until(SECS, |n| n.a.readiness(srv).unwrap().readable));
    net.settle(Duration::from_millis(50));
    let up = net.a.recvmsg(srv).unwrap();
    let Some(Notification::AssocChange {
        state: AssocChangeState::CommUp,
        assoc_id,
        ..
    }) = up.notification
    else {
        panic!("expected COMM_UP first, got {up:?}");
    };
    assert_eq!(net.a.associations(srv).unwrap(), vec![assoc_id]);
    let r0 = net.a.recvmsg(srv).unwrap();
    assert_eq!(r0.data, m0);
    assert_eq!(
        (r0.info.stream, r0.info.ppid, r0.info.assoc_id),
        (3, 51, assoc_id)
    );
    assert_eq!(r0.from, Some(addr(B_IP, 6000)));

    // Peel the association off; its queued message moves along.
    let one = net.a.peeloff(srv, assoc_id).unwrap();
    assert!(net.a.associations(srv).unwrap().is_empty());
    assert_eq!(net.a.recvmsg(srv).unwrap_err(), Errno::EAGAIN);
    let r1 = net.a.recvmsg(one).unwrap();
    assert_eq!(r1.data, m1);
    // The peeled-off socket is a connected one-to-one socket.
    net.a.write(net.now, one, b"reply").unwrap();
    assert!(net.run_until(SECS, |n| n.b.readiness(cli).unwrap().readable));
    let got = net.b.recvmsg(cli).unwrap();
    assert_eq!(&got.data[..], b"reply");
    assert_eq!(got.info.assoc_id, assocs[0]);

    // SCTP_EOF with no data shuts the association down gracefully.
    let eof = SndInfo {
        flags: snd_flags::EOF,
        assoc_id: Some(assocs[0]),
        ..SndInfo::default()
    };
    net.b
        .sendmsg(net.now, cli, Bytes::new(), Some(&eof), None)
        .unwrap();
    let mut buf = [0u8; 8];
    assert!(net.run_until(SECS, |n| n.a.read(one, &mut buf) == Ok(0)));
    assert!(net.run_until(SECS, |n| n.b.associations(cli).unwrap().is_empty()));
}

#[test]
fn not_listening_refuses_and_reports_cant_start() {
    let mut net = Net::new();
    let now = net.now;
    let srv = net.a.socket(SocketKind::OneToMany);
    net.a.bind(srv, addr(A_IP, 5000)).unwrap(); // no listen()
    let cli = net.b.socket(SocketKind::OneToMany);
    net.b.bind(cli, addr(B_IP, 6000)).unwrap();
    net.b
        .setsockopt(
            now,
            cli,
            SocketOption::Event {
                assoc_id: None,
                event: EventType::AssocChange,
                on: true,
            },
        )
        .unwrap();
    net.b
        .setsockopt(
            now,
            cli,
            SocketOption::Event {
                assoc_id: None,
                event: EventType::SendFailed,
                on: true,
            },
        )
        .unwrap();
    net.b
        .sendmsg(
            now,
            cli,
            Bytes::from_static(b"hi"),
            None,
            Some(addr(A_IP, 5000)),
        )
        .unwrap();
    assert!(net.run_until(SECS, |n| n.b.associations(cli).unwrap().is_empty()));
    let mut saw_cant_start = false;
    while let Ok(m) = net.b.recvmsg(cli) {
        if let Some(Notification::AssocChange { state, .. }) = m.notification {
            saw_cant_start |= state == AssocChangeState::CantStartAssoc;
        }
    }
    assert!(saw_cant_start);
}

#[test]
fn sendall_and_abort_flags() {
    let mut net = Net::new();
    let now = net.now;
    let srv = net.a.socket(SocketKind::OneToMany);
    net.a.bind(srv, addr(A_IP, 5000)).unwrap();
    net.a.listen(now, srv, 8).unwrap();
    let c1 = net.b.socket(SocketKind::OneToMany);
    net.b.bind(c1, addr(B_IP, 6000)).unwrap();
    net.b
        .sendmsg(
            now,
            c1,
            Bytes::from_static(b"1"),
            None,
            Some(addr(A_IP, 5000)),
        )
        .unwrap();
    let c2 = net.b.socket(SocketKind::OneToMany);
    net.b.bind(c2, addr(B_IP, 6001)).unwrap();
    net.b
        .sendmsg(
            now,
            c2,
            Bytes::from_static(b"2"),
            None,
            Some(addr(A_IP, 5000)),
        )
        .unwrap();
    assert!(net.run_until(SECS, |n| n.a.associations(srv).unwrap().len() == 2));
    let all = SndInfo {
        flags: snd_flags::SENDALL,
        ..SndInfo::default()
    };
    net.a
        .sendmsg(
            net.now,
            srv,
            Bytes::from_static(b"to all"),
            Some(&all),
            None,
        )
        .unwrap();
    assert!(net.run_until(SECS, |n| {
        n.b.readiness(c1).unwrap().readable && n.b.readiness(c2).unwrap().readable
    }));
    assert_eq!(&net.b.recvmsg(c1).unwrap().data[..], b"to all");
    assert_eq!(&net.b.recvmsg(c2).unwrap().data[..], b"to all");

    let victim = net.a.associations(srv).unwrap()[0];
    let abort = SndInfo {
        flags: snd_flags::ABORT,
        assoc_id: Some(victim),
        ..SndInfo::default()
    };
    net.a
        .sendmsg(net.now, srv, Bytes::from_static(b"bye"), Some(&abort), None)
        .unwrap();
    assert!(net.run_until(SECS, |n| n.a.associations(srv).unwrap().len() == 1));
}
