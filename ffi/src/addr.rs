//! Transport addresses (IP address + UDP port) in a portable C struct, and
//! conversions to and from text and the system's `struct sockaddr`.

use std::ffi::{c_char, c_void, CStr};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::error::{anysctp_result, guard, write_c_string, Failure};

/// `anysctp_sockaddr.family` of an IPv4 address.
pub const ANYSCTP_AF_INET: u8 = 4;
/// `anysctp_sockaddr.family` of an IPv6 address.
pub const ANYSCTP_AF_INET6: u8 = 6;

/// A transport address: with SCTP over UDP (RFC 6951) the peer's IP address
/// and UDP port. The same layout on every platform; convert with
/// `anysctp_sockaddr_from_sys` / `anysctp_sockaddr_to_sys`, or from text with
/// `anysctp_sockaddr_parse`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct anysctp_sockaddr {
    /// `ANYSCTP_AF_INET` or `ANYSCTP_AF_INET6`.
    pub family: u8,
    /// The port, in host byte order.
    pub port: u16,
    /// The address in network byte order: IPv4 uses the first 4 bytes.
    pub addr: [u8; 16],
    /// IPv6 flow information (0 for IPv4).
    pub flowinfo: u32,
    /// IPv6 scope id (0 for IPv4).
    pub scope_id: u32,
}

impl From<SocketAddr> for anysctp_sockaddr {
    fn from(a: SocketAddr) -> Self {
        let mut out = anysctp_sockaddr {
            port: a.port(),
            ..Default::default()
        };
        match a {
            SocketAddr::V4(v4) => {
                out.family = ANYSCTP_AF_INET;
                out.addr[..4].copy_from_slice(&v4.ip().octets());
            }
            SocketAddr::V6(v6) => {
                out.family = ANYSCTP_AF_INET6;
                out.addr = v6.ip().octets();
                out.flowinfo = v6.flowinfo();
                out.scope_id = v6.scope_id();
            }
        }
        out
    }
}

impl anysctp_sockaddr {
    pub(crate) fn to_socket_addr(self) -> Result<SocketAddr, Failure> {
        match self.family {
            ANYSCTP_AF_INET => {
                let [a, b, c, d, ..] = self.addr;
                Ok(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::new(a, b, c, d),
                    self.port,
                )))
            }
            ANYSCTP_AF_INET6 => Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(self.addr),
                self.port,
                self.flowinfo,
                self.scope_id,
            ))),
            f => Err(Failure {
                code: anysctp_result::ANYSCTP_ERR_INVALID_ADDRESS,
                message: format!(
                    "address family {f} is neither ANYSCTP_AF_INET (4) nor ANYSCTP_AF_INET6 (6)"
                ),
            }),
        }
    }
}

/// Reads a C address argument.
pub(crate) fn read_addr(p: *const anysctp_sockaddr, name: &str) -> Result<SocketAddr, Failure> {
    if p.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL, and the caller promised it points to an
    // anysctp_sockaddr; the struct is plain data valid for any bit pattern.
    unsafe { *p }.to_socket_addr()
}

/// Parses `"192.0.2.1:9899"` or `"[2001:db8::1]:9899"` (NUL-terminated)
/// into `*out`.
#[no_mangle]
pub extern "C" fn anysctp_sockaddr_parse(
    text: *const c_char,
    out: *mut anysctp_sockaddr,
) -> anysctp_result {
    guard(|| {
        if text.is_null() {
            return Err(Failure::null("text"));
        }
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        // SAFETY: non-NULL; the caller promised a NUL-terminated string.
        let s = unsafe { CStr::from_ptr(text) };
        let parsed: SocketAddr = s
            .to_str()
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Failure {
                code: anysctp_result::ANYSCTP_ERR_INVALID_ADDRESS,
                message: format!(
                    "cannot parse {:?} as IP:port (e.g. 127.0.0.1:9899 or [::1]:9899)",
                    s.to_string_lossy()
                ),
            })?;
        // SAFETY: non-NULL, and the caller promised it is writable.
        unsafe { out.write(parsed.into()) };
        Ok(anysctp_result::ANYSCTP_OK)
    })
}

