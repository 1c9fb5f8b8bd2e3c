//! SCTP-AUTH (RFC 4895) for hand-scripted peers: key material and AUTH
//! chunks computed with the `hmac` crate directly, independently of the
//! core's own code.

#![allow(dead_code)] // each test file uses a part

use hmac::{Hmac, Mac};

/// A TLV without padding (§6.1: key vectors omit padding).
pub fn tlv(t: u16, value: &[u8]) -> Vec<u8> {
    let mut v = t.to_be_bytes().to_vec();
    v.extend_from_slice(&((4 + value.len()) as u16).to_be_bytes());
    v.extend_from_slice(value);
    v
}

pub fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    parts.iter().for_each(|p| m.update(p));
    m.finalize().into_bytes().to_vec()
}

pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    parts.iter().for_each(|p| m.update(p));
    m.finalize().into_bytes().to_vec()
}

/// As big-endian numbers, is `a` at most `b` (equal: the shorter first)?
pub fn numerically_le(a: &[u8], b: &[u8]) -> bool {
    let s = |v: &[u8]| {
        v.iter()
            .skip_while(|&&x| x == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    let (x, y) = (s(a), s(b));
    (x.len(), x, a.len()) <= (y.len(), y, b.len())
}

/// The association shared key from endpoint pair shared key `secret` and
/// both key vectors (§6.1: the numerically smaller vector first).
pub fn association_key(secret: &[u8], a: &[u8], b: &[u8]) -> Vec<u8> {
    let (lo, hi) = if numerically_le(a, b) { (a, b) } else { (b, a) };
    [secret, lo, hi].concat()
}

/// An AUTH chunk (key `key_id`, HMAC id `hmac_id`: 1 SHA-1, 3 SHA-256,
/// computed with `key` over itself and `rest`, §6.2) followed by `rest`.
pub fn auth_then(key_id: u16, hmac_id: u16, key: &[u8], rest: &[u8]) -> Vec<u8> {
    let len = if hmac_id == 3 { 32 } else { 20 };
    let mut a = vec![15, 0];
    a.extend_from_slice(&((8 + len) as u16).to_be_bytes());
    a.extend_from_slice(&key_id.to_be_bytes());
    a.extend_from_slice(&hmac_id.to_be_bytes());
    a.resize(8 + len, 0);
    let mac = if hmac_id == 3 {
        hmac_sha256(key, &[&a, rest])
    } else {
        hmac_sha1(key, &[&a, rest])
    };
    a[8..].copy_from_slice(&mac);
    a.extend_from_slice(rest);
    a
}

/// A DATA chunk carrying a whole message of `payload` on stream 0 (SSN 0,
/// PPID 0), asking for an immediate SACK (RFC 7053).
pub fn data_chunk(tsn: u32, payload: &[u8]) -> anysctp::wire::Chunk<'_> {
    anysctp::wire::Chunk::Data(anysctp::wire::DataChunk {
        tsn: anysctp::Tsn(tsn),
        stream: anysctp::StreamId(0),
        ssn: anysctp::Ssn(0),
        ppid: anysctp::Ppid(0),
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: true,
        payload,
    })
}
