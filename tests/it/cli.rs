//! The admin's and the operator's view: the `samlgate` binary and the running gateway over HTTP.

use std::process::Command;

use crate::common::*;

fn cert_b64_from_pem(path: &std::path::Path) -> String {
    let out =
        Command::new("openssl").args(["x509", "-outform", "DER", "-in"]).arg(path).output().expect("openssl x509");
    assert!(out.status.success());
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(out.stdout)
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Vec<&'a str> {
    s.split(a).skip(1).filter_map(|x| x.split(b).next()).collect()
}

#[test]
fn first_serve_generates_everything_and_serves_matching_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[]);
    let c = client();

    let health: serde_json::Value = c.get(g.url("/healthz")).send().unwrap().json().unwrap();
    assert_eq!(health["status"], "ok");

    let resp = c.get(g.url("/saml/metadata")).send().unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/samlmetadata+xml"));
    assert!(resp.headers().contains_key("x-correlation-id"));
    let xml = resp.text().unwrap();

    // The certificate in the metadata is the one in certs/.
    let certs = between(&xml, "<ds:X509Certificate>", "</ds:X509Certificate>");
    assert_eq!(certs.len(), 2, "signing + encryption KeyDescriptor");
    let expected = cert_b64_from_pem(&tmp.path().join("certs/idp.crt"));
    for c in &certs {
        assert_eq!(*c, expected);
    }
    // Private key was written 0600 and is not in the metadata.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(tmp.path().join("certs/idp.key")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(!xml.contains("PRIVATE"));
    // The same file is on disk for upload to Partner Center.
    assert_eq!(std::fs::read_to_string(tmp.path().join("metadata/idp-metadata.xml")).unwrap(), xml);
    assert!(xml.len() < 2 * 1024 * 1024);
    assert!(xml.contains(&format!("entityID=\"{}/saml/metadata\"", g.base)));
    assert!(xml.contains(&format!("Location=\"{}/saml/sso\"", g.base)));

    // Independent parsers read it: Python's xml.etree and libxml2's xmllint.
    let path = tmp.path().join("served.xml");
    std::fs::write(&path, &xml).unwrap();
    let py = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E\n\
             r = E.parse(sys.argv[1]).getroot()\n\
             ns = {'md': 'urn:oasis:names:tc:SAML:2.0:metadata', 'ds': 'http://www.w3.org/2000/09/xmldsig#'}\n\
             d = r.find('md:IDPSSODescriptor', ns)\n\
             print(r.get('entityID'), len(d.findall('md:KeyDescriptor', ns)), d.find('md:NameIDFormat', ns).text)",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    assert_eq!(
        String::from_utf8_lossy(&py.stdout).trim(),
        format!("{}/saml/metadata 2 urn:oasis:names:tc:SAML:2.0:nameid-format:transient", g.base)
    );
    let lint = Command::new("xmllint").arg("--noout").arg(&path).status().expect("xmllint (libxml2-utils)");
    assert!(lint.success());

    // Metrics count requests by route and status.
    let metrics = c.get(g.url("/metrics")).send().unwrap().text().unwrap();
    assert!(metrics.contains("samlgate_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/saml/metadata\""), "{metrics}");

    // Unknown pages: 404 with a correlation id, JSON when asked for.
    let r = c.get(g.url("/nope")).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 404);
    let j: serde_json::Value = r.json().unwrap();
    assert_eq!(j["error"], "not_found");
    assert!(j["correlation_id"].as_str().unwrap().len() >= 16);

    // SIGTERM: graceful stop with exit 0.
    let status = g.stop();
    assert!(status.success(), "{status}");
}

#[test]
fn restart_keeps_keys_and_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[]);
    let first = client().get(g.url("/saml/metadata")).send().unwrap().text().unwrap();
    let port = g.port;
    g.stop();
    let g = Gateway::start_on(tmp.path(), port, &[]);
    let second = client().get(g.url("/saml/metadata")).send().unwrap().text().unwrap();
    assert_eq!(first, second);
}

