//! The association's use of its paths (RFC 9260 §6.3, §6.4, §8): building
//! the path set, T3-rtx per path, heartbeats, SACK effects on congestion
//! control, and statistics.

use core::time::Duration;
use std::net::SocketAddr;

use rand_chacha::rand_core::RngCore;

use crate::config::AssociationConfig;
use crate::congestion::CongestionController;
use crate::event::{AddressChangeReason, Event, PeerAddressState};
use crate::path::{
    PathConfig, PathEvent, PathEventKind, PathEventReason, PathId, PathSet, PathSetConfig,
    PathState, RtoConfig,
};
use crate::stats::{PathState as PublicPathState, PathStats};
use crate::time::Instant;
use crate::tx::SackOutcome;

use super::{Association, Ctx};

/// Heartbeat Info we send (§8.3: sender-specific): nonce and path id.
const HB_INFO_LEN: usize = 12;

/// The path index the tx room uses for `id`.
#[inline]
pub(crate) fn pidx(id: PathId) -> usize {
    usize::from(id.0)
}

/// Builds the path set of a new association: the first address is the
/// confirmed primary (the one the user connected to, or the source of the
/// COOKIE ECHO, §5.4); the others start unconfirmed.
pub(crate) fn new_path_set(remotes: &[SocketAddr], cfg: &AssociationConfig) -> PathSet {
    let pc = PathSetConfig {
        path: PathConfig {
            rto: RtoConfig {
                initial: cfg.rto_initial,
                min: cfg.rto_min,
                max: cfg.rto_max,
                ..RtoConfig::default()
            },
            path_max_retrans: cfg.max_path_retransmits,
            pf_max_retrans: cfg.pf_max_retrans,
            hb_interval: cfg.heartbeat_interval.unwrap_or(Duration::from_secs(30)),
            heartbeat_enabled: cfg.heartbeat_interval.is_some(),
            pmtu: cfg.mtu,
            congestion: crate::congestion::CongestionConfig {
                max_burst: cfg.max_burst,
                algorithm: cfg.congestion_control,
                hystart: cfg.hystart,
                ..Default::default()
            },
        },
        association_max_retrans: cfg.max_association_retransmits,
        primary_switchover: cfg.primary_switchover,
        ..PathSetConfig::default()
    };
    let first = remotes
        .first()
        .copied()
        .unwrap_or(crate::path::PLACEHOLDER_ADDR);
    let mut set = PathSet::new(pc, first, None);
    for r in remotes.iter().skip(1) {
        let _ = set.add(*r, None, false);
    }
    set
}

fn public_state(e: PathEventKind) -> PeerAddressState {
    match e {
        PathEventKind::Confirmed => PeerAddressState::Confirmed,
        PathEventKind::Active => PeerAddressState::Available,
        PathEventKind::PotentiallyFailed => PeerAddressState::PotentiallyFailed,
        PathEventKind::Inactive => PeerAddressState::Unreachable,
    }
}

fn public_reason(r: PathEventReason) -> AddressChangeReason {
    match r {
        PathEventReason::HeartbeatAck => AddressChangeReason::HeartbeatAck,
        PathEventReason::DataAcked => AddressChangeReason::DataAcked,
        PathEventReason::RetransmissionTimeout => AddressChangeReason::RetransmissionTimeout,
        PathEventReason::HeartbeatTimeout => AddressChangeReason::HeartbeatTimeout,
        PathEventReason::AsconfTimeout => AddressChangeReason::AsconfTimeout,
    }
}

impl Association {
    pub(crate) fn path_event(&self, ctx: &mut Ctx<'_>, e: PathEvent) {
        if let Some(p) = self.paths.get(e.path) {
            ctx.emit(
                self.id,
                Event::PeerAddressChange {
                    address: p.remote(),
                    state: public_state(e.kind),
                    reason: public_reason(e.reason),
                },
            );
        }
    }

    /// The path new data goes to (§6.4): the primary if active, else an
    /// alternate.
    pub(crate) fn data_path(&self) -> PathId {
        self.paths
            .destination_for_new_data()
            .unwrap_or_else(|| self.paths.primary())
    }

