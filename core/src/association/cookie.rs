//! The State Cookie (RFC 9260 §5.1.3): everything needed to build the
//! association's TCB, carried by the peer so that a listening endpoint keeps
//! no state before a valid COOKIE ECHO, and signed with HMAC-SHA256 under a
//! secret key only this endpoint knows.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::auth::AuthParams;
use crate::time::Instant;
use crate::types::{Tsn, VerificationTag};

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const MAC_LEN: usize = 32;
/// At most this many peer addresses travel in a cookie (RFC 9260 §5.1.2
/// lists addresses of INIT; more than this are ignored).
pub const MAX_COOKIE_ADDRESSES: usize = 16;
const ADDR_LEN: usize = 1 + 16 + 2;
const FIXED_LEN: usize = 1 + 8 + 4 + 4 * 4 + 4 + 2 + 2 + 4 + 4 + 2 + 2 + 1 + 4 + 1 + 1;

/// Capabilities the peer offered in its INIT, remembered in the cookie.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeerCapabilities {
    /// FORWARD-TSN supported (RFC 3758).
    pub forward_tsn: bool,
    /// I-DATA supported (RFC 8260).
    pub i_data: bool,
    /// RE-CONFIG supported (RFC 6525).
    pub reconfig: bool,
    /// The peer accepts packets with a zero checksum (RFC 9653).
    pub zero_checksum: bool,
    /// ASCONF supported (RFC 5061).
    pub asconf: bool,
}

impl PeerCapabilities {
    fn bits(self) -> u8 {
        u8::from(self.forward_tsn)
            | u8::from(self.i_data) << 1
            | u8::from(self.reconfig) << 2
            | u8::from(self.zero_checksum) << 3
            | u8::from(self.asconf) << 4
    }

    fn from_bits(b: u8) -> Self {
        Self {
            forward_tsn: b & 1 != 0,
            i_data: b & 2 != 0,
            reconfig: b & 4 != 0,
            zero_checksum: b & 8 != 0,
            asconf: b & 16 != 0,
        }
    }
}

/// What the cookie carries: the parameters of the association to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieContents {
    /// When the INIT ACK carrying the cookie was made.
    pub created: Instant,
    /// How long the cookie stays valid, in milliseconds.
    pub lifetime_ms: u32,
    /// Our verification tag (the Initiate Tag of our INIT ACK).
    pub local_tag: VerificationTag,
    /// The peer's verification tag (the Initiate Tag of its INIT).
    pub peer_tag: VerificationTag,
    /// Our initial TSN.
    pub local_initial_tsn: Tsn,
    /// The peer's initial TSN.
    pub peer_initial_tsn: Tsn,
    /// The peer's advertised receiver window.
    pub peer_rwnd: u32,
    /// Negotiated outbound streams (ours).
    pub outbound_streams: u16,
    /// Negotiated inbound streams (ours).
    pub inbound_streams: u16,
    /// Tie-tags (RFC 9260 §5.2.2): our tag of an existing association.
    pub local_tie_tag: VerificationTag,
    /// Tie-tags: the peer's tag of an existing association.
    pub peer_tie_tag: VerificationTag,
    /// The SCTP port of the peer.
    pub peer_port: u16,
    /// Our SCTP port.
    pub local_port: u16,
    /// What the peer offered.
    pub capabilities: PeerCapabilities,
    /// The peer's adaptation layer indication, if it sent one.
    pub peer_adaptation: Option<u32>,
    /// The peer's transport addresses: the INIT's source first.
    pub peer_addresses: Vec<SocketAddr>,
    /// Both sides' SCTP-AUTH parameters when both offered AUTH (RFC 4895
    /// §6.1); never a shared key.
    pub auth: Option<CookieAuth>,
}

/// The SCTP-AUTH parameters of both sides, as carried in a State Cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieAuth {
    /// Ours, as sent in the INIT ACK.
    pub local: AuthParams,
    /// The peer's, from its INIT.
    pub peer: AuthParams,
}

/// Why a cookie was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieError {
    /// Too short, wrong version, or not made by us.
    Invalid,
    /// Authentic but expired: RFC 9260 §5.1.5 answers with a Stale Cookie
    /// error carrying how late it is.
    Stale {
        /// How long past its lifetime, in microseconds.
        staleness_us: u64,
    },
}

/// The key that signs cookies; one per endpoint, from its random source.
#[derive(Clone)]
pub struct CookieKey([u8; 32]);

impl core::fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CookieKey(..)")
    }
}

impl CookieKey {
    /// A key from 32 secret random bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        match <HmacSha256 as Mac>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }

