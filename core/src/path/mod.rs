//! Per-path state (RFC 9260 §6.3, §7.2, §8.2, §8.3; RFC 7829): one [`Path`]
//! per remote transport address, collected in a [`PathSet`].
//!
//! Everything that is per destination lives here: RTO ([`rto`]), the
//! congestion controller, the error counter and reachability state,
//! heartbeats and path confirmation ([`heartbeat`]), PMTU, the T3-rtx
//! deadline and the bytes in flight. An association with a single peer
//! address (DTLS / data channels) has one path, whose address may be
//! [`PLACEHOLDER_ADDR`].
//!
//! # Sizes
//!
//! `pmtu` follows RFC 9260 §1.3: the largest SCTP packet (common header and
//! chunks, no IP/UDP/DTLS headers) the path carries. The default,
//! [`DEFAULT_PMTU`] = 1200, fits the IPv6 minimum link MTU of 1280 even
//! under IPv6 (40) + UDP (8) + DTLS (~29) encapsulation, so it is safe on any
//! path until PMTU discovery (RFC 8899) raises it. PMDCS = PMTU - 12 (the
//! common header).
//!
//! Flight size and cwnd count DATA chunks as they are on the wire, chunk
//! header and padding included: RFC 9260 §3 defines outstanding data as
//! "the total size of the DATA chunks", §6.1 B compares it with cwnd, and
//! §7.2.2 counts acknowledged bytes "including the chunk header and the
//! padding". (The peer's receive window counts user data only, §6.2.1;
//! that is the tx room's business.) The association's
//! `RetransmissionQueue::path_bytes_in_flight` counts the same way, so the
//! two agree.
//!
//! # Caller's duties (Karn, timers, windows)
//!
//! - RTT samples from DATA go through [`Path::on_rtt_sample`], only for
//!   chunks never retransmitted (RFC 9260 §6.3.1 C5). HEARTBEAT round trips
//!   are measured here.
//! - The association owns T3-rtx rules R1–R4 and uses
//!   [`Path::start_t3_if_stopped`], [`Path::restart_t3`], [`Path::stop_t3`];
//!   on expiry it calls [`PathSet::on_t3_expired`].
//! - Call [`Path::start_burst`] for every incoming packet and timer event
//!   (RFC 9260 §6.1 D: Max.Burst limits the packets sent in response to
//!   one of them). At the start of each packet call [`Path::refresh_idle`],
//!   then send while the user data in flight is below `round_send_limit()`
//!   (§6.1 B and D).

pub mod heartbeat;
pub mod rto;
mod set;

pub use heartbeat::HeartbeatAck;
pub use rto::{Rto, RtoConfig};
pub use set::{PathError, PathSet, PathSetConfig, TimeoutOutcome};

use crate::congestion::{AckEvent, CongestionConfig, CongestionController, Controller};
use crate::time::Instant;
use crate::types::Tsn;
use core::fmt;
use core::time::Duration;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// Remote address of the single path of a DTLS / data-channel association,
/// where transport addresses are not SCTP's business.
pub const PLACEHOLDER_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));

/// Default PMTU (SCTP packet size), see the module docs.
pub const DEFAULT_PMTU: usize = 1200;

/// Size of the SCTP common header (RFC 9260 §3.1).
const COMMON_HEADER_LEN: usize = 12;

/// Most events one burst may answer (a host that hands over very many
/// packets before polling still gets a bounded burst).
const MAX_BURST_EVENTS: u32 = 64;

/// Smallest PMTU accepted: the IPv4 minimum of 576 minus IPv4 and UDP
/// headers, comfortably larger than any control chunk we must send whole.
pub const MIN_PMTU: usize = 508;

/// Index of a path within its [`PathSet`]. Ids of removed paths may be
/// reused by later additions, so drop an id when its path is removed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PathId(pub u16);

impl fmt::Debug for PathId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PathId({})", self.0)
    }
}

/// Per-path protocol parameters (RFC 9260 §16, RFC 7829 §6).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathConfig {
    /// RTO parameters.
    pub rto: RtoConfig,
    /// 'Path.Max.Retrans' (PMR): the path becomes inactive when its error
    /// counter *exceeds* this (§8.2), i.e. after PMR + 1 consecutive
    /// timeouts. Default 5.
    pub path_max_retrans: u32,
    /// 'PotentiallyFailed.Max.Retrans' (PFMR, RFC 7829): the path becomes
    /// Potentially Failed when its error counter exceeds this. `None`
    /// disables SCTP-PF. Default `Some(0)`, RFC 7829 §6's recommendation
    /// (PF on the first timeout).
    pub pf_max_retrans: Option<u32>,
    /// 'HB.interval' (§8.3). Default 30 s.
    pub hb_interval: Duration,
    /// Whether heartbeats are sent to confirmed paths (§8.3 A/C). Probes
    /// of unconfirmed paths (§5.4) are sent regardless. Default on.
    pub heartbeat_enabled: bool,
    /// Initial PMTU (SCTP packet size). Default [`DEFAULT_PMTU`].
    pub pmtu: usize,
    /// Congestion control.
    pub congestion: CongestionConfig,
}

