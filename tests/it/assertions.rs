//! Assertions on demand and IdP-initiated SSO, driven as their users drive them: `samlgate assert`
//! as a child process (its output verified by python3-saml, pysaml2 and `xmlsec1`, and `--post`ed to
//! a running mock SP), `POST /admin/api/v1/assertions` over HTTP with bearer tokens, and
//! `/saml/init` and `/console?token=…&sp=…` over HTTP against a started gateway and mock SP. The
//! README's "Testing your integration" example is run as written.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::common::*;

/// A child process (`samlgate mock-sp`, `samlgate demo`), killed when dropped.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Spawns `samlgate --config DIR/samlgate.toml ARGS…` and waits for `health` to answer 200.
    fn start(dir: &Path, args: &[&str], health: &str) -> Proc {
        let log = dir.join(format!("proc-{}.log", free_port()));
        let child = Command::new(bin())
            .arg("--config")
            .arg(dir.join("samlgate.toml"))
            .args(args)
            .current_dir(dir)
            .env_remove("SAMLGATE_CONFIG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn samlgate");
        let mut p = Proc { child, log };
        p.wait_healthy(health);
        p
    }

    fn wait_healthy(&mut self, url: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let c = client();
        loop {
            if c.get(url).send().is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("exited with {status}: {}", self.log_text());
            }
            assert!(Instant::now() < deadline, "{url} did not come up: {}", self.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `samlgate mock-sp` on `port` with the IdP metadata file of `dir` (optionally `--allow-unsolicited`).
fn mock_sp(dir: &Path, port: u16, allow_unsolicited: bool) -> Proc {
    let bind = format!("127.0.0.1:{port}");
    let md = dir.join("metadata/idp-metadata.xml");
    let mut args = vec!["mock-sp", "--bind", &bind, "--idp-metadata", md.to_str().unwrap()];
    if allow_unsolicited {
        args.push("--allow-unsolicited");
    }
    Proc::start(dir, &args, &format!("http://{bind}/healthz"))
}

/// `init --with-mock-sp` in `dir` for a gateway on `gw_port` and a mock SP on `mock_port`.
fn init_with_mock(dir: &Path, gw_port: u16, mock_port: u16) {
    let o = run(
        dir,
        &[
            "init",
            "--with-mock-sp",
            "--base-url",
            &format!("http://127.0.0.1:{gw_port}"),
            "--mock-sp-url",
            &format!("http://127.0.0.1:{mock_port}"),
        ],
    );
    assert!(o.status.success(), "init: {}", stderr(&o));
}

/// `samlgate assert ARGS…` in `dir`: (exit code, stdout, stderr).
fn assert_cmd(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["assert"];
    all.extend_from_slice(args);
    let o = run(dir, &all);
    (o.status.code().unwrap_or(-1), stdout(&o), stderr(&o))
}

fn location(r: &reqwest::blocking::Response) -> String {
    r.headers().get("location").unwrap_or_else(|| panic!("no Location on {}", r.status())).to_str().unwrap().to_owned()
}

/// Posts an auto-post form as a browser would; (status, Location or "", the mock's named check).
fn post_form(c: &reqwest::blocking::Client, f: &PostedForm) -> (u16, String, String) {
    let mut fields = vec![(f.field.as_str(), f.message.as_str())];
    if let Some(rs) = &f.relay_state {
        fields.push(("RelayState", rs));
    }
    let r = c.post(&f.action).form(&fields).send().unwrap();
    let header = |h: &str| r.headers().get(h).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (r.status().as_u16(), header("location"), header("x-mocksp-check"))
}

/// The audit events of `kind` (JSON Lines of `audit export`).
fn audit_events(dir: &Path, kind: &str) -> Vec<Value> {
    let o = run(dir, &["audit", "export", "--kind", kind, "--format", "jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn detail(e: &Value) -> Value {
    match &e["detail"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    }
}

fn decode_b64(b64: &str) -> String {
    String::from_utf8(B64.decode(b64.trim()).unwrap()).unwrap()
}

#[test]
fn assert_with_a_request_id_is_accepted_by_python3_saml_pysaml2_and_xmlsec1() {
    let tmp = tempfile::tempdir().unwrap();
    let sp_dir = tmp.path().join("sp");
    py_sp(&["gen-sp", "--out", sp_dir.to_str().unwrap()]);
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    // The Python SP plays Huawei's SP (its entityID and ACS are Huawei's).
    let sp_md = sp_dir.join("sp-metadata.xml");
    let o = run_env(
        &dir,
        &["init", "--x-account-type", "acme_IDP"],
        &[("SAMLGATE_HUAWEI_SP_METADATA", sp_md.to_str().unwrap())],
    );
    assert!(o.status.success(), "init: {}", stderr(&o));
    let idp_md = dir.join("metadata/idp-metadata.xml");
    let cert = dir.join("certs/idp.crt");

    let request_id = "_4f1d2c3b4a5968776655443322110099";
    let relay = "\"><script>alert(1)</script>&x=1";
    let (code, b64, err) = assert_cmd(
        &dir,
        &[
            "--user",
            "cust-1001",
            "--name",
            "Acme Buyer",
            "--mobile",
            "0086-13900000000",
            "--in-response-to",
            request_id,
            "--attr",
            "role=dev",
            "--attr",
            "role=ops",
            "--relay-state",
            relay,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("InResponseTo _4f1d2c3b4a5968776655443322110099"), "{err}");
    let form = PostedForm {
        action: "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer".into(),
        field: "SAMLResponse".into(),
        message: b64.trim().to_owned(),
        relay_state: Some(relay.to_owned()),
    };
    // Both Python SPs accept it in strict mode, answering that request, with the hop's attributes.
    let (ok, j) = py_consume(&sp_dir, &idp_md, tmp.path(), request_id, &form, &[]);
    assert!(ok, "python SPs refused the minted response: {j}");
    assert_eq!(j["agree"], true, "{j}");
    let ol = &j["onelogin"];
    assert_eq!(ol["in_response_to"], request_id);
    assert_eq!(ol["nameid_format"], "urn:oasis:names:tc:SAML:2.0:nameid-format:transient");
    let attrs = ol["attributes"].as_object().unwrap();
    assert_eq!(attrs["xUserId"], json!(["cust-1001"]));
    assert_eq!(attrs["xAccountId"], json!(["cust-1001"]));
    assert_eq!(attrs["name"], json!(["Acme Buyer"]));
    assert_eq!(attrs["mobile"], json!(["0086-13900000000"]));
    assert_eq!(attrs["role"], json!(["dev", "ops"]));
    assert_eq!(j["pysaml2"]["attributes"], ol["attributes"]);
    assert_eq!(j["pysaml2"]["in_response_to"], request_id);
    // … and refuse it for another request (the check can fail).
    let (ok, j) = py_consume(&sp_dir, &idp_md, tmp.path(), "_another_request_0000000000000000", &form, &[]);
    assert!(!ok, "accepted for the wrong request: {j}");

    // The XML format: the same kind of Response; xmlsec1 verifies it with the IdP certificate, and
    // refuses it once a signed byte changes.
    let (code, xml, err) =
        assert_cmd(&dir, &["--user", "cust-1001", "--in-response-to", request_id, "--format", "xml"]);
    assert_eq!(code, 0, "{err}");
    assert!(xml.starts_with("<?xml") && xml.contains(&format!("InResponseTo=\"{request_id}\"")), "{xml}");
    assert!(xml.contains("NameQualifier=\"https://auth.huaweicloud.com/\""), "Huawei's profile: {xml}");
    assert!(assertion_verifies(&xml, &cert, tmp.path()), "xmlsec1 --verify");
    assert!(!assertion_verifies(&xml.replacen("cust-1001", "cust-1002", 1), &cert, tmp.path()));

    // The form format is the auto-post page, RelayState escaped.
    let (code, html, _) = assert_cmd(&dir, &["--user", "cust-1001", "--relay-state", relay, "--format", "form"]);
    assert_eq!(code, 0);
    let posted = parse_post_form(&html);
    assert_eq!(posted.action, form.action);
    assert_eq!(posted.relay_state.as_deref(), Some(relay));
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!decode_b64(&posted.message).contains("InResponseTo"), "unsolicited without --in-response-to");

    // Bad input is refused naming the check (exit 2), nothing minted.
    for (args, check) in [
        (vec!["--user", "cust-1001", "--in-response-to", "1<bad\""], "in_response_to"),
        (vec!["--user", "cust-1001", "--name", "张三"], "attribute"),
        (vec!["--user", "cust-1001", "--attr", "xUserId=admin"], "attribute"),
        (vec!["--user", "cust-1001", "--attr", "novalue"], "--attr"),
        (vec!["--user", "cust-1001", "--sp", "https://unknown.example/"], "unknown_sp"),
    ] {
        let (code, out, err) = assert_cmd(&dir, &args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(check), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }

    // Every minted assertion is audited, with the operator.
    let events = audit_events(&dir, "assert.minted");
    assert_eq!(events.len(), 3, "{events:?}");
    for e in &events {
        assert!(e["actor"].as_str().unwrap().starts_with("cli"), "{e}");
        assert_eq!(e["subject"], "cust-1001");
        let d = detail(e);
        assert_eq!(d["via"], "cli");
        assert_eq!(d["sp"], "https://auth.huaweicloud.com/");
    }
    assert_eq!(detail(&events[2])["in_response_to"], request_id, "oldest last: {events:?}");
}

#[test]
fn assert_posts_to_the_mock_sp_which_takes_unsolicited_responses_only_when_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (gw_port, mock_port) = (free_port(), free_port());
    init_with_mock(dir, gw_port, mock_port);
    let mock = format!("http://127.0.0.1:{mock_port}");
    let acs = format!("{mock}/authui/saml/SAMLAssertionConsumer");

    let sp = mock_sp(dir, mock_port, true);
    // --post: the mock accepts the unsolicited Response and sends the browser to its console.
    let (code, out, err) = assert_cmd(dir, &["--user", "cust-2001", "--relay-state", "ecs", "--post"]);
    assert_eq!(code, 0, "{out}{err}\n{}", sp.log_text());
    assert_eq!(out, format!("POST {acs}\nHTTP 303 See Other\nLocation: {mock}/console\n"), "{err}");

    // The same kind of Response posted by a browser lands on the mock's console page, naming the
    // customer; posting it again is a replay.
    let (code, b64, err) = assert_cmd(dir, &["--user", "cust-2002", "--name", "Bob Li", "--relay-state", "vpc"]);
    assert_eq!(code, 0, "{err}");
    let form = PostedForm {
        action: acs.clone(),
        field: "SAMLResponse".into(),
        message: b64.trim().into(),
        relay_state: Some("vpc".into()),
    };
    let c = client();
    assert_eq!(post_form(&c, &form), (303, "/console".to_owned(), String::new()));
    let page = c.get(format!("{mock}/console")).send().unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().unwrap();
    assert!(page.contains("id=\"x-user-id\">cust-2002<") && page.contains("id=\"name\">Bob Li<"), "{page}");
    assert!(page.contains("id=\"service\">vpc<"), "{page}");
    assert_eq!(post_form(&client(), &form), (403, String::new(), "assertion_replay".to_owned()));

    // A Response for a request the mock never sent is still refused (InResponseTo), exit 1.
    let (code, out, _) =
        assert_cmd(dir, &["--user", "cust-2001", "--in-response-to", "_never_sent_by_the_mock", "--post"]);
    assert_eq!(code, 1);
    assert!(out.contains("HTTP 403 Forbidden") && out.contains("X-Mocksp-Check: in_response_to"), "{out}");
    drop(sp);

    // Without --allow-unsolicited the mock refuses an unsolicited Response.
    let sp = mock_sp(dir, mock_port, false);
    let (code, out, err) = assert_cmd(dir, &["--user", "cust-2001", "--post"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("HTTP 403 Forbidden") && out.contains("X-Mocksp-Check: in_response_to"), "{out}");
    assert!(err.contains("the ACS refused"), "{err}");
    assert!(sp.log_text().contains("--allow-unsolicited"), "{}", sp.log_text());
    assert_eq!(audit_events(dir, "assert.minted").len(), 4);
}

/// `samlgate admin token create NAME [--scope S]` in `dir`.
fn token(dir: &Path, name: &str, scope: Option<&str>) -> String {
    let mut args = vec!["admin", "token", "create", name];
    if let Some(s) = scope {
        args.extend(["--scope", s]);
    }
    let o = run(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).trim().to_owned()
}

fn mint(g: &Gateway, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut r = client().post(g.url("/admin/api/v1/assertions")).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().unwrap();
    (r.status().as_u16(), r.json().unwrap())
}

#[test]
fn the_api_mints_only_for_the_assertions_scope_and_not_for_huawei_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    let g = start_with_admin(&dir);
    let sp_md = tmp.path().join("sp.xml");
    write_test_sp("sp.example", &sp_md);
    let o = run(&dir, &["sp", "import", sp_md.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let admin = token(&dir, "ci-admin", None);
    let minter = token(&dir, "ci-mint", Some("assertions"));
    let generic = json!({"x_user_id": "cust-3001", "sp_entity_id": "https://sp.example/", "in_response_to": "_req3001",
                         "name": "Carol", "attributes": [{"name": "role", "value": "qa"}], "relay_state": "rs-1"});

    let (status, v) = mint(&g, None, generic.clone());
    assert_eq!((status, v["error"].as_str()), (401, Some("api_token")), "{v}");
    let (status, v) = mint(&g, Some(&admin), generic.clone());
    assert_eq!((status, v["error"].as_str()), (403, Some("api_scope")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("`assertions`"), "{v}");
    // Huawei's SP (the default) is refused unless admin.allow_minting_for_huawei.
    let (status, v) = mint(&g, Some(&minter), json!({"x_user_id": "cust-3001"}));
    assert_eq!((status, v["error"].as_str()), (403, Some("huawei_minting")), "{v}");
    let huawei = json!({"x_user_id": "cust-3001", "sp_entity_id": "https://auth.huaweicloud.com/"});
    let (status, v) = mint(&g, Some(&minter), huawei.clone());
    assert_eq!((status, v["error"].as_str()), (403, Some("huawei_minting")), "{v}");

    // A generic SP: the Response for its ACS, verified by xmlsec1.
    let (status, v) = mint(&g, Some(&minter), generic.clone());
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["acs"], "https://sp.example/acs");
    assert_eq!(v["sp_entity_id"], "https://sp.example/");
    assert_eq!(v["relay_state"], "rs-1");
    assert_eq!(v["in_response_to"], "_req3001");
    let xml = v["xml"].as_str().unwrap();
    assert_eq!(decode_b64(v["saml_response"].as_str().unwrap()), xml);
    assert!(
        xml.contains("Destination=\"https://sp.example/acs\"") && xml.contains("InResponseTo=\"_req3001\""),
        "{xml}"
    );
    assert!(xml.contains(">qa</saml:AttributeValue>") && xml.contains(">Carol</saml:AttributeValue>"), "{xml}");
    assert!(!xml.contains(" NameQualifier=") && !xml.contains("SubjectLocality"), "plain SAML for a generic SP: {xml}");
    let cert = dir.join("certs/idp.crt");
    assert!(assertion_verifies(xml, &cert, tmp.path()), "xmlsec1 --verify");
    assert!(!assertion_verifies(&xml.replacen("cust-3001", "cust-3002", 1), &cert, tmp.path()));

    // Refusals name the check.
    for (body, status, reason) in [
        (json!({"x_user_id": "cust-3001", "sp_entity_id": "https://nope.example/"}), 404, "unknown_sp"),
        (json!({"x_user_id": "cust-3001", "sp_entity_id": "https://sp.example/", "mobile": "139"}), 400, "attribute"),
        (
            json!({"x_user_id": "cust-3001", "sp_entity_id": "https://sp.example/", "in_response_to": "a b"}),
            400,
            "in_response_to",
        ),
        (
            json!({"x_user_id": "cust-3001", "sp_entity_id": "https://sp.example/", "relay_state": "r".repeat(5000)}),
            400,
            "relay_state",
        ),
        (json!({"x_user_id": "cust-3001", "extra": 1}), 400, "json"),
    ] {
        let (s, v) = mint(&g, Some(&minter), body.clone());
        assert_eq!((s, v["error"].as_str()), (status, Some(reason)), "{body}: {v}");
    }
    // The OpenAPI document describes the endpoint and its scope refusal.
    let doc: Value = client().get(g.url("/admin/api/openapi.json")).send().unwrap().json().unwrap();
    let op = &doc["paths"]["/admin/api/v1/assertions"]["post"];
    assert!(op["responses"]["403"]["description"].as_str().unwrap().contains("assertions"), "{op}");

    // Audited with the token as actor.
    let events = audit_events(&dir, "assert.minted");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"], "token:ci-mint");
    assert_eq!(events[0]["subject"], "cust-3001");
    assert_eq!(detail(&events[0])["via"], "api");
    assert_eq!(detail(&events[0])["sp"], "https://sp.example/");
    assert!(!events[0]["correlation_id"].as_str().unwrap().is_empty());

    // With admin.allow_minting_for_huawei = true, Huawei's SP too.
    let port = g.port;
    g.stop();
    let g = Gateway::start_on(&dir, port, &[("SAMLGATE_ADMIN_ALLOW_MINTING_FOR_HUAWEI", "true")]);
    let (status, v) = mint(&g, Some(&minter), huawei);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["acs"], "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer");
    assert!(v["in_response_to"].is_null() && !v["xml"].as_str().unwrap().contains("InResponseTo"), "{v}");
}

#[test]
fn idp_initiated_sso_reaches_the_mock_sp_and_is_refused_where_not_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    let (gw_port, mock_port) = (free_port(), free_port());
    init_with_mock(&dir, gw_port, mock_port);
    let mock = format!("http://127.0.0.1:{mock_port}");
    let mock_entity = format!("{mock}/");
    let other_md = tmp.path().join("other.xml");
    write_test_sp("other.example", &other_md);
    let o = run(&dir, &["sp", "import", other_md.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sps = format!(
        "[{{entity_id = \"{mock_entity}\", allow_idp_initiated = true}}, \
          {{entity_id = \"https://not-imported.example/\", allow_idp_initiated = true}}]"
    );
    let g = Gateway::start_on(&dir, gw_port, &[("SAMLGATE_SPS", &sps)]);
    // `sp list` says which SPs take IdP-initiated SSO, and names a listed SP that is not imported.
    let o = run_env(&dir, &["sp", "list"], &[("SAMLGATE_SPS", &sps)]);
    let list = stdout(&o);
    let allowed = list.lines().filter(|l| l.contains("IdP-initiated SSO: allowed")).count();
    let off = list.lines().filter(|l| l.contains("IdP-initiated SSO: off")).count();
    assert_eq!((allowed, off), (1, 1), "{list}");
    assert!(
        list.contains("warning: [[sps]] names `https://not-imported.example/`, which is not an imported SP"),
        "{list}"
    );
    let _sp = mock_sp(&dir, mock_port, true);
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let hand_off = |user: &str| {
        let o = run(&dir, &["token", "--user", user, "--name", "Dora", "--raw"]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).trim().to_owned()
    };

    // Straight from a hand-off token: the auto-post form with an unsolicited Response for the mock.
    let c = client();
    let r = c
        .get(g.url(&format!("/console?token={}&sp={}&RelayState=ecs", hand_off("cust-4001"), enc(&mock_entity))))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", g.log_text());
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'nonce-"));
    let form = parse_post_form(&r.text().unwrap());
    assert_eq!(form.action, format!("{mock}/authui/saml/SAMLAssertionConsumer"));
    assert_eq!(form.relay_state.as_deref(), Some("ecs"));
    let xml = decode_b64(&form.message);
    assert!(!xml.contains("InResponseTo"), "{xml}");
    assert!(assertion_verifies(&xml, &dir.join("certs/idp.crt"), tmp.path()), "xmlsec1 --verify");
    assert_eq!(post_form(&c, &form), (303, "/console".to_owned(), String::new()));
    let page = c.get(format!("{mock}/console")).send().unwrap().text().unwrap();
    assert!(page.contains("id=\"x-user-id\">cust-4001<") && page.contains("id=\"service\">ecs<"), "{page}");

    // With the gateway session now open: GET /saml/init.
    let r = c.get(g.url(&format!("/saml/init?sp={}&RelayState=vpc", enc(&mock_entity)))).send().unwrap();
    assert_eq!(r.status(), 200, "{}", g.log_text());
    let form = parse_post_form(&r.text().unwrap());
    assert_eq!(post_form(&c, &form), (303, "/console".to_owned(), String::new()));
    let page = c.get(format!("{mock}/console")).send().unwrap().text().unwrap();
    assert!(page.contains("id=\"x-user-id\">cust-4001<") && page.contains("id=\"service\">vpc<"), "{page}");

    // Without a session: the partner's login page with the way back, which a token then takes.
    let fresh = client();
    let init = g.url(&format!("/saml/init?sp={}", enc(&mock_entity)));
    let r = fresh.get(&init).send().unwrap();
    assert_eq!(r.status(), 302);
    let login = location(&r);
    assert!(login.starts_with(&format!("{mock}/partner?return_to=")), "{login}");
    let back = url::Url::parse(&login).unwrap().query_pairs().find(|(k, _)| k == "return_to").unwrap().1.into_owned();
    assert_eq!(back, init);
    let r =
        fresh.get(g.url(&format!("/console?token={}&return_to={}", hand_off("cust-4002"), enc(&back)))).send().unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), init);
    let r = fresh.get(&init).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(post_form(&fresh, &parse_post_form(&r.text().unwrap())).0, 303);

    // Refused, naming why, for an SP that does not allow it, an unknown SP, or no SP at all.
    let other = enc("https://other.example/");
    for (path, status, reason) in [
        (format!("/saml/init?sp={other}"), 403, "idp_initiated_off"),
        // An SP that is not imported answers as one that does not allow it (no listing of the SPs) …
        (format!("/saml/init?sp={}", enc("https://unknown.example/")), 403, "idp_initiated_off"),
        // … unless [[sps]] allows it: then the missing import is named.
        (format!("/saml/init?sp={}", enc("https://not-imported.example/")), 404, "unknown_sp"),
        ("/saml/init".to_owned(), 400, "missing_sp"),
        (format!("/saml/init?sp={}&RelayState={}", enc(&mock_entity), "r".repeat(5000)), 400, "relay_state"),
    ] {
        let r = c.get(g.url(&path)).header("accept", "application/json").send().unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let v: Value = r.json().unwrap();
        assert_eq!(v["error"], reason, "{path}: {v}");
    }
    // … as a page in both languages.
    for (lang, title) in [("en", "This service cannot be opened from here"), ("zh-CN", "无法从这里打开此服务")]
    {
        let r = c.get(g.url(&format!("/saml/init?sp={other}"))).header("accept-language", lang).send().unwrap();
        assert_eq!(r.status(), 403);
        let html = r.text().unwrap();
        assert!(html.contains(title) && html.contains("idp_initiated_off"), "{lang}: {html}");
    }
    // From a token: refused before the token is spent, so it still works for the console.
    let t = hand_off("cust-4003");
    let r = fresh
        .get(g.url(&format!("/console?token={t}&sp={other}")))
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().unwrap()["error"], "idp_initiated_off");
    let r = fresh
        .get(g.url(&format!("/console?token={t}&sp={}&service=iam", enc(&mock_entity))))
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().unwrap()["error"], "sp");
    let r = fresh.get(g.url(&format!("/console?token={t}&service=iam"))).send().unwrap();
    assert_eq!(r.status(), 302, "the refused token was not spent");

    // Audited per sign-in.
    let events = audit_events(&dir, "sso.idp_initiated");
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(|e| e["subject"] == mock_entity.as_str()), "{events:?}");
    assert_eq!(events[2]["actor"], "cust-4001");
}

#[test]
fn idp_initiated_sso_is_off_for_huaweis_sp_unless_set() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[]);
    let c = client();
    let o = run(tmp.path(), &["token", "--user", "cust-5001", "--raw"]);
    let t = stdout(&o).trim().to_owned();
    let huawei = "https%3A%2F%2Fauth.huaweicloud.com%2F";
    let r =
        c.get(g.url(&format!("/console?token={t}&sp={huawei}"))).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().unwrap()["error"], "idp_initiated_off");
    let r = c.get(g.url(&format!("/console?token={t}&service=iam"))).send().unwrap();
    assert_eq!(r.status(), 302);
    let r = c.get(g.url(&format!("/saml/init?sp={huawei}"))).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().unwrap()["error"], "idp_initiated_off");
    drop(g);

    // Set for Huawei's SP in [[sps]]: an unsolicited Response in Huawei's profile (NameQualifier, the
    // attributes of the doc sample) is posted to Huawei's ACS from its metadata.
    let sps = r#"[{entity_id = "https://auth.huaweicloud.com/", allow_idp_initiated = true}]"#;
    let g = Gateway::start(tmp.path(), &[("SAMLGATE_SPS", sps)]);
    let c = client();
    let t = stdout(&run(tmp.path(), &["token", "--user", "cust-5002", "--raw"])).trim().to_owned();
    let r = c.get(g.url(&format!("/console?token={t}&sp={huawei}"))).send().unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    let form = parse_post_form(&r.text().unwrap());
    assert!(form.action.starts_with("https://auth.huaweicloud.com/"), "{}", form.action);
    use base64::Engine as _;
    let xml = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&form.message).unwrap()).unwrap();
    assert!(
        xml.contains("NameQualifier=") && xml.contains("Name=\"xUserId\"") && !xml.contains("InResponseTo"),
        "{xml}"
    );
}

