//! Configuration of endpoints and associations.
//!
//! Defaults are RFC 9260 §16's protocol parameters unless a comment says
//! otherwise (and why).

use core::time::Duration;

/// Settings of one association. Given to [`crate::Endpoint::connect`] and,
/// through [`EndpointConfig::association`], to associations accepted by an
/// endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssociationConfig {
    /// Outbound streams requested in INIT (OS). 1..=65535.
    pub outbound_streams: u16,
    /// Maximum inbound streams accepted (MIS). 1..=65535.
    pub max_inbound_streams: u16,
    /// RTO.Initial (RFC 9260 §16: 1 s).
    pub rto_initial: Duration,
    /// RTO.Min (RFC 9260 §16: 1 s).
    pub rto_min: Duration,
    /// RTO.Max (RFC 9260 §16: 60 s).
    pub rto_max: Duration,
    /// Max.Init.Retransmits (RFC 9260 §16: 8).
    pub max_init_retransmits: u32,
    /// Largest T1-init / T1-cookie timeout while setting up (RFC 6458
    /// §8.1.3 `sinit_max_init_timeo`): the doubling of the timeout after
    /// each retransmitted INIT or COOKIE ECHO (RFC 9260 §5.1 C/D) stops
    /// here. `None` (the default) uses `rto_max`, as RFC 9260 §6.3.3 E2
    /// does; a value may be above or below `rto_max`.
    pub max_init_timeout: Option<Duration>,
    /// Association.Max.Retrans (RFC 9260 §16: 10).
    pub max_association_retransmits: u32,
    /// Path.Max.Retrans (RFC 9260 §16: 5).
    pub max_path_retransmits: u32,
    /// 'PotentiallyFailed.Max.Retrans' (PFMR, RFC 7829 §3.2 rule 1): a path whose
    /// error counter exceeds this becomes Potentially Failed, and new data
    /// and retransmissions move to an active alternate at once instead of
    /// after [`max_path_retransmits`](Self::max_path_retransmits) + 1
    /// timeouts. `Some(0)` (the default, RFC 7829 §6) switches on the first
    /// timeout; `None` turns SCTP-PF off (plain RFC 9260 §8.2 failover).
    /// Must be below `max_path_retransmits` when set.
    pub pf_max_retrans: Option<u32>,
    /// 'Primary.Switchover.Max.Retrans' (PSMR, RFC 7829 §5, "Primary Path
    /// Switchover"): when the primary's error counter exceeds this, the
    /// path data goes to instead becomes the primary (reported as
    /// [`PeerAddressState::MadePrimary`](crate::PeerAddressState::MadePrimary)
    /// with [`AddressChangeReason::PrimarySwitchover`](crate::AddressChangeReason::PrimarySwitchover)),
    /// so data stays there when the old primary recovers. `None` (the
    /// default, as RFC 7829 §5 recommends) keeps RFC 9260's behaviour: the
    /// primary stays, and data returns to it once it is active again. With
    /// SCTP-PF on it must be at least `pf_max_retrans` (`Some(pf_max_retrans)`
    /// switches over as the primary becomes Potentially Failed), else at
    /// least `max_path_retransmits`.
    pub primary_switchover: Option<u32>,
    /// HB.interval (RFC 9260 §16: 30 s). `None` disables heartbeats.
    pub heartbeat_interval: Option<Duration>,
    /// Delayed SACK timeout (RFC 9260 §6.2: at most 500 ms; 200 ms is the
    /// customary value).
    pub sack_delay: Duration,
    /// Acknowledge at least every this many packets carrying DATA (RFC 9260
    /// §6.2: 2).
    pub sack_frequency: u32,
    /// Path MTU assumed for SCTP packets, in bytes (the SCTP common header
    /// and chunks, without the IP and UDP headers). 1200 suits UDP and DTLS
    /// paths on the Internet without PMTU discovery.
    pub mtu: usize,
    /// Largest message the application may send or will accept, in bytes.
    pub max_message_size: usize,
    /// Receive buffer (advertised receiver window, a_rwnd), in bytes.
    pub receive_buffer: u32,
    /// Most bytes the application may have queued for sending.
    pub send_buffer: usize,
    /// Disable Nagle-style bundling delay (SCTP_NODELAY). With `false` (the
    /// default), while data is in flight new data that would not fill a
    /// packet waits (for a SACK, or for more data) so that small messages
    /// are bundled; the rest of a message whose first fragment has left is
    /// never held back.
    pub nodelay: bool,
    /// Max.Burst (RFC 9260 §16: 4): packets sent in one burst, in
    /// response to one incoming packet or timer event (§6.1 D).
    pub max_burst: u32,
    /// The congestion controller of each path: RFC 9260 §7.2 NewReno
    /// (default) or CUBIC (RFC 9438, opt-in).
    pub congestion_control: crate::congestion::Algorithm,
    /// Leave the initial slow start when the RTT rises (HyStart++,
    /// RFC 9406) rather than only on loss: avoids the loss of up to a whole
    /// window when the receive window exceeds what the path holds. Default
    /// on.
    pub hystart: bool,
    /// Valid.Cookie.Life (RFC 9260 §16: 60 s).
    pub cookie_lifetime: Duration,
    /// Offer and use I-DATA (RFC 8260) when the peer supports it.
    pub i_data: bool,
    /// Offer partial reliability (FORWARD-TSN, RFC 3758).
    pub partial_reliability: bool,
    /// Offer stream reconfiguration (RE-CONFIG, RFC 6525).
    pub reconfig: bool,
    /// Which re-configuration requests of the peer are accepted (RFC 6525
    /// §5.2); the others are answered "Denied".
    pub reconfig_policy: ReconfigPolicy,
    /// Offer dynamic address reconfiguration (ASCONF / ASCONF-ACK, RFC
    /// 5061): the peer may add and delete its addresses and suggest our
    /// primary path, and `Endpoint::add_local_address` /
    /// `remove_local_address` / `set_peer_primary` reach peers that
    /// offer it too.
    pub asconf: bool,
    /// Accept packets with a zero checksum when the peer offers it (RFC
    /// 9653); only safe below a lower layer with integrity, e.g. DTLS.
    pub zero_checksum: bool,
    /// Adaptation layer indication to send in INIT/INIT ACK (RFC 5061).
    pub adaptation_indication: Option<u32>,
    /// Close the association after this much idle time (SCTP_AUTOCLOSE).
    pub autoclose: Option<Duration>,
    /// SCTP-AUTH (RFC 4895): `None` (the default) neither offers nor
    /// accepts authenticated chunks; `Some` lists RANDOM, CHUNKS and
    /// HMAC-ALGO in INIT / INIT ACK and, when the peer does too,
    /// authenticates the chunks each side asks for. A peer without AUTH
    /// still gets an association, unauthenticated, and
    /// [`Event::Authentication`](crate::Event::Authentication) with
    /// [`AuthIndication::NoAuth`](crate::AuthIndication::NoAuth) says so.
    pub auth: Option<AuthConfig>,
}

