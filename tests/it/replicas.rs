//! Several gateway replicas on one PostgreSQL behave as one gateway: a session opened on one replica is
//! good on the other, and a request ID answered by one is refused by the other.
//! Uses PostgreSQL at 127.0.0.1:5432 (or `$SAMLGATE_TEST_PG`), in a fresh schema per test.

use crate::common::*;

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh schema; dropped when the guard goes.
struct PgSchema {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgSchema {
    fn new() -> PgSchema {
        let admin_url = std::env::var("SAMLGATE_TEST_PG").unwrap_or_else(|_| DEFAULT_PG.to_string());
        let name = format!("r_{}", uuid::Uuid::new_v4().simple());
        exec(&admin_url, &format!("CREATE SCHEMA {name}"));
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options[search_path]={name}");
        PgSchema { admin_url, name, url }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        exec(&self.admin_url, &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

fn exec(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::Connection as _;
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url} is unreachable ({e}); scripts/test starts it"));
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut c).await.unwrap();
    });
}

#[test]
fn two_replicas_share_sessions_and_the_replay_cache() {
    let pg = PgSchema::new();
    let tmp = tempfile::tempdir().unwrap();
    let sp_dir = tmp.path().join("sp");
    py_sp(&["gen-sp", "--out", sp_dir.to_str().unwrap()]);
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    let sp_md = sp_dir.join("sp-metadata.xml");

    // Both replicas sit behind one public URL (the load balancer's): replica A's address here.
    let port_a = free_port();
    let public = format!("http://127.0.0.1:{port_a}");
    let env = [
        ("SAMLGATE_HUAWEI_SP_METADATA", sp_md.to_str().unwrap()),
        ("SAMLGATE_STORE_URL", pg.url.as_str()),
        ("SAMLGATE_SERVER_BASE_URL", public.as_str()),
    ];
    let a = Gateway::start_on(&dir, port_a, &env);
    let b = Gateway::start(&dir, &env);
    assert_ne!(a.port, b.port);

    let idp_md = tmp.path().join("idp.xml");
    std::fs::write(&idp_md, client().get(a.url("/saml/metadata")).send().unwrap().text().unwrap()).unwrap();
    assert_eq!(
        std::fs::read_to_string(&idp_md).unwrap(),
        client().get(b.url("/saml/metadata")).send().unwrap().text().unwrap(),
        "replicas publish the same metadata"
    );

    // Session opened on A.
    let c = client();
    let o = run(&dir, &["token", "--user", "cust-r1", "--raw"]);
    let token = stdout(&o).trim().to_owned();
    let r = c.get(a.url(&format!("/console?token={token}"))).send().unwrap();
    assert_eq!(r.status(), 302);

    // The token's jti is spent on A: B refuses it too.
    let r = c.get(b.url(&format!("/console?token={token}"))).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["error"], "token_replayed");

    // The SSO hop completes on B.
    let j = py_sp(&[
        "authn-request",
        "--sp-dir",
        sp_dir.to_str().unwrap(),
        "--idp-metadata",
        idp_md.to_str().unwrap(),
        "--relay-state",
        "r",
    ]);
    let url_a = j["url"].as_str().unwrap().to_owned();
    let request_id = j["request_id"].as_str().unwrap().to_owned();
    let url_b = url_a.replacen(&a.base, &b.base, 1);
    let r = c.get(&url_b).send().unwrap();
    assert_eq!(r.status(), 200, "{}", b.log_text());
    let form = parse_post_form(&r.text().unwrap());
    assert_eq!(form.relay_state.as_deref(), Some("r"));
    let (ok, j) = py_consume(&sp_dir, &idp_md, tmp.path(), &request_id, &form, &[]);
    assert!(ok, "python SPs refused the response from replica B: {j}");
    assert_eq!(j["onelogin"]["attributes"]["xUserId"], serde_json::json!(["cust-r1"]));

    // The request ID answered by B: A offers the same browser the console (the session is shared) …
    let r = c.get(&url_a).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("id=\"already-answered\""));
    // … and refuses it to another browser (the replay cache is shared).
    let other = client();
    let o = run(&dir, &["token", "--user", "cust-r2", "--raw"]);
    let r = other.get(a.url(&format!("/console?token={}", stdout(&o).trim()))).send().unwrap();
    assert_eq!(r.status(), 302);
    let r = other.get(&url_a).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["error"], "replay");

    // Both replicas see the audit trail in the shared store.
    let health: serde_json::Value = c.get(b.url("/healthz")).send().unwrap().json().unwrap();
    assert_eq!(health["status"], "ok");
}