/// The shell block of the README's "Testing your integration", run as written: `samlgate demo …`
/// starts in the background (on free ports instead of 8080/8081, waited for instead of `sleep`), each
/// other `samlgate …` line runs in bash, and the `# …` lines after it are its exact output.
#[test]
fn the_readme_example_runs_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme.split("\n## Testing your integration\n").nth(1).expect("the README section");
    let section = section.split("\n## ").next().unwrap();
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("an sh block");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (gw_port, mock_port) = (free_port(), free_port());
    let ports = |s: &str| s.replace("127.0.0.1:8081", &format!("127.0.0.1:{mock_port}"));
    let bin_dir = Path::new(bin()).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut demo: Option<Proc> = None;
    let mut ran: Vec<(String, String)> = Vec::new();
    let mut expected: Vec<Vec<String>> = Vec::new();
    for line in block.lines() {
        if let Some(out) = line.strip_prefix("# ") {
            expected.last_mut().expect("output after a command").push(ports(out));
        } else if let Some(rest) = line.strip_prefix("samlgate demo") {
            let flags = rest.split('&').next().unwrap().split_whitespace().collect::<Vec<_>>();
            let (gw, sp) = (format!("127.0.0.1:{gw_port}"), format!("127.0.0.1:{mock_port}"));
            let mut args = vec!["demo", "--bind", &gw, "--mock-sp-bind", &sp];
            args.extend(flags);
            let log = dir.join("demo.log");
            let child = Command::new(bin())
                .args(&args)
                .current_dir(dir)
                .env_remove("SAMLGATE_CONFIG")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap();
            let mut p = Proc { child, log };
            p.wait_healthy(&format!("http://{gw}/healthz"));
            p.wait_healthy(&format!("http://{sp}/healthz"));
            demo = Some(p);
        } else if line.starts_with("samlgate ") {
            let o = Command::new("bash")
                .args(["-c", line])
                .current_dir(dir)
                .env("PATH", &path)
                .env_remove("SAMLGATE_CONFIG")
                .output()
                .unwrap();
            assert!(o.status.success(), "{line}: {}", stderr(&o));
            ran.push((line.to_owned(), stdout(&o)));
            expected.push(Vec::new());
        }
    }
    assert!(demo.is_some(), "the example starts the demo");
    assert_eq!(ran.len(), 3, "{block}");
    for ((line, out), want) in ran.iter().zip(&expected) {
        if !want.is_empty() {
            assert_eq!(out.lines().collect::<Vec<_>>(), *want, "{line}");
        }
    }
    // The audit export lists the two minted assertions.
    assert_eq!(ran[2].1.lines().filter(|l| l.contains(",assert.minted,")).count(), 2, "{}", ran[2].1);
}
