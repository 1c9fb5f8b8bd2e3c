//! Configuration structs as C sees them: flat, plain integers, times in
//! milliseconds. Fill them with the `_default` functions, then change what
//! you need.

use core::time::Duration;

use crate::error::{anysctp_result, guard, Failure};

/// Settings of one association (see the core's `AssociationConfig` for the
/// RFC parameters behind each field). Times are in milliseconds. Always
/// start from `anysctp_association_config_default()`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct anysctp_association_config {
    /// Outbound streams requested in INIT (1..=65535; default 10).
    pub outbound_streams: u16,
    /// Most inbound streams accepted (1..=65535; default 65535).
    pub max_inbound_streams: u16,
    /// RTO.Initial, ms (RFC 9260 §16: 1000).
    pub rto_initial_ms: u32,
    /// RTO.Min, ms (RFC 9260 §16: 1000).
    pub rto_min_ms: u32,
    /// RTO.Max, ms (RFC 9260 §16: 60000).
    pub rto_max_ms: u32,
    /// Max.Init.Retransmits (8).
    pub max_init_retransmits: u32,
    /// Association.Max.Retrans (10).
    pub max_association_retransmits: u32,
    /// Path.Max.Retrans (5).
    pub max_path_retransmits: u32,
    /// HB.interval, ms; 0 disables heartbeats (30000).
    pub heartbeat_interval_ms: u32,
    /// Delayed SACK timeout, ms, at most 500 (200).
    pub sack_delay_ms: u32,
    /// Acknowledge at least every this many DATA packets (2).
    pub sack_frequency: u32,
    /// SCTP packet size limit in bytes, without IP/UDP headers (1200).
    pub mtu: u32,
    /// Largest message sent or accepted, bytes (262144).
    pub max_message_size: u32,
    /// Advertised receive window, bytes (1 MiB).
    pub receive_buffer: u32,
    /// Most bytes queued for sending (4 MiB).
    pub send_buffer: u32,
    /// Send without Nagle-style bundling delay (SCTP_NODELAY; false).
    pub nodelay: bool,
    /// Max.Burst (4).
    pub max_burst: u32,
    /// Valid.Cookie.Life, ms (60000).
    pub cookie_lifetime_ms: u32,
    /// Offer I-DATA, RFC 8260 (false).
    pub i_data: bool,
    /// Offer partial reliability, RFC 3758 (true).
    pub partial_reliability: bool,
    /// Offer stream reconfiguration, RFC 6525 (true).
    pub reconfig: bool,
    /// Accept zero checksums, RFC 9653 — only below DTLS (false).
    pub zero_checksum: bool,
    /// Whether `adaptation_indication` is sent (false).
    pub has_adaptation_indication: bool,
    /// Adaptation layer indication for INIT/INIT ACK (RFC 5061).
    pub adaptation_indication: u32,
    /// Close after this much idle time, ms; 0 never (SCTP_AUTOCLOSE).
    pub autoclose_ms: u32,
    /// SCTP-PF, RFC 7829: move traffic off a path as soon as its error
    /// counter exceeds `pf_max_retrans` (true). False: only when it exceeds
    /// `max_path_retransmits` (plain RFC 9260 failover).
    pub pf_enabled: bool,
    /// PotentiallyFailed.Max.Retrans (0: on the first timeout); below
    /// `max_path_retransmits`.
    pub pf_max_retrans: u32,
    /// Upper limit of the INIT / COOKIE ECHO retransmission timeout, ms
    /// (SCTP_INITMSG sinit_max_init_timeo); 0 uses `rto_max_ms`.
    pub max_init_timeout_ms: u32,
    /// Offer dynamic address reconfiguration, RFC 5061 ASCONF (true); it is
    /// used only when both sides also have SCTP-AUTH (`auth_enabled`).
    pub asconf: bool,
    /// Offer SCTP-AUTH, RFC 4895 (false). A peer without it still gets an
    /// association, unauthenticated (`ANYSCTP_AUTH_NO_AUTH` says so).
    pub auth_enabled: bool,
    /// Chunk types accepted only when authenticated (RFC 4895 §3.2), as a
    /// bit set: type `t` is `auth_chunks[t / 8] & (1 << (t % 8))`, e.g.
    /// `auth_chunks[0] |= 1` for DATA. INIT (1), INIT ACK (2), SHUTDOWN
    /// COMPLETE (14) and AUTH (15) may not be set. None by default.
    pub auth_chunks: [u8; 32],
    /// HMAC identifiers the peer should use, most preferred first (RFC
    /// 4895 §3.3): 1 HMAC-SHA-1 (must be listed), 3 HMAC-SHA-256; 0 marks
    /// an empty slot, e.g. {1, 0} for SHA-1 only. Default {3, 1}.
    pub auth_hmac_algorithms: [u8; 2],
}

