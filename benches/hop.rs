//! Criterion benchmarks of the SSO hop, each reported as a ratio to a raw OpenSSL signature with the
//! same key measured in the same run (issue 6):
//!
//! - `openssl/*`: the baseline — one raw OpenSSL sign (SHA-256 + private-key operation) of a
//!   SignedInfo-sized message; RSA-2048, RSA-3072 and ECDSA P-256.
//! - `sign_assertion/*`: build the `samlp:Response` and sign its Assertion (enveloped XML-DSig).
//! - `verify_redirect/*`: one Redirect-bound AuthnRequest — the query signature alone, and the whole
//!   check (split the query, verify the signature with the SP certificate, inflate, strict parse).
//! - `hop/get_saml_sso`: the whole hop in-process through the real axum router (`oneshot`), with the
//!   file SQLite store: a fresh signed AuthnRequest and a session cookie in, the auto-post form out.
//!
//! `cargo bench --bench hop` prints criterion's figures and then a table of ratios.

#[path = "../tests/it/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{BatchSize, Criterion, criterion_group};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::X509;
use samlgate::gateway::SessionUser;
use samlgate::saml::dsig::{SignatureAlgorithm, SigningKey};
use samlgate::saml::metadata::{SpMetadataParams, sp_metadata_xml};
use samlgate::saml::redirect::{self, MessageParam};
use samlgate::saml::request;
use samlgate::saml::response::{self, ResponseParams};
use samlgate::store::Session;
use samlgate::web::{AppState, SESSION_COOKIE};
use tower::ServiceExt as _;

const SP_ENTITY: &str = "https://auth.huaweicloud.com/";
const SP_ACS: &str = "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer";
const BASE: &str = "http://127.0.0.1:8443";

fn rsa_key(bits: u32) -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap()
}

fn ec_key() -> PKey<Private> {
    PKey::from_ec_key(EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap()).unwrap()
}

fn signing_key(key: PKey<Private>, alg: SignatureAlgorithm) -> SigningKey {
    let cert = common::self_signed(&key, "bench").to_der().unwrap();
    SigningKey::new(key, cert, alg).unwrap()
}

/// A Huawei-shaped AuthnRequest with a fresh ID and the current time.
fn authn_request_xml(destination: &str, n: u64) -> String {
    let now = time::OffsetDateTime::now_utc();
    let instant = now
        .format(&time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap();
    let mut rnd = [0u8; 12];
    openssl::rand::rand_bytes(&mut rnd).unwrap();
    format!(
        "<saml2p:AuthnRequest xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         AssertionConsumerServiceURL=\"{SP_ACS}\" Destination=\"{destination}\" ForceAuthn=\"false\" \
         ID=\"_b{n}x{}\" IsPassive=\"false\" IssueInstant=\"{instant}\" \
         ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Version=\"2.0\">\
         <saml2:Issuer xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">{SP_ENTITY}</saml2:Issuer>\
         <saml2p:NameIDPolicy AllowCreate=\"true\" Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\" \
         SPNameQualifier=\"{SP_ENTITY}\"/></saml2p:AuthnRequest>",
        hex::encode(rnd)
    )
}

fn response_params<'a>(attrs: &'a [(String, Vec<String>)]) -> ResponseParams<'a> {
    ResponseParams {
        issuer: "https://partner.example.com/saml/metadata",
        destination: SP_ACS,
        in_response_to: Some("_0123456789abcdef0123456789abcdef"),
        audience: SP_ENTITY,
        recipient: SP_ACS,
        subject_name_id: "_fedcba9876543210fedcba9876543210",
        name_id_format: response::NAMEID_TRANSIENT,
        name_qualifier: Some(SP_ENTITY),
        sp_name_qualifier: Some(SP_ENTITY),
        subject_locality_address: Some(SP_ENTITY),
        session_index: "_00112233445566778899aabbccddeeff",
        authn_instant: 1_767_000_000,
        now: 1_767_000_100,
        not_before_skew_secs: 120,
        lifetime_secs: 300,
        attributes: attrs,
        authn_context_class_ref: response::AC_PASSWORD_PROTECTED_TRANSPORT,
        sign_response: false,
    }
}

fn attrs() -> Vec<(String, Vec<String>)> {
    vec![
        ("xUserId".into(), vec!["customer-000123".into()]),
        ("name".into(), vec!["Zhang San".into()]),
        ("mobile".into(), vec!["0086-13900000000".into()]),
        ("email".into(), vec!["zhang.san@example.com".into()]),
    ]
}

