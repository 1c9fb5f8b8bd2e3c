//! Bounds-checked big-endian field access shared by the codecs.
//!
//! Readers return `None` instead of panicking; callers check lengths once and
//! then read fixed offsets. Writers are for emit paths, whose callers have
//! checked the buffer size against `encoded_len` first.

/// Rounds `n` up to a multiple of 4 (RFC 9260 §3.2 padding).
#[inline]
pub(crate) const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

#[inline]
pub(crate) fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    let s = b.get(i..i.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

#[inline]
pub(crate) fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    let s = b.get(i..i.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

#[inline]
pub(crate) fn put_u16(b: &mut [u8], i: usize, v: u16) {
    b[i..i + 2].copy_from_slice(&v.to_be_bytes());
}

#[inline]
pub(crate) fn put_u32(b: &mut [u8], i: usize, v: u32) {
    b[i..i + 4].copy_from_slice(&v.to_be_bytes());
}

/// Writes `data` at `i` and returns the index after it.
#[inline]
pub(crate) fn put_bytes(b: &mut [u8], i: usize, data: &[u8]) -> usize {
    b[i..i + data.len()].copy_from_slice(data);
    i + data.len()
}

/// Writes a 4-byte TLV header (16-bit type, 16-bit length) at 0.
#[inline]
pub(crate) fn put_tlv_header(b: &mut [u8], tlv_type: u16, len: usize) {
    debug_assert!(len <= usize::from(u16::MAX), "TLV length {len} overflows");
    put_u16(b, 0, tlv_type);
    put_u16(b, 2, len as u16);
}
