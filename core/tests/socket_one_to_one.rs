//! One-to-one (SOCK_STREAM) sockets over an in-memory wire: connect,
//! listen/accept, write/read, shutdown seen as EOF, errors.

mod socket_support;

use core::time::Duration;

use anysctp::socket::{
    AssocChangeState, Errno, EventType, Notification, Shutdown, SocketKind, SocketOption,
};
use socket_support::*;

const SECS: Duration = Duration::from_secs(5);

/// A listens on 10.0.0.1:5000, B connects from 10.0.0.2:6000. Returns
/// (listener, accepted, client).
fn connected(
    net: &mut Net,
) -> (
    anysctp::socket::SocketId,
    anysctp::socket::SocketId,
    anysctp::socket::SocketId,
) {
    let now = net.now;
    let l = net.a.socket(SocketKind::OneToOne);
    net.a.set_nonblocking(l, true).unwrap();
    net.a.bind(l, addr(A_IP, 5000)).unwrap();
    net.a.listen(now, l, 4).unwrap();
    assert_eq!(net.a.accept(l).unwrap_err(), Errno::EAGAIN);

    let c = net.b.socket(SocketKind::OneToOne);
    net.b.set_nonblocking(c, true).unwrap();
    net.b.bind(c, addr(B_IP, 6000)).unwrap();
    let e = net.b.connect(now, c, addr(A_IP, 5000), 5000).unwrap_err();
    assert_eq!(e, Errno::EINPROGRESS);
    assert!(
        !net.b.readiness(c).unwrap().writable,
        "not writable before COMM_UP"
    );
    assert_eq!(
        net.b.connect(now, c, addr(A_IP, 5000), 5000).unwrap_err(),
        Errno::EALREADY
    );

    assert!(net.run_until(SECS, |n| n.b.readiness(c).unwrap().writable
        && n.a.readiness(l).unwrap().readable));
    assert_eq!(
        net.b.getsockopt(c, SocketOption::Error(None)).unwrap(),
        SocketOption::Error(None)
    );
    let (s, from) = net.a.accept(l).unwrap();
    assert_eq!(from, Some(addr(B_IP, 6000)));
    assert_eq!(net.a.getpaddrs(s, None).unwrap(), vec![addr(B_IP, 6000)]);
    assert_eq!(net.a.getladdrs(s).unwrap(), vec![addr(A_IP, 5000)]);
    (l, s, c)
}

#[test]
fn connect_accept_write_read_close() {
    let mut net = Net::new();
    let (_l, s, c) = connected(&mut net);
    let now = net.now;

    // Empty read before anything arrives.
    let mut buf = [0u8; 4096];
    assert_eq!(net.a.read(s, &mut buf).unwrap_err(), Errno::EAGAIN);

    for id in 0..10u64 {
        let m = message(id, 100 + id as usize * 50);
        assert_eq!(net.b.write(now, c, &m).unwrap(), m.len());
    }
    assert!(net.run_until(SECS, |n| n.a.readiness(s).unwrap().readable));
    net.settle(Duration::from_millis(50));
    for id in 0..10u64 {
        let m = message(id, 100 + id as usize * 50);
        let got = net.a.recvmsg(s).unwrap();
        assert!(got.notification.is_none());
        assert_eq!(&got.data[..], &m[..]);
        assert!(got.eor);
        assert_eq!(got.from, Some(addr(B_IP, 6000)));
    }
    assert_eq!(net.a.recvmsg(s).unwrap_err(), Errno::EAGAIN);

    // A message larger than the read buffer comes in pieces.
    let big = message(99, 3000);
    net.b.write(net.now, c, &big).unwrap();
    assert!(net.run_until(SECS, |n| n.a.readiness(s).unwrap().readable));
    let mut got = Vec::new();
    let mut small = [0u8; 1000];
    while got.len() < big.len() {
        let n = net.a.read(s, &mut small).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&small[..n]);
    }
    assert_eq!(got, big);

    // close() on the client: graceful shutdown; the server reads EOF.
    net.b.close(net.now, c).unwrap();
    assert!(net.run_until(SECS, |n| n.a.read(s, &mut buf) == Ok(0)));
    assert!(net.a.readiness(s).unwrap().readable);
    assert_eq!(net.a.read(s, &mut buf), Ok(0));
    assert_eq!(net.b.readiness(c).unwrap_err(), Errno::EBADF);
}