/// Settings of an endpoint. Start from `anysctp_endpoint_config_default()`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct anysctp_endpoint_config {
    /// The local SCTP port (the common header's port, not a UDP port).
    pub port: u16,
    /// Accept incoming associations (a listening endpoint).
    pub accept_incoming: bool,
    /// Most associations held at once; further INITs are refused.
    pub max_associations: u32,
    /// Settings for associations this endpoint accepts.
    pub association: anysctp_association_config,
}

fn ms(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

fn sat32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<&sctp::AssociationConfig> for anysctp_association_config {
    fn from(c: &sctp::AssociationConfig) -> Self {
        Self {
            outbound_streams: c.outbound_streams,
            max_inbound_streams: c.max_inbound_streams,
            rto_initial_ms: ms(c.rto_initial),
            rto_min_ms: ms(c.rto_min),
            rto_max_ms: ms(c.rto_max),
            max_init_retransmits: c.max_init_retransmits,
            max_association_retransmits: c.max_association_retransmits,
            max_path_retransmits: c.max_path_retransmits,
            heartbeat_interval_ms: c.heartbeat_interval.map_or(0, ms),
            sack_delay_ms: ms(c.sack_delay),
            sack_frequency: c.sack_frequency,
            mtu: sat32(c.mtu),
            max_message_size: sat32(c.max_message_size),
            receive_buffer: c.receive_buffer,
            send_buffer: sat32(c.send_buffer),
            nodelay: c.nodelay,
            max_burst: c.max_burst,
            cookie_lifetime_ms: ms(c.cookie_lifetime),
            i_data: c.i_data,
            partial_reliability: c.partial_reliability,
            reconfig: c.reconfig,
            zero_checksum: c.zero_checksum,
            has_adaptation_indication: c.adaptation_indication.is_some(),
            adaptation_indication: c.adaptation_indication.unwrap_or(0),
            autoclose_ms: c.autoclose.map_or(0, ms),
            pf_enabled: c.pf_max_retrans.is_some(),
            pf_max_retrans: c.pf_max_retrans.unwrap_or(0),
            max_init_timeout_ms: c.max_init_timeout.map_or(0, ms),
            asconf: c.asconf,
            auth_enabled: c.auth.is_some(),
            auth_chunks: auth_chunk_bits(c.auth.as_ref()),
            auth_hmac_algorithms: auth_hmac_ids(c.auth.as_ref()),
        }
    }
}

/// The chunk types of `auth` (default: none) as a bit set.
fn auth_chunk_bits(auth: Option<&sctp::AuthConfig>) -> [u8; 32] {
    let mut bits = [0u8; 32];
    for &t in auth.map_or(&[][..], |a| &a.chunks) {
        if let Some(b) = bits.get_mut(usize::from(t / 8)) {
            *b |= 1 << (t % 8);
        }
    }
    bits
}

/// The HMAC identifiers of `auth` (default: the core's default list).
fn auth_hmac_ids(auth: Option<&sctp::AuthConfig>) -> [u8; 2] {
    let default = sctp::AuthConfig::default();
    let list = &auth.unwrap_or(&default).hmac_algorithms;
    let mut ids = [0u8; 2];
    for (slot, h) in ids.iter_mut().zip(list) {
        *slot = u8::try_from(h.id()).unwrap_or(0);
    }
    ids
}

impl anysctp_association_config {
    /// The SCTP-AUTH settings, when enabled.
    fn auth(&self) -> Result<Option<sctp::AuthConfig>, Failure> {
        if !self.auth_enabled {
            return Ok(None);
        }
        let chunks = (0..=255u8)
            .filter(|&t| self.auth_chunks[usize::from(t / 8)] & (1 << (t % 8)) != 0)
            .collect();
        let mut hmac_algorithms = Vec::new();
        for &id in &self.auth_hmac_algorithms {
            hmac_algorithms.push(match id {
                0 => continue,
                1 => sctp::HmacAlgorithm::Sha1,
                3 => sctp::HmacAlgorithm::Sha256,
                _ => {
                    return Err(Failure {
                        code: anysctp_result::ANYSCTP_ERR_INVALID_CONFIG,
                        message: format!(
                            "invalid configuration: auth_hmac_algorithms holds {id}; use 1 (HMAC-SHA-1), 3 (HMAC-SHA-256) or 0 (none)"
                        ),
                    })
                }
            });
        }
        Ok(Some(sctp::AuthConfig {
            chunks,
            hmac_algorithms,
        }))
    }
}

impl anysctp_association_config {
    /// The core's config; validated, so errors name the field to change.
    pub(crate) fn to_core(self) -> Result<sctp::AssociationConfig, Failure> {
        let d = |v: u32| Duration::from_millis(u64::from(v));
        let opt = |v: u32| (v != 0).then(|| d(v));
        let c = sctp::AssociationConfig {
            outbound_streams: self.outbound_streams,
            max_inbound_streams: self.max_inbound_streams,
            rto_initial: d(self.rto_initial_ms),
            rto_min: d(self.rto_min_ms),
            rto_max: d(self.rto_max_ms),
            max_init_retransmits: self.max_init_retransmits,
            // Not in the C struct: RTO.Max bounds the setup timer.
            max_init_timeout: opt(self.max_init_timeout_ms),
            max_association_retransmits: self.max_association_retransmits,
            max_path_retransmits: self.max_path_retransmits,
            heartbeat_interval: opt(self.heartbeat_interval_ms),
            sack_delay: d(self.sack_delay_ms),
            sack_frequency: self.sack_frequency,
            mtu: self.mtu as usize,
            max_message_size: self.max_message_size as usize,
            receive_buffer: self.receive_buffer,
            send_buffer: self.send_buffer as usize,
            nodelay: self.nodelay,
            max_burst: self.max_burst,
            cookie_lifetime: d(self.cookie_lifetime_ms),
            i_data: self.i_data,
            partial_reliability: self.partial_reliability,
            reconfig: self.reconfig,
            zero_checksum: self.zero_checksum,
            adaptation_indication: self
                .has_adaptation_indication
                .then_some(self.adaptation_indication),
            autoclose: opt(self.autoclose_ms),
            pf_max_retrans: self.pf_enabled.then_some(self.pf_max_retrans),
            asconf: self.asconf,
            auth: self.auth()?,
            // Settings the C struct does not carry (stream reconfiguration
            // policy, congestion control algorithm, HyStart++) keep the
            // core's defaults.
            ..sctp::AssociationConfig::default()
        };
        c.validate()?;
        Ok(c)
    }
}

impl anysctp_endpoint_config {
    pub(crate) fn to_core(self) -> Result<sctp::EndpointConfig, Failure> {
        if self.max_associations == 0 {
            return Err(Failure {
                code: anysctp_result::ANYSCTP_ERR_INVALID_CONFIG,
                message: "invalid configuration: max_associations must be at least 1".into(),
            });
        }
        Ok(sctp::EndpointConfig {
            port: self.port,
            accept_incoming: self.accept_incoming,
            max_associations: self.max_associations as usize,
            association: self.association.to_core()?,
            local_addresses: Vec::new(),
        })
    }
}

/// Reads a C struct argument by value.
pub(crate) fn read<T: Copy>(p: *const T, name: &str) -> Result<T, Failure> {
    if p.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL, and the caller promised it points to a valid `T`
    // (all `T` used here are plain `repr(C)` data; the `bool` fields must
    // hold 0 or 1, as C's `bool` does).
    Ok(unsafe { p.read_unaligned() })
}

/// Fills `*out` with the defaults (RFC 9260 §16 protocol parameters).
#[no_mangle]
pub extern "C" fn anysctp_association_config_default(
    out: *mut anysctp_association_config,
) -> anysctp_result {
    guard(|| {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        let c = anysctp_association_config::from(&sctp::AssociationConfig::default());
        // SAFETY: non-NULL, and the caller promised it is writable.
        unsafe { out.write_unaligned(c) };
        Ok(anysctp_result::ANYSCTP_OK)
    })
}

/// Fills `*out` with the defaults: port 5000, not accepting, 65536
/// associations at most, default association settings.
#[no_mangle]
pub extern "C" fn anysctp_endpoint_config_default(
    out: *mut anysctp_endpoint_config,
) -> anysctp_result {
    guard(|| {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        let d = sctp::EndpointConfig::default();
        let c = anysctp_endpoint_config {
            port: d.port,
            accept_incoming: d.accept_incoming,
            max_associations: sat32(d.max_associations),
            association: (&d.association).into(),
        };
        // SAFETY: non-NULL, and the caller promised it is writable.
        unsafe { out.write_unaligned(c) };
        Ok(anysctp_result::ANYSCTP_OK)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_convert_back_to_the_core_defaults() {
        let c = anysctp_association_config::from(&sctp::AssociationConfig::default());
        assert_eq!(c.to_core().unwrap(), sctp::AssociationConfig::default());
    }

    #[test]
    fn invalid_values_are_config_errors() {
        let mut c = anysctp_association_config::from(&sctp::AssociationConfig::default());
        c.outbound_streams = 0;
        let e = c.to_core().unwrap_err();
        assert_eq!(e.code, anysctp_result::ANYSCTP_ERR_INVALID_CONFIG);
        assert!(e.message.contains("outbound_streams"));
    }

    #[test]
    fn auth_settings_round_trip_and_bad_ones_are_config_errors() {
        let auth = sctp::AuthConfig {
            chunks: vec![0, 0xC1, 255],
            hmac_algorithms: vec![sctp::HmacAlgorithm::Sha1],
        };
        let core = sctp::AssociationConfig {
            auth: Some(auth.clone()),
            ..Default::default()
        };
        let mut c = anysctp_association_config::from(&core);
        assert_eq!(
            (c.auth_chunks[0], c.auth_chunks[24], c.auth_chunks[31]),
            (1, 2, 0x80)
        );
        assert_eq!(c.auth_hmac_algorithms, [1, 0]);
        assert_eq!(c.to_core().unwrap().auth, Some(auth));
        c.auth_hmac_algorithms = [2, 1];
        let e = c.to_core().unwrap_err();
        assert_eq!(e.code, anysctp_result::ANYSCTP_ERR_INVALID_CONFIG);
        assert!(e.message.contains("auth_hmac_algorithms holds 2"));
        c.auth_hmac_algorithms = [3, 0];
        assert!(c.to_core().unwrap_err().message.contains("Sha1"));
        c.auth_hmac_algorithms = [1, 0];
        c.auth_chunks[0] = 0b10; // INIT
        assert!(c.to_core().unwrap_err().message.contains("INIT (1)"));
    }
}
