//! Two toy go-back-N nodes exchange checked messages over a lossy,
//! duplicating, reordering network; prints what happened.
//!
//! `cargo run -p anysctp-sim --example toy_exchange [seed]`

use std::net::SocketAddr;
use std::time::Duration;

use anysctp_sim::toy::GoBackNNode;
use anysctp_sim::{matrix, Checker, Flow, Instant, Reliability, Sim};

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let b: SocketAddr = "10.0.0.2:5000".parse().unwrap();

    // One seed drives every random decision of the network.
    let mut sim = Sim::new(seed);
    sim.set_all_links(matrix::combined()); // 1% loss, 1% dup, 5% reorder, jitter
    let rto = Duration::from_millis(100);
    let client = sim.add_node(GoBackNNode::new(b, 16, rto), [a]);
    let server = sim.add_node(GoBackNNode::new(a, 16, rto), [b]);

    // The application: send 1000 checked messages from client to server.
    let mut checker = Checker::new();
    let flow = Flow {
        association: 0,
        sender: client,
    };
    for i in 0..1000 {
        let message = checker.send(flow, 0, true, Reliability::Reliable, 100 + i % 900);
        sim.node_mut(client).send(message);
    }

    // Run; after every step the hook moves received messages to the checker.
    let outcome = sim
        .run_until(Instant::from_millis(600_000), |sim| {
            while let Some(m) = sim.node_mut(server).poll_delivered() {
                checker.record_received(flow, 0, true, &m);
            }
            checker.pending_reliable() == 0
        })
        .expect("the simulation stalled");

    println!("seed {seed}: {outcome:?} at {:?}", sim.now());
    println!("client → server: {:?}", sim.link_stats(a, b).unwrap());
    println!("server → client: {:?}", sim.link_stats(b, a).unwrap());
    println!("retransmissions: {}", sim.node(client).retransmissions);
    match checker.verify() {
        Ok(summary) => println!("all invariants hold: {summary:?}"),
        Err(report) => {
            eprintln!("{report}");
            std::process::exit(1);
        }
    }
}