#[test]
fn init_warns_about_values_huawei_will_refuse() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(tmp.path(), &["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("idp.entity_id") && out.contains("not https"), "{out}");
    assert!(out.contains("x_account_type is still the placeholder"), "{out}");
    assert!(out.contains("huawei.bp_id is not set"), "{out}");

    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        tmp.path(),
        &[
            "init",
            "--base-url",
            "https://sso.partner.example",
            "--x-account-type",
            "acme_IDP",
            "--site",
            "intl",
            "--bp-id",
            "bp-0042",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("warning"), "{out}");
    let cfg = std::fs::read_to_string(tmp.path().join("samlgate.toml")).unwrap();
    assert!(cfg.contains("entity_id = \"https://sso.partner.example/saml/metadata\""), "{cfg}");
    assert!(cfg.contains("site = \"intl\""), "{cfg}");
    assert!(cfg.contains("bp_id = \"bp-0042\""), "{cfg}");
    let md = std::fs::read_to_string(tmp.path().join("metadata/idp-metadata.xml")).unwrap();
    assert!(md.contains("Location=\"https://sso.partner.example/saml/sso\""));

    let o = run(tmp.path(), &["init", "--site", "mars"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("[possible values: cn, intl, eu]"), "{}", stderr(&o));
}

/// Only `init`, `serve` and `demo` create a missing config: every other command exits 2 naming the
/// path and the way out, and writes nothing (a mistyped `--config` is not a fresh install).
#[test]
fn a_missing_config_is_not_created_by_other_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nonexistent/x.toml");
    let commands: &[&[&str]] = &[
        &["bindings", "list"],
        &["keys", "show"],
        &["keys", "generate"],
        &["metadata", "export"],
        &["sp", "list"],
        &["token", "--user", "cust-1"],
        &["admin", "list-users"],
        &["admin", "token", "list"],
        &["audit", "export", "--since", "1d"],
        &["decode", "<x/>"],
        &["preview", "--user", "cust-1"],
        &["keys", "rollover", "prepare"],
        &["assert", "--user", "cust-1"],
    ];
    for args in commands {
        let o = Command::new(bin())
            .arg("--config")
            .arg(&missing)
            .args(*args)
            .current_dir(tmp.path())
            .env_remove("SAMLGATE_CONFIG")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("no config at {}", missing.display())) && err.contains("run `samlgate init` first"),
            "{args:?}: {err}"
        );
    }
    let left: Vec<_> = walk(tmp.path());
    assert!(left.is_empty(), "nothing is written: {left:?}");
    // `init` creates it.
    let o = Command::new(bin()).arg("--config").arg(&missing).arg("init").current_dir(tmp.path()).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(missing.exists());
}

