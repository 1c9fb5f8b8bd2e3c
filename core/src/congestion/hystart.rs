//! HyStart++ (RFC 9406): a delay-based exit from the initial slow start.
//!
//! Slow start doubles (with delayed SACKs: ×1.5) the window every round
//! trip until a loss; on a long fat path with a large receive window it
//! overshoots BDP + queue by up to one window and loses thousands of packets
//! in one round trip. HyStart++ watches the minimum RTT of the first
//! [`N_RTT_SAMPLE`] acknowledgements of each round: when it rises by
//! `clamp(last_round_min_rtt / 8, 4 ms, 16 ms)` (a queue is building), slow
//! start gives way to Conservative Slow Start (CSS: a quarter of the slow
//! start growth) for [`CSS_ROUNDS`] rounds, then congestion avoidance with
//! `ssthresh = cwnd`. If the RTT falls back below the CSS baseline, the exit
//! was spurious and slow start resumes (RFC 9406 §4.2).
//!
//! Adaptation to SCTP:
//! - The per-ACK RTT is the RTT of the newest DATA chunk (sent once) that a
//!   SACK newly acknowledges on this destination ([`super::AckEvent::rtt`]);
//!   RTO estimation keeps its one sample per round trip (RFC 9260 §6.3.1).
//! - A round is measured in bytes: it ends when everything outstanding on
//!   this destination when it began has been acknowledged (the equivalent of
//!   RFC 9406's `windowEnd = SND.NXT`, without TSNs in the controller).
//! - The growth limit L is RFC 9260 §7.2.1's byte-counting limit (the
//!   caller's `abc_limit`), not RFC 9406's L = 8: SCTP does not pace.
//! - Only the initial slow start uses it (RFC 9406 §4.3): any loss, timeout
//!   or idle decay ends it for the association's lifetime, since later slow
//!   starts stop at the ssthresh the first one found.

use super::AckEvent;
use core::time::Duration;

/// RFC 9406 §4.3: lower bound of the RTT increase threshold.
pub const MIN_RTT_THRESH: Duration = Duration::from_millis(4);
/// RFC 9406 §4.3: upper bound of the RTT increase threshold.
pub const MAX_RTT_THRESH: Duration = Duration::from_millis(16);
/// RFC 9406 §4.3: the threshold is the last round's minimum RTT divided by
/// this.
pub const MIN_RTT_DIVISOR: u32 = 8;
/// RFC 9406 §4.3: RTT samples per round before a decision.
pub const N_RTT_SAMPLE: u32 = 8;
/// RFC 9406 §4.3: CSS grows cwnd by a quarter of slow start's increase.
pub const CSS_GROWTH_DIVISOR: usize = 4;
/// RFC 9406 §4.3: rounds of CSS before congestion avoidance.
pub const CSS_ROUNDS: u32 = 5;

/// Where the initial slow start stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Standard slow start, watching the RTT.
    SlowStart,
    /// Conservative Slow Start after an RTT increase.
    Conservative,
    /// HyStart++ no longer applies (disabled, or the initial slow start is
    /// over).
    Off,
}

/// What the controller does with this SACK's slow-start increase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Growth {
    /// The full slow-start increase (RFC 9260 §7.2.1).
    SlowStart,
    /// The increase divided by [`CSS_GROWTH_DIVISOR`].
    Conservative,
    /// The last CSS round is over: set `ssthresh = cwnd` and continue in
    /// congestion avoidance.
    EnterCongestionAvoidance,
}

/// HyStart++ state for one destination.
#[derive(Clone, Debug)]
pub struct HyStart {
    phase: Phase,
    /// Bytes acknowledged on this destination so far (round accounting).
    acked: u64,
    /// The current round ends once `acked` reaches this; `None` before the
    /// first round starts.
    window_end: Option<u64>,
    last_round_min_rtt: Option<Duration>,
    current_round_min_rtt: Option<Duration>,
    rtt_sample_count: u32,
    css_baseline_min_rtt: Option<Duration>,
    css_rounds: u32,
}

