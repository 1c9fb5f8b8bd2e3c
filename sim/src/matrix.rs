//! Named link profiles, seeded scenario lists across them, and a summary
//! that names every failure's seed and profile so it can be replayed.
//!
//! Replay knobs (environment variables read by [`scenarios_from_env`]):
//! - `ANYSCTP_SIM_SEED=123` — run only this seed (once per selected profile);
//! - `ANYSCTP_SIM_PROFILE=loss_10pct` — run only these profiles
//!   (comma-separated);
//! - `ANYSCTP_SIM_SCENARIOS=500` — the number of scenarios otherwise.
//!
//! For example `ANYSCTP_SIM_SEED=123 ANYSCTP_SIM_PROFILE=loss_10pct cargo
//! test -p anysctp-sim --test matrix` replays one failure.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use crate::network::LinkProfile;

/// Environment variable: run only this seed.
pub const ENV_SEED: &str = "ANYSCTP_SIM_SEED";
/// Environment variable: run only these profiles (comma-separated names).
pub const ENV_PROFILE: &str = "ANYSCTP_SIM_PROFILE";
/// Environment variable: number of scenarios.
pub const ENV_SCENARIOS: &str = "ANYSCTP_SIM_SCENARIOS";

/// One-way delay of the short-path profiles (10 ms RTT).
pub const SHORT_DELAY: Duration = Duration::from_millis(5);

fn short(loss: f64, duplicate: f64, reorder: f64) -> LinkProfile {
    LinkProfile {
        loss,
        duplicate,
        reorder,
        reorder_delay: Duration::from_millis(8),
        delay: SHORT_DELAY,
        ..LinkProfile::default()
    }
}

/// 5 ms one way, nothing lost.
pub fn no_loss() -> LinkProfile {
    short(0.0, 0.0, 0.0)
}

/// 5 ms one way, 1% loss.
pub fn loss_1pct() -> LinkProfile {
    short(0.01, 0.0, 0.0)
}

/// 5 ms one way, 10% loss.
pub fn loss_10pct() -> LinkProfile {
    short(0.10, 0.0, 0.0)
}

/// 5 ms one way, 30% loss.
pub fn loss_30pct() -> LinkProfile {
    short(0.30, 0.0, 0.0)
}

/// 5 ms one way, 1% of packets duplicated.
pub fn dup_1pct() -> LinkProfile {
    short(0.0, 0.01, 0.0)
}

/// 5 ms one way, 5% of packets held back by 8 ms.
pub fn reorder_5pct() -> LinkProfile {
    short(0.0, 0.0, 0.05)
}

/// 5 ms one way, 1% loss, 1% duplication, 5% reordering, 2 ms jitter.
pub fn combined() -> LinkProfile {
    LinkProfile {
        jitter: Duration::from_millis(2),
        ..short(0.01, 0.01, 0.05)
    }
}

/// A long fat pipe: 1 Gbit/s bottleneck, 25 ms one way (50 ms RTT), a
/// drop-tail queue of one bandwidth-delay product (6.25 MB).
pub fn long_fat() -> LinkProfile {
    const BPS: u64 = 1_000_000_000;
    const RTT: Duration = Duration::from_millis(50);
    LinkProfile {
        delay: RTT / 2,
        bandwidth_bps: Some(BPS),
        queue_bytes: (BPS as u128 * RTT.as_micros() / 8 / 1_000_000) as usize,
        ..LinkProfile::default()
    }
}

/// A link profile with a name.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedProfile {
    /// The name (as in [`ENV_PROFILE`]).
    pub name: &'static str,
    /// The profile.
    pub profile: LinkProfile,
}

/// Every named profile, in a fixed order.
pub fn profiles() -> Vec<NamedProfile> {
    type Make = fn() -> LinkProfile;
    let list: [(&'static str, Make); 8] = [
        ("no_loss", no_loss),
        ("loss_1pct", loss_1pct),
        ("loss_10pct", loss_10pct),
        ("loss_30pct", loss_30pct),
        ("dup_1pct", dup_1pct),
        ("reorder_5pct", reorder_5pct),
        ("combined", combined),
        ("long_fat", long_fat),
    ];
    list.iter()
        .map(|&(name, f)| NamedProfile { name, profile: f() })
        .collect()
}

/// The profile called `name`.
pub fn profile(name: &str) -> Option<NamedProfile> {
    profiles().into_iter().find(|p| p.name == name)
}

/// One run to do: a profile and a seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The profile's name.
    pub profile_name: &'static str,
    /// The profile, for every link of the run.
    pub profile: LinkProfile,
    /// The seed of the run.
    pub seed: u64,
}