/// SignedInfo is what the private-key operation of an assertion signature covers: ~700 bytes.
const SIGNED_INFO_LEN: usize = 700;

fn bench_openssl(c: &mut Criterion) {
    let data = vec![b'x'; SIGNED_INFO_LEN];
    let mut g = c.benchmark_group("openssl");
    for (name, key) in [("rsa2048", rsa_key(2048)), ("rsa3072", rsa_key(3072)), ("ecdsa_p256", ec_key())] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut s = Signer::new(MessageDigest::sha256(), &key).unwrap();
                std::hint::black_box(s.sign_oneshot_to_vec(&data).unwrap())
            })
        });
    }
    g.finish();
}

fn bench_sign_assertion(c: &mut Criterion) {
    let attrs = attrs();
    let p = response_params(&attrs);
    let mut g = c.benchmark_group("sign_assertion");
    for (name, key) in [
        ("rsa2048", signing_key(rsa_key(2048), SignatureAlgorithm::RsaSha256)),
        ("rsa3072", signing_key(rsa_key(3072), SignatureAlgorithm::RsaSha256)),
        ("ecdsa_p256", signing_key(ec_key(), SignatureAlgorithm::EcdsaSha256)),
    ] {
        g.bench_function(name, |b| b.iter(|| std::hint::black_box(response::build_response(&key, &p).unwrap())));
    }
    g.finish();
}

fn bench_verify_redirect(c: &mut Criterion) {
    let sp = signing_key(rsa_key(2048), SignatureAlgorithm::RsaSha256);
    let certs = vec![X509::from_der(sp.cert_der()).unwrap()];
    let xml = authn_request_xml(&format!("{BASE}/saml/sso"), 1);
    let query =
        redirect::encode_redirect_query(MessageParam::SamlRequest, &xml, Some("state-1234567890"), Some(&sp)).unwrap();
    let mut g = c.benchmark_group("verify_redirect");
    g.bench_function("signature_rsa2048", |b| {
        b.iter(|| {
            let q = redirect::parse_redirect_query(&query).unwrap();
            q.verify(&certs, false).unwrap();
        })
    });
    g.bench_function("verify_decode_parse", |b| {
        b.iter(|| {
            let q = redirect::parse_redirect_query(&query).unwrap();
            q.verify(&certs, false).unwrap();
            let bytes = q.decode_message(128 * 1024).unwrap();
            std::hint::black_box(request::parse_authn_request(&bytes).unwrap())
        })
    });
    g.finish();
}

/// A gateway state over a scratch directory: config from `init`, generated IdP keys, the bench SP's
/// metadata imported, and the default file SQLite store (`data/samlgate.db`, WAL, synchronous=FULL).
struct HopFixture {
    _dir: tempfile::TempDir,
    router: axum::Router,
    cookie: String,
    sp: SigningKey,
}

