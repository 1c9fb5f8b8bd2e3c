//! HEARTBEAT scheduling, path confirmation and heartbeat failure detection
//! (RFC 9260 §5.4, §8.3; RFC 7829 §3.2 rules 5–7).
//!
//! Use per path:
//! 1. [`Path::start_heartbeats`] when the association reaches ESTABLISHED
//!    (§8.3; §5.4 probing starts then too), [`Path::stop_heartbeats`] after
//!    SHUTDOWN / SHUTDOWN ACK is sent.
//! 2. When [`Path::heartbeat_due`], send a HEARTBEAT whose Heartbeat Info
//!    carries a fresh random 64-bit nonce and the path's identity, then call
//!    [`Path::on_heartbeat_sent`].
//! 3. When [`Path::heartbeat_timed_out`], call
//!    `PathSet::on_heartbeat_timeout` (or [`Path::on_heartbeat_timeout`]).
//! 4. On a HEARTBEAT ACK, call `PathSet::on_heartbeat_ack` (or
//!    [`Path::on_heartbeat_ack`]) with the echoed nonce.
//!
//! The RTT of a HEARTBEAT is measured from the send time recorded here
//! against its nonce, not from a time echoed by the peer, so a peer cannot
//! forge RTT samples; only the nonce has to travel in the Heartbeat Info.

use super::{Path, PathConfig, PathEvent, PathEventKind, PathEventReason, Reach};
use crate::time::Instant;
use core::time::Duration;

/// A HEARTBEAT in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Probe {
    nonce: u64,
    sent: Instant,
}

/// The heartbeat part of a path's state.
#[derive(Clone, Debug)]
pub(super) struct HeartbeatState {
    enabled: bool,
    interval: Duration,
    running: bool,
    /// When the next HEARTBEAT is due.
    next_send: Option<Instant>,
    /// The last random jitter value given, reused when rescheduling.
    jitter: u32,
    /// The period last scheduled with (for postponing on traffic).
    period: Duration,
    /// The two most recent probes (newest first): a late ACK of the previous
    /// one still confirms the path.
    probes: [Option<Probe>; 2],
    /// When the newest probe counts as unanswered (sent + RTO).
    ack_deadline: Option<Instant>,
}

impl HeartbeatState {
    pub(super) fn new(config: &PathConfig) -> Self {
        HeartbeatState {
            enabled: config.heartbeat_enabled,
            interval: config.hb_interval,
            running: false,
            next_send: None,
            jitter: u32::MAX / 2,
            period: config.hb_interval,
            probes: [None, None],
            ack_deadline: None,
        }
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        crate::time::earlier(self.next_send, self.ack_deadline)
    }

    /// DATA was sent: an active confirmed path is not idle, so its next
    /// heartbeat moves a full period on (§8.3 "idle").
    pub(super) fn on_traffic(&mut self, now: Instant, regular: bool) {
        if regular && self.next_send.is_some() {
            // Same period as when scheduled; RTO changes are picked up at the
            // next HEARTBEAT.
            self.next_send = Some(now + self.period);
        }
    }
}

/// Result of a HEARTBEAT ACK that matched one of our nonces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeartbeatAck {
    /// The measured round trip (already fed to the path's RTO, §8.3).
    pub rtt: Duration,
    /// The state change it caused, if any (confirmation or reactivation).
    pub event: Option<PathEvent>,
}

impl Path {
    /// Whether heartbeats are enabled for this (confirmed) path.
    pub fn heartbeat_enabled(&self) -> bool {
        self.hb.enabled
    }

    /// Turns heartbeats on this path on or off (§8.3 A, C). Probes of an
    /// unconfirmed path continue regardless (§5.4).
    pub fn set_heartbeat_enabled(&mut self, enabled: bool, now: Instant) {
        self.hb.enabled = enabled;
        if self.hb.running {
            self.schedule_heartbeat(now);
        }
    }

    /// 'HB.interval' of this path.
    pub fn heartbeat_interval(&self) -> Duration {
        self.hb.interval
    }

    /// Changes 'HB.interval' (§8.3 B), effective from the next HEARTBEAT.
    pub fn set_heartbeat_interval(&mut self, interval: Duration) {
        self.hb.interval = interval;
    }

