//! The endpoint: one local SCTP port, many associations (the one-to-many
//! style). It demultiplexes packets to associations, answers INITs without
//! keeping state (RFC 9260 §5.1.3), handles out-of-the-blue packets (§8.4),
//! and gathers the associations' deadlines, datagrams and events for the
//! host.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use std::net::SocketAddr;

use bytes::Bytes;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::association::auth::{AuthParams, SharedKeys};
use crate::association::cookie::{CookieError, CookieKey};
use crate::association::handshake::{self, InitReject};
use crate::association::{Association, Ctx};
use crate::config::{AddressFilter, AssociationConfig, EndpointConfig};
use crate::error::Error;
use crate::event::{AssociationId, Event, SendOptions, Transmit};
use crate::stats::{AssociationState, AssociationStats};
use crate::time::Instant;
use crate::timer::{IdHasher, TimerQueue};
use crate::types::{StreamId, Tsn, VerificationTag};
use crate::wire::{
    self, chunk_type, ChecksumMode, ChecksumPolicy, Chunk, ErrorCause, Packet, PacketWriter,
};

/// Most stateless answers (INIT ACK, ABORT, SHUTDOWN COMPLETE) and final
/// packets of closed associations waiting for the host; beyond this they are
/// dropped, so an INIT flood cannot grow memory.
const MAX_STATELESS_QUEUE: usize = 1024;

type IdMap<V> = HashMap<AssociationId, V, BuildHasherDefault<IdHasher>>;

/// An SCTP endpoint: the sans-IO entry point for the host.
///
/// The host loop, in every language:
/// 1. [`handle_datagram`](Self::handle_datagram) for every datagram that
///    arrives;
/// 2. [`poll_transmit`](Self::poll_transmit) until `None`, sending each;
/// 3. [`poll_timeout`](Self::poll_timeout): wait at most until then, and
///    call [`handle_timeout`](Self::handle_timeout) when it is reached;
/// 4. [`poll_event`](Self::poll_event) until `None`.
///
/// ```
/// use anysctp::{Endpoint, EndpointConfig, AssociationConfig, Instant};
/// let mut client = Endpoint::new(EndpointConfig::default(), [1; 32]).unwrap();
/// let server_addr = "127.0.0.1:9899".parse().unwrap();
/// let id = client
///     .connect(Instant::ZERO, server_addr, 5000, AssociationConfig::default())
///     .unwrap();
/// let mut buf = vec![0u8; 65536];
/// let t = client.poll_transmit(Instant::ZERO, &mut buf).unwrap(); // the INIT
/// assert_eq!(t.destination, server_addr);
/// # let _ = id;
/// ```
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    rng: ChaCha8Rng,
    cookie_key: CookieKey,
    /// Boxed: a map slot is a pointer, so the map's spare capacity costs
    /// a few bytes per slot, not a whole association (~1.9 KB) each.
    associations: IdMap<Box<Association>>,
    /// Peer transport address and peer SCTP port → association.
    by_peer: HashMap<(SocketAddr, u16), AssociationId>,
    /// The last `by_peer` hit: consecutive packets mostly come from the same
    /// peer, and hashing a socket address costs more than the rest of the
    /// lookup. Cleared whenever `by_peer` changes.
    last_peer: Option<((SocketAddr, u16), AssociationId)>,
    next_id: u64,
    timers: TimerQueue<AssociationId>,
    events: VecDeque<(AssociationId, Event)>,
    /// Associations that may have packets to send.
    ready: VecDeque<AssociationId>,
    stateless: VecDeque<(SocketAddr, Vec<u8>)>,
    /// Who may start associations (the accept policy).
    accept_filter: AddressFilter,
    /// Scratch list of associations whose timers are due (kept to avoid an
    /// allocation per call).
    due: Vec<AssociationId>,
    /// Whether local address changes are announced to peers with ASCONF
    /// (RFC 6458 SCTP_AUTO_ASCONF).
    auto_asconf: bool,
    /// SCTP-AUTH endpoint pair shared keys given to new associations
    /// (RFC 4895 §6.1).
    auth_keys: SharedKeys,
}

impl Endpoint {
    /// Creates an endpoint. `seed` feeds every random choice the endpoint
    /// makes (verification tags, initial TSNs, the cookie key, heartbeat
    /// nonces): give 32 bytes from the operating system's random source in
    /// production, a fixed value in simulations to replay them exactly.
    pub fn new(config: EndpointConfig, seed: [u8; 32]) -> Result<Self, Error> {
        config.association.validate()?;
        if config.port == 0 {
            return Err(Error::InvalidConfig(
                "the endpoint's SCTP port must not be 0",
            ));
        }
        let mut rng = ChaCha8Rng::from_seed(seed);
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Ok(Self {
            config,
            rng,
            cookie_key: CookieKey::new(key),
            associations: IdMap::default(),
            by_peer: HashMap::new(),
            last_peer: None,
            next_id: 1,
            timers: TimerQueue::new(),
            events: VecDeque::new(),
            ready: VecDeque::new(),
            stateless: VecDeque::new(),
            accept_filter: AddressFilter::default(),
            due: Vec::new(),
            auto_asconf: true,
            auth_keys: SharedKeys::with_null_key(),
        })
    }

    /// The endpoint's configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Sets the accept policy: INITs from addresses `filter` refuses are
    /// answered with ABORT (T bit clear, the INIT's Initiate Tag), as if
    /// nobody listened (RFC 9260 §5.1, §8.4). Existing associations stay.
    pub fn set_accept_filter(&mut self, filter: AddressFilter) {
        self.accept_filter = filter;
    }

    /// The accept policy.
    pub fn accept_filter(&self) -> &AddressFilter {
        &self.accept_filter
    }

    /// Starts an association with the peer at `remote` (its transport
    /// address: IP and UDP port with RFC 6951 encapsulation) whose SCTP
    /// port is `remote_port`. Events for it carry the returned id;
    /// [`Event::Connected`] says it is ready.
    pub fn connect(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        remote_port: u16,
        config: AssociationConfig,
    ) -> Result<AssociationId, Error> {
        self.connectx(now, &[remote], remote_port, config)
    }