    /// Serialises and signs `c` (RFC 9260 §5.1.3).
    pub fn seal(&self, c: &CookieContents) -> Vec<u8> {
        let naddr = c.peer_addresses.len().min(MAX_COOKIE_ADDRESSES);
        let mut out = Vec::with_capacity(FIXED_LEN + naddr * ADDR_LEN + MAC_LEN);
        out.push(VERSION);
        out.extend_from_slice(&c.created.as_micros().to_be_bytes());
        out.extend_from_slice(&c.lifetime_ms.to_be_bytes());
        for v in [
            c.local_tag.0,
            c.peer_tag.0,
            c.local_initial_tsn.0,
            c.peer_initial_tsn.0,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&c.peer_rwnd.to_be_bytes());
        out.extend_from_slice(&c.outbound_streams.to_be_bytes());
        out.extend_from_slice(&c.inbound_streams.to_be_bytes());
        out.extend_from_slice(&c.local_tie_tag.0.to_be_bytes());
        out.extend_from_slice(&c.peer_tie_tag.0.to_be_bytes());
        out.extend_from_slice(&c.peer_port.to_be_bytes());
        out.extend_from_slice(&c.local_port.to_be_bytes());
        out.push(c.capabilities.bits() | u8::from(c.peer_adaptation.is_some()) << 7);
        out.extend_from_slice(&c.peer_adaptation.unwrap_or(0).to_be_bytes());
        out.push(naddr as u8);
        for a in c.peer_addresses.iter().take(naddr) {
            let (family, ip) = match a.ip() {
                IpAddr::V4(v4) => (4u8, v4.to_ipv6_mapped().octets()),
                IpAddr::V6(v6) => (6u8, v6.octets()),
            };
            out.push(family);
            out.extend_from_slice(&ip);
            out.extend_from_slice(&a.port().to_be_bytes());
        }
        match &c.auth {
            Some(a) => {
                out.push(1);
                a.local.encode(&mut out);
                a.peer.encode(&mut out);
            }
            None => out.push(0),
        }
        let mut mac = self.mac();
        mac.update(&out);
        out.extend_from_slice(&mac.finalize().into_bytes());
        out
    }

    /// Verifies and decodes a cookie without checking its lifetime: RFC
    /// 9260 §5.2.4 step 3 accepts an expired cookie whose tags match the
    /// existing association.
    pub fn open_ignoring_lifetime(&self, cookie: &[u8]) -> Option<CookieContents> {
        self.open(cookie, Instant::ZERO).ok()
    }