impl Default for PathConfig {
    fn default() -> Self {
        PathConfig {
            rto: RtoConfig::default(),
            path_max_retrans: 5,
            pf_max_retrans: Some(0),
            hb_interval: Duration::from_secs(30),
            heartbeat_enabled: true,
            pmtu: DEFAULT_PMTU,
            congestion: CongestionConfig::default(),
        }
    }
}

/// Reachability and confirmation state of a path (RFC 9260 §5.4, §8.2;
/// RFC 7829 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathState {
    /// Not yet confirmed by a HEARTBEAT ACK carrying our nonce (§5.4): no
    /// chunks but HEARTBEATs may be sent to it.
    Unconfirmed,
    /// Confirmed and reachable.
    Active,
    /// Confirmed, error counter above PFMR (RFC 7829): avoided for data
    /// while an active path exists.
    PotentiallyFailed,
    /// Confirmed, error counter above Path.Max.Retrans (§8.2).
    Inactive,
}

/// What changed on a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathEventKind {
    /// A HEARTBEAT ACK with our nonce confirmed the address (§5.4).
    Confirmed,
    /// The path is reachable again (from PotentiallyFailed or Inactive).
    Active,
    /// The path entered PotentiallyFailed (RFC 7829).
    PotentiallyFailed,
    /// The path is unreachable (§8.2); report it to the user.
    Inactive,
}

/// Why a path changed state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathEventReason {
    /// A HEARTBEAT ACK arrived.
    HeartbeatAck,
    /// DATA sent to the path was acknowledged.
    DataAcked,
    /// T3-rtx expired on the path.
    RetransmissionTimeout,
    /// A HEARTBEAT was not acknowledged within an RTO.
    HeartbeatTimeout,
    /// An ASCONF was not acknowledged within an RTO (RFC 5061 §5.1 B1).
    AsconfTimeout,
}

/// A state transition of one path, for the association to act on and to
/// report (peer address change notification, RFC 6458 §6.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PathEvent {
    /// The path.
    pub path: PathId,
    /// The new state.
    pub kind: PathEventKind,
    /// The cause.
    pub reason: PathEventReason,
}

/// Reachability of a path, apart from confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    Active,
    PotentiallyFailed,
    Inactive,
}

/// One destination transport address of the peer and everything kept for
/// it.
#[derive(Clone, Debug)]
pub struct Path {
    id: PathId,
    remote: SocketAddr,
    local: Option<SocketAddr>,
    confirmed: bool,
    reach: Reach,
    error_count: u32,
    path_max_retrans: u32,
    pf_max_retrans: Option<u32>,
    max_burst: u32,
    /// Flight size when the current burst began (§6.1 D); `None` until the
    /// first packet after [`Path::start_burst`].
    burst_base: Option<usize>,
    /// Incoming packets and timer events the current burst answers (a host
    /// may hand over several before it polls).
    burst_events: u32,
    /// Since the last SACK, Max.Burst (below cwnd) stopped data that was
    /// waiting: the window counts as fully utilised for cwnd growth.
    burst_limited: bool,
    rto: Rto,
    cc: Controller,
    pmtu: usize,
    t3_deadline: Option<Instant>,
    flight_size: usize,
    last_send: Option<Instant>,
    hb: heartbeat::HeartbeatState,
}

impl Path {
    /// A new path. `confirmed` per RFC 9260 §5.4 rules 1–2 (addresses the
    /// user gave, or the one the INIT ACK went to); others start
    /// unconfirmed.
    pub fn new(
        id: PathId,
        remote: SocketAddr,
        local: Option<SocketAddr>,
        confirmed: bool,
        config: &PathConfig,
    ) -> Self {
        let pmtu = config.pmtu.max(MIN_PMTU);
        Path {
            id,
            remote,
            local,
            confirmed,
            reach: Reach::Active,
            error_count: 0,
            path_max_retrans: config.path_max_retrans,
            pf_max_retrans: config.pf_max_retrans,
            max_burst: config.congestion.max_burst,
            burst_base: None,
            burst_events: 0,
            burst_limited: false,
            rto: Rto::new(config.rto),
            cc: Controller::new(
                &config.congestion,
                pmtu - COMMON_HEADER_LEN,
                remote.is_ipv6(),
            ),
            pmtu,
            t3_deadline: None,
            flight_size: 0,
            last_send: None,
            hb: heartbeat::HeartbeatState::new(config),
        }
    }

    /// This path's id in its set.
    pub fn id(&self) -> PathId {
        self.id
    }

    /// The peer's transport address.
    pub fn remote(&self) -> SocketAddr {
        self.remote
    }

    /// The local address used towards it, if pinned.
    pub fn local(&self) -> Option<SocketAddr> {
        self.local
    }

    /// Pins (or unpins) the local address used towards this path.
    pub fn set_local(&mut self, local: Option<SocketAddr>) {
        self.local = local;
    }

    /// The state (confirmation first, then reachability).
    pub fn state(&self) -> PathState {
        match (self.confirmed, self.reach) {
            (false, _) => PathState::Unconfirmed,
            (true, Reach::Active) => PathState::Active,
            (true, Reach::PotentiallyFailed) => PathState::PotentiallyFailed,
            (true, Reach::Inactive) => PathState::Inactive,
        }
    }

