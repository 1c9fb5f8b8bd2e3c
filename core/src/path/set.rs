//! The paths of one association: lookup, primary selection, destination
//! choice (RFC 9260 §6.4, §6.4.1, §8.2; RFC 7829 §3.2 rules 3–4) and the
//! association error counter (§8.1).

use super::{HeartbeatAck, Path, PathConfig, PathEvent, PathId, PathState};
use crate::time::Instant;
use std::net::SocketAddr;

/// Parameters of a [`PathSet`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathSetConfig {
    /// Parameters given to each new path.
    pub path: PathConfig,
    /// 'Association.Max.Retrans' (§8.1): the peer is unreachable when the
    /// association error counter exceeds it. Default 10.
    pub association_max_retrans: u32,
    /// Most paths an association keeps (peer addresses beyond it are
    /// refused with [`PathError::TooManyPaths`]). Default 16.
    pub max_paths: usize,
    /// 'Primary.Switchover.Max.Retrans' (PSMR, RFC 7829 §5): when the
    /// primary's error counter exceeds it, the path data goes to instead
    /// becomes the primary, so data does not switch back once the old
    /// primary recovers. `None` (the default, as RFC 7829 §5 recommends):
    /// the primary stays, and data returns to it once it is active again
    /// (RFC 9260 §6.4).
    pub primary_switchover: Option<u32>,
}

impl Default for PathSetConfig {
    fn default() -> Self {
        PathSetConfig {
            path: PathConfig::default(),
            association_max_retrans: 10,
            max_paths: 16,
            primary_switchover: None,
        }
    }
}

/// Misuse of a [`PathSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// No path with that id.
    #[error("no such path")]
    UnknownPath,
    /// A path to that address exists already.
    #[error("a path to this address exists already")]
    DuplicateAddress,
    /// The configured maximum number of paths is reached.
    #[error("too many paths for this association")]
    TooManyPaths,
    /// The primary path cannot be removed; set another primary first.
    #[error("cannot remove the primary path; choose another primary first")]
    PrimaryPath,
    /// Unconfirmed addresses cannot be primary (RFC 9260 §5.4: no data may
    /// be sent to them).
    #[error("the path is unconfirmed")]
    Unconfirmed,
}

/// Outcome of a timeout counted against a path and the association.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TimeoutOutcome {
    /// The path's state change, if any.
    pub event: Option<PathEvent>,
    /// The association error counter exceeded Association.Max.Retrans:
    /// the peer is unreachable and the association must close (§8.1).
    pub association_failed: bool,
    /// The path made primary by the Primary Path Switchover (RFC 7829 §5,
    /// [`PathSetConfig::primary_switchover`]).
    pub new_primary: Option<PathId>,
}

/// All paths of an association.
#[derive(Clone, Debug)]
pub struct PathSet {
    slots: Vec<Option<Path>>,
    primary: PathId,
    config: PathSetConfig,
    association_errors: u32,
}

impl PathSet {
    /// A set with one path, the primary (confirmed: the address the user
    /// connected to or the one the INIT ACK went to, §5.4).
    pub fn new(config: PathSetConfig, remote: SocketAddr, local: Option<SocketAddr>) -> Self {
        let id = PathId(0);
        PathSet {
            slots: vec![Some(Path::new(id, remote, local, true, &config.path))],
            primary: id,
            config,
            association_errors: 0,
        }
    }

    /// The parameters in use.
    pub fn config(&self) -> &PathSetConfig {
        &self.config
    }

    /// Adds a path to `remote`. Reuses the slot of a removed path if any.
    pub fn add(
        &mut self,
        remote: SocketAddr,
        local: Option<SocketAddr>,
        confirmed: bool,
    ) -> Result<PathId, PathError> {
        if self.find(&remote).is_some() {
            return Err(PathError::DuplicateAddress);
        }
        if self.len() >= self.config.max_paths.min(usize::from(u16::MAX)) {
            return Err(PathError::TooManyPaths);
        }
        let index = match self.slots.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        let id = PathId(u16::try_from(index).map_err(|_| PathError::TooManyPaths)?);
        let path = Path::new(id, remote, local, confirmed, &self.config.path);
        if let Some(slot) = self.slots.get_mut(index) {
            *slot = Some(path);
        }
        Ok(id)
    }

