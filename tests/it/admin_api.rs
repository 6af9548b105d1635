//! The JSON admin API under `/admin/api/v1/` over HTTP against a started gateway: bearer tokens only
//! (created and revoked with the CLI and on `/admin/users`; never the admin cookie), the operations of
//! the admin pages, audit events naming `token:NAME`, and the OpenAPI document matching the routes.

use serde_json::{Value, json};

use crate::common::*;

/// `samlgate admin token create NAME [--scope S]…` in `dir`: the token it printed.
fn cli_token(dir: &std::path::Path, name: &str, scopes: &[&str]) -> String {
    let mut args = vec!["admin", "token", "create", name];
    for s in scopes {
        args.extend(["--scope", s]);
    }
    let o = run(dir, &args);
    assert!(o.status.success(), "token create: {}", stderr(&o));
    let token = stdout(&o).trim().to_owned();
    assert!(token.starts_with("sgt_") && token.len() == 68, "{token}");
    token
}

struct Api<'a> {
    g: &'a Gateway,
    c: reqwest::blocking::Client,
    token: String,
}

impl Api<'_> {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value, String) {
        let mut r = self.c.request(method, self.g.url(path)).bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().unwrap();
        let status = r.status().as_u16();
        let cid = r.headers().get("x-correlation-id").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let text = r.text().unwrap();
        assert!(ct.starts_with("application/json"), "{path}: {ct}: {text}");
        (status, serde_json::from_str(&text).unwrap(), cid)
    }
    fn get(&self, path: &str) -> (u16, Value) {
        let (s, v, _) = self.call(reqwest::Method::GET, path, None);
        (s, v)
    }
    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, v, _) = self.call(reqwest::Method::POST, path, Some(body));
        (s, v)
    }
    fn delete(&self, path: &str) -> (u16, Value) {
        let (s, v, _) = self.call(reqwest::Method::DELETE, path, None);
        (s, v)
    }
}

fn assert_api_token_refusal(r: reqwest::blocking::Response, what: &str) {
    assert_eq!(r.status(), 401, "{what}");
    assert_eq!(r.headers()["www-authenticate"], "Bearer", "{what}");
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"], "api_token", "{what}: {v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()) && v["correlation_id"].as_str().unwrap().len() == 16);
}

