//! Zero-downtime IdP key rollover (`samlgate keys rollover prepare|activate|retire`, `/admin/keys`):
//! the metadata publishes two keys after *prepare* while the old key still signs (`xmlsec1 --verify`
//! with the old certificate), the new key signs after *activate* (and the old certificate no longer
//! verifies), *retire* drops the old one; steps out of order are refused; key files are mode 0600;
//! each step is audited; a running gateway follows the key directory without a restart (SIGHUP here,
//! every minute otherwise); `/metrics` shows the certificate's time left.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, LOCATION, ORIGIN};
use samlgate::saml::dsig::{SignatureAlgorithm, SigningKey};

const SP_HOST: &str = "sp.rollover.test";
const PASSWORD: &str = "correct horse battery staple";

struct Env {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    g: Gateway,
    sp_key: SigningKey,
}

/// A gateway whose SP is a test SP with a fresh key (rate limits off); with an admin user `ops`.
fn setup() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("sp.xml");
    let (pkey, cert) = write_test_sp(SP_HOST, &md);
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let o = run(&dir, &["init", "--base-url", &base, "--x-account-type", "acme_IDP"]);
    assert!(o.status.success(), "init: {}", stderr(&o));
    let o = run_env(&dir, &["admin", "add-user", "ops", "--password-env", "ADMIN_PW"], &[("ADMIN_PW", PASSWORD)]);
    assert!(o.status.success(), "add-user: {}", stderr(&o));
    let g = Gateway::start_on(
        &dir,
        port,
        &[("SAMLGATE_HUAWEI_SP_METADATA", md.to_str().unwrap()), ("SAMLGATE_SERVER_RATE_LIMIT_PER_MINUTE", "0")],
    );
    let sp_key = SigningKey::new(pkey, cert.to_der().unwrap(), SignatureAlgorithm::RsaSha256).unwrap();
    Env { _tmp: tmp, dir, g, sp_key }
}

impl Env {
    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let o = run(&self.dir, args);
        (o.status.code().unwrap_or(-1), stdout(&o), stderr(&o))
    }

    /// "Go to console", then a signed AuthnRequest of the test SP: the posted Response's XML.
    fn hop(&self) -> String {
        sso_hop(&self.g, &self.dir, SP_HOST, &self.sp_key, "cust-roll")
    }

    fn metadata(&self) -> String {
        client().get(self.g.url("/saml/metadata")).send().unwrap().text().unwrap()
    }

    /// SIGHUP (re-read the key directory), then waits until `/saml/metadata` satisfies `done`.
    fn hup_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let s = Command::new("kill").arg("-HUP").arg(self.g.child.id().to_string()).status().unwrap();
        assert!(s.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let md = self.metadata();
            if done(&md) {
                return md;
            }
            assert!(
                Instant::now() < deadline,
                "the running gateway did not pick up {what}: {md}\n{}",
                self.g.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn cert(&self, name: &str) -> PathBuf {
        self.dir.join("certs").join(name)
    }

    fn audit(&self, kind: &str) -> Vec<samlgate::store::AuditEvent> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store = samlgate::store::open("sqlite://data/samlgate.db", &self.dir).await.unwrap();
            store.list_audit(100, Some(kind)).await.unwrap()
        })
    }
}

fn signing_descriptors(md: &str) -> usize {
    md.matches("<md:KeyDescriptor use=\"signing\">").count()
}

