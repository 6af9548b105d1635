//! samlgate: a SAML 2.0 identity provider and SSO gateway for Huawei Cloud partner sales platforms.
//!
//! The protocol core (`saml`) knows nothing of HTTP or storage; `web` is the axum layer, `store` the
//! persistence layer, `keys` the IdP key material, `config` the typed settings.

pub mod cli;
pub mod config;
pub mod handoff;
pub mod huawei;
pub mod keys;
pub mod saml;
pub mod store;
pub mod web;