#[test]
fn only_a_live_bearer_token_opens_the_api() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let g = start_with_admin(dir);
    let url = g.url("/admin/api/v1/sps");

    // No token, a malformed one, an unknown one: 401 JSON, also when the client asks for HTML.
    assert_api_token_refusal(client().get(&url).header("accept", "text/html").send().unwrap(), "none");
    assert_api_token_refusal(client().get(&url).bearer_auth("hunter2").send().unwrap(), "malformed");
    let unknown = format!("sgt_{}", "0".repeat(64));
    assert_api_token_refusal(client().get(&url).bearer_auth(&unknown).send().unwrap(), "unknown");
    // The admin cookie alone never counts.
    let browser = client();
    let csrf = admin_sign_in(&g, &browser);
    assert_api_token_refusal(browser.get(&url).send().unwrap(), "cookie");
    let r = browser.post(g.url("/admin/api/v1/bindings")).json(&json!({"x_user_id": "cust-x"})).send().unwrap();
    assert_api_token_refusal(r, "cookie POST");

    // A token from the CLI works …
    let token = cli_token(dir, "ci-bot", &[]);
    let r = client().get(&url).bearer_auth(&token).send().unwrap();
    assert_eq!(r.status(), 200);
    let o = run(dir, &["admin", "token", "list"]);
    let listed = stdout(&o);
    assert!(
        o.status.success() && listed.contains("ci-bot\tadmin\tcreated by cli") && listed.contains("live"),
        "{listed}"
    );
    assert!(!listed.contains(&token[4..]), "the token is never listed");
    assert!(!listed.contains("never used"), "its use is recorded: {listed}");
    // … a second one of the same live name is refused, a bad scope too (usage: exit 2).
    let o = run(dir, &["admin", "token", "create", "ci-bot"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = run(dir, &["admin", "token", "create", "other", "--scope", "root"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // … until the CLI revokes it.
    let o = run(dir, &["admin", "token", "revoke", "ci-bot"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_api_token_refusal(client().get(&url).bearer_auth(&token).send().unwrap(), "revoked by the CLI");
    assert!(stdout(&run(dir, &["admin", "token", "list"])).contains("revoked"));
    let o = run(dir, &["admin", "token", "revoke", "ci-bot"]);
    assert_eq!(o.status.code(), Some(1), "revoking twice: {}", stderr(&o));

    // A token of the `assertions` scope only is not an admin token.
    let narrow = cli_token(dir, "minter", &["assertions"]);
    let r = client().get(&url).bearer_auth(&narrow).send().unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().unwrap()["error"], "api_scope");

    // The users page: the list, a token created there (shown once), revoked there.
    let page = browser.get(g.url("/admin/users")).send().unwrap().text().unwrap();
    assert!(page.contains("id=\"tokens\"") && page.contains("ci-bot") && page.contains("minter"), "{page}");
    let r = browser
        .post(g.url("/admin/users/tokens"))
        .form(&[("csrf", csrf.as_str()), ("name", "page-bot"), ("scope_admin", "1"), ("password", ADMIN_PASSWORD)])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let shown = r.text().unwrap();
    let at = shown.find("id=\"token-value\">").expect("the new token is shown") + "id=\"token-value\">".len();
    let page_token = shown[at..at + 68].to_owned();
    assert!(page_token.starts_with("sgt_"), "{page_token}");
    assert!(
        !browser.get(g.url("/admin/users")).send().unwrap().text().unwrap().contains(&page_token),
        "shown once only"
    );
    assert_eq!(client().get(&url).bearer_auth(&page_token).send().unwrap().status(), 200);
    // Without the CSRF token the page refuses to revoke.
    let r = browser.post(g.url("/admin/users/tokens/revoke")).form(&[("name", "page-bot")]).send().unwrap();
    assert_eq!(r.status(), 403);
    let r = browser
        .post(g.url("/admin/users/tokens/revoke"))
        .form(&[("csrf", csrf.as_str()), ("name", "page-bot")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/users?revoked=page-bot");
    assert_api_token_refusal(client().get(&url).bearer_auth(&page_token).send().unwrap(), "revoked on the page");
    // A revoked name can be given to a new token.
    let again = cli_token(dir, "ci-bot", &["admin", "assertions"]);
    assert_eq!(client().get(&url).bearer_auth(&again).send().unwrap().status(), 200);

    // Every creation, revocation and refused use is audited — never the token itself.
    let api = Api { g: &g, c: client(), token: again.clone() };
    let (s, v) = api.get("/admin/api/v1/audit?kind=admin.&limit=500");
    assert_eq!(s, 200, "{v}");
    let events = v["events"].as_array().unwrap();
    let count = |kind: &str, subject: &str| {
        events.iter().filter(|e| e["kind"] == kind && (subject.is_empty() || e["subject"] == subject)).count()
    };
    assert_eq!(count("admin.token_created", "ci-bot"), 2);
    assert_eq!(count("admin.token_created", "page-bot"), 1);
    assert_eq!(count("admin.token_revoked", "ci-bot"), 1);
    assert_eq!(count("admin.token_revoked", "page-bot"), 1);
    // Refused token uses are audited as every refusal (within its budget), the revoked one named.
    let (_, refused) = api.get("/admin/api/v1/audit?kind=request.refused&limit=500");
    let refused = refused["events"].as_array().unwrap().clone();
    let token_refusals: Vec<&Value> = refused.iter().filter(|e| e["detail"]["reason"] == "api_token").collect();
    assert!(token_refusals.len() >= 6, "{refused:?}");
    assert_eq!(
        token_refusals
            .iter()
            .filter(|e| e["detail"]["message"].as_str().unwrap_or("").contains("`ci-bot` was revoked"))
            .count(),
        1,
        "a revoked token's use names it"
    );
    let created_on_page = events.iter().find(|e| e["kind"] == "admin.token_created" && e["subject"] == "page-bot");
    assert_eq!(created_on_page.unwrap()["actor"], "ops");
    let everything = api.get("/admin/api/v1/audit?limit=500").1.to_string();
    for t in [&token, &page_token, &again, &narrow] {
        assert!(!everything.contains(&t[4..]), "a token in the audit log");
        assert!(!g.log_text().contains(&t[4..]), "a token in the log");
    }
}

/// Sets `expires_at` of the token `name` in the gateway's SQLite store (a token whose time has come,
/// without waiting days).
fn expire_token(dir: &std::path::Path, name: &str) {
    use sqlx::Connection as _;
    let url = format!("sqlite://{}", dir.join("data/samlgate.db").display());
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let r = sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE name = ?")
            .bind(name)
            .execute(&mut c)
            .await
            .unwrap();
        assert_eq!(r.rows_affected(), 1, "{name}");
    });
}

/// A token expires (90 days unless told; the page offers 30/90/365/never, the CLI `--expires-in-days`
/// or `--no-expiry`); the page asks the admin's password again and needs a scope; a new password or
/// the removal of its creator revokes the tokens that admin made (the CLI's stay).
#[test]
fn api_tokens_expire_need_the_password_and_end_with_their_creator() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let g = start_with_admin(dir);
    let url = g.url("/admin/api/v1/sps");
    let browser = client();
    let csrf = admin_sign_in(&g, &browser);
    let create = |fields: &[(&str, &str)]| {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let r = browser.post(g.url("/admin/users/tokens")).form(&form).send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let token_on = |page: &str| {
        let at = page.find("id=\"token-value\">").map(|i| i + "id=\"token-value\">".len());
        at.map(|at| page[at..at + 68].to_owned())
    };
    // The form offers the lifetimes and asks for the password.
    let form = browser.get(g.url("/admin/users")).send().unwrap().text().unwrap();
    assert!(
        form.contains("name=\"days\"") && form.contains("value=\"never\"") && form.contains("id=\"token-password\"")
    );

    // No scope chosen: refused, nothing created.
    let (s, page) = create(&[("name", "none"), ("password", ADMIN_PASSWORD)]);
    assert_eq!(s, 400, "{page}");
    assert!(page.contains("choose at least one scope") && token_on(&page).is_none(), "{page}");
    // Without or with a wrong password: refused, audited as a failed password.
    let (s, page) = create(&[("name", "pw"), ("scope_admin", "1")]);
    assert_eq!(s, 403, "{page}");
    let (s, page) = create(&[("name", "pw"), ("scope_admin", "1"), ("password", "not the password")]);
    assert_eq!(s, 403, "{page}");
    assert!(page.contains("the password is not right") && token_on(&page).is_none(), "{page}");
    // A lifetime not offered: refused.
    let (s, _) = create(&[("name", "pw"), ("scope_admin", "1"), ("password", ADMIN_PASSWORD), ("days", "99999")]);
    assert_eq!(s, 400);
    // The right password: a token of 30 days, listed with its expiry.
    let (s, page) = create(&[("name", "ops-bot"), ("scope_admin", "1"), ("password", ADMIN_PASSWORD), ("days", "30")]);
    assert_eq!(s, 200, "{page}");
    let ops_token = token_on(&page).expect("the token is shown");
    assert_eq!(client().get(&url).bearer_auth(&ops_token).send().unwrap().status(), 200);
    let o = run(dir, &["admin", "token", "list"]);
    let listed = stdout(&o);
    let line = listed.lines().find(|l| l.starts_with("ops-bot\t")).unwrap_or_else(|| panic!("{listed}"));
    assert!(line.contains("created by ops") && line.contains("live, expires"), "{line}");

    // The CLI: 90 days by default, --no-expiry, bounds.
    let cli = cli_token(dir, "ci-bot", &[]);
    let listed = stdout(&run(dir, &["admin", "token", "list"]));
    assert!(listed.lines().any(|l| l.starts_with("ci-bot\t") && l.contains("live, expires")), "{listed}");
    let o = run(dir, &["admin", "token", "create", "forever", "--no-expiry"]);
    assert!(o.status.success() && stderr(&o).contains("never expires"), "{}", stderr(&o));
    let o = run(dir, &["admin", "token", "create", "long", "--expires-in-days", "4000"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(dir, &["admin", "token", "create", "both", "--expires-in-days", "5", "--no-expiry"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // An expired token is refused, named; its name can be reused.
    expire_token(dir, "ci-bot");
    let r = client().get(&url).bearer_auth(&cli).send().unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().unwrap();
    assert!(v["message"].as_str().unwrap().contains("`ci-bot` has expired"), "{v}");
    assert!(stdout(&run(dir, &["admin", "token", "list"])).contains("expired"));
    let cli = cli_token(dir, "ci-bot", &[]);
    assert_eq!(client().get(&url).bearer_auth(&cli).send().unwrap().status(), 200);

    // `Bearer` in any case (RFC 9110: the scheme is case-insensitive).
    let r = client().get(&url).header("authorization", format!("BEARER {cli}")).send().unwrap();
    assert_eq!(r.status(), 200);

    // A new password for ops revokes the tokens ops made (not the CLI's), audited with their names.
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "PW"], &[("PW", "another long password")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = client().get(&url).bearer_auth(&ops_token).send().unwrap();
    assert_eq!(r.status(), 401, "ops's token after ops's new password");
    assert_eq!(client().get(&url).bearer_auth(&cli).send().unwrap().status(), 200, "the CLI's token stays");
    let api = Api { g: &g, c: client(), token: cli.clone() };
    let (_, v) = api.get("/admin/api/v1/audit?kind=admin.password_changed");
    assert_eq!(v["events"][0]["detail"]["tokens_revoked"], json!(["ops-bot"]), "{v}");
    let (_, v) = api.get("/admin/api/v1/audit?kind=admin.login_failed");
    assert!(v["events"].as_array().unwrap().iter().any(|e| e["detail"]["reason"] == "confirm"), "{v}");

    // Removing a user revokes its tokens too.
    let o = run_env(dir, &["admin", "add-user", "ana", "--password-env", "PW"], &[("PW", ADMIN_PASSWORD)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ana = client();
    let ana_csrf = admin_sign_in_as(&g, &ana, "ana", ADMIN_PASSWORD);
    let r = ana
        .post(g.url("/admin/users/tokens"))
        .form(&[("csrf", ana_csrf.as_str()), ("name", "ana-bot"), ("scope_admin", "1"), ("password", ADMIN_PASSWORD)])
        .send()
        .unwrap();
    let ana_token = token_on(&r.text().unwrap()).expect("ana's token");
    assert_eq!(client().get(&url).bearer_auth(&ana_token).send().unwrap().status(), 200);
    let o = run(dir, &["admin", "remove-user", "ana"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(client().get(&url).bearer_auth(&ana_token).send().unwrap().status(), 401, "ana removed");
    let (_, v) = api.get("/admin/api/v1/audit?kind=admin.user_removed");
    assert_eq!(v["events"][0]["detail"]["tokens_revoked"], json!(["ana-bot"]), "{v}");
}

#[test]
fn the_api_runs_what_the_admin_pages_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let g = start_with_admin(dir);
    let api = Api { g: &g, c: client(), token: cli_token(dir, "ci-bot", &[]) };

    // SPs: the list, Huawei's metadata imported as a document.
    let (s, v) = api.get("/admin/api/v1/sps");
    assert_eq!(s, 200, "{v}");
    let huawei = "https://auth.huaweicloud.com/";
    assert!(v["sps"].as_array().unwrap().iter().any(|sp| sp["entity_id"] == huawei && sp["is_huawei"] == true), "{v}");
    let xml = std::fs::read_to_string(repo().join("tests/data/huawei/huawei-sp-metadata.xml")).unwrap();
    let (s, v) = api.post("/admin/api/v1/sps", json!({ "xml": xml }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["outcome"], "stored");
    assert_eq!(v["sp"]["entity_id"], huawei);
    assert_eq!(v["sp"]["origin"], "import");
    assert!(v["sp"]["signing_certificates"][0]["sha256"].as_str().unwrap().starts_with("70:14:9F:C1"), "{v}");
    let (s, v) = api.post("/admin/api/v1/sps", json!({ "xml": xml }));
    assert_eq!((s, v["outcome"].as_str()), (200, Some("unchanged")));
    let tampered = xml.replacen("auth.huaweicloud.com/authui/saml", "evil.example/authui/saml", 1);
    let (s, v) = api.post("/admin/api/v1/sps", json!({ "xml": tampered }));
    assert_eq!(s, 400, "a tampered document is refused: {v}");
    let (s, v) = api.post("/admin/api/v1/sps", json!({ "url": "file:///etc/passwd" }));
    assert_eq!((s, v["error"].as_str()), (400, Some("url")), "{v}");
    let (s, v) = api.post("/admin/api/v1/sps", json!({ "url": "https://x.example/", "xml": "<x/>" }));
    assert_eq!((s, v["error"].as_str()), (400, Some("json")), "{v}");
    let (s, v) = api.delete(&format!("/admin/api/v1/sps?entity_id={}", huawei_encoded()));
    assert_eq!((s, v["error"].as_str()), (409, Some("huawei_sp")), "{v}");
    let (s, _) = api.delete("/admin/api/v1/sps?entity_id=https%3A%2F%2Fnobody.example%2F");
    assert_eq!(s, 404);
    let (s, v) = api.post("/admin/api/v1/sps/refresh", json!({"entity_id": huawei}));
    assert_eq!((s, v["error"].as_str()), (400, Some("refresh")), "an uploaded document is not re-fetched: {v}");

    // Bad bodies: named 4xx, never 500.
    let r = api
        .c
        .post(g.url("/admin/api/v1/bindings"))
        .bearer_auth(&api.token)
        .header("content-type", "text/plain")
        .body("x_user_id=a")
        .send()
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = api
        .c
        .post(g.url("/admin/api/v1/bindings"))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().unwrap()["error"], "json");
    let (s, v) = api.post("/admin/api/v1/bindings", json!({"x_user_id": "a", "surprise": 1}));
    assert_eq!((s, v["error"].as_str()), (400, Some("json")), "{v}");
    let (s, v) = api.post("/admin/api/v1/bindings", json!({"x_user_id": 1234567890}));
    assert_eq!((s, v["error"].as_str()), (400, Some("json")), "{v}");
    assert!(!v["message"].as_str().unwrap().contains("1234567890"), "the value is not echoed: {v}");
    // Over server.max_body_bytes (on a connection of its own: the server closes it).
    let r = client()
        .post(g.url("/admin/api/v1/decode"))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body(format!("{{\"message\": \"{}\"}}", "a".repeat(300 * 1024)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>().unwrap()["error"], "too_large");

    // Bindings: add, find, remove.
    let (s, v) = api.post(
        "/admin/api/v1/bindings",
        json!({"x_user_id": "cust-api", "domain_id": "0a1b2c3d", "domain_name": "acme-api"}),
    );
    assert_eq!((s, v["outcome"].as_str()), (200, Some("created")), "{v}");
    let (s, v) = api.post("/admin/api/v1/bindings", json!({"x_user_id": "cust-api", "domain_id": "ffff"}));
    assert_eq!((s, v["error"].as_str()), (409, Some("bind_conflict")), "{v}");
    let (s, v) = api.post("/admin/api/v1/bindings", json!({"x_user_id": "cust-b2", "domain_id": "a b"}));
    assert_eq!((s, v["error"].as_str()), (400, Some("binding")), "{v}");
    let (s, v) = api.post("/admin/api/v1/bindings", json!({"x_user_id": "cust-other", "domain_id": "99aa"}));
    assert_eq!(s, 200, "{v}");
    let (s, v) = api.post("/admin/api/v1/bindings", json!({"x_user_id": "cust-api-2", "domain_id": "0a1b2c3d"}));
    assert_eq!(s, 200, "{v}");
    let (s, v) = api.get("/admin/api/v1/bindings?q=0a1b2c3d");
    assert_eq!(s, 200);
    assert_eq!((v["bindings"].as_array().unwrap().len(), &v["total"]), (2, &json!(2)), "the matches: {v}");
    assert!(v["bindings"].as_array().unwrap().iter().any(|b| b["x_user_id"] == "cust-api"), "{v}");
    let (_, v) = api.get("/admin/api/v1/bindings?q=0a1b2c3d&limit=1");
    assert_eq!((v["bindings"].as_array().unwrap().len(), &v["total"]), (1, &json!(2)), "{v}");
    assert_eq!(api.get("/admin/api/v1/bindings").1["total"], json!(3));
    let (s, v) = api.get("/admin/api/v1/bindings?limit=x");
    assert_eq!((s, v["error"].as_str()), (400, Some("parameter")), "{v}");
    let (s, v) = api.delete("/admin/api/v1/bindings/cust-api");
    assert_eq!((s, v["removed"]["domain_id"].as_str()), (200, Some("0a1b2c3d")), "{v}");
    let (s, _) = api.delete("/admin/api/v1/bindings/cust-api");
    assert_eq!(s, 404);
    let (s, v) = api.delete("/admin/api/v1/bindings/%FF");
    assert_eq!((s, v["error"].as_str()), (400, Some("parameter")), "not UTF-8: {v}");
    assert_eq!(api.get("/admin/api/v1/bindings?q=cust-api").1["bindings"], json!([]));

    // Audit: a refusal a customer saw is found by its correlation id; paging by `before`.
    let r = client().get(g.url("/console?token=not-a-token")).send().unwrap();
    assert!(r.status().is_client_error());
    let cid = r.headers()["x-correlation-id"].to_str().unwrap().to_owned();
    let (s, v) = api.get(&format!("/admin/api/v1/audit?correlation_id={cid}"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["events"][0]["kind"], "request.refused", "{v}");
    assert_eq!(v["events"][0]["detail"]["route"], "/console");
    let (_, page1) = api.get("/admin/api/v1/audit?limit=2");
    let next = page1["next_before"].as_i64().expect("more events");
    let (_, page2) = api.get(&format!("/admin/api/v1/audit?limit=2&before={next}"));
    assert!(page2["events"][0]["id"].as_i64().unwrap() < next);
    let (s, v) = api.get("/admin/api/v1/audit?since=yesterday");
    assert_eq!((s, v["error"].as_str()), (400, Some("audit_search")), "{v}");

    // Decode.
    let request = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
                   xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_api1\" Version=\"2.0\" \
                   IssueInstant=\"2026-12-06T00:00:00Z\"><saml:Issuer>https://auth.huaweicloud.com/</saml:Issuer>\
                   </samlp:AuthnRequest>";
    let (s, v) = api.post("/admin/api/v1/decode", json!({ "message": request }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["message"], "samlp:AuthnRequest");
    assert_eq!(v["encoding"], "XML");
    let checks = v["checks"].as_array().unwrap();
    assert!(checks.iter().any(|c| c["name"] == "xml" && c["ok"] == true), "{v}");
    assert!(checks.iter().any(|c| c["reason"] == "missing_signature" && c["ok"] == false), "{v}");
    assert_eq!(v["all_passed"], false, "unsigned: {v}");
    // Preview: what Huawei would receive; a value it would refuse names the rule.
    let (s, v) = api.post("/admin/api/v1/preview", json!({"x_user_id": "cust-api", "mobile": "0086-13900000000"}));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["attributes"][0], json!(["xUserId", ["cust-api"]]));
    assert_eq!(v["is_first_login"], true);
    let (s, v) = api.post("/admin/api/v1/preview", json!({"x_user_id": "cust-api", "mobile": "13900000000"}));
    assert_eq!((s, v["error"].as_str()), (400, Some("attribute")), "{v}");
    let (s, v) = api.post("/admin/api/v1/decode", json!({"message": "hello, world!"}));
    assert_eq!((s, v["error"].as_str()), (400, Some("decode")), "{v}");

    // Admin users.
    let (s, v) = api.post("/admin/api/v1/users", json!({"name": "robot", "password": "short"}));
    assert_eq!((s, v["error"].as_str()), (400, Some("admin_user")), "{v}");
    let (s, v) = api.post("/admin/api/v1/users", json!({"name": "robot", "password": "a long enough password"}));
    assert_eq!((s, v["outcome"].as_str()), (200, Some("added")), "{v}");
    let (_, v) = api.get("/admin/api/v1/users");
    assert!(v["users"].as_array().unwrap().iter().any(|u| u["name"] == "robot" && u["source"] == "store"), "{v}");
    let (s, _) = api.delete("/admin/api/v1/users/robot");
    assert_eq!(s, 200);
    let (s, _) = api.delete("/admin/api/v1/users/robot");
    assert_eq!(s, 404);
    let (s, v) = api.delete("/admin/api/v1/users/ops");
    assert_eq!((s, v["error"].as_str()), (409, Some("admin_user")), "the last user stays: {v}");

    // Keys: prepare → activate → retire, a step out of order refused.
    let (s, v) = api.get("/admin/api/v1/keys");
    assert_eq!((s, v["stage"].as_str()), (200, Some("single")), "{v}");
    let (s, v) = api.post("/admin/api/v1/keys/activate", json!({}));
    assert_eq!((s, v["error"].as_str()), (409, Some("no_next_key")), "{v}");
    let (s, v) = api.post("/admin/api/v1/keys/prepare", json!({"algorithm": "dsa512"}));
    assert_eq!((s, v["error"].as_str()), (400, Some("key_option")), "{v}");
    let (s, v) = api.post("/admin/api/v1/keys/prepare", json!({}));
    assert_eq!((s, v["stage"].as_str()), (200, Some("prepared")), "{v}");
    let next = v["keys"].as_array().unwrap().iter().find(|k| k["state"] == "next").unwrap()["sha256"].clone();
    let metadata = client().get(g.url("/saml/metadata")).send().unwrap().text().unwrap();
    assert_eq!(metadata.matches("<md:KeyDescriptor use=\"signing\"").count(), 2, "{metadata}");
    let (s, v) = api.post("/admin/api/v1/keys/activate", json!({}));
    assert_eq!((s, v["stage"].as_str()), (200, Some("activated")), "{v}");
    assert_eq!(v["keys"][0]["state"], "current");
    assert_eq!(v["keys"][0]["sha256"], next);
    let (s, v) = api.post("/admin/api/v1/keys/retire", json!({}));
    assert_eq!((s, v["stage"].as_str()), (200, Some("single")), "{v}");

    // The audit events of these calls name the token and carry the request's correlation id.
    let (_, v) = api.get("/admin/api/v1/audit?who=token:ci-bot&limit=500");
    let events = v["events"].as_array().unwrap();
    for kind in [
        "sp.import",
        "sp.refused",
        "bind.added",
        "bind.removed",
        "admin.user_added",
        "admin.user_removed",
        "keys.prepare",
        "keys.activate",
        "keys.retire",
    ] {
        let e = events.iter().find(|e| e["kind"] == kind).unwrap_or_else(|| panic!("no {kind}: {v}"));
        assert_eq!(e["actor"], "token:ci-bot", "{e}");
        assert_eq!(e["correlation_id"].as_str().unwrap().len(), 16, "{e}");
        assert_eq!(e["detail"]["client"], "127.0.0.1", "{e}");
    }
}

fn huawei_encoded() -> &'static str {
    "https%3A%2F%2Fauth.huaweicloud.com%2F"
}

/// The (method, path) pairs the API serves: the test's own list, which the document must match.
const API_ROUTES: [(&str, &str); 18] = [
    ("get", "/admin/api/v1/sps"),
    ("post", "/admin/api/v1/sps"),
    ("delete", "/admin/api/v1/sps"),
    ("post", "/admin/api/v1/sps/refresh"),
    ("get", "/admin/api/v1/keys"),
    ("post", "/admin/api/v1/keys/prepare"),
    ("post", "/admin/api/v1/keys/activate"),
    ("post", "/admin/api/v1/keys/retire"),
    ("get", "/admin/api/v1/bindings"),
    ("post", "/admin/api/v1/bindings"),
    ("delete", "/admin/api/v1/bindings/{x_user_id}"),
    ("get", "/admin/api/v1/audit"),
    ("post", "/admin/api/v1/decode"),
    ("post", "/admin/api/v1/preview"),
    ("get", "/admin/api/v1/users"),
    ("post", "/admin/api/v1/users"),
    ("delete", "/admin/api/v1/users/{name}"),
    ("post", "/admin/api/v1/assertions"),
];

/// The schema `schema` stands for: the component its `$ref` names, or itself.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("not a component: {r}"));
            let component = &doc["components"]["schemas"][name];
            assert!(component.is_object(), "{r} is not in the document");
            resolved(doc, component)
        }
        None => schema,
    }
}

/// The properties and the required names of an object schema (`$ref` and `allOf` followed); None for
/// a schema without properties (a bare `{"type": "object"}`, a string, a `oneOf`, …).
fn object_fields(doc: &Value, schema: &Value) -> Option<(serde_json::Map<String, Value>, Vec<String>)> {
    let s = resolved(doc, schema);
    let (mut props, mut required) = (serde_json::Map::new(), Vec::new());
    for part in s["allOf"].as_array().into_iter().flatten() {
        let (p, r) = object_fields(doc, part)?;
        props.extend(p);
        required.extend(r);
    }
    props.extend(s["properties"].as_object().cloned().unwrap_or_default());
    required.extend(s["required"].as_array().into_iter().flatten().map(|r| r.as_str().unwrap().to_owned()));
    required.sort();
    (!props.is_empty()).then_some((props, required))
}

/// Where `value` is not what `schema` documents: an object whose keys are not exactly the documented
/// properties (each of them required: the API never leaves a field out), a value of another type, an
/// array item or a tuple member that does not fit, a value that fits no variant of a `oneOf`.
fn shape_mismatch(doc: &Value, schema: &Value, value: &Value, at: &str) -> Option<String> {
    let s = resolved(doc, schema);
    if let Some(variants) = s["oneOf"].as_array() {
        let misses: Vec<String> = variants.iter().filter_map(|v| shape_mismatch(doc, v, value, at)).collect();
        return (misses.len() == variants.len()).then(|| format!("{at}: fits no variant: {}", misses.join("; ")));
    }
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = types.is_empty() || types.contains(&kind) || (kind == "integer" && types.contains(&"number"));
    if !fits {
        return Some(format!("{at}: {kind}, documented {types:?}: {value}"));
    }
    if let Some((props, required)) = object_fields(doc, s) {
        let Some(object) = value.as_object() else { return Some(format!("{at}: not an object: {value}")) };
        let mut keys: Vec<&String> = object.keys().collect();
        keys.sort();
        let documented: Vec<&String> = props.keys().collect();
        if keys != documented {
            return Some(format!("{at}: keys {keys:?}, documented {documented:?}"));
        }
        if required.iter().collect::<Vec<_>>() != documented {
            return Some(format!("{at}: required {required:?}, documented {documented:?}"));
        }
        return object.iter().find_map(|(k, v)| shape_mismatch(doc, &props[k], v, &format!("{at}.{k}")));
    }
    let list = value.as_array()?;
    if let Some(members) = s["prefixItems"].as_array() {
        if members.len() != list.len() {
            return Some(format!("{at}: {} members, documented {}", list.len(), members.len()));
        }
        return members
            .iter()
            .zip(list)
            .enumerate()
            .find_map(|(i, (m, v))| shape_mismatch(doc, m, v, &format!("{at}[{i}]")));
    }
    let items = s.get("items").filter(|i| i.is_object())?;
    list.iter().enumerate().find_map(|(i, v)| shape_mismatch(doc, items, v, &format!("{at}[{i}]")))
}

#[test]
fn the_openapi_document_names_every_route_and_only_those() {
    let tmp = tempfile::tempdir().unwrap();
    let g = start_with_admin(tmp.path());
    // No token needed for the document.
    let r = client().get(g.url("/admin/api/openapi.json")).send().unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer", "{doc}");
    let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (m, _) in item.as_object().unwrap().iter().filter(|(m, _)| methods.contains(&m.as_str())) {
            documented.push((m.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut expected: Vec<(String, String)> = API_ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    expected.sort();
    assert_eq!(documented, expected);

    for (path, item) in doc["paths"].as_object().unwrap() {
        for (m, op) in item.as_object().unwrap() {
            assert!(op["responses"]["401"].is_object() && op["responses"]["403"].is_object(), "{m} {path}: {op}");
            // The 200 answer names a component schema with properties, not a bare object.
            let answer = &op["responses"]["200"]["content"]["application/json"]["schema"];
            assert!(answer["$ref"].is_string(), "{m} {path}: the 200 answer is not a component: {answer}");
            assert!(object_fields(&doc, answer).is_some(), "{m} {path}: the 200 answer has no properties: {answer}");
        }
    }
    // The live answers are what the document says: top-level keys exactly the schema's properties, and
    // so on down (the lists first, with a binding and events in them).
    let api = Api { g: &g, c: client(), token: cli_token(tmp.path(), "doc-bot", &[]) };
    let added = api.post("/admin/api/v1/bindings", json!({"x_user_id": "cust-doc", "domain_id": "0a1b2c3d"}));
    let decoded = api.post("/admin/api/v1/decode", json!({"message": "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_d\" Version=\"2.0\"/>"}));
    let previewed = api.post("/admin/api/v1/preview", json!({"x_user_id": "cust-doc", "email": "a@example.com"}));
    let mut answers = vec![
        ("get", "/admin/api/v1/sps", api.get("/admin/api/v1/sps")),
        ("get", "/admin/api/v1/keys", api.get("/admin/api/v1/keys")),
        ("get", "/admin/api/v1/bindings", api.get("/admin/api/v1/bindings")),
        ("get", "/admin/api/v1/audit", api.get("/admin/api/v1/audit")),
        ("get", "/admin/api/v1/users", api.get("/admin/api/v1/users")),
    ];
    for (m, p, (s, v)) in &answers {
        assert_eq!(*s, 200, "{m} {p}: {v}");
        let schema = &doc["paths"][p][m]["responses"]["200"]["content"]["application/json"]["schema"];
        let (props, _) = object_fields(&doc, schema).unwrap();
        let mut keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, props.keys().collect::<Vec<_>>(), "{m} {p}: the answer's keys are the schema's: {v}");
        let list = v.as_object().unwrap().values().find_map(Value::as_array).unwrap();
        assert!(!list.is_empty(), "{m} {p}: an empty list checks nothing below it: {v}");
    }
    answers.extend([
        ("post", "/admin/api/v1/bindings", added),
        ("post", "/admin/api/v1/decode", decoded),
        ("post", "/admin/api/v1/preview", previewed),
        ("delete", "/admin/api/v1/bindings/{x_user_id}", api.delete("/admin/api/v1/bindings/cust-doc")),
    ]);
    for (m, p, (s, v)) in &answers {
        assert_eq!(*s, 200, "{m} {p}: {v}");
        let schema = &doc["paths"][p][m]["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(shape_mismatch(&doc, schema, v, "answer"), None, "{m} {p}");
    }
    // Every documented operation is routed (without a token: 401, not 404 or 405) …
    for (m, p) in &documented {
        let path = p.replace("{x_user_id}", "someone").replace("{name}", "someone");
        let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
        let r = client().request(method, g.url(&path)).send().unwrap();
        assert_eq!(r.status(), 401, "{m} {p}");
    }
    // … and no other method or path under /admin/api/v1/ is (JSON 405 / 404).
    for (p, _) in doc["paths"].as_object().unwrap() {
        let path = p.replace("{x_user_id}", "someone").replace("{name}", "someone");
        for m in ["get", "post", "delete", "put", "patch"] {
            if !documented.iter().any(|(dm, dp)| dm == m && dp == p) {
                let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
                let r = client().request(method, g.url(&path)).send().unwrap();
                assert_eq!(r.status(), 405, "{m} {p}");
                assert_eq!(r.json::<Value>().unwrap()["error"], "method_not_allowed");
            }
        }
    }
    for p in ["/admin/api/v1/tokens", "/admin/api/v1/nothing", "/admin/api/v1/sps/delete", "/admin/api/v2/sps"] {
        let r = client().get(g.url(p)).send().unwrap();
        assert_eq!(r.status(), 404, "{p}");
        assert_eq!(r.json::<Value>().unwrap()["error"], "not_found", "{p}");
    }
}

/// The bindings page (its "older" links), the API (`before` = `next`) and `samlgate bindings list`
/// (`--before` from the last line) page through the same bindings: each once, none missing, newest
/// first, across ties on created_at (five bindings a second) and xUserIds with dots; `total` is the
/// counter's exact count; offsets are refused with what to use instead.
#[test]
fn bindings_page_api_and_cli_page_through_ties_without_gaps() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let g = start_with_admin(dir);
    let api = Api { g: &g, c: client(), token: cli_token(dir, "pager", &[]) };
    let mut want: Vec<(i64, String)> = Vec::new();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = samlgate::store::open("sqlite://data/samlgate.db", dir).await.unwrap();
        for i in 0..130i64 {
            let b = samlgate::store::Binding {
                x_user_id: format!("cust.{:03}", (i * 37) % 130),
                domain_id: format!("d{i:04}"),
                domain_name: "acme".into(),
                user_name: None,
                user_id: None,
                created_at: 1_700_000_000 + i / 5,
            };
            store.put_binding(&b).await.unwrap();
            want.push((b.created_at, b.x_user_id));
        }
    });
    want.sort_by(|a, b| b.cmp(a));
    let want: Vec<String> = want.into_iter().map(|(_, x)| x).collect();

    // The API, seven at a time.
    let (mut seen, mut next) = (Vec::new(), None::<String>);
    loop {
        let path = match &next {
            None => "/admin/api/v1/bindings?limit=7".to_owned(),
            Some(c) => format!("/admin/api/v1/bindings?limit=7&before={}", urlencoding(c)),
        };
        let (s, v) = api.get(&path);
        assert_eq!((s, &v["total"]), (200, &json!(130)), "{v}");
        seen.extend(v["bindings"].as_array().unwrap().iter().map(|b| b["x_user_id"].as_str().unwrap().to_owned()));
        match v["next"].as_str() {
            Some(c) => next = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, want, "API pages");
    assert_eq!(api.get("/admin/api/v1/bindings?offset=0&limit=2").0, 200, "offset=0 reads as a first page");
    let (s, v) = api.get("/admin/api/v1/bindings?offset=7");
    assert_eq!((s, v["error"].as_str()), (400, Some("parameter")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("before"), "{v}");
    assert_eq!(api.get("/admin/api/v1/bindings?before=nonsense").0, 400);
    assert_eq!(api.get("/admin/api/v1/bindings?q=cust.001&before=1700000000.cust.001").0, 400);

    // The page, fifty at a time, by its links.
    let c = client();
    admin_sign_in(&g, &c);
    let (mut seen, mut path) = (Vec::new(), "/admin/bindings".to_owned());
    loop {
        let page = c.get(g.url(&path)).send().unwrap().text().unwrap();
        for row in page.split("<tr><td class=\"wrap\">").skip(1) {
            seen.push(html_unescape(&row[..row.find("</td>").unwrap()]));
        }
        match page.find("id=\"older\"") {
            Some(at) => {
                let href = &page[..at];
                let href = &href[href.rfind("href=\"").unwrap() + 6..];
                path = html_unescape(&href[..href.find('"').unwrap()]);
            }
            None => break,
        }
    }
    assert_eq!(seen, want, "page links");

    // The CLI, nine at a time, by the command its last line names.
    let (mut seen, mut before) = (Vec::new(), None::<String>);
    loop {
        let mut args = vec!["bindings", "list", "--limit", "9"];
        if let Some(b) = &before {
            args.extend(["--before", b.as_str()]);
        }
        let o = run(dir, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        seen.extend(stdout(&o).lines().map(|l| l.split('\t').next().unwrap().to_owned()));
        let err = stderr(&o);
        match err.lines().find_map(|l| l.strip_prefix("more: samlgate bindings list --limit 9 --before '")) {
            Some(c) => before = Some(c.trim_end_matches('\'').to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, want, "CLI pages");
    let o = run(dir, &["bindings", "list", "--offset", "5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--before"), "{}", stderr(&o));
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