/// An HMAC algorithm of SCTP-AUTH (RFC 4895 §3.3, Table 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HmacAlgorithm {
    /// HMAC-SHA-1 (HMAC Identifier 1); every endpoint supports it.
    Sha1,
    /// HMAC-SHA-256 (HMAC Identifier 3).
    Sha256,
}

impl HmacAlgorithm {
    /// The HMAC Identifier on the wire.
    pub fn id(self) -> u16 {
        match self {
            Self::Sha1 => 1,
            Self::Sha256 => 3,
        }
    }

    /// The algorithm of an HMAC Identifier, if this implementation has it.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            1 => Some(Self::Sha1),
            3 => Some(Self::Sha256),
            _ => None,
        }
    }

    /// Length of the HMAC in bytes.
    pub fn hmac_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

/// SCTP-AUTH settings (RFC 4895) of [`AssociationConfig::auth`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthConfig {
    /// Chunk types this side accepts only when authenticated: our CHUNKS
    /// parameter (RFC 4895 §3.2), e.g. `[0]` for DATA; such chunks arriving
    /// without a valid AUTH before them are discarded (§6.3). INIT (1),
    /// INIT ACK (2), SHUTDOWN COMPLETE (14) and AUTH (15) may not be
    /// listed. Empty: we only authenticate what the peer asks for.
    pub chunks: Vec<u8>,
    /// HMAC algorithms the peer should use, most preferred first (our
    /// HMAC-ALGO parameter, §3.3); must include
    /// [`HmacAlgorithm::Sha1`] (§6.1) and list each algorithm once.
    pub hmac_algorithms: Vec<HmacAlgorithm>,
}

