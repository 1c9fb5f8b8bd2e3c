//! The endpoint's accept policy: an INIT from a refused address is answered
//! with ABORT (T bit clear, the INIT's Initiate Tag), RFC 9260 §5.1 / §8.4.

use std::net::SocketAddr;

use anysctp::config::{AddressFilter, Cidr};
use anysctp::{AssociationConfig, CloseReason, Endpoint, EndpointConfig, Event, Instant};
use bytes::Bytes;

fn endpoint(accept: bool, seed: u8) -> Endpoint {
    let cfg = EndpointConfig {
        port: 5000,
        accept_incoming: accept,
        ..EndpointConfig::default()
    };
    Endpoint::new(cfg, [seed; 32]).unwrap()
}

/// Runs the client's INIT through the server; returns the server's answer.
fn answer_to_init(server: &mut Endpoint, client_addr: &str) -> (Vec<u8>, Vec<u8>) {
    let server_addr: SocketAddr = "10.0.0.2:9899".parse().unwrap();
    let client_addr: SocketAddr = client_addr.parse().unwrap();
    let mut client = endpoint(false, 1);
    let now = Instant::from_millis(1);
    client
        .connect(now, server_addr, 5000, AssociationConfig::default())
        .unwrap();
    let mut buf = vec![0u8; 65536];
    let t = client.poll_transmit(now, &mut buf).unwrap();
    let init = buf[..t.len].to_vec();
    server.handle_datagram(now, client_addr, Bytes::from(init.clone()));
    let t = server.poll_transmit(now, &mut buf).unwrap();
    assert_eq!(t.destination, client_addr);
    let answer = buf[..t.len].to_vec();
    // Feed the answer back: the client must see its setup refused.
    client.handle_datagram(now, server_addr, Bytes::from(answer.clone()));
    let closed = std::iter::from_fn(|| client.poll_event())
        .any(|(_, e)| matches!(e, Event::Closed(CloseReason::PeerAborted(_))));
    assert_eq!(closed, answer[12] == 6, "client closes exactly on ABORT");
    (init, answer)
}

#[test]
fn refused_address_gets_abort_with_the_init_tag() {
    let mut server = endpoint(true, 2);
    server.set_accept_filter(AddressFilter {
        allow: vec!["10.0.0.0/24".parse::<Cidr>().unwrap()],
        deny: vec!["10.0.0.66/32".parse::<Cidr>().unwrap()],
    });
    for refused in ["192.0.2.1:4000", "10.0.0.66:4000"] {
        let (init, abort) = answer_to_init(&mut server, refused);
        assert_eq!(abort[12], 6, "ABORT chunk for {refused}");
        assert_eq!(abort[13] & 1, 0, "T bit clear");
        // The ABORT carries the INIT's Initiate Tag (INIT chunk value +0).
        assert_eq!(abort[4..8], init[16..20]);
    }
    assert!(server.associations().is_empty());
    // An allowed address still gets an INIT ACK.
    let (_, ack) = answer_to_init(&mut server, "10.0.0.7:4000");
    assert_eq!(ack[12], 2, "INIT ACK");
}

#[test]
fn default_filter_accepts_everyone() {
    let mut server = endpoint(true, 3);
    assert!(server.accept_filter().allow.is_empty());
    let (_, ack) = answer_to_init(&mut server, "198.51.100.9:4000");
    assert_eq!(ack[12], 2, "INIT ACK");
}
