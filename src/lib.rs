//! samlgate: a SAML 2.0 identity provider and SSO gateway for Huawei Cloud partner sales platforms.
//!
//! The code lives in rooms that only use the rooms below them (see `ARCHITECTURE.md`, checked by
//! `scripts/check-layers`): `cli` → `web`, `mocksp` → `gateway` (the use cases, no HTTP) → `huawei`,
//! `keys`, `store`, `handoff` → `saml` (the protocol core, no I/O), `config`, `util`.

// axum handlers answer `web::Answer = Result<Response, Failure>`; the error side is a whole HTTP
// response by design (rendered in one place, `web::error::around_request`), so its size is not a concern.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod config;
pub mod gateway;
pub mod handoff;
pub mod huawei;
pub mod keys;
pub mod mocksp;
pub mod saml;
pub mod store;
pub mod util;
pub mod web;