/// Writes `addr` as text (`"192.0.2.1:9899"`, `"[2001:db8::1]:9899"`) into
/// `buf` (`len` bytes, NUL-terminated, cut to fit). `*written` (may be
/// NULL) gets the length of the whole text without the NUL; 64 bytes always
/// suffice. Returns `ANYSCTP_ERR_BUFFER_TOO_SMALL` when the text was cut.
#[no_mangle]
pub extern "C" fn anysctp_sockaddr_format(
    addr: *const anysctp_sockaddr,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> anysctp_result {
    guard(|| {
        let a = read_addr(addr, "addr")?;
        if buf.is_null() || len == 0 {
            return Err(Failure::invalid("buf must not be NULL and len must be > 0"));
        }
        let text = a.to_string();
        let n = write_c_string(&text, buf, len);
        if !written.is_null() {
            // SAFETY: non-NULL, and the caller promised it is writable.
            unsafe { written.write(n) };
        }
        if n >= len {
            return Err(Failure {
                code: anysctp_result::ANYSCTP_ERR_BUFFER_TOO_SMALL,
                message: format!("address text needs {} bytes, buffer has {len}", n + 1),
            });
        }
        Ok(anysctp_result::ANYSCTP_OK)
    })
}

/// Converts a system `struct sockaddr_in` / `struct sockaddr_in6` of `len`
/// bytes (as given by `recvfrom`) into `*out`. POSIX systems only.
#[cfg(unix)]
#[no_mangle]
pub extern "C" fn anysctp_sockaddr_from_sys(
    sa: *const c_void,
    len: usize,
    out: *mut anysctp_sockaddr,
) -> anysctp_result {
    guard(|| {
        if sa.is_null() {
            return Err(Failure::null("sa"));
        }
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        let bad_len = |need: usize| Failure::invalid(format!("len {len} is below {need}"));
        if len < std::mem::size_of::<libc::sa_family_t>() {
            return Err(bad_len(std::mem::size_of::<libc::sa_family_t>()));
        }
        // SAFETY: `sa` is non-NULL and holds at least `len` readable bytes;
        // every read below is unaligned and within the checked length.
        let family = unsafe {
            std::ptr::read_unaligned(
                sa.cast::<u8>()
                    .add(std::mem::offset_of!(libc::sockaddr, sa_family))
                    .cast::<libc::sa_family_t>(),
            )
        };
        let addr = match i32::from(family) {
            libc::AF_INET => {
                if len < std::mem::size_of::<libc::sockaddr_in>() {
                    return Err(bad_len(std::mem::size_of::<libc::sockaddr_in>()));
                }
                // SAFETY: length checked above.
                let s = unsafe { std::ptr::read_unaligned(sa.cast::<libc::sockaddr_in>()) };
                SocketAddr::new(
                    IpAddr::V4(Ipv4Addr::from(u32::from_be(s.sin_addr.s_addr))),
                    u16::from_be(s.sin_port),
                )
            }
            libc::AF_INET6 => {
                if len < std::mem::size_of::<libc::sockaddr_in6>() {
                    return Err(bad_len(std::mem::size_of::<libc::sockaddr_in6>()));
                }
                // SAFETY: length checked above.
                let s = unsafe { std::ptr::read_unaligned(sa.cast::<libc::sockaddr_in6>()) };
                SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(s.sin6_addr.s6_addr),
                    u16::from_be(s.sin6_port),
                    u32::from_be(s.sin6_flowinfo),
                    s.sin6_scope_id,
                ))
            }
            f => {
                return Err(Failure {
                    code: anysctp_result::ANYSCTP_ERR_INVALID_ADDRESS,
                    message: format!("address family {f} is neither AF_INET nor AF_INET6"),
                })
            }
        };
        // SAFETY: non-NULL, and the caller promised it is writable.
        unsafe { out.write(addr.into()) };
        Ok(anysctp_result::ANYSCTP_OK)
    })
}