/// `samlgate check`: a fresh `init` is not ready (each placeholder named, exit 1); with real values,
/// an https base URL, Huawei's real metadata (imported by `init`) and an admin user it is (exit 0);
/// `--format json` for automation; the mock SP's stand-in metadata is named as such.
#[test]
fn check_tells_a_fresh_install_from_one_ready_for_production() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(run(dir, &["init"]).status.success());
    let o = run(dir, &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    for named in [
        "✗ server.base_url http://",
        "✗ idp.entity_id http://",
        "✗ huawei.x_account_type is the placeholder `CHANGE_ME_IDP`",
        "✗ huawei.bp_id is not set",
        "✗ handoff.partner_login_url is not set",
        "✗ return_urls.order_paid is not set",
        "✗ no admin user",
        "✓ Huawei's SP metadata (metadata/huawei-sp-metadata.xml) is signed by CN=auth.huaweicloud.com",
        "✓ the IdP key is RSA 2048",
        "通知结果绑定地址 (Notification URL): http://127.0.0.1:8080/huawei/bind",
        "Not ready for production",
    ] {
        assert!(out.contains(named), "{named}: {out}");
    }
    let o = run(dir, &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["ready"], false);
    let failed: Vec<&str> =
        j["items"].as_array().unwrap().iter().filter(|i| i["ok"] == false).map(|i| i["id"].as_str().unwrap()).collect();
    assert!(
        failed.contains(&"x_account_type") && failed.contains(&"bp_id") && failed.contains(&"admin_user"),
        "{failed:?}"
    );

    // Real values: ready.
    let o = run(
        dir,
        &["init", "--base-url", "https://sso.partner.example", "--x-account-type", "acme_IDP", "--bp-id", "0a1b2c3d4e"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "PW"], &[("PW", ADMIN_PASSWORD)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let real = [
        ("SAMLGATE_HANDOFF_PARTNER_LOGIN_URL", "https://www.partner.example/login"),
        ("SAMLGATE_RETURN_URLS_AFTER_LOGOUT", "https://www.partner.example/"),
        ("SAMLGATE_RETURN_URLS_ORDER_PAID", "https://www.partner.example/orders"),
        ("SAMLGATE_RETURN_URLS_RECHARGE", "https://www.partner.example/top-up"),
    ];
    let o = run_env(dir, &["check"], &real);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("Ready for production") && !out.contains('✗'), "{out}");
    assert!(out.contains("通知结果绑定地址 (Notification URL): https://sso.partner.example/huawei/bind"), "{out}");
    let j: serde_json::Value =
        serde_json::from_str(&stdout(&run_env(dir, &["check", "--format", "json"], &real))).unwrap();
    assert_eq!(j["ready"], true, "{j}");

    // A loose key file, a stand-in for Huawei's SP: named.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("certs/idp.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = stdout(&run_env(dir, &["check"], &real));
    assert!(out.contains("is readable by group or others (mode 644)") && out.contains("chmod 600"), "{out}");
    std::fs::set_permissions(dir.join("certs/idp.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let mock = tempfile::tempdir().unwrap();
    let o = run(mock.path(), &["init", "--with-mock-sp"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&run(mock.path(), &["check"]));
    assert!(out.contains("✗ huawei.auth_base_url points at a stand-in"), "{out}");
    // Minting for Huawei's SP, or IdP-initiated SSO to it: not for production.
    let mut minting = real.to_vec();
    minting.push(("SAMLGATE_ADMIN_ALLOW_MINTING_FOR_HUAWEI", "true"));
    let o = run_env(dir, &["check"], &minting);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("✗ admin.allow_minting_for_huawei is on"), "{}", stdout(&o));
    assert!(out.contains("is a stand-in: its ACS is http://127.0.0.1"), "{out}");
}

/// Every file under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.push(p.clone());
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn config_errors_exit_2_and_name_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), &["init"]).status.success());
    let path = tmp.path().join("samlgate.toml");
    let good = std::fs::read_to_string(&path).unwrap();

    std::fs::write(&path, good.replace("assertion_lifetime_secs = 300", "assertion_lifetime_secs = 999999")).unwrap();
    let o = run(tmp.path(), &["metadata", "export", "-o", "-"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("idp.assertion_lifetime_secs"), "{}", stderr(&o));

    std::fs::write(&path, good.replace("[store]", "[store]\nurll = \"x\"")).unwrap();
    let o = run(tmp.path(), &["serve"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("urll"), "{}", stderr(&o));

    std::fs::write(&path, &good).unwrap();
    let o = run_env(tmp.path(), &["metadata", "export", "-o", "-"], &[("SAMLGATE_SERVER_BASE_URL", "ftp://x")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("server.base_url"), "{}", stderr(&o));

    let o = run_env(tmp.path(), &["metadata", "export", "-o", "-"], &[("SAMLGATE_IDP_NO_SUCH", "1")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("SAMLGATE_IDP_NO_SUCH"), "{}", stderr(&o));

    // Usage errors are 2 as well.
    let o = run(tmp.path(), &["keys", "generate", "--algorithm", "rsa1024"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn keys_generate_show_and_ca_chain_verify_with_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), &["init"]).status.success());
    let before = std::fs::read_to_string(tmp.path().join("metadata/idp-metadata.xml")).unwrap();

    // Refuses to overwrite without --force.
    let o = run(tmp.path(), &["keys", "generate"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));

    let o = run_env(
        tmp.path(),
        &["keys", "generate", "--algorithm", "rsa3072", "--ca", "--ca-passphrase-env", "CA_PASS", "--force"],
        &[("CA_PASS", "correct horse battery")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let certs = tmp.path().join("certs");
    let v = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(certs.join("ca.crt"))
        .arg(certs.join("idp.crt"))
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    // The CA key is encrypted: wrong passphrase fails, right one opens it.
    let bad = Command::new("openssl")
        .args(["pkey", "-noout", "-passin", "pass:wrong", "-in"])
        .arg(certs.join("ca.key"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let ok = Command::new("openssl")
        .args(["pkey", "-noout", "-passin", "pass:correct horse battery", "-in"])
        .arg(certs.join("ca.key"))
        .output()
        .unwrap();
    assert!(ok.status.success());

    let o = run(tmp.path(), &["keys", "show"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("RSA 3072"), "{out}");
    assert!(out.to_lowercase().contains("sha256"), "{out}");
    assert!(out.contains("Days left:"), "{out}");
    assert!(out.contains("SHA-256 fingerprint:"), "{out}");

    // The metadata follows the new key.
    let after = std::fs::read_to_string(tmp.path().join("metadata/idp-metadata.xml")).unwrap();
    assert_ne!(before, after);
    assert!(after.contains(&cert_b64_from_pem(&certs.join("idp.crt"))));
}

#[test]
fn keys_import_refuses_weak_or_mismatched_material() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), &["init"]).status.success());
    let w = tmp.path().join("work");
    std::fs::create_dir(&w).unwrap();
    let sh = |script: &str| {
        let s = Command::new("sh").arg("-c").arg(script).current_dir(&w).output().unwrap();
        assert!(s.status.success(), "{script}: {}", String::from_utf8_lossy(&s.stderr));
    };
    sh(
        "openssl req -x509 -newkey rsa:1024 -nodes -keyout small.key -out small.crt -days 30 -subj /CN=small -sha256 2>/dev/null",
    );
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout a.key -out a.crt -days 30 -subj /CN=a -sha256 2>/dev/null");
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout b.key -out b.crt -days 30 -subj /CN=b -sha256 2>/dev/null");
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout s1.key -out s1.crt -days 30 -subj /CN=s1 -sha1 2>/dev/null");

    for (cert, key, expect) in
        [("small.crt", "small.key", "2048"), ("a.crt", "b.key", "match"), ("s1.crt", "s1.key", "SHA-1")]
    {
        let o = run(
            tmp.path(),
            &["keys", "import", "--cert", w.join(cert).to_str().unwrap(), "--key", w.join(key).to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(1), "{cert}: {}", stdout(&o));
        assert!(stderr(&o).contains(expect), "{cert}: {}", stderr(&o));
    }
    let o = run(
        tmp.path(),
        &["keys", "import", "--cert", w.join("a.crt").to_str().unwrap(), "--key", w.join("a.key").to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(tmp.path().join("metadata/idp-metadata.xml")).unwrap();
    assert!(md.contains(&cert_b64_from_pem(&w.join("a.crt"))));
}

#[test]
fn sp_import_list_and_refusals() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), &["init"]).status.success());
    let o = run(tmp.path(), &["sp", "list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("https://auth.huaweicloud.com/"), "{out}");
    assert!(out.contains("https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer"), "{out}");
    assert!(out.contains("AuthnRequestsSigned=true"), "{out}");

    let corpus = repo().join("tests/data/sp-metadata");
    let mut refused = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("bad-") {
            continue;
        }
        let o = run(tmp.path(), &["sp", "import", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name} was accepted: {}", stdout(&o));
        assert!(stderr(&o).contains("refused"), "{name}: {}", stderr(&o));
        refused += 1;
    }
    assert!(refused >= 10);
    // Nothing was stored by the refused imports.
    let o = run(tmp.path(), &["sp", "list"]);
    assert_eq!(stdout(&o).matches("(from ").count(), 1, "{}", stdout(&o));

    // Plain http URLs are refused without --allow-http.
    let o = run(tmp.path(), &["sp", "import", "http://127.0.0.1:9/metadata.xml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("http"), "{}", stderr(&o));
    // An https URL nobody answers: a clear error within the time limit.
    let o = run(tmp.path(), &["sp", "import", "https://127.0.0.1:9/metadata.xml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot fetch"), "{}", stderr(&o));
}

#[test]
fn metadata_export_to_file_and_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), &["init"]).status.success());
    let o = run(tmp.path(), &["metadata", "export", "-o", "-"]);
    assert!(o.status.success());
    let xml = stdout(&o);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let out = tmp.path().join("IDP Metadata.xml");
    let o = run(tmp.path(), &["metadata", "export", "-o", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(out).unwrap(), xml);
}

#[test]
fn console_hand_off_redirects_to_huawei_once_per_token() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[]);
    let token = |extra: &[&str]| {
        let mut args = vec!["token", "--user", "cust-42", "--raw"];
        args.extend_from_slice(extra);
        let o = run(tmp.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).trim().to_owned()
    };
    let c = client();
    let t = token(&[]);
    let r = c.get(g.url(&format!("/console?token={t}&service=ecs&region=cn-east-3"))).send().unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().unwrap_or_default());
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        loc,
        "https://auth.huaweicloud.com/authui/saml/login?xAccountType=acme_IDP&isFirstLogin=true&service=\
         https%3A%2F%2Fconsole.huaweicloud.com%2Fecm%2F%3Fregion%3Dcn-east-3%23%2Fecs%2Fmanager%2FvmList"
    );
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("samlgate_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    // The same token again: refused as a replay.
    let r = c.get(g.url(&format!("/console?token={t}"))).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 401);
    let j: serde_json::Value = r.json().unwrap();
    assert_eq!(j["error"], "token_replayed");

    // Open redirects are refused before the token is spent.
    let t = token(&[]);
    for bad in ["https://console.huaweicloud.com.evil/", "//evil.example/", "javascript:alert(1)"] {
        let r = c
            .get(g.url("/console"))
            .query(&[("token", t.as_str()), ("service", bad)])
            .header("accept", "application/json")
            .send()
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let j: serde_json::Value = r.json().unwrap();
        assert_eq!(j["error"], "service", "{bad}");
    }
    // Still usable once with a good service.
    let r = c.get(g.url("/console")).query(&[("token", t.as_str()), ("service", "iam")]).send().unwrap();
    assert_eq!(r.status(), 302);

    // A forged token: the page names the failed check and carries the correlation id that is in the log.
    let r = c.get(g.url("/console?token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")).send().unwrap();
    assert_eq!(r.status(), 401);
    let cid = r.headers()["x-correlation-id"].to_str().unwrap().to_owned();
    let html = r.text().unwrap();
    assert!(html.contains("token_algorithm"), "{html}");
    assert!(html.contains(&cid));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(g.log_text().contains(&cid), "correlation id not in the log");

    // Duplicate parameters are refused.
    let t = token(&[]);
    let r = c.get(g.url(&format!("/console?token={t}&service=iam&service=ecs"))).send().unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("duplicate_parameter"));
}

