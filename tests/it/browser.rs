//! A real headless Chromium follows the demo (`samlgate demo`), once in Simplified Chinese and once in
//! English (the browser's language preference): the partner page's "Go to console", the gateway's
//! auto-posting SAML form, the mock SP's bind page and its auto-posted binding notification, the mock
//! console, logout (SLO round trip), a second jump that skips the bind page, Back onto the auto-post
//! page, and three refusal pages. Every page is checked for its language and for messages in the
//! browser console (a CSP violation would be one). Screenshots go to `tests/artifacts/browser-<lang>/`
//! (PNG; the test prints the folder).
//!
//! Chromium is driven through chromedriver's W3C WebDriver HTTP API with the blocking reqwest client
//! (no extra crate). Without Chromium the test FAILS, unless `SAMLGATE_SKIP_BROWSER=1`
//! (`apt-get install -y chromium chromium-driver`; `scripts/test` installs them).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use base64::Engine as _;
use serde_json::{Value, json};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_binary(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Ok(p) = std::env::var(env) {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Chromium and chromedriver, or None (the test skipped) with `SAMLGATE_SKIP_BROWSER=1`. Without them
/// the test fails.
fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    if std::env::var("SAMLGATE_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("SAMLGATE_SKIP_BROWSER=1: browser test skipped");
        return None;
    }
    let chromium = find_binary("SAMLGATE_CHROMIUM", &["/usr/bin/chromium", "/usr/bin/chromium-browser"])
        .expect("Chromium is missing: apt-get install -y chromium chromium-driver (or set SAMLGATE_SKIP_BROWSER=1)");
    let chromedriver = find_binary("SAMLGATE_CHROMEDRIVER", &["/usr/bin/chromedriver"])
        .expect("chromedriver is missing: apt-get install -y chromium-driver (or set SAMLGATE_SKIP_BROWSER=1)");
    Some((chromium, chromedriver))
}

/// A WebDriver session on a chromedriver.
struct Browser {
    http: reqwest::blocking::Client,
    base: String,
    _driver: Proc,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A browser whose language preference is `lang` (`Accept-Language` and `navigator.language`).
    fn start(chromium: &Path, chromedriver: &Path, log: &Path, lang: &str) -> Browser {
        let port = free_port();
        let driver = Proc(
            Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(log).unwrap())
                .spawn()
                .expect("start chromedriver"),
        );
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let root = format!("http://127.0.0.1:{port}");
        wait_until("chromedriver", Duration::from_secs(30), || {
            http.get(format!("{root}/status"))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true)
        });
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium.to_str().unwrap(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    format!("--lang={lang}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {"intl.accept_languages": lang}
            }
        }}});
        let r: Value = http.post(format!("{root}/session")).json(&caps).send().unwrap().json().unwrap();
        let id = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {r}")).to_owned();
        Browser { http, base: format!("{root}/session/{id}"), _driver: driver, _profile: profile }
    }

    /// [`Browser::cmd`] that answers None on a WebDriver error (an element gone with its page).
    fn try_cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Option<Value> {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let v: Value = rb.send().ok()?.json().ok()?;
        if v["value"].get("error").is_some() { None } else { Some(v["value"].clone()) }
    }

    fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let v: Value = rb.send().unwrap().json().unwrap();
        if v["value"].get("error").is_some() {
            panic!("WebDriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })));
    }

    fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None).as_str().unwrap_or_default().to_owned()
    }

    fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None).as_str().unwrap_or_default().to_owned()
    }

    /// The WebDriver id of the first element matching `css` (the web element reference is the one
    /// value of the returned object).
    fn element(&self, css: &str) -> String {
        let el = self.cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})));
        el.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {el}"))
            .to_owned()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({})));
    }

    fn text(&self, css: &str) -> String {
        let id = self.element(css);
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None).as_str().unwrap_or_default().to_owned()
    }

    fn wait_url(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let u = self.url();
            if f(&u) {
                return u;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; at {u}: {}", self.source());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screenshot(&self, name: &str) -> PathBuf {
        self.screenshot_in("tests/artifacts", name)
    }

    fn screenshot_in(&self, folder: &str, name: &str) -> PathBuf {
        let b64 = self.cmd(reqwest::Method::GET, "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
        let dir = repo().join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap();
        path
    }

    /// The browser console's messages since the last call (ChromeDriver's log endpoint).
    fn console_messages(&self) -> Vec<String> {
        let v = self.cmd(reqwest::Method::POST, "/se/log", Some(json!({"type": "browser"})));
        v.as_array()
            .map(|a| a.iter().map(|e| format!("{} {}", e["level"], e["message"].as_str().unwrap_or(""))).collect())
            .unwrap_or_default()
    }

    /// The `lang` of the page's `<html>`.
    fn html_lang(&self) -> String {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "return document.documentElement.lang", "args": []})),
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The URLs the browser requested since the last call (ChromeDriver's performance log).
    fn requested_urls(&self) -> Vec<String> {
        let v = self.cmd(reqwest::Method::POST, "/se/log", Some(json!({"type": "performance"})));
        let mut urls = Vec::new();
        for e in v.as_array().into_iter().flatten() {
            let Ok(m) = serde_json::from_str::<Value>(e["message"].as_str().unwrap_or("")) else { continue };
            if m["message"]["method"] == "Network.requestWillBeSent"
                && let Some(u) = m["message"]["params"]["request"]["url"].as_str()
            {
                urls.push(u.to_owned());
            }
        }
        urls
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.base).send();
    }
}

