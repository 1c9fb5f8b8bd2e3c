//! Congestion control (RFC 9260 §7) behind a small trait.
//!
//! One controller per destination address (§7.2: cwnd, ssthresh and
//! partial_bytes_acked are kept per destination); the `path` room owns one
//! per path. All sizes are bytes of DATA chunks including chunk header and
//! padding (§7.2), and "PMDCS" is the path's maximum DATA chunk size (§1.3).
//!
//! # Trait and dispatch
//!
//! [`CongestionController`] is object-safe, so a user may plug a
//! `Box<dyn CongestionController>` into their own tests, but the core holds
//! the closed set of built-in algorithms in the [`Controller`] enum: static
//! dispatch (the calls are per SACK, on the hot path), no allocation per
//! path, and the state stays `Clone` (association handover/serialization).
//!
//! # Caller's duties
//!
//! - Per SACK, call [`CongestionController::on_ack`] **before**
//!   [`CongestionController::on_fast_retransmit`] (§7.2.4, last note).
//! - Before sending new data after a pause, call
//!   [`CongestionController::on_idle`] (§7.2.1, idle decay), and report every
//!   DATA transmission with [`CongestionController::on_data_sent`].
//! - Apply Max.Burst (§6.1 D: per incoming packet or timer event, not per
//!   packet; `path::Path::round_send_limit` does) and the one-packet
//!   overbooking of §6.1 B when deciding what to send.
//! - Give each SACK's per-chunk delay sample in [`AckEvent::rtt`]: the
//!   slow-start exit of [`hystart`] (RFC 9406) needs it.

mod cubic;
pub mod hystart;
mod reno;
#[cfg(test)]
mod sim;

pub use cubic::Cubic;
pub use reno::NewReno;

use crate::time::Instant;
use crate::types::Tsn;
use core::time::Duration;

/// What a SACK did on one destination (RFC 9260 §7.2.1, §7.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckEvent {
    /// Bytes (chunk header and padding included) of DATA chunks sent to this
    /// destination newly acknowledged by this SACK: by the cumulative TSN
    /// ack, by Gap Ack Blocks, and the bytes of chunks reported in Duplicate
    /// TSNs (§7.2.2).
    pub bytes_acked: usize,
    /// Bytes outstanding on this destination before the SACK arrived.
    pub flight_size_before: usize,
    /// Bytes still outstanding on this destination after the SACK.
    pub flight_size_after: usize,
    /// Since the previous SACK, Max.Burst (RFC 9260 §6.1 D) held back data
    /// the window had room for: the window counts as fully utilised
    /// (§7.2.1) whatever `flight_size_before` says.
    pub burst_limited: bool,
    /// The SACK's Cumulative TSN Ack (ends fast recovery, §7.2.4 rule 6).
    pub cum_tsn_ack: Tsn,
    /// The destination's smoothed RTT, if measured (used by CUBIC).
    pub srtt: Option<Duration>,
    /// The RTT of the most recently sent DATA chunk (sent once, Karn) this
    /// SACK newly acknowledged on this destination: a per-SACK delay sample
    /// for HyStart++ ([`hystart`]). Unlike RTO measurement (one sample per
    /// round trip, RFC 9260 §6.3.1 C4) every SACK may carry one.
    pub rtt: Option<Duration>,
}

/// Tunables shared by the built-in controllers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CongestionConfig {
    /// Which algorithm a new path uses.
    pub algorithm: Algorithm,
    /// Slow-start byte-counting limit L (§7.2.1, RFC 3465): cwnd grows by at
    /// most `L * PMDCS` per SACK. The RFC says SHOULD be 1, MAY be larger.
    /// Default 1; 0 is treated as 1.
    pub abc_limit: u32,
    /// 'Max.Burst' (§6.1 D, §16): packets sent in one burst, in response
    /// to one incoming packet or timer event. Default 4; 0 disables the
    /// limit.
    pub max_burst: u32,
    /// Leave the initial slow start on a rising RTT with HyStart++
    /// (RFC 9406, see [`hystart`]) instead of only on loss. Default on.
    pub hystart: bool,
}

