//! Code shared by the simulator test binaries.

pub mod scenario;