    /// Removes a path (e.g. RFC 5061 DELETE IP). The primary cannot be
    /// removed.
    pub fn remove(&mut self, id: PathId) -> Result<Path, PathError> {
        if id == self.primary {
            return Err(PathError::PrimaryPath);
        }
        self.slots
            .get_mut(usize::from(id.0))
            .and_then(Option::take)
            .ok_or(PathError::UnknownPath)
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// Always false: a set holds at least its primary.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The path with this id.
    pub fn get(&self, id: PathId) -> Option<&Path> {
        self.slots.get(usize::from(id.0))?.as_ref()
    }

    /// Every path id is below this bound (the ids are slot indices), so
    /// callers can visit the paths by id without collecting them.
    pub fn id_bound(&self) -> u16 {
        u16::try_from(self.slots.len()).unwrap_or(u16::MAX)
    }

    /// The path with this id, mutably.
    pub fn get_mut(&mut self, id: PathId) -> Option<&mut Path> {
        self.slots.get_mut(usize::from(id.0))?.as_mut()
    }

    /// The path to a remote address.
    pub fn find(&self, remote: &SocketAddr) -> Option<PathId> {
        self.iter().find(|p| p.remote() == *remote).map(Path::id)
    }

    /// All paths, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        self.slots.iter().flatten()
    }