/// What the demo journey reads on the way, in one language.
struct Texts {
    lang: &'static str,
    signed_out: &'static str,
    link_used: &'static str,
    link_invalid: &'static str,
    not_found: &'static str,
    /// The first sentence of what to do, for each of the three refusals.
    link_used_what: &'static str,
    link_invalid_what: &'static str,
    not_found_what: &'static str,
    already: &'static str,
    back_to_partner: &'static str,
}

/// The mock SP's signed-out title in Chinese.
const MOCK_SIGNED_OUT_ZH: &str = "已退出登录";

const ZH: Texts = Texts {
    lang: "zh-CN",
    signed_out: MOCK_SIGNED_OUT_ZH,
    link_used: "此链接已被使用",
    link_invalid: "此登录链接无效",
    not_found: "页面不存在",
    link_used_what: "每个登录链接只能使用一次。请返回Acme Cloud Store，重新点击“进入控制台”。",
    link_invalid_what: "链接可能不完整或已被修改。请返回Acme Cloud Store，重新点击“进入控制台”。",
    not_found_what: "此地址没有页面。请返回Acme Cloud Store。",
    already: "您已登录",
    back_to_partner: "返回Acme Cloud Store",
};

const EN: Texts = Texts {
    lang: "en",
    signed_out: "Signed out",
    link_used: "This link was already used",
    link_invalid: "This sign-in link is not valid",
    not_found: "Page not found",
    link_used_what: "Each sign-in link works once. Go back to Acme Cloud Store and click “Go to console” again.",
    link_invalid_what: "The link may be incomplete or altered. Go back to Acme Cloud Store and click “Go to console” again.",
    not_found_what: "There is no page at this address. Go back to Acme Cloud Store.",
    already: "You are already signed in",
    back_to_partner: "Back to Acme Cloud Store",
};

#[test]
fn chromium_follows_the_demo_in_chinese() {
    follow_the_demo(&ZH);
}

#[test]
fn chromium_follows_the_demo_in_english() {
    follow_the_demo(&EN);
}

