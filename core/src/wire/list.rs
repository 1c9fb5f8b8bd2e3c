//! Variable-length lists inside chunks, parameters and causes.
//!
//! One type, [`List`], serves both directions without allocating:
//!
//! - parsing produces [`List::Raw`]: a view over the received bytes, decoded
//!   lazily by [`List::iter`];
//! - emitting takes [`List::Items`]: a slice of typed values the caller owns
//!   (an array on the stack, a reused `Vec`).
//!
//! Both forms iterate the same way and compare equal when they hold the same
//! items, so `parse(emit(x)) == x` holds whichever form `x` uses.

use core::fmt;

use super::codec::{pad4, put_u16, put_u32, u16_at, u32_at};
use super::error::{TlvKind, WireError};
use crate::types::{GapAckBlock, Mid, Ssn, StreamId, Tsn};

/// An element that can sit in a [`List`].
///
/// Implemented for the fixed-size entries (gap blocks, TSNs, stream
/// identifiers, FORWARD-TSN entries, 16-bit codes) and for the TLVs
/// ([`Param`](super::Param), [`ErrorCause`](super::ErrorCause)).
pub trait ListItem<'a>: Copy + Sized {
    /// Parses one item from the front of `buf`: the item (or what is wrong
    /// with its content) and the bytes it took, padding included. Zero bytes
    /// taken means the framing is broken and the list ends there.
    fn parse_item(buf: &'a [u8]) -> (Result<Self, WireError>, usize);
    /// Encoded length without trailing padding.
    fn item_len(&self) -> usize;
    /// Encoded length with trailing padding (the distance to the next item).
    fn item_stride(&self) -> usize;
    /// Writes the item and its padding (`item_stride` bytes) at the start of
    /// `buf`.
    fn emit_item(&self, buf: &mut [u8]);
}

/// A list of `T`: received bytes or caller-owned items (see the module docs).
pub enum List<'a, T> {
    /// Encoded bytes, as found in a received packet.
    Raw(&'a [u8]),
    /// Typed items, for emitting.
    Items(&'a [T]),
}

impl<T> Clone for List<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for List<'_, T> {}

impl<T> Default for List<'_, T> {
    fn default() -> Self {
        List::Raw(&[])
    }
}

impl<'a, T: ListItem<'a>> List<'a, T> {
    /// An empty list.
    pub const EMPTY: Self = List::Raw(&[]);

    /// Iterates over the items; a malformed raw item yields one `Err` and
    /// ends the iteration if its framing is broken.
    pub fn iter(&self) -> ListIter<'a, T> {
        match *self {
            List::Raw(b) => ListIter::Raw(b),
            List::Items(s) => ListIter::Items(s.iter()),
        }
    }

    /// Whether the list has no item.
    pub fn is_empty(&self) -> bool {
        match *self {
            List::Raw(b) => b.is_empty(),
            List::Items(s) => s.is_empty(),
        }
    }

    /// Encoded length. Within a TLV, the padding of the last item is not
    /// counted (RFC 9260 §3.2: the chunk length includes the padding of all
    /// parameters but the last).
    pub fn encoded_len(&self) -> usize {
        match *self {
            List::Raw(b) => b.len(),
            List::Items(s) => {
                let all: usize = s.iter().map(ListItem::item_stride).sum();
                match s.last() {
                    Some(last) => all - (last.item_stride() - last.item_len()),
                    None => 0,
                }
            }
        }
    }

    /// Writes the list at the start of `buf` and returns the bytes written,
    /// which may exceed `encoded_len` by the last item's padding (at most 3
    /// bytes, always within the enclosing TLV's padding).
    pub(crate) fn emit(&self, buf: &mut [u8]) -> usize {
        match *self {
            List::Raw(b) => {
                buf[..b.len()].copy_from_slice(b);
                b.len()
            }
            List::Items(s) => {
                let mut at = 0;
                for item in s {
                    let stride = item.item_stride();
                    item.emit_item(&mut buf[at..at + stride]);
                    at += stride;
                }
                at
            }
        }
    }
}

