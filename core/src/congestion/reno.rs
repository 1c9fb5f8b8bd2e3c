//! The congestion control of RFC 9260 §7.2 (TCP NewReno with SACK,
//! RFC 5681 adapted to SCTP).

use super::hystart::HyStart;
use super::{initial_cwnd, AckEvent, CongestionConfig, CongestionController, IdleDecay, SlowStart};
use crate::time::Instant;
use crate::types::Tsn;
use core::time::Duration;

/// RFC 9260 §7.2 controller for one destination address.
///
/// "Fully utilised" (the precondition for any cwnd growth, §7.2.1 and
/// §7.2.2) is taken as: before the SACK, less than one PMDCS of the window
/// was free, i.e. `flight_size_before + PMDCS > cwnd`. For a sender that
/// overbooks by up to PMDCS - 1 bytes as §6.1 B says it SHOULD, this is the
/// RFC's `flightsize >= cwnd`; for one that does not, it avoids a window
/// that can never grow because full-size chunks never fill it exactly.
///
/// Fast Recovery is tracked per destination: a loss reduces only the cwnd
/// of the destination the lost chunks were sent to (§7.2.4 rule 2), so its
/// recovery period is that destination's too. No cwnd growth happens while
/// in Fast Recovery (§7.2.1 forbids it for slow start; holding cwnd during
/// congestion avoidance as well is the conservative reading, allowed by §7).
///
/// There is no upper bound on cwnd other than `usize` arithmetic
/// (saturating): the receiver window limits the sender, not this.
#[derive(Clone, Debug)]
pub struct NewReno {
    cwnd: usize,
    ssthresh: usize,
    partial_bytes_acked: usize,
    pmdcs: usize,
    /// Fast Recovery exit point (§7.2.4 rule 6), `Some` while in recovery.
    recovery_exit: Option<Tsn>,
    idle: IdleDecay,
    slow_start: SlowStart,
}

impl NewReno {
    /// A controller in slow start with the initial cwnd of §7.2.1 and an
    /// "arbitrarily high" ssthresh (the largest advertisable rwnd).
    pub fn new(config: &CongestionConfig, pmdcs: usize, ipv6: bool) -> Self {
        let pmdcs = pmdcs.max(1);
        NewReno {
            cwnd: initial_cwnd(pmdcs, ipv6),
            ssthresh: u32::MAX as usize,
            partial_bytes_acked: 0,
            pmdcs,
            recovery_exit: None,
            idle: IdleDecay::default(),
            slow_start: SlowStart::new(config),
        }
    }

    /// The HyStart++ state of the initial slow start.
    pub fn hystart(&self) -> &HyStart {
        self.slow_start.hystart()
    }

    /// partial_bytes_acked (§7.2.2).
    pub fn partial_bytes_acked(&self) -> usize {
        self.partial_bytes_acked
    }

    #[cfg(test)]
    pub(crate) fn set_cwnd_for_test(&mut self, cwnd: usize) {
        self.cwnd = cwnd;
    }

    fn fully_utilised(&self, flight_size: usize) -> bool {
        flight_size.saturating_add(self.pmdcs) > self.cwnd
    }

    /// §7.2.3: ssthresh = max(cwnd / 2, 4 * PMDCS).
    fn halve_ssthresh(&mut self) {
        self.ssthresh = (self.cwnd / 2).max(self.pmdcs.saturating_mul(4));
        self.partial_bytes_acked = 0;
    }
}

impl CongestionController for NewReno {
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

