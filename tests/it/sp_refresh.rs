//! SP metadata from a URL is fetched again on a schedule: a rolled-over SP key is picked up without a
//! restart, and a failing or bad fetch keeps the last good copy.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use samlgate::saml::dsig::{SignatureAlgorithm, SigningKey};
use samlgate::saml::redirect::{MessageParam, encode_redirect_query};

/// A tiny HTTP server that answers every request with the current (status, body).
fn serve(reply: Arc<Mutex<(u16, String)>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let (status, body) = reply.lock().unwrap().clone();
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

fn hop(g: &Gateway, c: &reqwest::blocking::Client, key: &SigningKey) -> (u16, String) {
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let xml = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r{}\" Version=\"2.0\" IssueInstant=\"{now}\" \
         Destination=\"{}\"><saml:Issuer>https://sp.refresh.test/</saml:Issuer></samlp:AuthnRequest>",
        uuid::Uuid::new_v4().simple(),
        g.url("/saml/sso")
    );
    let q = encode_redirect_query(MessageParam::SamlRequest, &xml, None, Some(key)).unwrap();
    let r = c.get(g.url(&format!("/saml/sso?{q}"))).header("accept", "application/json").send().unwrap();
    let status = r.status().as_u16();
    let reason = r.json::<serde_json::Value>().ok().and_then(|j| j["error"].as_str().map(str::to_owned));
    (status, reason.unwrap_or_else(|| "-".into()))
}

#[test]
fn sp_metadata_url_is_refreshed_and_the_last_good_copy_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let md_a = tmp.path().join("a.xml");
    let md_b = tmp.path().join("b.xml");
    let (key_a, cert_a) = write_test_sp("sp.refresh.test", &md_a);
    let (key_b, cert_b) = write_test_sp("sp.refresh.test", &md_b);
    let signer =
        |k, c: &openssl::x509::X509| SigningKey::new(k, c.to_der().unwrap(), SignatureAlgorithm::RsaSha256).unwrap();
    let (a, b) = (signer(key_a, &cert_a), signer(key_b, &cert_b));

    let reply = Arc::new(Mutex::new((200, std::fs::read_to_string(&md_a).unwrap())));
    let port = serve(reply.clone());
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    let url = format!("http://127.0.0.1:{port}/metadata.xml");
    let g = Gateway::start(
        &dir,
        &[("SAMLGATE_HUAWEI_SP_METADATA", url.as_str()), ("SAMLGATE_HUAWEI_SP_METADATA_REFRESH_SECS", "5")],
    );
    let c = client();
    let o = run(&dir, &["token", "--user", "cust-refresh", "--raw"]);
    let t = stdout(&o).trim().to_owned();
    assert_eq!(c.get(g.url(&format!("/console?token={t}"))).send().unwrap().status(), 302);

    assert_eq!(hop(&g, &c, &a).0, 200, "key A from the first fetch");
    assert_eq!(hop(&g, &c, &b), (400, "bad_signature".into()));

    // The SP rolls its key over: the gateway picks it up on the next refresh, without a restart.
    *reply.lock().unwrap() = (200, std::fs::read_to_string(&md_b).unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while hop(&g, &c, &b).0 != 200 {
        assert!(std::time::Instant::now() < deadline, "new SP key not picked up: {}", g.log_text());
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(hop(&g, &c, &a), (400, "bad_signature".into()));

    // The URL fails, then serves garbage: the last good copy (key B) stays in force.
    *reply.lock().unwrap() = (500, "oops".into());
    std::thread::sleep(Duration::from_secs(6));
    *reply.lock().unwrap() = (200, "<!DOCTYPE x [<!ENTITY e \"e\">]><x/>".into());
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(hop(&g, &c, &b).0, 200);
    let log = g.log_text();
    assert!(log.contains("keeping the last good copy"), "{log}");
}

/// Huawei's real, signed metadata from a URL: a refreshed copy whose signature fails (one byte
/// changed inside the signed part) is refused and the last good copy kept, with a warning, an
/// `sp.refused` audit event and a metric.
#[test]
fn a_refreshed_copy_with_a_bad_signature_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let real = std::fs::read_to_string(repo().join("tests/data/huawei/huawei-sp-metadata.xml")).unwrap();
    let reply = Arc::new(Mutex::new((200, real.clone())));
    let port = serve(reply.clone());
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    let url = format!("http://127.0.0.1:{port}/authui/saml/metadata.xml");
    let g = Gateway::start(
        &dir,
        &[("SAMLGATE_HUAWEI_SP_METADATA", url.as_str()), ("SAMLGATE_HUAWEI_SP_METADATA_REFRESH_SECS", "5")],
    );
    let tampered = real.replacen("LogoutServiceHTTPRedirect\"", "LogoutServiceHTTPRedirecT\"", 1);
    *reply.lock().unwrap() = (200, tampered);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    // The metric is counted before the refusal's audit event is committed, and the warning is logged
    // after it: wait for both.
    let metrics = loop {
        let m = client().get(g.url("/metrics")).send().unwrap().text().unwrap();
        let log = g.log_text();
        if m.contains("samlgate_sp_metadata_refused_total{reason=\"digest_mismatch\"}")
            && log.contains("metadata signature refused")
            && log.contains("keeping the last good copy")
        {
            break m;
        }
        assert!(std::time::Instant::now() < deadline, "no refusal counted and logged: {log}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(metrics.contains("samlgate_sp_metadata_refused_total"), "{metrics}");
    drop(g);
    // The stored copy is still the good one, signature verified.
    let out = stdout(&run(&dir, &["sp", "list"]));
    assert!(out.contains("/authui/saml/LogoutServiceHTTPRedirect (response"), "{out}");
    assert!(out.contains("signature:   verified"), "{out}");
    // And the refusal is in the audit log.
    let store = dir.join("data/samlgate.db");
    let o = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print('\\n'.join(r[0]+' '+r[1] for r in c.execute(\"select kind, detail_json from audit_events where kind='sp.refused'\")))")
        .arg(&store)
        .output()
        .unwrap();
    let audit = String::from_utf8_lossy(&o.stdout);
    assert!(audit.contains("sp.refused") && audit.contains("digest_mismatch"), "{audit}");
}
