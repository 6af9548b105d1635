//! Shared helpers for integration tests: run the `samlgate` binary, start a gateway on a free port.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_samlgate")
}

/// Runs `samlgate --config DIR/samlgate.toml ARGS…` and returns its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    run_env(dir, args, &[])
}

pub fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.arg("--config").arg(dir.join("samlgate.toml")).args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env_remove("SAMLGATE_CONFIG");
    cmd.output().expect("run samlgate")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A port for a child process to listen on. Taken from below the kernel's ephemeral range
/// (32768–60999 on Linux), so that no outgoing connection of a parallel test can grab it between
/// this check and the child's bind (a port from `bind(":0")` can be: CI saw "Address already in
/// use"); each port is handed out once per test process, and only if it is free right now.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const BASE: u32 = 20_000;
    const SPAN: u32 = 12_000;
    let start = std::process::id() % 64 * 150;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(n < SPAN, "no free port left below the ephemeral range");
        let port = (BASE + (start + n) % SPAN) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A gateway process; killed when dropped.
pub struct Gateway {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
    pub base: String,
    pub log: PathBuf,
}

impl Gateway {
    /// `init --base-url http://127.0.0.1:PORT` (unless already initialised) then `serve`.
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Gateway {
        let port = free_port();
        Self::start_on(dir, port, env)
    }

