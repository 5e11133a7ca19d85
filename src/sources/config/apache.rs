//! Apache configuration (being written).