impl Default for CongestionConfig {
    fn default() -> Self {
        CongestionConfig {
            algorithm: Algorithm::NewReno,
            abc_limit: 1,
            max_burst: 4,
            hystart: true,
        }
    }
}

/// The built-in algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// RFC 9260 §7.2 (TCP NewReno-style with SACK).
    #[default]
    NewReno,
    /// CUBIC (RFC 9438) in congestion avoidance. More aggressive than
    /// RFC 9260 §7.2 allows on high-BDP paths: opt-in only.
    Cubic,
}

/// RFC 9260 §7.2.1 initial cwnd: `min(4 * PMDCS, max(2 * PMDCS, 4404))`
/// towards an IPv4 peer address, `4344` instead of `4404` towards IPv6.
pub fn initial_cwnd(pmdcs: usize, ipv6: bool) -> usize {
    let floor = if ipv6 { 4344 } else { 4404 };
    pmdcs
        .saturating_mul(4)
        .min(pmdcs.saturating_mul(2).max(floor))
}

/// A congestion controller for one destination address (RFC 9260 §7.2).
pub trait CongestionController {
    /// Congestion window in bytes.
    fn cwnd(&self) -> usize;

    /// Slow-start threshold in bytes.
    fn ssthresh(&self) -> usize;

    /// The PMDCS the controller counts in.
    fn pmdcs(&self) -> usize;

    /// The path's PMDCS changed (PMTU discovery). Does not reset cwnd.
    fn set_pmdcs(&mut self, pmdcs: usize);

    /// Whether the destination is in Fast Recovery (§7.2.4).
    fn in_fast_recovery(&self) -> bool;

    /// DATA chunk(s) were sent (first transmission or retransmission) to
    /// this destination at `now` (for the idle rule of §7.2.1).
    fn on_data_sent(&mut self, now: Instant);

    /// A SACK acknowledged data sent to this destination (§7.2.1 slow start,
    /// §7.2.2 congestion avoidance); may end Fast Recovery (§7.2.4).
    fn on_ack(&mut self, ack: &AckEvent, now: Instant);

    /// Chunks last sent to this destination got their third miss indication
    /// (§7.2.4). `highest_outstanding` is the highest TSN outstanding on the
    /// association, which becomes the Fast Recovery exit point. Returns
    /// whether cwnd was reduced: only once per recovery period (§7.2.4
    /// rule 2/6); when `false` the caller is already in Fast Recovery and
    /// must not do the "send K chunks ignoring cwnd" step (rule 3).
    fn on_fast_retransmit(&mut self, highest_outstanding: Tsn, now: Instant) -> bool;

    /// T3-rtx expired on this destination (§6.3.3 E1, §7.2.3):
    /// `ssthresh = max(cwnd / 2, 4 * PMDCS)`, `cwnd = PMDCS`; ends Fast
    /// Recovery.
    fn on_retransmission_timeout(&mut self, now: Instant);

    /// Applies the idle decay of §7.2.1/§7.2.2: while no data has been sent
    /// to this destination, cwnd becomes `max(cwnd / 2, 4 * PMDCS)` once per
    /// `rto`, ssthresh being set to cwnd before the first decay. Idempotent
    /// for a given `now`; cost bounded by the number of halvings.
    fn on_idle(&mut self, now: Instant, rto: Duration);

    /// §6.1 D: the cwnd to use for *new* data in this burst, so that at
    /// most `max_burst` packets of PMDCS go out at once:
    /// `min(cwnd, flight_size + max_burst * PMDCS)`, with `flight_size`
    /// taken when the burst began (the incoming packet or timer event that
    /// triggered it), not before each packet. `max_burst == 0` means
    /// no limit. Does not change the stored cwnd.
    fn burst_limited_cwnd(&self, flight_size: usize, max_burst: u32) -> usize {
        if max_burst == 0 {
            return self.cwnd();
        }
        let burst = self.pmdcs().saturating_mul(max_burst as usize);
        self.cwnd().min(flight_size.saturating_add(burst))
    }
}

