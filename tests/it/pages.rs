//! The customer's pages: in the language the browser asks for (`Accept-Language`, else the site's
//! default), in the partner's brand, refusals a customer can act on (what happened, what to do, a way
//! back to the partner platform, the correlation id for support), Back/Reload on the auto-post page,
//! the landing page, and a strict CSP the pages satisfy (no inline style, no external resource).

use axum::body::Body;
use axum::http::Request;

use crate::common::*;
use crate::local::*;

const LOGIN: &str = "https://partner.example/login";

/// A GET of a page (HTML) with an optional `Accept-Language` and session cookie.
fn page_get(path: &str, lang: Option<&str>, session: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path).header("accept", "text/html,application/xhtml+xml");
    if let Some(l) = lang {
        b = b.header("accept-language", l);
    }
    if let Some(s) = session {
        b = b.header("cookie", format!("samlgate_session={s}"));
    }
    b.body(Body::empty()).unwrap()
}

async fn with_login() -> Local {
    Local::new_with(|s| s.config.handoff.partner_login_url = Some(LOGIN.to_owned())).await
}

/// The text of the element with this id (`<tag id="x" …>text</tag>`), tags inside stripped.
fn by_id(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    let mut depth = 0usize;
    let mut out = String::new();
    let mut rest = &html[start..];
    while let Some(lt) = rest.find('<') {
        if depth == 0 {
            out.push_str(&rest[..lt]);
        }
        let gt = rest[lt..].find('>').unwrap() + lt;
        let tag = &rest[lt + 1..gt];
        if tag.starts_with('/') {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if !tag.ends_with('/') && !tag.starts_with("br") && !tag.starts_with("img") && !tag.starts_with("input")
        {
            depth += 1;
        }
        rest = &rest[gt + 1..];
    }
    out.trim().to_owned()
}

fn assert_no_inline_style(html: &str) {
    assert!(!html.contains("style=") && !html.contains("<style"), "inline style in {html}");
    assert!(!html.contains("https://cdn") && !html.contains("//fonts."), "external resource in {html}");
}

/// `/console` without a token, as in the issue's `curl -H 'Accept-Language: zh-CN' <base>/console`.
#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_page_speaks_the_customers_language_and_leads_back() {
    let l = with_login().await;
    for (lang, headline, what) in [
        (Some("zh-CN,zh;q=0.9,en;q=0.8"), "此登录链接无效", "请返回合作伙伴平台，重新点击“进入控制台”。"),
        (Some("en-US,en;q=0.9"), "This sign-in link is not valid", "Go back to the partner platform and click"),
        // No header: the site (cn) decides.
        (None, "此登录链接无效", "重新点击“进入控制台”"),
    ] {
        let r = l.send(page_get("/console", lang, None)).await;
        assert_eq!(r.status(), 401, "{lang:?}");
        let cid = r.headers()["x-correlation-id"].to_str().unwrap().to_owned();
        let tag = if headline.is_ascii() { "en" } else { "zh-CN" };
        assert_eq!(r.headers()["content-language"], tag);
        assert_eq!(r.headers()["vary"], "Accept-Language");
        let html = body_text(r).await;
        assert!(html.contains(&format!("<html lang=\"{tag}\">")), "{html}");
        assert_eq!(by_id(&html, "headline"), headline);
        assert!(by_id(&html, "what").contains(what), "{html}");
        // The way back, and what support needs, small at the bottom; the reason code is not the headline.
        assert!(html.contains(&format!("id=\"back-to-partner\" href=\"{LOGIN}\"")), "{html}");
        assert_eq!(by_id(&html, "correlation-id"), cid);
        assert_eq!(by_id(&html, "reason"), "token_missing");
        assert!(!by_id(&html, "headline").contains("token_missing"));
        assert_no_inline_style(&html);
    }
    // JSON keeps the reason code.
    let r = l.send(get("/console", None)).await;
    assert_eq!(body_json(r).await["error"], "token_missing");
}

/// The causes a customer meets most: an expired link, a used link, no session — each its own sentence.
#[tokio::test(flavor = "multi_thread")]
async fn expired_and_used_links_say_so_in_both_languages() {
    let l = with_login().await;
    // Expired: issued three minutes ago with a one-minute life.
    let now = samlgate::util::now_unix();
    let claims = samlgate::handoff::Claims {
        sub: "cust-p1".into(),
        iat: now - 180,
        exp: now - 120,
        jti: samlgate::handoff::new_jti(),
        name: None,
        mobile: None,
        email: None,
    };
    let expired = samlgate::handoff::issue(&l.state.handoff_secrets.current, &claims);
    for (lang, headline) in [("en", "This link has expired"), ("zh-CN", "此链接已过期")] {
        let r = l.send(page_get(&format!("/console?token={expired}"), Some(lang), None)).await;
        assert_eq!(r.status(), 401);
        let html = body_text(r).await;
        assert_eq!(by_id(&html, "headline"), headline, "{html}");
        assert_eq!(by_id(&html, "reason"), "token_expired");
    }
    let t = l.token("cust-p2");
    assert_eq!(l.send(page_get(&format!("/console?token={t}&service=iam"), None, None)).await.status(), 302);
    for (lang, headline, what) in [
        ("en", "This link was already used", "Each sign-in link works once."),
        ("zh-CN", "此链接已被使用", "每个登录链接只能使用一次。"),
    ] {
        let r = l.send(page_get(&format!("/console?token={t}&service=iam"), Some(lang), None)).await;
        let html = body_text(r).await;
        assert_eq!(by_id(&html, "headline"), headline);
        assert!(by_id(&html, "what").starts_with(what), "{html}");
        assert_eq!(by_id(&html, "reason"), "token_replayed");
    }
    // A route that does not exist: a page, not a bare 404.
    let r = l.send(page_get("/no/such/page", Some("en"), None)).await;
    assert_eq!(r.status(), 404);
    assert_eq!(by_id(&body_text(r).await, "headline"), "Page not found");
}