fn hop_fixture(rt: &tokio::runtime::Runtime) -> HopFixture {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("samlgate.toml");
    let sp_key = rsa_key(2048);
    let sp_cert = common::self_signed(&sp_key, "bench-sp").to_der().unwrap();
    let md = sp_metadata_xml(&SpMetadataParams {
        entity_id: SP_ENTITY.into(),
        acs_post_url: SP_ACS.into(),
        slo_redirect_url: "https://auth.huaweicloud.com/authui/saml/logout".into(),
        slo_redirect_response_url: String::new(),
        slo_post_url: None,
        signing_cert_der: sp_cert.clone(),
        authn_requests_signed: true,
        want_assertions_signed: true,
    })
    .unwrap();
    let md_path: PathBuf = dir.path().join("sp-metadata.xml");
    std::fs::write(&md_path, md).unwrap();
    samlgate::gateway::setup::ensure_initialized(&cfg, Some(BASE), Some("acme_IDP"), None).unwrap();
    let env = vec![("SAMLGATE_HUAWEI_SP_METADATA".to_owned(), md_path.display().to_string())];
    let settings = samlgate::config::load_from(&cfg, &env).unwrap();
    assert!(settings.config.store.url.starts_with("sqlite://"), "the hop bench uses the file SQLite store");
    let state = rt.block_on(AppState::build(settings)).unwrap();
    let session_id = hex::encode({
        let mut b = [0u8; 32];
        openssl::rand::rand_bytes(&mut b).unwrap();
        b
    });
    let user = SessionUser {
        sub: "customer-000123".into(),
        name: Some("Zhang San".into()),
        mobile: Some("0086-13900000000".into()),
        email: Some("zhang.san@example.com".into()),
        issued: Vec::new(),
        answered: Vec::new(),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let session = Session {
        id: session_id.clone(),
        user_id: user.sub.clone(),
        attributes_json: serde_json::to_string(&user).unwrap(),
        created_at: now,
        expires_at: now + 3600,
    };
    rt.block_on(state.store.put_session(&session)).unwrap();
    let router = samlgate::web::router(state);
    let sp = SigningKey::new(sp_key, sp_cert, SignatureAlgorithm::RsaSha256).unwrap();
    HopFixture { _dir: dir, router, cookie: format!("{SESSION_COOKIE}={session_id}"), sp }
}

fn bench_hop(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let f = hop_fixture(&rt);
    let sso = format!("{BASE}/saml/sso");
    let mut n = 0u64;
    let mut g = c.benchmark_group("hop");
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("get_saml_sso", |b| {
        b.iter_batched(
            || {
                // Not timed: the SP signs a fresh request (unique ID, so the replay cache works for real).
                n += 1;
                let q = redirect::encode_redirect_query(
                    MessageParam::SamlRequest,
                    &authn_request_xml(&sso, n),
                    Some("https://console.huaweicloud.com/iam/"),
                    Some(&f.sp),
                )
                .unwrap();
                Request::get(format!("/saml/sso?{q}")).header(header::COOKIE, &f.cookie).body(Body::empty()).unwrap()
            },
            |req| {
                let resp = rt.block_on(f.router.clone().oneshot(req)).unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                let body = rt.block_on(axum::body::to_bytes(resp.into_body(), 1 << 20)).unwrap();
                debug_assert!(body.windows(12).any(|w| w == b"SAMLResponse"));
                std::hint::black_box(body)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("criterion")
}

fn config() -> Criterion {
    Criterion::default()
        .output_directory(&criterion_dir())
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_openssl, bench_sign_assertion, bench_verify_redirect, bench_hop
}

/// Time per iteration (ns) of `group/id` from this run's criterion output: the slope estimate when
/// criterion has one (the figure it prints as `time:`), else the mean.
fn mean_ns(group: &str, id: &str) -> Option<f64> {
    let p = criterion_dir().join(group).join(id).join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()?;
    v["slope"]["point_estimate"].as_f64().or_else(|| v["mean"]["point_estimate"].as_f64())
}

fn print_ratios(started: std::time::SystemTime) {
    // Only figures written by this run (a filtered or `--test` run leaves older or no files).
    let fresh = |group: &str, id: &str| {
        let p = criterion_dir().join(group).join(id).join("new/estimates.json");
        let m = std::fs::metadata(p).and_then(|m| m.modified()).ok()?;
        if m >= started { mean_ns(group, id) } else { None }
    };
    let Some(rsa2048) = fresh("openssl", "rsa2048") else {
        println!("(no ratios: the openssl/rsa2048 baseline did not run in this invocation)");
        return;
    };
    println!();
    println!("Ratios to a raw OpenSSL sign measured in this run (1.00 = as fast as the bare signature)");
    println!("{:<34} {:>12} {:>10} {:>22}", "benchmark", "time", "per s", "ratio (baseline)");
    let rows: [(&str, &str, &str); 9] = [
        ("openssl", "rsa2048", "rsa2048"),
        ("openssl", "rsa3072", "rsa3072"),
        ("openssl", "ecdsa_p256", "ecdsa_p256"),
        ("sign_assertion", "rsa2048", "rsa2048"),
        ("sign_assertion", "rsa3072", "rsa3072"),
        ("sign_assertion", "ecdsa_p256", "ecdsa_p256"),
        ("verify_redirect", "signature_rsa2048", "rsa2048"),
        ("verify_redirect", "verify_decode_parse", "rsa2048"),
        ("hop", "get_saml_sso", "rsa2048"),
    ];
    for (group, id, base) in rows {
        let (Some(ns), Some(base_ns)) = (fresh(group, id), fresh("openssl", base).or(Some(rsa2048))) else {
            continue;
        };
        // ratio = throughput of this benchmark / throughput of the raw sign = baseline time / time.
        println!(
            "{:<34} {:>9.1} µs {:>10.0} {:>10.3} (openssl/{base})",
            format!("{group}/{id}"),
            ns / 1000.0,
            1e9 / ns,
            base_ns / ns
        );
    }
}

fn main() {
    let started = std::time::SystemTime::now() - Duration::from_secs(1);
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_ratios(started);
}