#[test]
fn shut_wr_is_seen_as_eof_and_writes_fail_with_epipe() {
    let mut net = Net::new();
    let (_l, s, c) = connected(&mut net);
    net.b.write(net.now, c, b"last words").unwrap();
    net.b.shutdown(net.now, c, Shutdown::Write).unwrap();
    assert_eq!(net.b.write(net.now, c, b"more").unwrap_err(), Errno::EPIPE);
    let mut buf = [0u8; 64];
    assert!(net.run_until(SECS, |n| n.a.readiness(s).unwrap().readable));
    assert_eq!(net.a.read(s, &mut buf), Ok(10));
    assert_eq!(&buf[..10], b"last words");
    assert!(net.run_until(SECS, |n| n.a.read(s, &mut buf) == Ok(0)));
    // recvmsg shows EOF as an empty, non-notification message.
    let m = net.a.recvmsg(s).unwrap();
    assert!(m.data.is_empty() && m.notification.is_none());
}

#[test]
fn notifications_only_when_subscribed() {
    let mut net = Net::new();
    let now = net.now;
    // Subscribed client.
    let c = net.b.socket(SocketKind::OneToOne);
    net.b
        .setsockopt(
            now,
            c,
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
            c,
            SocketOption::Event {
                assoc_id: None,
                event: EventType::Shutdown,
                on: true,
            },
        )
        .unwrap();
    assert_eq!(
        net.b
            .getsockopt(
                c,
                SocketOption::Event {
                    assoc_id: None,
                    event: EventType::Shutdown,
                    on: false
                }
            )
            .unwrap(),
        SocketOption::Event {
            assoc_id: None,
            event: EventType::Shutdown,
            on: true
        }
    );
    net.b.bind(c, addr(B_IP, 6000)).unwrap();
    let l = net.a.socket(SocketKind::OneToOne);
    net.a.bind(l, addr(A_IP, 5000)).unwrap();
    net.a.listen(now, l, 1).unwrap();
    let _ = net.b.connect(now, c, addr(A_IP, 5000), 5000);
    assert!(net.run_until(SECS, |n| n.b.readiness(c).unwrap().readable));
    let m = net.b.recvmsg(c).unwrap();
    match m.notification {
        Some(Notification::AssocChange {
            state: AssocChangeState::CommUp,
            outbound_streams,
            inbound_streams,
            ..
        }) => {
            assert!(outbound_streams > 0 && inbound_streams > 0);
        }
        other => panic!("expected COMM_UP, got {other:?}"),
    }
    let (s, _) = net.a.accept(l).unwrap();
    net.a.write(net.now, s, b"hello").unwrap();
    net.a.shutdown(net.now, s, Shutdown::Write).unwrap();
    assert!(net.run_until(SECS, |n| n.b.readiness(c).unwrap().hup));
    // Data, then SHUTDOWN_EVENT, then SHUTDOWN_COMP: in order.
    let d = net.b.recvmsg(c).unwrap();
    assert_eq!(&d.data[..], b"hello");
    assert!(matches!(
        net.b.recvmsg(c).unwrap().notification,
        Some(Notification::Shutdown { .. })
    ));
    assert!(matches!(
        net.b.recvmsg(c).unwrap().notification,
        Some(Notification::AssocChange {
            state: AssocChangeState::ShutdownComp,
            ..
        })
    ));
    // The unsubscribed accepted side saw no notification: only EOF.
    let mut buf = [0u8; 8];
    assert!(net.run_until(SECS, |n| n.a.read(s, &mut buf) == Ok(0)));
    assert_eq!(net.a.recvmsg(s).unwrap().notification, None);
}

#[test]
fn connect_to_closed_port_is_refused() {
    let mut net = Net::new();
    let now = net.now;
    // B exists at 10.0.0.2 but nobody bound port 7000: its INIT gets ABORT
    // (RFC 9260 §8.4).
    let c = net.a.socket(SocketKind::OneToOne);
    net.a.bind(c, addr(A_IP, 5000)).unwrap();
    assert_eq!(
        net.a.connect(now, c, addr(B_IP, 7000), 7000).unwrap_err(),
        Errno::EINPROGRESS
    );
    assert!(net.run_until(SECS, |n| n.a.readiness(c).unwrap().error));
    let r = net.a.readiness(c).unwrap();
    assert!(r.writable && r.hup);
    assert_eq!(
        net.a.getsockopt(c, SocketOption::Error(None)).unwrap(),
        SocketOption::Error(Some(Errno::ECONNREFUSED))
    );
    // Reading SO_ERROR cleared it.
    assert_eq!(
        net.a.getsockopt(c, SocketOption::Error(None)).unwrap(),
        SocketOption::Error(None)
    );
    assert_eq!(net.a.write(net.now, c, b"x").unwrap_err(), Errno::EPIPE);
}

