//! The floor of the SSO hop on samlgate's own stack, for `scripts/bench-hop` (issue 17): an HTTP server
//! with the gateway's runtime, allocator and HTTP crates (tokio's multi-thread runtime with a worker per
//! core it may run on, jemalloc, axum and hyper) that answers every `GET /saml/sso` with the page
//! samlgate answered (the auto-post form, read from a file) after doing only the two private- and
//! public-key operations every hop needs: one RSA-2048 PKCS#1 v1.5 SHA-256 signature, which goes into the
//! page in base64, and one verification of a signature over the request's query string.
//!
//! Nothing else of a hop happens here: no SAML parsing or checks, no session, no XML, no store, no log
//! line. The CPU this server spends per request, measured by bench-hop under the same load and pinning
//! as samlgate, is therefore a lower bound for any gateway on this stack, and one signature's CPU time
//! divided by it is the highest efficiency such a gateway could reach on the machine.
//!
//! `cargo bench --bench floor -- --serve ADDR --page FILE [--http-only]`; without `--serve` (as in a
//! plain `cargo bench`) it prints this usage and exits. `--http-only` leaves out the two key operations.

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Html;
use axum::routing::get;
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

struct Floor {
    page: String,
    crypto: Option<Keys>,
}

struct Keys {
    idp: PKey<Private>,
    sp: PKey<Public>,
    /// A signature by the SP's key over `signed`, checked on every request as a request's would be.
    sp_signature: Vec<u8>,
    signed: Vec<u8>,
}

fn keys() -> Keys {
    let idp = PKey::from_rsa(Rsa::generate(2048).expect("RSA key")).expect("key");
    let sp_private = PKey::from_rsa(Rsa::generate(2048).expect("RSA key")).expect("key");
    let sp = PKey::public_key_from_der(&sp_private.public_key_to_der().expect("DER")).expect("public key");
    // About as long as a Redirect-bound request's signed query string.
    let signed = vec![b'q'; 1100];
    let mut s = Signer::new(MessageDigest::sha256(), &sp_private).expect("signer");
    let sp_signature = s.sign_oneshot_to_vec(&signed).expect("sign");
    Keys { idp, sp, sp_signature, signed }
}

async fn hop(State(f): State<Arc<Floor>>, RawQuery(q): RawQuery) -> Result<Html<String>, &'static str> {
    let Some(k) = &f.crypto else {
        return Ok(Html(f.page.clone()));
    };
    let mut v = Verifier::new(MessageDigest::sha256(), &k.sp).map_err(|_| "verifier")?;
    if !v.verify_oneshot(&k.sp_signature, &k.signed).map_err(|_| "verify")? {
        return Err("bad signature");
    }
    // What the gateway signs: a SignedInfo of about 500 bytes, which differs per hop (here, the query).
    let mut signed_info = q.unwrap_or_default().into_bytes();
    signed_info.truncate(500);
    let mut s = Signer::new(MessageDigest::sha256(), &k.idp).map_err(|_| "signer")?;
    let sig = s.sign_oneshot_to_vec(&signed_info).map_err(|_| "sign")?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(sig);
    let mut page = String::with_capacity(f.page.len() + b64.len() + 16);
    page.push_str(&f.page);
    page.push_str("<!-- ");
    page.push_str(&b64);
    page.push_str(" -->");
    Ok(Html(page))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let (Some(addr), Some(page)) = (value("--serve"), value("--page")) else {
        println!("floor: cargo bench --bench floor -- --serve ADDR --page FILE [--http-only] (see scripts/bench-hop)");
        return;
    };
    let page = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("cannot read {page}: {e}"));
    let crypto = (!args.iter().any(|a| a == "--http-only")).then(keys);
    let state = Arc::new(Floor { page, crypto });
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async move {
        let app = Router::new().route("/saml/sso", get(hop)).with_state(state);
        let listener = tokio::net::TcpListener::bind(&addr).await.unwrap_or_else(|e| panic!("cannot bind {addr}: {e}"));
        axum::serve(listener, app).await.expect("serve");
    });
}
