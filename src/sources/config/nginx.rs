//! nginx configuration (being written).
