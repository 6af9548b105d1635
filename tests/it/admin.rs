//! The admin pages over HTTP: `samlgate admin add-user`, sign-in, CSRF, the access-configuration
//! checklist, return URLs (validation, precedence over the config file, audit), bindings, audit log,
//! sign-out.

use std::path::Path;

use crate::common::*;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, LOCATION, SET_COOKIE};

const PASSWORD: &str = "correct horse battery staple";

/// `init` on a fixed port, optionally with an admin user `ops`, then `serve`.
fn start(dir: &Path, with_user: bool) -> Gateway {
    start_with(dir, with_user, &[])
}

/// [`start`] with environment variables for `serve` (config overrides such as `SAMLGATE_UI_TIMEZONE`).
fn start_with(dir: &Path, with_user: bool, env: &[(&str, &str)]) -> Gateway {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let o = run(dir, &["init", "--base-url", &base, "--x-account-type", "acme_IDP"]);
    assert!(o.status.success(), "init: {}", stderr(&o));
    if with_user {
        let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "ADMIN_PW"], &[("ADMIN_PW", PASSWORD)]);
        assert!(o.status.success(), "add-user: {}", stderr(&o));
    }
    Gateway::start_on(dir, port, env)
}

/// The value of the first hidden `csrf` field.
fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    let e = html[i..].find('"').unwrap() + i;
    html[i..e].to_owned()
}

fn get(c: &reqwest::blocking::Client, url: &str) -> (StatusCode, String) {
    let r = c.get(url).send().unwrap();
    let s = r.status();
    (s, r.text().unwrap())
}

/// A GET asking for the pages in `lang` (`Accept-Language`); checks the headers every admin page
/// carries (its language, not cached, same-origin referrer) and that the page has no inline style
/// (the CSP allows the stylesheet only). Returns the status and the page.
fn get_in(c: &reqwest::blocking::Client, url: &str, lang: &str) -> (StatusCode, String) {
    let r = c.get(url).header(ACCEPT_LANGUAGE, lang).send().unwrap();
    let s = r.status();
    let h = r.headers().clone();
    let page = r.text().unwrap();
    assert_eq!(h["content-language"], lang, "{url}");
    assert!(h["vary"].to_str().unwrap().to_ascii_lowercase().contains("accept-language"), "{url}: {h:?}");
    assert_eq!(h["cache-control"], "no-store", "{url}");
    assert_eq!(h["referrer-policy"], "same-origin", "{url}");
    assert_clean(url, &page);
    (s, page)
}

/// No inline style anywhere (`style-src 'self'`): neither `<style>` blocks nor `style=` attributes.
fn assert_clean(what: &str, page: &str) {
    assert!(!page.contains("<style") && !page.contains("style="), "{what} has inline style: {page}");
}

fn post(c: &reqwest::blocking::Client, url: &str, form: &[(&str, &str)]) -> reqwest::blocking::Response {
    c.post(url).form(form).send().unwrap()
}

/// Signs in as `ops`; returns the session's CSRF token (from the overview page).
fn sign_in(g: &Gateway, c: &reqwest::blocking::Client) -> String {
    let (s, page) = get(c, &g.url("/admin/login"));
    assert_eq!(s, StatusCode::OK, "{page}");
    let r = post(c, &g.url("/admin/login"), &[("csrf", &csrf_of(&page)), ("name", "ops"), ("password", PASSWORD)]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().unwrap_or_default());
    assert_eq!(r.headers()[LOCATION], "/admin");
    let (s, page) = get(c, &g.url("/admin"));
    assert_eq!(s, StatusCode::OK, "{page}");
    csrf_of(&page)
}

