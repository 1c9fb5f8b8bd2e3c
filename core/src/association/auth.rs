//! SCTP-AUTH (RFC 4895): key material, the association shared keys, the
//! HMAC of the AUTH chunk, and which chunks must travel authenticated.
//!
//! # What lives here
//!
//! - [`AuthParams`]: one side's RANDOM, CHUNKS and HMAC-ALGO parameters
//!   (§3.1–§3.3), their key vector (§6.1) and their encoding in the State
//!   Cookie.
//! - [`SharedKeys`]: the endpoint pair shared keys by Shared Key Identifier
//!   (key 0, empty, exists by default), the active key, deactivation and
//!   deletion (RFC 6458 §8.1.18, §8.3.3–§8.3.5).
//! - [`Auth`]: an association's SCTP-AUTH state: its own parameters, and,
//!   once both sides offered AUTH, the negotiated session (the association
//!   shared key per key id, the HMAC we send, both chunk lists).
//!
//! # The internal API other rooms use (ASCONF, RE-CONFIG, ...)
//!
//! Receiving (RFC 4895 §6.3) is enforced by `input.rs` before dispatch: a
//! chunk whose type is in *our* CHUNKS list and that does not follow a
//! valid AUTH chunk in its packet never reaches its handler. A handler that
//! wants to know more asks:
//!
//! - [`Association::received_authenticated`](super::Association::received_authenticated)
//!   — whether the chunk being handled came after a valid AUTH chunk in
//!   this packet (valid only while `handle_packet` dispatches it);
//! - [`Auth::is_active`] — whether both sides negotiated AUTH (RFC 5061
//!   §4.2.7: no ASCONF without it);
//! - [`Auth::we_require`] / [`Auth::peer_requires`] — whether a chunk type
//!   is in our / the peer's CHUNKS list.
//!
//! Sending (§6.2) is automatic: every packet the association writes (see
//! `output.rs`) carries an AUTH chunk before the first chunk whose type is
//! in the peer's CHUNKS list or was added with
//! [`Auth::authenticate_on_send`]; the HMAC covers the AUTH chunk (HMAC field
//! zeroed) and every chunk after it, and the DATA sizing leaves room for
//! the AUTH chunk. So a room that must send chunk type `T` authenticated
//! (ASCONF, ASCONF-ACK) calls `self.auth.authenticate_on_send(T)` once the
//! association is up and queues the chunk as usual; and to have the peer
//! send `T` authenticated, lists `T` in [`AuthConfig::chunks`] (our CHUNKS
//! parameter, sent in INIT / INIT ACK; [`AuthConfig`] may be filled in by
//! the room before the association starts).

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

use crate::config::{AuthConfig, HmacAlgorithm};
use crate::error::Error;
use crate::wire::{chunk_type, param_type, AuthChunk, AuthPlan, ChunkTypeSet};

type HmacSha1 = Hmac<Sha1>;
type HmacSha256 = Hmac<Sha256>;

/// The length of the RANDOM number (RFC 4895 §3.1, §6.1).
pub(crate) const RANDOM_LEN: usize = 32;
/// Most chunk types a CHUNKS parameter may list (§3.2: at most 260 bytes).
const MAX_CHUNKS: usize = 256;
/// Most HMAC identifiers we keep from a peer's HMAC-ALGO (bounds the
/// cookie; only two are defined).
const MAX_HMACS: usize = 16;
/// Most endpoint pair shared keys per endpoint or association.
const MAX_KEYS: usize = 64;
/// Longest endpoint pair shared key accepted, in bytes.
const MAX_SECRET: usize = 1024;

/// One side's AUTH parameters, as sent in INIT / INIT ACK (RFC 4895 §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthParams {
    /// The RANDOM number (§3.1): 32 bytes.
    pub random: [u8; RANDOM_LEN],
    /// The CHUNKS parameter's list as sent; `None` when it was not sent.
    pub chunks: Option<Vec<u8>>,
    /// The HMAC-ALGO identifiers as sent, preferred first.
    pub hmacs: Vec<u16>,
}

/// Why a peer's AUTH parameters are refused (RFC 4895 §6.1): ABORT with a
/// Protocol Violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthReject(pub &'static str);

impl AuthParams {
    /// Our parameters for an INIT or INIT ACK, the RANDOM from `rng` (the
    /// core's seeded source, §6.1).
    pub(crate) fn ours(cfg: &AuthConfig, rng: &mut impl rand_core::RngCore) -> Self {
        let mut random = [0u8; RANDOM_LEN];
        rng.fill_bytes(&mut random);
        Self {
            random,
            // §6.1: the list MAY be omitted if it is empty.
            chunks: (!cfg.chunks.is_empty()).then(|| cfg.chunks.clone()),
            hmacs: cfg.hmac_algorithms.iter().map(|a| a.id()).collect(),
        }
    }