    /// Verifies and decodes a cookie received in COOKIE ECHO at time `now`
    /// (RFC 9260 §5.1.5 steps 1–3).
    pub fn open(&self, cookie: &[u8], now: Instant) -> Result<CookieContents, CookieError> {
        if cookie.len() < FIXED_LEN + MAC_LEN {
            return Err(CookieError::Invalid);
        }
        let (body, tag) = cookie.split_at(cookie.len() - MAC_LEN);
        let mut mac = self.mac();
        mac.update(body);
        // Constant-time comparison.
        mac.verify_slice(tag).map_err(|_| CookieError::Invalid)?;

        let mut r = Reader(body);
        if r.u8()? != VERSION {
            return Err(CookieError::Invalid);
        }
        let created = Instant::from_micros(r.u64()?);
        let lifetime_ms = r.u32()?;
        let local_tag = VerificationTag(r.u32()?);
        let peer_tag = VerificationTag(r.u32()?);
        let local_initial_tsn = Tsn(r.u32()?);
        let peer_initial_tsn = Tsn(r.u32()?);
        let peer_rwnd = r.u32()?;
        let outbound_streams = r.u16()?;
        let inbound_streams = r.u16()?;
        let local_tie_tag = VerificationTag(r.u32()?);
        let peer_tie_tag = VerificationTag(r.u32()?);
        let peer_port = r.u16()?;
        let local_port = r.u16()?;
        let bits = r.u8()?;
        let adaptation = r.u32()?;
        let naddr = usize::from(r.u8()?);
        if naddr > MAX_COOKIE_ADDRESSES || r.0.len() < naddr * ADDR_LEN + 1 {
            return Err(CookieError::Invalid);
        }
        let mut peer_addresses = Vec::with_capacity(naddr);
        for _ in 0..naddr {
            let family = r.u8()?;
            let mut ip = [0u8; 16];
            ip.copy_from_slice(r.take(16)?);
            let port = r.u16()?;
            let ip = match family {
                4 => IpAddr::V4(
                    Ipv6Addr::from(ip)
                        .to_ipv4_mapped()
                        .unwrap_or(Ipv4Addr::UNSPECIFIED),
                ),
                6 => IpAddr::V6(Ipv6Addr::from(ip)),
                _ => return Err(CookieError::Invalid),
            };
            peer_addresses.push(SocketAddr::new(ip, port));
        }
        let auth = match r.u8()? {
            0 => None,
            1 => {
                let (local, rest) = AuthParams::decode(r.0).ok_or(CookieError::Invalid)?;
                let (peer, rest) = AuthParams::decode(rest).ok_or(CookieError::Invalid)?;
                r.0 = rest;
                Some(CookieAuth { local, peer })
            }
            _ => return Err(CookieError::Invalid),
        };
        if !r.0.is_empty() {
            return Err(CookieError::Invalid);
        }

        // RFC 9260 §5.1.5 step 3: compare the creation time plus lifetime
        // with the current time.
        let expiry = created + core::time::Duration::from_millis(u64::from(lifetime_ms));
        if now > expiry {
            return Err(CookieError::Stale {
                staleness_us: (now - expiry).as_micros().min(u128::from(u64::MAX)) as u64,
            });
        }
        Ok(CookieContents {
            created,
            lifetime_ms,
            local_tag,
            peer_tag,
            local_initial_tsn,
            peer_initial_tsn,
            peer_rwnd,
            outbound_streams,
            inbound_streams,
            local_tie_tag,
            peer_tie_tag,
            peer_port,
            local_port,
            capabilities: PeerCapabilities::from_bits(bits & 0x7f),
            peer_adaptation: (bits & 0x80 != 0).then_some(adaptation),
            peer_addresses,
            auth,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CookieError> {
        if self.0.len() < n {
            return Err(CookieError::Invalid);
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, CookieError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, CookieError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, CookieError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, CookieError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CookieContents {
        CookieContents {
            created: Instant::from_millis(1000),
            lifetime_ms: 60_000,
            local_tag: VerificationTag(0x1234_5678),
            peer_tag: VerificationTag(0x9abc_def0),
            local_initial_tsn: Tsn(1),
            peer_initial_tsn: Tsn(u32::MAX),
            peer_rwnd: 65536,
            outbound_streams: 10,
            inbound_streams: 65535,
            local_tie_tag: VerificationTag(0),
            peer_tie_tag: VerificationTag(7),
            peer_port: 5000,
            local_port: 5001,
            capabilities: PeerCapabilities {
                forward_tsn: true,
                i_data: false,
                reconfig: true,
                zero_checksum: false,
                asconf: true,
            },
            peer_adaptation: Some(42),
            peer_addresses: vec![
                "127.0.0.1:9899".parse().unwrap(),
                "[::1]:9900".parse().unwrap(),
            ],
            auth: None,
        }
    }

    #[test]
    fn auth_parameters_travel_in_the_cookie() {
        let key = CookieKey::new([7; 32]);
        let mut c = sample();
        c.auth = Some(CookieAuth {
            local: AuthParams {
                random: [1; 32],
                chunks: Some(vec![0, 0xC1]),
                hmacs: vec![3, 1],
            },
            peer: AuthParams {
                random: [2; 32],
                chunks: None,
                hmacs: vec![1],
            },
        });
        let sealed = key.seal(&c);
        assert_eq!(key.open(&sealed, Instant::from_millis(2000)), Ok(c));
    }

    #[test]
    fn seal_then_open_round_trips() {
        let key = CookieKey::new([7; 32]);
        let c = sample();
        let sealed = key.seal(&c);
        assert_eq!(key.open(&sealed, Instant::from_millis(2000)), Ok(c));
    }

    #[test]
    fn tampered_or_foreign_cookie_is_invalid() {
        let key = CookieKey::new([7; 32]);
        let mut sealed = key.seal(&sample());
        let other = CookieKey::new([8; 32]);
        assert_eq!(
            other.open(&sealed, Instant::ZERO),
            Err(CookieError::Invalid)
        );
        sealed[5] ^= 1;
        assert_eq!(key.open(&sealed, Instant::ZERO), Err(CookieError::Invalid));
        assert_eq!(key.open(&[], Instant::ZERO), Err(CookieError::Invalid));
        assert_eq!(
            key.open(&sealed[..40], Instant::ZERO),
            Err(CookieError::Invalid)
        );
    }

    #[test]
    fn expired_cookie_reports_staleness() {
        let key = CookieKey::new([1; 32]);
        let sealed = key.seal(&sample());
        let now = Instant::from_millis(1000 + 60_000 + 5);
        assert_eq!(
            key.open(&sealed, now),
            Err(CookieError::Stale { staleness_us: 5000 })
        );
    }
}
