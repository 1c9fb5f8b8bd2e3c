//! Stream re-configuration through the socket facade: SCTP_RESET_STREAMS,
//! SCTP_ADD_STREAMS, SCTP_ENABLE_STREAM_RESET and the
//! SCTP_STREAM_RESET_EVENT / SCTP_STREAM_CHANGE_EVENT notifications (RFC
//! 6525 §6).

mod socket_support;

use core::time::Duration;

use anysctp::socket::{
    enable_reset, reset_streams_flags as srs, stream_flags, Errno, EventType, Notification,
    SocketId, SocketKind, SocketOption, SocketStack,
};
use socket_support::*;

const SECS: Duration = Duration::from_secs(5);

fn subscribe(stack: &mut SocketStack, s: SocketId) {
    for event in [EventType::StreamReset, EventType::StreamChange] {
        let on = SocketOption::Event {
            assoc_id: None,
            event,
            on: true,
        };
        stack.setsockopt(t0(), s, on).unwrap();
    }
}

/// A one-to-one pair subscribed to both notifications: (A's accepted
/// socket, B's client socket).
fn pair(net: &mut Net) -> (SocketId, SocketId) {
    let now = net.now;
    let l = net.a.socket(SocketKind::OneToOne);
    subscribe(&mut net.a, l);
    net.a.bind(l, addr(A_IP, 5000)).unwrap();
    net.a.listen(now, l, 1).unwrap();
    let c = net.b.socket(SocketKind::OneToOne);
    subscribe(&mut net.b, c);
    net.b.set_nonblocking(c, true).unwrap();
    net.b.bind(c, addr(B_IP, 6000)).unwrap();
    let _ = net.b.connect(now, c, addr(A_IP, 5000), 5000);
    assert!(net.run_until(SECS, |n| n.a.readiness(l).unwrap().readable));
    let (s, _) = net.a.accept(l).unwrap();
    net.a.set_nonblocking(s, true).unwrap();
    (s, c)
}

fn reset(flags: u16, stream: u16, assoc_id: anysctp::AssociationId) -> Notification {
    Notification::StreamReset {
        flags,
        streams: vec![stream],
        assoc_id,
    }
}

/// The notifications waiting on `s` (messages are skipped).
fn notifications(stack: &mut SocketStack, s: SocketId) -> Vec<Notification> {
    std::iter::from_fn(|| stack.recvmsg(s).ok())
        .filter_map(|m| m.notification)
        .collect()
}

#[test]
fn reset_streams_is_notified_on_both_sides() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net);
    net.b.write(net.now, c, b"before the reset").unwrap();
    net.b
        .reset_streams(net.now, c, None, srs::OUTGOING, &[0])
        .unwrap();
    assert_eq!(
        net.b
            .reset_streams(net.now, c, None, srs::OUTGOING, &[1])
            .unwrap_err(),
        Errno::EALREADY
    );
    net.settle(Duration::from_millis(500));
    let mut buf = [0u8; 64];
    let n = net.a.read(s, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"before the reset");
    let sid = net.a.associations(s).unwrap()[0];
    let got = notifications(&mut net.a, s);
    assert_eq!(got, vec![reset(stream_flags::RESET_INCOMING_SSN, 0, sid)]);
    let cid = net.b.associations(c).unwrap()[0];
    let got = notifications(&mut net.b, c);
    assert_eq!(got, vec![reset(stream_flags::RESET_OUTGOING_SSN, 0, cid)]);
}

