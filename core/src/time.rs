//! Time as the host gives it.
//!
//! The core never reads a clock (`std::time::Instant::now()` panics on
//! `wasm32-unknown-unknown`). The host passes an [`Instant`]: a monotonic
//! count of microseconds since any origin it likes. Durations are
//! [`core::time::Duration`].

use core::fmt;
use core::ops::{Add, AddAssign, Sub};
use core::time::Duration;

/// A point in time: microseconds since an origin chosen by the host.
///
/// Only differences between instants given by the same host are meaningful.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant(0);
    /// A time later than any the host will give; used for "no deadline".
    pub const MAX: Instant = Instant(u64::MAX);

    /// An instant `micros` microseconds after the origin.
    #[inline]
    pub const fn from_micros(micros: u64) -> Self {
        Instant(micros)
    }

    /// An instant `millis` milliseconds after the origin.
    #[inline]
    pub const fn from_millis(millis: u64) -> Self {
        Instant(millis.saturating_mul(1000))
    }

    /// Microseconds since the origin.
    #[inline]
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// The time elapsed from `earlier` to `self`, or zero if `earlier` is
    /// later.
    #[inline]
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }
}

/// The earliest of optional deadlines (`None`: no deadline). The deadline
/// computations run several times a packet: this compiles to conditional
/// moves, without the branches of matching on pairs of options.
#[inline]
pub(crate) fn earliest<const N: usize>(deadlines: [Option<Instant>; N]) -> Option<Instant> {
    let mut min = u64::MAX;
    let mut any = false;
    for d in deadlines {
        any |= d.is_some();
        min = min.min(d.map_or(u64::MAX, |t| t.0));
    }
    any.then_some(Instant(min))
}

/// The earlier of two optional deadlines (`None`: no deadline).
#[inline]
pub(crate) fn earlier(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    earliest([a, b])
}

impl Add<Duration> for Instant {
    type Output = Instant;
    #[inline]
    fn add(self, d: Duration) -> Instant {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(micros))
    }
}

impl AddAssign<Duration> for Instant {
    #[inline]
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturating: an earlier minus a later instant is zero.
    #[inline]
    fn sub(self, other: Instant) -> Duration {
        self.saturating_duration_since(other)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_ignores_missing_deadlines() {
        let t = Instant::from_millis;
        assert_eq!(earliest::<0>([]), None);
        assert_eq!(earliest([None, None]), None);
        assert_eq!(earliest([None, Some(t(5)), Some(t(3))]), Some(t(3)));
        assert_eq!(earlier(Some(Instant::MAX), None), Some(Instant::MAX));
        assert_eq!(earlier(Some(t(1)), Some(t(2))), Some(t(1)));
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Instant::from_millis(5);
        assert_eq!(t + Duration::from_millis(1), Instant::from_micros(6000));
        assert_eq!(Instant::ZERO - t, Duration::ZERO);
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
    }
}
