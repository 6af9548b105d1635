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

    // A fresh connection: the server closes the one whose body it refused unread, and a pooled client
    // could otherwise send the next request on it while it closes.
    let c = client();
    let r = c.get(g.url("/healthz")).header("x-big", "b".repeat(20 * 1024)).send().unwrap();
    assert_eq!(r.status(), 431);

    let r = c.get(g.url(&format!("/saml/sso?SAMLRequest={}", "c".repeat(60 * 1024)))).send().unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(c.get(g.url("/healthz")).send().unwrap().status(), 200, "still serving");
}

/// A refusal that comes before the body is read (here: no admin session) still reaches the client. The
/// gateway reads the body first; otherwise it would close the connection with the body unread and the
/// kernel would reset it, losing the answer ("connection reset" in the browser), and the connection then
/// serves the next request.
#[test]
fn a_refusal_before_the_body_is_read_still_reaches_the_client() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let g = start_with_admin(tmp.path());
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", g.port)).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let body = format!("csrf=x&entity_id={}", "a".repeat(200 * 1024));
    let head = format!(
        "POST /admin/sps/import HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: application/json\r\n\
         content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let mut writer = conn.try_clone().unwrap();
    let sent =
        std::thread::spawn(move || writer.write_all(head.as_bytes()).and_then(|_| writer.write_all(body.as_bytes())));
    assert!(sent.join().unwrap().is_ok(), "the whole body was taken");
    // Give a reset the time to arrive before reading.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let text = read_answer(&mut conn);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    // The same connection goes on.
    conn.write_all(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n").unwrap();
    let text = read_answer(&mut conn);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

/// One HTTP/1.1 answer with a content-length, read off a raw connection.
fn read_answer(conn: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return text;
            }
        }
        let n = conn.read(&mut buf).expect("the answer is read, not reset");
        assert!(n > 0, "closed before the whole answer: {text}");
        answer.extend_from_slice(&buf[..n]);
    }
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
    // A passphrase file others can read is refused like a readable key.
    let o = run_env(tmp.path(), &["serve"], &[("SAMLGATE_IDP_KEY_PASSPHRASE_FILE", pass_file.to_str().unwrap())]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("holds idp.key_passphrase_file and is readable by group or others"), "{}", stderr(&o));
    chmod(&pass_file, 0o600);
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