impl Default for AuthConfig {
    /// No chunk required; HMAC-SHA-256 preferred, HMAC-SHA-1 accepted.
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            hmac_algorithms: vec![HmacAlgorithm::Sha256, HmacAlgorithm::Sha1],
        }
    }
}

impl AuthConfig {
    /// Checks the settings, returning a message that says what to change.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |msg: &'static str| Err(crate::Error::InvalidConfig(msg));
        // RFC 4895 §3.2: these types MUST NOT be listed.
        if self.chunks.iter().any(|t| matches!(t, 1 | 2 | 14 | 15)) {
            return bad(
                "auth.chunks must not list INIT (1), INIT ACK (2), SHUTDOWN COMPLETE (14) or AUTH (15)",
            );
        }
        // §3.2: the CHUNKS parameter is at most 260 bytes.
        if self.chunks.len() > 256 {
            return bad("auth.chunks lists at most 256 chunk types");
        }
        // §6.1: SHA-1 MUST be supported and included.
        if !self.hmac_algorithms.contains(&HmacAlgorithm::Sha1) {
            return bad("auth.hmac_algorithms must include HmacAlgorithm::Sha1 (RFC 4895 §6.1)");
        }
        if self.hmac_algorithms.len() > 2
            || self.hmac_algorithms.first() == self.hmac_algorithms.get(1)
        {
            return bad("auth.hmac_algorithms must list each algorithm once");
        }
        Ok(())
    }
}

impl Default for AssociationConfig {
    fn default() -> Self {
        Self {
            outbound_streams: 10,
            max_inbound_streams: 65535,
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_secs(1),
            rto_max: Duration::from_secs(60),
            max_init_retransmits: 8,
            max_init_timeout: None,
            max_association_retransmits: 10,
            max_path_retransmits: 5,
            pf_max_retrans: Some(0),
            primary_switchover: None,
            heartbeat_interval: Some(Duration::from_secs(30)),
            sack_delay: Duration::from_millis(200),
            sack_frequency: 2,
            mtu: 1200,
            max_message_size: 256 * 1024,
            receive_buffer: 1024 * 1024,
            send_buffer: 4 * 1024 * 1024,
            nodelay: false,
            max_burst: 4,
            congestion_control: crate::congestion::Algorithm::NewReno,
            hystart: true,
            cookie_lifetime: Duration::from_secs(60),
            i_data: false,
            partial_reliability: true,
            reconfig: true,
            reconfig_policy: ReconfigPolicy::default(),
            asconf: true,
            zero_checksum: false,
            adaptation_indication: None,
            autoclose: None,
            auth: None,
        }
    }
}

impl AssociationConfig {
    /// Checks the settings, returning a message that says what to change.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |msg: &'static str| Err(crate::Error::InvalidConfig(msg));
        if self.outbound_streams == 0 {
            return bad("outbound_streams must be at least 1");
        }
        if self.max_inbound_streams == 0 {
            return bad("max_inbound_streams must be at least 1");
        }
        if self.mtu < 256 || self.mtu > 65_507 {
            return bad("mtu must be between 256 and 65507 bytes");
        }
        if self.rto_min > self.rto_max {
            return bad("rto_min must not exceed rto_max");
        }
        if self.rto_initial.is_zero() || self.rto_min.is_zero() {
            return bad("rto_initial and rto_min must be greater than zero");
        }
        if self.max_init_timeout.is_some_and(|t| t.is_zero()) {
            return bad("max_init_timeout must be greater than zero (None uses rto_max)");
        }
        if self.sack_delay > Duration::from_millis(500) {
            return bad("sack_delay must be at most 500 ms (RFC 9260 §6.2)");
        }
        if self.sack_frequency == 0 {
            return bad("sack_frequency must be at least 1");
        }
        if self.max_message_size == 0 {
            return bad("max_message_size must be at least 1 byte");
        }
        if self.receive_buffer < 1500 {
            return bad("receive_buffer must be at least 1500 bytes (RFC 9260 §6.2)");
        }
        if matches!(self.pf_max_retrans, Some(pf) if pf >= self.max_path_retransmits) {
            return bad(
                "pf_max_retrans must be below max_path_retransmits (RFC 7829 §3.2); use None to turn SCTP-PF off",
            );
        }
        // RFC 7829 §5 rule 1: PSMR >= PFMR with SCTP-PF, >= PMR without.
        if let Some(psmr) = self.primary_switchover {
            match self.pf_max_retrans {
                Some(pf) if psmr < pf => {
                    return bad(
                        "primary_switchover must be at least pf_max_retrans (RFC 7829 §5), or None",
                    )
                }
                None if psmr < self.max_path_retransmits => {
                    return bad(
                        "primary_switchover must be at least max_path_retransmits when SCTP-PF is off (RFC 7829 §5), or None",
                    )
                }
                _ => {}
            }
        }
        if self.max_burst == 0 {
            return bad("max_burst must be at least 1");
        }
        if let Some(a) = &self.auth {
            a.validate()?;
        }
        Ok(())
    }
}