#[test]
fn connect_to_nobody_times_out() {
    let mut net = Net::new();
    let now = net.now;
    let c = net.a.socket(SocketKind::OneToOne);
    net.a.bind(c, addr(A_IP, 5000)).unwrap();
    // 10.0.0.99 does not exist: INITs vanish; Max.Init.Retransmits (3 in
    // this test's config) runs out.
    let _ = net
        .a
        .connect(now, c, addr("10.0.0.99".parse().unwrap(), 7000), 7000);
    assert!(net.run_until(Duration::from_secs(60), |n| n.a.readiness(c).unwrap().error));
    assert_eq!(
        net.a.getsockopt(c, SocketOption::Error(None)).unwrap(),
        SocketOption::Error(Some(Errno::ETIMEDOUT))
    );
}

#[test]
fn backlog_full_refuses_extra_associations() {
    let mut net = Net::new();
    let now = net.now;
    let l = net.a.socket(SocketKind::OneToOne);
    net.a.bind(l, addr(A_IP, 5000)).unwrap();
    net.a.listen(now, l, 1).unwrap();
    let c1 = net.b.socket(SocketKind::OneToOne);
    let c2 = net.b.socket(SocketKind::OneToOne);
    net.b.bind(c1, addr(B_IP, 6001)).unwrap();
    net.b.bind(c2, addr(B_IP, 6002)).unwrap();
    let _ = net.b.connect(now, c1, addr(A_IP, 5000), 5000);
    assert!(net.run_until(SECS, |n| n.b.readiness(c1).unwrap().writable));
    let _ = net.b.connect(net.now, c2, addr(A_IP, 5000), 5000);
    assert!(net.run_until(SECS, |n| n.b.readiness(c2).unwrap().hup));
    assert!(net.a.accept(l).is_ok());
    assert_eq!(net.a.accept(l).unwrap_err(), Errno::EAGAIN);
    assert!(matches!(
        net.b.getsockopt(c2, SocketOption::Error(None)).unwrap(),
        SocketOption::Error(Some(Errno::ECONNRESET | Errno::ECONNREFUSED))
    ));
}

#[test]
fn linger_zero_close_aborts() {
    let mut net = Net::new();
    let (_l, s, c) = connected(&mut net);
    net.b
        .setsockopt(net.now, c, SocketOption::Linger(Some(0)))
        .unwrap();
    net.b.close(net.now, c).unwrap();
    let mut buf = [0u8; 8];
    assert!(net.run_until(SECS, |n| n.a.readiness(s).unwrap().error));
    assert_eq!(net.a.read(s, &mut buf).unwrap_err(), Errno::ECONNRESET);
}

#[test]
fn status_reports_the_association() {
    let mut net = Net::new();
    let (_l, s, c) = connected(&mut net);
    let q = SocketOption::Status(anysctp::socket::Status {
        assoc_id: None,
        state: anysctp::AssociationState::Closed,
        rwnd: 0,
        unacked_bytes: 0,
        pending_bytes: 0,
        instrms: 0,
        outstrms: 0,
        fragmentation_point: 0,
        primary: None,
    });
    let SocketOption::Status(st) = net.b.getsockopt(c, q).unwrap() else {
        panic!("wrong option back");
    };
    assert_eq!(st.state, anysctp::AssociationState::Established);
    assert_eq!(st.outstrms, 10);
    assert!(st.instrms > 0);
    assert!(st.rwnd > 0);
    assert_eq!(st.fragmentation_point, 1200 - 28);
    let p = st.primary.expect("primary path");
    assert_eq!(p.address, addr(A_IP, 5000));
    let SocketOption::Status(st) = net.a.getsockopt(s, q).unwrap() else {
        panic!("wrong option back");
    };
    assert_eq!(st.instrms, 10);
    // Options on the live association cannot be changed yet.
    let e = net
        .b
        .setsockopt(net.now, c, SocketOption::NoDelay(true))
        .unwrap_err();
    assert_eq!(e.errno, Errno::EOPNOTSUPP);
}