    pub fn start_on(dir: &Path, port: u16, env: &[(&str, &str)]) -> Gateway {
        let base = format!("http://127.0.0.1:{port}");
        if !dir.join("samlgate.toml").exists() {
            let o = run_env(dir, &["init", "--base-url", &base, "--x-account-type", "acme_IDP"], env);
            assert!(o.status.success(), "init failed: {}", stderr(&o));
        }
        let log = dir.join(format!("gateway-{port}.log"));
        let logf = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(bin());
        cmd.arg("--config")
            .arg(dir.join("samlgate.toml"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .current_dir(dir)
            .env("SAMLGATE_SERVER_BASE_URL", &base)
            .env_remove("SAMLGATE_CONFIG")
            .stdout(Stdio::null())
            .stderr(logf);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn samlgate serve");
        let mut g = Gateway { child, port, dir: dir.to_path_buf(), base, log };
        g.wait_ready();
        g
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = client();
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send()
                && r.status().is_success()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("gateway exited with {status}: {}", self.log_text());
            }
            assert!(Instant::now() < deadline, "gateway did not become ready: {}", self.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM and wait: a graceful stop.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            assert!(Instant::now() < deadline, "gateway did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP client that does not follow redirects and keeps cookies.
/// The tests' HTTP client: no redirects followed, cookies kept, and English pages (`Accept-Language:
/// en`; the tests of the Chinese pages ask for `zh-CN` per request).
pub fn client() -> reqwest::blocking::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_LANGUAGE, reqwest::header::HeaderValue::from_static("en"));
    reqwest::blocking::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Path of the interop venv's python (set up by scripts/setup-interop), if present.
pub fn venv_python() -> PathBuf {
    let venv = std::env::var("SAMLGATE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    let py = venv.join("bin/python");
    assert!(py.exists(), "interop venv missing at {}: run scripts/setup-interop (scripts/test does)", py.display());
    py
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the Python SP harness (python3-saml + pysaml2) and returns its JSON; panics with its error.
pub fn py_sp(args: &[&str]) -> serde_json::Value {
    let out = py_sp_raw(args);
    assert!(out.0, "huawei_sp.py {:?} failed: {}", args.first(), out.1);
    out.1
}

/// Runs the harness; (success, JSON).
pub fn py_sp_raw(args: &[&str]) -> (bool, serde_json::Value) {
    let o = Command::new(venv_python())
        .arg(repo().join("tests/interop/huawei_sp.py"))
        .args(args)
        .output()
        .expect("run huawei_sp.py");
    let text = String::from_utf8_lossy(&o.stdout);
    let json = serde_json::from_str(text.trim())
        .unwrap_or_else(|_| serde_json::json!({"error": format!("{} {}", text, String::from_utf8_lossy(&o.stderr))}));
    (o.status.success(), json)
}

/// Undoes HTML escaping of an attribute value.
pub fn html_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let ent = &tail[1..end];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                u32::from_str_radix(&ent[2..], 16).ok().and_then(char::from_u32)
            }
            _ if ent.starts_with('#') => ent[1..].parse::<u32>().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The auto-post form: (action, field name, message, RelayState).
pub struct PostedForm {
    pub action: String,
    pub field: String,
    pub message: String,
    pub relay_state: Option<String>,
}

pub fn parse_post_form(html: &str) -> PostedForm {
    let attr_after = |marker: &str, attr: &str| -> Option<String> {
        let i = html.find(marker)?;
        let tag_end = html[i..].find('>')? + i;
        let tag = &html[i..tag_end];
        let a = tag.find(&format!("{attr}=\""))? + attr.len() + 2;
        let e = tag[a..].find('"')? + a;
        Some(html_unescape(&tag[a..e]))
    };
    let action = attr_after("<form", "action").expect("form action");
    let (field, message) = if html.contains("name=\"SAMLResponse\"") {
        ("SAMLResponse".to_owned(), attr_after("name=\"SAMLResponse\"", "value"))
    } else {
        ("SAMLRequest".to_owned(), attr_after("name=\"SAMLRequest\"", "value"))
    };
    PostedForm {
        action,
        field,
        message: message.expect("message value"),
        relay_state: attr_after("name=\"RelayState\"", "value"),
    }
}

/// A self-signed SHA-256 certificate for `key` (subject and issuer `CN=<cn>`, random 64-bit serial, valid
/// for 30 days from now).
pub fn self_signed(key: &openssl::pkey::PKeyRef<openssl::pkey::Private>, cn: &str) -> openssl::x509::X509 {
    use openssl::hash::MessageDigest;
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = openssl::x509::X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let mut serial = openssl::bn::BigNum::new().unwrap();
    serial.rand(64, openssl::bn::MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(30).unwrap()).unwrap();
    b.sign(key, MessageDigest::sha256()).unwrap();
    b.build()
}

/// A fresh RSA-2048 key and a self-signed SHA-256 certificate for it (a test SP's signing key).
pub fn rsa_key_and_cert(cn: &str) -> (openssl::pkey::PKey<openssl::pkey::Private>, openssl::x509::X509) {
    let key = openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
    let cert = self_signed(&key, cn);
    (key, cert)
}

/// A test SP (entityID `https://<host>/`, ACS `https://<host>/acs`, SLO `…/slo` with ResponseLocation
/// `…/slo/response`, signed requests) with a fresh key; its metadata is written to `path`.
pub fn write_test_sp(host: &str, path: &Path) -> (openssl::pkey::PKey<openssl::pkey::Private>, openssl::x509::X509) {
    use samlgate::saml::metadata::{SpMetadataParams, sp_metadata_xml};
    let (key, cert) = rsa_key_and_cert(host);
    let md = sp_metadata_xml(&SpMetadataParams {
        entity_id: format!("https://{host}/"),
        acs_post_url: format!("https://{host}/acs"),
        slo_redirect_url: format!("https://{host}/slo"),
        slo_redirect_response_url: format!("https://{host}/slo/response"),
        slo_post_url: None,
        signing_cert_der: cert.to_der().unwrap(),
        authn_requests_signed: true,
        want_assertions_signed: true,
    })
    .unwrap();
    std::fs::write(path, md).unwrap();
    (key, cert)
}

/// Hands the posted form to the Python SP harness (`consume`): the response is written to a file in
/// `work`, the form's RelayState is passed along; `extra` adds options such as `--verifier onelogin`.
pub fn py_consume(
    sp_dir: &Path,
    idp_md: &Path,
    work: &Path,
    request_id: &str,
    form: &PostedForm,
    extra: &[&str],
) -> (bool, serde_json::Value) {
    let resp_file = work.join(format!("resp-{request_id}.b64"));
    std::fs::write(&resp_file, &form.message).unwrap();
    let at = format!("@{}", resp_file.display());
    let mut args = vec![
        "consume",
        "--sp-dir",
        sp_dir.to_str().unwrap(),
        "--idp-metadata",
        idp_md.to_str().unwrap(),
        "--request-id",
        request_id,
        "--saml-response",
        &at,
    ];
    if let Some(rs) = &form.relay_state {
        args.push("--relay-state");
        args.push(rs);
    }
    args.extend_from_slice(extra);
    py_sp_raw(&args)
}

/// A form body or query with its `Signature` value percent-encoded another way (same decoded bytes): escapes
/// in lower case, or (`needless`) every letter escaped as well.
pub fn reencode_signature(body: &str, needless: bool) -> String {
    body.split('&')
        .map(|field| match field.strip_prefix("Signature=") {
            Some(v) => {
                let decoded = samlgate::saml::redirect::form_decode(v, "Signature").unwrap();
                let mut out = String::from("Signature=");
                for b in decoded.bytes() {
                    if b.is_ascii_alphanumeric() && !(needless && b.is_ascii_alphabetic()) {
                        out.push(b as char);
                    } else {
                        out.push_str(&format!("%{b:02x}"));
                    }
                }
                out
            }
            None => field.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// An SSO hop as a customer makes it against `g` (config in `dir`): "go to console" with a hand-off
/// token for `user`, then an AuthnRequest of the SP `https://{sp_host}/` (imported from
/// [`write_test_sp`]'s metadata) signed with `sp_key` over the Redirect binding: the XML of the
/// Response the gateway posts.
pub fn sso_hop(
    g: &Gateway,
    dir: &Path,
    sp_host: &str,
    sp_key: &samlgate::saml::dsig::SigningKey,
    user: &str,
) -> String {
    use base64::Engine as _;
    use samlgate::saml::redirect::{MessageParam, encode_redirect_query};
    let c = client();
    let t = stdout(&run(dir, &["token", "--user", user, "--raw"])).trim().to_owned();
    let r = c.get(g.url(&format!("/console?token={t}"))).send().unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().unwrap_or_default());
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let dest = g.url("/saml/sso");
    let xml = std::fs::read_to_string(repo().join("tests/data/corpus/authn/ok.xml"))
        .unwrap()
        .replace("{ID}", &format!("_hop{}", uuid::Uuid::new_v4().simple()))
        .replace("{NOW}", &now)
        .replace("{DEST}", &dest)
        .replace("{ISSUER}", &format!("https://{sp_host}/"))
        .replace("{ACS}", &format!("https://{sp_host}/acs"));
    let q = encode_redirect_query(MessageParam::SamlRequest, &xml, Some("rs"), Some(sp_key)).unwrap();
    let r = c.get(format!("{dest}?{q}")).send().unwrap();
    assert_eq!(r.status(), 200);
    let form = parse_post_form(&r.text().unwrap());
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&form.message).unwrap()).unwrap()
}

/// `xmlsec1 --verify` of the Assertion's signature with the PEM certificate `cert` only (a file in
/// `work` holds the XML).
pub fn assertion_verifies(xml: &str, cert: &Path, work: &Path) -> bool {
    let f = work.join("hop-response.xml");
    std::fs::write(&f, xml).unwrap();
    let o = Command::new("xmlsec1")
        .args(["--verify", "--enabled-key-data", "key-name", "--pubkey-cert-pem"])
        .arg(cert)
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"])
        .args(["--node-xpath", "//*[local-name()='Assertion']/*[local-name()='Signature']"])
        .arg(&f)
        .output()
        .expect("xmlsec1 (Debian package xmlsec1)");
    o.status.success()
}

/// The admin password of [`start_with_admin`].
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// `init` in `dir` on a free port, admin user `ops` ([`ADMIN_PASSWORD`]), then `serve`.
pub fn start_with_admin(dir: &Path) -> Gateway {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let o = run(dir, &["init", "--base-url", &base, "--x-account-type", "acme_IDP"]);
    assert!(o.status.success(), "init: {}", stderr(&o));
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "ADMIN_PW"], &[("ADMIN_PW", ADMIN_PASSWORD)]);
    assert!(o.status.success(), "add-user: {}", stderr(&o));
    Gateway::start_on(dir, port, &[])
}

/// The value of the first hidden `csrf` field of an admin page.
pub fn csrf_field(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

/// Signs `c` in as `ops`; returns the admin session's CSRF token.
pub fn admin_sign_in(g: &Gateway, c: &reqwest::blocking::Client) -> String {
    admin_sign_in_as(g, c, "ops", ADMIN_PASSWORD)
}

/// Signs `c` in as `name`; returns the admin session's CSRF token.
pub fn admin_sign_in_as(g: &Gateway, c: &reqwest::blocking::Client, name: &str, password: &str) -> String {
    let page = c.get(g.url("/admin/login")).send().unwrap().text().unwrap();
    let r = c
        .post(g.url("/admin/login"))
        .form(&[("csrf", csrf_field(&page).as_str()), ("name", name), ("password", password)])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in");
    csrf_field(&c.get(g.url("/admin")).send().unwrap().text().unwrap())
}