impl<'a, T: ListItem<'a> + PartialEq> PartialEq for List<'a, T> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a, T: ListItem<'a> + fmt::Debug> fmt::Debug for List<'a, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_list();
        for item in self.iter() {
            match item {
                Ok(v) => l.entry(&v),
                Err(e) => l.entry(&e),
            };
        }
        l.finish()
    }
}

impl<'a, T: ListItem<'a>> IntoIterator for List<'a, T> {
    type Item = Result<T, WireError>;
    type IntoIter = ListIter<'a, T>;
    fn into_iter(self) -> ListIter<'a, T> {
        self.iter()
    }
}

/// Iterator over a [`List`].
#[derive(Clone, Debug)]
pub enum ListIter<'a, T> {
    /// Decoding received bytes.
    Raw(&'a [u8]),
    /// Walking typed items.
    Items(core::slice::Iter<'a, T>),
}

impl<'a, T: ListItem<'a>> Iterator for ListIter<'a, T> {
    type Item = Result<T, WireError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            ListIter::Raw(b) => {
                if b.is_empty() {
                    return None;
                }
                let (item, used) = T::parse_item(b);
                // `used == 0` ends the list; never step past the end.
                *b = b.get(used..).filter(|_| used > 0).unwrap_or(&[]);
                Some(item)
            }
            ListIter::Items(it) => it.next().map(|v| Ok(*v)),
        }
    }
}

/// Splits a TLV (parameter or cause) off the front of `buf`: its type, its
/// value (without header and padding) and the bytes it takes with padding.
///
/// The padding of the last TLV may be missing: RFC 9260 §3.2 leaves it out
/// of the enclosing chunk's length.
pub(crate) fn split_tlv(buf: &[u8], kind: TlvKind) -> Result<(u16, &[u8], usize), WireError> {
    let (Some(tlv_type), Some(len)) = (u16_at(buf, 0), u16_at(buf, 2)) else {
        return Err(WireError::TrailingBytes {
            kind,
            offset: 0,
            len: buf.len(),
        });
    };
    let ulen = usize::from(len);
    if ulen < 4 {
        return Err(WireError::LengthBelowHeader {
            kind,
            tlv_type,
            len,
        });
    }
    let Some(value) = buf.get(4..ulen) else {
        return Err(WireError::LengthPastEnd {
            kind,
            tlv_type,
            offset: 0,
            len,
            available: buf.len(),
        });
    };
    Ok((tlv_type, value, pad4(ulen).min(buf.len())))
}

/// Fixed-size list items: `SIZE` bytes each, never padded.
macro_rules! fixed_item {
    ($t:ty, $size:expr, |$b:ident| $parse:expr, |$v:ident, $o:ident| $emit:expr) => {
        impl<'a> ListItem<'a> for $t {
            #[inline]
            fn parse_item($b: &'a [u8]) -> (Result<Self, WireError>, usize) {
                if $b.len() < $size {
                    return (
                        Err(WireError::TrailingBytes {
                            kind: TlvKind::Chunk,
                            offset: 0,
                            len: $b.len(),
                        }),
                        0,
                    );
                }
                (Ok($parse), $size)
            }
            #[inline]
            fn item_len(&self) -> usize {
                $size
            }
            #[inline]
            fn item_stride(&self) -> usize {
                $size
            }
            #[inline]
            fn emit_item(&self, $o: &mut [u8]) {
                let $v = *self;
                $emit
            }
        }
    };
}

