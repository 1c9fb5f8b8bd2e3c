//! Retransmission timeout estimation (RFC 9260 §6.3.1) with exponential
//! back-off (§6.3.3 E2).
//!
//! Karn's algorithm (§6.3.1 C5) is the caller's job: only feed
//! [`Rto::on_rtt_sample`] with measurements taken from chunks that were never
//! retransmitted (or from HEARTBEAT round trips). Rule C4 (at most one
//! measurement per round trip) is also the caller's: it picks which chunk it
//! times.

use core::time::Duration;

/// Protocol parameters of the RTO estimator (RFC 9260 §6.3.1, §16).
///
/// The defaults are the RFC's. Many deployed stacks (WebRTC data channels,
/// for instance) use a much lower `min`; set it here when that is wanted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RtoConfig {
    /// 'RTO.Initial': the RTO before any measurement (C1). Default 1 s.
    pub initial: Duration,
    /// 'RTO.Min': lower clamp of every computed RTO (C6). Default 1 s.
    pub min: Duration,
    /// 'RTO.Max': upper clamp of the RTO, including back-off (C7, E2).
    /// Default 60 s.
    pub max: Duration,
    /// 'RTO.Alpha', the SRTT gain (C3), in `0.0..=1.0`. Default 1/8.
    pub alpha: f64,
    /// 'RTO.Beta', the RTTVAR gain (C3), in `0.0..=1.0`. Default 1/4.
    pub beta: f64,
    /// Clock granularity G (G1): RTTVAR never drops below it. Default 1 ms.
    pub granularity: Duration,
}

impl Default for RtoConfig {
    fn default() -> Self {
        RtoConfig {
            initial: Duration::from_secs(1),
            min: Duration::from_secs(1),
            max: Duration::from_secs(60),
            alpha: 0.125,
            beta: 0.25,
            granularity: Duration::from_millis(1),
        }
    }
}

/// Per-destination RTO state: SRTT, RTTVAR and the current (possibly backed
/// off) RTO.
#[derive(Clone, Debug)]
pub struct Rto {
    config: RtoConfig,
    /// SRTT and RTTVAR in microseconds; `None` until the first sample (C1).
    smoothed: Option<(u64, u64)>,
    rto: Duration,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// `(1 - gain) * old + gain * new`, with the gain clamped to `0..=1`.
/// A saturating float-to-int cast: never panics, NaN gains count as 0.
fn ewma(old: u64, new: u64, gain: f64) -> u64 {
    let g = if gain.is_nan() {
        0.0
    } else {
        gain.clamp(0.0, 1.0)
    };
    ((1.0 - g) * old as f64 + g * new as f64).round() as u64
}

impl Rto {
    /// A fresh estimator: RTO = RTO.Initial (C1), clamped to `[min, max]`.
    pub fn new(config: RtoConfig) -> Self {
        let mut r = Rto {
            config,
            smoothed: None,
            rto: config.initial,
        };
        r.rto = r.clamp(config.initial);
        r
    }

    /// The parameters in use.
    pub fn config(&self) -> &RtoConfig {
        &self.config
    }

    /// The current RTO, including any back-off (what T3-rtx is started
    /// with, §6.3.2 R1).
    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// The smoothed round-trip time, once a sample has been taken.
    pub fn srtt(&self) -> Option<Duration> {
        self.smoothed.map(|(s, _)| Duration::from_micros(s))
    }

    /// The round-trip time variation, once a sample has been taken.
    pub fn rttvar(&self) -> Option<Duration> {
        self.smoothed.map(|(_, v)| Duration::from_micros(v))
    }

    fn clamp(&self, rto: Duration) -> Duration {
        // C6 then C7; if min > max by misconfiguration, max wins (never
        // panic like `Ord::clamp` would).
        rto.max(self.config.min).min(self.config.max)
    }

    /// Feeds one RTT measurement R (C2/C3) and recomputes the RTO, which
    /// "collapses" any back-off (§6.3.3, last paragraph).
    pub fn on_rtt_sample(&mut self, rtt: Duration) {
        let r = micros(rtt);
        let g = micros(self.config.granularity);
        let (srtt, rttvar) = match self.smoothed {
            // C2
            None => (r, r / 2),
            // C3: RTTVAR uses the SRTT before its own update.
            Some((srtt, rttvar)) => {
                let var = ewma(rttvar, srtt.abs_diff(r), self.config.beta);
                (ewma(srtt, r, self.config.alpha), var)
            }
        };
        // G1: a zero RTTVAR becomes G.
        let rttvar = if rttvar == 0 { g } else { rttvar };
        self.smoothed = Some((srtt, rttvar));
        let rto = srtt.saturating_add(rttvar.saturating_mul(4));
        self.rto = self.clamp(Duration::from_micros(rto));
    }