/// Converts `*addr` into a system `struct sockaddr_in` / `sockaddr_in6`
/// written to `sa` (`cap` bytes; a `struct sockaddr_storage` always fits).
/// `*len` gets the size written, ready for `sendto`. POSIX systems only.
#[cfg(unix)]
#[no_mangle]
pub extern "C" fn anysctp_sockaddr_to_sys(
    addr: *const anysctp_sockaddr,
    sa: *mut c_void,
    cap: usize,
    len: *mut usize,
) -> anysctp_result {
    guard(|| {
        let a = read_addr(addr, "addr")?;
        if sa.is_null() {
            return Err(Failure::null("sa"));
        }
        if len.is_null() {
            return Err(Failure::null("len"));
        }
        let need = match a {
            SocketAddr::V4(_) => std::mem::size_of::<libc::sockaddr_in>(),
            SocketAddr::V6(_) => std::mem::size_of::<libc::sockaddr_in6>(),
        };
        if cap < need {
            return Err(Failure {
                code: anysctp_result::ANYSCTP_ERR_BUFFER_TOO_SMALL,
                message: format!("the sockaddr needs {need} bytes, cap is {cap}"),
            });
        }
        match a {
            SocketAddr::V4(v4) => {
                // SAFETY: all-zero is a valid sockaddr_in.
                let mut s: libc::sockaddr_in = unsafe { std::mem::zeroed() };
                s.sin_family = libc::AF_INET as libc::sa_family_t;
                s.sin_port = v4.port().to_be();
                s.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
                // SAFETY: `sa` is non-NULL with `cap >= need` writable bytes.
                unsafe { std::ptr::write_unaligned(sa.cast::<libc::sockaddr_in>(), s) };
            }
            SocketAddr::V6(v6) => {
                // SAFETY: all-zero is a valid sockaddr_in6.
                let mut s: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
                s.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                s.sin6_port = v6.port().to_be();
                s.sin6_flowinfo = v6.flowinfo().to_be();
                s.sin6_addr.s6_addr = v6.ip().octets();
                s.sin6_scope_id = v6.scope_id();
                // SAFETY: `sa` is non-NULL with `cap >= need` writable bytes.
                unsafe { std::ptr::write_unaligned(sa.cast::<libc::sockaddr_in6>(), s) };
            }
        }
        // SAFETY: non-NULL, and the caller promised it is writable.
        unsafe { len.write(need) };
        Ok(anysctp_result::ANYSCTP_OK)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_v4_and_v6() {
        for text in ["127.0.0.1:9899", "[2001:db8::1]:5000"] {
            let c = std::ffi::CString::new(text).unwrap();
            let mut a = anysctp_sockaddr::default();
            assert_eq!(
                anysctp_sockaddr_parse(c.as_ptr(), &mut a),
                anysctp_result::ANYSCTP_OK
            );
            let mut buf = [0 as c_char; 64];
            let mut n = 0;
            assert_eq!(
                anysctp_sockaddr_format(&a, buf.as_mut_ptr(), buf.len(), &mut n),
                anysctp_result::ANYSCTP_OK
            );
            // SAFETY: NUL-terminated by anysctp_sockaddr_format.
            let back = unsafe { CStr::from_ptr(buf.as_ptr()) };
            assert_eq!(back.to_str().unwrap(), text);
            assert_eq!(n, text.len());
        }
    }

    #[test]
    fn bad_family_and_bad_text_are_address_errors() {
        let a = anysctp_sockaddr {
            family: 2,
            ..Default::default()
        };
        assert_eq!(
            a.to_socket_addr().unwrap_err().code,
            anysctp_result::ANYSCTP_ERR_INVALID_ADDRESS
        );
        let mut out = anysctp_sockaddr::default();
        assert_eq!(
            anysctp_sockaddr_parse(c"localhost".as_ptr(), &mut out),
            anysctp_result::ANYSCTP_ERR_INVALID_ADDRESS
        );
    }

    #[cfg(unix)]
    #[test]
    fn system_sockaddr_round_trip() {
        for a in ["10.1.2.3:77", "[fe80::1%3]:9899"] {
            let sa: SocketAddr = a.parse().unwrap();
            let ours = anysctp_sockaddr::from(sa);
            // SAFETY: all-zero is a valid sockaddr_storage.
            let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            let mut len = 0usize;
            assert_eq!(
                anysctp_sockaddr_to_sys(
                    &ours,
                    (&mut storage as *mut libc::sockaddr_storage).cast(),
                    std::mem::size_of_val(&storage),
                    &mut len
                ),
                anysctp_result::ANYSCTP_OK
            );
            let mut back = anysctp_sockaddr::default();
            assert_eq!(
                anysctp_sockaddr_from_sys(
                    (&storage as *const libc::sockaddr_storage).cast(),
                    len,
                    &mut back
                ),
                anysctp_result::ANYSCTP_OK
            );
            assert_eq!(back.to_socket_addr().unwrap(), sa);
            assert_eq!(
                anysctp_sockaddr_from_sys(
                    (&storage as *const libc::sockaddr_storage).cast(),
                    len - 1,
                    &mut back
                ),
                anysctp_result::ANYSCTP_ERR_INVALID_ARGUMENT
            );
        }
    }
}