    /// Like [`connect`](Self::connect) with several addresses of the same
    /// peer (RFC 6458 `sctp_connectx`); the first is the primary path.
    pub fn connectx(
        &mut self,
        now: Instant,
        remotes: &[SocketAddr],
        remote_port: u16,
        config: AssociationConfig,
    ) -> Result<AssociationId, Error> {
        config.validate()?;
        if remotes.is_empty() {
            return Err(Error::InvalidAddress(
                "connect needs at least one remote address",
            ));
        }
        if remote_port == 0 {
            return Err(Error::InvalidAddress("the remote SCTP port must not be 0"));
        }
        if self.associations.len() >= self.config.max_associations {
            return Err(Error::TooManyAssociations);
        }
        if remotes
            .iter()
            .any(|r| self.by_peer.contains_key(&(*r, remote_port)))
        {
            return Err(Error::InvalidState {
                state: "ESTABLISHED",
                hint: "an association with this peer address and port already exists; use it",
            });
        }
        let id = self.alloc_id();
        let seed = self.child_seed();
        let mut assoc = Association::new_client(
            id,
            now,
            config,
            self.config.port,
            remote_port,
            remotes,
            &self.config.local_addresses,
            seed,
        );
        if assoc.auth.local_params().is_some() {
            assoc.auth.set_shared_keys(self.auth_keys.clone());
        }
        self.last_peer = None;
        for r in remotes {
            self.by_peer.insert((*r, remote_port), id);
        }
        self.associations.insert(id, Box::new(assoc));
        self.after(id);
        Ok(id)
    }

    fn alloc_id(&mut self) -> AssociationId {
        let id = AssociationId(self.next_id);
        self.next_id += 1;
        id
    }

    fn child_seed(&mut self) -> [u8; 32] {
        let mut s = [0u8; 32];
        self.rng.fill_bytes(&mut s);
        s
    }

    /// After anything touched association `id`: reschedule its timer, note
    /// it may send, and retire it if it closed (its last packets move to
    /// the stateless queue so they still leave).
    fn after(&mut self, id: AssociationId) {
        let Some(a) = self.associations.get_mut(&id) else {
            return;
        };
        if a.closed {
            let mut buf = vec![0u8; 65536];
            while let Some(t) = a.poll_transmit(Instant::ZERO, &mut buf) {
                if self.stateless.len() < MAX_STATELESS_QUEUE {
                    self.stateless
                        .push_back((t.destination, buf[..t.len].to_vec()));
                }
            }
            self.last_peer = None;
            let addrs = a.peer_addresses();
            let port = a.peer_port;
            for addr in addrs {
                if self.by_peer.get(&(addr, port)) == Some(&id) {
                    self.by_peer.remove(&(addr, port));
                }
            }
            self.associations.remove(&id);
            self.timers.cancel(&id);
            return;
        }
        if !a.removed_peer_addresses.is_empty() {
            // RFC 5061 §5.3 F13: packets from a deleted address are out of
            // the blue from now on (once its grace period, at most 2 RTO,
            // is over).
            let port = a.peer_port;
            for addr in a.removed_peer_addresses.drain(..) {
                if self.by_peer.get(&(addr, port)) == Some(&id) {
                    self.by_peer.remove(&(addr, port));
                }
            }
            self.last_peer = None;
        }
        if a.paths_changed {
            // The INIT ACK (or a restart) listed more peer addresses: their
            // packets belong to this association too (§5.1.2).
            a.paths_changed = false;
            let port = a.peer_port;
            for addr in a.peer_addresses() {
                self.by_peer.entry((addr, port)).or_insert(id);
            }
            self.last_peer = None;
        }
        let d = a.poll_timeout();
        if d != a.scheduled {
            a.scheduled = d;
            self.timers.set(id, d);
        }
        if !a.queued {
            a.queued = true;
            self.ready.push_back(id);
        }
    }

    /// The association of the peer at `from` with SCTP port `port`.
    fn lookup_peer(&mut self, from: SocketAddr, port: u16) -> Option<AssociationId> {
        if let Some((key, id)) = self.last_peer {
            if key == (from, port) {
                return Some(id);
            }
        }
        let id = self.by_peer.get(&(from, port)).copied()?;
        self.last_peer = Some(((from, port), id));
        Some(id)
    }

