//! `wire` room of the core (see DESIGN.md).