/// The base64 certificate of a PEM file, as the metadata carries it.
fn cert_b64(path: &Path) -> String {
    let pem = std::fs::read(path).unwrap();
    let der = openssl::x509::X509::from_pem(&pem).unwrap().to_der().unwrap();
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// The certificates of the metadata's signing KeyDescriptors, in order.
fn signing_certs(md: &str) -> Vec<String> {
    md.split("<md:KeyDescriptor use=\"signing\">")
        .skip(1)
        .map(|part| {
            let i = part.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
            let e = part.find("</ds:X509Certificate>").unwrap();
            part[i..e].to_owned()
        })
        .collect()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn cli_rollover_publishes_then_switches_then_retires_and_a_running_gateway_follows() {
    let e = setup();
    let work = e.dir.clone();
    let old = work.join("old.crt");
    std::fs::copy(e.cert("idp.crt"), &old).unwrap();
    assert_eq!(signing_descriptors(&e.metadata()), 1);

    // Out of order before anything: refused (exit 1), nothing written.
    let (code, _, err) = e.cli(&["keys", "rollover", "activate"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no next key is prepared"), "{err}");
    let (code, _, err) = e.cli(&["keys", "rollover", "retire"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no previous key"), "{err}");
    assert!(!e.cert("idp-next.key").exists());
    let (code, _, err) = e.cli(&["keys", "rollover", "prepare", "--algorithm", "dsa"]);
    assert_eq!(code, 2, "a bad option is a usage error: {err}");

    // prepare: two signing KeyDescriptors, the current one first; signing goes on with the old key.
    let (code, out, err) = e.cli(&["keys", "rollover", "prepare"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Partner Center") && out.contains("keys rollover activate"), "{out}");
    assert_eq!(mode(&e.cert("idp-next.key")), 0o600);
    assert_eq!(mode(&e.cert("idp.key")), 0o600);
    let (code, exported, _) = e.cli(&["metadata", "export", "-o", "-"]);
    assert_eq!(code, 0);
    assert_eq!(signing_certs(&exported), vec![cert_b64(&old), cert_b64(&e.cert("idp-next.crt"))]);
    let file = std::fs::read_to_string(work.join("metadata/idp-metadata.xml")).unwrap();
    assert_eq!(file, exported, "the step rewrote idp.metadata_file");
    let (code, shown, _) = e.cli(&["keys", "show"]);
    assert_eq!(code, 0);
    for needle in ["current — signs", "next — published", "SHA-256 fingerprint:", "Days left:", "Not after:"] {
        assert!(shown.contains(needle), "{needle}: {shown}");
    }
    for step in ["prepare", "retire"] {
        let (code, _, err) = e.cli(&["keys", "rollover", step]);
        assert_eq!(code, 1, "{step} after prepare: {err}");
    }

    let md = e.hup_until("prepare", |md| signing_descriptors(md) == 2);
    assert_eq!(md, exported, "every replica publishes the same keys");
    let xml = e.hop();
    assert!(assertion_verifies(&xml, &old, &work), "after prepare the old key signs");
    assert!(!assertion_verifies(&xml, &e.cert("idp-next.crt"), &work));

    // /metrics: the current certificate's time left (~10 years) and the next key's presence.
    let m = client().get(e.g.url("/metrics")).send().unwrap().text().unwrap();
    let line = m.lines().find(|l| l.starts_with("samlgate_idp_cert_expiry_seconds{state=\"current\"}")).expect(&m);
    let secs: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(secs > 3640.0 * 86_400.0 && secs <= 3650.0 * 86_400.0, "{line}");
    assert!(m.contains("samlgate_idp_keys{state=\"next\"} 1"), "{m}");

    // activate: the new key signs, the old certificate stays published (second).
    let next = work.join("next.crt");
    std::fs::copy(e.cert("idp-next.crt"), &next).unwrap();
    let (code, out, err) = e.cli(&["keys", "rollover", "activate"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("keys rollover retire"), "{out}");
    assert_eq!(cert_b64(&e.cert("idp.crt")), cert_b64(&next), "the config's idp.cert names the current key");
    assert_eq!(mode(&e.cert("idp.key")), 0o600);
    assert!(!e.cert("idp-next.key").exists() && e.cert("idp-previous.crt").exists());
    let md = e.hup_until("activate", |md| signing_certs(md).first() == Some(&cert_b64(&next)));
    assert_eq!(signing_certs(&md), vec![cert_b64(&next), cert_b64(&old)]);
    let xml = e.hop();
    assert!(assertion_verifies(&xml, &next, &work), "after activate the new key signs");
    assert!(!assertion_verifies(&xml, &old, &work), "and the old one does not");
    for step in ["prepare", "activate"] {
        let (code, _, err) = e.cli(&["keys", "rollover", step]);
        assert_eq!(code, 1, "{step} after activate: {err}");
    }
    let (code, _, err) = e.cli(&["keys", "generate", "--force"]);
    assert_eq!(code, 1, "no replacing the key in the middle of a rollover: {err}");

    // retire: one KeyDescriptor again; the certificate is moved aside.
    let (code, out, err) = e.cli(&["keys", "rollover", "retire"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("retired/"), "{out}");
    assert!(!e.cert("idp-previous.crt").exists());
    assert_eq!(std::fs::read_dir(e.cert("retired")).unwrap().count(), 1);
    let md = e.hup_until("retire", |md| signing_descriptors(md) == 1);
    assert_eq!(signing_certs(&md), vec![cert_b64(&next)]);
    let (_, exported, _) = e.cli(&["metadata", "export", "-o", "-"]);
    assert_eq!(signing_descriptors(&exported), 1);
    assert!(assertion_verifies(&e.hop(), &next, &work));
    let (code, _, err) = e.cli(&["keys", "rollover", "retire"]);
    assert_eq!(code, 1, "{err}");

    // Audited once each, by the CLI, with fingerprints and never key material.
    for kind in ["keys.prepare", "keys.activate", "keys.retire"] {
        let events = e.audit(kind);
        assert_eq!(events.len(), 1, "{kind}: {events:?}");
        let d: serde_json::Value = serde_json::from_str(&events[0].detail_json).unwrap();
        assert_eq!(d["via"], "cli", "{d}");
        assert!(!events[0].detail_json.contains("PRIVATE"), "{d}");
    }
    let subject = &e.audit("keys.activate")[0].subject;
    let next_fp = openssl::x509::X509::from_pem(&std::fs::read(&next).unwrap())
        .unwrap()
        .digest(openssl::hash::MessageDigest::sha256())
        .unwrap();
    assert_eq!(subject.replace(':', ""), hex::encode_upper(next_fp));
    // The gateway logged the switches, never a key.
    let log = e.g.log_text();
    assert!(log.contains("the IdP keys changed"), "{log}");
    assert!(!log.contains("PRIVATE KEY"));
}

/// The value of the first hidden `csrf` field.
fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    let e = html[i..].find('"').unwrap() + i;
    html[i..e].to_owned()
}

fn sign_in(e: &Env, c: &reqwest::blocking::Client) -> String {
    let page = c.get(e.g.url("/admin/login")).send().unwrap().text().unwrap();
    let r = c
        .post(e.g.url("/admin/login"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("name", "ops"), ("password", PASSWORD)])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c.get(e.g.url("/admin/keys")).send().unwrap().text().unwrap();
    csrf_of(&page)
}

fn post(c: &reqwest::blocking::Client, url: &str, form: &[(&str, &str)]) -> reqwest::blocking::Response {
    c.post(url).form(form).send().unwrap()
}

/// GET `/admin/keys`: 200, the page's ids, no inline style.
fn keys_page(e: &Env, c: &reqwest::blocking::Client) -> String {
    let r = c.get(e.g.url("/admin/keys")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().unwrap();
    for id in ["id=\"keys\"", "id=\"prepare\"", "id=\"activate\"", "id=\"retire\"", "id=\"nav-keys\""] {
        assert!(page.contains(id), "{id}: {page}");
    }
    assert!(!page.contains("<style") && !page.contains("style=") && !page.contains("<script"), "{page}");
    page
}

/// A step posted from the page: 303 to the page, which then says what was done.
fn step(e: &Env, c: &reqwest::blocking::Client, csrf: &str, name: &str) -> String {
    let r = post(c, &e.g.url(&format!("/admin/keys/{name}")), &[("csrf", csrf)]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name}: {}", r.text().unwrap_or_default());
    assert_eq!(r.headers()[LOCATION], format!("/admin/keys?done={name}").as_str());
    let page = c.get(e.g.url(&format!("/admin/keys?done={name}"))).send().unwrap().text().unwrap();
    assert!(page.contains("id=\"done\""), "{page}");
    page
}

#[test]
fn admin_page_runs_the_rollover_with_csrf_and_refuses_steps_out_of_order() {
    let e = setup();
    let c = client();
    // Without a session: to the sign-in page; a POST is refused.
    let r = c.get(e.g.url("/admin/keys")).send().unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(post(&c, &e.g.url("/admin/keys/prepare"), &[]).status(), StatusCode::UNAUTHORIZED);

    let csrf = sign_in(&e, &c);
    let page = keys_page(&e, &c);
    assert!(page.contains("id=\"key-current\"") && !page.contains("id=\"key-next\""), "{page}");
    assert!(page.contains("No rollover is under way"), "{page}");

    // CSRF: no token, a wrong token, another origin — refused, nothing prepared.
    assert_eq!(post(&c, &e.g.url("/admin/keys/prepare"), &[]).status(), StatusCode::FORBIDDEN);
    assert_eq!(post(&c, &e.g.url("/admin/keys/prepare"), &[("csrf", "0".repeat(64).as_str())]).status(), 403);
    let r = c
        .post(e.g.url("/admin/keys/prepare"))
        .header(ORIGIN, "https://evil.example")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!e.cert("idp-next.key").exists());

    // Out of order: a clear message on the page, 409.
    for (name, says) in [("activate", "No next key is prepared"), ("retire", "no previous key to retire")] {
        let r = post(&c, &e.g.url(&format!("/admin/keys/{name}")), &[("csrf", &csrf)]);
        assert_eq!(r.status(), StatusCode::CONFLICT, "{name}");
        let page = r.text().unwrap();
        assert!(page.contains("id=\"error\"") && page.contains(says), "{name}: {page}");
    }
    let r = post(&c, &e.g.url("/admin/keys/prepare"), &[("csrf", &csrf), ("algorithm", "dsa")]);
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // prepare (ECDSA this time): published at once by this gateway; the page says to upload the metadata.
    let r = post(&c, &e.g.url("/admin/keys/prepare"), &[("csrf", &csrf), ("algorithm", "ecdsa-p256")]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().unwrap_or_default());
    let page = c.get(e.g.url("/admin/keys?done=prepare")).send().unwrap().text().unwrap();
    assert!(page.contains("id=\"done\"") && page.contains("upload it in Partner Center"), "{page}");
    assert!(page.contains("id=\"key-next\"") && page.contains("ECDSA P-256"), "{page}");
    assert!(page.contains("id=\"algorithm-note\"") && page.contains("ecdsa-sha256"), "{page}");
    assert_eq!(mode(&e.cert("idp-next.key")), 0o600);
    assert_eq!(signing_descriptors(&e.metadata()), 2);
    let overview = c.get(e.g.url("/admin")).send().unwrap().text().unwrap();
    assert!(overview.contains("Key rollover under way"), "{overview}");
    let zh = c.get(e.g.url("/admin/keys")).header(ACCEPT_LANGUAGE, "zh-CN").send().unwrap().text().unwrap();
    assert!(zh.contains("下一个 · 已发布") && zh.contains("伙伴中心"), "{zh}");
    let r = post(&c, &e.g.url("/admin/keys/prepare"), &[("csrf", &csrf)]);
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().unwrap().contains("A next key is already prepared"));

    // activate on a gateway configured for RSA-SHA256: refused (it would switch every SP, Huawei's
    // among them, to ECDSA), naming the setting; nothing changed.
    let r = post(&c, &e.g.url("/admin/keys/activate"), &[("csrf", &csrf)]);
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().unwrap();
    assert!(
        page.contains("idp.signature_algorithm = &#34;ecdsa-sha256&#34;")
            || page.contains("idp.signature_algorithm = \"ecdsa-sha256\""),
        "{page}"
    );
    assert!(e.cert("idp-next.key").exists());
    // activate where idp.signature_algorithm says ECDSA (a replica's CLI configured for it): the ECDSA
    // key signs (the RSA-configured gateway follows the key's family).
    let next = e.dir.join("next.crt");
    std::fs::copy(e.cert("idp-next.crt"), &next).unwrap();
    let o = run_env(&e.dir, &["keys", "rollover", "activate"], &[("SAMLGATE_IDP_SIGNATURE_ALGORITHM", "ecdsa-sha256")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = keys_page(&e, &c);
    assert!(page.contains("id=\"key-previous\""), "{page}");
    let md = e.metadata();
    assert_eq!(signing_certs(&md).first(), Some(&cert_b64(&next)));
    let xml = e.hop();
    assert!(xml.contains("xmldsig-more#ecdsa-sha256"), "{xml}");
    assert!(assertion_verifies(&xml, &next, &e.dir));

    // retire.
    let page = step(&e, &c, &csrf, "retire");
    assert!(!page.contains("id=\"key-previous\"") && page.contains("again"), "{page}");
    assert_eq!(signing_descriptors(&e.metadata()), 1);

    for kind in ["keys.prepare", "keys.retire"] {
        let events = e.audit(kind);
        assert_eq!(events.len(), 1, "{kind}");
        assert_eq!(events[0].actor, "ops");
        let d: serde_json::Value = serde_json::from_str(&events[0].detail_json).unwrap();
        assert_eq!(d["via"], "admin", "{d}");
        assert_eq!(d["client"], "127.0.0.1", "{d}");
    }
    let activated = e.audit("keys.activate");
    assert_eq!(activated.len(), 1, "the refused activate is not a step");
    assert!(activated[0].detail_json.contains("\"via\":\"cli\""), "{}", activated[0].detail_json);
}