    /// Our parameters for an association configured by `cfg`, if it uses
    /// AUTH: with ASCONF offered, the CHUNKS list also names ASCONF and
    /// ASCONF-ACK (RFC 5061 §4.1.1, §4.2.7: both must be authenticated).
    pub(crate) fn for_association(
        cfg: &crate::config::AssociationConfig,
        rng: &mut impl rand_core::RngCore,
    ) -> Option<Self> {
        let mut p = Self::ours(cfg.auth.as_ref()?, rng);
        if cfg.asconf {
            let list = p.chunks.get_or_insert_with(Vec::new);
            for t in [chunk_type::ASCONF, chunk_type::ASCONF_ACK] {
                if !list.contains(&t) {
                    list.push(t);
                }
            }
        }
        Some(p)
    }

    /// The peer's parameters from the raw values found in its INIT / INIT
    /// ACK (§6.1). `Ok(None)`: the peer does not use AUTH (no RANDOM or no
    /// HMAC-ALGO).
    pub(crate) fn from_peer(
        random: Option<&[u8]>,
        chunks: Option<&[u8]>,
        hmacs: Option<&[u8]>,
    ) -> Result<Option<Self>, AuthReject> {
        let (Some(random), Some(hmacs)) = (random, hmacs) else {
            return Ok(None);
        };
        // §6.1: "If the Random Number is not 32 bytes, the association
        // MUST be aborted" with a Protocol Violation.
        let random: [u8; RANDOM_LEN] = random
            .try_into()
            .map_err(|_| AuthReject("the RANDOM parameter is not 32 bytes (RFC 4895 §6.1)"))?;
        let ids: Vec<u16> = hmacs
            .chunks_exact(2)
            .take(MAX_HMACS + 1)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect();
        if ids.len() > MAX_HMACS {
            return Err(AuthReject(
                "the HMAC-ALGO parameter lists too many algorithms",
            ));
        }
        // §6.1: SHA-1 MUST be supported and included.
        if !ids.contains(&HmacAlgorithm::Sha1.id()) {
            return Err(AuthReject(
                "the HMAC-ALGO parameter does not list SHA-1 (RFC 4895 §6.1)",
            ));
        }
        if chunks.is_some_and(|c| c.len() > MAX_CHUNKS) {
            return Err(AuthReject(
                "the CHUNKS parameter is longer than 260 bytes (RFC 4895 §3.2)",
            ));
        }
        Ok(Some(Self {
            random,
            chunks: chunks.map(<[u8]>::to_vec),
            hmacs: ids,
        }))
    }

    /// The chunk types listed, without those that may not be (§3.2: INIT,
    /// INIT ACK, SHUTDOWN COMPLETE and AUTH are ignored).
    pub(crate) fn chunk_set(&self) -> ChunkTypeSet {
        let mut s: ChunkTypeSet = self.chunks.iter().flatten().copied().collect();
        for t in [
            chunk_type::INIT,
            chunk_type::INIT_ACK,
            chunk_type::SHUTDOWN_COMPLETE,
            chunk_type::AUTH,
        ] {
            s.remove(t);
        }
        s
    }

    /// The key vector (§6.1): RANDOM, CHUNKS and HMAC-ALGO parameters with
    /// type and length, without padding, those not sent omitted.
    pub(crate) fn key_vector(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(
            4 + RANDOM_LEN
                + 4
                + self.chunks.as_ref().map_or(0, Vec::len)
                + 4
                + 2 * self.hmacs.len(),
        );
        let tlv = |t: u16, value_len: usize, v: &mut Vec<u8>| {
            v.extend_from_slice(&t.to_be_bytes());
            v.extend_from_slice(&((4 + value_len) as u16).to_be_bytes());
        };
        tlv(param_type::RANDOM, RANDOM_LEN, &mut v);
        v.extend_from_slice(&self.random);
        if let Some(c) = &self.chunks {
            tlv(param_type::CHUNK_LIST, c.len(), &mut v);
            v.extend_from_slice(c);
        }
        tlv(
            param_type::REQUESTED_HMAC_ALGORITHM,
            2 * self.hmacs.len(),
            &mut v,
        );
        for id in &self.hmacs {
            v.extend_from_slice(&id.to_be_bytes());
        }
        v
    }