    /// All paths, mutably, in id order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Path> {
        self.slots.iter_mut().flatten()
    }

    /// The primary path (§6.4).
    pub fn primary(&self) -> PathId {
        self.primary
    }

    /// Makes `id` the primary path (user request, §11.1 SET PRIMARY).
    pub fn set_primary(&mut self, id: PathId) -> Result<(), PathError> {
        let p = self.get(id).ok_or(PathError::UnknownPath)?;
        if !p.is_confirmed() {
            return Err(PathError::Unconfirmed);
        }
        self.primary = id;
        Ok(())
    }

    /// Makes `id` the primary path even if it is not confirmed yet: for
    /// when the peer deleted its primary address and no confirmed address
    /// is left (RFC 5061 §5.3 F12). Data may then go there before a
    /// HEARTBEAT confirms it: it is the only path left, and it is probed
    /// at once.
    pub fn force_primary(&mut self, id: PathId) -> Result<(), PathError> {
        self.get(id).ok_or(PathError::UnknownPath)?;
        self.primary = id;
        Ok(())
    }

    fn state_of(&self, id: PathId) -> Option<PathState> {
        self.get(id).map(Path::state)
    }

    /// Where new DATA goes (§6.4, §6.4.1, §8.2, RFC 7829 rules 3–4):
    /// 1. the primary if active;
    /// 2. else one alternate active path — the lowest id, so the choice is
    ///    stable while it stays active (§8.2: only ONE is chosen);
    /// 3. else the potentially failed path with the fewest errors (the
    ///    primary on ties, then lowest id);
    /// 4. else (all inactive, "dormant") the primary.
    ///
    /// Unconfirmed paths are never chosen. `None` only if no confirmed path
    /// exists.
    pub fn destination_for_new_data(&self) -> Option<PathId> {
        if self.state_of(self.primary) == Some(PathState::Active) {
            return Some(self.primary);
        }
        if let Some(p) = self.iter().find(|p| p.state() == PathState::Active) {
            return Some(p.id());
        }
        let pf = self
            .iter()
            .filter(|p| p.state() == PathState::PotentiallyFailed)
            .min_by_key(|p| (p.error_count(), p.id() != self.primary, p.id()));
        if let Some(p) = pf {
            return Some(p.id());
        }
        self.get(self.primary)
            .filter(|p| p.is_confirmed())
            .map(Path::id)
            .or_else(|| self.iter().find(|p| p.is_confirmed()).map(Path::id))
    }

    /// Where a retransmission of data that timed out on `last` goes
    /// (§6.4, §6.4.1, RFC 7829 rule 3 ii): an active path other than
    /// `last` — the primary if it qualifies, else the next one after `last`
    /// in id order, so consecutive retransmissions rotate — or else the
    /// choice for new data (possibly `last` itself).
    pub fn destination_for_retransmission(&self, last: PathId) -> Option<PathId> {
        let active_other = |p: &&Path| p.state() == PathState::Active && p.id() != last;
        if self.get(self.primary).is_some_and(|p| active_other(&p)) {
            return Some(self.primary);
        }
        let after = self.iter().filter(active_other).find(|p| p.id() > last);
        let wrapped = || self.iter().find(active_other);
        after
            .or_else(wrapped)
            .map(Path::id)
            .or_else(|| self.destination_for_new_data())
    }

    /// The earliest deadline of any path (T3-rtx, heartbeats).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.iter()
            .fold(None, |d, p| crate::time::earlier(d, p.next_deadline()))
    }

    /// The association error counter (§8.1).
    pub fn association_error_count(&self) -> u32 {
        self.association_errors
    }

    /// Counts one error against the association (§8.1); returns whether it
    /// now exceeds Association.Max.Retrans (peer unreachable).
    pub fn on_association_error(&mut self) -> bool {
        self.association_errors = self.association_errors.saturating_add(1);
        self.association_errors > self.config.association_max_retrans
    }

    /// Clears the association error counter (§8.1: DATA acknowledged,
    /// HEARTBEAT ACK received).
    pub fn reset_association_errors(&mut self) {
        self.association_errors = 0;
    }

    /// T3-rtx expired on `id` (§6.3.3, §8.1, §8.2): the path's RTO backs off,
    /// its cwnd collapses, and both error counters grow.
    pub fn on_t3_expired(&mut self, id: PathId, now: Instant) -> TimeoutOutcome {
        let Some(path) = self.get_mut(id) else {
            return TimeoutOutcome::default();
        };
        let event = path.on_t3_expired(now);
        TimeoutOutcome {
            event,
            association_failed: self.on_association_error(),
            new_primary: self.switch_over(id),
        }
    }

    /// RFC 7829 §5 rules 2–3: once the primary's error counter exceeds
    /// PSMR, the path that would now be chosen for data becomes the
    /// primary. Returns it when the primary changed.
    pub fn switch_over(&mut self, failed: PathId) -> Option<PathId> {
        let psmr = self.config.primary_switchover?;
        if failed != self.primary || self.get(failed)?.error_count() <= psmr {
            return None;
        }
        let new = self.destination_for_new_data()?;
        if new == failed || !self.get(new)?.is_confirmed() {
            return None;
        }
        tracing::debug!(from = ?failed, to = ?new, "primary path switchover");
        self.primary = new;
        Some(new)
    }

    /// The newest HEARTBEAT to `id` went unanswered for an RTO (§8.3). The
    /// association counter grows only if `id` is confirmed and is the path
    /// currently used for data (§8.1, §5.4).
    pub fn on_heartbeat_timeout(&mut self, id: PathId, now: Instant) -> TimeoutOutcome {
        let data_path = self.destination_for_new_data();
        let Some(path) = self.get_mut(id) else {
            return TimeoutOutcome::default();
        };
        let counts = path.is_confirmed() && data_path == Some(id);
        let event = path.on_heartbeat_timeout(now);
        TimeoutOutcome {
            event,
            association_failed: counts && self.on_association_error(),
            new_primary: self.switch_over(id),
        }
    }

    /// A HEARTBEAT ACK for `id` echoed `nonce` (§8.3): on a match, updates
    /// the path and clears the association error counter.
    pub fn on_heartbeat_ack(
        &mut self,
        id: PathId,
        now: Instant,
        nonce: u64,
    ) -> Option<HeartbeatAck> {
        let ack = self.get_mut(id)?.on_heartbeat_ack(now, nonce)?;
        self.reset_association_errors();
        Some(ack)
    }

    /// DATA last sent to `id` was acknowledged (§8.1, §8.2, RFC 7829 rules
    /// 9–10); see [`Path::on_data_acked`].
    pub fn on_data_acked(
        &mut self,
        id: PathId,
        now: Instant,
        sent_only_here: bool,
    ) -> Option<PathEvent> {
        self.reset_association_errors();
        self.get_mut(id)?.on_data_acked(now, sent_only_here)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PathEventKind, PathEventReason};
    use super::*;

    fn addr(last: u8) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, last], 5000))
    }

    fn three() -> (PathSet, PathId, PathId, PathId) {
        let mut s = PathSet::new(PathSetConfig::default(), addr(1), None);
        let a = s.primary();
        let b = s.add(addr(2), None, true).unwrap_or_default();
        let c = s.add(addr(3), None, true).unwrap_or_default();
        (s, a, b, c)
    }

    fn fail(s: &mut PathSet, id: PathId, times: u32) {
        for _ in 0..times {
            if let Some(p) = s.get_mut(id) {
                p.on_timeout_error(PathEventReason::RetransmissionTimeout);
            }
        }
    }

    #[test]
    fn add_lookup_remove() {
        let (mut s, a, b, c) = three();
        assert_eq!((a, b, c), (PathId(0), PathId(1), PathId(2)));
        assert_eq!(s.find(&addr(2)), Some(b));
        assert_eq!(s.add(addr(2), None, true), Err(PathError::DuplicateAddress));
        assert_eq!(s.remove(a).err(), Some(PathError::PrimaryPath));
        assert_eq!(s.remove(b).map(|p| p.remote()), Ok(addr(2)));
        assert_eq!(s.remove(b).err(), Some(PathError::UnknownPath));
        assert_eq!(s.find(&addr(2)), None);
        assert_eq!(s.len(), 2);
        assert_eq!(s.add(addr(4), None, false), Ok(PathId(1)), "slot reused");
    }

    #[test]
    fn path_count_is_bounded() {
        let cfg = PathSetConfig {
            max_paths: 3,
            ..PathSetConfig::default()
        };
        let mut s = PathSet::new(cfg, addr(1), None);
        assert!(s.add(addr(2), None, false).is_ok());
        assert!(s.add(addr(3), None, false).is_ok());
        assert_eq!(s.add(addr(4), None, false), Err(PathError::TooManyPaths));
    }

    #[test]
    fn new_data_goes_to_primary_then_one_alternate() {
        let (mut s, a, b, c) = three();
        assert_eq!(s.destination_for_new_data(), Some(a));
        fail(&mut s, a, 6);
        assert_eq!(s.state_of(a), Some(PathState::Inactive));
        assert_eq!(s.destination_for_new_data(), Some(b));
        assert_eq!(s.set_primary(c), Ok(()));
        assert_eq!(s.destination_for_new_data(), Some(c));
        assert_eq!(s.set_primary(PathId(9)), Err(PathError::UnknownPath));
    }

    #[test]
    fn potentially_failed_primary_is_avoided_while_an_alternate_is_active() {
        let (mut s, a, b, _) = three();
        fail(&mut s, a, 1);
        assert_eq!(s.state_of(a), Some(PathState::PotentiallyFailed));
        assert_eq!(s.destination_for_new_data(), Some(b));
        assert_eq!(
            s.on_data_acked(a, Instant::ZERO, true).map(|e| e.kind),
            Some(PathEventKind::Active)
        );
        assert_eq!(s.destination_for_new_data(), Some(a));
    }

    #[test]
    fn all_pf_picks_fewest_errors_and_all_inactive_picks_primary() {
        let (mut s, a, b, c) = three();
        fail(&mut s, a, 3);
        fail(&mut s, b, 1);
        fail(&mut s, c, 2);
        assert_eq!(s.destination_for_new_data(), Some(b));
        fail(&mut s, b, 2);
        assert_eq!(s.destination_for_new_data(), Some(c));
        for id in [a, b, c] {
            fail(&mut s, id, 6);
        }
        assert_eq!(s.destination_for_new_data(), Some(a), "dormant");
    }

    #[test]
    fn unconfirmed_paths_carry_no_data() {
        let mut s = PathSet::new(PathSetConfig::default(), addr(1), None);
        let u = s.add(addr(2), None, false).unwrap_or_default();
        assert_eq!(s.set_primary(u), Err(PathError::Unconfirmed));
        fail(&mut s, PathId(0), 6);
        assert_eq!(s.destination_for_new_data(), Some(PathId(0)));
        assert_eq!(s.destination_for_retransmission(PathId(0)), Some(PathId(0)));
    }

    #[test]
    fn retransmissions_go_to_another_active_path() {
        let (mut s, a, b, c) = three();
        assert_eq!(s.destination_for_retransmission(a), Some(b));
        assert_eq!(
            s.destination_for_retransmission(b),
            Some(a),
            "primary first"
        );
        fail(&mut s, a, 1);
        assert_eq!(s.destination_for_retransmission(b), Some(c));
        assert_eq!(s.destination_for_retransmission(c), Some(b), "wraps around");
        // Single path: retransmit where it was.
        let one = PathSet::new(PathSetConfig::default(), addr(9), None);
        assert_eq!(
            one.destination_for_retransmission(PathId(0)),
            Some(PathId(0))
        );
    }

    fn three_with_switchover(psmr: Option<u32>) -> (PathSet, PathId, PathId) {
        let cfg = PathSetConfig {
            primary_switchover: psmr,
            ..PathSetConfig::default()
        };
        let mut s = PathSet::new(cfg, addr(1), None);
        let b = s.add(addr(2), None, true).unwrap_or_default();
        s.add(addr(3), None, true).unwrap_or_default();
        (s, PathId(0), b)
    }

    /// RFC 9260 §6.4 (the default): data returns to the primary once it
    /// is active again.
    #[test]
    fn without_switchover_data_returns_to_the_recovered_primary() {
        let (mut s, a, b) = three_with_switchover(None);
        let out = s.on_t3_expired(a, Instant::ZERO);
        assert_eq!(out.new_primary, None);
        assert_eq!((s.primary(), s.destination_for_new_data()), (a, Some(b)));
        s.on_data_acked(a, Instant::ZERO, true);
        assert_eq!(s.destination_for_new_data(), Some(a), "switch back");
    }

    /// RFC 7829 §5: with PSMR, once the primary's counter exceeds it the
    /// path chosen for data becomes primary, and stays so after the old
    /// primary recovers.
    #[test]
    fn switchover_makes_the_data_path_primary_and_stays() {
        let (mut s, a, b) = three_with_switchover(Some(1));
        let t = Instant::ZERO;
        assert_eq!(s.on_t3_expired(a, t).new_primary, None, "1 is not above 1");
        assert_eq!(s.primary(), a);
        assert_eq!(s.on_t3_expired(a, t).new_primary, Some(b));
        assert_eq!(s.primary(), b);
        s.on_data_acked(a, t, true);
        assert_eq!(s.get(a).map(Path::state), Some(PathState::Active));
        assert_eq!(s.destination_for_new_data(), Some(b), "no switch back");
        // Timeouts on a path that is no longer primary switch nothing.
        assert_eq!(s.on_heartbeat_timeout(a, t).new_primary, None);
        // Nowhere to go: a single path keeps its primary.
        let mut one = PathSet::new(
            PathSetConfig {
                primary_switchover: Some(0),
                ..PathSetConfig::default()
            },
            addr(9),
            None,
        );
        assert_eq!(one.on_t3_expired(PathId(0), t).new_primary, None);
        assert_eq!(one.primary(), PathId(0));
    }

    #[test]
    fn association_fails_when_its_counter_exceeds_max_retrans() {
        let mut s = PathSet::new(PathSetConfig::default(), addr(1), None);
        let p = s.primary();
        let mut now = Instant::ZERO;
        for i in 1..=11u32 {
            now += core::time::Duration::from_secs(1);
            let out = s.on_t3_expired(p, now);
            assert_eq!(out.association_failed, i == 11, "timeout {i}");
        }
        s.reset_association_errors();
        assert_eq!(s.association_error_count(), 0);
    }

    #[test]
    fn heartbeat_timeouts_on_idle_alternates_do_not_count_for_the_association() {
        let (mut s, _a, b, _) = three();
        let now = Instant::from_millis(1);
        for _ in 0..20 {
            let out = s.on_heartbeat_timeout(b, now);
            assert!(!out.association_failed);
        }
        assert_eq!(s.association_error_count(), 0);
        assert_eq!(s.state_of(b), Some(PathState::Inactive));
        let p = s.primary();
        s.on_heartbeat_timeout(p, now);
        assert_eq!(s.association_error_count(), 1);
    }

    #[test]
    fn heartbeat_ack_confirms_a_path_and_clears_the_association_counter() {
        let mut s = PathSet::new(PathSetConfig::default(), addr(1), None);
        let u = s.add(addr(2), None, false).unwrap_or_default();
        s.on_association_error();
        let now = Instant::from_millis(5);
        if let Some(p) = s.get_mut(u) {
            p.start_heartbeats(now, 7);
            p.on_heartbeat_sent(now, 42, 7);
        }
        assert_eq!(
            s.next_deadline(),
            Some(now + core::time::Duration::from_secs(1))
        );
        assert_eq!(s.on_heartbeat_ack(u, now, 41), None);
        assert_eq!(s.association_error_count(), 1);
        let ack = s.on_heartbeat_ack(u, now, 42);
        assert_eq!(
            ack.and_then(|a| a.event).map(|e| e.kind),
            Some(PathEventKind::Confirmed)
        );
        assert_eq!(s.association_error_count(), 0);
        assert_eq!(s.set_primary(u), Ok(()));
    }
}