    /// Whether the address is confirmed (§5.4).
    pub fn is_confirmed(&self) -> bool {
        self.confirmed
    }

    /// Consecutive timeouts counted against this path (§8.2).
    pub fn error_count(&self) -> u32 {
        self.error_count
    }

    /// The RTO estimator.
    pub fn rto(&self) -> &Rto {
        &self.rto
    }

    /// The current RTO (with back-off).
    pub fn current_rto(&self) -> Duration {
        self.rto.rto()
    }

    /// Feeds an RTT measurement taken from DATA (Karn: never from a
    /// retransmitted chunk, §6.3.1 C5).
    pub fn on_rtt_sample(&mut self, rtt: Duration) {
        self.rto.on_rtt_sample(rtt);
    }

    /// The congestion controller.
    pub fn cc(&self) -> &Controller {
        &self.cc
    }

    /// The congestion controller, mutably (fast retransmit, §7.2.4).
    pub fn cc_mut(&mut self) -> &mut Controller {
        &mut self.cc
    }

    /// Congestion window in bytes.
    pub fn cwnd(&self) -> usize {
        self.cc.cwnd()
    }

    /// PMTU: largest SCTP packet for this path.
    pub fn pmtu(&self) -> usize {
        self.pmtu
    }

    /// Largest DATA chunk (header included) fitting one packet (§1.3).
    pub fn pmdcs(&self) -> usize {
        self.pmtu - COMMON_HEADER_LEN
    }

    /// Sets the PMTU (from PMTU discovery); at least [`MIN_PMTU`].
    pub fn set_pmtu(&mut self, pmtu: usize) {
        self.pmtu = pmtu.max(MIN_PMTU);
        self.cc.set_pmdcs(self.pmtu - COMMON_HEADER_LEN);
    }

    /// T3-rtx deadline, while running.
    pub fn t3_deadline(&self) -> Option<Instant> {
        self.t3_deadline
    }

    /// Starts T3-rtx with the current RTO unless running (§6.3.2 R1).
    pub fn start_t3_if_stopped(&mut self, now: Instant) {
        if self.t3_deadline.is_none() {
            self.restart_t3(now);
        }
    }

    /// (Re)starts T3-rtx with the current RTO (§6.3.2 R3).
    pub fn restart_t3(&mut self, now: Instant) {
        self.t3_deadline = Some(now + self.rto.rto());
    }

    /// Stops T3-rtx (§6.3.2 R2).
    pub fn stop_t3(&mut self) {
        self.t3_deadline = None;
    }

    /// Bytes of DATA chunks outstanding on this path (headers and padding
    /// included): its flightsize (RFC 9260 §3).
    pub fn flight_size(&self) -> usize {
        self.flight_size
    }

    /// When DATA was last sent here.
    pub fn last_send(&self) -> Option<Instant> {
        self.last_send
    }

    /// Applies the idle cwnd decay (§7.2.1); call at the start of a
    /// transmit round.
    pub fn refresh_idle(&mut self, now: Instant) {
        self.cc.on_idle(now, self.rto.rto());
    }

    /// An incoming packet or a timer event: the next packets form a new
    /// burst (RFC 9260 §6.1 D). Events handed over before the next poll
    /// add up: each may release Max.Burst packets.
    pub fn start_burst(&mut self) {
        if self.burst_base.take().is_some() {
            self.burst_events = 1;
        } else {
            self.burst_events = self.burst_events.saturating_add(1).min(MAX_BURST_EVENTS);
        }
    }

    /// The limit on bytes in flight for the next packet: cwnd, lowered by
    /// Max.Burst (RFC 9260 §6.1 D) to the flight size when the burst began
    /// (the first call after [`Path::start_burst`]) plus Max.Burst full
    /// packets per event since the previous burst, so that one incoming
    /// packet or timer event releases at most Max.Burst packets however
    /// often the host polls. A packet may be sent
    /// while the flight size is below the limit (§6.1 B).
    ///
    /// A full packet counts as PMDCS: the DATA chunks of one packet, as the
    /// flight size counts them (module docs), add up to at most that.
    pub fn round_send_limit(&mut self) -> usize {
        let base = *self.burst_base.get_or_insert(self.flight_size);
        if self.max_burst == 0 {
            return self.cc.cwnd();
        }
        let per_packet = self.pmdcs().max(1);
        let burst = per_packet
            .saturating_mul(self.max_burst as usize)
            .saturating_mul(self.burst_events.max(1) as usize);
        self.cc.cwnd().min(base.saturating_add(burst))
    }

    /// The sender stopped at `limit` from [`Path::round_send_limit`] with
    /// data waiting. When Max.Burst made that limit lower than cwnd, the
    /// next SACK treats the window as fully utilised: RFC 9260 §6.1 D
    /// applies Max.Burst as a temporary cwnd, and a sender held back by it
    /// is not application-limited (§7.2.1). Without this, a host that hands
    /// over several packets before it polls would keep cwnd where the
    /// bursts leave it.
    pub fn note_burst_stop(&mut self, limit: usize) {
        if limit < self.cc.cwnd() {
            self.burst_limited = true;
        }
    }

