//! Huawei's binding notification, single logout and the partner return URLs, over HTTP. The Python
//! harness (python3-saml, tests/interop/huawei_sp.py) plays Huawei's SP: it signs the notifications and
//! LogoutRequests and verifies our LogoutResponses.

use std::path::PathBuf;

use crate::common::*;
use base64::Engine as _;

const BYE: &str = "https://partner.example/bye?from=gateway";
const PAID: &str = "https://partner.example/orders/paid";

struct Env {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    sp_dir: PathBuf,
    idp_md: PathBuf,
    sp_md: PathBuf,
    g: Gateway,
}

fn gateway_env(sp_md: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("SAMLGATE_HUAWEI_SP_METADATA", sp_md.to_str().unwrap().to_owned()),
        ("SAMLGATE_RETURN_URLS_AFTER_LOGOUT", BYE.to_owned()),
        ("SAMLGATE_RETURN_URLS_ORDER_PAID", PAID.to_owned()),
    ]
}

fn start(dir: &std::path::Path, sp_md: &std::path::Path, port: Option<u16>) -> Gateway {
    let env = gateway_env(sp_md);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match port {
        Some(p) => Gateway::start_on(dir, p, &env),
        None => Gateway::start(dir, &env),
    }
}

fn setup() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let sp_dir = tmp.path().join("sp");
    py_sp(&["gen-sp", "--out", sp_dir.to_str().unwrap()]);
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    let sp_md = sp_dir.join("sp-metadata.xml");
    let g = start(&dir, &sp_md, None);
    let idp_md = tmp.path().join("idp-metadata.xml");
    let md = client().get(g.url("/saml/metadata")).send().unwrap().text().unwrap();
    std::fs::write(&idp_md, md).unwrap();
    Env { _tmp: tmp, dir, sp_dir, idp_md, sp_md, g }
}

impl Env {
    /// "Go to console": opens a gateway session in `c`; returns (Location, session id).
    fn console(&self, c: &reqwest::blocking::Client, user: &str) -> (String, String) {
        let o = run(&self.dir, &["token", "--user", user, "--raw"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let t = stdout(&o).trim().to_owned();
        let r = c.get(self.g.url(&format!("/console?token={t}&service=iam"))).send().unwrap();
        assert_eq!(r.status(), 302);
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("samlgate_session="))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .expect("session cookie");
        (loc, cookie)
    }

    /// A notification body signed by the Python SP (or another key dir).
    fn signed_bind(&self, sp_dir: &std::path::Path, json: &str, extra: &[&str]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        let enc: String = url::form_urlencoded::byte_serialize(b64.as_bytes()).collect();
        let query = format!("bindRequest={enc}");
        let mut args = vec!["sign-query", "--sp-dir", sp_dir.to_str().unwrap(), "--query", &query];
        args.extend_from_slice(extra);
        py_sp(&args)["query"].as_str().unwrap().to_owned()
    }

    fn post_bind(&self, body: &str) -> (u16, serde_json::Value) {
        self.post_bind_as(body, "application/x-www-form-urlencoded")
    }

    fn post_bind_as(&self, body: &str, content_type: &str) -> (u16, serde_json::Value) {
        let r = client()
            .post(self.g.url("/huawei/bind"))
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(body.to_owned())
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(serde_json::json!({ "body": text })))
    }

    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let o = run(&self.dir, args);
        (o.status.code().unwrap_or(-1), stdout(&o), stderr(&o))
    }

    fn authn_request(&self) -> (String, String) {
        let j = py_sp(&[
            "authn-request",
            "--sp-dir",
            self.sp_dir.to_str().unwrap(),
            "--idp-metadata",
            self.idp_md.to_str().unwrap(),
            "--relay-state",
            "rs",
        ]);
        (j["url"].as_str().unwrap().to_owned(), j["request_id"].as_str().unwrap().to_owned())
    }

    /// Full SSO hop in `c`: (NameID, SessionIndex) as the Python SP read them from our response.
    fn sso(&self, c: &reqwest::blocking::Client) -> (String, String) {
        let (url, request_id) = self.authn_request();
        let r = c.get(&url).send().unwrap();
        assert_eq!(r.status(), 200);
        let form = parse_post_form(&r.text().unwrap());
        let (ok, j) =
            py_consume(&self.sp_dir, &self.idp_md, &self.dir, &request_id, &form, &["--verifier", "onelogin"]);
        assert!(ok, "python3-saml refused our response: {j}");
        let ol = &j["onelogin"];
        (ol["nameid"].as_str().unwrap().to_owned(), ol["session_index"].as_str().unwrap().to_owned())
    }

    fn logout_request(&self, name_id: &str, session_index: &str, relay_state: &str) -> (String, String) {
        let j = py_sp(&[
            "logout-request",
            "--sp-dir",
            self.sp_dir.to_str().unwrap(),
            "--idp-metadata",
            self.idp_md.to_str().unwrap(),
            "--name-id",
            name_id,
            "--session-index",
            session_index,
            "--relay-state",
            relay_state,
        ]);
        (j["url"].as_str().unwrap().to_owned(), j["request_id"].as_str().unwrap().to_owned())
    }

    fn verify_logout_response(&self, url: &str, request_id: &str) -> (bool, serde_json::Value) {
        py_sp_raw(&[
            "verify-logout-response",
            "--sp-dir",
            self.sp_dir.to_str().unwrap(),
            "--idp-metadata",
            self.idp_md.to_str().unwrap(),
            "--url",
            url,
            "--request-id",
            request_id,
        ])
    }

    /// Does the gateway still hold session `sid`? Asked with a fresh client carrying only that cookie.
    fn session_alive(&self, sid: &str) -> bool {
        let (url, _) = self.authn_request();
        let r = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(&url)
            .header("cookie", format!("samlgate_session={sid}"))
            .header("accept", "application/json")
            .send()
            .unwrap();
        match r.status().as_u16() {
            200 => true,
            401 => {
                let j: serde_json::Value = r.json().unwrap();
                assert_eq!(j["error"], "no_session", "{j}");
                false
            }
            s => panic!("unexpected {s}: {}", r.text().unwrap_or_default()),
        }
    }
}

