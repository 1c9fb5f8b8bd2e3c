//! Typed protocol values shared by every room of the core.
//!
//! Sequence numbers (`Tsn`, `Ssn`, `Mid`) wrap around, so they are compared
//! with serial-number arithmetic (RFC 1982, as required by RFC 9260 §1.6):
//! `a < b` means "b is after a" within half the number space. They implement
//! `PartialOrd` accordingly; they deliberately do **not** implement `Ord`,
//! because serial-number order is not transitive across the whole space.

use core::cmp::Ordering;
use core::fmt;

macro_rules! serial_number {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $signed:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub $inner);

        impl $name {
            /// The next value, wrapping around.
            #[inline]
            #[must_use]
            pub const fn next(self) -> Self {
                Self(self.0.wrapping_add(1))
            }

            /// The previous value, wrapping around.
            #[inline]
            #[must_use]
            pub const fn prev(self) -> Self {
                Self(self.0.wrapping_sub(1))
            }

            /// `self + n`, wrapping around.
            #[inline]
            #[must_use]
            pub const fn add(self, n: $inner) -> Self {
                Self(self.0.wrapping_add(n))
            }

            /// `self - n`, wrapping around.
            #[inline]
            #[must_use]
            pub const fn sub(self, n: $inner) -> Self {
                Self(self.0.wrapping_sub(n))
            }

            /// Signed serial distance from `other` to `self` (positive when
            /// `self` is after `other`).
            #[inline]
            pub const fn distance(self, other: Self) -> $signed {
                self.0.wrapping_sub(other.0) as $signed
            }

            /// RFC 1982 "less than": `self` is before `other`.
            #[inline]
            pub const fn lt(self, other: Self) -> bool {
                self.distance(other) < 0
            }

            /// `self` is before or equal to `other`.
            #[inline]
            pub const fn le(self, other: Self) -> bool {
                self.distance(other) <= 0
            }

            /// `self` is after `other`.
            #[inline]
            pub const fn gt(self, other: Self) -> bool {
                self.distance(other) > 0
            }

            /// `self` is after or equal to `other`.
            #[inline]
            pub const fn ge(self, other: Self) -> bool {
                self.distance(other) >= 0
            }
        }

        impl PartialOrd for $name {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                // Exactly half the space apart is undefined in RFC 1982.
                let d = self.distance(*other);
                if d == <$signed>::MIN {
                    None
                } else {
                    Some(d.cmp(&0))
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<$inner> for $name {
            #[inline]
            fn from(v: $inner) -> Self {
                Self(v)
            }
        }

        impl From<$name> for $inner {
            #[inline]
            fn from(v: $name) -> Self {
                v.0
            }
        }
    };
}

serial_number!(
    /// Transmission Sequence Number (RFC 9260 §3.3.1), 32-bit serial number.
    Tsn, u32, i32
);
serial_number!(
    /// Stream Sequence Number of an ordered DATA chunk (RFC 9260 §3.3.1),
    /// 16-bit serial number.
    Ssn, u16, i16
);
serial_number!(
    /// Message Identifier of an I-DATA chunk (RFC 8260 §2.1), 32-bit serial
    /// number.
    Mid, u32, i32
);
serial_number!(
    /// Fragment Sequence Number of an I-DATA chunk (RFC 8260 §2.1).
    Fsn, u32, i32
);

macro_rules! plain_id {
    ($(#[$doc:meta])* $name:ident, $inner:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub $inner);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<$inner> for $name {
            #[inline]
            fn from(v: $inner) -> Self {
                Self(v)
            }
        }

        impl From<$name> for $inner {
            #[inline]
            fn from(v: $name) -> Self {
                v.0
            }
        }
    };
}

plain_id!(
    /// Stream identifier (RFC 9260 §3.3.1).
    StreamId, u16
);
plain_id!(
    /// Payload Protocol Identifier (RFC 9260 §3.3.1). Opaque to SCTP; carried
    /// in network byte order on the wire.
    Ppid, u32
);
plain_id!(
    /// Verification tag (RFC 9260 §3.1, §8.5).
    VerificationTag, u32
);

/// One Gap Ack Block of a SACK chunk (RFC 9260 §3.3.4): TSNs
/// `cumulative_tsn_ack + start ..= cumulative_tsn_ack + end` were received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GapAckBlock {
    /// Offset of the first TSN of the block from the cumulative TSN ack.
    pub start: u16,
    /// Offset of the last TSN of the block from the cumulative TSN ack.
    pub end: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsn_serial_comparison_across_wrap() {
        let a = Tsn(u32::MAX - 1);
        let b = Tsn(2);
        assert!(a.lt(b));
        assert!(b.gt(a));
        assert!(a < b);
        assert_eq!(b.distance(a), 4);
        assert_eq!(a.add(4), b);
        assert_eq!(Tsn(u32::MAX).next(), Tsn(0));
    }

    #[test]
    fn half_space_apart_is_unordered() {
        assert_eq!(Tsn(0).partial_cmp(&Tsn(1 << 31)), None);
        assert_eq!(Ssn(0).partial_cmp(&Ssn(1 << 15)), None);
    }

    #[test]
    fn ssn_wraps_at_16_bits() {
        assert!(Ssn(65535).lt(Ssn(0)));
        assert_eq!(Ssn(65535).next(), Ssn(0));
    }
}