    /// Appends the State Cookie form (bounded: at most 32 + 3 + 256 + 1 +
    /// 32 bytes).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.random);
        match &self.chunks {
            Some(c) => {
                let c = &c[..c.len().min(MAX_CHUNKS)];
                out.push(1);
                out.extend_from_slice(&(c.len() as u16).to_be_bytes());
                out.extend_from_slice(c);
            }
            None => out.extend_from_slice(&[0, 0, 0]),
        }
        let n = self.hmacs.len().min(MAX_HMACS);
        out.push(n as u8);
        for id in &self.hmacs[..n] {
            out.extend_from_slice(&id.to_be_bytes());
        }
    }

    /// Reads the State Cookie form from the front of `b`, returning the rest.
    pub(crate) fn decode(b: &[u8]) -> Option<(Self, &[u8])> {
        let random: [u8; RANDOM_LEN] = b.get(..RANDOM_LEN)?.try_into().ok()?;
        let b = b.get(RANDOM_LEN..)?;
        let (&has, b) = b.split_first()?;
        let n = usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?]));
        if n > MAX_CHUNKS {
            return None;
        }
        let list = b.get(2..2 + n)?;
        let chunks = (has == 1).then(|| list.to_vec());
        let b = b.get(2 + n..)?;
        let (&nh, b) = b.split_first()?;
        let nh = usize::from(nh);
        if nh > MAX_HMACS {
            return None;
        }
        let hmacs = b
            .get(..2 * nh)?
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        Some((
            Self {
                random,
                chunks,
                hmacs,
            },
            b.get(2 * nh..)?,
        ))
    }
}

/// The association shared key (RFC 4895 §6.1): the endpoint pair shared
/// key, then the numerically smaller key vector, then the larger (equal
/// values: the shorter first).
pub(crate) fn association_key(secret: &[u8], a: &[u8], b: &[u8]) -> Vec<u8> {
    let (first, second) = if numeric_cmp(a, b).is_le() {
        (a, b)
    } else {
        (b, a)
    };
    let mut k = Vec::with_capacity(secret.len() + a.len() + b.len());
    k.extend_from_slice(secret);
    k.extend_from_slice(first);
    k.extend_from_slice(second);
    k
}

/// Compares byte vectors as big-endian unsigned numbers; equal numbers
/// order the shorter vector first (§6.1).
fn numeric_cmp(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let (sa, sb) = (strip_zeros(a), strip_zeros(b));
    sa.len()
        .cmp(&sb.len())
        .then_with(|| sa.cmp(sb))
        .then_with(|| a.len().cmp(&b.len()))
}

fn strip_zeros(v: &[u8]) -> &[u8] {
    let z = v.iter().take_while(|&&x| x == 0).count();
    v.get(z..).unwrap_or(&[])
}

/// An association shared key, ready to MAC with either algorithm (the
/// keyed state is computed once, so a packet costs no key setup).
#[derive(Clone)]
struct AssocKey {
    id: u16,
    sha1: HmacSha1,
    sha256: HmacSha256,
}

impl core::fmt::Debug for AssocKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AssocKey({})", self.id)
    }
}

impl AssocKey {
    fn new(id: u16, key: &[u8]) -> Self {
        // HMAC takes keys of any length: neither can fail.
        let sha1 = match <HmacSha1 as Mac>::new_from_slice(key) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        let sha256 = match <HmacSha256 as Mac>::new_from_slice(key) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        Self { id, sha1, sha256 }
    }

    /// The HMAC of `parts` (concatenated) into `out` (its length must be
    /// the algorithm's).
    fn mac(&self, algo: HmacAlgorithm, parts: &[&[u8]], out: &mut [u8]) {
        match algo {
            HmacAlgorithm::Sha1 => {
                let mut m = self.sha1.clone();
                parts.iter().for_each(|p| m.update(p));
                copy_prefix(out, &m.finalize().into_bytes());
            }
            HmacAlgorithm::Sha256 => {
                let mut m = self.sha256.clone();
                parts.iter().for_each(|p| m.update(p));
                copy_prefix(out, &m.finalize().into_bytes());
            }
        }
    }

    /// Constant-time check of `tag` against the HMAC of `parts`.
    fn verify(&self, algo: HmacAlgorithm, parts: &[&[u8]], tag: &[u8]) -> bool {
        match algo {
            HmacAlgorithm::Sha1 => {
                let mut m = self.sha1.clone();
                parts.iter().for_each(|p| m.update(p));
                m.verify_slice(tag).is_ok()
            }
            HmacAlgorithm::Sha256 => {
                let mut m = self.sha256.clone();
                parts.iter().for_each(|p| m.update(p));
                m.verify_slice(tag).is_ok()
            }
        }
    }
}

fn copy_prefix(out: &mut [u8], from: &[u8]) {
    let n = out.len().min(from.len());
    out[..n].copy_from_slice(&from[..n]);
}

/// One endpoint pair shared key.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SharedKey {
    id: u16,
    secret: Vec<u8>,
    deactivated: bool,
}

/// Endpoint pair shared keys by Shared Key Identifier (RFC 4895 §6.1) and
/// which one sends (RFC 6458 §8.1.18). Key 0, empty (the null key), exists
/// until deleted.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct SharedKeys {
    keys: Vec<SharedKey>,
    active: u16,
}