fn get_json(c: &reqwest::blocking::Client, url: &str) -> (u16, serde_json::Value) {
    let r = c.get(url).header("accept", "application/json").send().unwrap();
    let status = r.status().as_u16();
    let body = r.text().unwrap();
    (status, serde_json::from_str(&body).unwrap_or(serde_json::json!({ "body": body })))
}

fn first_login(loc: &str) -> String {
    let u = url::Url::parse(loc).unwrap();
    u.query_pairs().find(|(k, _)| k == "isFirstLogin").map(|(_, v)| v.into_owned()).expect("isFirstLogin")
}

const ALICE: &str = r#"{"xUserId":"cust-b1","domainName":"acme-cloud","domainId":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","userName":"acme-cloud","userId":"9a8b7c6d5e4f","extra":{"ignored":true}}"#;

#[test]
fn binding_notification_first_login_then_bound() {
    let e = setup();
    let c = client();

    // First jump: not bound yet.
    let (loc, _) = e.console(&c, "cust-b1");
    assert_eq!(first_login(&loc), "true", "{loc}");

    // Huawei's notification, signed by the SP key.
    let body = e.signed_bind(&e.sp_dir, ALICE, &[]);
    let (st, j) = e.post_bind(&body);
    assert_eq!(st, 200, "{j}");
    assert_eq!(j["status"], "bound");
    assert_eq!(j["domainId"], "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    let (code, out, _) = e.cli(&["bindings", "show", "cust-b1"]);
    assert_eq!(code, 0);
    assert!(out.contains("domainId:   0f1e2d3c4b5a69788796a5b4c3d2e1f0") && out.contains("acme-cloud"), "{out}");

    // Second jump: bound.
    let (loc, _) = e.console(&c, "cust-b1");
    assert_eq!(first_login(&loc), "false", "{loc}");

    // The same notification again (a reload, a retry): idempotent, shown to the browser as HTML.
    let r = client()
        .post(e.g.url("/huawei/bind"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("already linked") && html.contains("acme-cloud"), "{html}");
    assert!(html.contains("href=\"https://partner.example/bye?from=gateway\""), "{html}");
    let (st, j) = e.post_bind(&body);
    assert_eq!((st, j["status"].as_str()), (200, Some("already_bound")), "{j}");

    // Another HUAWEI CLOUD account for the same customer: refused, the first binding stays.
    let other = ALICE.replace("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "ffffffffffffffffffffffffffffffff");
    let (st, j) = e.post_bind(&e.signed_bind(&e.sp_dir, &other, &[]));
    assert_eq!((st, j["error"].as_str()), (409, Some("binding_conflict")), "{j}");
    let (_, out, _) = e.cli(&["bindings", "show", "cust-b1"]);
    assert!(out.contains("0f1e2d3c4b5a69788796a5b4c3d2e1f0"), "{out}");

    // The binding survives a restart.
    let Env { _tmp, dir, sp_dir, idp_md, sp_md, g } = e;
    let port = g.port;
    g.stop();
    let g = start(&dir, &sp_md, Some(port));
    let e = Env { _tmp, dir, sp_dir, idp_md, sp_md, g };
    let c = client();
    let (loc, _) = e.console(&c, "cust-b1");
    assert_eq!(first_login(&loc), "false", "{loc}");

    // CLI: list, remove (audited), and a replay of the old notification cannot re-create it.
    let (code, out, _) = e.cli(&["bindings", "list"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("cust-b1\t0f1e2d3c4b5a69788796a5b4c3d2e1f0\tacme-cloud\t"), "{out}");
    let (code, out, _) = e.cli(&["bindings", "remove", "cust-b1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("removed"), "{out}");
    let (code, _, err) = e.cli(&["bindings", "show", "cust-b1"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no binding for xUserId `cust-b1`"), "{err}");
    let (st, j) = e.post_bind(&body);
    assert_eq!((st, j["error"].as_str()), (409, Some("replay")), "{j}");
    // Review finding: the same signature bytes, percent-encoded differently, were a fresh key.
    for (what, replayed) in [
        ("lower-case escapes", reencode_signature(&body, false)),
        ("needless escapes", reencode_signature(&body, true)),
    ] {
        assert_ne!(replayed, body, "{what}");
        let (st, j) = e.post_bind(&replayed);
        assert_eq!((st, j["error"].as_str()), (409, Some("replay")), "{what}: {j}");
    }
    let (code, out, _) = e.cli(&["bindings", "list"]);
    assert_eq!((code, out.trim()), (0, "no bindings"));
    let (loc, _) = e.console(&c, "cust-b1");
    assert_eq!(first_login(&loc), "true", "{loc}");

    // CLI usage and failures.
    assert_eq!(e.cli(&["bindings", "remove", "nobody"]).0, 1);
    assert_eq!(e.cli(&["bindings", "show", "nobody"]).0, 1);
    assert_eq!(e.cli(&["bindings", "list", "--limit", "0"]).0, 2);
    assert_eq!(e.cli(&["bindings"]).0, 2);
}

#[test]
fn binding_notification_and_logout_with_two_sps_imported() {
    let e = setup();
    let c = client();
    // A second SP beside Huawei's, imported while the gateway runs.
    let other = e.dir.join("other-sp");
    py_sp(&["gen-sp", "--out", other.to_str().unwrap(), "--entity-id", "https://other.example/sp"]);
    let (code, out, err) = e.cli(&["sp", "import", other.join("sp-metadata.xml").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported SP https://other.example/sp"), "{out}");
    let (_, out, _) = e.cli(&["sp", "list"]);
    assert_eq!(out.matches(" (from ").count(), 2, "{out}");
    assert!(out.contains("https://auth.huaweicloud.com/ (from ") && out.contains("— Huawei's SP"), "{out}");

    let (loc, _) = e.console(&c, "cust-b1");
    assert_eq!(first_login(&loc), "true", "{loc}");
    // Signed with the other SP's key: not Huawei's, refused; nothing stored.
    let (st, j) = e.post_bind(&e.signed_bind(&other, ALICE, &[]));
    assert_eq!((st, j["error"].as_str()), (400, Some("bad_signature")), "{j}");
    assert_eq!(e.cli(&["bindings", "show", "cust-b1"]).0, 1);
    // Huawei's notification: stored, audited, and the next jump knows it.
    let (st, j) = e.post_bind(&e.signed_bind(&e.sp_dir, ALICE, &[]));
    assert_eq!((st, j["status"].as_str()), (200, Some("bound")), "{j}");
    let (code, out, _) = e.cli(&["bindings", "show", "cust-b1"]);
    assert_eq!(code, 0);
    assert!(out.contains("0f1e2d3c4b5a69788796a5b4c3d2e1f0"), "{out}");
    let (loc, _) = e.console(&c, "cust-b1");
    assert_eq!(first_login(&loc), "false", "{loc}");
    // Plain logout is unaffected by the second SP.
    let r = c.get(e.g.url("/logout")).send().unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (302, BYE));
}

#[test]
fn bad_binding_notifications_are_refused_and_nothing_is_stored() {
    let e = setup();
    let json = r#"{"xUserId":"cust-b2","domainName":"evil","domainId":"1111","userName":"x","userId":"yz"}"#;
    let good = e.signed_bind(&e.sp_dir, json, &[]);
    let (bind_request, rest) = good.split_once('&').unwrap();
    let signature = rest.split('&').find(|p| p.starts_with("Signature=")).unwrap();
    assert!(bind_request.contains("%3D"), "the test JSON must need base64 padding: {bind_request}");

    // bindRequest exchanged after signing (another customer).
    let forged_b64 = base64::engine::general_purpose::STANDARD.encode(json.replace("cust-b2", "cust-b3"));
    let forged: String = url::form_urlencoded::byte_serialize(forged_b64.as_bytes()).collect();
    let cases: Vec<(String, u16, &str)> = vec![
        (format!("bindRequest={forged}&{rest}"), 400, "bad_signature"),
        // The same value with the percent-encoding case changed: the signature is over raw octets.
        (format!("{}&{rest}", bind_request.replace("%3D", "%3d")), 400, "bad_signature"),
        // Unsigned, or half signed.
        (bind_request.to_owned(), 400, "missing_signature"),
        (format!("{bind_request}&{signature}"), 400, "missing_parameter"),
        // SigAlg changed after signing.
        (good.replace("rsa-sha256", "rsa-sha512"), 400, "bad_signature"),
        // Duplicate fields.
        (format!("{good}&bindRequest={forged}"), 400, "duplicate_parameter"),
        (format!("{good}&Signature=AAAA"), 400, "duplicate_parameter"),
        (format!("{good}&SigAlg=x"), 400, "duplicate_parameter"),
        // HMAC with the public cert as secret, and plain junk.
        (
            format!("{bind_request}&SigAlg=http%3A%2F%2Fwww.w3.org%2F2000%2F09%2Fxmldsig%23hmac-sha1&Signature=AAAA"),
            400,
            "unsupported_algorithm",
        ),
        (String::new(), 400, "missing_parameter"),
    ];
    for (body, status, reason) in &cases {
        let (st, j) = e.post_bind(body);
        assert_eq!((st, j["error"].as_str()), (*status, Some(*reason)), "{body}: {j}");
        assert!(j["correlation_id"].is_string());
    }

    // Signed with another key (a second SP with Huawei's entityID, never imported).
    let other = e.dir.join("other-sp");
    py_sp(&["gen-sp", "--out", other.to_str().unwrap()]);
    let (st, j) = e.post_bind(&e.signed_bind(&other, json, &[]));
    assert_eq!((st, j["error"].as_str()), (400, Some("bad_signature")), "{j}");

    // SHA-1 is refused.
    let (st, j) = e.post_bind(&e.signed_bind(&e.sp_dir, json, &["--sig-alg", "rsa-sha1"]));
    assert_eq!((st, j["error"].as_str()), (400, Some("weak_algorithm")), "{j}");

    // Correctly signed, but the JSON is not acceptable.
    for bad_json in [
        r#"{"xUserId":"cust-b2"}"#,
        r#"{"domainId":"1111"}"#,
        r#"{"xUserId":"cust-b2","domainId":""}"#,
        r#"{"xUserId":"cust-b2","domainId":1111}"#,
        r#"{"xUserId":"cust-b2","domainId":"1111","domainId":"2222"}"#,
        "not json",
    ] {
        let (st, j) = e.post_bind(&e.signed_bind(&e.sp_dir, bad_json, &[]));
        assert_eq!((st, j["error"].as_str()), (400, Some("bad_bind_request")), "{bad_json}: {j}");
    }
    let long = format!(r#"{{"xUserId":"{}","domainId":"1111"}}"#, "x".repeat(129));
    let (st, j) = e.post_bind(&e.signed_bind(&e.sp_dir, &long, &[]));
    assert_eq!((st, j["error"].as_str()), (400, Some("bad_bind_request")), "{j}");

    // Not a urlencoded form; too large.
    let (st, j) = e.post_bind_as(&good, "text/plain");
    assert_eq!((st, j["error"].as_str()), (415, Some("content_type")), "{j}");
    let (st, j) = e.post_bind(&format!("{good}&pad={}", "x".repeat(20 * 1024)));
    assert_eq!((st, j["error"].as_str()), (413, Some("too_large")), "{j}");

    // A GET is not a notification.
    let r = client().get(e.g.url("/huawei/bind")).send().unwrap();
    assert_eq!(r.status(), 405);

    // Nothing was stored.
    let (code, out, _) = e.cli(&["bindings", "list"]);
    assert_eq!((code, out.trim()), (0, "no bindings"));

    // And the good one still works (none of the above spent it).
    let (st, j) = e.post_bind(&good);
    assert_eq!((st, j["status"].as_str()), (200, Some("bound")), "{j}");
    let (_, out, _) = e.cli(&["bindings", "list"]);
    assert!(out.starts_with("cust-b2\t1111\tevil\t"), "{out}");
}

#[test]
fn single_logout_ends_the_session_and_answers_signed() {
    let e = setup();
    let c = client();
    let (_, sid) = e.console(&c, "cust-s1");
    let (name_id, session_index) = e.sso(&c);
    assert!(e.session_alive(&sid));

    // A LogoutRequest for a NameID we never issued: a proper non-success answer, nothing ended.
    let (url, rid) = e.logout_request("_never_issued", &session_index, "rs-unknown");
    let r = c.get(&url).send().unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let (ok, j) = e.verify_logout_response(&loc, &rid);
    assert!(!ok, "python3-saml must not accept a non-success status as a logout: {j}");
    assert_eq!(j["status"], "urn:oasis:names:tc:SAML:2.0:status:Requester", "{j}");
    assert!(e.session_alive(&sid));

    // Tampered, unsigned, RelayState changed: refused, nothing ended.
    let (url, _) = e.logout_request(&name_id, &session_index, "rs-1");
    let i = url.find("Signature=").unwrap() + "Signature=".len();
    let mut bad = url.clone();
    let flip = if &url[i..i + 1] == "A" { "B" } else { "A" };
    bad.replace_range(i..i + 1, flip);
    let (st, j) = get_json(&c, &bad);
    assert_eq!((st, j["error"].as_str()), (400, Some("bad_signature")), "{j}");
    let stripped: Vec<&str> =
        url.split('&').filter(|p| !p.starts_with("Signature=") && !p.starts_with("SigAlg=")).collect();
    let (st, j) = get_json(&c, &stripped.join("&"));
    assert_eq!((st, j["error"].as_str()), (400, Some("missing_signature")), "{j}");
    let (st, j) = get_json(&c, &url.replace("RelayState=rs-1", "RelayState=rs-2"));
    assert_eq!((st, j["error"].as_str()), (400, Some("bad_signature")), "{j}");
    let (st, j) = get_json(&c, &format!("{url}&SAMLRequest=x"));
    assert_eq!((st, j["error"].as_str()), (400, Some("duplicate_parameter")), "{j}");
    assert!(e.session_alive(&sid));

    // The real thing: Success to the SP's SLO ResponseLocation, signed, RelayState unchanged.
    let (url, rid) = e.logout_request(&name_id, &session_index, "rs-1");
    assert!(url.starts_with(&e.g.url("/saml/slo?SAMLRequest=")), "{url}");
    let r = c.get(&url).send().unwrap();
    assert_eq!(r.status(), 302);
    let cleared = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("samlgate_session=;") && v.contains("Max-Age=0"));
    assert!(cleared, "{:?}", r.headers());
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        loc.starts_with("https://auth.huaweicloud.com/authui/saml/LogoutServiceHTTPRedirectResponse?SAMLResponse="),
        "{loc}"
    );
    let (ok, j) = e.verify_logout_response(&loc, &rid);
    assert!(ok, "{j}");
    assert_eq!(j["status"], "urn:oasis:names:tc:SAML:2.0:status:Success");
    assert_eq!(j["relay_state"], "rs-1");
    assert_eq!(j["in_response_to"], rid.as_str());

    // The session is gone in the store, not just in this browser: a new AuthnRequest gets no_session.
    assert!(!e.session_alive(&sid));
    let (url2, _) = e.authn_request();
    let (st, j) = get_json(&c, &url2);
    assert_eq!((st, j["error"].as_str()), (401, Some("no_session")), "{j}");

    // The same LogoutRequest again is a replay.
    let (st, j) = get_json(&c, &url);
    assert_eq!((st, j["error"].as_str()), (400, Some("replay")), "{j}");

    // A LogoutRequest from an SP we never imported.
    let other = e.dir.join("other-sp");
    py_sp(&["gen-sp", "--out", other.to_str().unwrap(), "--entity-id", "https://other.example/sp"]);
    let j = py_sp(&[
        "logout-request",
        "--sp-dir",
        other.to_str().unwrap(),
        "--idp-metadata",
        e.idp_md.to_str().unwrap(),
        "--name-id",
        &name_id,
        "--session-index",
        &session_index,
    ]);
    let (st, j) = get_json(&c, j["url"].as_str().unwrap());
    assert_eq!((st, j["error"].as_str()), (400, Some("unknown_issuer")), "{j}");
}

#[test]
fn plain_logout_and_return_urls() {
    let e = setup();
    let c = client();

    // GET /logout: session ended in the store, cookie cleared, off to the configured page.
    let (_, sid) = e.console(&c, "cust-p1");
    assert!(e.session_alive(&sid));
    let r = c.get(e.g.url("/logout")).send().unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], BYE);
    let cleared = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("samlgate_session=;") && v.contains("Max-Age=0"));
    assert!(cleared, "{:?}", r.headers());
    assert!(!e.session_alive(&sid));

    // GET /saml/slo without a SAML message does the same.
    let (_, sid) = e.console(&c, "cust-p1");
    let r = c.get(e.g.url("/saml/slo")).send().unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], BYE);
    assert!(!e.session_alive(&sid));
    // Also without any session, and never to a URL from the request.
    let r = c.get(e.g.url("/logout?return_to=https://evil.example/")).send().unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], BYE);

    // Return URLs for Partner Center: configured → 302, unset → 404 with the reason.
    let r = c.get(e.g.url("/return/order-paid?next=https://evil.example/")).send().unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], PAID);
    let (st, j) = get_json(&c, &e.g.url("/return/recharge"));
    assert_eq!((st, j["error"].as_str()), (404, Some("not_configured")), "{j}");
}

#[test]
fn without_an_after_logout_url_a_signed_out_page_is_shown_and_bad_return_urls_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[]);
    let c = client();
    let r = c.get(g.url("/logout")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("You are signed out"));
    let (st, j) = get_json(&c, &g.url("/return/order-paid"));
    assert_eq!((st, j["error"].as_str()), (404, Some("not_configured")), "{j}");
    drop(g);

    // A return URL that is not https (or loopback http) does not get past config loading.
    for bad in ["javascript:alert(1)", "http://partner.example/paid", "https://u:p@partner.example/"] {
        let o = run_env(tmp.path(), &["bindings", "list"], &[("SAMLGATE_RETURN_URLS_ORDER_PAID", bad)]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("return_urls.order_paid"), "{}", stderr(&o));
    }
}