    /// Starts heartbeats/probing (association ESTABLISHED). An unconfirmed
    /// path is probed after one RTO; a confirmed one after a heartbeat
    /// period.
    /// `random` is any value from the caller's RNG (for jitter).
    pub fn start_heartbeats(&mut self, now: Instant, random: u32) {
        self.hb.running = true;
        self.hb.jitter = random;
        if self.confirmed {
            self.schedule_heartbeat(now);
        } else {
            // §5.4 probing is rate-limited; the first probe waits one RTO so
            // that the handshake's answers and first data go out first.
            self.hb.next_send = Some(now + self.rto.rto());
        }
    }

    /// Stops heartbeats (SHUTDOWN sent or received, §8.3).
    pub fn stop_heartbeats(&mut self) {
        self.hb.running = false;
        self.hb.next_send = None;
        self.hb.ack_deadline = None;
    }

    /// Whether a HEARTBEAT should be sent to this path now.
    pub fn heartbeat_due(&self, now: Instant) -> bool {
        self.hb.next_send.is_some_and(|t| t <= now)
    }

    /// When the next HEARTBEAT is due, if scheduled.
    pub fn next_heartbeat(&self) -> Option<Instant> {
        self.hb.next_send
    }

    /// Whether the newest HEARTBEAT went unanswered for an RTO.
    pub fn heartbeat_timed_out(&self, now: Instant) -> bool {
        self.hb.ack_deadline.is_some_and(|t| t <= now)
    }

    /// Whether the path is probed once per RTO: potentially failed (RFC 7829
    /// rule 5) or unconfirmed and not yet inactive (§5.4: an unconfirmed
    /// path that became inactive falls back to the normal rate).
    fn probing_fast(&self) -> bool {
        match self.reach {
            Reach::PotentiallyFailed => true,
            Reach::Active => !self.confirmed,
            Reach::Inactive => false,
        }
    }

    /// The period until the next HEARTBEAT (§8.3, RFC 7829 rule 5, §5.4):
    /// one RTO while [`Self::probing_fast`], otherwise
    /// RTO + HB.interval with a jitter of ±50 % of the RTO.
    fn heartbeat_period(&self) -> Duration {
        let rto = self.rto.rto();
        if self.probing_fast() {
            return rto;
        }
        // rto/2 + rto * jitter / 2^32, i.e. uniform in [rto/2, 3*rto/2).
        let rto_us = u64::try_from(rto.as_micros()).unwrap_or(u64::MAX / 4);
        let jittered = (u128::from(rto_us) * u128::from(self.hb.jitter)) >> 32;
        let jittered = u64::try_from(jittered).unwrap_or(u64::MAX);
        self.hb
            .interval
            .saturating_add(Duration::from_micros(rto_us / 2))
            .saturating_add(Duration::from_micros(jittered))
    }

    fn schedule_heartbeat(&mut self, now: Instant) {
        let sends = self.hb.running && (self.hb.enabled || !self.confirmed);
        self.hb.period = self.heartbeat_period();
        self.hb.next_send = sends.then(|| now + self.hb.period);
    }

    /// The unanswered HEARTBEAT, if any, no longer counts as a timeout
    /// (data acknowledged here answered it, see [`Path::on_data_acked`]).
    /// A late HEARTBEAT ACK still matches its nonce, for the RTT and for
    /// confirmation.
    pub(super) fn settle_heartbeat(&mut self) {
        if self.confirmed {
            self.hb.ack_deadline = None;
        }
    }

    /// Schedules the next HEARTBEAT from `now` at the rate of the path's
    /// current state, if heartbeats run.
    pub(super) fn reschedule_heartbeat(&mut self, now: Instant) {
        if self.hb.running {
            self.schedule_heartbeat(now);
        }
    }

    /// Schedules a HEARTBEAT for `now` if heartbeats run for this path.
    pub(super) fn probe_now(&mut self, now: Instant) {
        if self.hb.running && (self.hb.enabled || !self.confirmed) {
            self.hb.next_send = Some(now);
        }
    }

    /// A HEARTBEAT carrying `nonce` was sent at `now`. `random` is a fresh
    /// value from the caller's RNG, used for the jitter of the next period.
    pub fn on_heartbeat_sent(&mut self, now: Instant, nonce: u64, random: u32) {
        self.hb.probes = [Some(Probe { nonce, sent: now }), self.hb.probes[0]];
        self.hb.ack_deadline = Some(now + self.rto.rto());
        self.hb.jitter = random;
        self.schedule_heartbeat(now);
    }

