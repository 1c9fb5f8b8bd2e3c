//! Python bindings of anysctp: the native module `anysctp._anysctp`.
//!
//! A thin shell: it converts types and maps errors and owns no protocol
//! logic. The Python package (`python/anysctp/`) builds the public API on
//! top: typed events, the `Association` handle, the `Link` test helper, the
//! asyncio and socket-like layers.
//!
//! Time crosses the boundary as float seconds (any origin, usually
//! `time.monotonic()`) and is converted to the core's microsecond
//! [`anysctp::Instant`].

#![forbid(unsafe_code)]

mod convert;
mod endpoint;
mod logging;
mod pcap;
mod wire;

use pyo3::prelude::*;

#[pymodule]
fn _anysctp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<endpoint::Endpoint>()?;
    m.add_function(wrap_pyfunction!(pcap::crc32c, m)?)?;
    m.add_function(wrap_pyfunction!(pcap::checksum, m)?)?;
    m.add_function(wrap_pyfunction!(pcap::verify_checksum, m)?)?;
    m.add_function(wrap_pyfunction!(pcap::fix_checksum, m)?)?;
    m.add_function(wrap_pyfunction!(pcap::pcap_write, m)?)?;
    m.add_function(wrap_pyfunction!(pcap::pcap_read, m)?)?;
    m.add_function(wrap_pyfunction!(pcap::encapsulate_udp, m)?)?;
    m.add_function(wrap_pyfunction!(pcap::decapsulate_udp, m)?)?;
    m.add_function(wrap_pyfunction!(logging::set_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(wire::check_packet_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(endpoint::pump, m)?)?;
    m.add("SCTP_UDP_PORT", anysctp::pcap::SCTP_UDP_PORT)?;
    Ok(())
}
