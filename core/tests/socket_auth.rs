//! SCTP-AUTH through the socket facade (RFC 6458 §8.1.17, §8.1.18,
//! §8.2.3, §8.2.4, §8.3.2–§8.3.5, §6.1.8).

mod socket_support;

use core::time::Duration;

use anysctp::socket::{
    AuthChunks, AuthKeyId, Errno, EventType, HmacIdent, Notification, SocketId, SocketKind,
    SocketOption,
};
use anysctp::wire::chunk_type;
use anysctp::{AuthIndication, HmacAlgorithm};
use socket_support::*;

const SECS: Duration = Duration::from_secs(5);

/// Turns SCTP-AUTH on for `s` with DATA required and `secret` as key 1,
/// made active.
fn auth_on(st: &mut anysctp::socket::SocketStack, s: SocketId, secret: &[u8]) {
    let now = t0();
    st.setsockopt(now, s, SocketOption::AuthChunk(chunk_type::DATA))
        .unwrap();
    st.setsockopt(
        now,
        s,
        SocketOption::HmacIdent(HmacIdent {
            first: HmacAlgorithm::Sha256,
            second: Some(HmacAlgorithm::Sha1),
            enabled: true,
        }),
    )
    .unwrap();
    st.set_auth_key(s, None, 1, secret).unwrap();
    st.setsockopt(
        now,
        s,
        SocketOption::AuthActiveKey(AuthKeyId {
            assoc_id: None,
            key_id: 1,
        }),
    )
    .unwrap();
}

/// A listens on 10.0.0.1:5000 and B connects, both with SCTP-AUTH and key
/// 1 (`a_secret`, `b_secret`); returns (accepted, client).
fn pair(net: &mut Net, a_secret: &[u8], b_secret: &[u8]) -> (SocketId, SocketId) {
    let now = net.now;
    let l = net.a.socket(SocketKind::OneToOne);
    net.a.bind(l, addr(A_IP, 5000)).unwrap();
    auth_on(&mut net.a, l, a_secret);
    net.a.listen(now, l, 4).unwrap();
    let c = net.b.socket(SocketKind::OneToOne);
    net.b.set_nonblocking(c, true).unwrap();
    net.b.bind(c, addr(B_IP, 6000)).unwrap();
    auth_on(&mut net.b, c, b_secret);
    net.b
        .setsockopt(
            now,
            c,
            SocketOption::Event {
                assoc_id: None,
                event: EventType::Authentication,
                on: true,
            },
        )
        .unwrap();
    let _ = net.b.connect(now, c, addr(A_IP, 5000), 5000);
    assert!(net.run_until(SECS, |n| n.b.readiness(c).unwrap().writable
        && n.a.readiness(l).unwrap().readable));
    let (s, _) = net.a.accept(l).unwrap();
    net.a.set_nonblocking(s, true).unwrap();
    (s, c)
}

#[test]
fn authenticated_association_carries_data_and_reports_the_key() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net, b"shared secret", b"shared secret");
    let chunks = |st: &mut anysctp::socket::SocketStack, id, peer: bool| {
        let q = AuthChunks::default();
        let opt = if peer {
            SocketOption::PeerAuthChunks(q)
        } else {
            SocketOption::LocalAuthChunks(q)
        };
        match st.getsockopt(id, opt).unwrap() {
            SocketOption::PeerAuthChunks(a) | SocketOption::LocalAuthChunks(a) => {
                a.chunks.iter().collect::<Vec<u8>>()
            }
            other => panic!("{other:?}"),
        }
    };
    // DATA, and ASCONF / ASCONF-ACK: offered by default, they are only
    // accepted authenticated (RFC 5061 §4.1.1, §4.2.7).
    let listed = vec![chunk_type::DATA, chunk_type::ASCONF_ACK, chunk_type::ASCONF];
    assert_eq!(chunks(&mut net.b, c, true), listed);
    assert_eq!(chunks(&mut net.b, c, false), listed);
    assert_eq!(
        net.b
            .getsockopt(c, SocketOption::AuthActiveKey(AuthKeyId::default()))
            .unwrap(),
        SocketOption::AuthActiveKey(AuthKeyId {
            assoc_id: None,
            key_id: 1
        })
    );
    net.a.write(net.now, s, b"authenticated").unwrap();
    let mut buf = [0u8; 64];
    assert!(net.run_until(SECS, |n| n.b.readiness(c).unwrap().readable));
    // SCTP_AUTH_NEW_KEY for key 1 (the peer's first authenticated packet),
    // then the data.
    let m = net.b.recvmsg(c).unwrap();
    assert_eq!(
        m.notification,
        Some(Notification::Authentication {
            key_id: 1,
            indication: AuthIndication::NewKey,
            assoc_id: m.info.assoc_id,
        })
    );
    let n = net.b.read(c, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"authenticated");
}

#[test]
fn different_shared_keys_carry_no_data() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net, b"one secret", b"another secret");
    net.b.write(net.now, c, b"forged?").unwrap();
    net.settle(Duration::from_secs(3));
    let mut buf = [0u8; 64];
    assert_eq!(net.a.read(s, &mut buf).unwrap_err(), Errno::EAGAIN);
}

#[test]
fn bad_auth_options_are_refused() {
    let mut net = Net::new();
    let now = net.now;
    let s = net.a.socket(SocketKind::OneToOne);
    // RFC 6458 §8.3.2: INIT may not be listed.
    assert_eq!(
        net.a
            .setsockopt(now, s, SocketOption::AuthChunk(chunk_type::INIT))
            .unwrap_err(),
        Errno::EINVAL
    );
    // §8.1.17: SHA-1 must be listed.
    assert_eq!(
        net.a
            .setsockopt(
                now,
                s,
                SocketOption::HmacIdent(HmacIdent {
                    first: HmacAlgorithm::Sha256,
                    second: None,
                    enabled: true
                })
            )
            .unwrap_err(),
        Errno::EINVAL
    );
    // Keys need the socket's endpoint.
    assert_eq!(
        net.a.set_auth_key(s, None, 2, b"k").unwrap_err(),
        Errno::EINVAL
    );
    net.a.bind(s, addr(A_IP, 5000)).unwrap();
    net.a.set_auth_key(s, None, 2, b"k").unwrap();
    let key = |key_id| AuthKeyId {
        assoc_id: None,
        key_id,
    };
    // The active key (0) cannot be deactivated; a key must be deactivated
    // before it is deleted.
    for opt in [
        SocketOption::AuthDeactivateKey(key(0)),
        SocketOption::AuthDeleteKey(key(2)),
        SocketOption::AuthActiveKey(key(9)),
    ] {
        assert_eq!(
            net.a.setsockopt(now, s, opt).unwrap_err(),
            Errno::EINVAL,
            "{opt:?}"
        );
    }
    net.a
        .setsockopt(now, s, SocketOption::AuthDeactivateKey(key(2)))
        .unwrap();
    net.a
        .setsockopt(now, s, SocketOption::AuthDeleteKey(key(2)))
        .unwrap();
}