    /// The newest HEARTBEAT went unanswered for an RTO (§8.3): back off the
    /// RTO and count an error. An unconfirmed or potentially failed path is
    /// probed again at once (RFC 7829 rule 6).
    pub fn on_heartbeat_timeout(&mut self, now: Instant) -> Option<PathEvent> {
        self.hb.ack_deadline = None;
        self.rto.backoff();
        let event = self.on_timeout_error(PathEventReason::HeartbeatTimeout);
        if self.probing_fast() {
            self.probe_now(now);
        } else if self.hb.running {
            // Inactive: back to the normal, backed-off rate (§5.4, §8.3).
            self.schedule_heartbeat(now);
        }
        event
    }

    /// A HEARTBEAT ACK echoed `nonce`. Returns `None` when the nonce is not
    /// one of ours for this path (stale or forged: ignore it). Otherwise the
    /// RTT is fed to the RTO (§8.3), the error counter is cleared, and the
    /// path is confirmed (§5.4) or made active again (§8.3, RFC 7829
    /// rule 7).
    pub fn on_heartbeat_ack(&mut self, now: Instant, nonce: u64) -> Option<HeartbeatAck> {
        let idx = self
            .hb
            .probes
            .iter()
            .position(|p| p.is_some_and(|p| p.nonce == nonce))?;
        let probe = self.hb.probes[idx].take()?;
        if idx == 0 {
            self.hb.ack_deadline = None;
        }
        let rtt = now.saturating_duration_since(probe.sent);
        self.rto.on_rtt_sample(rtt);
        self.error_count = 0;
        let event = if !self.confirmed {
            self.confirmed = true;
            self.reach = Reach::Active;
            tracing::debug!(path = ?self.id, "path confirmed");
            Some(self.event(PathEventKind::Confirmed, PathEventReason::HeartbeatAck))
        } else {
            self.mark_active(PathEventReason::HeartbeatAck)
        };
        if event.is_some() {
            // Leaving the per-RTO probing rate.
            self.reschedule_heartbeat(now);
        }
        Some(HeartbeatAck { rtt, event })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PathId, PathState};
    use super::*;

    fn ms(v: u64) -> Instant {
        Instant::from_millis(v)
    }

    fn path(confirmed: bool) -> Path {
        Path::new(
            PathId(1),
            "192.0.2.7:9"
                .parse()
                .unwrap_or(super::super::PLACEHOLDER_ADDR),
            None,
            confirmed,
            &PathConfig::default(),
        )
    }

    #[test]
    fn unconfirmed_path_is_probed_after_one_rto_and_confirmed_by_its_nonce() {
        let mut p = path(false);
        assert!(!p.heartbeat_due(ms(0)), "nothing before ESTABLISHED");
        p.start_heartbeats(ms(0), 0);
        assert!(
            !p.heartbeat_due(ms(999)),
            "the handshake's answers go first"
        );
        assert!(p.heartbeat_due(ms(1000)));
        p.on_heartbeat_sent(ms(0), 0xdead_beef, 0);
        assert!(!p.heartbeat_due(ms(999)));
        assert_eq!(p.next_heartbeat(), Some(ms(1000)), "one probe per RTO");
        assert_eq!(p.on_heartbeat_ack(ms(40), 0x1234), None, "wrong nonce");
        assert_eq!(p.state(), PathState::Unconfirmed);
        let ack = p.on_heartbeat_ack(ms(40), 0xdead_beef);
        assert_eq!(
            ack.map(|a| (a.rtt, a.event.map(|e| e.kind))),
            Some((Duration::from_millis(40), Some(PathEventKind::Confirmed)))
        );
        assert_eq!(p.state(), PathState::Active);
        assert_eq!(p.rto().srtt(), Some(Duration::from_millis(40)));
        assert_eq!(p.on_heartbeat_ack(ms(50), 0xdead_beef), None, "used up");
        assert!(!p.heartbeat_timed_out(ms(5000)));
    }

    #[test]
    fn unconfirmed_path_that_fails_is_probed_at_the_normal_rate() {
        let cfg = PathConfig {
            pf_max_retrans: None,
            path_max_retrans: 1,
            ..PathConfig::default()
        };
        let mut p = Path::new(PathId(2), super::super::PLACEHOLDER_ADDR, None, false, &cfg);
        p.start_heartbeats(ms(0), 0);
        p.on_heartbeat_sent(ms(0), 1, 0);
        assert_eq!(p.on_heartbeat_timeout(ms(1000)), None);
        assert!(p.heartbeat_due(ms(1000)), "probed again at once");
        p.on_heartbeat_sent(ms(1000), 2, 0);
        let e = p.on_heartbeat_timeout(ms(3000)).map(|e| e.kind);
        assert_eq!(e, Some(PathEventKind::Inactive));
        assert_eq!(p.state(), PathState::Unconfirmed);
        // RTO is 4 s after two back-offs: next probe after 30 s + 2 s.
        assert_eq!(p.next_heartbeat(), Some(ms(3000 + 32_000)));
        // A late answer still confirms it.
        let ack = p.on_heartbeat_ack(ms(3100), 2).and_then(|a| a.event);
        assert_eq!(ack.map(|e| e.kind), Some(PathEventKind::Confirmed));
        assert_eq!(p.state(), PathState::Active);
    }