    fn on_ack(&mut self, ack: &AckEvent, _now: Instant) {
        let grow = self.recovery_exit.is_none()
            && (ack.burst_limited || self.fully_utilised(ack.flight_size_before));
        if ack.bytes_acked > 0 {
            if self.cwnd <= self.ssthresh {
                // §7.2.1 slow start with byte counting limited to L * PMDCS.
                self.slow_start
                    .on_ack(ack, self.pmdcs, &mut self.cwnd, &mut self.ssthresh, grow);
            } else if self.recovery_exit.is_none() {
                // §7.2.2 congestion avoidance: one PMDCS per cwnd acked.
                self.partial_bytes_acked = self.partial_bytes_acked.saturating_add(ack.bytes_acked);
                if grow {
                    if self.partial_bytes_acked >= self.cwnd {
                        self.partial_bytes_acked -= self.cwnd;
                        self.cwnd = self.cwnd.saturating_add(self.pmdcs);
                    }
                } else if self.partial_bytes_acked > self.cwnd {
                    self.partial_bytes_acked = self.cwnd;
                }
            }
        }
        // §7.2.2: all data acknowledged resets partial_bytes_acked.
        if ack.flight_size_after == 0 {
            self.partial_bytes_acked = 0;
        }
        // §7.2.4 rule 6: leave Fast Recovery once the exit point is acked.
        if let Some(exit) = self.recovery_exit {
            if ack.cum_tsn_ack.ge(exit) {
                self.recovery_exit = None;
            }
        }
    }

    fn on_fast_retransmit(&mut self, highest_outstanding: Tsn, _now: Instant) -> bool {
        if self.recovery_exit.is_some() {
            // §7.2.4 rule 6: one reduction per recovery period.
            return false;
        }
        // §7.2.3 loss detected from SACKs: cwnd = ssthresh.
        self.slow_start.end_initial();
        self.halve_ssthresh();
        self.cwnd = self.ssthresh;
        self.recovery_exit = Some(highest_outstanding);
        true
    }

    fn on_retransmission_timeout(&mut self, _now: Instant) {
        // §7.2.3 / §6.3.3 E1: back to one PMDCS and slow start.
        self.slow_start.end_initial();
        self.halve_ssthresh();
        self.cwnd = self.pmdcs;
        self.recovery_exit = None;
    }

