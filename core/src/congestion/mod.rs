//! `congestion` room of the core (see DESIGN.md).
