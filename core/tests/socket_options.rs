//! Socket calls that need no peer: binding, errors, option round trips.

mod socket_support;

use anysctp::socket::{
    spp_flags, BindxOp, Errno, EventType, InitMsg, PeerAddrParams, RtoInfo, SndInfo, SocketKind,
    SocketOption, SocketStack, StackConfig,
};
use anysctp::Instant;
use bytes::Bytes;
use socket_support::*;

fn stack() -> SocketStack {
    SocketStack::new(StackConfig::default()).unwrap()
}

#[test]
fn bind_rules() {
    let mut st = stack();
    let a = st.socket(SocketKind::OneToOne);
    let b = st.socket(SocketKind::OneToOne);
    st.bind(a, addr(A_IP, 5000)).unwrap();
    assert_eq!(st.bind(a, addr(A_IP, 5001)).unwrap_err(), Errno::EINVAL);
    assert_eq!(st.bind(b, addr(A_IP, 5000)).unwrap_err(), Errno::EADDRINUSE);
    st.bind(b, addr(A_IP, 0)).unwrap();
    let port = st.getladdrs(b).unwrap()[0].port();
    assert!(port >= 49152, "ephemeral port {port}");
    st.bindx(a, &[addr(B_IP, 5000)], BindxOp::Add).unwrap();
    assert_eq!(
        st.getladdrs(a).unwrap(),
        vec![addr(A_IP, 5000), addr(B_IP, 5000)]
    );
    assert_eq!(
        st.bindx(a, &[addr(B_IP, 5001)], BindxOp::Add).unwrap_err(),
        Errno::EINVAL
    );
    st.bindx(a, &[addr(B_IP, 5000)], BindxOp::Remove).unwrap();
    assert_eq!(
        st.bindx(a, &[addr(A_IP, 5000)], BindxOp::Remove)
            .unwrap_err(),
        Errno::EINVAL
    );
    // Closing frees the handle (lowest reused) and the port.
    st.close(Instant::ZERO, a).unwrap();
    assert_eq!(st.bind(a, addr(A_IP, 1)).unwrap_err(), Errno::EBADF);
    let c = st.socket(SocketKind::OneToOne);
    assert_eq!(c, a);
    st.bind(c, addr(A_IP, 5000)).unwrap();
}

#[test]
fn calls_in_the_wrong_state() {
    let mut st = stack();
    let now = Instant::ZERO;
    let s = st.socket(SocketKind::OneToOne);
    let mut buf = [0u8; 4];
    assert_eq!(st.read(s, &mut buf).unwrap_err(), Errno::ENOTCONN);
    assert_eq!(st.write(now, s, b"x").unwrap_err(), Errno::ENOTCONN);
    assert_eq!(st.accept(s).unwrap_err(), Errno::EINVAL);
    st.listen(now, s, 2).unwrap();
    assert_eq!(st.accept(s).unwrap_err(), Errno::EAGAIN);
    assert_eq!(
        st.connect(now, s, addr(B_IP, 1), 1).unwrap_err(),
        Errno::EINVAL
    );
    assert!(!st.readiness(s).unwrap().readable);
    let m = st.socket(SocketKind::OneToMany);
    assert_eq!(
        st.shutdown(now, m, anysctp::socket::Shutdown::Write)
            .unwrap_err(),
        Errno::EOPNOTSUPP
    );
    assert_eq!(st.write(now, m, b"x").unwrap_err(), Errno::EDESTADDRREQ);
    assert_eq!(
        st.sendmsg(now, m, Bytes::from_static(b"x"), None, None)
            .unwrap_err(),
        Errno::EDESTADDRREQ
    );
    assert_eq!(st.recvmsg(m).unwrap_err(), Errno::EAGAIN);
    assert_eq!(
        st.peeloff(m, anysctp::AssociationId(7)).unwrap_err(),
        Errno::EINVAL
    );
    assert!(!st.is_nonblocking(m).unwrap());
    st.set_nonblocking(m, true).unwrap();
    assert!(st.is_nonblocking(m).unwrap());
}

#[test]
fn garbage_datagrams_do_not_panic() {
    let mut st = stack();
    let s = st.socket(SocketKind::OneToMany);
    st.bind(s, addr(A_IP, 5000)).unwrap();
    let now = Instant::ZERO;
    for d in [
        &b""[..],
        b"\x00",
        b"\x13\x88\x13\x88",
        b"\x00\x01\x00\x02\xff\xff\xff\xff\x00\x00\x00\x00\x01",
    ] {
        st.handle_datagram(now, None, addr(B_IP, 1), Bytes::copy_from_slice(d));
        st.handle_datagram(
            now,
            Some(addr(A_IP, 5000)),
            addr(B_IP, 1),
            Bytes::copy_from_slice(d),
        );
    }
    let mut buf = vec![0u8; 65536];
    while st.poll_transmit(now, &mut buf).is_some() {}
}

