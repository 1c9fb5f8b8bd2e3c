//! Conversions between Python values and the core's types, and the mapping
//! of the core's errors to the Python exception hierarchy
//! (`anysctp.exceptions`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anysctp::{AssociationConfig, AuthConfig, Error, HmacAlgorithm, Instant};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyTuple, PyType};

/// Float seconds (any origin) to the core's microsecond instant.
pub fn instant(now: f64) -> PyResult<Instant> {
    if !now.is_finite() || now < 0.0 {
        return Err(PyValueError::new_err(format!(
            "time must be a finite, non-negative number of seconds (e.g. time.monotonic()), got {now}"
        )));
    }
    Ok(Instant::from_micros((now * 1e6).round() as u64))
}

/// The core's instant to float seconds.
pub fn seconds(t: Instant) -> f64 {
    t.as_micros() as f64 / 1e6
}

/// Float seconds to a duration.
pub fn duration(name: &str, secs: f64) -> PyResult<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return Err(config_error(format!(
            "{name} must be a finite, non-negative number of seconds, got {secs}"
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A Python `(host, port)` (or IPv6 `(host, port, flowinfo, scope_id)`)
/// tuple whose host is an IP address literal.
pub fn socket_addr(obj: &Bound<'_, PyAny>) -> PyResult<SocketAddr> {
    let tuple = obj.downcast::<PyTuple>().map_err(|_| {
        PyTypeError::new_err(format!(
            "an address must be a (host, port) tuple, not {}",
            type_name(obj)
        ))
    })?;
    if tuple.len() != 2 && tuple.len() != 4 {
        return Err(PyTypeError::new_err(
            "an address must be a (host, port) tuple (or an IPv6 4-tuple)",
        ));
    }
    let host: String = tuple.get_item(0)?.extract().map_err(|_| {
        PyTypeError::new_err("the host of an address must be a str holding an IP address")
    })?;
    let port: u16 = tuple
        .get_item(1)?
        .extract()
        .map_err(|_| PyValueError::new_err("the port of an address must be an int in 0..=65535"))?;
    let ip: IpAddr = host.parse().map_err(|_| {
        PyValueError::new_err(format!(
            "{host:?} is not an IP address: resolve host names first (socket.getaddrinfo)"
        ))
    })?;
    Ok(SocketAddr::new(ip, port))
}

/// A socket address as a Python `(host, port)` tuple.
pub fn addr_tuple<'py>(py: Python<'py>, addr: SocketAddr) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        [
            addr.ip().to_string().into_pyobject(py)?.into_any(),
            addr.port().into_pyobject(py)?.into_any(),
        ],
    )
}

/// The bytes of a payload given as `bytes`, `bytearray` or `memoryview`
/// (one copy into the core's buffer).
pub fn payload(obj: &Bound<'_, PyAny>) -> PyResult<bytes::Bytes> {
    if let Ok(b) = obj.downcast::<PyBytes>() {
        return Ok(bytes::Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(b) = obj.downcast::<PyByteArray>() {
        return Ok(bytes::Bytes::from(b.to_vec()));
    }
    // The buffer protocol is not in the stable ABI before Python 3.11, so a
    // memoryview is read through `tobytes()`.
    if obj.downcast::<PyMemoryView>().is_ok() {
        let b = obj.call_method0("tobytes")?;
        let b = b.downcast::<PyBytes>()?;
        return Ok(bytes::Bytes::copy_from_slice(b.as_bytes()));
    }
    Err(PyTypeError::new_err(format!(
        "data must be bytes, bytearray or memoryview, not {}",
        type_name(obj)
    )))
}

/// The Python type name of `obj`, for error messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn exception_type<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    static MODULE: GILOnceCell<Py<PyModule>> = GILOnceCell::new();
    let module = MODULE.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("anysctp.exceptions")?.unbind())
    })?;
    Ok(module.bind(py).getattr(name)?.downcast_into::<PyType>()?)
}

/// A Python exception of class `anysctp.exceptions.<name>` with `msg`.
pub fn new_error(py: Python<'_>, name: &str, msg: String) -> PyErr {
    match exception_type(py, name) {
        Ok(ty) => PyErr::from_type(ty, msg),
        Err(e) => e,
    }
}

/// A `ConfigError`.
pub fn config_error(msg: String) -> PyErr {
    Python::with_gil(|py| new_error(py, "ConfigError", msg))
}

/// Maps a core error to the Python exception whose message says what to change.
pub fn error(py: Python<'_>, e: Error) -> PyErr {
    let name = match &e {
        Error::InvalidConfig(_) => "ConfigError",
        Error::NoSuchAssociation => "AssociationClosedError",
        Error::InvalidState { .. } => "InvalidStateError",
        Error::InvalidStream { .. } => "InvalidStreamError",
        Error::MessageTooLarge { .. } => "MessageTooLargeError",
        Error::EmptyMessage => "EmptyMessageError",
        Error::WouldBlock { .. } => "BufferFullError",
        Error::TooManyAssociations => "TooManyAssociationsError",
        Error::InvalidAddress(_) => "AddressError",
        Error::ReconfigUnavailable(_) => "ReconfigUnavailableError",
        Error::ReconfigInProgress => "ReconfigInProgressError",
        Error::InvalidReconfig(_) => "InvalidReconfigError",
        Error::Auth(_) => "AuthError",
        _ => "Error",
    };
    new_error(py, name, e.to_string())
}

