//! CUBIC (RFC 9438) on top of SCTP's loss detection and slow start.
//!
//! Deviations, all deliberate:
//! - Slow start is RFC 9260 §7.2.1's (byte counting limited to L * PMDCS),
//!   which RFC 9438 §4.10 permits, with HyStart++ (RFC 9406) as for
//!   NewReno when [`CongestionConfig::hystart`] is on.
//! - Loss response uses the current cwnd (as SCTP §7.2.3 does) with
//!   `beta = 0.7` and SCTP's floor of `4 * PMDCS`; cwnd never grows when the
//!   window is not fully utilised, which RFC 9438 §4.6 requires of
//!   implementations that reduce from cwnd.
//! - Time during which the window was not fully utilised is removed from
//!   the cubic epoch (RFC 9438 §4.2: t excludes application-limited time).
//! - CUBIC is more aggressive than RFC 9260 §7.2 permits on high-BDP paths,
//!   so it is opt-in ([`super::Algorithm::Cubic`]).

use super::hystart::HyStart;
use super::{initial_cwnd, AckEvent, CongestionConfig, CongestionController, IdleDecay, SlowStart};
use crate::time::Instant;
use crate::types::Tsn;
use core::time::Duration;

/// RFC 9438 §5: C = 0.4 segments / s^3.
const C: f64 = 0.4;
/// RFC 9438 §4.6: beta_cubic = 0.7.
const BETA: f64 = 0.7;

/// RFC 9438 CUBIC controller for one destination address.
#[derive(Clone, Debug)]
pub struct Cubic {
    cwnd: usize,
    ssthresh: usize,
    pmdcs: usize,
    recovery_exit: Option<Tsn>,
    idle: IdleDecay,
    fast_convergence: bool,
    /// W_max in bytes.
    w_max: f64,
    /// cwnd_prior in bytes.
    cwnd_prior: f64,
    /// Start of the current congestion avoidance stage.
    epoch: Option<Instant>,
    /// K in seconds.
    k: f64,
    /// W_est in bytes.
    w_est: f64,
    /// Fractional cwnd growth not yet applied (bytes).
    carry: f64,
    last_ack: Option<Instant>,
    slow_start: SlowStart,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Cubic {
    /// A controller in slow start with the RFC 9260 §7.2.1 initial cwnd.
    /// Fast convergence (RFC 9438 §4.7) is on.
    pub fn new(config: &CongestionConfig, pmdcs: usize, ipv6: bool) -> Self {
        let pmdcs = pmdcs.max(1);
        Cubic {
            cwnd: initial_cwnd(pmdcs, ipv6),
            ssthresh: u32::MAX as usize,
            pmdcs,
            recovery_exit: None,
            idle: IdleDecay::default(),
            fast_convergence: true,
            w_max: 0.0,
            cwnd_prior: 0.0,
            epoch: None,
            k: 0.0,
            w_est: 0.0,
            carry: 0.0,
            last_ack: None,
            slow_start: SlowStart::new(config),
        }
    }

    /// The HyStart++ state of the initial slow start.
    pub fn hystart(&self) -> &HyStart {
        self.slow_start.hystart()
    }

    /// W_max (bytes): the window before the last reduction.
    pub fn w_max(&self) -> usize {
        self.w_max as usize
    }

    /// K (RFC 9438 Figure 2): time from the start of the congestion
    /// avoidance stage until the window is back at W_max.
    pub fn k(&self) -> Duration {
        Duration::try_from_secs_f64(self.k).unwrap_or(Duration::ZERO)
    }

    fn fully_utilised(&self, flight_size: usize) -> bool {
        flight_size.saturating_add(self.pmdcs) > self.cwnd
    }

    /// W_cubic(t) in bytes (RFC 9438 Figure 1).
    fn w_cubic(&self, t: f64) -> f64 {
        let seg = self.pmdcs as f64;
        (C * (t - self.k).powi(3)) * seg + self.w_max
    }

    fn reduce(&mut self) {
        self.slow_start.end_initial();
        let cwnd = self.cwnd as f64;
        // §4.7 fast convergence, then §4.6.
        self.w_max = if self.fast_convergence && cwnd < self.w_max {
            cwnd * (1.0 + BETA) / 2.0
        } else {
            cwnd
        };
        self.cwnd_prior = cwnd;
        self.ssthresh = ((cwnd * BETA) as usize).max(self.pmdcs.saturating_mul(4));
        self.epoch = None;
        self.carry = 0.0;
    }

    fn congestion_avoidance(&mut self, ack: &AckEvent, now: Instant) {
        let seg = self.pmdcs as f64;
        let cwnd = self.cwnd as f64;
        let epoch = match self.epoch {
            Some(e) => e,
            None => {
                // Start of a congestion avoidance stage (§4.2, §4.8, §4.10).
                if self.w_max <= cwnd {
                    self.k = 0.0;
                    self.w_max = cwnd;
                } else {
                    self.k = ((self.w_max - cwnd) / seg / C).cbrt();
                }
                self.w_est = cwnd;
                self.epoch = Some(now);
                now
            }
        };
        let t = secs(now.saturating_duration_since(epoch));
        let rtt = ack.srtt.map(secs).unwrap_or(0.0);
        let target = self.w_cubic(t + rtt).clamp(cwnd, 1.5 * cwnd);
        // §4.3 Reno-friendly estimate.
        let alpha = if self.w_est >= self.cwnd_prior {
            1.0
        } else {
            3.0 * (1.0 - BETA) / (1.0 + BETA)
        };
        self.w_est += alpha * seg * ack.bytes_acked as f64 / cwnd;
        let new = if self.w_cubic(t) < self.w_est {
            self.w_est.max(cwnd)
        } else {
            // §4.4 / §4.5: (target - cwnd) / cwnd per SMSS acked.
            cwnd + (target - cwnd) * ack.bytes_acked as f64 / cwnd
        };
        let grown = (new - cwnd).max(0.0) + self.carry;
        let whole = grown.floor();
        self.carry = grown - whole;
        self.cwnd = self.cwnd.saturating_add(whole as usize);
    }
}

impl CongestionController for Cubic {
    fn cwnd(&self) -> usize {
        self.cwnd
    }