    /// Processes one datagram that arrived from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: Bytes) {
        self.handle_datagram_inner(now, from, None, data);
    }

    /// Like [`handle_datagram`](Self::handle_datagram), also saying which
    /// local address `to` (IP and UDP port) it arrived at. A multihomed
    /// endpoint (more than one [`EndpointConfig::local_addresses`]) learns
    /// from it, per peer address, the local address to send from: the
    /// [`Transmit::source`] of later packets to that peer address is the
    /// local address its packets arrive at (so each path keeps to one pair
    /// of addresses).
    pub fn handle_datagram_to(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: SocketAddr,
        data: Bytes,
    ) {
        self.handle_datagram_inner(now, from, Some(to), data);
    }

    fn handle_datagram_inner(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: Option<SocketAddr>,
        data: Bytes,
    ) {
        let arrived_at = to;
        let to = to.filter(|_| self.config.local_addresses.len() > 1);
        if data.len() < wire::HEADER_LEN {
            tracing::trace!(%from, len = data.len(), "datagram too short for SCTP; dropped");
            return;
        }
        let unchecked = Packet::new_unchecked(&data[..]);
        let found = self.lookup_peer(from, unchecked.src_port());
        let zero_ok = found
            .and_then(|id| self.associations.get(&id))
            .is_some_and(|a| a.accepts_zero_checksum());
        let policy = if zero_ok {
            ChecksumPolicy::ZeroAcceptable
        } else {
            ChecksumPolicy::Required
        };
        let packet = match Packet::new_checked(&data[..], policy) {
            Ok(p) => p,
            Err(e) => {
                // RFC 9260 §6.8: an invalid checksum → silently discard.
                tracing::debug!(%from, error = %e, "malformed packet dropped");
                return;
            }
        };
        if packet.dst_port() != self.config.port {
            self.handle_ootb(now, from, &packet);
            return;
        }
        let found = found.or_else(|| self.asconf_lookup(from, &packet));
        match found {
            Some(id) => {
                if let Some(assoc) = self.associations.get_mut(&id) {
                    if arrived_at.is_some_and(|t| assoc.ignores_abort_at(t.ip(), &packet)) {
                        // RFC 5061 §5.3.1.
                        return;
                    }
                    let mut ctx = Ctx {
                        now,
                        events: &mut self.events,
                        cookie_key: &self.cookie_key,
                    };
                    assoc.handle_packet(&mut ctx, from, &packet, &data);
                    if let Some(to) = to {
                        assoc.note_local_address(from, to);
                    }
                }
                self.after(id);
            }
            None => {
                if self.handle_ootb(now, from, &packet) {
                    // A COOKIE ECHO created an association; the rest of the
                    // packet (bundled DATA) belongs to it.
                    if let Some(id) = self.lookup_peer(from, packet.src_port()) {
                        if let Some(assoc) = self.associations.get_mut(&id) {
                            let mut ctx = Ctx {
                                now,
                                events: &mut self.events,
                                cookie_key: &self.cookie_key,
                            };
                            assoc.handle_packet(&mut ctx, from, &packet, &data);
                            if let Some(to) = to {
                                assoc.note_local_address(from, to);
                            }
                        }
                        self.after(id);
                    }
                }
            }
        }
    }

    /// RFC 5061 §5.2 D2, D2-ext: a packet from an unknown source that
    /// carries ASCONF chunks belongs to the association of the first
    /// ASCONF's Address Parameter (with the packet's UDP and SCTP ports),
    /// if its verification tag matches (D4); the AUTH check (D5) follows
    /// in the association.
    fn asconf_lookup(&mut self, from: SocketAddr, packet: &Packet<&[u8]>) -> Option<AssociationId> {
        let asconf = packet
            .chunks()
            .map_while(Result::ok)
            .filter(|c| c.chunk_type == chunk_type::ASCONF)
            .filter_map(|c| match Chunk::parse(&c) {
                Ok(Chunk::Asconf(a)) => Some(a.address),
                _ => None,
            })
            .find(|ip| !ip.is_unspecified())?;
        let id = self.lookup_peer(SocketAddr::new(asconf, from.port()), packet.src_port())?;
        let a = self.associations.get(&id)?;
        (a.local_tag == packet.verification_tag()).then_some(id)
    }

    /// Handles a packet that belongs to no association (RFC 9260 §8.4),
    /// including the stateless steps of setup (§5.1). Returns true when a
    /// COOKIE ECHO created an association.
    fn handle_ootb(&mut self, now: Instant, from: SocketAddr, packet: &Packet<&[u8]>) -> bool {
        let mut has_abort = false;
        let mut has_stale_or_cookie_ack = false;
        let mut has_shutdown_ack = false;
        let mut has_shutdown_complete = false;
        let mut first: Option<(u8, Option<Chunk<'_>>)> = None;
        for raw in packet.chunks() {
            let Ok(raw) = raw else { return false };
            let parsed = Chunk::parse(&raw).ok();
            match raw.chunk_type {
                chunk_type::ABORT => has_abort = true,
                chunk_type::COOKIE_ACK => has_stale_or_cookie_ack = true,
                chunk_type::SHUTDOWN_ACK => has_shutdown_ack = true,
                chunk_type::SHUTDOWN_COMPLETE => has_shutdown_complete = true,
                chunk_type::ERROR => {
                    if let Some(Chunk::Error(e)) = &parsed {
                        if e.causes
                            .iter()
                            .flatten()
                            .any(|c| matches!(c, ErrorCause::StaleCookie(_)))
                        {
                            has_stale_or_cookie_ack = true;
                        }
                    }
                }
                _ => {}
            }
            // RFC 4895 §6.3: out-of-the-blue handling ignores the AUTH chunk
            // (and an AUTH then COOKIE ECHO is a COOKIE ECHO).
            if first.is_none() && raw.chunk_type != chunk_type::AUTH {
                first = Some((raw.chunk_type, parsed));
            }
        }
        let Some((first_type, first_chunk)) = first else {
            return false;
        };
        let ours = packet.dst_port() == self.config.port;
        // §8.4 rule 2: an OOTB packet with ABORT is discarded.
        if has_abort {
            return false;
        }
        match (first_type, first_chunk) {
            // An INIT too short to hold its fixed fields: its Initiate Tag,
            // which an ABORT would have to carry (§3.3.2), is unknown, so it
            // is discarded.
            (chunk_type::INIT, None) => false,
            // §8.4 rule 3 / §5.1.
            (chunk_type::INIT, Some(Chunk::Init(init))) => {
                if packet.verification_tag().0 != 0 || packet.check_bundling().is_err() {
                    // §8.5.1 A: INIT must carry tag 0 and be alone.
                    return false;
                }
                if init.initiate_tag == 0 {
                    // §3.3.2: an INIT with Initiate Tag 0 is silently
                    // discarded.
                    return false;
                }
                if !ours || !self.config.accept_incoming || !self.accept_filter.permits(from.ip()) {
                    // No listener, or the accept policy refuses the peer:
                    // ABORT with the INIT's tag, T bit clear (§5.1, §8.4).
                    self.queue_stateless_abort(
                        from,
                        packet,
                        VerificationTag(init.initiate_tag),
                        false,
                        None,
                    );
                    return false;
                }
                if self.associations.len() >= self.config.max_associations {
                    self.queue_stateless_abort(
                        from,
                        packet,
                        VerificationTag(init.initiate_tag),
                        false,
                        Some(ErrorCause::OutOfResource),
                    );
                    return false;
                }
                self.answer_init(now, from, packet, &init);
                false
            }
            // §8.4 rule 4 / §5.1.5.
            (chunk_type::COOKIE_ECHO, Some(Chunk::CookieEcho(c))) if ours => {
                self.accept_cookie(now, from, packet, c.cookie)
            }
            (chunk_type::COOKIE_ECHO, _) => false,
            _ if has_shutdown_ack => {
                // §8.4 rule 5: SHUTDOWN COMPLETE, tag reflected.
                let c = Chunk::ShutdownComplete(wire::ShutdownCompleteChunk {
                    reflected_tag: true,
                });
                self.queue_stateless(from, packet, packet.verification_tag(), &c);
                false
            }
            // §8.4 rules 6 and 7.
            _ if has_shutdown_complete || has_stale_or_cookie_ack => false,
            _ => {
                // §8.4 rule 8: ABORT, tag reflected.
                self.queue_stateless_abort(from, packet, packet.verification_tag(), true, None);
                false
            }
        }
    }

    fn answer_init(
        &mut self,
        now: Instant,
        from: SocketAddr,
        packet: &Packet<&[u8]>,
        init: &wire::InitChunk<'_>,
    ) {
        let cfg = self.config.association.clone();
        let peer = match handshake::parse_peer_init(init, from, false) {
            Ok(p) => p,
            Err(reason) => {
                let host_name = handshake::host_name_tlv(init);
                let cause = match reason {
                    InitReject::InvalidMandatory | InitReject::MissingCookie => {
                        Some(ErrorCause::InvalidMandatoryParameter)
                    }
                    InitReject::HostName => Some(ErrorCause::UnresolvableAddress(&host_name)),
                    InitReject::Malformed => None,
                    InitReject::Auth(why) => Some(ErrorCause::ProtocolViolation(why.as_bytes())),
                };
                // §5.1 / §3.3.2: ABORT with the INIT's Initiate Tag.
                self.queue_stateless_abort(
                    from,
                    packet,
                    VerificationTag(init.initiate_tag),
                    false,
                    cause,
                );
                return;
            }
        };
        let tag = loop {
            let t = self.rng.next_u32();
            if t != 0 {
                break VerificationTag(t);
            }
        };
        let tsn = Tsn(self.rng.next_u32());
        // RFC 4895 §6.1: our RANDOM from the seeded source.
        let auth = AuthParams::for_association(&cfg, &mut self.rng);
        let contents = handshake::make_cookie(
            &cfg,
            auth.as_ref(),
            now,
            &peer,
            tag,
            tsn,
            (VerificationTag(0), VerificationTag(0)),
            self.config.port,
            packet.src_port(),
        );
        let cookie = self.cookie_key.seal(&contents);
        let bytes = handshake::encode_init(
            &cfg,
            tag,
            tsn,
            // RFC 9260 §3.3.3: the INIT ACK's OS is at most the INIT's MIS.
            handshake::negotiate_streams(&cfg, &peer).0,
            &self.config.local_addresses,
            Some(&cookie),
            &peer.unrecognized,
            auth.as_ref(),
        );
        self.queue_stateless_bytes(from, packet.src_port(), peer.tag, &bytes);
    }

    fn accept_cookie(
        &mut self,
        now: Instant,
        from: SocketAddr,
        packet: &Packet<&[u8]>,
        cookie: &[u8],
    ) -> bool {
        let c = match self.cookie_key.open(cookie, now) {
            Ok(c) => c,
            Err(CookieError::Stale { staleness_us }) => {
                // RFC 9260 §5.1.5 steps 3–4: an authentic cookie whose tag
                // matches the packet's, but expired: ERROR with Stale Cookie
                // to the peer, under the peer's tag (the one its
                // COOKIE-ECHOED state accepts, §8.5).
                let Some(contents) = self.cookie_key.open_ignoring_lifetime(cookie) else {
                    return false;
                };
                if packet.verification_tag() != contents.local_tag {
                    return false;
                }
                let cause = ErrorCause::StaleCookie(staleness_us.min(u64::from(u32::MAX)) as u32);
                let c = Chunk::Error(wire::ErrorChunk {
                    causes: wire::List::Items(core::slice::from_ref(&cause)),
                });
                self.queue_stateless(from, packet, contents.peer_tag, &c);
                return false;
            }
            Err(CookieError::Invalid) => return false,
        };
        // §5.1.5 step 2 and §8.5.1 D: the packet's tag is our tag from the
        // cookie; the ports match the cookie.
        if packet.verification_tag() != c.local_tag
            || c.peer_port != packet.src_port()
            || c.local_port != self.config.port
        {
            return false;
        }
        if self.associations.len() >= self.config.max_associations
            || !self.accept_filter.permits(from.ip())
        {
            return false;
        }
        let id = self.alloc_id();
        let seed = self.child_seed();
        let mut assoc =
            Association::from_cookie(id, now, self.config.association.clone(), &c, from, seed);
        if assoc.auth.local_params().is_some() {
            assoc.auth.set_shared_keys(self.auth_keys.clone());
        }
        // RFC 4895 §6.3: an AUTH before the COOKIE ECHO is checked with the
        // cookie's parameters; a COOKIE ECHO we require authenticated
        // needs one.
        if !assoc.cookie_echo_authentic(packet) {
            return false;
        }
        if self.config.association.auth.is_some() && !assoc.auth.is_active() {
            // RFC 6458 §6.1.8: SCTP_AUTH_NO_AUTH.
            self.events.push_back((
                id,
                Event::Authentication {
                    key_id: 0,
                    indication: crate::event::AuthIndication::NoAuth,
                },
            ));
        }
        assoc.need_cookie_ack = true;
        assoc
            .local_addresses
            .clone_from(&self.config.local_addresses);
        self.last_peer = None;
        for a in assoc.peer_addresses() {
            self.by_peer.insert((a, c.peer_port), id);
        }
        self.events.push_back((
            id,
            Event::Connected {
                outbound_streams: c.outbound_streams,
                inbound_streams: c.inbound_streams,
            },
        ));
        self.associations.insert(id, Box::new(assoc));
        self.after(id);
        true
    }

    fn queue_stateless_abort(
        &mut self,
        to: SocketAddr,
        packet: &Packet<&[u8]>,
        vtag: VerificationTag,
        reflected: bool,
        cause: Option<ErrorCause<'_>>,
    ) {
        let causes = cause.as_slice();
        let c = Chunk::Abort(wire::AbortChunk {
            reflected_tag: reflected,
            causes: wire::List::Items(causes),
        });
        self.queue_stateless(to, packet, vtag, &c);
    }

    fn queue_stateless(
        &mut self,
        to: SocketAddr,
        packet: &Packet<&[u8]>,
        vtag: VerificationTag,
        c: &Chunk<'_>,
    ) {
        use wire::Emit;
        let mut bytes = vec![0u8; crate::association::pad4(c.encoded_len())];
        c.emit(&mut bytes);
        self.queue_stateless_bytes(to, packet.src_port(), vtag, &bytes);
    }

    fn queue_stateless_bytes(
        &mut self,
        to: SocketAddr,
        dst_port: u16,
        vtag: VerificationTag,
        chunk: &[u8],
    ) {
        if self.stateless.len() >= MAX_STATELESS_QUEUE {
            return;
        }
        let mut buf = vec![0u8; wire::HEADER_LEN + chunk.len()];
        let Ok(mut w) = PacketWriter::new(&mut buf, self.config.port, dst_port, vtag) else {
            return;
        };
        if w.push(&crate::association::Encoded(chunk)).is_err() {
            return;
        }
        let len = w.finish(ChecksumMode::Compute);
        buf.truncate(len);
        self.stateless.push_back((to, buf));
    }

    /// Writes the next packet to send into `buf` and says where it goes.
    /// Give a buffer of at least the configured MTU (65536 bytes is always
    /// enough). Call until it returns `None`.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some((to, bytes)) = self.stateless.pop_front() {
            if bytes.len() <= buf.len() {
                buf[..bytes.len()].copy_from_slice(&bytes);
                return Some(Transmit {
                    destination: to,
                    source: None,
                    len: bytes.len(),
                });
            }
        }
        while let Some(&id) = self.ready.front() {
            let Some(a) = self.associations.get_mut(&id) else {
                self.ready.pop_front();
                continue;
            };
            if let Some(t) = a.poll_transmit(now, buf) {
                return Some(t);
            }
            a.queued = false;
            self.ready.pop_front();
            // Sending may have started timers (T3-rtx).
            let d = a.poll_timeout();
            if d != a.scheduled {
                a.scheduled = d;
                self.timers.set(id, d);
            }
        }
        None
    }

    /// The earliest deadline at which [`handle_timeout`](Self::handle_timeout)
    /// must be called, if any.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// Runs every timer that is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Collect first: a deadline may stay due until the next
        // poll_transmit (a HEARTBEAT to send), and must not be handled twice.
        let mut due = core::mem::take(&mut self.due);
        due.clear();
        while let Some(id) = self.timers.pop_expired(now) {
            due.push(id);
        }
        for &id in &due {
            if let Some(a) = self.associations.get_mut(&id) {
                // The queue no longer holds a deadline for it.
                a.scheduled = None;
                let mut ctx = Ctx {
                    now,
                    events: &mut self.events,
                    cookie_key: &self.cookie_key,
                };
                a.handle_timeout(&mut ctx);
            }
            self.after(id);
        }
        self.due = due;
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<(AssociationId, Event)> {
        let (id, ev) = self.events.pop_front()?;
        if let Event::Message { data, .. } = &ev {
            // The application has the message now: its bytes no longer
            // hold the receive window (RFC 9260 §6.2.1).
            if let Some(a) = self.associations.get_mut(&id) {
                a.on_delivered_read(data.len());
                if !a.queued {
                    a.queued = true;
                    self.ready.push_back(id);
                }
            }
        }
        Some((id, ev))
    }

    fn with_assoc<R>(
        &mut self,
        now: Instant,
        id: AssociationId,
        f: impl FnOnce(&mut Association, &mut Ctx<'_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let a = self
            .associations
            .get_mut(&id)
            .ok_or(Error::NoSuchAssociation)?;
        let mut ctx = Ctx {
            now,
            events: &mut self.events,
            cookie_key: &self.cookie_key,
        };
        let r = f(a, &mut ctx);
        self.after(id);
        r
    }

    /// Queues a message on `stream` of association `id`. Fails with
    /// [`Error::WouldBlock`] when the send buffer is full: wait for
    /// [`Event::BufferedAmountLow`].
    pub fn send(
        &mut self,
        now: Instant,
        id: AssociationId,
        stream: StreamId,
        data: Bytes,
        opts: SendOptions,
    ) -> Result<(), Error> {
        let a = self
            .associations
            .get_mut(&id)
            .ok_or(Error::NoSuchAssociation)?;
        // A refused message changes nothing.
        a.send(now, stream, data, opts)?;
        if a.send_moves_deadline() {
            self.after(id);
        } else if !a.queued {
            // What `after` does for a queued message, without recomputing
            // deadlines that queuing does not move (called per message).
            a.queued = true;
            self.ready.push_back(id);
        }
        Ok(())
    }

    /// Starts a graceful shutdown (RFC 9260 §9.2): queued data is still
    /// delivered, then [`Event::Closed`] with
    /// [`CloseReason::Shutdown`](crate::CloseReason::Shutdown).
    pub fn shutdown(&mut self, now: Instant, id: AssociationId) -> Result<(), Error> {
        self.with_assoc(now, id, |a, ctx| a.shutdown(ctx))
    }

    /// Aborts association `id` (RFC 9260 §9.1): the peer gets an ABORT with
    /// a User-Initiated Abort cause carrying `reason`; unacknowledged
    /// messages come back in [`Event::SendFailed`].
    pub fn abort(&mut self, now: Instant, id: AssociationId, reason: &str) -> Result<(), Error> {
        self.with_assoc(now, id, |a, ctx| {
            a.abort(ctx, reason);
            Ok(())
        })
    }

    /// Resets outgoing `streams` of association `id` (RFC 6525 §5.1.2):
    /// their next message carries SSN/MID 0 again, as when a WebRTC data
    /// channel closes (RFC 8831 §6.7).
    ///
    /// Nothing already sent is lost: messages queued on these streams
    /// before this call are still sent (and delivered) with the old
    /// numbering, then the Outgoing SSN Reset Request goes out. Messages
    /// sent on these streams after this call are accepted and queued; they
    /// go out once the peer answered, numbered from 0 when it performed the
    /// reset, with the old numbering when it refused. The answer comes as
    /// [`Event::StreamsReset`] with [`StreamDirection::Outgoing`](crate::StreamDirection::Outgoing).
    ///
    /// Errors: [`Error::ReconfigUnavailable`] when RE-CONFIG was not
    /// negotiated, [`Error::ReconfigInProgress`] while a previous request
    /// is unanswered (one at a time, RFC 6525 §5.1.1),
    /// [`Error::InvalidStream`] for a stream id out of range,
    /// [`Error::InvalidReconfig`] for an empty list or one too long for a
    /// packet, [`Error::InvalidState`] unless ESTABLISHED.
    pub fn reset_streams(
        &mut self,
        now: Instant,
        id: AssociationId,
        streams: &[StreamId],
    ) -> Result<(), Error> {
        self.with_assoc(now, id, |a, ctx| {
            a.reset_streams(ctx, streams, crate::ResetDirection::Outgoing)
        })
    }

    /// Resets streams of association `id` in one or both directions (RFC
    /// 6525 §5.1.2, §5.1.3; RFC 6458 SCTP_RESET_STREAMS with `srs_flags`).
    ///
    /// - [`ResetDirection::Outgoing`](crate::ResetDirection::Outgoing): as
    ///   [`reset_streams`](Self::reset_streams).
    /// - [`ResetDirection::Incoming`](crate::ResetDirection::Incoming): asks
    ///   the peer to reset the streams it sends on (an empty list: all of
    ///   them). The request goes at once; when the peer performs it,
    ///   [`Event::StreamsReset`] comes with
    ///   [`StreamDirection::Incoming`](crate::StreamDirection::Incoming)
    ///   after every message it sent before; if it refuses, the same event
    ///   with `Denied` or `Failed`.
    /// - [`ResetDirection::Both`](crate::ResetDirection::Both): both
    ///   requests in one RE-CONFIG chunk (RFC 6525 §3.1); each stream must
    ///   exist in both directions.
    ///
    /// Errors as for [`reset_streams`](Self::reset_streams).
    pub fn reset_streams_with(
        &mut self,
        now: Instant,
        id: AssociationId,
        streams: &[StreamId],
        direction: crate::ResetDirection,
    ) -> Result<(), Error> {
        self.with_assoc(now, id, |a, ctx| a.reset_streams(ctx, streams, direction))
    }

    /// Resets the TSNs of both directions and the sequence numbers of every
    /// stream of association `id` (RFC 6525 §5.1.4, SSN/TSN Reset; RFC
    /// 6525 §6.3.3 SCTP_RESET_ASSOC).
    ///
    /// Nothing already sent is lost: messages not yet started are held
    /// from this call on; the request goes out once every DATA chunk sent
    /// was acknowledged (§5.1.4 C2). The answer comes as
    /// [`Event::AssociationReset`]: with
    /// [`ReconfigResult::Success`](crate::ReconfigResult::Success) the held
    /// messages go out from the new TSN, each stream's first with SSN/MID
    /// 0; otherwise with the old numbering. The peer accepts only if its
    /// policy allows it
    /// ([`ReconfigPolicy::accept_ssn_tsn_reset`](crate::config::ReconfigPolicy::accept_ssn_tsn_reset),
    /// off by default).
    ///
    /// Errors: [`Error::ReconfigUnavailable`] when RE-CONFIG was not
    /// negotiated, [`Error::ReconfigInProgress`] while another request is
    /// unanswered (one at a time, RFC 6525 §5.1.1),
    /// [`Error::InvalidState`] unless ESTABLISHED.
    pub fn reset_association(&mut self, now: Instant, id: AssociationId) -> Result<(), Error> {
        self.with_assoc(now, id, |a, ctx| a.reset_association(ctx))
    }

    /// Asks the peer for `outgoing` more outbound streams on association
    /// `id` (RFC 6525 §5.1.5). The new streams are numbered after the
    /// existing ones and usable once [`Event::StreamsAdded`] reports them
    /// with [`ReconfigResult::Success`](crate::ReconfigResult::Success).
    ///
    /// Errors as for [`reset_streams`](Self::reset_streams);
    /// [`Error::InvalidReconfig`] for 0 streams or a total above 65535.
    pub fn add_streams(
        &mut self,
        now: Instant,
        id: AssociationId,
        outgoing: u16,
    ) -> Result<(), Error> {
        self.with_assoc(now, id, |a, ctx| a.add_streams(ctx, 0, outgoing))
    }

    /// Adds streams to association `id` in both directions (RFC 6525
    /// §5.1.5, §5.1.6; RFC 6458 SCTP_ADD_STREAMS with `sas_instrms` and
    /// `sas_outstrms`): `outgoing` more streams we send on, and `incoming`
    /// more the peer sends on (it adds them with its own request). Both
    /// requests go in one RE-CONFIG chunk. Each side's result comes as
    /// [`Event::StreamsAdded`] with the counts then in force.
    ///
    /// Errors as for [`add_streams`](Self::add_streams);
    /// [`Error::InvalidReconfig`] when both are 0, or when the inbound
    /// streams would exceed
    /// [`AssociationConfig::max_inbound_streams`](crate::AssociationConfig::max_inbound_streams).
    pub fn add_streams_with(
        &mut self,
        now: Instant,
        id: AssociationId,
        incoming: u16,
        outgoing: u16,
    ) -> Result<(), Error> {
        self.with_assoc(now, id, |a, ctx| a.add_streams(ctx, incoming, outgoing))
    }

    /// Figures about association `id`.
    pub fn stats(&self, id: AssociationId) -> Option<AssociationStats> {
        self.associations.get(&id).map(|a| a.stats())
    }

    /// The state of association `id`; `None` once it is gone.
    pub fn state(&self, id: AssociationId) -> Option<AssociationState> {
        self.associations.get(&id).map(|a| a.state)
    }

    /// Whether the endpoint holds no association and has nothing left to
    /// send: a host may drop it without losing a packet (such as the ABORT
    /// of an association just aborted).
    pub fn is_idle(&self) -> bool {
        self.associations.is_empty() && self.stateless.is_empty()
    }

    /// Ids of the associations this endpoint holds.
    pub fn associations(&self) -> Vec<AssociationId> {
        let mut v: Vec<_> = self.associations.keys().copied().collect();
        v.sort();
        v
    }

    /// Bytes queued for sending on association `id` and not yet sent.
    pub fn buffered_amount(&self, id: AssociationId) -> Option<usize> {
        self.associations
            .get(&id)
            .map(|a| a.sendq.buffered_amount())
    }

    /// Sets the level at or below which [`Event::BufferedAmountLow`] fires
    /// (once per crossing).
    pub fn set_buffered_amount_low_threshold(
        &mut self,
        id: AssociationId,
        bytes: usize,
    ) -> Result<(), Error> {
        let a = self
            .associations
            .get_mut(&id)
            .ok_or(Error::NoSuchAssociation)?;
        a.sendq.set_buffered_amount_low_threshold(bytes);
        Ok(())
    }

    /// The peer's transport addresses, the primary first.
    pub fn peer_addresses(&self, id: AssociationId) -> Option<Vec<SocketAddr>> {
        self.associations.get(&id).map(|a| a.peer_addresses())
    }

    /// Turns heartbeats of every path of association `id` off (`None`) or
    /// on with this 'HB.interval' (RFC 9260 §8.3).
    pub fn set_heartbeat(
        &mut self,
        now: Instant,
        id: AssociationId,
        interval: Option<core::time::Duration>,
    ) -> Result<(), Error> {
        let a = self
            .associations
            .get_mut(&id)
            .ok_or(Error::NoSuchAssociation)?;
        a.set_heartbeat(now, interval);
        Ok(())
    }

    /// Changes which re-configuration requests (RFC 6525) of the peer
    /// association `id` accepts from now on.
    pub fn set_reconfig_policy(
        &mut self,
        id: AssociationId,
        policy: crate::config::ReconfigPolicy,
    ) -> Result<(), Error> {
        let a = self
            .associations
            .get_mut(&id)
            .ok_or(Error::NoSuchAssociation)?;
        a.config.reconfig_policy = policy;
        Ok(())
    }

    /// Makes `addr` the primary path of association `id` (RFC 9260 §6.4).
    pub fn set_primary(&mut self, id: AssociationId, addr: SocketAddr) -> Result<(), Error> {
        let a = self
            .associations
            .get_mut(&id)
            .ok_or(Error::NoSuchAssociation)?;
        a.set_primary(addr)?;
        // RFC 6458 §6.1.2: SCTP_ADDR_MADE_PRIM.
        self.events.push_back((
            id,
            Event::PeerAddressChange {
                address: addr,
                state: crate::event::PeerAddressState::MadePrimary,
                reason: crate::event::AddressChangeReason::LocalRequest,
            },
        ));
        self.after(id);
        Ok(())
    }

    /// Adds `ip` to this endpoint's own addresses at run time (RFC 6458
    /// `sctp_bindx(SCTP_BINDX_ADD_ADDR)`): new associations list it in
    /// their INIT / INIT ACK, and with [auto ASCONF](Self::set_auto_asconf)
    /// on (the default) every association whose peer supports RFC 5061
    /// gets an ASCONF adding it. The address becomes a source of packets
    /// of an association once its peer accepted it
    /// ([`Event::AddressRequestResult`]; RFC 5061 §5.3 F1, F2).
    /// Associations whose peer does not support ASCONF keep their
    /// addresses.
    ///
    /// With UDP encapsulation, use the same UDP port on the new address as
    /// on the others (the peer pairs the IP with the port of our packets,
    /// RFC 6951 §5). List the starting addresses in
    /// [`EndpointConfig::local_addresses`]: an association that listed
    /// none knows only the addresses added later, so only those can be
    /// removed from it or made its peer's primary.
    pub fn add_local_address(&mut self, now: Instant, ip: std::net::IpAddr) -> Result<(), Error> {
        if ip.is_unspecified() || ip.is_multicast() {
            return Err(Error::InvalidAddress(
                "a local address must be a unicast address, not a wildcard or multicast one",
            ));
        }
        if self.config.local_addresses.contains(&ip) {
            return Err(Error::InvalidAddress("the address is already one of ours"));
        }
        self.config.local_addresses.push(ip);
        if self.auto_asconf {
            self.announce(now, crate::event::AddressRequest::AddLocal(ip));
        }
        Ok(())
    }

    /// Removes `ip` from this endpoint's own addresses at run time (RFC
    /// 6458 `sctp_bindx(SCTP_BINDX_REM_ADDR)`): no association sends from
    /// it any more, and with [auto ASCONF](Self::set_auto_asconf) on every
    /// association whose peer supports RFC 5061 gets an ASCONF deleting
    /// it ([`Event::AddressRequestResult`] tells the answer). The last
    /// address cannot be removed (RFC 5061 §5.3 F5): add another first.
    pub fn remove_local_address(
        &mut self,
        now: Instant,
        ip: std::net::IpAddr,
    ) -> Result<(), Error> {
        if !self.config.local_addresses.contains(&ip) {
            return Err(Error::InvalidAddress(
                "not one of this endpoint's addresses",
            ));
        }
        if self.config.local_addresses.len() == 1 {
            return Err(Error::InvalidAddress(
                "cannot remove the endpoint's last address; add another one first",
            ));
        }
        self.config.local_addresses.retain(|a| *a != ip);
        if self.auto_asconf {
            self.announce(now, crate::event::AddressRequest::RemoveLocal(ip));
        }
        Ok(())
    }

    /// Sends `request` on every association whose peer supports ASCONF
    /// and for which it means something.
    fn announce(&mut self, now: Instant, request: crate::event::AddressRequest) {
        use crate::event::AddressRequest as R;
        let ids = self.associations();
        for id in ids {
            let Some(a) = self.associations.get_mut(&id) else {
                continue;
            };
            let relevant = match request {
                R::AddLocal(ip) => !a.local_addresses.contains(&ip),
                R::RemoveLocal(ip) => a.local_addresses.contains(&ip),
                R::SetPeerPrimary(_) => false,
            };
            if relevant && a.asconf_usable() {
                // A full request queue or a peer refusing such requests:
                // the association keeps its addresses as they are.
                let _ = a.request_address_change(now, request);
                self.after(id);
            }
        }
    }

    // ---- SCTP-AUTH keys (RFC 4895; RFC 6458 §8.1.18, §8.3.2–§8.3.5) -------

    fn auth_keys_mut(
        &mut self,
        id: Option<AssociationId>,
        f: impl FnOnce(&mut SharedKeys) -> Result<(), Error>,
    ) -> Result<(), Error> {
        match id {
            None => f(&mut self.auth_keys),
            Some(id) => {
                let a = self
                    .associations
                    .get_mut(&id)
                    .ok_or(Error::NoSuchAssociation)?;
                a.auth.update_keys(f)
            }
        }
    }

    /// Whether [`add_local_address`](Self::add_local_address) and
    /// [`remove_local_address`](Self::remove_local_address) send ASCONFs
    /// (RFC 6458 SCTP_AUTO_ASCONF; on by default).
    pub fn auto_asconf(&self) -> bool {
        self.auto_asconf
    }

    /// Turns the ASCONFs of [`add_local_address`](Self::add_local_address)
    /// and [`remove_local_address`](Self::remove_local_address) on or off
    /// (RFC 6458 SCTP_AUTO_ASCONF). Off, they only change the addresses of
    /// future associations.
    pub fn set_auto_asconf(&mut self, on: bool) {
        self.auto_asconf = on;
    }

    /// Asks the peer of association `id` to send to our address `ip` by
    /// preference (RFC 5061 Set Primary Address; RFC 6458
    /// SCTP_SET_PEER_PRIMARY_ADDR). The answer comes as
    /// [`Event::AddressRequestResult`]. Fails if the peer does not support
    /// ASCONF or `ip` is not one of the association's addresses.
    pub fn set_peer_primary(
        &mut self,
        now: Instant,
        id: AssociationId,
        ip: std::net::IpAddr,
    ) -> Result<(), Error> {
        self.with_assoc(now, id, |a, _| {
            if !a.local_addresses.contains(&ip) {
                return Err(Error::InvalidAddress(
                    "not an address of this association; add it first (add_local_address)",
                ));
            }
            a.request_address_change(now, crate::event::AddressRequest::SetPeerPrimary(ip))
        })
    }

    /// The endpoint's SCTP-AUTH shared keys (for the socket facade, which
    /// rebuilds endpoints).
    pub(crate) fn shared_keys(&self) -> &SharedKeys {
        &self.auth_keys
    }

    /// Replaces the endpoint's SCTP-AUTH shared keys.
    pub(crate) fn set_shared_keys(&mut self, keys: SharedKeys) {
        self.auth_keys = keys;
    }

    /// Sets endpoint pair shared key `key_id` to `secret` (RFC 4895 §6.1;
    /// RFC 6458 §8.3.3 SCTP_AUTH_KEY), replacing a key of that id. `id`
    /// `None`: the endpoint's keys, which associations created later
    /// start with; `Some`: that association's. Key 0 is the empty key
    /// until replaced or deleted. Secrets are at most 1024 bytes.
    pub fn set_auth_key(
        &mut self,
        id: Option<AssociationId>,
        key_id: u16,
        secret: &[u8],
    ) -> Result<(), Error> {
        self.auth_keys_mut(id, |k| k.set(key_id, secret))
    }

    /// Makes `key_id` the key that authenticates what we send (RFC 6458
    /// §8.1.18 SCTP_AUTH_ACTIVE_KEY); it must exist and not be
    /// deactivated. `id` as in [`set_auth_key`](Self::set_auth_key).
    pub fn set_active_auth_key(
        &mut self,
        id: Option<AssociationId>,
        key_id: u16,
    ) -> Result<(), Error> {
        self.auth_keys_mut(id, |k| k.set_active(key_id))
    }

    /// The key that authenticates what we send (`id` as in
    /// [`set_auth_key`](Self::set_auth_key)).
    pub fn active_auth_key(&self, id: Option<AssociationId>) -> Result<u16, Error> {
        match id {
            None => Ok(self.auth_keys.active()),
            Some(id) => self
                .associations
                .get(&id)
                .map(|a| a.auth.shared_keys().active())
                .ok_or(Error::NoSuchAssociation),
        }
    }

    /// Stops sending with `key_id` (RFC 6458 §8.3.4
    /// SCTP_AUTH_DEACTIVATE_KEY); the active key cannot be deactivated.
    /// Received chunks may still use it; once the peer does not,
    /// [`Event::Authentication`] with
    /// [`AuthIndication::FreeKey`](crate::AuthIndication::FreeKey) says the
    /// key may be deleted.
    pub fn deactivate_auth_key(
        &mut self,
        id: Option<AssociationId>,
        key_id: u16,
    ) -> Result<(), Error> {
        self.auth_keys_mut(id, |k| k.deactivate(key_id))?;
        if let Some(aid) = id {
            if self
                .associations
                .get(&aid)
                .is_some_and(|a| !a.auth.peer_uses(key_id))
            {
                self.events.push_back((
                    aid,
                    Event::Authentication {
                        key_id,
                        indication: crate::event::AuthIndication::FreeKey,
                    },
                ));
            }
        }
        Ok(())
    }

    /// Deletes `key_id` (RFC 6458 §8.3.5 SCTP_AUTH_DELETE_KEY); it must be
    /// deactivated first, so it is not in use for sending.
    pub fn delete_auth_key(&mut self, id: Option<AssociationId>, key_id: u16) -> Result<(), Error> {
        self.auth_keys_mut(id, |k| k.delete(key_id))
    }

    /// The chunk types the peer of association `id` wants authenticated
    /// (its CHUNKS parameter, RFC 6458 §8.2.3 SCTP_PEER_AUTH_CHUNKS); empty
    /// when SCTP-AUTH is not in use.
    pub fn peer_auth_chunks(&self, id: AssociationId) -> Result<Vec<u8>, Error> {
        self.associations
            .get(&id)
            .map(|a| a.auth.peer_chunks())
            .ok_or(Error::NoSuchAssociation)
    }

    /// The chunk types association `id` accepts only authenticated (our
    /// CHUNKS parameter, RFC 6458 §8.2.4 SCTP_LOCAL_AUTH_CHUNKS); empty
    /// when SCTP-AUTH is not in use.
    pub fn local_auth_chunks(&self, id: AssociationId) -> Result<Vec<u8>, Error> {
        self.associations
            .get(&id)
            .map(|a| a.auth.local_chunks())
            .ok_or(Error::NoSuchAssociation)
    }

    /// This endpoint's own addresses, as configured
    /// ([`EndpointConfig::local_addresses`]; empty: not multihomed, the
    /// peer knows us by the source address of our packets).
    pub fn local_addresses(&self) -> &[std::net::IpAddr] {
        &self.config.local_addresses
    }
}