/// An IP address given as a `str` literal.
pub fn ip_addr(obj: &Bound<'_, PyAny>) -> PyResult<IpAddr> {
    let text: String = obj.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "an IP address must be a str such as \"10.0.0.1\", not {}",
            type_name(obj)
        ))
    })?;
    text.parse()
        .map_err(|_| PyValueError::new_err(format!("{text:?} is not an IP address")))
}

/// Reads `AssociationConfig.auth`: None, or an object with `chunks` (a
/// sequence of chunk type ints) and `hmac_algorithms` (a sequence of
/// "sha1" / "sha256").
fn auth_config(obj: &Bound<'_, PyAny>) -> PyResult<Option<AuthConfig>> {
    if obj.is_none() {
        return Ok(None);
    }
    let chunks: Vec<u8> = obj
        .getattr("chunks")
        .map_err(|_| config_error("auth must be None or an anysctp.AuthConfig".into()))?
        .extract()
        .map_err(|_| {
            config_error("auth.chunks must be a sequence of chunk type ints in 0..=255".into())
        })?;
    let names: Vec<String> = obj.getattr("hmac_algorithms")?.extract().map_err(|_| {
        config_error("auth.hmac_algorithms must be a sequence of \"sha1\" / \"sha256\"".into())
    })?;
    let hmac_algorithms = names
        .iter()
        .map(|n| match n.as_str() {
            "sha1" => Ok(HmacAlgorithm::Sha1),
            "sha256" => Ok(HmacAlgorithm::Sha256),
            other => Err(config_error(format!(
                "auth.hmac_algorithms: unknown algorithm {other:?} (use \"sha1\" or \"sha256\")"
            ))),
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Some(AuthConfig {
        chunks,
        hmac_algorithms,
    }))
}

/// Reads the attributes of a Python `anysctp.AssociationConfig` (or any
/// object with the same attributes) into the core's config.
pub fn association_config(obj: &Bound<'_, PyAny>) -> PyResult<AssociationConfig> {
    let get = |name: &str| obj.getattr(name);
    let num = |name: &str| -> PyResult<f64> {
        get(name)?
            .extract::<f64>()
            .map_err(|_| config_error(format!("{name} must be a number of seconds")))
    };
    let int = |name: &str| -> PyResult<u64> {
        get(name)?
            .extract::<u64>()
            .map_err(|_| config_error(format!("{name} must be a non-negative int")))
    };
    let narrow = |name: &str, max: u64| -> PyResult<u64> {
        let v = int(name)?;
        if v > max {
            return Err(config_error(format!(
                "{name} must be at most {max}, got {v}"
            )));
        }
        Ok(v)
    };
    let opt_dur = |name: &str| -> PyResult<Option<Duration>> {
        let v = get(name)?;
        if v.is_none() {
            Ok(None)
        } else {
            let secs = v
                .extract::<f64>()
                .map_err(|_| config_error(format!("{name} must be seconds or None")))?;
            Ok(Some(duration(name, secs)?))
        }
    };
    let flag = |name: &str| -> PyResult<bool> { get(name)?.is_truthy() };
    let opt_u32 = |name: &str| -> PyResult<Option<u32>> {
        if get(name)?.is_none() {
            Ok(None)
        } else {
            Ok(Some(narrow(name, u32::MAX.into())? as u32))
        }
    };
    #[allow(clippy::needless_update)] // keeps compiling when the core adds settings
    let cfg = AssociationConfig {
        outbound_streams: narrow("outbound_streams", 65535)? as u16,
        max_inbound_streams: narrow("max_inbound_streams", 65535)? as u16,
        rto_initial: duration("rto_initial", num("rto_initial")?)?,
        rto_min: duration("rto_min", num("rto_min")?)?,
        rto_max: duration("rto_max", num("rto_max")?)?,
        max_init_retransmits: narrow("max_init_retransmits", u32::MAX.into())? as u32,
        max_association_retransmits: narrow("max_association_retransmits", u32::MAX.into())? as u32,
        max_path_retransmits: narrow("max_path_retransmits", u32::MAX.into())? as u32,
        heartbeat_interval: opt_dur("heartbeat_interval")?,
        sack_delay: duration("sack_delay", num("sack_delay")?)?,
        sack_frequency: narrow("sack_frequency", u32::MAX.into())? as u32,
        mtu: narrow("mtu", 65_507)? as usize,
        max_message_size: narrow("max_message_size", u32::MAX.into())? as usize,
        receive_buffer: narrow("receive_buffer", u32::MAX.into())? as u32,
        send_buffer: narrow("send_buffer", u32::MAX.into())? as usize,
        nodelay: flag("nodelay")?,
        max_burst: narrow("max_burst", u32::MAX.into())? as u32,
        cookie_lifetime: duration("cookie_lifetime", num("cookie_lifetime")?)?,
        i_data: flag("i_data")?,
        partial_reliability: flag("partial_reliability")?,
        reconfig: flag("reconfig")?,
        asconf: flag("asconf")?,
        auth: auth_config(&get("auth")?)?,
        zero_checksum: flag("zero_checksum")?,
        adaptation_indication: opt_u32("adaptation_indication")?,
        autoclose: opt_dur("autoclose")?,
        max_init_timeout: opt_dur("max_init_timeout")?,
        pf_max_retrans: opt_u32("pf_max_retrans")?,
        ..AssociationConfig::default()
    };
    cfg.validate().map_err(|e| error(obj.py(), e))?;
    Ok(cfg)
}