impl Scenario {
    /// The environment variables that select exactly this scenario.
    pub fn replay_env(&self) -> String {
        format!(
            "{ENV_SEED}={} {ENV_PROFILE}={}",
            self.seed, self.profile_name
        )
    }
}

/// SplitMix64: spreads consecutive numbers into unrelated seeds.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` scenarios cycling through every profile, with seeds derived from
/// `base_seed` (the same arguments give the same list).
pub fn scenarios(n: usize, base_seed: u64) -> Vec<Scenario> {
    scenarios_over(&profiles(), n, base_seed)
}

fn scenarios_over(profiles: &[NamedProfile], n: usize, base_seed: u64) -> Vec<Scenario> {
    if profiles.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|i| {
            let p = &profiles[i % profiles.len()];
            Scenario {
                profile_name: p.name,
                profile: p.profile.clone(),
                seed: mix(base_seed ^ mix(i as u64)),
            }
        })
        .collect()
}

/// Like [`scenarios`], narrowed by the replay knobs ([`ENV_SEED`],
/// [`ENV_PROFILE`], [`ENV_SCENARIOS`]).
///
/// # Panics
/// If a knob does not parse or names an unknown profile (a mistake when
/// typing the command; the message lists the valid names).
pub fn scenarios_from_env(n: usize, base_seed: u64) -> Vec<Scenario> {
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    scenarios_with(
        var(ENV_SEED).as_deref(),
        var(ENV_PROFILE).as_deref(),
        var(ENV_SCENARIOS).as_deref(),
        n,
        base_seed,
    )
}

fn scenarios_with(
    seed: Option<&str>,
    profile_names: Option<&str>,
    count: Option<&str>,
    n: usize,
    base_seed: u64,
) -> Vec<Scenario> {
    let all = profiles();
    let selected: Vec<NamedProfile> = match profile_names {
        None => all,
        Some(names) => names
            .split(',')
            .map(|name| {
                let name = name.trim();
                all.iter()
                    .find(|p| p.name == name)
                    .cloned()
                    .unwrap_or_else(|| {
                        let valid: Vec<_> = all.iter().map(|p| p.name).collect();
                        panic!("{ENV_PROFILE}: unknown profile {name:?}; valid: {valid:?}")
                    })
            })
            .collect(),
    };
    if let Some(seed) = seed {
        let seed: u64 = seed
            .parse()
            .unwrap_or_else(|_| panic!("{ENV_SEED}: {seed:?} is not a u64"));
        return selected
            .into_iter()
            .map(|p| Scenario {
                profile_name: p.name,
                profile: p.profile,
                seed,
            })
            .collect();
    }
    let n = match count {
        Some(c) => c
            .parse()
            .unwrap_or_else(|_| panic!("{ENV_SCENARIOS}: {c:?} is not a count")),
        None => n,
    };
    scenarios_over(&selected, n, base_seed)
}

/// A failed scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The scenario's profile name.
    pub profile_name: &'static str,
    /// The scenario's seed.
    pub seed: u64,
    /// What went wrong (the error returned, or the panic message).
    pub message: String,
}

/// Results of a set of scenarios; `Display` prints a table per profile and
/// every failure with the command that replays it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Per profile name: (run, passed).
    pub per_profile: BTreeMap<&'static str, (u64, u64)>,
    /// Every failure, in the order run.
    pub failures: Vec<Failure>,
    /// The command that runs the test, printed after the replay variables
    /// (default `cargo test`).
    pub command: String,
}

impl Summary {
    /// An empty summary; `command` is the test command to print in replay
    /// hints, e.g. `cargo test -p anysctp-sim --test matrix`.
    pub fn new(command: impl Into<String>) -> Self {
        Summary {
            command: command.into(),
            ..Summary::default()
        }
    }

    /// Adds the result of one scenario.
    pub fn record(&mut self, scenario: &Scenario, result: Result<(), String>) {
        let row = self.per_profile.entry(scenario.profile_name).or_default();
        row.0 += 1;
        match result {
            Ok(()) => row.1 += 1,
            Err(message) => self.failures.push(Failure {
                profile_name: scenario.profile_name,
                seed: scenario.seed,
                message,
            }),
        }
    }