impl SharedKeys {
    /// The keys of an endpoint before any is configured: key 0, the empty
    /// key (RFC 4895 §6.1), active. (`Default` is the empty set an
    /// association without AUTH holds: no allocation.)
    pub(crate) fn with_null_key() -> Self {
        Self {
            keys: vec![SharedKey {
                id: 0,
                secret: Vec::new(),
                deactivated: false,
            }],
            active: 0,
        }
    }
}

impl SharedKeys {
    fn find(&self, id: u16) -> Option<&SharedKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// Adds key `id`, or replaces its secret (RFC 6458 §8.3.3).
    pub(crate) fn set(&mut self, id: u16, secret: &[u8]) -> Result<(), Error> {
        if secret.len() > MAX_SECRET {
            return Err(Error::Auth("a shared key is at most 1024 bytes"));
        }
        if let Some(k) = self.keys.iter_mut().find(|k| k.id == id) {
            k.secret = secret.to_vec();
            k.deactivated = false;
            return Ok(());
        }
        if self.keys.len() >= MAX_KEYS {
            return Err(Error::Auth("too many shared keys (64): delete one first"));
        }
        self.keys.push(SharedKey {
            id,
            secret: secret.to_vec(),
            deactivated: false,
        });
        Ok(())
    }

    /// The key that sends.
    pub(crate) fn active(&self) -> u16 {
        self.active
    }

    /// Makes `id` the key that sends (RFC 6458 §8.1.18).
    pub(crate) fn set_active(&mut self, id: u16) -> Result<(), Error> {
        match self.find(id) {
            None => Err(Error::Auth("no shared key with this id: add it first")),
            Some(k) if k.deactivated => Err(Error::Auth(
                "this shared key is deactivated: set it again to reuse it",
            )),
            Some(_) => {
                self.active = id;
                Ok(())
            }
        }
    }

    /// Stops sending with `id` (RFC 6458 §8.3.4).
    pub(crate) fn deactivate(&mut self, id: u16) -> Result<(), Error> {
        if id == self.active {
            return Err(Error::Auth(
                "the active key cannot be deactivated: make another key active first",
            ));
        }
        let k = self
            .keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or(Error::Auth("no shared key with this id"))?;
        k.deactivated = true;
        Ok(())
    }

    /// Forgets a deactivated key (RFC 6458 §8.3.5).
    pub(crate) fn delete(&mut self, id: u16) -> Result<(), Error> {
        match self.find(id) {
            None => Err(Error::Auth("no shared key with this id")),
            Some(k) if !k.deactivated || id == self.active => Err(Error::Auth(
                "a key must be deactivated before it is deleted",
            )),
            Some(_) => {
                self.keys.retain(|k| k.id != id);
                Ok(())
            }
        }
    }

    /// Whether key `id` exists and is deactivated.
    fn is_deactivated(&self, id: u16) -> bool {
        self.find(id).is_some_and(|k| k.deactivated)
    }
}

/// The outcome of checking a received AUTH chunk (RFC 4895 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Valid: the chunks after it are authenticated. `new_key`: the peer
    /// used this key id for the first time.
    Valid {
        /// The key id, when the peer used it for the first time.
        new_key: Option<u16>,
        /// A deactivated key the peer stopped using.
        freed: Option<u16>,
    },
    /// An HMAC Identifier we did not ask for: discard the rest of the
    /// packet and report it in an ERROR.
    UnsupportedHmac(u16),
    /// Unknown key, wrong length or wrong HMAC: silently discard the rest.
    Discard,
}

/// Both sides offered AUTH: the association's keys and lists.
#[derive(Debug)]
struct Session {
    local_vector: Vec<u8>,
    peer_vector: Vec<u8>,
    /// Types we accept only authenticated.
    local_chunks: ChunkTypeSet,
    /// Types the peer accepts only authenticated, plus those a room added.
    send_chunks: ChunkTypeSet,
    local_list: Vec<u8>,
    peer_list: Vec<u8>,
    /// HMAC Identifiers the peer may use (ours, §6.3).
    accept: Vec<u16>,
    /// The HMAC we send: the first of the peer's list we support (§6.1).
    send_algo: HmacAlgorithm,
    keys: Vec<AssocKey>,
    /// The key id the peer used last.
    peer_key: Option<u16>,
}

/// An association's SCTP-AUTH state.
#[derive(Debug, Default)]
pub(crate) struct Auth {
    /// What we sent (or will send) in INIT / INIT ACK; `None`: AUTH off.
    /// Boxed: an association without AUTH pays a pointer (issue 3's idle
    /// budget).
    local: Option<Box<AuthParams>>,
    /// The endpoint pair shared keys of this association.
    keys: SharedKeys,
    /// Negotiated; `None`: chunks travel unauthenticated.
    session: Option<Box<Session>>,
    /// The chunk being dispatched followed a valid AUTH in its packet.
    pub(crate) rx_authenticated: bool,
}