    fn on_idle(&mut self, now: Instant, rto: Duration) {
        if self
            .idle
            .apply(now, rto, self.pmdcs, &mut self.cwnd, &mut self.ssthresh)
        {
            // The window no longer reflects the path: no HyStart++ decisions
            // from here on (RFC 9406 §4.2: initial slow start only).
            self.slow_start.end_initial();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: usize = 1000;

    fn reno() -> NewReno {
        NewReno::new(&CongestionConfig::default(), P, false)
    }

    fn ack(bytes: usize, before: usize, cum: u32) -> AckEvent {
        super::super::test_ack(bytes, before, cum, None, None)
    }

    const T: Instant = Instant::ZERO;

    #[test]
    fn starts_in_slow_start_with_initial_window() {
        let r = reno();
        assert_eq!(r.cwnd(), 4000);
        assert!(r.ssthresh() >= u32::MAX as usize);
        assert!(!r.in_fast_recovery());
    }

    #[test]
    fn slow_start_grows_by_at_most_one_pmdcs_per_sack() {
        let mut r = reno();
        // Full window outstanding, a SACK acks 3 PMDCS: +1 PMDCS (L = 1).
        r.on_ack(&ack(3 * P, 4000, 3), T);
        assert_eq!(r.cwnd(), 5000);
        // A SACK acking 200 bytes grows by 200 only (ACK-splitting guard).
        r.on_ack(&ack(200, 5000, 4), T);
        assert_eq!(r.cwnd(), 5200);
    }

    #[test]
    fn slow_start_abc_limit_l_above_one() {
        let cfg = CongestionConfig {
            abc_limit: 2,
            ..CongestionConfig::default()
        };
        let mut r = NewReno::new(&cfg, P, false);
        r.on_ack(&ack(3 * P, 4000, 3), T);
        assert_eq!(r.cwnd(), 6000);
    }

    #[test]
    fn no_growth_when_window_not_fully_utilised() {
        let mut r = reno();
        r.on_ack(&ack(P, 2000, 1), T);
        assert_eq!(r.cwnd(), 4000, "slow start");
        r.ssthresh = 3000; // now in congestion avoidance
        for i in 0..20 {
            r.on_ack(&ack(P, 2000, 2 + i), T);
        }
        assert_eq!(r.cwnd(), 4000, "congestion avoidance");
        assert!(r.partial_bytes_acked() <= r.cwnd());
    }

    #[test]
    fn congestion_avoidance_grows_one_pmdcs_per_window_acked() {
        let mut r = reno();
        r.cwnd = 10 * P;
        r.ssthresh = 5 * P;
        // One RTT's worth of SACKs, each acking 2 PMDCS with the window full.
        for i in 0..5u32 {
            r.on_ack(&ack(2 * P, 10 * P, 2 * i + 2), T);
        }
        assert_eq!(r.cwnd(), 11 * P);
        assert_eq!(r.partial_bytes_acked(), 0);
        // The next 10 PMDCS acked grow by less than one PMDCS...
        for i in 0..5u32 {
            r.on_ack(&ack(2 * P, 11 * P, 12 + 2 * i), T);
        }
        assert_eq!(r.cwnd(), 11 * P);
        // ...and the 11th PMDCS completes the window.
        r.on_ack(&ack(P, 11 * P, 23), T);
        assert_eq!(r.cwnd(), 12 * P);
    }

    #[test]
    fn partial_bytes_acked_reset_when_all_acked() {
        let mut r = reno();
        r.cwnd = 10 * P;
        r.ssthresh = 5 * P;
        r.on_ack(&ack(3 * P, 10 * P, 3), T);
        assert_eq!(r.partial_bytes_acked(), 3 * P);
        r.on_ack(&ack(P, P, 4), T);
        assert_eq!(r.partial_bytes_acked(), 0);
    }

    #[test]
    fn fast_recovery_reduces_once_and_exits_past_the_exit_point() {
        let mut r = reno();
        r.cwnd = 20 * P;
        assert!(r.on_fast_retransmit(Tsn(100), T));
        assert_eq!(r.ssthresh(), 10 * P);
        assert_eq!(r.cwnd(), 10 * P);
        assert!(r.in_fast_recovery());
        // Further losses within the recovery period: no further reduction.
        assert!(!r.on_fast_retransmit(Tsn(120), T));
        assert_eq!(r.cwnd(), 10 * P);
        // No growth during recovery even with a full window.
        r.on_ack(&ack(2 * P, 12 * P, 90), T);
        assert_eq!(r.cwnd(), 10 * P);
        assert!(r.in_fast_recovery());
        // Cum ack reaches the exit point: recovery over.
        r.on_ack(&ack(2 * P, 12 * P, 100), T);
        assert!(!r.in_fast_recovery());
        // A new loss now reduces again.
        assert!(r.on_fast_retransmit(Tsn(150), T));
        assert_eq!(r.cwnd(), 5 * P);
    }

    #[test]
    fn fast_recovery_exit_point_across_tsn_wrap() {
        let mut r = reno();
        r.cwnd = 20 * P;
        assert!(r.on_fast_retransmit(Tsn(5), T));
        r.on_ack(&ack(P, 10 * P, u32::MAX - 3), T);
        assert!(
            r.in_fast_recovery(),
            "u32::MAX - 3 is before 5 in serial order"
        );
        r.on_ack(&ack(P, 10 * P, 6), T);
        assert!(!r.in_fast_recovery());
    }

    #[test]
    fn loss_reduction_floor_is_four_pmdcs() {
        let mut r = reno();
        r.cwnd = 5 * P;
        r.on_fast_retransmit(Tsn(1), T);
        assert_eq!(r.cwnd(), 4 * P);
    }

    #[test]
    fn retransmission_timeout_collapses_to_one_pmdcs() {
        let mut r = reno();
        r.cwnd = 30 * P;
        r.on_fast_retransmit(Tsn(10), T);
        r.on_retransmission_timeout(T);
        assert_eq!(r.cwnd(), P);
        assert_eq!(r.ssthresh(), 7 * P + P / 2);
        assert!(!r.in_fast_recovery());
        // Slow start again from one PMDCS.
        r.on_ack(&ack(P, P, 11), T);
        assert_eq!(r.cwnd(), 2 * P);
    }

    #[test]
    fn idle_decay_halves_once_per_rto_down_to_four_pmdcs() {
        let mut r = reno();
        r.cwnd = 64 * P;
        r.ssthresh = 10 * P;
        let rto = Duration::from_secs(1);
        r.on_data_sent(Instant::from_millis(0));
        r.on_idle(Instant::from_millis(999), rto);
        assert_eq!(r.cwnd(), 64 * P, "not idle for an RTO yet");
        r.on_idle(Instant::from_millis(1000), rto);
        assert_eq!(r.ssthresh(), 64 * P, "ssthresh = cwnd before first decay");
        assert_eq!(r.cwnd(), 32 * P);
        r.on_idle(Instant::from_millis(1500), rto);
        assert_eq!(r.cwnd(), 32 * P, "idempotent within the same RTO");
        r.on_idle(Instant::from_millis(3000), rto);
        assert_eq!(r.cwnd(), 8 * P);
        r.on_idle(Instant::from_millis(1_000_000_000), rto);
        assert_eq!(r.cwnd(), 4 * P);
        assert_eq!(r.ssthresh(), 64 * P);
        // Sending restarts the idle clock.
        r.cwnd = 16 * P;
        r.on_data_sent(Instant::from_millis(1_000_000_000));
        r.on_idle(Instant::from_millis(1_000_000_500), rto);
        assert_eq!(r.cwnd(), 16 * P);
    }

    #[test]
    fn idle_before_any_send_changes_nothing() {
        let mut r = reno();
        r.on_idle(Instant::from_millis(100_000), Duration::ZERO);
        assert_eq!(r.cwnd(), 4000);
    }

    #[test]
    fn hystart_css_grows_a_quarter_then_hands_over_to_congestion_avoidance() {
        use crate::congestion::hystart::Phase;
        let mut r = reno();
        let mut cum = 0u32;
        // One SACK per PMDCS with the window full, at a given RTT.
        let mut sack = |r: &mut NewReno, rtt_ms: u64| {
            cum += 1;
            let mut a = ack(P, r.cwnd(), cum);
            a.rtt = Some(Duration::from_millis(rtt_ms));
            r.on_ack(&a, T);
        };
        for _ in 0..40 {
            sack(&mut r, 50);
        }
        assert_eq!(r.hystart().phase(), Phase::SlowStart);
        // A queue builds: 70 ms >= 50 + 6.25 ms.
        let mut n = 0;
        while r.hystart().phase() == Phase::SlowStart {
            sack(&mut r, 70);
            n += 1;
            assert!(n < 1000, "no exit to CSS");
        }
        let c = r.cwnd();
        sack(&mut r, 70);
        assert_eq!(r.cwnd(), c + P / 4, "CSS: a quarter of slow start");
        assert!(r.ssthresh() >= u32::MAX as usize, "still slow start");
        while r.hystart().phase() == Phase::Conservative {
            sack(&mut r, 70);
            n += 1;
            assert!(n < 10_000, "CSS never ended");
        }
        assert_eq!(r.ssthresh(), r.cwnd() - 1, "RFC 9406: ssthresh = cwnd");
        let c = r.cwnd();
        sack(&mut r, 70);
        assert_eq!(r.cwnd(), c, "congestion avoidance: no growth per SACK");
        assert_eq!(r.partial_bytes_acked(), P);
    }

    #[test]
    fn hystart_disabled_is_plain_slow_start() {
        let cfg = CongestionConfig {
            hystart: false,
            ..CongestionConfig::default()
        };
        let mut r = NewReno::new(&cfg, P, false);
        for i in 0..200u32 {
            let c = r.cwnd();
            let mut a = ack(P, c, i);
            a.rtt = Some(Duration::from_millis(50 + u64::from(i)));
            r.on_ack(&a, T);
            assert_eq!(r.cwnd(), c + P);
        }
    }

    #[test]
    fn cwnd_is_not_capped_below_a_large_bdp() {
        let mut r = reno();
        let mut cum = 0u32;
        while r.cwnd() < 10_000_000 {
            cum = cum.wrapping_add(1);
            let c = r.cwnd();
            r.on_ack(&ack(P, c, cum), T);
            assert!(r.cwnd() > c);
        }
    }
}