    pub(crate) fn path_addr(&self, id: PathId) -> SocketAddr {
        self.paths
            .get(id)
            .map_or(crate::path::PLACEHOLDER_ADDR, |p| p.remote())
    }

    pub(crate) fn path_mtu(&self, id: PathId) -> usize {
        self.paths.get(id).map_or(self.config.mtu, |p| p.pmtu())
    }

    pub(crate) fn primary_rto(&self) -> Duration {
        self.paths
            .get(self.paths.primary())
            .map_or(self.config.rto_initial, |p| p.current_rto())
    }

    /// The RTO for the `count`-th retransmission of a setup or shutdown
    /// chunk: doubled each time, at most RTO.Max (§6.3.3 E2).
    pub(crate) fn backed_off_rto(&self, count: u32) -> Duration {
        let base = self.primary_rto();
        let mult = 1u32 << count.min(16);
        base.saturating_mul(mult).min(self.config.rto_max)
    }

    /// Applies a SACK to the paths (§6.3.2, §7.2): cwnd growth, flight
    /// sizes, T3-rtx restart or stop, fast recovery, reactivation.
    pub(crate) fn apply_sack_to_paths(&mut self, ctx: &mut Ctx<'_>, o: &SackOutcome) {
        if let Some((path, rtt)) = o.rtt_sample {
            if let Some(p) = self.paths.get_mut(PathId(path as u16)) {
                p.on_rtt_sample(rtt);
            }
        }
        let highest_outstanding = self.rtx.next_tsn().prev();
        // By id rather than collecting the ids: no allocation per SACK.
        for i in 0..self.paths.id_bound() {
            let id = PathId(i);
            if self.paths.get(id).is_none() {
                continue;
            }
            let info = self.rtx.path_ack_info(pidx(id));
            let in_flight = self.rtx.path_bytes_in_flight(pidx(id));
            let mut event = None;
            if let Some(p) = self.paths.get_mut(id) {
                if info.newly_acked_bytes > 0 {
                    p.on_sack(ctx.now, info.newly_acked_bytes, o.cum_ack, info.latest_rtt);
                }
                // Keep the path's flight in step with the tx room's count.
                if p.flight_size() > in_flight {
                    p.remove_flight(p.flight_size() - in_flight);
                }
                if o.entered_fast_recovery && info.fast_retransmit {
                    p.cc_mut().on_fast_retransmit(highest_outstanding, ctx.now);
                }
                // §6.3.2 R2/R3.
                if in_flight == 0 {
                    p.stop_t3();
                } else if info.earliest_outstanding_acked {
                    p.restart_t3(ctx.now);
                } else if info.reneged {
                    p.start_t3_if_stopped(ctx.now);
                }
            }
            if info.newly_acked_bytes > 0 {
                event = self
                    .paths
                    .on_data_acked(id, ctx.now, info.acked_sent_only_here);
            }
            if let Some(e) = event {
                self.path_event(ctx, e);
            }
        }
    }

    /// A packet of `bytes` of DATA left on `id` (§6.3.2 R1).
    pub(crate) fn on_path_data_sent(&mut self, id: PathId, now: Instant, bytes: usize) {
        if let Some(p) = self.paths.get_mut(id) {
            p.on_data_sent(now, bytes);
            p.start_t3_if_stopped(now);
        }
    }

    /// The next HEARTBEAT due, as (path, Heartbeat Info).
    pub(crate) fn poll_heartbeat(&mut self, now: Instant) -> Option<(PathId, [u8; HB_INFO_LEN])> {
        let id = self
            .paths
            .iter()
            .find(|p| p.heartbeat_due(now))
            .map(|p| p.id())?;
        let nonce = self.rng.next_u64();
        let random = self.rng.next_u32();
        let p = self.paths.get_mut(id)?;
        p.on_heartbeat_sent(now, nonce, random);
        let mut info = [0u8; HB_INFO_LEN];
        info[..8].copy_from_slice(&nonce.to_be_bytes());
        info[8..10].copy_from_slice(&id.0.to_be_bytes());
        Some((id, info))
    }

