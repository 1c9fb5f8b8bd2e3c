//! The association: RFC 9260's state machine, one file per concern.

pub mod cookie;