/// Which stream re-configuration requests (RFC 6525) from the peer an
/// association accepts; refused requests are answered "Denied" (§5.2.1:
/// "an administrative decision"). The socket option
/// `SCTP_ENABLE_STREAM_RESET` (RFC 6525 §6.3.1) sets the two `accept_*`
/// flags for stream resets and additions and `accept_ssn_tsn_reset`.
///
/// SSN/TSN Reset Requests (§5.2.4) are denied unless
/// [`accept_ssn_tsn_reset`](Self::accept_ssn_tsn_reset) is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconfigPolicy {
    /// Accept Outgoing and Incoming SSN Reset Requests (§5.2.2, §5.2.3).
    /// On by default: WebRTC data channels close by resetting their
    /// streams (RFC 8831 §6.7).
    pub accept_stream_reset: bool,
    /// Accept Add Outgoing and Add Incoming Streams Requests (§5.2.5,
    /// §5.2.6). Inbound streams stay within
    /// [`AssociationConfig::max_inbound_streams`], outbound ones within
    /// [`max_outbound_streams`](Self::max_outbound_streams).
    pub accept_add_streams: bool,
    /// Most outbound streams the peer may make us open with Add Incoming
    /// Streams Requests (§5.2.6).
    pub max_outbound_streams: u16,
    /// Accept SSN/TSN Reset Requests (§5.2.4): the peer restarts both
    /// directions' TSNs and every stream's SSNs. Off by default, as in
    /// usrsctp (SCTP_ENABLE_RESET_ASSOC_REQ). While we have data in flight
    /// the answer is "In progress" and our new messages wait; the reset is
    /// performed once everything we sent was acknowledged, so nothing is
    /// lost (the peer retransmits its request, §5.2.7 H2).
    pub accept_ssn_tsn_reset: bool,
}

impl Default for ReconfigPolicy {
    fn default() -> Self {
        Self {
            accept_stream_reset: true,
            accept_add_streams: true,
            max_outbound_streams: 65535,
            accept_ssn_tsn_reset: false,
        }
    }
}

/// Settings of an [`crate::Endpoint`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointConfig {
    /// The SCTP port of this endpoint (the common header's port, not the
    /// UDP port of an encapsulation).
    pub port: u16,
    /// Whether incoming associations are accepted (a listening endpoint).
    pub accept_incoming: bool,
    /// The most associations this endpoint holds at once; further INITs are
    /// answered with ABORT (RFC 9260 §5.1: "Out of Resource").
    pub max_associations: usize,
    /// Settings for associations this endpoint accepts.
    pub association: AssociationConfig,
    /// The IP addresses of this host to use for its associations (the
    /// `sctp_bindx` equivalent), listed as IPv4/IPv6 Address parameters in
    /// our INIT and INIT ACK (RFC 9260 §5.1.2) so the peer may use each as
    /// a path. Empty (the default): no address is listed and the peer uses
    /// the source address of our packets only.
    ///
    /// With UDP encapsulation (RFC 6951 §5), the peer pairs each listed IP
    /// with the UDP source port of the packet carrying the INIT / INIT ACK,
    /// so the host must use the same UDP port on every listed address. With
    /// more than one address, pass the local address of arriving datagrams
    /// through `Endpoint::handle_datagram_to`, and send each
    /// `Transmit` from its `source` when set.
    pub local_addresses: Vec<std::net::IpAddr>,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            port: 5000,
            accept_incoming: false,
            max_associations: 65_536,
            association: AssociationConfig::default(),
            local_addresses: Vec::new(),
        }
    }
}