    /// A HEARTBEAT ACK echoed `info` (§8.3).
    pub(crate) fn on_heartbeat_ack_info(&mut self, ctx: &mut Ctx<'_>, info: &[u8]) {
        if info.len() != HB_INFO_LEN {
            return;
        }
        let mut n = [0u8; 8];
        n.copy_from_slice(&info[..8]);
        let nonce = u64::from_be_bytes(n);
        let id = PathId(u16::from_be_bytes([info[8], info[9]]));
        if let Some(ack) = self.paths.on_heartbeat_ack(id, ctx.now, nonce) {
            if let Some(e) = ack.event {
                self.path_event(ctx, e);
                if e.kind == PathEventKind::Confirmed {
                    self.on_path_confirmed(ctx, e.path);
                }
            }
        }
    }

    /// Paths whose T3-rtx expired.
    pub(crate) fn expired_t3(&self, now: Instant) -> Vec<PathId> {
        self.paths
            .iter()
            .filter(|p| p.t3_deadline().is_some_and(|d| d <= now))
            .map(|p| p.id())
            .collect()
    }

    /// Unanswered heartbeats (§8.3): count errors, report state changes.
    /// Returns true if the association failed (§8.1).
    pub(crate) fn heartbeat_timeouts(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let ids: Vec<PathId> = self
            .paths
            .iter()
            .filter(|p| p.heartbeat_timed_out(ctx.now))
            .map(|p| p.id())
            .collect();
        for id in ids {
            let out = self.paths.on_heartbeat_timeout(id, ctx.now);
            if let Some(e) = out.event {
                self.path_event(ctx, e);
            }
            self.switched_over(ctx, out.new_primary);
            if out.association_failed {
                return true;
            }
        }
        false
    }

    /// T3-rtx expired on `id` (§6.3.3). Returns true if the association
    /// failed (§8.1).
    pub(crate) fn t3_expired(&mut self, ctx: &mut Ctx<'_>, id: PathId) -> bool {
        self.stats.timeouts += 1;
        let removed = self.rtx.on_t3_expired(pidx(id), ctx.now);
        if let Some(p) = self.paths.get_mut(id) {
            p.remove_flight(removed);
        }
        let out = self.paths.on_t3_expired(id, ctx.now);
        if let Some(e) = out.event {
            self.path_event(ctx, e);
        }
        self.switched_over(ctx, out.new_primary);
        out.association_failed
    }

    /// A control chunk's retransmission timer (ASCONF's T-4, RE-CONFIG's
    /// Re-configuration Timer) expired for the chunk last sent to `last`:
    /// as for T3-rtx (§6.3.3 E1-E2) the path's RTO backs off and both its
    /// error counter and the association's grow (§8.1, §8.2). Returns the
    /// destination for the retransmission (another active path if there is
    /// one, §6.4.1), or `None` when the association failed.
    pub(crate) fn control_chunk_timeout(
        &mut self,
        ctx: &mut Ctx<'_>,
        last: PathId,
    ) -> Option<PathId> {
        let event = self
            .paths
            .get_mut(last)
            .and_then(|p| p.on_control_timeout());
        if let Some(e) = event {
            self.path_event(ctx, e);
        }
        let new_primary = self.paths.switch_over(last);
        self.switched_over(ctx, new_primary);
        if self.paths.on_association_error() {
            return None;
        }
        Some(
            self.paths
                .destination_for_retransmission(last)
                .unwrap_or_else(|| self.data_path()),
        )
    }

    /// Reports a Primary Path Switchover (RFC 7829 §5).
    pub(crate) fn switched_over(&self, ctx: &mut Ctx<'_>, new_primary: Option<PathId>) {
        if let Some(id) = new_primary {
            ctx.emit(
                self.id,
                Event::PeerAddressChange {
                    address: self.path_addr(id),
                    state: PeerAddressState::MadePrimary,
                    reason: AddressChangeReason::PrimarySwitchover,
                },
            );
        }
    }