    #[test]
    fn heartbeat_period_is_interval_plus_rto_with_half_rto_jitter() {
        let rto = 1000u64;
        let interval = 30_000u64;
        for (random, lo, hi) in [
            (0u32, interval + rto / 2, interval + rto / 2),
            (u32::MAX, interval + 3 * rto / 2 - 1, interval + 3 * rto / 2),
            (1 << 31, interval + rto, interval + rto),
        ] {
            let mut p = path(true);
            p.start_heartbeats(ms(0), random);
            let first = p.next_heartbeat().map(|t| t.as_micros() / 1000);
            assert!(first.is_some_and(|t| t >= lo && t <= hi), "{first:?}");
            p.on_heartbeat_sent(ms(100_000), 1, random);
            let next = p.next_heartbeat().map(|t| t.as_micros() / 1000 - 100_000);
            assert!(next.is_some_and(|t| t >= lo && t <= hi), "{next:?}");
        }
    }

    #[test]
    fn data_traffic_postpones_heartbeats_of_an_active_path() {
        let mut p = path(true);
        p.start_heartbeats(ms(0), 1 << 31);
        assert_eq!(p.next_heartbeat(), Some(ms(31_000)));
        p.on_data_sent(ms(20_000), 100);
        assert!(!p.heartbeat_due(ms(31_000)));
        assert!(!p.heartbeat_due(ms(50_999)));
        assert!(p.heartbeat_due(ms(51_000)));
    }

    #[test]
    fn disabled_heartbeats_are_not_due_and_can_be_reenabled() {
        let mut p = path(true);
        p.start_heartbeats(ms(0), 0);
        p.set_heartbeat_enabled(false, ms(0));
        assert!(!p.heartbeat_due(Instant::MAX));
        assert_eq!(p.next_deadline(), None);
        p.set_heartbeat_enabled(true, ms(10));
        assert!(p.heartbeat_due(ms(10 + 30_500)));
        p.stop_heartbeats();
        assert!(!p.heartbeat_due(Instant::MAX));
    }

    #[test]
    fn unanswered_heartbeats_fail_the_path_and_an_ack_revives_it() {
        let mut p = path(true);
        p.start_heartbeats(ms(0), 0);
        let mut now = ms(30_500);
        assert!(p.heartbeat_due(now));
        let mut events = Vec::new();
        for nonce in 0..6u64 {
            p.on_heartbeat_sent(now, nonce, 0);
            let deadline = now + p.current_rto();
            assert!(!p.heartbeat_timed_out(Instant::from_micros(deadline.as_micros() - 1)));
            assert!(p.heartbeat_timed_out(deadline));
            events.extend(p.on_heartbeat_timeout(deadline).map(|e| e.kind));
            now = deadline;
            if p.state() == PathState::PotentiallyFailed {
                // RFC 7829 rule 6: the next probe goes out immediately.
                assert!(p.heartbeat_due(now));
            }
        }
        assert_eq!(
            events,
            [PathEventKind::PotentiallyFailed, PathEventKind::Inactive]
        );
        // RTO backed off 1, 2, 4, 8, 16, 32 -> 60 s cap.
        assert_eq!(p.current_rto(), Duration::from_secs(60));
        // Inactive: back to the slow rate, still heartbeating (§8.3).
        assert!(!p.heartbeat_due(now));
        assert!(p.next_heartbeat().is_some());
        // A late ACK of the previous probe still counts.
        let ack = p.on_heartbeat_ack(now + Duration::from_millis(5), 4);
        assert_eq!(
            ack.and_then(|a| a.event).map(|e| (e.kind, e.reason)),
            Some((PathEventKind::Active, PathEventReason::HeartbeatAck))
        );
        assert_eq!(p.error_count(), 0);
        assert_eq!(p.state(), PathState::Active);
    }
}