    /// True if no scenario failed.
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// Scenarios run.
    pub fn run(&self) -> u64 {
        self.per_profile.values().map(|r| r.0).sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<14} {:>6} {:>6} {:>6}",
            "profile", "run", "passed", "failed"
        )?;
        for (name, (run, passed)) in &self.per_profile {
            writeln!(f, "{name:<14} {run:>6} {passed:>6} {:>6}", run - passed)?;
        }
        let command = if self.command.is_empty() {
            "cargo test"
        } else {
            &self.command
        };
        for fail in &self.failures {
            writeln!(
                f,
                "FAILED profile={} seed={}: {}\n  replay: {ENV_SEED}={} {ENV_PROFILE}={} {command}",
                fail.profile_name,
                fail.seed,
                fail.message.trim_end(),
                fail.seed,
                fail.profile_name,
            )?;
        }
        Ok(())
    }
}

/// Runs `run` for every scenario and collects the results; a panic inside
/// `run` counts as a failure of that scenario (with its message), so one bad
/// seed does not hide the others.
pub fn run_scenarios(
    command: impl Into<String>,
    scenarios: &[Scenario],
    mut run: impl FnMut(&Scenario) -> Result<(), String>,
) -> Summary {
    let mut summary = Summary::new(command);
    for scenario in scenarios {
        let result = match catch_unwind(AssertUnwindSafe(|| run(scenario))) {
            Ok(r) => r,
            Err(payload) => Err(format!(
                "panicked: {}",
                payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string panic payload)".to_string())
            )),
        };
        summary.record(scenario, result);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_as_named() {
        let lf = long_fat();
        assert_eq!(lf.bandwidth_bps, Some(1_000_000_000));
        assert_eq!(lf.queue_bytes, 6_250_000);
        assert_eq!(lf.delay, Duration::from_millis(25));
        assert_eq!(loss_10pct().loss, 0.10);
        let c = combined();
        assert_eq!((c.loss, c.duplicate, c.reorder), (0.01, 0.01, 0.05));
        assert!(c.jitter > Duration::ZERO);
        assert_eq!(profiles().len(), 8);
        assert!(profile("dup_1pct").is_some() && profile("nope").is_none());
    }

    #[test]
    fn scenario_lists_are_seeded_and_cover_profiles() {
        let a = scenarios(16, 7);
        assert_eq!(a, scenarios(16, 7));
        assert_ne!(a, scenarios(16, 8));
        for p in profiles() {
            assert_eq!(a.iter().filter(|s| s.profile_name == p.name).count(), 2);
        }
        let mut seeds: Vec<_> = a.iter().map(|s| s.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        assert_eq!(seeds.len(), 16);
    }

    #[test]
    fn replay_knobs_select() {
        let one = scenarios_with(Some("123"), Some("loss_10pct"), None, 50, 0);
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].seed, one[0].profile_name), (123, "loss_10pct"));
        assert_eq!(one[0].profile, loss_10pct());
        assert_eq!(
            one[0].replay_env(),
            "ANYSCTP_SIM_SEED=123 ANYSCTP_SIM_PROFILE=loss_10pct"
        );
        let per_profile = scenarios_with(Some("5"), None, None, 50, 0);
        assert_eq!(per_profile.len(), 8);
        let two = scenarios_with(None, Some("no_loss, long_fat"), Some("6"), 50, 0);
        assert_eq!(two.len(), 6);
        assert!(two
            .iter()
            .all(|s| s.profile_name == "no_loss" || s.profile_name == "long_fat"));
        assert_eq!(scenarios_with(None, None, None, 3, 0), scenarios(3, 0));
    }

    #[test]
    fn summary_names_failures_and_catches_panics() {
        let list = scenarios(8, 1);
        let target = list[2].seed;
        let s = run_scenarios("cargo test -p x", &list, |sc| {
            if sc.seed == target {
                panic!("boom {}", sc.seed);
            }
            if sc.profile_name == "loss_30pct" {
                return Err("lost".into());
            }
            Ok(())
        });
        assert!(!s.is_ok());
        assert_eq!(s.run(), 8);
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].message, format!("panicked: boom {target}"));
        let text = s.to_string();
        assert!(text.contains(&format!(
            "replay: ANYSCTP_SIM_SEED={target} ANYSCTP_SIM_PROFILE={} cargo test -p x",
            list[2].profile_name
        )));
        assert!(
            text.contains("loss_30pct          1      0      1"),
            "{text}"
        );
    }
}