    /// Starts heartbeats on every path once the association is
    /// ESTABLISHED (§8.3): unconfirmed paths are probed at once (§5.4).
    pub(crate) fn start_heartbeats(&mut self, now: Instant) {
        let ids: Vec<PathId> = self.paths.iter().map(|p| p.id()).collect();
        for id in ids {
            let r = self.rng.next_u32();
            if let Some(p) = self.paths.get_mut(id) {
                p.start_heartbeats(now, r);
            }
        }
    }

    /// Stops heartbeats once a shutdown starts: the shutdown timers watch
    /// the peer from then on.
    pub(crate) fn stop_heartbeats(&mut self) {
        for p in self.paths.iter_mut() {
            p.stop_heartbeats();
        }
    }

    /// A packet from the peer's `from` arrived at our `to`: packets to
    /// `from` leave from `to` from now on (multihomed endpoints).
    pub(crate) fn note_local_address(&mut self, from: SocketAddr, to: SocketAddr) {
        if !self.local_addresses.is_empty() && !self.local_addresses.contains(&to.ip()) {
            // Not (or not yet, or no longer) a source of ours for this
            // association (RFC 5061 §5.3 F1, F4).
            return;
        }
        if let Some(p) = self.paths.find(&from).and_then(|id| self.paths.get_mut(id)) {
            if p.local() != Some(to) {
                p.set_local(Some(to));
            }
        }
    }

    pub(crate) fn paths_next_deadline(&self) -> Option<Instant> {
        self.paths.next_deadline()
    }

    pub(crate) fn peer_addresses(&self) -> Vec<SocketAddr> {
        let primary = self.paths.primary();
        let mut v: Vec<SocketAddr> = Vec::with_capacity(self.paths.len());
        v.push(self.path_addr(primary));
        v.extend(
            self.paths
                .iter()
                .filter(|p| p.id() != primary)
                .map(|p| p.remote()),
        );
        v
    }

    /// Heartbeats of every path off (`None`) or on with this 'HB.interval'
    /// (§8.3); probes of unconfirmed paths continue regardless (§5.4).
    pub(crate) fn set_heartbeat(&mut self, now: Instant, interval: Option<core::time::Duration>) {
        for p in self.paths.iter_mut() {
            if let Some(i) = interval {
                p.set_heartbeat_interval(i);
            }
            p.set_heartbeat_enabled(interval.is_some(), now);
        }
    }

    pub(crate) fn set_primary(&mut self, addr: SocketAddr) -> Result<(), crate::Error> {
        let id = self.paths.find(&addr).ok_or(crate::Error::InvalidAddress(
            "not an address of this association's peer",
        ))?;
        self.paths.set_primary(id).map_err(|_| {
            crate::Error::InvalidAddress(
                "the address is not confirmed yet; wait for its PeerAddressChange(Confirmed) event",
            )
        })
    }

    pub(crate) fn path_stats(&self) -> Vec<PathStats> {
        let primary = self.paths.primary();
        let mut v: Vec<PathStats> = self
            .paths
            .iter()
            .map(|p| PathStats {
                address: p.remote(),
                state: match p.state() {
                    PathState::Unconfirmed => PublicPathState::Unconfirmed,
                    PathState::Active => PublicPathState::Active,
                    PathState::PotentiallyFailed => PublicPathState::PotentiallyFailed,
                    PathState::Inactive => PublicPathState::Inactive,
                },
                primary: p.id() == primary,
                srtt: p.rto().srtt(),
                rttvar: p.rto().rttvar(),
                rto: p.current_rto(),
                cwnd: p.cwnd(),
                ssthresh: p.cc().ssthresh(),
                bytes_in_flight: self.rtx.path_bytes_in_flight(pidx(p.id())),
                error_count: p.error_count(),
                mtu: p.pmtu(),
            })
            .collect();
        v.sort_by_key(|s| !s.primary);
        v
    }
}
