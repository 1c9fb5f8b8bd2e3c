//! # libanysctp — the C ABI of anysctp
//!
//! A thin shell over the sans-IO core (crate `anysctp`): opaque handles,
//! `anysctp_`-prefixed functions returning [`anysctp_result`] codes, a
//! per-thread [`anysctp_last_error`], and no panic ever crossing into C.
//! The header `include/anysctp.h` is generated from this crate by cbindgen
//! (`gen-header.sh`); its doc comments state ownership and thread-safety.
//!
//! No global state, no threads, no clocks: the caller drives each endpoint
//! from its own loop (poll/epoll/kqueue), passing datagrams and the time.
//!
//! `unsafe` appears only where C pointers are read or written, each block
//! with a `// SAFETY:` comment naming the caller's promise it relies on.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
// C names: `anysctp_endpoint`, `ANYSCTP_OK`, as C programmers expect them.
#![allow(non_camel_case_types)]
// The entry points take C pointers by design; their preconditions (valid or
// NULL, sizes as stated) are in each doc comment and the header, and every
// pointer is checked for NULL before use. Marking them `unsafe fn` would
// change nothing for C callers.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod addr;
pub mod config;
pub mod endpoint;
pub mod error;
pub mod event;
#[cfg(target_os = "linux")]
pub mod socket;

pub use addr::*;
pub use config::*;
pub use endpoint::*;
pub use error::*;
pub use event::*;
#[cfg(target_os = "linux")]
pub use socket::*;

/// The library's version, e.g. `"0.1.0"`: static, NUL-terminated, never
/// free it.
#[no_mangle]
pub extern "C" fn anysctp_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