// The `unwrap_or(0)` below never takes effect: the length was checked.
fixed_item!(u16, 2, |b| u16_at(b, 0).unwrap_or(0), |v, o| put_u16(
    o, 0, v
));
fixed_item!(
    StreamId,
    2,
    |b| StreamId(u16_at(b, 0).unwrap_or(0)),
    |v, o| put_u16(o, 0, v.0)
);
fixed_item!(Tsn, 4, |b| Tsn(u32_at(b, 0).unwrap_or(0)), |v, o| put_u32(
    o, 0, v.0
));
fixed_item!(
    GapAckBlock,
    4,
    |b| GapAckBlock {
        start: u16_at(b, 0).unwrap_or(0),
        end: u16_at(b, 2).unwrap_or(0),
    },
    |v, o| {
        put_u16(o, 0, v.start);
        put_u16(o, 2, v.end);
    }
);

/// One stream entry of a FORWARD TSN chunk (RFC 3758 §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ForwardTsnStream {
    /// The stream.
    pub stream: StreamId,
    /// The largest SSN skipped on it.
    pub ssn: Ssn,
}

fixed_item!(
    ForwardTsnStream,
    4,
    |b| ForwardTsnStream {
        stream: StreamId(u16_at(b, 0).unwrap_or(0)),
        ssn: Ssn(u16_at(b, 2).unwrap_or(0)),
    },
    |v, o| {
        put_u16(o, 0, v.stream.0);
        put_u16(o, 2, v.ssn.0);
    }
);

/// One stream entry of an I-FORWARD-TSN chunk (RFC 8260 §2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IForwardTsnStream {
    /// The stream.
    pub stream: StreamId,
    /// Whether the entry is for unordered messages (the U bit).
    pub unordered: bool,
    /// The largest MID skipped.
    pub mid: Mid,
}

fixed_item!(
    IForwardTsnStream,
    8,
    |b| IForwardTsnStream {
        stream: StreamId(u16_at(b, 0).unwrap_or(0)),
        // RFC 8260 §2.3.1: reserved bits are ignored by the receiver.
        unordered: u16_at(b, 2).unwrap_or(0) & 1 != 0,
        mid: Mid(u32_at(b, 4).unwrap_or(0)),
    },
    |v, o| {
        put_u16(o, 0, v.stream.0);
        put_u16(o, 2, u16::from(v.unordered));
        put_u32(o, 4, v.mid.0);
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_items_compare_by_content() {
        let items = [
            GapAckBlock { start: 2, end: 3 },
            GapAckBlock { start: 5, end: 9 },
        ];
        let raw = [0, 2, 0, 3, 0, 5, 0, 9];
        assert_eq!(List::Items(&items[..]), List::<GapAckBlock>::Raw(&raw));
        assert_ne!(List::Items(&items[..1]), List::<GapAckBlock>::Raw(&raw));
        let mut out = [0u8; 8];
        assert_eq!(List::Items(&items[..]).emit(&mut out), 8);
        assert_eq!(out, raw);
    }

    #[test]
    fn truncated_fixed_item_ends_the_list() {
        let l = List::<Tsn>::Raw(&[0, 0, 0, 1, 0, 0]);
        let v: Vec<_> = l.iter().collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0], Ok(Tsn(1)));
        assert!(v[1].is_err());
    }

    #[test]
    fn split_tlv_checks_lengths() {
        assert!(matches!(
            split_tlv(&[0, 1, 0, 3], TlvKind::Param),
            Err(WireError::LengthBelowHeader { len: 3, .. })
        ));
        assert!(matches!(
            split_tlv(&[0, 1, 0, 9, 1, 2, 3, 4], TlvKind::Param),
            Err(WireError::LengthPastEnd { len: 9, .. })
        ));
        assert!(matches!(
            split_tlv(&[0, 1], TlvKind::Param),
            Err(WireError::TrailingBytes { .. })
        ));
        // Last TLV without its padding is accepted.
        assert_eq!(
            split_tlv(&[0, 1, 0, 5, 7], TlvKind::Param),
            Ok((1, &[7u8][..], 5))
        );
        assert_eq!(
            split_tlv(&[0, 1, 0, 5, 7, 0, 0, 0, 9], TlvKind::Param),
            Ok((1, &[7u8][..], 8))
        );
    }
}