/// The demo journey in the browser's language `t.lang`; every page is in that language and leaves
/// nothing in the browser console.
fn follow_the_demo(t: &Texts) {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };

    // The demo: gateway + mock SP in one process.
    let tmp = tempfile::tempdir().unwrap();
    let (gp, sp) = (free_port(), free_port());
    let log = tmp.path().join("demo.log");
    let mut demo = Proc(
        Command::new(bin())
            .args(["demo", "--dir", tmp.path().join("demo").to_str().unwrap()])
            .args(["--bind", &format!("127.0.0.1:{gp}"), "--mock-sp-bind", &format!("127.0.0.1:{sp}")])
            .current_dir(tmp.path())
            .env_remove("SAMLGATE_CONFIG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let gw = format!("http://127.0.0.1:{gp}");
    let mock = format!("http://127.0.0.1:{sp}");
    let c = client();
    wait_until("the demo", Duration::from_secs(60), || {
        if let Ok(Some(s)) = demo.0.try_wait() {
            panic!("demo exited with {s}: {}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        [&gw, &mock].iter().all(|b| c.get(format!("{b}/healthz")).send().is_ok_and(|r| r.status().is_success()))
    });

    let folder = format!("tests/artifacts/browser-{}", t.lang);
    eprintln!("browser test ({}): screenshots in {}", t.lang, repo().join(&folder).display());
    let b = Browser::start(&chromium, &chromedriver, &tmp.path().join("chromedriver.log"), t.lang);
    let demo_log = || std::fs::read_to_string(&log).unwrap_or_default();
    // Each page: in the asked language, and nothing in the browser console (CSP violations, errors) —
    // except, on a refusal page, Chromium's note of the page's own 4xx status.
    let check_status = |what: &str, shot: &str, status: Option<u16>| {
        assert_eq!(b.html_lang(), t.lang, "{what}: {}", b.source());
        let own = status
            .map(|s| format!("{} - Failed to load resource: the server responded with a status of {s} ", b.url()));
        let messages: Vec<String> = b
            .console_messages()
            .into_iter()
            .filter(|m| !own.as_ref().is_some_and(|o| m.contains(o.as_str())))
            .collect();
        assert!(messages.is_empty(), "{what}: browser console: {messages:#?}");
        b.screenshot_in(&folder, shot);
    };
    let check = |what: &str, shot: &str| check_status(what, shot, None);

    // 1. The partner platform page.
    b.goto(&format!("{mock}/partner"));
    b.wait_url("the partner page", |u| u.starts_with(&format!("{mock}/partner")));
    check("the partner page", "01-partner.png");

    // 2. "Go to console": hand-off → gateway → mock login → gateway SSO → auto-post → mock ACS → bind page.
    b.click("#go-to-console");
    b.wait_url("the bind page (after the auto-post)", |u| u == format!("{mock}/authui/bind"));
    assert_eq!(b.text("#x-user-id"), "cust-1001");
    check("the bind page", "02-bind.png");

    // 3. Bind a new account: the notification is auto-posted to the gateway (into a frame), then on to
    //    the console.
    b.click("#bind");
    b.wait_url("the mock console", |u| u == format!("{mock}/console"));
    assert_eq!(b.text("#x-user-id"), "cust-1001", "{}", demo_log());
    assert_eq!(b.text("#first-login"), "true");
    assert!(b.text("#binding").contains("domainId"));
    assert!(b.text("#service").starts_with("https://console.huaweicloud.com/"));
    check("the mock console", "03-console.png");

    // 4. Log out: LogoutRequest to the gateway, LogoutResponse back.
    b.click("#logout");
    b.wait_url("the logout response", |u| {
        u.starts_with(&format!("{mock}/authui/saml/LogoutServiceHTTPRedirectResponse"))
    });
    assert_eq!(b.text("#title"), t.signed_out, "{}", demo_log());
    check("signed out", "04-signed-out.png");

    // 5. Second jump: the gateway stored the binding (sent by the browser's auto-post), so no bind page.
    b.goto(&format!("{mock}/partner"));
    b.wait_url("the partner page", |u| u.starts_with(&format!("{mock}/partner")));
    let _ = b.requested_urls();
    b.click("#go-to-console");
    b.wait_url("the mock console (second jump)", |u| u == format!("{mock}/console"));
    assert_eq!(b.text("#first-login"), "false", "binding notification did not reach the gateway: {}", demo_log());
    check("the mock console (second jump)", "05-console-second-jump.png");

    // 6. The auto-post page again (Reload, or Back in a browser that keeps it in its history; it is
    //    no-store, so it is fetched again): the gateway offers the console instead of a replay
    //    refusal, and posts nothing.
    let sso = b.requested_urls().into_iter().find(|u| u.starts_with(&format!("{gw}/saml/sso?"))).expect("the SSO URL");
    b.goto(&sso);
    wait_for(&b, "#already-answered");
    assert_eq!(b.url(), sso, "the page stayed: nothing was posted");
    assert_eq!(b.text("#already-answered"), t.already);
    check("back on the auto-post page", "06-back-already-signed-in.png");
    b.click("#start-again");
    b.wait_url("the partner page (start again)", |u| u.starts_with(&format!("{mock}/partner")));
    let _ = b.console_messages();

    // 7. Refusal pages: a used link, a link without its token, a page that does not exist — each says
    //    what happened, leads back to the partner platform and shows the correlation id.
    let o = run(&tmp.path().join("demo"), &["token", "--user", "cust-2002", "--raw"]);
    assert!(o.status.success(), "token: {}", stderr(&o));
    let used = format!("{gw}/console?token={}", stdout(&o).trim());
    b.goto(&used);
    b.wait_url("the mock console (third jump)", |u| u.starts_with(&mock));
    let _ = b.console_messages();
    for (n, (url, headline, what, status)) in [
        (used.clone(), t.link_used, t.link_used_what, 401),
        (format!("{gw}/console"), t.link_invalid, t.link_invalid_what, 401),
        (format!("{gw}/nowhere"), t.not_found, t.not_found_what, 404),
    ]
    .into_iter()
    .enumerate()
    {
        b.goto(&url);
        wait_for(&b, "#headline");
        assert_eq!(b.text("#headline"), headline, "{url}");
        assert_eq!(b.text("#what"), what, "{url}");
        assert_eq!(b.text("#back-to-partner"), t.back_to_partner, "{url}");
        assert_eq!(b.text("#correlation-id").len(), 16, "{url}");
        check_status(&format!("refusal page {url}"), &format!("{:02}-refusal-{n}.png", 7 + n), Some(status));
    }
    b.click("#back-to-partner");
    b.wait_url("the partner page (back from a refusal)", |u| u.starts_with(&format!("{mock}/partner")));
    drop(b);
    drop(demo);
}

/// Types `text` into the element matching `css` (WebDriver "Element Send Keys").
fn type_into(b: &Browser, css: &str, text: &str) {
    let id = b.element(css);
    b.cmd(reqwest::Method::POST, &format!("/element/{id}/clear"), Some(json!({})));
    b.cmd(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({ "text": text })));
}

/// Waits until an element matching `css` exists (after a click that submits a form).
fn wait_for(b: &Browser, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = b.cmd(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": css})));
        if found.as_array().is_some_and(|a| !a.is_empty()) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {css}: {}", b.source());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn chromium_signs_in_to_the_admin_pages_and_saves_a_return_url() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let o = run(dir, &["init", "--base-url", &base, "--x-account-type", "acme_IDP"]);
    assert!(o.status.success(), "init: {}", stderr(&o));
    let password = "correct horse battery staple";
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "ADMIN_PW"], &[("ADMIN_PW", password)]);
    assert!(o.status.success(), "add-user: {}", stderr(&o));
    let g = Gateway::start_on(dir, port, &[]);

    let b = Browser::start(&chromium, &chromedriver, &dir.join("chromedriver.log"), "en-US");
    b.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 1280, "height": 1500})));

    // Not signed in: /admin leads to the sign-in form.
    b.goto(&g.url("/admin"));
    b.wait_url("the sign-in page", |u| u == g.url("/admin/login"));
    type_into(&b, "#name", "ops");
    type_into(&b, "#password", "wrong password!");
    b.click("#sign-in");
    wait_for(&b, "#login-error");
    assert_eq!(b.text("#login-error"), "Wrong name or password.");
    type_into(&b, "#password", password);
    b.click("#sign-in");
    b.wait_url("the overview", |u| u == g.url("/admin"));
    assert_eq!(b.text("#admin-name"), "ops");

    // Save the order-paid return URL.
    b.click("a[href='/admin/return-urls']");
    b.wait_url("the return URLs page", |u| u == g.url("/admin/return-urls"));
    type_into(&b, "#order_paid", "javascript:alert(1)");
    b.click("#save");
    wait_for(&b, "#error-order_paid");
    assert!(b.text("#error-order_paid").contains("scheme `javascript` is not allowed"), "{}", b.source());
    type_into(&b, "#order_paid", "https://partner.example/paid");
    type_into(&b, "#recharge", "https://partner.example/top-up");
    b.click("#save");
    b.wait_url("the saved page", |u| u.ends_with("/admin/return-urls?saved=1"));
    assert_eq!(b.text("#saved"), "Saved.");
    b.screenshot("admin-return-urls.png");

    // The checklist shows what to enter in Partner Center, with the targets now set.
    b.click("a[href='/admin']");
    b.wait_url("the overview", |u| u == g.url("/admin"));
    let checklist = b.text("#checklist");
    assert!(checklist.contains(&g.url("/return/order-paid")), "{checklist}");
    assert!(checklist.contains("redirects to https://partner.example/paid"), "{checklist}");
    assert!(checklist.contains(&g.url("/huawei/bind")), "{checklist}");
    b.screenshot("admin-checklist.png");

    // Record a customer bound through Huawei's create-customer Partner API: refused with the rule
    // named, then accepted; its first jump then says isFirstLogin=false.
    b.click("a[href='/admin/bindings']");
    b.wait_url("the bindings page", |u| u == g.url("/admin/bindings"));
    type_into(&b, "input[name=x_user_id]", "api-cust-1");
    type_into(&b, "input[name=domain_id]", "has space");
    b.click("#add");
    wait_for(&b, "#add-error");
    assert!(b.text("#add-error").contains("domainId"), "{}", b.source());
    type_into(&b, "input[name=domain_id]", "0a1b2c");
    b.click("#add");
    b.wait_url("the added page", |u| u.contains("/admin/bindings?added="));
    assert!(b.text("#added").contains("api-cust-1"), "{}", b.source());
    assert!(b.text("#bindings").contains("0a1b2c"), "{}", b.source());
    let o = run(dir, &["token", "--user", "api-cust-1", "--raw"]);
    let token = stdout(&o).trim().to_owned();
    let r = client().get(g.url(&format!("/console?token={token}"))).send().unwrap();
    assert!(r.headers()["location"].to_str().unwrap().contains("isFirstLogin=false"));

    b.click("#logout");
    b.wait_url("the sign-in page", |u| u == g.url("/admin/login"));
    b.goto(&g.url("/admin"));
    b.wait_url("the sign-in page (signed out)", |u| u == g.url("/admin/login"));
    drop(b);
    drop(g);
}