#[test]
fn option_round_trips() {
    let mut st = stack();
    let now = Instant::ZERO;
    let s = st.socket(SocketKind::OneToOne);
    let set_get = |st: &mut SocketStack, opt: SocketOption, query: SocketOption| {
        st.setsockopt(now, s, opt).unwrap();
        assert_eq!(st.getsockopt(s, query).unwrap(), opt, "{}", opt.name());
    };
    set_get(
        &mut st,
        SocketOption::NoDelay(true),
        SocketOption::NoDelay(false),
    );
    set_get(
        &mut st,
        SocketOption::RcvBuf(65536),
        SocketOption::RcvBuf(0),
    );
    set_get(
        &mut st,
        SocketOption::SndBuf(100_000),
        SocketOption::SndBuf(0),
    );
    set_get(
        &mut st,
        SocketOption::Linger(Some(0)),
        SocketOption::Linger(None),
    );
    set_get(
        &mut st,
        SocketOption::DisableFragments(true),
        SocketOption::DisableFragments(false),
    );
    set_get(
        &mut st,
        SocketOption::AdaptationLayer(0xabcd),
        SocketOption::AdaptationLayer(0),
    );
    set_get(
        &mut st,
        SocketOption::InterleavingSupported(true),
        SocketOption::InterleavingSupported(false),
    );
    set_get(&mut st, SocketOption::MaxSeg(1000), SocketOption::MaxSeg(0));
    let info = SndInfo {
        stream: 2,
        ppid: 46,
        flags: anysctp::socket::snd_flags::UNORDERED,
        context: 9,
        ..SndInfo::default()
    };
    set_get(
        &mut st,
        SocketOption::DefaultSndInfo(info),
        SocketOption::DefaultSndInfo(SndInfo::default()),
    );
    set_get(
        &mut st,
        SocketOption::InitMsg(InitMsg {
            num_ostreams: 4,
            max_instreams: 8,
            max_attempts: 2,
            max_init_timeo: 3000,
        }),
        SocketOption::InitMsg(InitMsg::default()),
    );
    set_get(
        &mut st,
        SocketOption::RtoInfo(RtoInfo {
            assoc_id: None,
            initial: 500,
            max: 2000,
            min: 200,
        }),
        SocketOption::RtoInfo(RtoInfo::default()),
    );
    st.setsockopt(
        now,
        s,
        SocketOption::PeerAddrParams(PeerAddrParams {
            hbinterval: 1500,
            pathmaxrxt: 2,
            flags: spp_flags::HB_ENABLE,
            ..PeerAddrParams::default()
        }),
    )
    .unwrap();
    let SocketOption::PeerAddrParams(p) = st
        .getsockopt(s, SocketOption::PeerAddrParams(PeerAddrParams::default()))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!((p.hbinterval, p.pathmaxrxt), (1500, 2));
    assert!(p.flags & spp_flags::HB_ENABLE != 0);
    for t in EventType::ALL {
        set_get(
            &mut st,
            SocketOption::Event {
                assoc_id: None,
                event: t,
                on: true,
            },
            SocketOption::Event {
                assoc_id: None,
                event: t,
                on: false,
            },
        );
    }
}

#[test]
fn bad_option_values_give_einval_with_a_message() {
    let mut st = stack();
    let now = Instant::ZERO;
    let s = st.socket(SocketKind::OneToOne);
    let e = st
        .setsockopt(
            now,
            s,
            SocketOption::RtoInfo(RtoInfo {
                assoc_id: None,
                initial: 100,
                max: 50,
                min: 200,
            }),
        )
        .unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    assert!(
        e.to_string()
            .starts_with("Invalid argument (EINVAL): SCTP_RTOINFO"),
        "{e}"
    );
    let e = st.setsockopt(now, s, SocketOption::RcvBuf(10)).unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    assert!(e.to_string().contains("1500"), "{e}");
    assert_eq!(
        st.setsockopt(now, s, SocketOption::Error(None))
            .unwrap_err(),
        Errno::ENOPROTOOPT
    );
    assert_eq!(
        st.setsockopt(now, s, SocketOption::AutoClose(5))
            .unwrap_err(),
        Errno::EOPNOTSUPP
    );
    let e = st
        .setsockopt(
            now,
            s,
            SocketOption::DefaultSndInfo(SndInfo {
                flags: anysctp::socket::snd_flags::ABORT,
                ..SndInfo::default()
            }),
        )
        .unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    // Unchanged after the failures.
    assert_eq!(
        st.getsockopt(s, SocketOption::RtoInfo(RtoInfo::default()))
            .unwrap(),
        SocketOption::RtoInfo(RtoInfo {
            assoc_id: None,
            initial: 1000,
            max: 60000,
            min: 1000
        })
    );
    // One-to-many: autoclose is allowed; status needs an association.
    let m = st.socket(SocketKind::OneToMany);
    st.setsockopt(now, m, SocketOption::AutoClose(30)).unwrap();
    assert_eq!(
        st.getsockopt(m, SocketOption::AutoClose(0)).unwrap(),
        SocketOption::AutoClose(30)
    );
    let e = st
        .setsockopt(
            now,
            m,
            SocketOption::RtoInfo(RtoInfo {
                assoc_id: Some(anysctp::AssociationId(3)),
                initial: 0,
                max: 0,
                min: 0,
            }),
        )
        .unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
}
