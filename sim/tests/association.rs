//! The real association (`anysctp::Endpoint`) under the deterministic
//! simulator, across every named link profile plus a narrow bottleneck:
//! connect, traffic both ways (ordered and unordered, several streams,
//! 8 bytes to 3×MTU plus a few messages up to 64 KiB, partial reliability
//! in some scenarios, DATA or I-DATA), then graceful shutdown. After every
//! run the `Checker`'s invariants hold, both sides saw
//! `Closed(Shutdown)`, queues drained and no association is left.
//!
//! 1,000 scenarios in release mode (`cargo test --release -p anysctp-sim
//! --test association -- --nocapture` prints the summary); fewer in debug
//! builds. Replay one:
//! `ANYSCTP_SIM_SEED=<seed> ANYSCTP_SIM_PROFILE=<name> cargo test -p anysctp-sim --test association`.

mod support;

use anysctp_sim::matrix::run_scenarios;
use support::scenario::{run, scenario_list, COMMAND};

#[test]
fn association_survives_every_profile() {
    let count = if cfg!(debug_assertions) { 90 } else { 1000 };
    let list = scenario_list(count, 0xa550_c1a7);
    let started = std::time::Instant::now();
    let summary = run_scenarios(COMMAND, &list, run);
    println!("{summary}");
    println!("{} scenarios in {:?}", summary.run(), started.elapsed());
    assert!(summary.is_ok(), "\n{summary}");
    assert_eq!(summary.run(), list.len() as u64);
}
