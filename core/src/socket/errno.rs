//! errno-style errors of the socket facade (Linux numbering).

/// An error number as a C `errno`, with Linux's numeric values (`code()`),
/// so the C library and the Python socket API can hand it on unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(clippy::upper_case_acronyms)]
pub enum Errno {
    /// No such file or directory (used for an unknown association id).
    ENOENT,
    /// Bad file descriptor: the socket id names no open socket.
    EBADF,
    /// Resource temporarily unavailable: nothing to read, nothing to accept,
    /// or the send buffer is full. Wait for readiness and retry.
    EAGAIN,
    /// Out of memory.
    ENOMEM,
    /// Invalid argument.
    EINVAL,
    /// Broken pipe: the association is shut down for sending or gone.
    EPIPE,
    /// Destination address required.
    EDESTADDRREQ,
    /// Message too long.
    EMSGSIZE,
    /// Protocol not available: the option does not exist or cannot be set.
    ENOPROTOOPT,
    /// Operation not supported on this kind of socket.
    EOPNOTSUPP,
    /// Address family not supported.
    EAFNOSUPPORT,
    /// Address already in use.
    EADDRINUSE,
    /// Cannot assign requested address.
    EADDRNOTAVAIL,
    /// Software caused connection abort.
    ECONNABORTED,
    /// Connection reset by peer (the peer sent ABORT).
    ECONNRESET,
    /// No buffer space available.
    ENOBUFS,
    /// Transport endpoint is already connected.
    EISCONN,
    /// Transport endpoint is not connected.
    ENOTCONN,
    /// Cannot send after transport endpoint shutdown.
    ESHUTDOWN,
    /// Connection timed out.
    ETIMEDOUT,
    /// Connection refused.
    ECONNREFUSED,
    /// Operation already in progress.
    EALREADY,
    /// Operation now in progress (non-blocking connect started).
    EINPROGRESS,
}

impl Errno {
    /// The Linux `errno` value.
    pub fn code(self) -> i32 {
        match self {
            Self::ENOENT => 2,
            Self::EBADF => 9,
            Self::EAGAIN => 11,
            Self::ENOMEM => 12,
            Self::EINVAL => 22,
            Self::EPIPE => 32,
            Self::EDESTADDRREQ => 89,
            Self::EMSGSIZE => 90,
            Self::ENOPROTOOPT => 92,
            Self::EOPNOTSUPP => 95,
            Self::EAFNOSUPPORT => 97,
            Self::EADDRINUSE => 98,
            Self::EADDRNOTAVAIL => 99,
            Self::ECONNABORTED => 103,
            Self::ECONNRESET => 104,
            Self::ENOBUFS => 105,
            Self::EISCONN => 106,
            Self::ENOTCONN => 107,
            Self::ESHUTDOWN => 108,
            Self::ETIMEDOUT => 110,
            Self::ECONNREFUSED => 111,
            Self::EALREADY => 114,
            Self::EINPROGRESS => 115,
        }
    }

    /// The usual `strerror` text (glibc wording).
    pub fn strerror(self) -> &'static str {
        match self {
            Self::ENOENT => "No such file or directory",
            Self::EBADF => "Bad file descriptor",
            Self::EAGAIN => "Resource temporarily unavailable",
            Self::ENOMEM => "Cannot allocate memory",
            Self::EINVAL => "Invalid argument",
            Self::EPIPE => "Broken pipe",
            Self::EDESTADDRREQ => "Destination address required",
            Self::EMSGSIZE => "Message too long",
            Self::ENOPROTOOPT => "Protocol not available",
            Self::EOPNOTSUPP => "Operation not supported",
            Self::EAFNOSUPPORT => "Address family not supported by protocol",
            Self::EADDRINUSE => "Address already in use",
            Self::EADDRNOTAVAIL => "Cannot assign requested address",
            Self::ECONNABORTED => "Software caused connection abort",
            Self::ECONNRESET => "Connection reset by peer",
            Self::ENOBUFS => "No buffer space available",
            Self::EISCONN => "Transport endpoint is already connected",
            Self::ENOTCONN => "Transport endpoint is not connected",
            Self::ESHUTDOWN => "Cannot send after transport endpoint shutdown",
            Self::ETIMEDOUT => "Connection timed out",
            Self::ECONNREFUSED => "Connection refused",
            Self::EALREADY => "Operation already in progress",
            Self::EINPROGRESS => "Operation now in progress",
        }
    }

    /// The symbolic name, e.g. `"EAGAIN"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ENOENT => "ENOENT",
            Self::EBADF => "EBADF",
            Self::EAGAIN => "EAGAIN",
            Self::ENOMEM => "ENOMEM",
            Self::EINVAL => "EINVAL",
            Self::EPIPE => "EPIPE",
            Self::EDESTADDRREQ => "EDESTADDRREQ",
            Self::EMSGSIZE => "EMSGSIZE",
            Self::ENOPROTOOPT => "ENOPROTOOPT",
            Self::EOPNOTSUPP => "EOPNOTSUPP",
            Self::EAFNOSUPPORT => "EAFNOSUPPORT",
            Self::EADDRINUSE => "EADDRINUSE",
            Self::EADDRNOTAVAIL => "EADDRNOTAVAIL",
            Self::ECONNABORTED => "ECONNABORTED",
            Self::ECONNRESET => "ECONNRESET",
            Self::ENOBUFS => "ENOBUFS",
            Self::EISCONN => "EISCONN",
            Self::ENOTCONN => "ENOTCONN",
            Self::ESHUTDOWN => "ESHUTDOWN",
            Self::ETIMEDOUT => "ETIMEDOUT",
            Self::ECONNREFUSED => "ECONNREFUSED",
            Self::EALREADY => "EALREADY",
            Self::EINPROGRESS => "EINPROGRESS",
        }
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.strerror())
    }
}

