//! The one strict XML reader (in progress).
