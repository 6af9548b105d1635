//! Limits where input enters, and secrets kept out of reach: rate limits, body and header caps, key file
//! permissions, and no secret in the log.

use crate::common::*;

#[test]
fn rate_limit_per_client_and_endpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[("SAMLGATE_SERVER_RATE_LIMIT_PER_MINUTE", "60")]);
    let c = client();
    let statuses: Vec<u16> = (0..15)
        .map(|_| {
            c.get(g.url("/console?token=x")).header("accept", "application/json").send().unwrap().status().as_u16()
        })
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10, "{statuses:?}");
    let r = c.get(g.url("/console?token=x")).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "60");
    assert_eq!(r.json::<serde_json::Value>().unwrap()["error"], "rate_limited");
    // Other endpoints keep their own budget; unlimited ones are not affected.
    assert_eq!(c.get(g.url("/saml/sso")).send().unwrap().status(), 400);
    assert_eq!(c.get(g.url("/healthz")).send().unwrap().status(), 200);
}

#[test]
fn oversized_bodies_and_headers_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[]);
    let c = client();
    let big = "a".repeat(300 * 1024);
    let r = c
        .post(g.url("/saml/sso"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(format!("SAMLRequest={big}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["error"], "too_large");

    let r = c.get(g.url("/healthz")).header("x-big", "b".repeat(20 * 1024)).send().unwrap();
    assert_eq!(r.status(), 431);

    let r = c.get(g.url(&format!("/saml/sso?SAMLRequest={}", "c".repeat(60 * 1024)))).send().unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(c.get(g.url("/healthz")).send().unwrap().status(), 200, "still serving");
}

#[test]
fn a_readable_private_key_stops_the_start() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), &["init"]).status.success());
    use std::os::unix::fs::PermissionsExt;
    let key = tmp.path().join("certs/idp.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(tmp.path(), &["serve", "--bind", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("idp.key") && (err.contains("0600") || err.contains("readable")), "{err}");
}

#[test]
fn encrypted_private_key_with_passphrase_from_env() {
    let tmp = tempfile::tempdir().unwrap();
    let env = [("SAMLGATE_IDP_KEY_PASSPHRASE_ENV", "IDP_KEY_PASS"), ("IDP_KEY_PASS", "s3cret passphrase")];
    let g = Gateway::start(tmp.path(), &env);
    let pem = std::fs::read_to_string(tmp.path().join("certs/idp.key")).unwrap();
    assert!(pem.contains("ENCRYPTED PRIVATE KEY"), "the key is stored encrypted");
    assert_eq!(client().get(g.url("/healthz")).send().unwrap().status(), 200);
    drop(g);
    // Without the passphrase the gateway refuses to start, naming the variable.
    let o = run_env(tmp.path(), &["serve"], &[("SAMLGATE_IDP_KEY_PASSPHRASE_ENV", "IDP_KEY_PASS")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("IDP_KEY_PASS"), "{}", stderr(&o));
    // The passphrase from a file (a mounted secret) works too; a wrong one is refused.
    let pass_file = tmp.path().join("passphrase");
    std::fs::write(&pass_file, "s3cret passphrase\n").unwrap();
    let g = Gateway::start(tmp.path(), &[("SAMLGATE_IDP_KEY_PASSPHRASE_FILE", pass_file.to_str().unwrap())]);
    assert_eq!(client().get(g.url("/healthz")).send().unwrap().status(), 200);
    drop(g);
    std::fs::write(&pass_file, "wrong").unwrap();
    let o = run_env(tmp.path(), &["serve"], &[("SAMLGATE_IDP_KEY_PASSPHRASE_FILE", pass_file.to_str().unwrap())]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn secrets_never_reach_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[("SAMLGATE_LOG", "debug")]);
    let c = client();
    let o = run(tmp.path(), &["token", "--user", "cust-log", "--raw"]);
    let token = stdout(&o).trim().to_owned();
    assert_eq!(c.get(g.url(&format!("/console?token={token}"))).send().unwrap().status(), 302);
    // A second use is refused and logged — still without the token.
    assert_eq!(c.get(g.url(&format!("/console?token={token}"))).send().unwrap().status(), 401);
    let cfg = std::fs::read_to_string(tmp.path().join("samlgate.toml")).unwrap();
    let secret = cfg.lines().find(|l| l.starts_with("secret = ")).unwrap().split('"').nth(1).unwrap().to_owned();
    let key = std::fs::read_to_string(tmp.path().join("certs/idp.key")).unwrap();
    let key_line = key.lines().nth(1).unwrap().to_owned();
    let session = c.get(g.url("/metrics")).send().unwrap().text().unwrap();
    drop(session);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = g.log_text();
    assert!(log.contains("refused"), "the refusal is logged: {log}");
    let sig = token.rsplit('.').next().unwrap();
    for (what, s) in [("handoff secret", secret.as_str()), ("token signature", sig), ("private key", key_line.as_str())]
    {
        assert!(!log.contains(s), "{what} found in the log");
    }
}
