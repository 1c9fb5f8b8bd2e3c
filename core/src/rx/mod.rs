//! The receive side: TSN tracking and SACK scheduling
//! ([`DataTracker`]), reassembly and ordered/unordered delivery
//! ([`ReassemblyQueue`]), and the advertised receive window
//! ([`ReceiveWindow`]).
//!
//! These types take plain values: the association translates parsed DATA,
//! I-DATA, FORWARD-TSN and I-FORWARD-TSN chunks into them, and builds the
//! SACK chunk from what they report.
//!
//! Per DATA chunk: [`DataTracker::classify`]; for a new TSN,
//! [`ReceiveWindow::admits`] (RFC 9260 §6.2 zero-window rule), then
//! [`ReassemblyQueue::add`]; only if the queue accepted it,
//! [`DataTracker::observe`]. A chunk that is dropped is never
//! acknowledged. Per FORWARD-TSN: [`DataTracker::handle_forward_tsn`], and
//! if it advanced, [`ReassemblyQueue::handle_forward_tsn`]. After the
//! packet: [`DataTracker::on_data_packet`]. For example:
//!
//! ```
//! use anysctp::rx::*;
//! use anysctp::{Instant, Ppid, Ssn, StreamId, Tsn};
//! use bytes::Bytes;
//!
//! let mut tracker = DataTracker::new(Tsn(1000), DataTrackerConfig::default());
//! let mut queue = ReassemblyQueue::new(
//!     Tsn(1000),
//!     ReassemblyConfig {
//!         mode: ReassemblyMode::Data,
//!         max_buffer: 64 * 1024,
//!         max_message_size: 64 * 1024,
//!     },
//! );
//! let mut window = ReceiveWindow::new(64 * 1024, 1200);
//!
//! let chunk = IncomingData {
//!     tsn: Tsn(1000),
//!     stream: StreamId(0),
//!     ppid: Ppid(51),
//!     unordered: false,
//!     beginning: true,
//!     ending: true,
//!     seq: Seq::Ssn(Ssn(0)),
//!     payload: Bytes::from_static(b"hello"),
//! };
//! match tracker.classify(chunk.tsn) {
//!     Observed::New => match queue.add(chunk) {
//!         Ok(AddOutcome::Accepted) => {
//!             tracker.observe(Tsn(1000));
//!         }
//!         Ok(AddOutcome::AcceptedAfterEviction) => {
//!             // RFC 9260 §6.2: un-ack what was dropped, then ack this TSN.
//!             for evicted in queue.take_evicted() {
//!                 tracker.forget(evicted);
//!             }
//!             tracker.observe(Tsn(1000));
//!         }
//!         Ok(AddOutcome::Duplicate) => {}
//!         Ok(AddOutcome::BufferFull) => tracker.force_sack(),
//!         Err(_protocol_violation) => { /* send ABORT */ }
//!     },
//!     Observed::Duplicate => {
//!         tracker.observe(chunk.tsn);
//!     }
//!     Observed::Dropped => {}
//! }
//! tracker.on_data_packet(Instant::ZERO, false);
//!
//! let msg = queue.poll_message().unwrap();
//! assert_eq!(&msg.data[..], b"hello");
//! // The application has not read it yet: it still occupies the buffer.
//! let a_rwnd = window.a_rwnd(queue.buffered_bytes() + msg.data.len());
//! assert_eq!(a_rwnd, 64 * 1024 - 5);
//! ```

mod data_tracker;
mod reassembly;
mod window;

pub use data_tracker::{
    DataTracker, DataTrackerConfig, Observed, MAX_SACK_DELAY, SACK_ENTRY_LEN, SACK_HEADER_LEN,
};
pub use reassembly::{
    AddOutcome, IncomingData, ReassemblyConfig, ReassemblyError, ReassemblyMode, ReassemblyQueue,
    ReceivedMessage, Seq, SkippedMessage, SkippedSeq,
};
pub use window::ReceiveWindow;

#[cfg(test)]
mod tests;
