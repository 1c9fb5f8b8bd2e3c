//! Result codes, the per-thread last-error text, and the guard that keeps
//! panics and bad pointers from crossing the boundary.

use std::cell::RefCell;
use std::ffi::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a call did. Every `anysctp_` function that can fail returns one.
///
/// `ANYSCTP_OK` and `ANYSCTP_NONE` are successes; every other value is
/// negative and means the call changed nothing (unless its documentation
/// says otherwise). After a failure `anysctp_last_error()` holds a
/// sentence saying what to change.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anysctp_result {
    /// Success.
    ANYSCTP_OK = 0,
    /// Success, but there was nothing to return (no datagram, event or
    /// deadline right now).
    ANYSCTP_NONE = 1,
    /// A NULL pointer, a bad length or an out-of-range value was given.
    ANYSCTP_ERR_INVALID_ARGUMENT = -1,
    /// A bug inside the library was caught before it reached the caller.
    /// A handle that saw it refuses every later call (except `_free`) with
    /// this code.
    ANYSCTP_ERR_PANIC = -2,
    /// A configuration value is out of range.
    ANYSCTP_ERR_INVALID_CONFIG = -3,
    /// The association id names no association (it closed, or never
    /// existed).
    ANYSCTP_ERR_NO_SUCH_ASSOCIATION = -4,
    /// The association cannot take this command in its current state.
    ANYSCTP_ERR_INVALID_STATE = -5,
    /// The stream id is not below the negotiated number of outbound streams.
    ANYSCTP_ERR_INVALID_STREAM = -6,
    /// The message exceeds the association's maximum message size.
    ANYSCTP_ERR_MESSAGE_TOO_LARGE = -7,
    /// The message has no bytes; SCTP cannot carry empty messages.
    ANYSCTP_ERR_EMPTY_MESSAGE = -8,
    /// The send buffer is full: wait for `ANYSCTP_EVENT_BUFFERED_AMOUNT_LOW`.
    ANYSCTP_ERR_WOULD_BLOCK = -9,
    /// The endpoint holds its maximum number of associations.
    ANYSCTP_ERR_TOO_MANY_ASSOCIATIONS = -10,
    /// An address is unusable (wrong family, unparsable text, ...).
    ANYSCTP_ERR_INVALID_ADDRESS = -11,
    /// A caller buffer is too small; the call tells how much is needed.
    ANYSCTP_ERR_BUFFER_TOO_SMALL = -12,
    /// An error of a kind this version of the header does not know.
    ANYSCTP_ERR_OTHER = -13,
    /// Stream re-configuration (RFC 6525) was not negotiated on this
    /// association.
    ANYSCTP_ERR_RECONFIG_UNAVAILABLE = -14,
    /// A stream re-configuration request is still unanswered: wait for its
    /// `ANYSCTP_EVENT_STREAMS_RESET` / `_ADDED`, then retry.
    ANYSCTP_ERR_RECONFIG_IN_PROGRESS = -15,
    /// A stream re-configuration request is malformed (e.g. no streams).
    ANYSCTP_ERR_INVALID_RECONFIG = -16,
    /// An SCTP-AUTH (RFC 4895) key command cannot be done as asked.
    ANYSCTP_ERR_AUTH = -17,
}

use anysctp_result::*;

/// A failure on its way out: the code, and the text `anysctp_last_error`
/// will give.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: anysctp_result,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: ANYSCTP_ERR_INVALID_ARGUMENT,
            message: message.into(),
        }
    }
    pub(crate) fn null(name: &str) -> Self {
        Self::invalid(format!("{name} must not be NULL"))
    }
}

impl From<sctp::Error> for Failure {
    fn from(e: sctp::Error) -> Self {
        use sctp::Error as E;
        let code = match e {
            E::InvalidConfig(_) => ANYSCTP_ERR_INVALID_CONFIG,
            E::NoSuchAssociation => ANYSCTP_ERR_NO_SUCH_ASSOCIATION,
            E::InvalidState { .. } => ANYSCTP_ERR_INVALID_STATE,
            E::InvalidStream { .. } => ANYSCTP_ERR_INVALID_STREAM,
            E::MessageTooLarge { .. } => ANYSCTP_ERR_MESSAGE_TOO_LARGE,
            E::EmptyMessage => ANYSCTP_ERR_EMPTY_MESSAGE,
            E::WouldBlock { .. } => ANYSCTP_ERR_WOULD_BLOCK,
            E::TooManyAssociations => ANYSCTP_ERR_TOO_MANY_ASSOCIATIONS,
            E::InvalidAddress(_) => ANYSCTP_ERR_INVALID_ADDRESS,
            E::ReconfigUnavailable(_) => ANYSCTP_ERR_RECONFIG_UNAVAILABLE,
            E::ReconfigInProgress => ANYSCTP_ERR_RECONFIG_IN_PROGRESS,
            E::InvalidReconfig(_) => ANYSCTP_ERR_INVALID_RECONFIG,
            E::Auth(_) => ANYSCTP_ERR_AUTH,
            _ => ANYSCTP_ERR_OTHER,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_last_error(message: String) {
    LAST_ERROR.with(|l| *l.borrow_mut() = message);
}

/// Runs `f` so that neither a panic nor a failure escapes as anything but a
/// result code; failures and panics set the thread's last error.
pub(crate) fn guard(f: impl FnOnce() -> Result<anysctp_result, Failure>) -> anysctp_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(code)) => code,
        Ok(Err(failure)) => {
            set_last_error(failure.message);
            failure.code
        }
        Err(payload) => {
            set_last_error(format!("internal error (panic): {}", panic_text(&payload)));
            ANYSCTP_ERR_PANIC
        }
    }
}