/// `[ui]`: the product name in titles and header, the partner's name in the sentences, the logo (and
/// its origin in the CSP), the accent colour in the stylesheet, the partner home URL for "back", and
/// `ui.default_language` over the site's default.
#[tokio::test(flavor = "multi_thread")]
async fn the_partners_brand_on_the_landing_page_and_the_stylesheet() {
    let l = Local::new_with(|s| {
        s.config.handoff.partner_login_url = Some(LOGIN.to_owned());
        s.config.ui.partner_name = Some("Acme Cloud".into());
        s.config.ui.product_name = Some("Acme Console Gateway".into());
        s.config.ui.logo_url = Some("https://static.acme.example/logo.png".into());
        s.config.ui.accent_color = Some("#1b4fd8".into());
        s.config.ui.partner_home_url = Some("https://acme.example/home".into());
        s.config.ui.default_language = Some("en".into());
        s.config.validate().unwrap();
    })
    .await;
    let r = l.send(page_get("/", None, None)).await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("img-src 'self' data: https://static.acme.example;"), "{csp}");
    assert!(csp.contains("style-src 'self';") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    let html = body_text(r).await;
    assert!(html.contains("<html lang=\"en\">"), "ui.default_language decides without a header: {html}");
    assert!(html.contains("<title>Sign in to HUAWEI CLOUD · Acme Console Gateway</title>"), "{html}");
    assert_eq!(by_id(&html, "product-name"), "Acme Console Gateway");
    assert!(html.contains("<img class=\"logo\" src=\"https://static.acme.example/logo.png\""), "{html}");
    assert!(html.contains("sign in at Acme Cloud and click “Go to console”"), "{html}");
    assert!(html.contains("id=\"back-to-partner\" href=\"https://acme.example/home\">Back to Acme Cloud<"), "{html}");
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/assets/samlgate.css\">"));
    assert_no_inline_style(&html);

    let r = l.send(page_get("/", Some("zh-CN"), None)).await;
    let html = body_text(r).await;
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("请在Acme Cloud登录，然后点击“进入控制台”"), "{html}");
    assert!(html.contains(">返回Acme Cloud<"), "{html}");

    let r = l.send(page_get("/assets/samlgate.css", None, None)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    let css = body_text(r).await;
    assert!(css.starts_with(":root { --accent: #1b4fd8; }"), "{css}");

    // A bad brand value is refused with its key named.
    let mut c = l.state.settings.config.clone();
    c.ui.accent_color = Some("red; } body { display: none".into());
    assert!(c.validate().unwrap_err().to_string().contains("ui.accent_color"));
    c.ui.accent_color = None;
    c.ui.logo_url = Some("javascript:alert(1)".into());
    assert!(c.validate().unwrap_err().to_string().contains("ui.logo_url"));
    c.ui.logo_url = None;
    c.ui.timezone = Some("Mars/Olympus".into());
    assert!(c.validate().unwrap_err().to_string().contains("ui.timezone"));
}