#[test]
fn incoming_and_outgoing_reset_in_one_call() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net);
    net.a.write(net.now, s, b"from a").unwrap();
    net.b.write(net.now, c, b"from b").unwrap();
    net.b
        .reset_streams(net.now, c, None, srs::INCOMING | srs::OUTGOING, &[0])
        .unwrap();
    net.settle(Duration::from_millis(500));
    let mut buf = [0u8; 64];
    let n = net.a.read(s, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"from b");
    let n = net.b.read(c, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"from a");
    // A's stream 0 was reset both ways: the peer's (B's outgoing) and its
    // own (asked by B).
    let sid = net.a.associations(s).unwrap()[0];
    let mut got = notifications(&mut net.a, s);
    got.sort_by_key(|n| format!("{n:?}"));
    assert_eq!(
        got,
        vec![
            reset(stream_flags::RESET_INCOMING_SSN, 0, sid),
            reset(stream_flags::RESET_OUTGOING_SSN, 0, sid),
        ]
    );
    let cid = net.b.associations(c).unwrap()[0];
    let mut got = notifications(&mut net.b, c);
    got.sort_by_key(|n| format!("{n:?}"));
    assert_eq!(
        got,
        vec![
            reset(stream_flags::RESET_INCOMING_SSN, 0, cid),
            reset(stream_flags::RESET_OUTGOING_SSN, 0, cid),
        ]
    );
}

#[test]
fn add_streams_both_ways_in_one_call() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net);
    net.b.add_streams(net.now, c, None, 3, 2).unwrap();
    net.settle(Duration::from_millis(500));
    let counts = |n: Vec<Notification>| -> Vec<(u16, u16, u16)> {
        n.into_iter()
            .filter_map(|n| match n {
                Notification::StreamChange {
                    flags,
                    inbound_streams,
                    outbound_streams,
                    ..
                } => Some((flags, inbound_streams, outbound_streams)),
                _ => None,
            })
            .collect()
    };
    let on_b = counts(notifications(&mut net.b, c));
    let on_a = counts(notifications(&mut net.a, s));
    // B ends with 12 outbound and 13 inbound streams, A the mirror.
    assert_eq!(on_b.last().map(|c| (c.1, c.2)), Some((13, 12)), "{on_b:?}");
    assert_eq!(on_a.last().map(|c| (c.1, c.2)), Some((12, 13)), "{on_a:?}");
    assert!(on_a.iter().chain(&on_b).all(|c| c.0 == 0));
}

#[test]
fn add_streams_is_notified_with_the_new_counts() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net);
    net.b.add_streams(net.now, c, None, 0, 2).unwrap();
    net.settle(Duration::from_millis(500));
    let change = |inbound_streams, outbound_streams, assoc_id| Notification::StreamChange {
        flags: 0,
        inbound_streams,
        outbound_streams,
        assoc_id,
    };
    let sid = net.a.associations(s).unwrap()[0];
    assert_eq!(notifications(&mut net.a, s), vec![change(12, 10, sid)]);
    let cid = net.b.associations(c).unwrap()[0];
    assert_eq!(notifications(&mut net.b, c), vec![change(10, 12, cid)]);
}

#[test]
fn enable_stream_reset_on_a_live_association_denies_requests() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net);
    let get = SocketOption::EnableStreamReset {
        assoc_id: None,
        value: 0,
    };
    let all = enable_reset::RESET_STREAM_REQ | enable_reset::CHANGE_ASSOC_REQ;
    let on = SocketOption::EnableStreamReset {
        assoc_id: None,
        value: all,
    };
    assert_eq!(net.a.getsockopt(s, get).unwrap(), on, "the default");
    net.a.setsockopt(net.now, s, get).unwrap();
    assert_eq!(net.a.getsockopt(s, get).unwrap(), get);
    net.b
        .reset_streams(net.now, c, None, srs::OUTGOING, &[3])
        .unwrap();
    net.settle(Duration::from_millis(500));
    assert!(notifications(&mut net.a, s).is_empty());
    let cid = net.b.associations(c).unwrap()[0];
    let denied = stream_flags::RESET_OUTGOING_SSN | stream_flags::DENIED;
    assert_eq!(notifications(&mut net.b, c), vec![reset(denied, 3, cid)]);
}

#[test]
fn unsupported_requests_say_so() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net);
    let now = net.now;
    let e = net.b.reset_streams(now, c, None, 0, &[0]);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
    let e = net.b.reset_streams(now, c, None, srs::OUTGOING, &[]);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
    let e = net.b.reset_streams(now, c, None, srs::OUTGOING, &[10]);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
    assert_eq!(
        net.b.add_streams(now, c, None, 0, 0).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        net.b.add_streams(now, c, None, 65535, 0).unwrap_err(),
        Errno::EINVAL
    );
    let undefined = SocketOption::EnableStreamReset {
        assoc_id: None,
        value: 0x10,
    };
    let e = net.a.setsockopt(now, s, undefined);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
}