impl HyStart {
    /// A HyStart++ instance for a new destination; `enabled == false` keeps
    /// it [`Phase::Off`] (plain RFC 9260 slow start).
    pub fn new(enabled: bool) -> Self {
        HyStart {
            phase: if enabled {
                Phase::SlowStart
            } else {
                Phase::Off
            },
            acked: 0,
            window_end: None,
            last_round_min_rtt: None,
            current_round_min_rtt: None,
            rtt_sample_count: 0,
            css_baseline_min_rtt: None,
            css_rounds: 0,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The initial slow start ended (loss, timeout, idle decay): HyStart++
    /// stops for good (RFC 9406 §4.2, last paragraphs).
    pub fn stop(&mut self) {
        self.phase = Phase::Off;
    }

    /// Feeds one SACK received in slow start and returns how cwnd may grow.
    /// Call it for every SACK while `cwnd <= ssthresh`, whether or not the
    /// window was fully used (the RTT sample counts either way).
    pub fn on_ack(&mut self, ack: &AckEvent) -> Growth {
        if self.phase == Phase::Off {
            return Growth::SlowStart;
        }
        self.acked = self
            .acked
            .saturating_add(u64::try_from(ack.bytes_acked).unwrap_or(u64::MAX));
        // Everything outstanding now was sent before this SACK: the round
        // that starts here ends once it is all acknowledged (RFC 9406 §4.2
        // `windowEnd = SND.NXT`).
        let next_window_end = self
            .acked
            .saturating_add(u64::try_from(ack.flight_size_after).unwrap_or(u64::MAX));
        let window_end = *self.window_end.get_or_insert(next_window_end);
        if let Some(rtt) = ack.rtt {
            self.current_round_min_rtt =
                Some(self.current_round_min_rtt.map_or(rtt, |m| m.min(rtt)));
            self.rtt_sample_count = self.rtt_sample_count.saturating_add(1);
        }
        if self.rtt_sample_count >= N_RTT_SAMPLE {
            self.decide();
        }
        if self.acked >= window_end {
            // The round is over: the next one starts.
            self.window_end = Some(next_window_end);
            if self.current_round_min_rtt.is_some() {
                self.last_round_min_rtt = self.current_round_min_rtt;
            }
            self.current_round_min_rtt = None;
            self.rtt_sample_count = 0;
            if self.phase == Phase::Conservative {
                self.css_rounds += 1;
                if self.css_rounds >= CSS_ROUNDS {
                    tracing::debug!("HyStart++: CSS over, congestion avoidance");
                    self.phase = Phase::Off;
                    return Growth::EnterCongestionAvoidance;
                }
            }
        }
        match self.phase {
            Phase::Conservative => Growth::Conservative,
            _ => Growth::SlowStart,
        }
    }

    /// RFC 9406 §4.2: the decisions taken once a round has
    /// [`N_RTT_SAMPLE`] RTT samples.
    fn decide(&mut self) {
        let Some(current) = self.current_round_min_rtt else {
            return;
        };
        match self.phase {
            Phase::SlowStart => {
                let Some(last) = self.last_round_min_rtt else {
                    return;
                };
                let thresh = (last / MIN_RTT_DIVISOR).clamp(MIN_RTT_THRESH, MAX_RTT_THRESH);
                if current >= last.saturating_add(thresh) {
                    tracing::debug!(?last, ?current, "HyStart++: RTT increase, CSS");
                    self.css_baseline_min_rtt = Some(current);
                    self.css_rounds = 0;
                    self.phase = Phase::Conservative;
                }
            }
            Phase::Conservative => {
                if self.css_baseline_min_rtt.is_some_and(|base| current < base) {
                    // The RTT increase was spurious.
                    tracing::debug!(?current, "HyStart++: RTT back down, slow start");
                    self.css_baseline_min_rtt = None;
                    self.phase = Phase::SlowStart;
                }
            }
            Phase::Off => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: usize = 1000;

    fn ack(bytes: usize, after: usize, rtt_ms: u64) -> AckEvent {
        let rtt = Some(Duration::from_millis(rtt_ms));
        super::super::test_ack(bytes, after + bytes, 0, None, rtt)
    }

    /// One round of `n` SACKs of one PMDCS each, with the given RTT, on a
    /// window of `n` PMDCS kept full.
    fn round(h: &mut HyStart, n: usize, rtt_ms: u64) -> Vec<Growth> {
        (0..n)
            .map(|_| {
                let after = if h.window_end.is_none() { n - 1 } else { n };
                h.on_ack(&ack(P, after * P, rtt_ms))
            })
            .collect()
    }

    /// A HyStart++ after one round per RTT in `rtts_ms`.
    fn after_rounds(rtts_ms: &[u64]) -> HyStart {
        let mut h = HyStart::new(true);
        for &rtt in rtts_ms {
            round(&mut h, 16, rtt);
        }
        h
    }

    #[test]
    fn stays_in_slow_start_while_the_rtt_is_flat() {
        let mut h = HyStart::new(true);
        for _ in 0..10 {
            let g = round(&mut h, 16, 50);
            assert!(g.iter().all(|g| *g == Growth::SlowStart));
        }
        assert_eq!(h.phase(), Phase::SlowStart);
    }

    #[test]
    fn rtt_increase_enters_css_after_eight_samples_then_congestion_avoidance() {
        // 50 ms / 8 = 6.25 ms threshold: 55 ms is below it.
        let mut h = after_rounds(&[50, 55]);
        assert_eq!(h.phase(), Phase::SlowStart);
        let g = round(&mut h, 16, 62);
        assert_eq!(g[6], Growth::SlowStart, "decision only after 8 samples");
        assert_eq!(g[7], Growth::Conservative);
        assert_eq!(h.phase(), Phase::Conservative);
        // After CSS_ROUNDS rounds in CSS (the entry round counts as one)
        // HyStart++ hands over to congestion avoidance, once.
        let mut growth = Vec::new();
        for _ in 0..CSS_ROUNDS {
            growth.extend(round(&mut h, 16, 62));
        }
        let exits: Vec<usize> = growth
            .iter()
            .enumerate()
            .filter(|(_, g)| **g == Growth::EnterCongestionAvoidance)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(exits.len(), 1, "{growth:?}");
        assert_eq!(h.phase(), Phase::Off);
        assert!(round(&mut h, 16, 62)
            .iter()
            .all(|g| *g == Growth::SlowStart));
    }

    #[test]
    fn threshold_is_clamped_between_4_and_16_ms() {
        // 10 ms RTT: 10 / 8 = 1.25 ms, clamped up to 4 ms.
        assert_eq!(after_rounds(&[10, 13]).phase(), Phase::SlowStart);
        let h = after_rounds(&[10, 13, 16]);
        assert_eq!(h.phase(), Phase::SlowStart, "13 + 4 ms not reached");
        assert_eq!(after_rounds(&[10, 13, 16, 20]).phase(), Phase::Conservative);
        // 400 ms RTT: 50 ms, clamped down to 16 ms.
        assert_eq!(after_rounds(&[400, 415]).phase(), Phase::SlowStart);
        assert_eq!(after_rounds(&[400, 416]).phase(), Phase::Conservative);
    }

    #[test]
    fn rtt_back_below_the_baseline_resumes_slow_start() {
        let mut h = after_rounds(&[50, 60]);
        assert_eq!(h.phase(), Phase::Conservative);
        let g = round(&mut h, 16, 51);
        assert_eq!(g[7], Growth::SlowStart);
        assert_eq!(h.phase(), Phase::SlowStart);
    }

    #[test]
    fn sacks_without_rtt_samples_decide_nothing() {
        let mut h = HyStart::new(true);
        round(&mut h, 16, 50);
        for i in 0..64 {
            let mut a = ack(P, 10 * P, 0);
            a.rtt = None;
            assert_eq!(h.on_ack(&a), Growth::SlowStart, "{i}");
        }
        assert_eq!(h.phase(), Phase::SlowStart);
    }

    #[test]
    fn disabled_or_stopped_is_plain_slow_start() {
        let mut h = HyStart::new(false);
        round(&mut h, 16, 50);
        assert!(round(&mut h, 16, 90)
            .iter()
            .all(|g| *g == Growth::SlowStart));
        let mut h = HyStart::new(true);
        round(&mut h, 16, 50);
        h.stop();
        assert!(round(&mut h, 16, 90)
            .iter()
            .all(|g| *g == Growth::SlowStart));
        assert_eq!(h.phase(), Phase::Off);
    }
}
