//! The scenario matrix end to end: a toy reliable protocol run through every
//! named profile, messages fed by an application hook and checked by the
//! `Checker`. Replay one scenario with
//! `ANYSCTP_SIM_SEED=<seed> ANYSCTP_SIM_PROFILE=<name> cargo test -p anysctp-sim --test matrix`.

use std::net::SocketAddr;
use std::time::Duration;

use anysctp_sim::matrix::{run_scenarios, scenarios_from_env, Scenario};
use anysctp_sim::toy::GoBackNNode;
use anysctp_sim::{Checker, Flow, Instant, Reliability, RunOutcome, Sim};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

const MESSAGES: u64 = 150;

fn addr(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, i], 5000))
}

/// Both nodes send `MESSAGES` messages of random length to each other, a
/// few at a time from the hook, and deliver what they receive to the checker.
fn run(scenario: &Scenario) -> Result<(), String> {
    run_with(
        scenario,
        Duration::from_millis(120),
        Duration::from_secs(600),
    )
}

fn run_with(scenario: &Scenario, rto: Duration, limit: Duration) -> Result<(), String> {
    let mut sim = Sim::new(scenario.seed);
    sim.set_all_links(scenario.profile.clone());
    sim.add_node(GoBackNNode::new(addr(2), 32, rto), [addr(1)]);
    sim.add_node(GoBackNNode::new(addr(1), 32, rto), [addr(2)]);
    // The application's own randomness, also from the seed.
    let mut app = ChaCha8Rng::seed_from_u64(scenario.seed ^ 0xa99);
    let mut checker = Checker::new();
    let mut queued = [0u64; 2];
    let flow = |sender: usize| Flow {
        association: 0,
        sender,
    };
    let outcome = sim
        .run_until(Instant::ZERO + limit, |sim| {
            for (n, queued) in queued.iter_mut().enumerate() {
                // Receive: the peer sent it.
                while let Some(m) = sim.node_mut(n).poll_delivered() {
                    checker.record_received(flow(1 - n), 0, true, &m);
                }
                // Send: keep a few messages queued.
                while *queued < MESSAGES && sim.node(n).unacknowledged() < 8 {
                    let len = 8 + (app.next_u32() % 1200) as usize;
                    let m = checker.send(flow(n), 0, true, Reliability::Reliable, len);
                    sim.node_mut(n).send(m);
                    *queued += 1;
                }
            }
            queued == [MESSAGES; 2] && checker.pending_reliable() == 0
        })
        .map_err(|e| e.to_string())?;
    // The checker's report first: it names the messages that went wrong.
    let summary = checker.verify().map_err(|r| r.to_string())?;
    if outcome != RunOutcome::Stopped {
        return Err(format!(
            "{outcome:?} at {:?} before everything was sent",
            sim.now()
        ));
    }
    if summary.delivered != 2 * MESSAGES {
        return Err(format!("{summary:?}"));
    }
    Ok(())
}

#[test]
fn go_back_n_survives_every_profile() {
    let list = scenarios_from_env(16, 0x5eed);
    let summary = run_scenarios("cargo test -p anysctp-sim --test matrix", &list, run);
    println!("{summary}");
    assert!(summary.is_ok(), "\n{summary}");
    assert_eq!(summary.run(), list.len() as u64);
}

#[test]
fn a_protocol_that_never_retransmits_is_caught_with_a_replay_line() {
    let list: Vec<Scenario> = scenarios_from_env(16, 0x5eed)
        .into_iter()
        .filter(|s| s.profile_name == "loss_10pct")
        .collect();
    // The timer never fires within the run: lost messages stay lost.
    let summary = run_scenarios("cargo test", &list, |s| {
        run_with(s, Duration::from_secs(3600), Duration::from_secs(5))
    });
    assert!(!summary.is_ok());
    let text = summary.to_string();
    let first = &summary.failures[0];
    assert!(first.message.contains("never delivered"), "{text}");
    assert!(
        text.contains(&format!(
            "replay: ANYSCTP_SIM_SEED={} ANYSCTP_SIM_PROFILE=loss_10pct cargo test",
            first.seed
        )),
        "{text}"
    );
}
