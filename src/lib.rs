//! samlgate: a SAML 2.0 identity provider and SSO gateway for Huawei Cloud partner sales platforms.
//!
//! The protocol core (`saml`) knows nothing of HTTP or storage; `web` is the axum layer, `store` the
//! persistence layer, `keys` the IdP key material, `config` the typed settings.

// axum handlers answer refusals as `Result<Response, Response>`; the error side is a whole HTTP response
// by design (it is rendered in one place, `web::around_request`), so its size is not a concern.
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