fn subscribe_assoc_reset(stack: &mut SocketStack, s: SocketId) {
    let on = SocketOption::Event {
        assoc_id: None,
        event: EventType::AssocReset,
        on: true,
    };
    stack.setsockopt(t0(), s, on).unwrap();
}

/// What waits on `s`: the messages, and the SCTP_ASSOC_RESET_EVENT
/// notifications as (flags, local TSN, remote TSN).
type Drained = (Vec<Vec<u8>>, Vec<(u16, u32, u32)>);

fn drain(stack: &mut SocketStack, s: SocketId) -> Drained {
    let mut out = Drained::default();
    while let Ok(m) = stack.recvmsg(s) {
        match m.notification {
            Some(Notification::AssocReset {
                flags,
                local_tsn,
                remote_tsn,
                ..
            }) => out.1.push((flags, local_tsn, remote_tsn)),
            Some(_) => {}
            None => out.0.push(m.data.to_vec()),
        }
    }
    out
}

#[test]
fn reset_assoc_is_denied_unless_the_peer_enables_it() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net);
    subscribe_assoc_reset(&mut net.b, c);
    net.b.reset_assoc(net.now, c, None).unwrap();
    assert_eq!(
        net.b.reset_assoc(net.now, c, None).unwrap_err(),
        Errno::EALREADY
    );
    net.b.write(net.now, c, b"held").unwrap();
    net.settle(Duration::from_millis(500));
    let (_, got) = drain(&mut net.b, c);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, stream_flags::DENIED);
    // The held message and later ones go with the old numbering.
    net.b.write(net.now, c, b"after").unwrap();
    net.settle(Duration::from_millis(500));
    let (got, _) = drain(&mut net.a, s);
    assert_eq!(got, vec![b"held".to_vec(), b"after".to_vec()]);
}

#[test]
fn reset_assoc_resets_both_sides_and_messages_keep_flowing() {
    let mut net = Net::new();
    let (s, c) = pair(&mut net);
    subscribe_assoc_reset(&mut net.a, s);
    subscribe_assoc_reset(&mut net.b, c);
    let all = enable_reset::RESET_STREAM_REQ
        | enable_reset::RESET_ASSOC_REQ
        | enable_reset::CHANGE_ASSOC_REQ;
    let opt = SocketOption::EnableStreamReset {
        assoc_id: None,
        value: all,
    };
    net.a.setsockopt(net.now, s, opt).unwrap();
    assert_eq!(net.a.getsockopt(s, opt).unwrap(), opt);
    net.a.write(net.now, s, b"a1").unwrap();
    net.b.write(net.now, c, b"b1").unwrap();
    net.b.reset_assoc(net.now, c, None).unwrap();
    net.b.write(net.now, c, b"b2").unwrap();
    net.settle(Duration::from_millis(2000));
    let (got_a, on_a) = drain(&mut net.a, s);
    let (got_b, on_b) = drain(&mut net.b, c);
    assert_eq!(on_a.len(), 1);
    assert_eq!(on_b.len(), 1);
    // Success, and each side's local TSN is the other's remote TSN.
    assert_eq!(on_a[0].0, 0);
    assert_eq!(on_b[0].0, 0);
    assert_eq!((on_a[0].1, on_a[0].2), (on_b[0].2, on_b[0].1));
    // Nothing lost either way across the reset.
    assert_eq!(got_a, vec![b"b1".to_vec(), b"b2".to_vec()]);
    assert_eq!(got_b, vec![b"a1".to_vec()]);
    net.a.write(net.now, s, b"a2").unwrap();
    net.settle(Duration::from_millis(500));
    assert_eq!(drain(&mut net.b, c).0, vec![b"a2".to_vec()]);
}
