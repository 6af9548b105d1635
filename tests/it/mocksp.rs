//! The mock SP (`samlgate mock-sp`, `samlgate demo`) driven over HTTP the way a browser would: the
//! partner page's hand-off, the first jump (isFirstLogin=true) through the gateway's auto-post form to
//! the mock's ACS, the bind page and the signed binding notification to the gateway, the second jump
//! (isFirstLogin=false), and single logout. Then the mock's own verifier is attacked: tampered,
//! unsigned, wrongly signed, replayed, mis-addressed and expired responses must be refused with the
//! check that failed named.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use samlgate::saml::dsig::{SignatureAlgorithm, SigningKey};
use samlgate::saml::redirect::parse_redirect_query;
use samlgate::saml::response::{self, ResponseParams};

const XAT: &str = "samlgate_mock_IDP";

/// `samlgate demo` on two free ports in a temporary directory; killed when dropped.
struct Demo {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    child: Child,
    gw: String,
    sp: String,
    log: PathBuf,
}

fn wait_healthy(url: &str, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let c = client();
    loop {
        if let Ok(r) = c.get(url).send()
            && r.status().is_success()
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("process exited with {status}: {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        assert!(
            Instant::now() < deadline,
            "{url} did not come up: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Demo {
    fn start() -> Demo {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        let (gp, sp) = (free_port(), free_port());
        let log = tmp.path().join("demo.log");
        let mut child = Command::new(bin())
            .args(["demo", "--dir", dir.to_str().unwrap()])
            .args(["--bind", &format!("127.0.0.1:{gp}"), "--mock-sp-bind", &format!("127.0.0.1:{sp}")])
            .current_dir(tmp.path())
            .env_remove("SAMLGATE_CONFIG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn samlgate demo");
        let gw = format!("http://127.0.0.1:{gp}");
        let sp = format!("http://127.0.0.1:{sp}");
        wait_healthy(&format!("{gw}/healthz"), &mut child, &log);
        wait_healthy(&format!("{sp}/healthz"), &mut child, &log);
        Demo { _tmp: tmp, dir, child, gw, sp, log }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn acs(&self) -> String {
        format!("{}/authui/saml/SAMLAssertionConsumer", self.sp)
    }

    fn idp_entity(&self) -> String {
        format!("{}/saml/metadata", self.gw)
    }

    fn idp_key(&self) -> SigningKey {
        key_from(&self.dir.join("certs/idp.key"), &self.dir.join("certs/idp.crt"))
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn key_from(key: &Path, cert: &Path) -> SigningKey {
    let k = samlgate::keys::IdpKeys::load(key, cert, None).unwrap();
    SigningKey::new(k.pkey.clone(), k.cert_der.clone(), SignatureAlgorithm::RsaSha256).unwrap()
}

fn location(r: &reqwest::blocking::Response) -> String {
    r.headers().get("location").unwrap_or_else(|| panic!("no Location on {}", r.status())).to_str().unwrap().to_owned()
}

fn absolute(base: &str, loc: &str) -> String {
    if loc.starts_with('/') { format!("{base}{loc}") } else { loc.to_owned() }
}

/// The refusal page's named check (header and `#check` element agree).
fn check_of(r: reqwest::blocking::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let header = r.headers().get("x-mocksp-check").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = r.text().unwrap();
    if !header.is_empty() {
        assert!(body.contains(&format!("id=\"check\">{header}<")), "page does not name {header}: {body}");
    }
    (status, header)
}

/// One "go to console" click up to the gateway's auto-post form: (mock login URL, form).
fn jump_to_form(d: &Demo, c: &reqwest::blocking::Client, user: &str) -> (String, PostedForm) {
    let r = c
        .post(format!("{}/partner/go", d.sp))
        .form(&[("user", user), ("name", "Alice Zhang"), ("service", "iam")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let console = location(&r);
    assert!(console.starts_with(&format!("{}/console?token=", d.gw)), "{console}");
    let r = c.get(&console).send().unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().unwrap_or_default());
    let login = location(&r);
    assert!(login.starts_with(&format!("{}/authui/saml/login?xAccountType={XAT}&isFirstLogin=", d.sp)), "{login}");
    let r = c.get(&login).send().unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().unwrap_or_default());
    let sso = location(&r);
    assert!(sso.starts_with(&format!("{}/saml/sso?SAMLRequest=", d.gw)), "{sso}");
    // The AuthnRequest has Huawei's shape and a signature the gateway accepted.
    let q = &sso[sso.find('?').unwrap() + 1..];
    let parsed = parse_redirect_query(q).unwrap();
    let xml = String::from_utf8(parsed.decode_message(64 * 1024).unwrap()).unwrap();
    let req = samlgate::saml::request::parse_authn_request(xml.as_bytes()).unwrap();
    assert!(req.id.starts_with('_'));
    assert!(req.issue_instant.text.len() == 24 && req.issue_instant.text.ends_with('Z'), "{}", req.issue_instant.text);
    assert_eq!(req.acs_url.as_deref(), Some(d.acs().as_str()));
    assert_eq!(req.destination.as_deref(), Some(format!("{}/saml/sso", d.gw).as_str()));
    assert_eq!(req.name_id_policy_sp_name_qualifier.as_deref(), Some(format!("{}/", d.sp).as_str()));
    assert!(parsed.sig_alg_raw.is_some() && parsed.signature_raw.is_some());
    let r = c.get(&sso).send().unwrap();
    assert_eq!(r.status(), 200, "{}", d.log_text());
    let form = parse_post_form(&r.text().unwrap());
    assert_eq!(form.action, d.acs());
    (login, form)
}

fn post_form(c: &reqwest::blocking::Client, f: &PostedForm) -> reqwest::blocking::Response {
    let mut fields = vec![(f.field.as_str(), f.message.as_str())];
    if let Some(rs) = &f.relay_state {
        fields.push(("RelayState", rs));
    }
    c.post(&f.action).form(&fields).send().unwrap()
}

fn html_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let i = html.find(&marker).unwrap_or_else(|| panic!("no field {name}")) + marker.len();
    let e = html[i..].find('"').unwrap() + i;
    html_unescape(&html[i..e])
}

#[test]
fn demo_journey_bind_second_jump_and_logout() {
    let d = Demo::start();
    let c = client();
    // The partner page is up and names the gateway.
    let page = c.get(format!("{}/partner", d.sp)).send().unwrap().text().unwrap();
    assert!(page.contains("id=\"go-to-console\"") && page.contains(&d.gw));

    // First jump: isFirstLogin=true, bind page.
    let (login, form) = jump_to_form(&d, &c, "cust-1001");
    assert!(login.contains("isFirstLogin=true"), "{login}");
    let r = post_form(&c, &form);
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    assert_eq!(location(&r), "/authui/bind");
    let bind = c.get(format!("{}/authui/bind", d.sp)).send().unwrap();
    assert_eq!(bind.status(), 200);
    let bind = bind.text().unwrap();
    assert!(bind.contains("id=\"choice-new\"") && bind.contains(&format!("{}/huawei/bind", d.gw)), "{bind}");

    // Choose "existing account": the mock answers with the auto-submitting notification form.
    let r = c
        .post(format!("{}/authui/bind", d.sp))
        .form(&[("choice", "existing"), ("account_name", "acme-dev")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert!(csp.contains(&format!("frame-src {}", d.gw)), "{csp}");
    let notify = r.text().unwrap();
    assert!(notify.contains(&format!("action=\"{}/huawei/bind\"", d.gw)), "{notify}");
    let bind_request = html_field(&notify, "bindRequest");
    let sig_alg = html_field(&notify, "SigAlg");
    let signature = html_field(&notify, "Signature");
    let json: serde_json::Value = serde_json::from_slice(&B64.decode(&bind_request).unwrap()).unwrap();
    assert_eq!(json["xUserId"], "cust-1001");
    assert_eq!(json["domainName"], "acme-dev");
    assert_eq!(json["userName"], "acme-dev");
    assert_eq!(json["domainId"].as_str().unwrap().len(), 32);
    assert!(json["userId"].is_string());
    // The signature covers `bindRequest=…&SigAlg=…` as the browser form-encodes them, with the mock's key.
    let mock_cert = openssl::x509::X509::from_pem(&std::fs::read(d.dir.join("mock-sp/mock-sp.crt")).unwrap()).unwrap();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let octets = format!("bindRequest={}&SigAlg={}", enc(&bind_request), enc(&sig_alg));
    samlgate::saml::redirect::verify_redirect_signature(octets.as_bytes(), &sig_alg, &signature, &[mock_cert], false)
        .unwrap();

    // The browser posts it to the gateway (BIND: depends on the gateway's POST /huawei/bind).
    let r = client()
        .post(format!("{}/huawei/bind", d.gw))
        .form(&[("bindRequest", &bind_request), ("SigAlg", &sig_alg), ("Signature", &signature)])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "gateway refused the mock's binding notification: {}", r.text().unwrap_or_default());

    // The console page shows who signed in and where they were going.
    let r = c.get(format!("{}/console", d.sp)).send().unwrap();
    assert_eq!(r.status(), 200);
    let console = r.text().unwrap();
    for needle in [
        "id=\"x-user-id\">cust-1001<",
        "id=\"name\">Alice Zhang<",
        "id=\"service\">https://console.huaweicloud.com/iam/<",
        "id=\"first-login\">true<",
        "acme-dev (domainId ",
    ] {
        assert!(console.contains(needle), "{needle} missing in {console}");
    }

    // Second jump: the gateway now knows the binding, so isFirstLogin=false and no bind page.
    let (login, form) = jump_to_form(&d, &c, "cust-1001");
    assert!(login.contains("isFirstLogin=false"), "binding was not stored by the gateway: {login}");
    let r = post_form(&c, &form);
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/console");
    let console = c.get(format!("{}/console", d.sp)).send().unwrap().text().unwrap();
    assert!(console.contains("id=\"first-login\">false<"), "{console}");
    let name_id = {
        let i = console.find("id=\"name-id\">").unwrap() + 13;
        console[i..i + console[i..].find('<').unwrap()].to_owned()
    };

    // Logout (SLO: depends on the gateway's GET /saml/slo): signed LogoutRequest → signed LogoutResponse.
    let r = c.post(format!("{}/authui/logout", d.sp)).send().unwrap();
    assert_eq!(r.status(), 303);
    let slo = location(&r);
    assert!(slo.starts_with(&format!("{}/saml/slo?SAMLRequest=", d.gw)), "{slo}");
    let q = parse_redirect_query(&slo[slo.find('?').unwrap() + 1..]).unwrap();
    let lr = samlgate::saml::request::parse_logout_request(&q.decode_message(64 * 1024).unwrap()).unwrap();
    assert_eq!(lr.name_id, name_id);
    assert_eq!(lr.session_indexes.len(), 1);
    let r = c.get(&slo).send().unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().unwrap_or_default());
    let back = location(&r);
    assert!(back.starts_with(&format!("{}/authui/saml/LogoutServiceHTTPRedirectResponse?SAMLResponse=", d.sp)));
    // A tampered LogoutResponse is refused (signature over the raw octets).
    let tampered = back.replacen("SAMLResponse=", "SAMLResponse=A", 1);
    let (status, check) = check_of(c.get(&tampered).send().unwrap());
    assert_eq!((status, check.as_str()), (403, "signature"));
    let r = c.get(&back).send().unwrap();
    assert_eq!(r.status(), 200);
    let out = r.text().unwrap();
    assert!(out.contains("id=\"title\">Signed out<"), "{out}");
    // Replaying the LogoutResponse finds no outstanding request.
    let (status, check) = check_of(c.get(&back).send().unwrap());
    assert_eq!((status, check.as_str()), (403, "in_response_to"));
    // The mock session is gone, and so is the gateway session: a new AuthnRequest finds no session.
    assert_eq!(c.get(format!("{}/console", d.sp)).send().unwrap().status(), 401);
    let login = format!("{}/authui/saml/login?xAccountType={XAT}&isFirstLogin=false&service=x", d.sp);
    let sso = location(&c.get(&login).send().unwrap());
    let r = c.get(&sso).send().unwrap();
    assert_ne!(r.status(), 200, "gateway still answered after logout");
}

/// An outstanding AuthnRequest of the mock: (request id, RelayState).
fn outstanding(d: &Demo, c: &reqwest::blocking::Client) -> (String, String) {
    let r =
        c.get(format!("{}/authui/saml/login?xAccountType={XAT}&isFirstLogin=false&service=svc", d.sp)).send().unwrap();
    assert_eq!(r.status(), 302);
    let loc = location(&r);
    let q = parse_redirect_query(&loc[loc.find('?').unwrap() + 1..]).unwrap();
    let req = samlgate::saml::request::parse_authn_request(&q.decode_message(64 * 1024).unwrap()).unwrap();
    (req.id, q.relay_state().unwrap().unwrap())
}

/// A change made to a forged response before signing.
type Change = Box<dyn Fn(&mut Forge)>;

struct Forge<'a> {
    key: &'a SigningKey,
    issuer: String,
    destination: String,
    audience: String,
    recipient: String,
    in_response_to: String,
    now: i64,
}

impl Forge<'_> {
    fn xml(&self) -> String {
        let attrs = vec![("xUserId".to_owned(), vec!["cust-9".to_owned()])];
        response::build_response(
            self.key,
            &ResponseParams {
                issuer: &self.issuer,
                destination: &self.destination,
                in_response_to: Some(&self.in_response_to),
                audience: &self.audience,
                recipient: &self.recipient,
                subject_name_id: "_n1",
                name_id_format: response::NAMEID_TRANSIENT,
                name_qualifier: Some(&self.audience),
                sp_name_qualifier: Some(&self.audience),
                subject_locality_address: Some(&self.audience),
                session_index: "_s1",
                authn_instant: self.now,
                now: self.now,
                not_before_skew_secs: 60,
                lifetime_secs: 300,
                attributes: &attrs,
                authn_context_class_ref: response::AC_PASSWORD_PROTECTED_TRANSPORT,
                sign_response: false,
            },
        )
        .unwrap()
        .xml
    }
}

fn post_xml(d: &Demo, c: &reqwest::blocking::Client, xml: &str, relay_state: &str) -> reqwest::blocking::Response {
    let b64 = B64.encode(xml.as_bytes());
    c.post(d.acs()).form(&[("SAMLResponse", b64.as_str()), ("RelayState", relay_state)]).send().unwrap()
}

#[test]
fn mock_acs_refuses_with_the_failed_check_named() {
    let d = Demo::start();
    let c = client();
    let now = samlgate::util::now_unix();
    let idp_key = d.idp_key();
    let forge = |key, irt: &str| Forge {
        key,
        issuer: d.idp_entity(),
        destination: d.acs(),
        audience: format!("{}/", d.sp),
        recipient: d.acs(),
        in_response_to: irt.to_owned(),
        now,
    };

    // A response made by the test with the IdP key and every value right is accepted.
    let (id, rs) = outstanding(&d, &c);
    let r = post_xml(&d, &c, &forge(&idp_key, &id).xml(), &rs);
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());

    // A genuine response from the gateway: tampered, replayed, unsigned.
    let (_, form) = jump_to_form(&d, &c, "cust-2002");
    let genuine = String::from_utf8(B64.decode(&form.message).unwrap()).unwrap();
    assert!(genuine.contains("cust-2002"));
    let tampered = genuine.replace(">cust-2002<", ">cust-6666<");
    assert_ne!(tampered, genuine);
    let rs = form.relay_state.clone().unwrap();
    let (status, check) = check_of(post_xml(&d, &c, &tampered, &rs));
    assert_eq!((status, check.as_str()), (403, "assertion_signature"));
    let unsigned = {
        let s = genuine.find("<ds:Signature").unwrap();
        let e = genuine.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        format!("{}{}", &genuine[..s], &genuine[e..])
    };
    let (status, check) = check_of(post_xml(&d, &c, &unsigned, &rs));
    assert_eq!((status, check.as_str()), (403, "assertion_signature"));
    // Wrong RelayState for this request.
    let (status, check) = check_of(post_xml(&d, &c, &genuine, "not-the-relay-state"));
    assert_eq!((status, check.as_str()), (403, "relay_state"));

    // (The RelayState refusal spent the request: use a fresh one for the replay check.)
    let (_, form) = jump_to_form(&d, &c, "cust-2003");
    let r = post_form(&c, &form);
    assert_eq!(r.status(), 303);
    let (status, check) = check_of(post_form(&c, &form));
    assert_eq!((status, check.as_str()), (403, "assertion_replay"));

    // A fresh assertion answering an already answered request.
    let (id, rs) = outstanding(&d, &c);
    assert_eq!(post_xml(&d, &c, &forge(&idp_key, &id).xml(), &rs).status(), 303);
    let (status, check) = check_of(post_xml(&d, &c, &forge(&idp_key, &id).xml(), &rs));
    assert_eq!((status, check.as_str()), (403, "in_response_to"));

    // Signed with a key that is not the IdP's (here the mock SP's own key).
    let other = key_from(&d.dir.join("mock-sp/mock-sp.key"), &d.dir.join("mock-sp/mock-sp.crt"));
    let (id, rs) = outstanding(&d, &c);
    let (status, check) = check_of(post_xml(&d, &c, &forge(&other, &id).xml(), &rs));
    assert_eq!((status, check.as_str()), (403, "assertion_signature"));

    // Correctly signed by the IdP but not for us, or not now.
    let cases: Vec<(&str, Change)> = vec![
        ("audience", Box::new(|f: &mut Forge| f.audience = "https://auth.huaweicloud.com/".into())),
        ("recipient", Box::new(|f: &mut Forge| f.recipient = "https://evil.example/acs".into())),
        ("destination", Box::new(|f: &mut Forge| f.destination = "https://evil.example/acs".into())),
        ("issuer", Box::new(|f: &mut Forge| f.issuer = "https://other-idp.example/".into())),
        ("time_window", Box::new(|f: &mut Forge| f.now -= 3600)),
        ("time_window", Box::new(|f: &mut Forge| f.now += 3600)),
        ("in_response_to", Box::new(|f: &mut Forge| f.in_response_to = "_never_sent".into())),
    ];
    for (expected, change) in cases {
        let (id, rs) = outstanding(&d, &c);
        let mut f = forge(&idp_key, &id);
        change(&mut f);
        let (status, check) = check_of(post_xml(&d, &c, &f.xml(), &rs));
        assert_eq!((status, check.as_str()), (403, expected));
    }

    // Garbage never panics the mock.
    for body in
        [&b"SAMLResponse=%%%"[..], b"SAMLResponse=PHg+", b"SAMLResponse=a&SAMLResponse=b", b"RelayState=x", b"\xff\xfe"]
    {
        let r = c
            .post(d.acs())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .send()
            .unwrap();
        assert!(r.status().is_client_error(), "{:?} → {}", String::from_utf8_lossy(body), r.status());
    }
    let r =
        c.get(format!("{}/authui/saml/login?xAccountType=other_IDP&isFirstLogin=true&service=x", d.sp)).send().unwrap();
    assert_eq!(check_of(r), (400, "x_account_type".to_owned()));
    assert!(c.get(format!("{}/healthz", d.sp)).send().unwrap().status().is_success());
}

#[test]
fn init_with_mock_sp_then_serve_and_mock_sp_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (gp, sp) = (free_port(), free_port());
    let gw = format!("http://127.0.0.1:{gp}");
    let mock = format!("http://127.0.0.1:{sp}");
    let o = run(dir, &["init", "--base-url", &gw, "--with-mock-sp", "--mock-sp-url", &mock]);
    assert!(o.status.success(), "{}", stderr(&o));
    let toml = std::fs::read_to_string(dir.join("samlgate.toml")).unwrap();
    assert!(toml.contains(&format!("auth_base_url = \"{mock}\"")), "{toml}");
    assert!(toml.contains("sp_metadata = \"mock-sp/sp-metadata.xml\""), "{toml}");
    assert!(toml.contains(&format!("x_account_type = \"{XAT}\"")), "{toml}");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(dir.join("mock-sp/mock-sp.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let md = std::fs::read_to_string(dir.join("mock-sp/sp-metadata.xml")).unwrap();
    assert!(md.contains(&format!("entityID=\"{mock}/\"")) && md.contains("AuthnRequestsSigned=\"true\""));
    assert!(md.contains(&format!("ResponseLocation=\"{mock}/authui/saml/LogoutServiceHTTPRedirectResponse\"")));

    let g = Gateway::start_on(dir, gp, &[]);
    let log = dir.join("mock.log");
    let mut child = Command::new(bin())
        .arg("--config")
        .arg(dir.join("samlgate.toml"))
        .args(["mock-sp", "--bind", &format!("127.0.0.1:{sp}")])
        .current_dir(dir)
        .env_remove("SAMLGATE_CONFIG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    wait_healthy(&format!("{mock}/healthz"), &mut child, &log);
    let _k = Kill(child);
    let c = client();
    // The mock serves the same metadata the gateway imported.
    assert_eq!(c.get(format!("{mock}/metadata")).send().unwrap().text().unwrap(), md);
    // Standalone mock-sp next to the config: the partner page works, and so does the first jump.
    let r = c.post(format!("{mock}/partner/go")).form(&[("user", "cust-3"), ("service", "ecs")]).send().unwrap();
    assert_eq!(r.status(), 303);
    let r = c.get(location(&r)).send().unwrap();
    assert_eq!(r.status(), 302, "{}", g.log_text());
    let login = location(&r);
    assert!(login.starts_with(&format!("{mock}/authui/saml/login?xAccountType={XAT}&isFirstLogin=true")), "{login}");
    let r = c.get(&login).send().unwrap();
    assert_eq!(r.status(), 302, "{}", std::fs::read_to_string(&log).unwrap_or_default());
    let r = c.get(location(&r)).send().unwrap();
    assert_eq!(r.status(), 200, "{}", g.log_text());
    let form = parse_post_form(&r.text().unwrap());
    let r = post_form(&c, &form);
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    assert_eq!(absolute(&mock, &location(&r)), format!("{mock}/authui/bind"));
}

/// A mock page fetched with `Accept-Language: lang` (None: no header at all): its status, the
/// language it says it is in, and its HTML, after the checks every mock page must pass — one
/// language in `<html lang>` and `Content-Language`, `Vary: Accept-Language`, no inline style, a
/// CSP without 'unsafe-inline' that lets the page load its stylesheet.
fn mock_page(
    c: &reqwest::blocking::Client,
    req: reqwest::blocking::RequestBuilder,
    lang: Option<&str>,
) -> (u16, String, String) {
    let req = match lang {
        Some(l) => req.header("accept-language", l),
        None => req,
    };
    let r = c.execute(req.build().unwrap()).unwrap();
    let status = r.status().as_u16();
    let h = |name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (content_language, vary, csp) = (h("content-language"), h("vary"), h("content-security-policy"));
    let body = r.text().unwrap();
    assert!(body.contains(&format!("<html lang=\"{content_language}\">")), "{content_language}: {body}");
    assert!(vary.to_ascii_lowercase().contains("accept-language"), "Vary: {vary}");
    assert!(!body.contains("style=") && !body.contains("<style"), "inline style: {body}");
    assert!(body.contains("href=\"/assets/mocksp.css\""), "{body}");
    assert!(csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    (status, content_language, body)
}

#[test]
fn mock_pages_speak_the_browsers_language_under_a_strict_csp() {
    let d = Demo::start();
    // `client()` sends `Accept-Language: en`; this one sends none.
    let bare = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let c = client();

    // The stylesheet, with both looks.
    let r = bare.get(format!("{}/assets/mocksp.css", d.sp)).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    let css = r.text().unwrap();
    assert!(css.contains("body.partner-demo") && css.contains("body.mocksp") && css.contains(".hidden"), "{css}");

    // The partner page: Chinese, English, and the default (the mock plays Huawei's China site).
    let partner = || bare.get(format!("{}/partner", d.sp));
    for (lang, want_lang, words) in [
        (Some("zh-CN,zh;q=0.9,en;q=0.8"), "zh-CN", ["进入控制台", "您的云资源", "客户 ID（xUserId）"]),
        (Some("en-US,en;q=0.9"), "en", ["Go to console", "Your cloud resources", "Customer ID (xUserId)"]),
        (None, "zh-CN", ["进入控制台", "您的云资源", "客户 ID（xUserId）"]),
        (Some("fr-FR"), "zh-CN", ["进入控制台", "您的云资源", "客户 ID（xUserId）"]),
    ] {
        let (status, got, body) = mock_page(&bare, partner(), lang);
        assert_eq!((status, got.as_str()), (200, want_lang), "{lang:?}");
        assert!(body.contains("id=\"go-to-console\"") && body.contains("class=\"partner-demo\""), "{body}");
        for w in words {
            assert!(body.contains(w), "{lang:?}: {w} missing in {body}");
        }
    }

    // Not signed in yet, and a refusal: the page's words are in the browser's language, the
    // failed check keeps its name.
    let (status, got, body) = mock_page(&bare, bare.get(format!("{}/console", d.sp)), Some("zh-CN"));
    assert_eq!((status, got.as_str()), (401, "zh-CN"));
    assert!(body.contains("id=\"title\">未登录<"), "{body}");
    let (status, _, body) = mock_page(&bare, bare.get(format!("{}/console", d.sp)), None);
    assert_eq!(status, 401);
    assert!(body.contains("id=\"title\">未登录<"), "{body}");
    let (status, _, body) = mock_page(&c, c.get(format!("{}/console", d.sp)), Some("en"));
    assert_eq!(status, 401);
    assert!(body.contains("id=\"title\">Not signed in<"), "{body}");
    let bad_xat = format!("{}/authui/saml/login?xAccountType=other_IDP&isFirstLogin=true&service=x", d.sp);
    let (status, got, body) = mock_page(&bare, bare.get(&bad_xat), Some("zh"));
    assert_eq!((status, got.as_str()), (400, "zh-CN"));
    assert!(
        body.contains("id=\"check\">x_account_type<") && body.contains("xAccountType 与本合作伙伴平台的不一致"),
        "{body}"
    );
    let (_, got, body) = mock_page(&c, c.get(&bad_xat), Some("en"));
    assert_eq!(got, "en");
    assert!(body.contains("id=\"check\">x_account_type<") && body.contains("the mock SP refused this"), "{body}");

    // Signed in (first jump): the bind page, then the notification page and the console.
    let (login, form) = jump_to_form(&d, &c, "cust-4004");
    assert!(login.contains("isFirstLogin=true"), "{login}");
    assert_eq!(post_form(&c, &form).status(), 303);
    let bind = || c.get(format!("{}/authui/bind", d.sp));
    let (status, got, body) = mock_page(&c, bind(), Some("zh-CN"));
    assert_eq!((status, got.as_str()), (200, "zh-CN"));
    assert!(body.contains("id=\"heading\">绑定华为云账号<") && body.contains("id=\"bind\">绑定并继续<"), "{body}");
    assert!(body.contains("id=\"x-user-id\">cust-4004<"), "{body}");
    let (_, got, body) = mock_page(&c, bind(), Some("en"));
    assert_eq!(got, "en");
    assert!(body.contains("id=\"heading\">Bind a HUAWEI CLOUD account<"), "{body}");
    // The default header of `client()` is English.
    let (_, got, _) = mock_page(&c, bind(), None);
    assert_eq!(got, "en");

    let submit = c.post(format!("{}/authui/bind", d.sp)).form(&[("choice", "existing"), ("account_name", "acme-zh")]);
    let r = c.execute(submit.header("accept-language", "zh-CN").build().unwrap()).unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_eq!(r.headers()["content-language"], "zh-CN");
    let notify = r.text().unwrap();
    assert!(csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("script-src 'nonce-") && csp.contains(&format!("frame-src {};", d.gw)), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(notify.contains(&format!("<script nonce=\"{nonce}\">")), "{notify}");
    assert!(notify.contains("<html lang=\"zh-CN\">") && notify.contains("正在绑定您的华为云账号"), "{notify}");
    assert!(notify.contains("class=\"hidden\"") && !notify.contains("style="), "{notify}");
    // The browser posts it to the gateway.
    let r = client()
        .post(format!("{}/huawei/bind", d.gw))
        .form(&[
            ("bindRequest", html_field(&notify, "bindRequest")),
            ("SigAlg", html_field(&notify, "SigAlg")),
            ("Signature", html_field(&notify, "Signature")),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());

    let console = || c.get(format!("{}/console", d.sp));
    let (status, got, body) = mock_page(&c, console(), Some("zh-CN"));
    assert_eq!((status, got.as_str()), (200, "zh-CN"));
    assert!(body.contains("id=\"heading\">欢迎使用华为云控制台（模拟）<"), "{body}");
    assert!(body.contains("id=\"binding\">acme-zh（domainId：") && body.contains("id=\"logout\">退出登录<"), "{body}");
    let (_, got, body) = mock_page(&c, console(), Some("en"));
    assert_eq!(got, "en");
    assert!(body.contains("id=\"heading\">Welcome to the (mock) HUAWEI CLOUD console<"), "{body}");
    assert!(body.contains("id=\"binding\">acme-zh (domainId ") && body.contains("id=\"logout\">Log out<"), "{body}");

    // Log out, and read the signed-out page in Chinese.
    let r = c.post(format!("{}/authui/logout", d.sp)).send().unwrap();
    assert_eq!(r.status(), 303);
    let r = c.get(location(&r)).send().unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().unwrap_or_default());
    let back = location(&r);
    let (status, got, body) = mock_page(&c, c.get(&back), Some("zh-CN"));
    assert_eq!((status, got.as_str()), (200, "zh-CN"));
    assert!(body.contains("id=\"title\">已退出登录<") && body.contains("返回合作伙伴平台"), "{body}");
}