    /// DATA chunks of `bytes` (headers and padding included, see the module
    /// docs) were sent here (first transmission or retransmission).
    pub fn on_data_sent(&mut self, now: Instant, bytes: usize) {
        self.flight_size = self.flight_size.saturating_add(bytes);
        self.last_send = Some(now);
        self.cc.on_data_sent(now);
        self.hb
            .on_traffic(now, self.reach == Reach::Active && self.confirmed);
    }

    /// A SACK acknowledged `bytes_acked` bytes of DATA chunks sent here
    /// (headers and padding included; cumulatively or by gap blocks, plus
    /// reported duplicates, §7.2.2): updates flight
    /// size and the congestion controller. `rtt` is the delay sample of
    /// [`AckEvent::rtt`]. Call it before any fast retransmit of the same SACK
    /// (§7.2.4).
    pub fn on_sack(
        &mut self,
        now: Instant,
        bytes_acked: usize,
        cum_tsn_ack: Tsn,
        rtt: Option<Duration>,
    ) {
        let before = self.flight_size;
        self.flight_size = before.saturating_sub(bytes_acked);
        self.cc.on_ack(
            &AckEvent {
                bytes_acked,
                flight_size_before: before,
                flight_size_after: self.flight_size,
                burst_limited: core::mem::take(&mut self.burst_limited),
                cum_tsn_ack,
                srtt: self.rto.srtt(),
                rtt,
            },
            now,
        );
    }

    /// Removes bytes from the flight without an acknowledgement (chunks
    /// marked for retransmission, moved to another path, or abandoned).
    pub fn remove_flight(&mut self, bytes: usize) {
        self.flight_size = self.flight_size.saturating_sub(bytes);
    }

    /// Counts one timeout (T3-rtx or an unanswered HEARTBEAT) against the
    /// path (§8.2, RFC 7829 §3.2 rules 2 and 8). Once inactive, the counter
    /// stops increasing (§8.3).
    pub fn on_timeout_error(&mut self, reason: PathEventReason) -> Option<PathEvent> {
        if self.reach == Reach::Inactive {
            return None;
        }
        self.error_count = self.error_count.saturating_add(1);
        let kind = if self.error_count > self.path_max_retrans {
            self.reach = Reach::Inactive;
            PathEventKind::Inactive
        } else if self.reach == Reach::Active
            && self.pf_max_retrans.is_some_and(|pf| self.error_count > pf)
        {
            self.reach = Reach::PotentiallyFailed;
            PathEventKind::PotentiallyFailed
        } else {
            return None;
        };
        tracing::debug!(path = ?self.id, ?kind, errors = self.error_count, "path state");
        Some(self.event(kind, reason))
    }

    /// T3-rtx expired here (§6.3.3 E1, E2; §8.2): congestion collapse,
    /// RTO back-off, error count. The timer is stopped; the association
    /// retransmits and restarts it (E3, E4).
    pub fn on_t3_expired(&mut self, now: Instant) -> Option<PathEvent> {
        self.t3_deadline = None;
        self.cc.on_retransmission_timeout(now);
        self.rto.backoff();
        let event = self.on_timeout_error(PathEventReason::RetransmissionTimeout);
        if event.is_some_and(|e| e.kind == PathEventKind::PotentiallyFailed) {
            // RFC 7829 §3.2 rule 6: probe a path as it reaches PF.
            self.probe_now(now);
        }
        event
    }

    /// An ASCONF sent here went unanswered for an RTO (RFC 5061 §5.1 B1,
    /// B3): the RTO backs off and the error counter grows, as for any
    /// retransmission timeout, but the congestion window is left alone
    /// (no DATA was lost).
    pub fn on_control_timeout(&mut self) -> Option<PathEvent> {
        self.rto.backoff();
        self.on_timeout_error(PathEventReason::AsconfTimeout)
    }

    /// DATA last sent to this path was acknowledged at `now` (RFC 9260
    /// §8.2: the error counter is cleared and an inactive path becomes
    /// active; RFC 7829 §3.2 rule 10: a potentially failed one too).
    ///
    /// With `sent_only_here` false (every chunk acknowledged here had also
    /// been sent to another path), RFC 7829 §3.2 rule 9 forbids clearing an
    /// inactive path's counter or reactivating a PF path: the ack may have
    /// been for the other copy. An active path's counter is still cleared.
    ///
    /// When the counter is cleared, a HEARTBEAT still unanswered no longer
    /// counts against the path: the acknowledgement answered what the probe
    /// asked (rule 6 lets a SACK stand in for a HEARTBEAT and a HEARTBEAT
    /// timeout be ignored while data flows). Otherwise the probe sent when
    /// the path became PF, if lost, would make the recovered path PF again
    /// once the transfer is over, until the next probe's answer.
    pub fn on_data_acked(&mut self, now: Instant, sent_only_here: bool) -> Option<PathEvent> {
        if !sent_only_here && self.reach != Reach::Active {
            return None;
        }
        self.error_count = 0;
        self.settle_heartbeat();
        let event = self.mark_active(PathEventReason::DataAcked);
        if event.is_some() {
            // Leaving the per-RTO probing of a PF path (RFC 7829 rule 5).
            self.reschedule_heartbeat(now);
        }
        event
    }

