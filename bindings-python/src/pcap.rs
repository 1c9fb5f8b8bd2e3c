//! Checksum helpers and pcap capture reading/writing.

use anysctp::pcap::{self as core_pcap, LinkType, PcapReader, PcapWriter};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::convert::{self, addr_tuple, instant, seconds, socket_addr};

/// Bytes of the SCTP common header (RFC 9260 §3.1).
const HEADER_LEN: usize = 12;

fn protocol_error(py: Python<'_>, msg: String) -> PyErr {
    convert::new_error(py, "ProtocolError", msg)
}

fn sctp_checksum(packet: &[u8]) -> u32 {
    // RFC 9260 §6.8 / Appendix A: CRC32c over the packet with the checksum
    // field taken as zero.
    let c = ::crc32c::crc32c(&packet[..8]);
    let c = ::crc32c::crc32c_append(c, &[0; 4]);
    ::crc32c::crc32c_append(c, &packet[HEADER_LEN..])
}

fn header<'a>(py: Python<'_>, data: &'a [u8]) -> PyResult<&'a [u8]> {
    if data.len() < HEADER_LEN {
        return Err(protocol_error(
            py,
            format!(
                "packet of {} bytes is shorter than the 12-byte common header",
                data.len()
            ),
        ));
    }
    Ok(data)
}

/// CRC32c (Castagnoli) of `data`.
#[pyfunction]
pub fn crc32c(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<u32> {
    let data = convert::payload(data)?;
    Ok(py.allow_threads(|| ::crc32c::crc32c(&data)))
}

/// The checksum an SCTP packet must carry, as read from its checksum field
/// in network byte order (RFC 9260 Appendix A stores the CRC32c least
/// significant byte first).
#[pyfunction]
pub fn checksum(py: Python<'_>, packet: &Bound<'_, PyAny>) -> PyResult<u32> {
    let data = convert::payload(packet)?;
    let data = header(py, &data)?;
    Ok(u32::from_be_bytes(sctp_checksum(data).to_le_bytes()))
}

/// Whether the packet's checksum field is right.
#[pyfunction]
pub fn verify_checksum(py: Python<'_>, packet: &Bound<'_, PyAny>) -> PyResult<bool> {
    let data = convert::payload(packet)?;
    let data = header(py, &data)?;
    Ok(data[8..12] == sctp_checksum(data).to_le_bytes())
}

/// The packet with its checksum field set right.
#[pyfunction]
pub fn fix_checksum<'py>(
    py: Python<'py>,
    packet: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let data = convert::payload(packet)?;
    let data = header(py, &data)?;
    let mut out = data.to_vec();
    out[8..12].copy_from_slice(&sctp_checksum(data).to_le_bytes());
    Ok(PyBytes::new(py, &out))
}

/// A pcap capture of `records`: an iterable of `(timestamp, ip_packet)`
/// (timestamp in float seconds). `ethernet` selects LINKTYPE_ETHERNET
/// instead of LINKTYPE_RAW.
#[pyfunction]
#[pyo3(signature = (records, ethernet=false))]
pub fn pcap_write<'py>(
    py: Python<'py>,
    records: &Bound<'py, PyAny>,
    ethernet: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut w = PcapWriter::with_link_type(if ethernet {
        LinkType::Ethernet
    } else {
        LinkType::Raw
    });
    for r in records.try_iter()? {
        let (ts, data): (f64, Bound<'py, PyAny>) = r?.extract()?;
        let data = convert::payload(&data)?;
        w.write_packet(instant(ts)?, &data)
            .map_err(|e| protocol_error(py, e.to_string()))?;
    }
    Ok(PyBytes::new(py, w.bytes()))
}

/// The records of a pcap capture as `[(timestamp, ip_packet), ...]`, with
/// any Ethernet header removed (the data is the IP packet).
#[pyfunction]
pub fn pcap_read<'py>(
    py: Python<'py>,
    capture: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let data = convert::payload(capture)?;
    let reader = PcapReader::new(&data).map_err(|e| protocol_error(py, e.to_string()))?;
    let link = reader
        .link_type()
        .map_err(|e| protocol_error(py, e.to_string()))?;
    let out = PyList::empty(py);
    for r in reader {
        let r = r.map_err(|e| protocol_error(py, e.to_string()))?;
        let payload =
            core_pcap::link_payload(link, r.data).map_err(|e| protocol_error(py, e.to_string()))?;
        out.append((seconds(r.timestamp), PyBytes::new(py, payload)))?;
    }
    Ok(out)
}

/// Wraps an SCTP packet in IP + UDP (RFC 6951) from `src` to `dst`.
#[pyfunction]
pub fn encapsulate_udp<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    dst: &Bound<'py, PyAny>,
    sctp: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let data = convert::payload(sctp)?;
    let ip = core_pcap::encapsulate_udp(socket_addr(src)?, socket_addr(dst)?, &data)
        .map_err(|e| protocol_error(py, e.to_string()))?;
    Ok(PyBytes::new(py, &ip))
}

/// Takes the UDP payload out of an IP packet: `(src, dst, payload)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn decapsulate_udp<'py>(
    py: Python<'py>,
    ip_packet: &Bound<'py, PyAny>,
) -> PyResult<(
    Bound<'py, pyo3::types::PyTuple>,
    Bound<'py, pyo3::types::PyTuple>,
    Bound<'py, PyBytes>,
)> {
    let data = convert::payload(ip_packet)?;
    let d = core_pcap::decapsulate_udp(&data).map_err(|e| protocol_error(py, e.to_string()))?;
    Ok((
        addr_tuple(py, d.src)?,
        addr_tuple(py, d.dst)?,
        PyBytes::new(py, d.payload),
    ))
}
