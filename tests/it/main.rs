//! samlgate's integration tests, as one test binary (one link of the crate instead of one per file).
//! Each module drives the gateway the way its users do: over HTTP against the `samlgate` binary or
//! in-process on the router, the CLI as a child process, Chromium for the pages, and the independent
//! SAML stacks of `tests/interop/` playing Huawei's SP.

mod common;
mod local;

mod admin;
mod admin_api;
mod admin_console;
mod assertions;
mod audit;
mod bind_slo;
mod browser;
mod cli;
mod cli_guide;
mod contrib;
mod corpus;
mod decode;
mod dsig;
mod faults;
mod handlers;
mod keys;
mod limits;
mod metadata;
mod mocksp;
mod pages;
mod partner_backend;
mod replicas;
mod rollover;
mod sp_refresh;
mod sso;
mod store;
mod tls;
mod use_cases;
mod verify;
