//! Packet validation with the core's wire codecs, for `anysctp.wire`.
//!
//! `anysctp.wire.parse_packet` first runs the received bytes through the
//! core parser here (checksum, chunk framing, every chunk's fixed part and
//! every parameter and cause list), so a packet the core would reject is
//! rejected in Python with the core's own message; the Python module then
//! builds its immutable objects from bytes known to be well framed.

use anysctp::wire::{ChecksumPolicy, Chunk, ErrorCause, List, ListItem, Packet, Param, WireError};
use pyo3::prelude::*;

use crate::convert;

fn check_list<'a, T: ListItem<'a>>(
    list: &List<'a, T>,
    each: impl Fn(&T) -> Result<(), WireError>,
) -> Result<(), WireError> {
    for item in list.iter() {
        each(&item?)?;
    }
    Ok(())
}

fn check_param(p: &Param<'_>) -> Result<(), WireError> {
    match p {
        Param::SupportedAddressTypes(l) | Param::RequestedHmacAlgorithms(l) => {
            check_list(l, |_| Ok(()))
        }
        Param::OutgoingSsnResetRequest { streams, .. }
        | Param::IncomingSsnResetRequest { streams, .. } => check_list(streams, |_| Ok(())),
        Param::ErrorCauseIndication { causes, .. } => check_list(causes, check_cause),
        _ => Ok(()),
    }
}

fn check_cause(c: &ErrorCause<'_>) -> Result<(), WireError> {
    match c {
        ErrorCause::MissingMandatoryParameter(l) => check_list(l, |_| Ok(())),
        _ => Ok(()),
    }
}

fn check_chunk(chunk: &Chunk<'_>) -> Result<(), WireError> {
    match chunk {
        Chunk::Init(c) | Chunk::InitAck(c) => check_list(&c.params, check_param),
        Chunk::Sack(c) => {
            check_list(&c.gap_blocks, |_| Ok(()))?;
            check_list(&c.duplicate_tsns, |_| Ok(()))
        }
        Chunk::Abort(c) => check_list(&c.causes, check_cause),
        Chunk::Error(c) => check_list(&c.causes, check_cause),
        Chunk::ForwardTsn(c) => check_list(&c.streams, |_| Ok(())),
        Chunk::IForwardTsn(c) => check_list(&c.streams, |_| Ok(())),
        Chunk::ReConfig(c) => check_list(&c.params, check_param),
        Chunk::Asconf(c) => check_list(&c.params, check_param),
        Chunk::AsconfAck(c) => check_list(&c.params, check_param),
        _ => Ok(()),
    }
}

/// Every check of the core parser on one datagram.
fn check_packet(data: &[u8], verify_checksum: bool) -> Result<(), WireError> {
    let policy = if verify_checksum {
        ChecksumPolicy::Required
    } else {
        ChecksumPolicy::Skip
    };
    let packet = Packet::new_checked(data, policy)?;
    for raw in packet.chunks() {
        check_chunk(&Chunk::parse(&raw?)?)?;
    }
    Ok(())
}

/// Checks a datagram with the core's wire parser; raises `WireError` (a
/// `ProtocolError`) with the core's description of the first problem.
#[pyfunction]
#[pyo3(signature = (packet, verify_checksum = true))]
pub fn check_packet_bytes(
    py: Python<'_>,
    packet: &Bound<'_, PyAny>,
    verify_checksum: bool,
) -> PyResult<()> {
    let data = convert::payload(packet)?;
    check_packet(&data, verify_checksum)
        .map_err(|e| convert::new_error(py, "WireError", format!("malformed SCTP packet: {e}")))
}