pub(crate) fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// Copies `text` into a caller buffer as a NUL-terminated string, cut to
/// fit; returns the length of the whole text (without the NUL), like
/// `snprintf`.
pub(crate) fn write_c_string(text: &str, buf: *mut c_char, len: usize) -> usize {
    if !buf.is_null() && len > 0 {
        let n = text.len().min(len - 1);
        // SAFETY: the caller promised `buf` points to `len` writable bytes
        // (checked non-NULL and `len > 0` above); we write `n + 1 <= len`.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
    }
    text.len()
}

/// Copies the text of this thread's last failure into `buf` (at most `len`
/// bytes including the terminating NUL; cut to fit) and returns the length
/// of the whole text, without the NUL — like `snprintf`. `buf` may be NULL
/// when `len` is 0, to ask for the length. Returns 0 when no call on this
/// thread has failed yet.
///
/// The text is kept per thread and replaced by the next failing call on the
/// thread; successful calls leave it alone (like `errno`).
#[no_mangle]
pub extern "C" fn anysctp_last_error(buf: *mut c_char, len: usize) -> usize {
    catch_unwind(|| LAST_ERROR.with(|l| write_c_string(&l.borrow(), buf, len))).unwrap_or(0)
}

/// A short static, NUL-terminated description of a result code, e.g.
/// `"ANYSCTP_ERR_WOULD_BLOCK: send buffer full"`. Unknown codes give
/// `"unknown anysctp_result"`. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn anysctp_result_str(code: c_int) -> *const c_char {
    let s: &'static [u8] = match code {
        0 => b"ANYSCTP_OK: success\0",
        1 => b"ANYSCTP_NONE: nothing to return\0",
        -1 => b"ANYSCTP_ERR_INVALID_ARGUMENT: NULL pointer, bad length or out-of-range value\0",
        -2 => b"ANYSCTP_ERR_PANIC: internal error caught at the boundary\0",
        -3 => b"ANYSCTP_ERR_INVALID_CONFIG: configuration value out of range\0",
        -4 => b"ANYSCTP_ERR_NO_SUCH_ASSOCIATION: association closed or never existed\0",
        -5 => b"ANYSCTP_ERR_INVALID_STATE: not possible in the association's state\0",
        -6 => b"ANYSCTP_ERR_INVALID_STREAM: stream id not below the outbound streams\0",
        -7 => b"ANYSCTP_ERR_MESSAGE_TOO_LARGE: message exceeds the maximum message size\0",
        -8 => b"ANYSCTP_ERR_EMPTY_MESSAGE: SCTP messages need at least one byte\0",
        -9 => b"ANYSCTP_ERR_WOULD_BLOCK: send buffer full\0",
        -10 => b"ANYSCTP_ERR_TOO_MANY_ASSOCIATIONS: endpoint holds its maximum\0",
        -11 => b"ANYSCTP_ERR_INVALID_ADDRESS: unusable address\0",
        -12 => b"ANYSCTP_ERR_BUFFER_TOO_SMALL: caller buffer too small\0",
        -13 => b"ANYSCTP_ERR_OTHER: error unknown to this header version\0",
        -14 => b"ANYSCTP_ERR_RECONFIG_UNAVAILABLE: stream re-configuration not negotiated\0",
        -15 => b"ANYSCTP_ERR_RECONFIG_IN_PROGRESS: a re-configuration request is unanswered\0",
        -16 => b"ANYSCTP_ERR_INVALID_RECONFIG: malformed re-configuration request\0",
        -17 => b"ANYSCTP_ERR_AUTH: SCTP-AUTH key command refused\0",
        _ => b"unknown anysctp_result\0",
    };
    s.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last_error() -> String {
        let mut buf = [0 as c_char; 256];
        anysctp_last_error(buf.as_mut_ptr(), buf.len());
        // SAFETY: anysctp_last_error always NUL-terminates a non-empty buffer.
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn panics_become_a_code_and_a_message() {
        let r = guard(|| panic!("boom"));
        assert_eq!(r, ANYSCTP_ERR_PANIC);
        assert!(last_error().contains("boom"));
    }

    #[test]
    fn core_errors_map_to_codes_with_their_text() {
        let r = guard(|| Err(sctp::Error::EmptyMessage.into()));
        assert_eq!(r, ANYSCTP_ERR_EMPTY_MESSAGE);
        assert!(last_error().contains("empty message"));
    }

    #[test]
    fn last_error_truncates_and_reports_full_length() {
        set_last_error("0123456789".into());
        let mut buf = [0x55 as c_char; 4];
        assert_eq!(anysctp_last_error(buf.as_mut_ptr(), buf.len()), 10);
        assert_eq!(buf.map(|c| c as u8), *b"012\0");
        assert_eq!(anysctp_last_error(std::ptr::null_mut(), 0), 10);
    }

    #[test]
    fn every_code_has_its_own_text() {
        for code in -17..=1 {
            // SAFETY: anysctp_result_str returns a static NUL-terminated string.
            let s = unsafe { CStr::from_ptr(anysctp_result_str(code)) };
            assert!(!s.to_bytes().starts_with(b"unknown"), "code {code}");
        }
        // SAFETY: as above.
        let s = unsafe { CStr::from_ptr(anysctp_result_str(42)) };
        assert!(s.to_bytes().starts_with(b"unknown"));
    }
}