/// An IP prefix in CIDR notation, e.g. `10.0.0.0/8` or `2001:db8::/32`; a
/// bare address is a prefix of its full length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The prefix `addr/prefix`; `None` when `prefix` is longer than the
    /// address (32 for IPv4, 128 for IPv6).
    pub fn new(addr: std::net::IpAddr, prefix: u8) -> Option<Self> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Self { addr, prefix })
    }

    /// The network address as given.
    pub fn addr(&self) -> std::net::IpAddr {
        self.addr
    }

    /// The prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies in this prefix. IPv4-mapped IPv6 addresses
    /// (`::ffff:a.b.c.d`) count as the IPv4 address they carry.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (self.addr.to_canonical(), ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let bits = u32::from(self.prefix.min(32));
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let bits = u32::from(self.prefix.min(128));
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl core::fmt::Display for Cidr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl core::str::FromStr for Cidr {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::Error::InvalidConfig("not an IP prefix (e.g. 10.0.0.0/8 or ::1/128)");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: std::net::IpAddr = addr.parse().map_err(|_| bad())?;
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().map_err(|_| bad())?,
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        Self::new(addr, prefix).ok_or_else(bad)
    }
}

/// Which peers may start associations with an endpoint (its accept
/// policy). An INIT from a refused address is answered with ABORT, as if
/// nobody listened (RFC 9260 §5.1, §8.4).
///
/// A `deny` match always refuses; otherwise an empty `allow` list accepts
/// everyone and a non-empty one accepts only the addresses it contains.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressFilter {
    /// Prefixes accepted (empty: all).
    pub allow: Vec<Cidr>,
    /// Prefixes refused, whatever `allow` says.
    pub deny: Vec<Cidr>,
}

impl AddressFilter {
    /// Whether a peer at `ip` may start an association.
    pub fn permits(&self, ip: std::net::IpAddr) -> bool {
        if self.deny.iter().any(|c| c.contains(ip)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|c| c.contains(ip))
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn primary_switchover_threshold_follows_rfc_7829_section_5() {
        let mut c = AssociationConfig {
            primary_switchover: Some(0),
            ..AssociationConfig::default()
        };
        assert_eq!(c.validate().map_err(|_| ()), Ok(()), "PSMR = PFMR = 0");
        c.pf_max_retrans = Some(2);
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("at least pf_max_retrans"), "{err}");
        c.pf_max_retrans = None;
        c.primary_switchover = Some(4);
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("at least max_path_retransmits"), "{err}");
        c.primary_switchover = Some(5);
        assert_eq!(c.validate().map_err(|_| ()), Ok(()), "PSMR = PMR");
    }

    #[test]
    fn pf_threshold_must_be_below_path_max_retrans() {
        let mut c = AssociationConfig::default();
        assert_eq!(c.pf_max_retrans, Some(0));
        c.pf_max_retrans = Some(5);
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("pf_max_retrans"), "{err}");
        c.pf_max_retrans = None;
        assert!(c.validate().is_ok());
    }

    #[test]
    fn cidr_parses_and_matches_prefixes() {
        let c: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(c.contains(ip("10.1.200.3")));
        assert!(!c.contains(ip("10.2.0.1")));
        assert!(
            c.contains(ip("::ffff:10.1.0.9")),
            "IPv4-mapped counts as IPv4"
        );
        assert!(!c.contains(ip("2001:db8::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("192.0.2.1")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert_eq!(one.prefix(), 32);
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        for bad in ["10.0.0.0/33", "::/129", "nonsense", "10.0.0.0/x", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn deny_wins_and_empty_allow_accepts_all() {
        let mut f = AddressFilter::default();
        assert!(f.permits(ip("198.51.100.7")));
        f.allow.push("127.0.0.0/8".parse().unwrap());
        assert!(f.permits(ip("127.0.0.5")));
        assert!(!f.permits(ip("198.51.100.7")));
        f.deny.push("127.0.0.5/32".parse().unwrap());
        assert!(!f.permits(ip("127.0.0.5")));
        assert!(f.permits(ip("127.0.0.6")));
    }
}