impl Auth {
    /// AUTH state for an association with `cfg`, our RANDOM from `rng`.
    pub(crate) fn new(
        cfg: &crate::config::AssociationConfig,
        rng: &mut impl rand_core::RngCore,
    ) -> Self {
        Self {
            local: AuthParams::for_association(cfg, rng).map(Box::new),
            ..Self::default()
        }
    }

    /// Our parameters, to list in INIT / INIT ACK.
    pub(crate) fn local_params(&self) -> Option<&AuthParams> {
        self.local.as_deref()
    }

    /// Whether both sides negotiated AUTH.
    pub fn is_active(&self) -> bool {
        self.session.is_some()
    }

    /// Whether chunk type `t` is in our CHUNKS list (we accept it only
    /// authenticated).
    pub fn we_require(&self, t: u8) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.local_chunks.contains(t))
    }

    /// Whether chunk type `t` is in the peer's CHUNKS list.
    pub fn peer_requires(&self, t: u8) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.send_chunks.contains(t))
    }

    /// Sends chunk type `t` authenticated from now on, even if the peer did
    /// not ask for it (no effect until AUTH is negotiated).
    #[allow(dead_code)] // for ASCONF (RFC 5061 §4.2.7) and later rooms
    pub fn authenticate_on_send(&mut self, t: u8) {
        if let Some(s) = self.session.as_mut() {
            s.send_chunks.insert(t);
        }
    }

    /// The endpoint pair shared keys.
    pub(crate) fn shared_keys(&self) -> &SharedKeys {
        &self.keys
    }

    /// Changes the shared keys with `f`, then recomputes the association
    /// keys.
    pub(crate) fn update_keys(
        &mut self,
        f: impl FnOnce(&mut SharedKeys) -> Result<(), Error>,
    ) -> Result<(), Error> {
        f(&mut self.keys)?;
        self.rebuild_keys();
        Ok(())
    }

    /// Replaces the shared keys (the endpoint's, for a new association).
    pub(crate) fn set_shared_keys(&mut self, keys: SharedKeys) {
        self.keys = keys;
        self.rebuild_keys();
    }

    fn rebuild_keys(&mut self) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        s.keys = self
            .keys
            .keys
            .iter()
            .map(|k| {
                AssocKey::new(
                    k.id,
                    &association_key(&k.secret, &s.local_vector, &s.peer_vector),
                )
            })
            .collect();
    }

    /// Starts the session from both sides' parameters (INIT ACK received,
    /// or a State Cookie). `local` overrides ours (the cookie's, which an
    /// INIT ACK carried). Without AUTH on either side, no session.
    pub(crate) fn negotiate(&mut self, local: Option<&AuthParams>, peer: Option<&AuthParams>) {
        if let Some(l) = local {
            self.local = Some(Box::new(l.clone()));
        }
        let (Some(local), Some(peer)) = (self.local.as_deref(), peer) else {
            self.session = None;
            return;
        };
        let send_algo = peer
            .hmacs
            .iter()
            .find_map(|&id| HmacAlgorithm::from_id(id))
            .unwrap_or(HmacAlgorithm::Sha1);
        self.session = Some(Box::new(Session {
            local_vector: local.key_vector(),
            peer_vector: peer.key_vector(),
            local_chunks: local.chunk_set(),
            send_chunks: peer.chunk_set(),
            local_list: local.chunk_set().iter().collect(),
            peer_list: peer.chunk_set().iter().collect(),
            accept: local.hmacs.clone(),
            send_algo,
            keys: Vec::new(),
            peer_key: None,
        }));
        self.rebuild_keys();
    }

    /// Our CHUNKS list (the types we accept only authenticated); empty
    /// without a session.
    pub(crate) fn local_chunks(&self) -> Vec<u8> {
        self.session
            .as_ref()
            .map(|s| s.local_list.clone())
            .unwrap_or_default()
    }

    /// The peer's CHUNKS list; empty without a session.
    pub(crate) fn peer_chunks(&self) -> Vec<u8> {
        self.session
            .as_ref()
            .map(|s| s.peer_list.clone())
            .unwrap_or_default()
    }

    /// How the packet writer places the AUTH chunk; `None` without a
    /// session or a usable active key.
    pub(crate) fn plan(&self) -> Option<AuthPlan> {
        let s = self.session.as_ref()?;
        if s.send_chunks.is_empty() {
            return None;
        }
        let active = self.keys.active();
        s.keys.iter().any(|k| k.id == active).then_some(AuthPlan {
            chunks: s.send_chunks,
            shared_key_id: active,
            hmac_id: s.send_algo.id(),
            hmac_len: s.send_algo.hmac_len(),
        })
    }

    /// Writes the HMAC into `region` (the packet from the AUTH chunk on,
    /// its HMAC field zero), RFC 4895 §6.2.
    pub(crate) fn sign(&self, plan: &AuthPlan, region: &mut [u8]) {
        let Some(s) = self.session.as_ref() else {
            return;
        };
        let Some(key) = s.keys.iter().find(|k| k.id == plan.shared_key_id) else {
            return;
        };
        let Some(algo) = HmacAlgorithm::from_id(plan.hmac_id) else {
            return;
        };
        let mut out = [0u8; 32];
        let n = algo.hmac_len();
        key.mac(algo, &[region], &mut out[..n]);
        if let Some(field) = region.get_mut(8..8 + n) {
            field.copy_from_slice(&out[..n]);
        }
    }

    /// Checks a received AUTH chunk; `region` is the packet from the AUTH
    /// chunk's header to the end of the packet (RFC 4895 §6.3).
    pub(crate) fn verify(&mut self, auth: &AuthChunk<'_>, region: &[u8]) -> Verdict {
        let Some(s) = self.session.as_mut() else {
            return Verdict::Discard;
        };
        let algo = match HmacAlgorithm::from_id(auth.hmac_id) {
            Some(a) if s.accept.contains(&auth.hmac_id) => a,
            _ => return Verdict::UnsupportedHmac(auth.hmac_id),
        };
        let n = algo.hmac_len();
        // §6.3: an unknown Shared Key Identifier → discard silently.
        let Some(key) = s.keys.iter().find(|k| k.id == auth.shared_key_id) else {
            return Verdict::Discard;
        };
        if auth.hmac.len() < n
            || auth
                .hmac
                .get(n..)
                .is_some_and(|p| p.iter().any(|&b| b != 0))
        {
            return Verdict::Discard;
        }
        let (Some(head), Some(tail)) = (region.get(..8), region.get(8 + n..)) else {
            return Verdict::Discard;
        };
        // Figure 6: the HMAC field counts as zeros.
        let zeros = [0u8; 32];
        if !key.verify(algo, &[head, &zeros[..n], tail], &auth.hmac[..n]) {
            return Verdict::Discard;
        }
        let id = auth.shared_key_id;
        let prev = s.peer_key.replace(id);
        if prev == Some(id) {
            return Verdict::Valid {
                new_key: None,
                freed: None,
            };
        }
        Verdict::Valid {
            new_key: Some(id),
            freed: prev.filter(|&p| self.keys.is_deactivated(p)),
        }
    }

    /// Forgets which key the peer used last (a check that is repeated).
    pub(crate) fn forget_peer_key(&mut self) {
        if let Some(s) = self.session.as_mut() {
            s.peer_key = None;
        }
    }

    /// Whether the peer still uses key `id` (a deactivated key is free once
    /// it does not).
    pub(crate) fn peer_uses(&self, id: u16) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.peer_key == Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(fill: u8, chunks: Option<Vec<u8>>, hmacs: Vec<u16>) -> AuthParams {
        AuthParams {
            random: [fill; RANDOM_LEN],
            chunks,
            hmacs,
        }
    }

    #[test]
    fn key_vector_is_the_unpadded_parameters_in_order() {
        let p = params(0xAB, Some(vec![0, 3, 0xC1]), vec![3, 1]);
        let mut want = vec![0x80, 0x02, 0, 36];
        want.extend_from_slice(&[0xAB; 32]);
        want.extend_from_slice(&[0x80, 0x03, 0, 7, 0, 3, 0xC1]);
        want.extend_from_slice(&[0x80, 0x04, 0, 8, 0, 3, 0, 1]);
        assert_eq!(p.key_vector(), want);
        // Without CHUNKS, the parameter is omitted (§6.1).
        let q = params(0xAB, None, vec![1]);
        assert_eq!(q.key_vector().len(), 36 + 6);
    }

    #[test]
    fn association_key_orders_key_vectors_numerically() {
        // §6.1: secret, the smaller vector, the larger one.
        let small = [0x00, 0x01, 0xFF];
        let large = [0x02, 0x00];
        assert_eq!(
            association_key(b"k", &small, &large),
            [b'k', 0x00, 0x01, 0xFF, 0x02, 0x00]
        );
        assert_eq!(
            association_key(b"k", &large, &small),
            [b'k', 0x00, 0x01, 0xFF, 0x02, 0x00]
        );
        // Equal as numbers, different lengths: the shorter first.
        assert_eq!(association_key(&[], &[0, 5], &[5]), [5, 0, 5]);
        assert_eq!(association_key(&[], &[5], &[0, 5]), [5, 0, 5]);
    }

    /// A hand-computed association key (RFC 4895 §6.1, which has no test
    /// vector) and the HMAC of a fixed packet checked against a direct
    /// `hmac` computation over the bytes written out by hand.
    #[test]
    fn hand_computed_key_and_hmac_match_the_session() {
        let ours = params(0x11, Some(vec![0x00]), vec![1]);
        let theirs = params(0x22, None, vec![3, 1]);
        // Key vectors by hand: RANDOM 0x11.., CHUNKS [DATA], HMAC-ALGO [1].
        let mut ours_v = vec![0x80, 0x02, 0x00, 0x24];
        ours_v.extend_from_slice(&[0x11; 32]);
        ours_v.extend_from_slice(&[0x80, 0x03, 0x00, 0x05, 0x00]);
        ours_v.extend_from_slice(&[0x80, 0x04, 0x00, 0x06, 0x00, 0x01]);
        let mut theirs_v = vec![0x80, 0x02, 0x00, 0x24];
        theirs_v.extend_from_slice(&[0x22; 32]);
        theirs_v.extend_from_slice(&[0x80, 0x04, 0x00, 0x08, 0x00, 0x03, 0x00, 0x01]);
        // As numbers, the 44-byte vector (theirs) is below the 47-byte one
        // (ours), though 0x11 < 0x22: key 1's secret, theirs, ours.
        assert_eq!((ours_v.len(), theirs_v.len()), (47, 44));
        let mut key = b"secret".to_vec();
        key.extend_from_slice(&theirs_v);
        key.extend_from_slice(&ours_v);

        let mut auth = Auth {
            local: Some(Box::new(ours)),
            keys: SharedKeys::with_null_key(),
            ..Auth::default()
        };
        auth.negotiate(None, Some(&theirs));
        auth.update_keys(|k| {
            k.set(1, b"secret")?;
            k.set_active(1)
        })
        .unwrap();
        // The peer's first choice, SHA-256, is what we send.
        let plan = auth.plan();
        assert_eq!(plan, None, "the peer requires nothing: no AUTH is sent");
        auth.authenticate_on_send(chunk_type::DATA);
        let plan = auth.plan().unwrap();
        assert_eq!(
            (plan.shared_key_id, plan.hmac_id, plan.hmac_len),
            (1, 3, 32)
        );

        // A fixed region: AUTH (key 1, SHA-256, HMAC zero) then a DATA chunk.
        let mut region = vec![0x0F, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x03];
        region.extend_from_slice(&[0; 32]);
        region.extend_from_slice(&[
            0x00, 0x03, 0x00, 0x11, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, b'x', 0, 0, 0,
        ]);
        let mut direct = <HmacSha256 as Mac>::new_from_slice(&key).unwrap();
        direct.update(&region);
        let expected = direct.finalize().into_bytes();
        auth.sign(&plan, &mut region);
        assert_eq!(&region[8..40], expected.as_slice());

        // The peer's view verifies it (its vectors swapped, same key).
        let mut peer = Auth {
            local: Some(Box::new(theirs.clone())),
            keys: SharedKeys::with_null_key(),
            ..Auth::default()
        };
        peer.negotiate(None, Some(&params(0x11, Some(vec![0x00]), vec![1])));
        // The peer asked for HMAC-ALGO [3, 1]: SHA-256 is accepted.
        peer.update_keys(|k| k.set(1, b"secret")).unwrap();
        let hmac = region[8..40].to_vec();
        let chunk = AuthChunk {
            shared_key_id: 1,
            hmac_id: 3,
            hmac: &hmac,
        };
        assert_eq!(
            peer.verify(&chunk, &region),
            Verdict::Valid {
                new_key: Some(1),
                freed: None
            }
        );
        // One bit off: discarded.
        let mut bad = region.clone();
        bad[50] ^= 1;
        assert_eq!(peer.verify(&chunk, &bad), Verdict::Discard);
        // Key 0 (the null key) gives another HMAC.
        let chunk0 = AuthChunk {
            shared_key_id: 0,
            ..chunk
        };
        assert_eq!(peer.verify(&chunk0, &region), Verdict::Discard);
        // Unknown key id: discarded.
        let chunk9 = AuthChunk {
            shared_key_id: 9,
            ..chunk
        };
        assert_eq!(peer.verify(&chunk9, &region), Verdict::Discard);
        // We asked the peer for SHA-1 only: SHA-256 is unsupported there.
        let mut us = Auth {
            local: Some(Box::new(params(0x11, Some(vec![0x00]), vec![1]))),
            keys: SharedKeys::with_null_key(),
            ..Auth::default()
        };
        us.negotiate(None, Some(&theirs));
        assert_eq!(us.verify(&chunk0, &region), Verdict::UnsupportedHmac(3));
    }

    #[test]
    fn peer_params_follow_section_6_1() {
        let r = [7u8; 32];
        let sha1 = [0, 1];
        assert_eq!(AuthParams::from_peer(None, None, Some(&sha1)), Ok(None));
        assert_eq!(AuthParams::from_peer(Some(&r), Some(&[0]), None), Ok(None));
        assert!(AuthParams::from_peer(Some(&r[..16]), None, Some(&sha1)).is_err());
        assert!(AuthParams::from_peer(Some(&r), None, Some(&[0, 3])).is_err());
        let p = AuthParams::from_peer(Some(&r), Some(&[0, 1, 14, 15, 6]), Some(&[0, 3, 0, 1]))
            .unwrap()
            .unwrap();
        // INIT, INIT ACK, SHUTDOWN COMPLETE and AUTH are ignored (§3.2).
        assert_eq!(p.chunk_set().iter().collect::<Vec<_>>(), vec![0, 6]);
        assert_eq!(p.hmacs, vec![3, 1]);
    }

    #[test]
    fn cookie_form_round_trips_and_rejects_garbage() {
        for p in [
            params(1, None, vec![1]),
            params(2, Some(vec![0, 0x80, 0xC1]), vec![3, 1]),
            params(3, Some(vec![]), vec![1, 3]),
        ] {
            let mut out = Vec::new();
            p.encode(&mut out);
            out.push(0xEE);
            let (q, rest) = AuthParams::decode(&out).unwrap();
            assert_eq!(q, p);
            assert_eq!(rest, &[0xEE]);
            for cut in 0..out.len() - 1 {
                assert!(AuthParams::decode(&out[..cut]).is_none());
            }
        }
    }

    /// Two sides of one association: `a` sends with `a_hmacs` asked by
    /// `b`, and the reverse.
    fn session_pair(a_hmacs: Vec<u16>, b_hmacs: Vec<u16>) -> (Auth, Auth) {
        let pa = params(1, Some(vec![0, 3]), a_hmacs);
        let pb = params(2, Some(vec![0]), b_hmacs);
        let mut a = Auth {
            local: Some(Box::new(pa.clone())),
            keys: SharedKeys::with_null_key(),
            ..Auth::default()
        };
        let mut b = Auth {
            local: Some(Box::new(pb.clone())),
            keys: SharedKeys::with_null_key(),
            ..Auth::default()
        };
        a.negotiate(None, Some(&pb));
        b.negotiate(None, Some(&pa));
        (a, b)
    }

    proptest::proptest! {
        /// What one side signs, the other verifies; any change to the
        /// covered bytes is caught.
        #[test]
        fn signed_regions_verify_and_tampering_is_caught(
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            flip in proptest::prelude::any::<usize>(),
            sha256 in proptest::prelude::any::<bool>(),
        ) {
            let (a, mut b) = session_pair(vec![1], if sha256 { vec![3, 1] } else { vec![1] });
            let plan = a.plan().unwrap();
            let n = plan.hmac_len;
            let mut region = vec![chunk_type::AUTH, 0, 0, (8 + n) as u8];
            region.extend_from_slice(&plan.shared_key_id.to_be_bytes());
            region.extend_from_slice(&plan.hmac_id.to_be_bytes());
            region.resize(8 + n, 0);
            region.extend_from_slice(&payload);
            a.sign(&plan, &mut region);
            let hmac = region[8..8 + n].to_vec();
            let chunk = AuthChunk { shared_key_id: plan.shared_key_id, hmac_id: plan.hmac_id, hmac: &hmac };
            let valid = matches!(b.verify(&chunk, &region), Verdict::Valid { .. });
            proptest::prop_assert!(valid);
            // Any bit outside the HMAC field changed: discarded.
            let i = flip % region.len();
            if !(8..8 + n).contains(&i) {
                let mut bad = region.clone();
                bad[i] ^= 1;
                let valid = matches!(b.verify(&chunk, &bad), Verdict::Valid { .. });
                proptest::prop_assert!(!valid);
            }
        }

        /// Arbitrary AUTH chunks and regions never panic.
        #[test]
        fn verify_survives_any_bytes(
            key in proptest::prelude::any::<u16>(),
            id in proptest::prelude::any::<u16>(),
            hmac in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            region in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let (_, mut b) = session_pair(vec![1], vec![3, 1]);
            let _ = b.verify(&AuthChunk { shared_key_id: key, hmac_id: id, hmac: &hmac }, &region);
            let _ = AuthParams::decode(&region);
            let _ = AuthParams::from_peer(Some(&region), Some(&hmac), Some(&region));
        }
    }

    #[test]
    fn shared_keys_follow_rfc_6458() {
        let mut k = SharedKeys::with_null_key();
        assert_eq!(k.active(), 0);
        assert!(k.set_active(5).is_err(), "no such key");
        k.set(5, b"five").unwrap();
        k.set_active(5).unwrap();
        assert!(k.deactivate(5).is_err(), "the active key stays");
        assert!(k.delete(0).is_err(), "not deactivated");
        k.deactivate(0).unwrap();
        assert!(k.set_active(0).is_err(), "deactivated");
        k.delete(0).unwrap();
        assert!(k.find(0).is_none());
        assert!(k.set(7, &[0; 2000]).is_err());
    }
}
