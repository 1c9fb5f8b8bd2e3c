//! Deadlines across associations (see DESIGN.md).
