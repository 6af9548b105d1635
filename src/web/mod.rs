//! web (in progress)