/// Sends `/console?token=x` with this `X-Forwarded-For`; the status.
fn console_via(c: &reqwest::blocking::Client, g: &Gateway, xff: &str) -> u16 {
    c.get(g.url("/console?token=x"))
        .header("accept", "application/json")
        .header("x-forwarded-for", xff)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// Review finding: with the old leftmost-entry rule a client behind an appending load balancer got a
/// fresh bucket (and any address it liked in the audit) per request.
#[test]
fn behind_trusted_proxies_a_spoofed_leftmost_entry_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = free_port();
    let o = run(dir, &["init", "--base-url", &format!("http://127.0.0.1:{port}"), "--x-account-type", "acme_IDP"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pw = "correct horse battery staple";
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "PW"], &[("PW", pw)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let g = Gateway::start_on(
        dir,
        port,
        &[
            ("SAMLGATE_SERVER_RATE_LIMIT_PER_MINUTE", "60"),
            // The test client (127.0.0.1) is the outer proxy; 10.1.0.0/16 an inner one.
            ("SAMLGATE_SERVER_TRUSTED_PROXIES", r#"["127.0.0.0/8", "10.1.0.0/16"]"#),
        ],
    );
    let c = client();
    // The client writes a fresh leftmost entry each time; the proxies append the real address.
    let statuses: Vec<u16> =
        (0..15).map(|i| console_via(&c, &g, &format!("198.18.0.{i}, 203.0.113.7, 10.1.2.3"))).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10, "one bucket for 203.0.113.7: {statuses:?}");
    assert_eq!(console_via(&c, &g, "198.18.9.9, 203.0.113.7, 10.1.2.3"), 429);
    // Another real client keeps its own budget; a second header line is read as the continuation.
    assert_eq!(console_via(&c, &g, "203.0.113.8"), 401);
    let r = c
        .get(g.url("/console?token=x"))
        .header("accept", "application/json")
        .header("x-forwarded-for", "203.0.113.7")
        .header("x-forwarded-for", "10.1.0.1")
        .send()
        .unwrap();
    assert_eq!(r.status(), 429, "two header lines are one list");
    assert!(g.log_text().contains("client=203.0.113.7"), "the log names the real client");
    assert!(!g.log_text().contains("198.18."), "never the spoofed entry");

    // The audit names the real client too (a refused admin sign-in).
    let page = c.get(g.url("/admin/login")).send().unwrap().text().unwrap();
    let i = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = page[i..i + page[i..].find('"').unwrap()].to_owned();
    let r = c
        .post(g.url("/admin/login"))
        .header("x-forwarded-for", "6.6.6.6, 192.0.2.44")
        .form(&[("csrf", csrf.as_str()), ("name", "ops"), ("password", "wrong wrong wrong")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(g.url("/admin/login"))
        .form(&[("csrf", csrf.as_str()), ("name", "ops"), ("password", pw)])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    let audit = c.get(g.url("/admin/audit?kind=admin.login_failed")).send().unwrap().text().unwrap();
    let audit = html_unescape(&audit);
    assert!(audit.contains(r#""client":"192.0.2.44""#), "{audit}");
    assert!(!audit.contains("6.6.6.6"), "{audit}");
}

/// `trust_forwarded_for = true` still works, as "one proxy in front" (the rightmost entry), and says
/// at start that it is deprecated.
#[test]
fn the_deprecated_switch_trusts_only_the_rightmost_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(
        tmp.path(),
        &[("SAMLGATE_SERVER_RATE_LIMIT_PER_MINUTE", "60"), ("SAMLGATE_SERVER_TRUST_FORWARDED_FOR", "true")],
    );
    let c = client();
    let statuses: Vec<u16> = (0..12).map(|i| console_via(&c, &g, &format!("198.18.1.{i}, 203.0.113.20"))).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10, "{statuses:?}");
    assert_eq!(console_via(&c, &g, "203.0.113.21"), 401, "another client");
    let log = g.log_text();
    assert!(log.contains("trust_forwarded_for is deprecated"), "{log}");
    assert!(log.contains("client=203.0.113.20"), "{log}");
}

#[test]
fn a_trusted_proxy_that_is_no_address_stops_the_start() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), &["init"]).status.success());
    let o = run_env(
        tmp.path(),
        &["serve", "--bind", "127.0.0.1:0"],
        &[("SAMLGATE_SERVER_TRUSTED_PROXIES", r#"["10.0.0.0/8", "10.0.0.0/33"]"#)],
    );
    assert_eq!(o.status.code(), Some(2), "a config error: {}", stderr(&o));
    assert!(stderr(&o).contains("server.trusted_proxies[1]"), "{}", stderr(&o));
}

fn mode_of(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn chmod(p: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn token_with(secret: &str, user: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    samlgate::handoff::issue(
        secret,
        &samlgate::handoff::Claims {
            sub: user.into(),
            iat: now,
            exp: now + 60,
            jti: samlgate::handoff::new_jti(),
            name: None,
            mobile: None,
            email: None,
        },
    )
}

fn console_status(g: &Gateway, token: &str) -> (u16, String) {
    let r =
        client().get(g.url(&format!("/console?token={token}"))).header("accept", "application/json").send().unwrap();
    let s = r.status().as_u16();
    (s, r.text().unwrap())
}

/// Review finding: the hand-off secret (as strong as the IdP key) sat in a world-readable samlgate.toml.
#[test]
fn the_handoff_secret_lives_only_in_files_of_mode_0600_and_rotates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = free_port();
    let o = run(dir, &["init", "--base-url", &format!("http://127.0.0.1:{port}"), "--x-account-type", "acme_IDP"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cfg_path = dir.join("samlgate.toml");
    assert_eq!(mode_of(&cfg_path), 0o600, "init writes the config holding the secret for its owner only");
    let cfg = std::fs::read_to_string(&cfg_path).unwrap();
    let old = cfg.lines().find_map(|l| l.strip_prefix("secret = \"")).unwrap().trim_end_matches('"').to_owned();
    // A rewrite (here: add-user) keeps it so.
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "PW"], &[("PW", "correct horse battery")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode_of(&cfg_path), 0o600);

    // Readable by others: the start is refused, naming the file and the fix.
    chmod(&cfg_path, 0o644);
    let o = run(dir, &["serve", "--bind", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("holds handoff.secret and is readable by group or others (mode 644)"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("chmod 600"), "{}", stderr(&o));

    // Moved to secret files (a rotation: the new secret, and the old one still accepted); the config
    // file then holds no secret and may be world-readable (a ConfigMap).
    let new = "new-secret-new-secret-new-secret-0123";
    std::fs::write(dir.join("handoff.secret"), format!("{new}\n")).unwrap();
    std::fs::write(dir.join("handoff.previous"), &old).unwrap();
    let cfg = cfg.replace(
        &format!("secret = \"{old}\""),
        "secret_file = \"handoff.secret\"\nprevious_secret_file = \"handoff.previous\"",
    );
    std::fs::write(&cfg_path, &cfg).unwrap();
    chmod(&dir.join("handoff.secret"), 0o640);
    chmod(&dir.join("handoff.previous"), 0o600);
    let o = run(dir, &["serve", "--bind", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("handoff.secret") && stderr(&o).contains("mode 640"), "{}", stderr(&o));
    chmod(&dir.join("handoff.secret"), 0o600);

    let g = Gateway::start_on(dir, port, &[]);
    // `samlgate token` signs with the current secret from its file.
    let link = stdout(&run(dir, &["token", "--user", "cust-new", "--raw"]));
    assert_eq!(console_status(&g, link.trim()).0, 302);
    assert_eq!(console_status(&g, &token_with(new, "cust-new2")).0, 302);
    assert_eq!(console_status(&g, &token_with(&old, "cust-old")).0, 302, "the previous secret still works");
    let (s, body) = console_status(&g, &token_with("a-third-secret-a-third-secret-xyz", "cust-x"));
    assert_eq!(s, 401);
    assert!(body.contains("token_signature"), "{body}");
    // The audit says which secret each jump's token was made with.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let jumps = rt.block_on(async {
        let store = samlgate::store::open("sqlite://data/samlgate.db", dir).await.unwrap();
        store.list_audit(100, Some("console.jump")).await.unwrap()
    });
    let secret_of = |user: &str| {
        let e = jumps.iter().find(|e| e.subject == user).unwrap_or_else(|| panic!("no jump of {user}"));
        serde_json::from_str::<serde_json::Value>(&e.detail_json).unwrap()["secret"].as_str().unwrap().to_owned()
    };
    assert_eq!(secret_of("cust-new"), "current");
    assert_eq!(secret_of("cust-old"), "previous");
    drop(g);

    // From the environment, with no secret in any file.
    let cfg = cfg.replace("secret_file = \"handoff.secret\"\nprevious_secret_file = \"handoff.previous\"\n", "");
    assert!(!cfg.contains("secret"), "{cfg}");
    std::fs::write(&cfg_path, &cfg).unwrap();
    let env_secret = "env-secret-env-secret-env-secret-42";
    let o = run(dir, &["serve", "--bind", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(2), "no secret at all: a config error");
    assert!(stderr(&o).contains("SAMLGATE_HANDOFF_SECRET"), "{}", stderr(&o));
    let g = Gateway::start_on(dir, port, &[("SAMLGATE_HANDOFF_SECRET", env_secret)]);
    assert_eq!(console_status(&g, &token_with(env_secret, "cust-env")).0, 302);
    assert_eq!(console_status(&g, &token_with(new, "cust-new3")).0, 401);
}

/// Review finding: `/metrics` was public on the customer port.
#[test]
fn metrics_need_the_token_or_move_to_the_internal_listener() {
    let tmp = tempfile::tempdir().unwrap();
    let token = "metrics-token-0123456789";
    let g = Gateway::start(tmp.path(), &[("SAMLGATE_SERVER_METRICS_TOKEN", token)]);
    let c = client();
    let r = c.get(g.url("/metrics")).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"metrics\"");
    assert_eq!(r.json::<serde_json::Value>().unwrap()["error"], "metrics_token");
    assert_eq!(c.get(g.url("/metrics")).bearer_auth("metrics-token-0123456780").send().unwrap().status(), 401);
    let r = c.get(g.url("/metrics")).bearer_auth(token).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("samlgate_http_requests_total"));
    assert_eq!(c.get(g.url("/healthz/live")).send().unwrap().status(), 200);
    let ready: serde_json::Value = c.get(g.url("/healthz/ready")).send().unwrap().json().unwrap();
    assert_eq!(ready["status"], "ok", "{ready}");
    drop(g);

    // An internal listener: /metrics there (no token needed unless set), not on the customer port.
    let internal = free_port();
    let g = Gateway::start(tmp.path(), &[("SAMLGATE_SERVER_METRICS_BIND", &format!("127.0.0.1:{internal}"))]);
    assert_eq!(c.get(g.url("/metrics")).send().unwrap().status(), 404);
    let r = c.get(format!("http://127.0.0.1:{internal}/metrics")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("samlgate_http_requests_total"));
    assert_eq!(c.get(format!("http://127.0.0.1:{internal}/healthz/ready")).send().unwrap().status(), 200);
    assert_eq!(c.get(format!("http://127.0.0.1:{internal}/console")).send().unwrap().status(), 404);
    drop(g);

    // A token in a world-readable config file stops the start; a short one is a config error.
    let cfg = tmp.path().join("samlgate.toml");
    // (The hand-off secret moves to the environment, so only the metrics token is in the file.)
    let text = std::fs::read_to_string(&cfg).unwrap();
    let handoff = text.lines().find_map(|l| l.strip_prefix("secret = \"")).unwrap().trim_end_matches('"').to_owned();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("secret = "))
        .map(|l| if l == "[server]" { format!("{l}\nmetrics_token = \"{token}\"\n") } else { format!("{l}\n") })
        .collect();
    std::fs::write(&cfg, text).unwrap();
    chmod(&cfg, 0o644);
    let env = [("SAMLGATE_HANDOFF_SECRET", handoff.as_str())];
    let o = run_env(tmp.path(), &["serve", "--bind", "127.0.0.1:0"], &env);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("holds server.metrics_token and is readable by group or others"), "{}", stderr(&o));
    // A rewrite (`init --bp-id`) with the secret only in the environment works and never writes it to
    // the file.
    let o = run_env(tmp.path(), &["init", "--bp-id", "partner-1"], &[env[0]]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !std::fs::read_to_string(&cfg).unwrap().contains(&handoff),
        "the environment's secret stays out of the file"
    );
    assert_eq!(mode_of(&cfg), 0o600, "the file holds the metrics token");
    let o =
        run_env(tmp.path(), &["serve", "--bind", "127.0.0.1:0"], &[env[0], ("SAMLGATE_SERVER_METRICS_TOKEN", "short")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("server.metrics_token"), "{}", stderr(&o));
}

/// Review finding: every hop appended an audit row and nothing was ever deleted. A running gateway
/// purges audit events older than `audit.retention_days` (its first housekeeping round runs at start).
#[test]
fn a_running_gateway_deletes_audit_events_past_the_retention() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(run(dir, &["init", "--x-account-type", "acme_IDP"]).status.success());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let count = |kind: &'static str| {
        rt.block_on(async {
            let store = samlgate::store::open("sqlite://data/samlgate.db", dir).await.unwrap();
            store.list_audit(1000, Some(kind)).await.unwrap().len()
        })
    };
    rt.block_on(async {
        let store = samlgate::store::open("sqlite://data/samlgate.db", dir).await.unwrap();
        for (age_days, n) in [(31, 3), (29, 2)] {
            for i in 0..n {
                let e = samlgate::store::NewAuditEvent {
                    at: now - age_days * 86_400,
                    kind: "test.old".into(),
                    actor: String::new(),
                    subject: format!("{age_days}-{i}"),
                    detail_json: "{}".into(),
                    correlation_id: String::new(),
                };
                store.append_audit(&e).await.unwrap();
            }
        }
    });
    assert_eq!(count("test.old"), 5);
    let g = Gateway::start(dir, &[("SAMLGATE_AUDIT_RETENTION_DAYS", "30")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while count("test.old") != 2 {
        assert!(std::time::Instant::now() < deadline, "old events were not purged: {}", g.log_text());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let metrics = client().get(g.url("/metrics")).send().unwrap().text().unwrap();
    assert!(metrics.contains("samlgate_purged_rows_total{what=\"audit\"} 3"), "{metrics}");
}