/// Waits until the text of `css` exists and differs from `before` (the page after a form post).
fn wait_text_other_than(b: &Browser, css: &str, before: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // The page may change between the lookup and the read: every step may fail and is retried.
        let text = b
            .try_cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})))
            .and_then(|el| el.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).map(str::to_owned))
            .and_then(|id| b.try_cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None))
            .and_then(|v| v.as_str().map(str::to_owned));
        if let Some(t) = text
            && t != before
        {
            return t;
        }
        assert!(Instant::now() < deadline, "timed out waiting for a new {css}: {}", b.source());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The partner admin's console in Chromium: sign in, upload Huawei's SP Metadata.xml, run a whole key
/// rollover with the buttons, add, find and remove a binding, find a customer's refusal by the
/// correlation id shown on its error page, add an admin user who then signs in — every page without a
/// message in the browser console. Screenshots in `tests/artifacts/admin-console/`.
#[test]
fn chromium_runs_the_admin_console() {
    let Some((chromium, chromedriver)) = browser_binaries() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let g = start_with_admin(dir);
    let folder = "tests/artifacts/admin-console";
    eprintln!("admin console browser test: screenshots in {}", repo().join(folder).display());

    // A customer's broken link, as support hears of it: the correlation id from the error page.
    let r = client().get(g.url("/console?token=broken.link.here")).send().unwrap();
    let cid = r.headers()["x-correlation-id"].to_str().unwrap().to_owned();

    let b = Browser::start(&chromium, &chromedriver, &dir.join("chromedriver.log"), "en-US");
    b.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 1280, "height": 1600})));
    let check = |what: &str, shot: &str| {
        let messages = b.console_messages();
        assert!(messages.is_empty(), "{what}: browser console: {messages:#?}");
        b.screenshot_in(folder, shot);
    };
    let sign_in_as = |name: &str, password: &str| {
        b.goto(&g.url("/admin/login"));
        wait_for(&b, "#sign-in");
        type_into(&b, "#name", name);
        type_into(&b, "#password", password);
        b.click("#sign-in");
        b.wait_url("the overview", |u| u == g.url("/admin"));
        assert_eq!(b.text("#admin-name"), name);
    };
    sign_in_as("ops", ADMIN_PASSWORD);
    check("the overview", "01-overview.png");

    // Upload Huawei's real SP Metadata.xml: its signature verified with the pinned certificate.
    b.click("#nav-sps");
    b.wait_url("the SPs page", |u| u == g.url("/admin/sps"));
    let file = repo().join("tests/data/huawei/huawei-sp-metadata.xml");
    let input = b.element("#sp-file");
    b.cmd(reqwest::Method::POST, &format!("/element/{input}/value"), Some(json!({"text": file.to_str().unwrap()})));
    b.click("#upload");
    b.wait_url("the imported page", |u| u.contains("/admin/sps?imported="));
    assert!(b.text("#done").contains("https://auth.huaweicloud.com/"), "{}", b.source());
    assert!(b.source().contains("upload:huawei-sp-metadata.xml"));
    check("SP uploaded", "02-sp-uploaded.png");

    // The key rollover, step by step — with an SSO hop (of a test SP beside Huawei's, whose real
    // metadata was just uploaded and whose requests we cannot sign) after each step, its assertion
    // checked by xmlsec1 with the certificate that must sign it then.
    let sp_md = dir.join("test-sp.xml");
    let (sp_pkey, sp_cert) = write_test_sp("sp.console.test", &sp_md);
    let o = run(dir, &["sp", "import", sp_md.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sp_key = samlgate::saml::dsig::SigningKey::new(
        sp_pkey,
        sp_cert.to_der().unwrap(),
        samlgate::saml::dsig::SignatureAlgorithm::RsaSha256,
    )
    .unwrap();
    let hop_signed_by = |cert_pem: &std::path::Path, what: &str| {
        let xml = sso_hop(&g, dir, "sp.console.test", &sp_key, "cust-console");
        assert!(assertion_verifies(&xml, cert_pem, dir), "{what}: xmlsec1 with {}", cert_pem.display());
    };
    let old_cert = dir.join("old-idp.crt");
    std::fs::copy(dir.join("certs/idp.crt"), &old_cert).unwrap();
    let before = client().get(g.url("/saml/metadata")).send().unwrap().text().unwrap();
    b.click("#nav-keys");
    b.wait_url("the keys page", |u| u == g.url("/admin/keys"));
    let mut done = String::new();
    let new_cert = dir.join("new-idp.crt");
    for (step, shot) in [
        ("#prepare", "03-keys-prepared.png"),
        ("#activate", "04-keys-activated.png"),
        ("#retire", "05-keys-retired.png"),
    ] {
        b.click(step);
        done = wait_text_other_than(&b, "#done", &done);
        check(step, shot);
        match step {
            "#prepare" => {
                let md = client().get(g.url("/saml/metadata")).send().unwrap().text().unwrap();
                assert_eq!(md.matches("use=\"signing\"").count(), 2, "two signing keys published: {md}");
                std::fs::copy(dir.join("certs/idp-next.crt"), &new_cert).unwrap();
                hop_signed_by(&old_cert, "after prepare the current key still signs");
            }
            "#activate" => {
                hop_signed_by(&new_cert, "after activate the new key signs");
                let xml = sso_hop(&g, dir, "sp.console.test", &sp_key, "cust-console");
                assert!(!assertion_verifies(&xml, &old_cert, dir), "after activate the old key no longer signs");
            }
            _ => hop_signed_by(&new_cert, "after retire"),
        }
    }
    let after = client().get(g.url("/saml/metadata")).send().unwrap().text().unwrap();
    assert_eq!(after.matches("use=\"signing\"").count(), 1);
    let cert =
        |md: &str| md.split("<ds:X509Certificate>").nth(1).and_then(|s| s.split('<').next()).unwrap_or("").to_owned();
    assert_ne!(cert(&before), cert(&after), "a new key signs and is published");

    // A binding: add, find by domainId, remove after confirmation.
    b.click("a[href='/admin/bindings']");
    b.wait_url("the bindings page", |u| u == g.url("/admin/bindings"));
    type_into(&b, "input[name=x_user_id]", "api-cust-9");
    type_into(&b, "input[name=domain_id]", "abc123");
    b.click("#add");
    b.wait_url("the added page", |u| u.contains("/admin/bindings?added="));
    type_into(&b, "#q", "abc123");
    b.click("#search");
    b.wait_url("the search", |u| u.contains("q=abc123"));
    assert!(b.text("#bindings").contains("api-cust-9"));
    b.click("a.remove");
    wait_for(&b, "#confirm-remove");
    check("remove binding", "06-binding-remove.png");
    b.click("#confirm-remove");
    b.wait_url("the removed page", |u| u.contains("/admin/bindings?removed="));
    assert!(b.text("#removed").contains("api-cust-9"));

    // Support: the customer's refusal, found by its correlation id.
    b.click("a[href='/admin/audit']");
    b.wait_url("the audit page", |u| u == g.url("/admin/audit"));
    type_into(&b, "#correlation_id", &cid);
    b.click("#search");
    b.wait_url("the search", |u| u.contains("correlation_id="));
    let rows = b.text("#audit");
    assert!(rows.contains("request.refused") && rows.contains("token_malformed") && rows.contains(&cid), "{rows}");
    check("audit search", "07-audit-by-correlation-id.png");

    // The decoder: a captured AuthnRequest (as XML: it names Huawei's SP, which signs its requests).
    b.click("#nav-decode");
    b.wait_url("the decoder", |u| u == g.url("/admin/decode"));
    let captured = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
        xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_captured1\" Version=\"2.0\" \
        IssueInstant=\"2026-01-01T00:00:00Z\"><saml:Issuer>https://auth.huaweicloud.com/</saml:Issuer></samlp:AuthnRequest>";
    type_into(&b, "#message", captured);
    b.click("#decode");
    wait_for(&b, "#checks");
    assert_eq!(b.text("#decoded-message"), "samlp:AuthnRequest (XML)");
    assert!(b.text("#xml").contains("<saml:Issuer>https://auth.huaweicloud.com/</saml:Issuer>"), "{}", b.source());
    assert!(b.text("#checks").contains("missing_signature"), "{}", b.text("#checks"));
    check("decoder", "08-decoder.png");

    // A new admin user, who then signs in.
    b.click("#nav-users");
    b.wait_url("the users page", |u| u == g.url("/admin/users"));
    type_into(&b, "#user-name", "second-admin");
    type_into(&b, "#user-password", "second admin's password");
    type_into(&b, "#user-password2", "second admin's password");
    b.click("#save-user");
    b.wait_url("the added page", |u| u.contains("/admin/users?added="));
    assert!(b.text("#users").contains("second-admin"));
    check("users", "09-users.png");
    b.click("#logout");
    b.wait_url("the sign-in page", |u| u == g.url("/admin/login"));
    sign_in_as("second-admin", "second admin's password");
    check("signed in as the new user", "10-new-user-overview.png");
    drop(b);
    drop(g);
}