    fn ssthresh(&self) -> usize {
        self.ssthresh
    }

    fn pmdcs(&self) -> usize {
        self.pmdcs
    }

    fn set_pmdcs(&mut self, pmdcs: usize) {
        self.pmdcs = pmdcs.max(1);
    }

    fn in_fast_recovery(&self) -> bool {
        self.recovery_exit.is_some()
    }

    fn on_data_sent(&mut self, now: Instant) {
        self.idle.on_data_sent(now);
    }

    fn on_ack(&mut self, ack: &AckEvent, now: Instant) {
        let full = ack.burst_limited || self.fully_utilised(ack.flight_size_before);
        if let (Some(epoch), Some(last), false) = (self.epoch, self.last_ack, full) {
            // §4.2: application-limited time does not count towards t.
            self.epoch = Some(epoch + now.saturating_duration_since(last));
        }
        self.last_ack = Some(now);
        let grow = full && self.recovery_exit.is_none();
        if ack.bytes_acked > 0 {
            if self.cwnd <= self.ssthresh {
                self.slow_start
                    .on_ack(ack, self.pmdcs, &mut self.cwnd, &mut self.ssthresh, grow);
            } else if grow {
                self.congestion_avoidance(ack, now);
            }
        }
        if let Some(exit) = self.recovery_exit {
            if ack.cum_tsn_ack.ge(exit) {
                self.recovery_exit = None;
            }
        }
    }

    fn on_fast_retransmit(&mut self, highest_outstanding: Tsn, _now: Instant) -> bool {
        if self.recovery_exit.is_some() {
            return false;
        }
        self.reduce();
        self.cwnd = self.ssthresh;
        self.recovery_exit = Some(highest_outstanding);
        true
    }