/// Back or Reload on the auto-post page brings the same AuthnRequest again: the browser whose session
/// answered it is offered the console, nothing is spent or signed again; another browser still gets
/// the replay refusal.
#[tokio::test(flavor = "multi_thread")]
async fn back_and_reload_on_the_auto_post_page_offer_the_console() {
    let l = with_login().await;
    let r = l.send(page_get(&format!("/console?token={}&service=iam", l.token("cust-p3")), None, None)).await;
    let sid = set_session_cookie(&r).unwrap();
    let (path, request_id) = l.authn_request("rs-p3");
    let r = l.send(page_get(&path, Some("en"), Some(&sid))).await;
    assert_eq!(r.status(), 200);
    let html = body_text(r).await;
    // Without JavaScript the form still goes on: a visible button inside <noscript>.
    assert!(html.contains("<noscript>") && html.contains("id=\"continue\""), "{html}");
    assert_no_inline_style(&html);
    let form = parse_post_form(&html);
    assert_eq!(l.consume(&request_id, &form)["onelogin"]["attributes"]["xUserId"][0], "cust-p3");

    let audit_before = l.gateway().store.list_audit(100, None).await.unwrap().len();
    for (lang, title, cont) in
        [("en", "You are already signed in", "Continue to the console"), ("zh-CN", "您已登录", "继续前往控制台")]
    {
        let r = l.send(page_get(&path, Some(lang), Some(&sid))).await;
        assert_eq!(r.status(), 200, "{lang}");
        let html = body_text(r).await;
        assert_eq!(by_id(&html, "already-answered"), title);
        assert!(
            html.contains(&format!("id=\"continue-to-console\" href=\"https://console.huaweicloud.com/\">{cont}<"))
        );
        assert!(html.contains(&format!("id=\"start-again\" href=\"{LOGIN}\"")), "{html}");
        assert!(!html.contains("SAMLResponse"), "nothing is signed again: {html}");
    }
    assert_eq!(l.gateway().store.list_audit(100, None).await.unwrap().len(), audit_before, "nothing was recorded");

    // Another browser (its own session) sending the same request: still a replay.
    let r = l.send(page_get(&format!("/console?token={}&service=iam", l.token("cust-p4")), None, None)).await;
    let other = set_session_cookie(&r).unwrap();
    let r = l.send(get(&path, Some(&other))).await;
    assert_eq!(r.status(), 400);
    assert_eq!(body_json(r).await["error"], "replay");
    let r = l.send(page_get(&path, Some("en"), Some(&other))).await;
    assert_eq!(by_id(&body_text(r).await, "headline"), "This sign-in was already completed");
}

/// Over HTTP, as `curl -H 'Accept-Language: …' <base>/console` would ask a running gateway.
#[test]
fn a_running_gateway_answers_console_without_a_token_in_each_language() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[("SAMLGATE_HANDOFF_PARTNER_LOGIN_URL", LOGIN)]);
    let c = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (lang, tag, text) in [
        (Some("zh-CN"), "zh-CN", "此登录链接无效"),
        (Some("en"), "en", "This sign-in link is not valid"),
        (None, "zh-CN", "此登录链接无效"),
    ] {
        let mut rb = c.get(g.url("/console"));
        if let Some(l) = lang {
            rb = rb.header("accept-language", l);
        }
        let r = rb.send().unwrap();
        assert_eq!(r.status(), 401);
        let html = r.text().unwrap();
        assert!(html.contains(&format!("<html lang=\"{tag}\">")), "{lang:?}: {html}");
        assert!(html.contains(text), "{html}");
        assert!(html.contains(&format!("href=\"{LOGIN}\"")), "{html}");
    }
}

/// Huawei's bind page posts the binding notification into a frame of its own: the answer of
/// `/huawei/bind` may be framed by Huawei's SP origins (from its metadata) and nobody else; every
/// other page may not be framed at all.
#[tokio::test(flavor = "multi_thread")]
async fn only_the_bind_answer_may_be_framed_and_only_by_huaweis_origin() {
    let l = Local::new().await;
    let r = l
        .send(
            Request::post("/huawei/bind")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("bindRequest=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), 400);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.ends_with("frame-ancestors https://auth.huaweicloud.com"), "{csp}");
    assert!(!r.headers().contains_key("x-frame-options"));
    for path in ["/", "/console", "/saml/metadata", "/admin/login"] {
        let r = l.send(page_get(path, None, None)).await;
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.ends_with("frame-ancestors 'none'"), "{path}: {csp}");
    }
}

/// Back onto the auto-post page after the request's lifetime: still "already signed in" for the
/// browser it was answered to (its signature is checked, nothing is signed); others get `expired`.
#[tokio::test(flavor = "multi_thread")]
async fn back_after_the_request_expired_still_offers_the_console() {
    let l = Local::new_with(|s| {
        s.config.handoff.partner_login_url = Some(LOGIN.to_owned());
        s.config.idp.request_max_age_secs = 10;
        s.config.idp.clock_skew_secs = 0;
    })
    .await;
    let r = l.send(page_get(&format!("/console?token={}&service=iam", l.token("cust-p5")), None, None)).await;
    let sid = set_session_cookie(&r).unwrap();
    let (path, _) = l.authn_request("rs-p5");
    assert!(body_text(l.send(page_get(&path, Some("en"), Some(&sid))).await).await.contains("SAMLResponse"));
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    let r = l.send(page_get(&path, Some("en"), Some(&sid))).await;
    assert_eq!(r.status(), 200);
    let html = body_text(r).await;
    assert_eq!(by_id(&html, "already-answered"), "You are already signed in", "{html}");
    let r = l.send(get(&path, Some(&sid))).await;
    assert_eq!(body_json(r).await["status"], "already_answered");
    // Another browser: the request is simply too old.
    let r = l.send(page_get(&format!("/console?token={}&service=iam", l.token("cust-p6")), None, None)).await;
    let other = set_session_cookie(&r).unwrap();
    let r = l.send(get(&path, Some(&other))).await;
    assert_eq!(r.status(), 400);
    assert_eq!(body_json(r).await["error"], "expired");
}