    fn mark_active(&mut self, reason: PathEventReason) -> Option<PathEvent> {
        if self.reach == Reach::Active {
            return None;
        }
        self.reach = Reach::Active;
        tracing::debug!(path = ?self.id, ?reason, "path active");
        Some(self.event(PathEventKind::Active, reason))
    }

    fn event(&self, kind: PathEventKind, reason: PathEventReason) -> PathEvent {
        PathEvent {
            path: self.id,
            kind,
            reason,
        }
    }

    /// The earliest of this path's deadlines (T3-rtx, heartbeat send,
    /// heartbeat ack timeout).
    pub fn next_deadline(&self) -> Option<Instant> {
        crate::time::earlier(self.t3_deadline, self.hb.next_deadline())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn addr(last: u8) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, last], 5000))
    }

    fn path(confirmed: bool) -> Path {
        Path::new(PathId(0), addr(1), None, confirmed, &PathConfig::default())
    }

    #[test]
    fn new_path_defaults() {
        let p = path(true);
        assert_eq!(p.state(), PathState::Active);
        assert_eq!(p.pmtu(), 1200);
        assert_eq!(p.pmdcs(), 1188);
        assert_eq!(p.cwnd(), 4404, "min(4 * 1188, max(2 * 1188, 4404))");
        assert_eq!(p.current_rto(), Duration::from_secs(1));
        assert_eq!(path(false).state(), PathState::Unconfirmed);
        let v6 = Path::new(
            PathId(0),
            "[2001:db8::1]:9".parse().unwrap_or(PLACEHOLDER_ADDR),
            None,
            true,
            &PathConfig::default(),
        );
        assert_eq!(v6.cwnd(), 4344);
    }

    #[test]
    fn pf_then_inactive_after_path_max_retrans_is_exceeded() {
        let mut p = path(true);
        let r = PathEventReason::RetransmissionTimeout;
        let e = p.on_timeout_error(r).map(|e| e.kind);
        assert_eq!(e, Some(PathEventKind::PotentiallyFailed), "PFMR 0: first");
        for _ in 1..5 {
            assert_eq!(p.on_timeout_error(r), None);
            assert_eq!(p.state(), PathState::PotentiallyFailed);
        }
        assert_eq!(p.error_count(), 5);
        // The 6th timeout exceeds Path.Max.Retrans = 5.
        let e = p.on_timeout_error(r);
        assert_eq!(
            e,
            Some(PathEvent {
                path: PathId(0),
                kind: PathEventKind::Inactive,
                reason: r
            })
        );
        assert_eq!(p.state(), PathState::Inactive);
        // §8.3: the counter stops increasing.
        assert_eq!(p.on_timeout_error(r), None);
        assert_eq!(p.error_count(), 6);
    }

    #[test]
    fn pf_disabled_goes_straight_to_inactive() {
        let cfg = PathConfig {
            pf_max_retrans: None,
            path_max_retrans: 2,
            ..PathConfig::default()
        };
        let mut p = Path::new(PathId(3), addr(1), None, true, &cfg);
        let r = PathEventReason::HeartbeatTimeout;
        assert_eq!(p.on_timeout_error(r), None);
        assert_eq!(p.on_timeout_error(r), None);
        assert_eq!(p.state(), PathState::Active);
        assert_eq!(
            p.on_timeout_error(r).map(|e| (e.path, e.kind)),
            Some((PathId(3), PathEventKind::Inactive))
        );
    }

    #[test]
    fn data_ack_reactivates_only_when_unambiguous() {
        let mut p = path(true);
        p.on_timeout_error(PathEventReason::RetransmissionTimeout);
        assert_eq!(p.state(), PathState::PotentiallyFailed);
        assert_eq!(
            p.on_data_acked(Instant::ZERO, false),
            None,
            "RFC 7829 rule 9"
        );
        assert_eq!(p.state(), PathState::PotentiallyFailed);
        assert_eq!(p.error_count(), 1);
        let e = p
            .on_data_acked(Instant::ZERO, true)
            .map(|e| (e.kind, e.reason));
        assert_eq!(
            e,
            Some((PathEventKind::Active, PathEventReason::DataAcked)),
            "RFC 7829 rule 10"
        );
        assert_eq!(p.error_count(), 0);
    }

    #[test]
    fn t3_expiry_backs_off_collapses_cwnd_and_counts() {
        let mut p = path(true);
        let now = Instant::from_millis(10);
        p.on_data_sent(now, 1000);
        p.start_t3_if_stopped(now);
        assert_eq!(p.t3_deadline(), Some(Instant::from_millis(1010)));
        p.start_t3_if_stopped(Instant::from_millis(500));
        assert_eq!(p.t3_deadline(), Some(Instant::from_millis(1010)), "R1");
        assert_eq!(p.next_deadline(), Some(Instant::from_millis(1010)));
        let e = p.on_t3_expired(Instant::from_millis(1010));
        assert_eq!(e.map(|e| e.kind), Some(PathEventKind::PotentiallyFailed));
        assert_eq!(p.t3_deadline(), None);
        assert_eq!(p.cwnd(), p.pmdcs());
        assert_eq!(p.current_rto(), Duration::from_secs(2));
        assert!(!p.heartbeat_due(Instant::from_millis(1010)), "not started");
        p.restart_t3(Instant::from_millis(1010));
        assert_eq!(p.t3_deadline(), Some(Instant::from_millis(3010)));
    }

    #[test]
    fn t3_expiry_into_pf_triggers_a_heartbeat() {
        let mut p = path(true);
        p.start_heartbeats(Instant::ZERO, 0);
        assert!(!p.heartbeat_due(Instant::from_millis(1000)));
        p.on_data_sent(Instant::ZERO, 100);
        p.restart_t3(Instant::ZERO);
        p.on_t3_expired(Instant::from_millis(1000));
        assert_eq!(p.state(), PathState::PotentiallyFailed);
        assert!(p.heartbeat_due(Instant::from_millis(1000)));
    }

    /// RFC 7829 §3.2 rules 5, 6, 10: the probe sent as the path became
    /// PF is answered by the data acknowledgement that reactivates it; its
    /// timeout no longer counts and probing returns to HB.interval.
    #[test]
    fn data_ack_settles_the_pf_probe() {
        let mut p = path(true);
        p.start_heartbeats(Instant::ZERO, 0);
        p.on_data_sent(Instant::ZERO, 100);
        p.restart_t3(Instant::ZERO);
        let t3 = Instant::from_millis(1000);
        p.on_t3_expired(t3);
        assert!(p.heartbeat_due(t3));
        p.on_heartbeat_sent(t3, 7, 0);
        assert_eq!(p.next_heartbeat(), Some(t3 + Duration::from_secs(2)));
        let acked = Instant::from_millis(1100);
        let e = p.on_data_acked(acked, true).map(|e| e.kind);
        assert_eq!(e, Some(PathEventKind::Active));
        // RTO is 2 s after the back-off: the probe's deadline passes.
        let later = Instant::from_millis(5000);
        assert!(!p.heartbeat_timed_out(later));
        assert!(!p.heartbeat_due(later), "back to the HB.interval rate");
        assert_eq!(p.next_deadline(), p.next_heartbeat());
        assert!(p.next_heartbeat() >= Some(acked + Duration::from_secs(30)));
        // A late HEARTBEAT ACK of the probe still gives an RTT sample.
        let ack = p.on_heartbeat_ack(Instant::from_millis(1200), 7);
        assert_eq!(
            ack.map(|a| (a.rtt, a.event)),
            Some((Duration::from_millis(200), None))
        );
        assert_eq!((p.state(), p.error_count()), (PathState::Active, 0));
    }

    /// An ack of chunks that also went elsewhere keeps a PF path's probe
    /// running (rule 9): only the probe's answer can revive it.
    #[test]
    fn ambiguous_data_ack_leaves_the_pf_probe_running() {
        let mut p = path(true);
        p.start_heartbeats(Instant::ZERO, 0);
        p.on_timeout_error(PathEventReason::RetransmissionTimeout);
        p.on_heartbeat_sent(Instant::ZERO, 7, 0);
        assert_eq!(p.on_data_acked(Instant::from_millis(10), false), None);
        assert!(p.heartbeat_timed_out(Instant::from_millis(1000)));
        assert_eq!(p.state(), PathState::PotentiallyFailed);
    }

    /// What a path goes through in the table below.
    #[derive(Clone, Copy, Debug)]
    enum Input {
        /// T3-rtx or HEARTBEAT timeouts, this many.
        Timeouts(u32),
        /// A HEARTBEAT ACK with the nonce of our probe.
        HbAck,
        /// A HEARTBEAT ACK with a nonce we never sent.
        ForgedHbAck,
        /// DATA sent only to this path acknowledged.
        AckedHere,
        /// DATA also sent to another path acknowledged.
        AckedAmbiguous,
    }

    /// One row: PFMR, confirmed at the start, inputs, final state, error
    /// counter, events.
    type Row = (
        Option<u32>,
        bool,
        &'static [Input],
        PathState,
        u32,
        &'static [PathEventKind],
    );

    /// Path-state transitions against RFC 9260 §5.4, §8.2, §8.3 and RFC 7829
    /// §3.2, one row each: (PFMR, confirmed at the start, inputs, final
    /// state, error counter, events). PMR is 5 throughout.
    #[test]
    fn path_state_transitions() {
        use Input::*;
        use PathEventKind as K;
        use PathState as S;
        let rows: &[Row] = &[
            // §5.4: confirmed only by a HEARTBEAT ACK carrying our nonce.
            (Some(0), false, &[ForgedHbAck], S::Unconfirmed, 0, &[]),
            (Some(0), false, &[HbAck], S::Active, 0, &[K::Confirmed]),
            // RFC 7829 rule 2: PF once the counter exceeds PFMR.
            (
                Some(0),
                true,
                &[Timeouts(1)],
                S::PotentiallyFailed,
                1,
                &[K::PotentiallyFailed],
            ),
            (Some(2), true, &[Timeouts(2)], S::Active, 2, &[]),
            (
                Some(2),
                true,
                &[Timeouts(3)],
                S::PotentiallyFailed,
                3,
                &[K::PotentiallyFailed],
            ),
            // §8.2, rule 8: inactive once the counter exceeds PMR.
            (
                Some(0),
                true,
                &[Timeouts(5)],
                S::PotentiallyFailed,
                5,
                &[K::PotentiallyFailed],
            ),
            (
                Some(0),
                true,
                &[Timeouts(6)],
                S::Inactive,
                6,
                &[K::PotentiallyFailed, K::Inactive],
            ),
            // PF off (or PFMR >= PMR): straight from active to inactive.
            (None, true, &[Timeouts(5)], S::Active, 5, &[]),
            (None, true, &[Timeouts(6)], S::Inactive, 6, &[K::Inactive]),
            (
                Some(5),
                true,
                &[Timeouts(6)],
                S::Inactive,
                6,
                &[K::Inactive],
            ),
            // Rules 7 and 10: a probe's answer or an unambiguous ack revives.
            (
                Some(0),
                true,
                &[Timeouts(1), HbAck],
                S::Active,
                0,
                &[K::PotentiallyFailed, K::Active],
            ),
            (
                Some(0),
                true,
                &[Timeouts(3), AckedHere],
                S::Active,
                0,
                &[K::PotentiallyFailed, K::Active],
            ),
            (
                Some(0),
                true,
                &[Timeouts(1), ForgedHbAck],
                S::PotentiallyFailed,
                1,
                &[K::PotentiallyFailed],
            ),
            // Rule 9: an ack that may be for another path's copy does not.
            (
                Some(0),
                true,
                &[Timeouts(1), AckedAmbiguous],
                S::PotentiallyFailed,
                1,
                &[K::PotentiallyFailed],
            ),
            (
                Some(0),
                true,
                &[Timeouts(6), AckedAmbiguous],
                S::Inactive,
                6,
                &[K::PotentiallyFailed, K::Inactive],
            ),
            // ... but clears an active path's counter (§8.2).
            (
                Some(2),
                true,
                &[Timeouts(2), AckedAmbiguous],
                S::Active,
                0,
                &[],
            ),
            // §8.3: an inactive path comes back on a HEARTBEAT ACK or ack.
            (
                Some(0),
                true,
                &[Timeouts(6), HbAck],
                S::Active,
                0,
                &[K::PotentiallyFailed, K::Inactive, K::Active],
            ),
            (
                Some(0),
                true,
                &[Timeouts(7), AckedHere],
                S::Active,
                0,
                &[K::PotentiallyFailed, K::Inactive, K::Active],
            ),
        ];
        for (i, &(pf, confirmed, inputs, state, errors, events)) in rows.iter().enumerate() {
            let cfg = PathConfig {
                pf_max_retrans: pf,
                ..PathConfig::default()
            };
            let mut p = Path::new(PathId(0), addr(1), None, confirmed, &cfg);
            p.start_heartbeats(Instant::ZERO, 0);
            p.on_heartbeat_sent(Instant::ZERO, 42, 0);
            let now = Instant::from_millis(10);
            let mut seen = Vec::new();
            for input in inputs {
                match *input {
                    Timeouts(n) => {
                        for _ in 0..n {
                            let r = PathEventReason::RetransmissionTimeout;
                            seen.extend(p.on_timeout_error(r).map(|e| e.kind));
                        }
                    }
                    HbAck => {
                        let ack = p.on_heartbeat_ack(now, 42);
                        assert!(ack.is_some(), "row {i}");
                        seen.extend(ack.and_then(|a| a.event).map(|e| e.kind));
                    }
                    ForgedHbAck => assert_eq!(p.on_heartbeat_ack(now, 41), None, "row {i}"),
                    AckedHere => seen.extend(p.on_data_acked(now, true).map(|e| e.kind)),
                    AckedAmbiguous => seen.extend(p.on_data_acked(now, false).map(|e| e.kind)),
                }
            }
            assert_eq!(
                (p.state(), p.error_count(), seen.as_slice()),
                (state, errors, events),
                "row {i}: {inputs:?}"
            );
        }
    }

    #[test]
    fn sack_updates_flight_and_cwnd() {
        let mut p = path(true);
        let now = Instant::ZERO;
        p.on_data_sent(now, 4404);
        assert_eq!(p.flight_size(), 4404);
        p.on_sack(now, 2376, Tsn(2), None);
        assert_eq!(p.flight_size(), 2028);
        assert_eq!(p.cwnd(), 4404 + 1188, "slow start, +1 PMDCS");
        p.remove_flight(10_000);
        assert_eq!(p.flight_size(), 0);
    }

    /// A path whose cwnd grew through slow start, all acknowledged.
    fn path_with_large_cwnd() -> Path {
        let mut p = path(true);
        let mut cum = Tsn(0);
        for _ in 0..100 {
            let c = p.cwnd();
            p.on_data_sent(Instant::ZERO, c);
            cum = cum.add(1);
            p.on_sack(Instant::ZERO, c, cum, None);
        }
        p
    }

    #[test]
    fn round_send_limit_applies_max_burst() {
        let mut p = path_with_large_cwnd();
        assert!(p.cwnd() > 100_000);
        p.on_data_sent(Instant::ZERO, 10_000);
        p.start_burst();
        assert_eq!(p.round_send_limit(), 10_000 + 4 * p.pmdcs());
    }

    #[test]
    fn max_burst_counts_from_the_event_not_from_each_poll() {
        let mut p = path_with_large_cwnd();
        // The DATA chunks of a full packet.
        let payload = p.pmdcs();
        p.on_data_sent(Instant::ZERO, 10 * payload);
        // A SACK (an incoming packet) starts a burst.
        p.start_burst();
        let mut sent = 0;
        while p.flight_size() < p.round_send_limit() {
            p.on_data_sent(Instant::ZERO, payload);
            sent += 1;
            assert!(sent <= 100, "Max.Burst never stopped the burst");
        }
        assert_eq!(sent, 4, "RFC 9260 §6.1 D: Max.Burst = 4 packets per event");
        // Asking again without a new event gives no more room...
        assert!(p.flight_size() >= p.round_send_limit());
        // ...the next event does.
        p.start_burst();
        assert!(p.flight_size() < p.round_send_limit());
        assert!(
            p.cwnd() > 20 * payload,
            "the burst, not cwnd, was the limit"
        );
    }

    #[test]
    fn events_handed_over_before_a_poll_add_up() {
        let mut p = path_with_large_cwnd();
        let per_packet = p.pmdcs();
        p.on_data_sent(Instant::ZERO, 1000);
        // Three SACKs arrive before the host polls: three bursts' worth.
        p.start_burst();
        p.start_burst();
        p.start_burst();
        assert_eq!(p.round_send_limit(), 1000 + 12 * per_packet);
        // Once polled, the next event starts over with one.
        p.on_data_sent(Instant::ZERO, 1000);
        p.start_burst();
        assert_eq!(p.round_send_limit(), 2000 + 4 * per_packet);
        // However many events, the burst stays bounded.
        for _ in 0..10_000 {
            p.start_burst();
        }
        assert!(p.round_send_limit() <= 2000 + 64 * 4 * per_packet);
    }

    #[test]
    fn a_sender_held_back_by_max_burst_still_grows_cwnd() {
        // Slow start with a window of ~7 full packets: the host hands over
        // one SACK per round, so Max.Burst (4 packets) stops the sender
        // with half the window free.
        let mut grown = path(true);
        let mut held = path(true);
        for p in [&mut grown, &mut held] {
            for i in 1..=3 {
                let c = p.cwnd();
                p.on_data_sent(Instant::ZERO, c);
                p.on_sack(Instant::ZERO, c, Tsn(i), None);
            }
        }
        let payload = grown.pmdcs() - 16;
        for (p, note) in [(&mut grown, true), (&mut held, false)] {
            let cwnd = p.cwnd();
            p.start_burst();
            let limit = p.round_send_limit();
            while p.flight_size() < limit {
                p.on_data_sent(Instant::ZERO, payload);
            }
            assert!(
                p.flight_size() + p.pmdcs() <= cwnd,
                "the window was not full"
            );
            if note {
                p.note_burst_stop(limit);
            }
            let f = p.flight_size();
            p.on_sack(Instant::ZERO, f, Tsn(4), None);
        }
        // RFC 9260 §6.1 D + §7.2.1: Max.Burst lowered cwnd only for the
        // burst; the window counts as used and slow start goes on.
        assert_eq!(grown.cwnd(), held.cwnd() + grown.pmdcs());
    }

    #[test]
    fn a_burst_stop_at_cwnd_changes_nothing() {
        let mut p = path(true);
        let cwnd = p.cwnd();
        p.note_burst_stop(cwnd);
        p.on_data_sent(Instant::ZERO, 1000);
        p.on_sack(Instant::ZERO, 1000, Tsn(1), None);
        assert_eq!(
            p.cwnd(),
            cwnd,
            "cwnd, not Max.Burst, was the limit: not used up"
        );
    }

    #[test]
    fn max_burst_zero_leaves_cwnd_alone() {
        let cfg = PathConfig {
            congestion: CongestionConfig {
                max_burst: 0,
                ..CongestionConfig::default()
            },
            ..PathConfig::default()
        };
        let mut p = Path::new(PathId(0), addr(1), None, true, &cfg);
        p.start_burst();
        assert_eq!(p.round_send_limit(), p.cwnd());
    }

    #[test]
    fn pmtu_is_clamped_and_feeds_pmdcs() {
        let mut p = path(true);
        p.set_pmtu(100);
        assert_eq!(p.pmtu(), MIN_PMTU);
        p.set_pmtu(1500);
        assert_eq!(p.pmdcs(), 1488);
        assert_eq!(p.cc().pmdcs(), 1488);
    }
}