    /// Back-off on T3-rtx expiry or an unanswered HEARTBEAT (§6.3.3 E2,
    /// §8.3): RTO = min(2 * RTO, RTO.Max).
    pub fn backoff(&mut self) {
        self.rto = self.clamp(self.rto.saturating_mul(2));
    }

    /// Forgets all measurements (C1 again), e.g. after a change of route
    /// (§7.2.5.2).
    pub fn reset(&mut self) {
        *self = Rto::new(self.config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn low_min() -> RtoConfig {
        RtoConfig {
            min: ms(10),
            ..RtoConfig::default()
        }
    }

    #[test]
    fn initial_rto_before_any_sample() {
        let r = Rto::new(RtoConfig::default());
        assert_eq!(r.rto(), Duration::from_secs(1));
        assert_eq!(r.srtt(), None);
    }

    #[test]
    fn first_sample_sets_srtt_and_half_rttvar() {
        let mut r = Rto::new(low_min());
        r.on_rtt_sample(ms(100));
        assert_eq!(r.srtt(), Some(ms(100)));
        assert_eq!(r.rttvar(), Some(ms(50)));
        // SRTT + 4 * RTTVAR
        assert_eq!(r.rto(), ms(300));
    }

    #[test]
    fn subsequent_sample_uses_old_srtt_for_rttvar() {
        let mut r = Rto::new(low_min());
        r.on_rtt_sample(ms(100));
        r.on_rtt_sample(ms(200));
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms
        assert_eq!(r.rttvar(), Some(Duration::from_micros(62_500)));
        // SRTT = 7/8 * 100 + 1/8 * 200 = 112.5 ms
        assert_eq!(r.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(r.rto(), Duration::from_micros(112_500 + 4 * 62_500));
    }

    #[test]
    fn rto_is_clamped_to_min_and_max() {
        let mut r = Rto::new(RtoConfig::default());
        r.on_rtt_sample(ms(10));
        assert_eq!(r.rto(), Duration::from_secs(1), "C6: RTO.Min");
        r.on_rtt_sample(Duration::from_secs(100));
        assert_eq!(r.rto(), Duration::from_secs(60), "C7: RTO.Max");
    }

    #[test]
    fn zero_rttvar_becomes_granularity() {
        let mut r = Rto::new(RtoConfig {
            min: Duration::ZERO,
            ..RtoConfig::default()
        });
        r.on_rtt_sample(Duration::ZERO);
        assert_eq!(r.rttvar(), Some(ms(1)));
        assert_eq!(r.rto(), ms(4));
    }

    #[test]
    fn backoff_doubles_up_to_max_and_a_sample_collapses_it() {
        let mut r = Rto::new(RtoConfig::default());
        let mut expect = 1;
        for _ in 0..10 {
            r.backoff();
            expect = (expect * 2).min(60);
            assert_eq!(r.rto(), Duration::from_secs(expect));
        }
        assert_eq!(r.rto(), Duration::from_secs(60));
        r.on_rtt_sample(ms(100));
        assert_eq!(r.rto(), Duration::from_secs(1));
    }

    #[test]
    fn misconfigured_bounds_do_not_panic() {
        let mut r = Rto::new(RtoConfig {
            min: Duration::from_secs(10),
            max: Duration::from_secs(1),
            alpha: f64::NAN,
            beta: 7.0,
            ..RtoConfig::default()
        });
        r.on_rtt_sample(Duration::MAX);
        r.on_rtt_sample(ms(1));
        r.backoff();
        assert_eq!(r.rto(), Duration::from_secs(1));
    }

    proptest::proptest! {
        #[test]
        fn rto_always_within_bounds(samples in proptest::collection::vec(0u64..200_000_000, 1..50),
                                    backoffs in 0usize..20) {
            let cfg = RtoConfig { min: ms(200), ..RtoConfig::default() };
            let mut r = Rto::new(cfg);
            for s in samples {
                r.on_rtt_sample(Duration::from_micros(s));
                proptest::prop_assert!(r.rto() >= cfg.min && r.rto() <= cfg.max);
            }
            for _ in 0..backoffs {
                r.backoff();
                proptest::prop_assert!(r.rto() >= cfg.min && r.rto() <= cfg.max);
            }
        }
    }
}