/// The built-in controllers, enum-dispatched (see the module docs).
#[derive(Clone, Debug)]
pub enum Controller {
    /// RFC 9260 §7.2.
    NewReno(NewReno),
    /// RFC 9438.
    Cubic(Cubic),
}

impl Controller {
    /// A controller for a new destination: `pmdcs` from the path's PMTU,
    /// `ipv6` picks the initial-window constant of §7.2.1.
    pub fn new(config: &CongestionConfig, pmdcs: usize, ipv6: bool) -> Self {
        match config.algorithm {
            Algorithm::NewReno => Controller::NewReno(NewReno::new(config, pmdcs, ipv6)),
            Algorithm::Cubic => Controller::Cubic(Cubic::new(config, pmdcs, ipv6)),
        }
    }

    fn inner(&self) -> &dyn CongestionController {
        match self {
            Controller::NewReno(c) => c,
            Controller::Cubic(c) => c,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn CongestionController {
        match self {
            Controller::NewReno(c) => c,
            Controller::Cubic(c) => c,
        }
    }
}

// One forwarding point for all variants; the `dyn` detour is a jump table
// the optimiser usually turns back into direct calls.
impl CongestionController for Controller {
    fn cwnd(&self) -> usize {
        self.inner().cwnd()
    }
    fn ssthresh(&self) -> usize {
        self.inner().ssthresh()
    }
    fn pmdcs(&self) -> usize {
        self.inner().pmdcs()
    }
    fn set_pmdcs(&mut self, pmdcs: usize) {
        self.inner_mut().set_pmdcs(pmdcs)
    }
    fn in_fast_recovery(&self) -> bool {
        self.inner().in_fast_recovery()
    }
    fn on_data_sent(&mut self, now: Instant) {
        self.inner_mut().on_data_sent(now)
    }
    fn on_ack(&mut self, ack: &AckEvent, now: Instant) {
        self.inner_mut().on_ack(ack, now)
    }
    fn on_fast_retransmit(&mut self, highest_outstanding: Tsn, now: Instant) -> bool {
        self.inner_mut()
            .on_fast_retransmit(highest_outstanding, now)
    }
    fn on_retransmission_timeout(&mut self, now: Instant) {
        self.inner_mut().on_retransmission_timeout(now)
    }
    fn on_idle(&mut self, now: Instant, rto: Duration) {
        self.inner_mut().on_idle(now, rto)
    }
}

/// Slow start as the built-in controllers share it: RFC 9260 §7.2.1 byte
/// counting limited to `L * PMDCS`, shaped by HyStart++ (RFC 9406).
#[derive(Clone, Debug)]
pub(crate) struct SlowStart {
    hystart: hystart::HyStart,
    abc_limit: usize,
}

impl SlowStart {
    pub(crate) fn new(config: &CongestionConfig) -> Self {
        SlowStart {
            hystart: hystart::HyStart::new(config.hystart),
            abc_limit: config.abc_limit.max(1) as usize,
        }
    }

    pub(crate) fn hystart(&self) -> &hystart::HyStart {
        &self.hystart
    }

    /// The initial slow start is over (loss, timeout, idle decay).
    pub(crate) fn end_initial(&mut self) {
        self.hystart.stop();
    }

    /// One SACK while `cwnd <= ssthresh`. cwnd grows only when the window
    /// was fully used (`grow`); in Conservative Slow Start by a quarter of
    /// the usual increase; when CSS ends, ssthresh comes down to cwnd.
    pub(crate) fn on_ack(
        &mut self,
        ack: &AckEvent,
        pmdcs: usize,
        cwnd: &mut usize,
        ssthresh: &mut usize,
        grow: bool,
    ) {
        let growth = self.hystart.on_ack(ack);
        if grow {
            let inc = ack.bytes_acked.min(self.abc_limit.saturating_mul(pmdcs));
            let inc = match growth {
                hystart::Growth::SlowStart => inc,
                _ => inc / hystart::CSS_GROWTH_DIVISOR,
            };
            *cwnd = cwnd.saturating_add(inc);
        }
        if growth == hystart::Growth::EnterCongestionAvoidance {
            // RFC 9406 §4.2 sets ssthresh = cwnd; one byte less, so that
            // RFC 9260 §7.2.1 ("cwnd <= ssthresh" is slow start) puts the
            // next SACK in congestion avoidance.
            *ssthresh = cwnd.saturating_sub(1);
        }
    }
}

/// The idle decay of RFC 9260 §7.2.1/§7.2.2, shared by the controllers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdleDecay {
    last_send: Option<Instant>,
    applied: u64,
}

impl IdleDecay {
    pub(crate) fn on_data_sent(&mut self, now: Instant) {
        self.last_send = Some(now);
        self.applied = 0;
    }