/// Issue 10's journey: `init`, `sp import` of Huawei's real metadata, `serve`, restart — the import
/// stays, whatever `huawei.sp_metadata` names, and `sp list` shows Huawei's real certificate.
#[test]
fn huawei_metadata_import_survives_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let base = format!("http://127.0.0.1:{}", free_port());
    assert!(run(dir, &["init", "--base-url", &base, "--x-account-type", "acme_IDP"]).status.success());
    // The config names another copy of Huawei's SP (same entityID, another key): a stand-in.
    let stand_in = dir.join("stand-in");
    py_sp(&["gen-sp", "--out", stand_in.to_str().unwrap()]);
    let stand_in_md = stand_in.join("sp-metadata.xml");
    let cfg = std::fs::read_to_string(dir.join("samlgate.toml")).unwrap().replace(
        "sp_metadata = \"metadata/huawei-sp-metadata.xml\"",
        &format!("sp_metadata = \"{}\"", stand_in_md.display()),
    );
    std::fs::write(dir.join("samlgate.toml"), cfg).unwrap();

    // sp import of Huawei's real, signed metadata (a path relative to the shell's directory).
    let real = repo().join("tests/data/huawei/huawei-sp-metadata.xml");
    let o = run(dir, &["sp", "import", real.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("imported SP https://auth.huaweicloud.com/"), "{out}");
    assert!(out.contains("RSA 4096"), "{out}");
    assert!(out.contains("SHA-256 70:14:9F:C1"), "{out}");
    assert!(out.contains("not after Jun 18 13:25:00 2028 GMT ("), "{out}");
    assert!(out.contains("days left)"), "{out}");
    assert!(out.contains("signature:   verified (rsa-sha256 over a sha1 digest) by pinned certificate"), "{out}");
    assert!(out.contains("only seeds an empty store"), "{out}");
    assert!(!out.contains("Some("), "debug output in: {out}");

    // serve, then restart: the import is what the gateway keeps, and the start says why.
    for _ in 0..2 {
        let g = Gateway::start(dir, &[]);
        let log = g.log_text();
        assert!(log.contains("the store wins"), "{log}");
        g.stop();
    }
    let o = run(dir, &["sp", "list"]);
    let out = stdout(&o);
    assert!(out.contains("https://auth.huaweicloud.com/ (from ") && out.contains("— Huawei's SP"), "{out}");
    assert!(out.contains("SHA-256 70:14:9F:C1"), "{out}");
    assert!(out.contains("origin:      import"), "{out}");
    assert!(
        out.contains(
            "ACS  HTTP-POST https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer (index 0, default)"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "SLO  HTTP-Redirect https://auth.huaweicloud.com/authui/saml/LogoutServiceHTTPRedirect (response "
        ),
        "{out}"
    );
    assert!(out.contains("warning: huawei.sp_metadata names"), "{out}");
    assert!(!out.contains("Some("), "debug output in: {out}");

    // Importing the configured source again makes config and store agree: no warning any more.
    let o = run(dir, &["sp", "import", stand_in_md.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&run(dir, &["sp", "list"]));
    assert!(!out.contains("warning: huawei.sp_metadata names"), "{out}");
    assert!(out.contains("signature:   unsigned"), "{out}");
}

#[test]
fn tampered_huawei_metadata_is_refused_naming_the_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(run(dir, &["init"]).status.success());
    let real = std::fs::read_to_string(repo().join("tests/data/huawei/huawei-sp-metadata.xml")).unwrap();
    // One byte inside the signed part (an endpoint Location).
    let tampered = real.replacen("/authui/saml/SAMLAssertionConsumer\"", "/authui/saml/SAMLAssertionConsumeR\"", 1);
    assert_eq!(tampered.len(), real.len());
    let p = dir.join("tampered.xml");
    std::fs::write(&p, tampered).unwrap();
    let o = run(dir, &["sp", "import", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("metadata signature refused") && err.contains("digest_mismatch"), "{err}");
    // The good copy from init is what stays, and the refusal is audited.
    let out = stdout(&run(dir, &["sp", "list"]));
    assert!(out.contains("SHA-256 70:14:9F:C1"), "{out}");
    assert!(out.contains("/authui/saml/SAMLAssertionConsumer (index 0"), "{out}");
}

#[test]
fn bindings_add_marks_partner_api_customers_as_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(run(dir, &["init", "--x-account-type", "acme_IDP"]).status.success());
    let o = run(dir, &["bindings", "add", "api-7", "--domain-id", "bad id"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("domainId"), "{}", stderr(&o));
    let o = run(dir, &["bindings", "add", "api-7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("isFirstLogin=false"), "{}", stdout(&o));
    // The account id arrives later (or Huawei's notification fills it in).
    let o = run(dir, &["bindings", "add", "api-7", "--domain-id", "d-77", "--domain-name", "acme77"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&run(dir, &["bindings", "show", "api-7"]));
    assert!(out.contains("d-77") && out.contains("acme77"), "{out}");
    // Another account for the same customer is refused and nothing changes.
    let o = run(dir, &["bindings", "add", "api-7", "--domain-id", "d-99"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already bound to domainId `d-77`"), "{}", stderr(&o));

    // The first jump of that customer says isFirstLogin=false; of another, true.
    let g = Gateway::start(dir, &[]);
    let c = client();
    for (user, first) in [("api-7", "false"), ("web-8", "true")] {
        let t = stdout(&run(dir, &["token", "--user", user, "--raw"])).trim().to_owned();
        let r = c.get(g.url(&format!("/console?token={t}"))).send().unwrap();
        assert_eq!(r.status(), 302);
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(loc.contains(&format!("isFirstLogin={first}")), "{user}: {loc}");
    }
    drop(g);
    let audit = stdout(&run(dir, &["bindings", "list"]));
    assert!(audit.contains("api-7\td-77\tacme77"), "{audit}");
}

#[test]
fn customer_claims_are_checked_before_the_trip_to_huawei() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(run(dir, &["init", "--x-account-type", "acme_IDP"]).status.success());
    // samlgate token refuses what Huawei would refuse, naming the claim and the rule.
    for (flag, value, want) in [
        ("--name", "张三", "claim `name`"),
        ("--mobile", "13900000000", "countrycode-number"),
        ("--email", "not-an-address", "claim `email`"),
    ] {
        let o = run(dir, &["token", "--user", "u-1", flag, value]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}");
        assert!(stderr(&o).contains(want), "{flag}: {}", stderr(&o));
    }
    // The gateway refuses a token carrying such a claim with a 400 naming it, before spending the jti.
    let cfg = std::fs::read_to_string(dir.join("samlgate.toml")).unwrap();
    let secret = cfg.lines().find_map(|l| l.strip_prefix("secret = \"")).unwrap().trim_end_matches('"').to_owned();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims = samlgate::handoff::Claims {
        sub: "u-1".into(),
        iat: now,
        exp: now + 60,
        jti: "jti-claims-1".into(),
        name: Some("张三".into()),
        mobile: None,
        email: None,
    };
    let token = samlgate::handoff::issue(&secret, &claims);
    let g = Gateway::start(dir, &[]);
    let c = client();
    let r = c.get(g.url(&format!("/console?token={token}"))).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 400);
    let j: serde_json::Value = r.json().unwrap();
    assert_eq!(j["error"], "claim", "{j}");
    assert!(j["message"].as_str().unwrap().contains("claim `name`"), "{j}");
    assert!(j["message"].as_str().unwrap().contains("^([a-zA-Z_\\- ][0-9a-zA-Z_\\- ]*)+$"), "{j}");
    // Nothing was spent: a corrected token with the same jti goes through.
    let fixed =
        samlgate::handoff::issue(&secret, &samlgate::handoff::Claims { name: Some("Zhang San".into()), ..claims });
    let r = c.get(g.url(&format!("/console?token={fixed}"))).send().unwrap();
    assert_eq!(r.status(), 302);
}