#[test]
fn without_an_admin_user_admin_says_how_to_create_one() {
    let tmp = tempfile::tempdir().unwrap();
    let g = start(tmp.path(), false);
    let c = client();
    for path in ["/admin", "/admin/login", "/admin/return-urls"] {
        let (s, page) = get(&c, &g.url(path));
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(page.contains("No admin user yet"), "{path}: {page}");
        assert!(page.contains("samlgate --config samlgate.toml admin add-user NAME"), "{page}");
        assert_clean(path, &page);
    }
    let (s, page) = get_in(&c, &g.url("/admin"), "zh-CN");
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("lang=\"zh-CN\"") && page.contains("尚无管理员用户"), "{page}");
    assert!(page.contains("samlgate --config samlgate.toml admin add-user NAME"), "{page}");
    let r = post(&c, &g.url("/admin/login"), &[("name", "ops"), ("password", PASSWORD)]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[test]
fn admin_users_live_in_the_store_and_apply_without_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let o = run(dir, &["init", "--base-url", &base, "--x-account-type", "acme_IDP"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A user of the config file's [[admin.users]] keeps working beside the store's.
    let hash = samlgate::gateway::admin::hash_password("config user password").unwrap();
    let mut v: toml::Table = std::fs::read_to_string(dir.join("samlgate.toml")).unwrap().parse().unwrap();
    let user: toml::Table = format!("name = \"cfg\"\npassword_hash = \"{hash}\"").parse().unwrap();
    v["admin"].as_table_mut().unwrap().insert("users".into(), toml::Value::Array(vec![toml::Value::Table(user)]));
    std::fs::write(dir.join("samlgate.toml"), toml::to_string(&v).unwrap()).unwrap();
    let before = std::fs::read_to_string(dir.join("samlgate.toml")).unwrap();

    // Too short, bad name, missing variable: refused.
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "PW"], &[("PW", "short")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("at least 12 characters"), "{}", stderr(&o));
    let o = run_env(dir, &["admin", "add-user", "o p", "--password-env", "PW"], &[("PW", PASSWORD)]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(dir, &["admin", "add-user", "ops", "--password-env", "NOT_SET_ANYWHERE_42"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("NOT_SET_ANYWHERE_42"));

    let g = Gateway::start_on(dir, port, &[]);
    let can_sign_in = |name: &str, password: &str| {
        let c = client();
        let page = c.get(g.url("/admin/login")).send().unwrap().text().unwrap();
        let r = post(&c, &g.url("/admin/login"), &[("csrf", &csrf_of(&page)), ("name", name), ("password", password)]);
        r.status() == StatusCode::SEE_OTHER
    };
    assert!(can_sign_in("cfg", "config user password"));
    assert!(!can_sign_in("ops", PASSWORD));

    // From the environment, and from stdin: accepted by the running gateway at once.
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "PW"], &[("PW", PASSWORD)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("added admin user ops"), "{}", stdout(&o));
    let mut child = std::process::Command::new(bin())
        .arg("--config")
        .arg(dir.join("samlgate.toml"))
        .args(["admin", "add-user", "second"])
        .env_remove("SAMLGATE_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"another long password\n").unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(can_sign_in("ops", PASSWORD), "no restart needed");
    assert!(can_sign_in("second", "another long password"));
    // The config file is not touched; the store keeps only argon2id hashes.
    assert_eq!(std::fs::read_to_string(dir.join("samlgate.toml")).unwrap(), before);
    let mut stored = Vec::new();
    for f in std::fs::read_dir(dir.join("data")).unwrap().flatten() {
        stored.extend(std::fs::read(f.path()).unwrap());
    }
    assert!(!String::from_utf8_lossy(&stored).contains(PASSWORD), "a password in the store");
    assert!(String::from_utf8_lossy(&stored).contains("$argon2id$"));

    let o = run(dir, &["admin", "list-users"]);
    let listed: Vec<String> = stdout(&o).lines().map(|l| l.split('\t').take(2).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(listed, ["cfg config", "ops store", "second store"], "{}", stdout(&o));

    // The same name again sets a new password (no duplicate); the old one stops working.
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "PW"], &[("PW", "a brand new password")]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("new password for admin user ops"));
    assert!(!can_sign_in("ops", PASSWORD));
    assert!(can_sign_in("ops", "a brand new password"));
    assert_eq!(stdout(&run(dir, &["admin", "list-users"])).lines().count(), 3);

    // Remove: a store user goes at once; a config user is removed in the file; audited.
    let o = run(dir, &["admin", "remove-user", "second"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!can_sign_in("second", "another long password"));
    let o = run(dir, &["admin", "remove-user", "cfg"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("config file"), "{}", stderr(&o));
    // Nor can a store user take over a config user's name (and so its password).
    let o = run_env(dir, &["admin", "add-user", "cfg", "--password-env", "PW"], &[("PW", "a takeover password")]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(can_sign_in("cfg", "config user password"));
    let o = run(dir, &["admin", "remove-user", "nobody"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(dir, &["audit", "export", "--kind", "admin.", "--format", "jsonl"]);
    let kinds: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].as_str().unwrap().to_owned())
        .filter(|k| k.starts_with("admin.user") || k.starts_with("admin.password"))
        .collect();
    assert_eq!(kinds, ["admin.user_removed", "admin.password_changed", "admin.user_added", "admin.user_added"]);
    drop(g);
}

#[test]
fn the_last_admin_user_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let o = run(dir, &["init", "--base-url", "https://gw.example", "--x-account-type", "acme_IDP"]);
    assert!(o.status.success());
    let o = run_env(dir, &["admin", "add-user", "only", "--password-env", "PW"], &[("PW", PASSWORD)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(dir, &["admin", "remove-user", "only"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("last admin user"), "{}", stderr(&o));
}

#[test]
fn admin_pages_sign_in_checklist_return_urls_bindings_audit_and_sign_out() {
    let tmp = tempfile::tempdir().unwrap();
    let g = start(tmp.path(), true);
    let c = client();

    // Not signed in: pages go to the sign-in form; POSTs are refused.
    let r = c.get(g.url("/admin")).send().unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/admin/login");
    let r = post(&c, &g.url("/admin/return-urls"), &[("order_paid", "https://evil.example/")]);
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The sign-in form: its token is bound to a pre-login cookie.
    let (_, page) = get(&c, &g.url("/admin/login"));
    let login_csrf = csrf_of(&page);
    let wrong =
        post(&c, &g.url("/admin/login"), &[("csrf", &login_csrf), ("name", "ops"), ("password", "nope nope nope")]);
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get_all(SET_COOKIE).iter().all(|v| !v.to_str().unwrap().starts_with("samlgate_admin=")));
    assert!(wrong.text().unwrap().contains("Wrong name or password"));
    let r = post(&c, &g.url("/admin/login"), &[("csrf", &login_csrf), ("name", "nobody"), ("password", PASSWORD)]);
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = post(&c, &g.url("/admin/login"), &[("name", "ops"), ("password", PASSWORD)]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no login token");
    let r = post(&c, &g.url("/admin/login"), &[("csrf", &"0".repeat(64)), ("name", "ops"), ("password", PASSWORD)]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "wrong login token");
    // Another client (no pre-login cookie) cannot reuse the token.
    let other = client();
    let r = post(&other, &g.url("/admin/login"), &[("csrf", &login_csrf), ("name", "ops"), ("password", PASSWORD)]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Sign in: the cookie is HttpOnly, SameSite=Strict, scoped to /admin, short-lived.
    let r = post(&c, &g.url("/admin/login"), &[("csrf", &login_csrf), ("name", "ops"), ("password", PASSWORD)]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("samlgate_admin="))
        .expect("admin cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=1800"] {
        assert!(set.contains(attr), "{set} lacks {attr}");
    }
    assert!(!set.contains("Secure"), "http base URL: no Secure flag ({set})");
    let (s, overview) = get_in(&c, &g.url("/admin"), "en");
    assert_eq!(s, StatusCode::OK);
    assert!(overview.contains("lang=\"en\"") && overview.contains("samlgate admin"), "{overview}");
    let csrf = csrf_of(&overview);
    assert_eq!(csrf.len(), 64);

    // The checklist: what to enter in Partner Center.
    for needle in [
        "IDP Metadata文件",
        "href=\"/admin/metadata\"",
        "通知结果绑定地址",
        &g.url("/huawei/bind"),
        "订单支付成功跳转地址",
        &g.url("/return/order-paid"),
        "订单充值跳转地址",
        &g.url("/return/recharge"),
        "entityID is not https",
        "xAccountType is set",
        "IdP signing certificate",
        "SP metadata imported",
        "return URL not set",
        // Issue 10: bpId warned about while unset; Huawei's real metadata with its verified signature.
        "bpId (partner ID) is not set",
        "SP metadata imported: https://auth.huaweicloud.com/",
        "signature verified (rsa-sha256 over a sha1 digest) by pinned certificate",
        "70:14:9F:C1",
    ] {
        assert!(overview.contains(needle), "overview lacks {needle}: {overview}");
    }
    let r = c.get(g.url("/admin/metadata")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("IDP Metadata.xml"));
    assert!(r.text().unwrap().contains("IDPSSODescriptor"));

    // CSRF: missing, wrong, or a foreign Origin → 403, nothing saved.
    let paid = "https://partner.example/paid";
    let r = post(&c, &g.url("/admin/return-urls"), &[("order_paid", paid)]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().unwrap().contains("CSRF"));
    let r = post(&c, &g.url("/admin/return-urls"), &[("csrf", &"a".repeat(64)), ("order_paid", paid)]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(&c, &g.url("/admin/return-urls"), &[("csrf", &csrf[..63]), ("order_paid", paid)]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(g.url("/admin/return-urls"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("order_paid", paid)])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(g.url("/admin/return-urls"))
        .header("origin", "null")
        .form(&[("csrf", csrf.as_str()), ("order_paid", paid)])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(c.get(g.url("/return/order-paid")).send().unwrap().status(), StatusCode::NOT_FOUND);
    // Admin pages send their Origin with form posts (not the global no-referrer).
    assert_eq!(c.get(g.url("/admin/return-urls")).send().unwrap().headers()["referrer-policy"], "same-origin");
    let r = c
        .post(g.url("/admin/return-urls"))
        .header("origin", &g.base)
        .form(&[("csrf", csrf.as_str()), ("recharge", "")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "same-origin post");

    // Invalid URLs are refused with the reason; nothing is saved.
    for (bad, reason) in [
        ("javascript:alert(1)", "scheme"),
        ("http://evil.example/", "must use https"),
        ("https://u:p@x.example/", "must not carry credentials"),
        ("data:text/html,hi", "scheme"),
        ("not a url", "whitespace"),
    ] {
        let r = post(&c, &g.url("/admin/return-urls"), &[("csrf", &csrf), ("order_paid", bad)]);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body = r.text().unwrap();
        assert!(body.contains("id=\"error-order_paid\""), "{bad}: {body}");
        assert!(body.contains(reason), "{bad}: expected `{reason}` in {body}");
        assert!(body.contains("Nothing was saved"));
        assert_clean(bad, &body);
    }
    // One bad field keeps the good ones from being saved too.
    let r = post(
        &c,
        &g.url("/admin/return-urls"),
        &[("csrf", &csrf), ("order_paid", paid), ("recharge", "javascript:alert(1)")],
    );
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(c.get(g.url("/return/order-paid")).send().unwrap().status(), StatusCode::NOT_FOUND);

    // Save: the gateway URLs redirect there; the change is audited with the admin as actor.
    let r = post(
        &c,
        &g.url("/admin/return-urls"),
        &[("csrf", &csrf), ("order_paid", paid), ("after_logout", "http://127.0.0.1:9/bye"), ("recharge", "")],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().unwrap_or_default());
    let (_, page) = get_in(&c, &g.url("/admin/return-urls?saved=1"), "en");
    assert!(page.contains("<p class=\"notice ok\" id=\"saved\">Saved.</p>"), "{page}");
    assert!(page.contains(&format!("value=\"{paid}\"")), "{page}");
    let r = client().get(g.url("/return/order-paid")).send().unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()[LOCATION], paid);
    let r = client().get(g.url("/logout")).send().unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()[LOCATION], "http://127.0.0.1:9/bye");
    assert_eq!(client().get(g.url("/return/recharge")).send().unwrap().status(), StatusCode::NOT_FOUND);
    let (_, audit) = get(&c, &g.url("/admin/audit?kind=admin.return_urls"));
    assert!(audit.contains("admin.return_urls"), "{audit}");
    assert!(audit.contains("\">ops</a></td>"), "{audit}");
    assert!(audit.contains("partner.example/paid"), "{audit}");
    let (_, overview) = get(&c, &g.url("/admin"));
    assert!(overview.contains(&format!("redirects to {paid}")), "{overview}");

    // Clearing a field reverts to the config file (none here).
    let r = post(&c, &g.url("/admin/return-urls"), &[("csrf", &csrf), ("order_paid", ""), ("after_logout", "")]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(client().get(g.url("/return/order-paid")).send().unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(client().get(g.url("/logout")).send().unwrap().status(), StatusCode::OK);
    let r = post(&c, &g.url("/admin/return-urls"), &[("csrf", &csrf), ("order_paid", paid)]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Bindings and audit pages render, escaped.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = samlgate::store::open("sqlite://data/samlgate.db", &g.dir).await.unwrap();
        store
            .put_binding(&samlgate::store::Binding {
                x_user_id: "<b>cust&1</b>".into(),
                domain_id: "dom-1".into(),
                domain_name: "acme".into(),
                user_name: Some("u1".into()),
                user_id: None,
                created_at: 1_700_000_000,
            })
            .await
            .unwrap();
    });
    let (s, page) = get_in(&c, &g.url("/admin/bindings"), "en");
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("&#60;b&#62;cust&#38;1&#60;/b&#62;") || page.contains("&lt;b&gt;cust&amp;1&lt;/b&gt;"),
        "{page}"
    );
    assert!(!page.contains("<b>cust"));
    // Times in the configured zone (Asia/Shanghai by default for huawei.site = "cn"), named in the header.
    assert!(page.contains("dom-1") && page.contains("<td>2023-11-15 06:13:20</td>"), "{page}");
    assert!(page.contains("Bound (Asia/Shanghai)"), "{page}");
    let (_, overview) = get(&c, &g.url("/admin"));
    assert!(overview.contains("id=\"binding-count\">1<"), "{overview}");
    // Keyset pages: a cursor from an "older" link; page numbers are refused with what to use instead.
    assert_eq!(get(&c, &g.url("/admin/bindings?before=1700000001.zzz")).0, StatusCode::OK);
    let (s, body) = get(&c, &g.url("/admin/bindings?page=2"));
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("before="), "{body}");
    assert_eq!(get(&c, &g.url("/admin/bindings?before=not-a-cursor")).0, StatusCode::BAD_REQUEST);
    let (s, audit) = get_in(&c, &g.url("/admin/audit"), "en");
    assert_eq!(s, StatusCode::OK);
    for kind in ["admin.login", "admin.login_failed", "admin.return_urls", "sp.import"] {
        assert!(audit.contains(kind), "audit lacks {kind}");
    }
    let newest = audit.find("admin.return_urls").unwrap();
    assert!(newest < audit.find("sp.import").unwrap(), "newest first");
    assert_eq!(get(&c, &g.url("/admin/audit?kind=%3Cscript%3E")).0, StatusCode::BAD_REQUEST);

    // Sign out: CSRF-checked, the session is gone.
    let r = post(&c, &g.url("/admin/logout"), &[]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(&c, &g.url("/admin/logout"), &[("csrf", &csrf)]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/admin/login");
    let r = c.get(g.url("/admin")).send().unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, audit) = {
        let c2 = client();
        sign_in(&g, &c2);
        get(&c2, &g.url("/admin/audit?kind=admin.logout"))
    };
    assert!(audit.contains("admin.logout") && audit.contains("\">ops</a></td>"), "{audit}");
}

/// The admin pages in Simplified Chinese and English, by `Accept-Language`: the language tag, the
/// headings, and the times in the configured zone (`ui.timezone`), the zone named in the column header.
#[test]
fn admin_pages_speak_the_browsers_language_and_show_times_in_the_configured_zone() {
    let tmp = tempfile::tempdir().unwrap();
    // Not the default zone of huawei.site = "cn" (Asia/Shanghai): the configured one is used.
    let g = start_with(tmp.path(), true, &[("SAMLGATE_UI_TIMEZONE", "Asia/Tokyo")]);
    let c = client();

    // The sign-in page, and a wrong password, in Chinese.
    let (s, login) = get_in(&c, &g.url("/admin/login"), "zh-CN");
    assert_eq!(s, StatusCode::OK);
    for needle in
        ["<html lang=\"zh-CN\">", "<h1>samlgate 管理后台</h1>", ">用户名</label>", ">密码</label>", ">登录</button>"]
    {
        assert!(login.contains(needle), "login page lacks {needle}: {login}");
    }
    assert!(login.contains("<body class=\"admin-login\">"), "{login}");
    let r = c
        .post(g.url("/admin/login"))
        .header(ACCEPT_LANGUAGE, "zh-CN")
        .form(&[("csrf", csrf_of(&login).as_str()), ("name", "ops"), ("password", "wrong wrong wrong")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let page = r.text().unwrap();
    assert!(page.contains("<p class=\"reason\" id=\"login-error\">用户名或密码错误。</p>"), "{page}");
    assert_clean("the refused sign-in", &page);
    // …and in English.
    let (_, login) = get_in(&c, &g.url("/admin/login"), "en");
    assert!(login.contains("<html lang=\"en\">") && login.contains("<h1>samlgate admin</h1>"), "{login}");
    assert!(login.contains(">Name</label>") && login.contains(">Sign in</button>"), "{login}");
    let csrf = sign_in(&g, &c);

    // A binding and an audit event at a known instant: 1_700_000_000 is 2023-11-14 22:13:20 UTC,
    // 2023-11-15 07:13:20 in Tokyo.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = samlgate::store::open("sqlite://data/samlgate.db", &g.dir).await.unwrap();
        store
            .put_binding(&samlgate::store::Binding {
                x_user_id: "cust-tz".into(),
                domain_id: "dom-tz".into(),
                domain_name: "acme".into(),
                user_name: None,
                user_id: None,
                created_at: 1_700_000_000,
            })
            .await
            .unwrap();
        store
            .append_audit(&samlgate::store::NewAuditEvent {
                at: 1_700_000_000,
                kind: "bind.created".into(),
                actor: String::new(),
                subject: "cust-tz".into(),
                detail_json: "{}".into(),
                correlation_id: String::new(),
            })
            .await
            .unwrap();
    });
    let tokyo = "<td>2023-11-15 07:13:20</td>";

    // Chinese.
    let (s, audit) = get_in(&c, &g.url("/admin/audit?kind=bind.created"), "zh-CN");
    assert_eq!(s, StatusCode::OK);
    for needle in [
        "<html lang=\"zh-CN\">",
        "<body class=\"admin\">",
        "<span class=\"brand\" id=\"admin-brand\">samlgate 管理后台</span>",
        "<h1>审计日志</h1>",
        "<th>时间（Asia/Tokyo）</th>",
        tokyo,
        ">退出登录</button>",
        "客户（xUserId）或管理员",
        "起始时间（Asia/Tokyo）",
    ] {
        assert!(audit.contains(needle), "Chinese audit page lacks {needle}: {audit}");
    }
    assert!(!audit.contains("UTC") && !audit.contains("Audit log"), "{audit}");
    let (_, none) = get_in(&c, &g.url("/admin/audit?kind=no.such"), "zh-CN");
    assert!(none.contains("id=\"no-events\">没有符合此搜索条件的事件。"), "{none}");
    let (_, overview) = get_in(&c, &g.url("/admin"), "zh-CN");
    for needle in [
        "<h1>接入配置清单</h1>",
        // Partner Center's field names stay as Partner Center spells them, with the English gloss.
        "<strong>IDP Metadata文件</strong><br><span class=\"muted\">IDP Metadata file</span>",
        "<strong>通知结果绑定地址</strong>",
        "尚未设置跳转目标",
        "entityID 未使用 https",
        "bpId（伙伴 ID）未设置",
        "已导入 SP 元数据：https://auth.huaweicloud.com/",
        "（Asia/Tokyo）",
        "<th>时间（Asia/Tokyo）</th>",
        ">下载 IDP Metadata.xml</a>",
        "<td class=\"level\">",
    ] {
        assert!(overview.contains(needle), "Chinese overview lacks {needle}: {overview}");
    }
    let (_, bindings) = get_in(&c, &g.url("/admin/bindings"), "zh-CN");
    assert!(
        bindings.contains("<h1>账号绑定</h1>") && bindings.contains("<th>绑定时间（Asia/Tokyo）</th>"),
        "{bindings}"
    );
    assert!(bindings.contains(tokyo), "{bindings}");
    let (_, urls) = get_in(&c, &g.url("/admin/return-urls"), "zh-CN");
    assert!(urls.contains("<h1>合作伙伴回跳地址</h1>") && urls.contains("订单支付成功跳转地址"), "{urls}");
    let r = c
        .post(g.url("/admin/return-urls"))
        .header(ACCEPT_LANGUAGE, "zh-CN")
        .form(&[("csrf", csrf.as_str()), ("order_paid", "javascript:alert(1)")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().unwrap();
    assert!(page.contains("未保存任何内容") && page.contains("javascript") && page.contains("协议"), "{page}");
    assert_clean("the refused return URLs", &page);
    let r = c
        .post(g.url("/admin/bindings"))
        .header(ACCEPT_LANGUAGE, "zh-CN")
        .form(&[("csrf", csrf.as_str()), ("x_user_id", "cust-2"), ("domain_id", "has space")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().unwrap();
    assert!(page.contains("id=\"add-error\">domainId 最多 64 个字符"), "{page}");

    // English: the same instant, the same zone.
    let (_, audit) = get_in(&c, &g.url("/admin/audit?kind=bind.created"), "en");
    for needle in [
        "<html lang=\"en\">",
        "samlgate admin</span>",
        "<h1>Audit log</h1>",
        "<th>Time (Asia/Tokyo)</th>",
        tokyo,
        "Customer (xUserId) or admin",
    ] {
        assert!(audit.contains(needle), "English audit page lacks {needle}: {audit}");
    }
    let (_, overview) = get_in(&c, &g.url("/admin"), "en");
    assert!(overview.contains("<h1>Access configuration checklist</h1>"), "{overview}");
    assert!(overview.contains("<strong>IDP Metadata文件</strong><br><span class=\"muted\">IDP Metadata file</span>"));
    assert!(overview.contains("<th>Time (Asia/Tokyo)</th>") && overview.contains("(Asia/Tokyo)"), "{overview}");
    let (_, bindings) = get_in(&c, &g.url("/admin/bindings"), "en");
    assert!(bindings.contains("<th>Bound (Asia/Tokyo)</th>") && bindings.contains(tokyo), "{bindings}");
    // Without a language the browser names, the default of huawei.site = "cn": Chinese.
    let r = c.get(g.url("/admin")).header(ACCEPT_LANGUAGE, "fr").send().unwrap();
    assert_eq!(r.headers()["content-language"], "zh-CN");
}

#[test]
fn settings_round_trip_in_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = samlgate::store::open("sqlite://data/s.db", tmp.path()).await.unwrap();
        assert_eq!(store.get_setting("return_urls.order_paid").await.unwrap(), None);
        store.put_setting("return_urls.order_paid", "https://a.example/").await.unwrap();
        store.put_setting("return_urls.order_paid", "https://b.example/").await.unwrap();
        assert_eq!(store.get_setting("return_urls.order_paid").await.unwrap().as_deref(), Some("https://b.example/"));
        assert!(store.delete_setting("return_urls.order_paid").await.unwrap());
        assert!(!store.delete_setting("return_urls.order_paid").await.unwrap());
        assert_eq!(store.get_setting("return_urls.order_paid").await.unwrap(), None);
        assert_eq!(store.count_bindings().await.unwrap(), 0);
    });
}

/// One sign-in attempt with the form's token.
fn attempt(
    c: &reqwest::blocking::Client,
    g: &Gateway,
    csrf: &str,
    name: &str,
    pw: &str,
) -> reqwest::blocking::Response {
    post(c, &g.url("/admin/login"), &[("csrf", csrf), ("name", name), ("password", pw)])
}

/// A fresh client with its sign-in token, after as many wrong passwords for `ops` as are free.
fn after_free_failures(g: &Gateway) -> (reqwest::blocking::Client, String) {
    let c = client();
    let csrf = csrf_of(&get(&c, &g.url("/admin/login")).1);
    for _ in 0..samlgate::gateway::admin::LOCKOUT_FREE_FAILURES {
        assert_eq!(attempt(&c, g, &csrf, "ops", "wrong wrong wrong").status(), StatusCode::UNAUTHORIZED);
    }
    (c, csrf)
}

/// Review finding: only the per-address limit stood between an attacker and an admin password.
#[test]
fn repeated_wrong_passwords_lock_the_account_with_back_off() {
    let tmp = tempfile::tempdir().unwrap();
    let g = start(tmp.path(), true);
    let (c, csrf) = after_free_failures(&g);
    // Locked: even the right password is refused, with the wait in Retry-After and the page.
    let r = attempt(&c, &g, &csrf, "ops", PASSWORD);
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    assert!(r.text().unwrap().contains("locked"), "the page says why");
    // In Chinese too.
    let r = c
        .post(g.url("/admin/login"))
        .header(ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9")
        .form(&[("csrf", csrf.as_str()), ("name", "ops"), ("password", PASSWORD)])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["content-language"], "zh-CN");
    let page = r.text().unwrap();
    assert!(page.contains("id=\"login-error\"") && page.contains("已被暂时锁定"), "{page}");
    // A second admin, to show the lock is per account (a new user needs a restart; the lock is in
    // memory, so `ops` is locked again after it).
    let o = run_env(tmp.path(), &["admin", "add-user", "ops2", "--password-env", "PW"], &[("PW", PASSWORD)]);
    assert!(o.status.success(), "{}", stderr(&o));
    drop(g);
    let g = Gateway::start(tmp.path(), &[]);
    let (c, csrf) = after_free_failures(&g);
    assert_eq!(attempt(&c, &g, &csrf, "ops", PASSWORD).status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(attempt(&c, &g, &csrf, "ops2", PASSWORD).status(), StatusCode::SEE_OTHER, "per account");
    let (_, audit) = get(&c, &g.url("/admin/audit?kind=admin.lockout"));
    let audit = html_unescape(&audit);
    assert!(audit.contains(r#""seconds":30"#) && audit.contains("<td class=\"wrap\">ops</td>"), "{audit}");
    let (_, failed) = get(&c, &g.url("/admin/audit?kind=admin.login_failed"));
    assert!(html_unescape(&failed).contains(r#""reason":"locked""#), "the locked attempt is audited");
}