impl std::error::Error for Errno {}

/// An error from a socket call: the errno plus a hint saying what to
/// change. `Display` renders `"<strerror>: <hint>"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketError {
    /// The errno.
    pub errno: Errno,
    /// What went wrong and what to do instead; empty when the errno says it
    /// all.
    pub hint: &'static str,
}

impl SocketError {
    /// An error with a hint.
    pub const fn new(errno: Errno, hint: &'static str) -> Self {
        Self { errno, hint }
    }
}

impl From<Errno> for SocketError {
    fn from(errno: Errno) -> Self {
        Self { errno, hint: "" }
    }
}

impl PartialEq<Errno> for SocketError {
    fn eq(&self, other: &Errno) -> bool {
        self.errno == *other
    }
}

impl core::fmt::Display for SocketError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.hint.is_empty() {
            write!(f, "{} ({})", self.errno.strerror(), self.errno.name())
        } else {
            write!(
                f,
                "{} ({}): {}",
                self.errno.strerror(),
                self.errno.name(),
                self.hint
            )
        }
    }
}

impl std::error::Error for SocketError {}

/// Maps an error of the core onto an errno with the core's message kept as
/// the hint where it is static.
pub(crate) fn from_core(err: &crate::Error) -> SocketError {
    use crate::Error as E;
    match err {
        E::InvalidConfig(msg) => SocketError::new(Errno::EINVAL, msg),
        E::NoSuchAssociation => {
            SocketError::new(Errno::EPIPE, "the association was closed or never existed")
        }
        E::InvalidState { hint, .. } => SocketError::new(Errno::EPIPE, hint),
        E::InvalidStream { .. } => SocketError::new(
            Errno::EINVAL,
            "stream id is not below the number of outbound streams negotiated",
        ),
        E::MessageTooLarge { .. } => SocketError::new(
            Errno::EMSGSIZE,
            "message exceeds the association's maximum message size",
        ),
        E::EmptyMessage => SocketError::new(
            Errno::EINVAL,
            "SCTP user messages need at least one byte (RFC 9260 §6.9)",
        ),
        E::WouldBlock { .. } => SocketError::new(
            Errno::EAGAIN,
            "send buffer full: wait until the socket is writable",
        ),
        E::TooManyAssociations => SocketError::new(
            Errno::ENOBUFS,
            "the endpoint holds its maximum number of associations",
        ),
        E::InvalidAddress(msg) => SocketError::new(Errno::EINVAL, msg),
        E::Auth(msg) => SocketError::new(Errno::EINVAL, msg),
        #[allow(unreachable_patterns)]
        _ => SocketError::new(Errno::EINVAL, "rejected by the association"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_values_and_text() {
        assert_eq!(Errno::EAGAIN.code(), 11);
        assert_eq!(Errno::EINPROGRESS.code(), 115);
        assert_eq!(Errno::ECONNREFUSED.code(), 111);
        let e = SocketError::new(Errno::EINVAL, "rto_min must not exceed rto_max");
        assert_eq!(
            e.to_string(),
            "Invalid argument (EINVAL): rto_min must not exceed rto_max"
        );
        assert_eq!(
            SocketError::from(Errno::EAGAIN).to_string(),
            "Resource temporarily unavailable (EAGAIN)"
        );
    }

    #[test]
    fn core_errors_map_to_errno() {
        let e = from_core(&crate::Error::WouldBlock {
            buffered: 1,
            capacity: 1,
        });
        assert_eq!(e.errno, Errno::EAGAIN);
        let e = from_core(&crate::Error::MessageTooLarge { size: 2, max: 1 });
        assert_eq!(e.errno, Errno::EMSGSIZE);
    }
}
