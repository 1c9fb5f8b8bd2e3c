//! The SCTP wire format: zero-copy views over received packets and
//! allocation-free writers into caller buffers (RFC 9260 §3 and the
//! extensions of RFC 3758, 4820, 4895, 5061, 6525, 7053, 8260 and 9653).
//!
//! # Receiving
//!
//! ```
//! use anysctp::wire::{Chunk, ChecksumPolicy, Packet};
//! # use anysctp::wire::{ChecksumMode, PacketWriter, DataChunk};
//! # use anysctp::{Ppid, Ssn, StreamId, Tsn, VerificationTag};
//! # let mut buf = [0u8; 64];
//! # let mut w = PacketWriter::new(&mut buf, 1, 2, VerificationTag(9)).unwrap();
//! # w.push(&Chunk::Data(DataChunk { tsn: Tsn(1), stream: StreamId(0), ssn: Ssn(0), ppid: Ppid(51),
//! #     unordered: false, beginning: true, ending: true, immediate_sack: false, payload: b"hi" })).unwrap();
//! # let n = w.finish(ChecksumMode::Compute);
//! # let datagram = &buf[..n];
//! let packet = Packet::new_checked(datagram, ChecksumPolicy::Required)?;
//! packet.check_bundling().expect("bundling");
//! for raw in packet.chunks() {
//!     let raw = raw?;
//!     match Chunk::parse(&raw)? {
//!         // `raw.offset + DataChunk::PAYLOAD_OFFSET` locates the payload in
//!         // the datagram for a zero-copy `Bytes::slice`.
//!         Chunk::Data(d) => assert_eq!(d.payload, b"hi"),
//!         Chunk::Unknown(u) => { let _action = u.action(); }
//!         _ => {}
//!     }
//! }
//! # Ok::<(), anysctp::wire::WireError>(())
//! ```
//!
//! # Sending
//!
//! Build reprs whose lists are [`List::Items`] over caller-owned slices,
//! wrap them in [`Chunk`], and [`PacketWriter::push`] them into an MTU-sized
//! buffer; [`PacketWriter::finish`] writes the CRC32c.
//!
//! # Design
//!
//! - A received chunk is framed once ([`RawChunk`]) and parsed on demand
//!   ([`Chunk::parse`]); variable lists (parameters, causes, gap blocks,
//!   duplicate TSNs, FORWARD-TSN entries) stay [`List::Raw`] views decoded
//!   lazily by their iterators, so parsing never allocates.
//! - Every borrowed slice (payloads, cookies, heartbeat info, unknown TLVs)
//!   points into the datagram, so `datagram.slice_ref(d.payload)` on the
//!   datagram's `bytes::Bytes` turns it into an owned, reference-counted
//!   `Bytes` without copying. [`RawChunk::offset`] gives the same position.
//! - Unknown chunks, parameters and causes are kept with their type and
//!   bytes; [`UnrecognizedAction`] gives the RFC 9260 §3.2 handling.
//! - Nothing here panics on received bytes: every length field is checked
//!   against the buffer before use, and no allocation is sized by one.

mod cause;
mod chunk;
mod codec;
mod error;
mod list;
mod packet;
mod param;

pub use cause::{cause_code, CauseIter, ErrorCause};
pub use chunk::{
    chunk_type, AbortChunk, AsconfAckChunk, AsconfChunk, AuthChunk, Chunk, CookieEchoChunk,
    CwrChunk, DataChunk, EcneChunk, Emit, ErrorChunk, ForwardTsnChunk, HeartbeatChunk, IDataChunk,
    IForwardTsnChunk, InitChunk, PadChunk, ReConfigChunk, SackChunk, ShutdownChunk,
    ShutdownCompleteChunk, UnknownChunk,
};
pub use error::{TlvKind, WireError};
pub use list::{ForwardTsnStream, IForwardTsnStream, List, ListItem, ListIter};
pub use packet::{
    checksum, AuthPlan, BundlingViolation, ChecksumMode, ChecksumPolicy, ChunkIter, ChunkTypeSet,
    Packet, PacketWriter, RawChunk, HEADER_LEN,
};
pub use param::{param_type, Param, ParamIter, UnrecognizedAction};