    fn on_retransmission_timeout(&mut self, _now: Instant) {
        self.reduce();
        // §4.8: the first stage after a timeout starts with K = 0 and
        // W_max = cwnd at its beginning.
        self.w_max = 0.0;
        self.cwnd = self.pmdcs;
        self.recovery_exit = None;
    }

    fn on_idle(&mut self, now: Instant, rto: Duration) {
        if self
            .idle
            .apply(now, rto, self.pmdcs, &mut self.cwnd, &mut self.ssthresh)
        {
            self.epoch = None;
            self.slow_start.end_initial();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: usize = 1000;

    fn ack(bytes: usize, before: usize, cum: u32) -> AckEvent {
        super::super::test_ack(bytes, before, cum, Some(Duration::from_millis(100)), None)
    }

    fn cubic_at(cwnd: usize) -> Cubic {
        let mut c = Cubic::new(&CongestionConfig::default(), P, false);
        c.cwnd = cwnd;
        c
    }

    #[test]
    fn loss_reduces_by_beta_once_per_recovery() {
        let mut c = cubic_at(100 * P);
        assert!(c.on_fast_retransmit(Tsn(10), Instant::ZERO));
        assert_eq!(c.cwnd(), 70 * P);
        assert_eq!(c.ssthresh(), 70 * P);
        assert_eq!(c.w_max(), 100 * P);
        assert!(!c.on_fast_retransmit(Tsn(20), Instant::ZERO));
        assert_eq!(c.cwnd(), 70 * P);
    }

    #[test]
    fn window_regrows_to_w_max_after_k() {
        let mut c = cubic_at(100 * P);
        c.fast_convergence = false;
        c.on_fast_retransmit(Tsn(0), Instant::ZERO);
        c.on_ack(&ack(P, 70 * P, 0), Instant::ZERO);
        assert!(!c.in_fast_recovery());
        // cwnd == ssthresh is still slow start (RFC 9260 §7.2.1), so the
        // first full SACK takes cwnd to 71 PMDCS and the cubic epoch starts
        // there: K = cbrt((100 - 71) / 0.4) s ~ 4.17 s.
        let k = (29.0f64 / 0.4).cbrt();
        // Drive full windows of ACKs every 100 ms.
        let mut cum = 1u32;
        let mut at_k = 0;
        for step in 1..=80u64 {
            let now = Instant::from_millis(step * 100);
            let w = c.cwnd();
            let mut acked = 0;
            while acked < w {
                cum += 1;
                c.on_ack(&ack(P, c.cwnd(), cum), now);
                acked += P;
            }
            if now.as_micros() <= (k * 1e6) as u64 {
                assert!(c.cwnd() <= 101 * P, "concave: at most W_max before K");
                at_k = c.cwnd();
            }
        }
        assert!((c.k().as_secs_f64() - k).abs() < 1e-9, "{:?}", c.k());
        assert!(at_k >= 97 * P, "close to W_max around K: {at_k}");
        assert!(c.cwnd() > 110 * P, "convex growth past W_max: {}", c.cwnd());
    }

    #[test]
    fn no_growth_when_not_fully_utilised() {
        let mut c = cubic_at(50 * P);
        c.ssthresh = 10 * P;
        for i in 0..1000u32 {
            c.on_ack(&ack(P, 10 * P, i), Instant::from_millis(u64::from(i)));
        }
        assert_eq!(c.cwnd(), 50 * P);
    }

    #[test]
    fn timeout_collapses_and_restarts_with_k_zero() {
        let mut c = cubic_at(100 * P);
        c.on_retransmission_timeout(Instant::ZERO);
        assert_eq!(c.cwnd(), P);
        assert_eq!(c.ssthresh(), 70 * P);
        c.cwnd = 71 * P;
        c.on_ack(&ack(P, 71 * P, 1), Instant::ZERO);
        assert_eq!(c.k(), Duration::ZERO);
    }
}