#[test]
fn heartbeats_can_be_turned_off_on_a_live_association() {
    // RFC 9260 §8.3 / RFC 6458 §8.1.12: SPP_HB_DISABLE applies to an
    // established association (other live changes are not supported).
    let mut net = Net::new();
    let (_l, _s, c) = connected(&mut net);
    let off = SocketOption::PeerAddrParams(anysctp::socket::PeerAddrParams {
        flags: anysctp::socket::spp_flags::HB_DISABLE,
        ..Default::default()
    });
    net.b.setsockopt(net.now, c, off).unwrap();
    let SocketOption::PeerAddrParams(p) = net.b.getsockopt(c, off).unwrap() else {
        panic!("wrong option back");
    };
    assert_ne!(p.flags & anysctp::socket::spp_flags::HB_DISABLE, 0);
    let on = SocketOption::PeerAddrParams(anysctp::socket::PeerAddrParams {
        hbinterval: 5000,
        ..Default::default()
    });
    net.b.setsockopt(net.now, c, on).unwrap();
    let SocketOption::PeerAddrParams(p) = net.b.getsockopt(c, on).unwrap() else {
        panic!("wrong option back");
    };
    assert_eq!(p.hbinterval, 5000);
    assert_ne!(p.flags & anysctp::socket::spp_flags::HB_ENABLE, 0);
    // Changing the path MTU of a live association is still refused.
    let mtu = SocketOption::PeerAddrParams(anysctp::socket::PeerAddrParams {
        pathmtu: 1000,
        ..Default::default()
    });
    assert_eq!(
        net.b.setsockopt(net.now, c, mtu).unwrap_err(),
        Errno::EOPNOTSUPP
    );
}

#[test]
fn bindx_on_a_connected_socket_announces_the_address_with_asconf() {
    use anysctp::socket::{BindxOp, PeerAddrChangeState};
    // RFC 5061 §4.1.1: ASCONF needs SCTP-AUTH on both sides.
    let mut net = Net::with(|c| c.association.auth = Some(anysctp::AuthConfig::default()));
    let (_l, s, c) = connected(&mut net);
    let now = net.now;
    let on = SocketOption::Event {
        assoc_id: None,
        event: EventType::PeerAddrChange,
        on: true,
    };
    net.a.setsockopt(now, s, on).unwrap();
    let c_ip = std::net::IpAddr::from([10, 0, 0, 3]);
    // Plain bindx cannot change live associations (no time to start T-4).
    assert_eq!(
        net.b
            .bindx(c, &[addr(c_ip, 6000)], BindxOp::Add)
            .unwrap_err(),
        Errno::EOPNOTSUPP
    );
    assert_eq!(
        net.b
            .getsockopt(c, SocketOption::AutoAsconf(false))
            .unwrap(),
        SocketOption::AutoAsconf(true)
    );
    net.b
        .bindx_at(now, c, &[addr(c_ip, 6000)], BindxOp::Add)
        .unwrap();
    let added = |n: &mut Net| {
        let Ok(m) = n.a.recvmsg(s) else { return None };
        match m.notification {
            Some(Notification::PeerAddrChange { address, state, .. }) => Some((address, state)),
            other => panic!("{other:?}"),
        }
    };
    let mut seen = None;
    assert!(net.run_until(SECS, |n| {
        seen = added(n);
        seen.is_some()
    }));
    assert_eq!(seen, Some((addr(c_ip, 6000), PeerAddrChangeState::Added)));
    assert_eq!(
        net.a.getpaddrs(s, None).unwrap(),
        vec![addr(B_IP, 6000), addr(c_ip, 6000)]
    );
    // SCTP_SET_PEER_PRIMARY_ADDR: only an address of the association.
    let set = |ip| SocketOption::SetPeerPrimaryAddr {
        assoc_id: None,
        address: addr(ip, 6000),
    };
    let now = net.now;
    assert_eq!(
        net.b.setsockopt(now, c, set(A_IP)).unwrap_err(),
        Errno::EADDRNOTAVAIL
    );
    net.b.setsockopt(now, c, set(c_ip)).unwrap();
    // SCTP_AUTO_ASCONF off: the next address stays local.
    net.b
        .setsockopt(now, c, SocketOption::AutoAsconf(false))
        .unwrap();
    let d_ip = std::net::IpAddr::from([10, 0, 0, 4]);
    net.b
        .bindx_at(now, c, &[addr(d_ip, 6000)], BindxOp::Add)
        .unwrap();
    net.settle(SECS);
    assert_eq!(net.a.getpaddrs(s, None).unwrap().len(), 2);
    assert!(net.b.getladdrs(c).unwrap().contains(&addr(d_ip, 6000)));
}