    /// Halves `cwnd` towards `4 * pmdcs` once per whole `rto` elapsed since
    /// the last send, setting `ssthresh = cwnd` before the first halving.
    /// Returns whether anything changed.
    pub(crate) fn apply(
        &mut self,
        now: Instant,
        rto: Duration,
        pmdcs: usize,
        cwnd: &mut usize,
        ssthresh: &mut usize,
    ) -> bool {
        let Some(last) = self.last_send else {
            return false;
        };
        let rto_us = rto.as_micros().max(1);
        let periods = u64::try_from(now.saturating_duration_since(last).as_micros() / rto_us)
            .unwrap_or(u64::MAX);
        let floor = pmdcs.saturating_mul(4);
        let mut changed = false;
        while self.applied < periods {
            if self.applied == 0 {
                *ssthresh = *cwnd;
                changed = true;
            }
            if *cwnd <= floor {
                // Already at max(cwnd / 2, 4 * PMDCS): nothing more to do.
                self.applied = periods;
                break;
            }
            *cwnd = (*cwnd / 2).max(floor);
            self.applied += 1;
        }
        changed
    }
}

/// An [`AckEvent`] for unit tests: `bytes` acked out of `before` in
/// flight.
#[cfg(test)]
pub(crate) fn test_ack(
    bytes: usize,
    before: usize,
    cum: u32,
    srtt: Option<Duration>,
    rtt: Option<Duration>,
) -> AckEvent {
    AckEvent {
        bytes_acked: bytes,
        flight_size_before: before,
        flight_size_after: before.saturating_sub(bytes),
        burst_limited: false,
        cum_tsn_ack: Tsn(cum),
        srtt,
        rtt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_cwnd_formula() {
        // Small PMDCS: 4 * PMDCS wins.
        assert_eq!(initial_cwnd(500, false), 2000);
        // Typical Ethernet: max(2 * 1452, 4404) = 4404 < 4 * 1452.
        assert_eq!(initial_cwnd(1452, false), 4404);
        assert_eq!(initial_cwnd(1452, true), 4344);
        // Jumbo: 2 * PMDCS.
        assert_eq!(initial_cwnd(9000, false), 18000);
    }

    #[test]
    fn burst_limit_caps_new_data_only_when_window_is_large() {
        let c = Controller::new(&CongestionConfig::default(), 1000, false);
        // cwnd 4000 < 0 + 4 * 1000 is not exceeded: limit is cwnd.
        assert_eq!(c.burst_limited_cwnd(0, 4), c.cwnd());
        let mut r = NewReno::new(&CongestionConfig::default(), 1000, false);
        r.set_cwnd_for_test(100_000);
        assert_eq!(r.burst_limited_cwnd(10_000, 4), 14_000);
        assert_eq!(r.burst_limited_cwnd(10_000, 0), 100_000);
        assert_eq!(r.cwnd(), 100_000, "§6.1 D: cwnd not changed permanently");
    }
}
