//! The SSO, logout, console and bind handlers in-process: requests go through the whole router
//! (`tower::ServiceExt::oneshot`, every layer included) without a listening socket. The messages are
//! made and checked by python3-saml playing Huawei's SP (see `local.rs`).

use axum::body::Body;
use axum::http::Request;
use base64::Engine as _;

use crate::common::parse_post_form;
use crate::local::*;

/// "Go to console" → cookie and Huawei's entry link; the signed AuthnRequest → the auto-post form,
/// accepted by python3-saml; the same request again → `replay`; without a session → `no_session`.
#[tokio::test(flavor = "multi_thread")]
async fn console_then_sso_hop() {
    let l = Local::new().await;
    let r = l.send(get(&format!("/console?token={}&service=iam", l.token("cust-h1")), None)).await;
    assert_eq!(r.status(), 302);
    let loc = location(&r);
    assert!(loc.starts_with("https://auth.huaweicloud.com/"), "{loc}");
    assert_eq!(query_value(&loc, "isFirstLogin").as_deref(), Some("true"), "{loc}");
    let sid = set_session_cookie(&r).expect("session cookie");
    assert_eq!(sid.len(), 64);
    assert_eq!(r.headers()["cache-control"], "no-store");

    let (path, request_id) = l.authn_request("rs-h1");
    let r = l.send(get(&path, Some(&sid))).await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
    let form = parse_post_form(&body_text(r).await);
    assert_eq!(form.action, "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer");
    assert_eq!(form.relay_state.as_deref(), Some("rs-h1"));
    let j = l.consume(&request_id, &form);
    assert_eq!(j["onelogin"]["attributes"]["xUserId"][0], "cust-h1", "{j}");

    // The same request again from another browser: refused at the commit, before anything leaves.
    let r = l.send(get(&format!("/console?token={}&service=iam", l.token("cust-h1b")), None)).await;
    let other = set_session_cookie(&r).expect("session cookie");
    let r = l.send(get(&path, Some(&other))).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().contains_key("x-correlation-id"));
    assert_eq!(body_json(r).await["error"], "replay");

    // A fresh request without a session (no partner login URL configured): told where to start.
    let (path, _) = l.authn_request("rs-h2");
    let r = l.send(get(&path, None)).await;
    assert_eq!(r.status(), 401);
    assert_eq!(body_json(r).await["error"], "no_session");

    // The token was spent by the first jump.
    let t = l.token("cust-h1");
    let ok = l.send(get(&format!("/console?token={t}&service=iam"), None)).await;
    assert_eq!(ok.status(), 302);
    let again = l.send(get(&format!("/console?token={t}&service=iam"), None)).await;
    assert_eq!(again.status(), 401);
    assert_eq!(body_json(again).await["error"], "token_replayed");
}

/// Refusals keep their status and reason through the one `From<gateway::Error>`.
#[tokio::test(flavor = "multi_thread")]
async fn refusals_map_to_their_status() {
    let l = Local::new().await;
    let cases: [(&str, u16, &str); 6] = [
        ("/saml/sso", 400, "missing_request"),
        ("/saml/sso?SAMLResponse=x", 400, "wrong_message"),
        ("/console?token=x.y.z", 401, "token_malformed"),
        ("/console?token=a&token=b", 400, "duplicate_parameter"),
        ("/return/recharge", 404, "not_configured"),
        ("/saml/slo?SAMLResponse=x", 400, "unsolicited_response"),
    ];
    for (path, status, reason) in cases {
        let r = l.send(get(path, None)).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        let j = body_json(r).await;
        assert_eq!(j["error"], reason, "{path}: {j}");
        assert!(j["correlation_id"].as_str().is_some_and(|c| c.len() == 16), "{j}");
    }
}

/// Single logout: the session named by the LogoutRequest ends, its cookie is removed and the SP gets a
/// signed LogoutResponse (python3-saml checks it); a plain `/logout` goes to the partner's page.
#[tokio::test(flavor = "multi_thread")]
async fn single_logout_and_plain_logout() {
    let l = Local::new().await;
    let r = l.send(get(&format!("/console?token={}&service=iam", l.token("cust-h2")), None)).await;
    let sid = set_session_cookie(&r).unwrap();
    let (path, request_id) = l.authn_request("rs");
    let form = parse_post_form(&body_text(l.send(get(&path, Some(&sid))).await).await);
    let j = l.consume(&request_id, &form);
    let name_id = j["onelogin"]["nameid"].as_str().unwrap().to_owned();
    let session_index = j["onelogin"]["session_index"].as_str().unwrap().to_owned();

    let (path, lr_id) = l.logout_request(&name_id, &session_index);
    let r = l.send(get(&path, Some(&sid))).await;
    assert_eq!(r.status(), 302);
    assert_eq!(set_session_cookie(&r).as_deref(), Some(""), "the cookie is removed");
    let to = location(&r);
    let (ok, v) = l.verify_logout_response(&to, &lr_id);
    assert!(ok, "python3-saml refused our LogoutResponse: {v}");
    assert!(v["status"].as_str().unwrap_or_default().ends_with(":Success"), "{v}");
    assert!(l.gateway().session(Some(&sid)).await.unwrap().is_none(), "the session is gone");
    // The same LogoutRequest again: spent.
    let r = l.send(get(&path, Some(&sid))).await;
    assert_eq!(body_json(r).await["error"], "replay");

    let r = l.send(get(&format!("/console?token={}&service=iam", l.token("cust-h2")), None)).await;
    let sid = set_session_cookie(&r).unwrap();
    let r = l.send(get("/logout", Some(&sid))).await;
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), BYE);
    assert!(l.gateway().session(Some(&sid)).await.unwrap().is_none());
}

fn post_bind(body: &str, content_type: &str) -> Request<Body> {
    Request::post("/huawei/bind")
        .header("content-type", content_type)
        .header("accept", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// Huawei's binding notification: stored, repeated, conflicting, wrongly typed; the next jump of the
/// bound customer says `isFirstLogin=false`.
#[tokio::test(flavor = "multi_thread")]
async fn bind_notification() {
    let l = Local::new().await;
    let body = l.signed_bind(r#"{"xUserId":"cust-h3","domainId":"d-0001","domainName":"acme"}"#);
    let r = l.send(post_bind(&body, "application/x-www-form-urlencoded")).await;
    assert_eq!(r.status(), 200);
    let j = body_json(r).await;
    assert_eq!((j["status"].as_str(), j["domainId"].as_str()), (Some("bound"), Some("d-0001")), "{j}");
    let r = l.send(post_bind(&body, "application/x-www-form-urlencoded")).await;
    assert_eq!(body_json(r).await["status"], "already_bound");

    let other = l.signed_bind(r#"{"xUserId":"cust-h3","domainId":"d-0002"}"#);
    let r = l.send(post_bind(&other, "application/x-www-form-urlencoded")).await;
    assert_eq!(r.status(), 409);
    assert_eq!(body_json(r).await["error"], "binding_conflict");
    let r = l.send(post_bind(&body, "text/plain")).await;
    assert_eq!(r.status(), 415);
    assert_eq!(body_json(r).await["error"], "content_type");
    let tampered = body.replacen("bindRequest=", "bindRequest=X", 1);
    let r = l.send(post_bind(&tampered, "application/x-www-form-urlencoded")).await;
    assert_eq!(r.status(), 400);

    let stored = l.state.store.get_binding("cust-h3").await.unwrap().unwrap();
    assert_eq!(stored.domain_id, "d-0001");
    let r = l.send(get(&format!("/console?token={}&service=iam", l.token("cust-h3")), None)).await;
    assert_eq!(query_value(&location(&r), "isFirstLogin").as_deref(), Some("false"));
}

/// Live answers whenever the process does; ready says which check fails; `/healthz` stays the store check.
#[tokio::test(flavor = "multi_thread")]
async fn readiness_names_the_failing_check() {
    let l = Local::new().await;
    for path in ["/healthz/live", "/healthz/ready", "/healthz"] {
        let r = l.send(get(path, None)).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(body_json(r).await["status"], "ok", "{path}");
    }
    // Huawei's SP metadata gone from the store: not ready, but alive.
    let sp = l.gateway().huawei_sp_entity_id();
    assert!(l.gateway().store.delete_sp(&sp).await.unwrap());
    let r = l.send(get("/healthz/ready", None)).await;
    assert_eq!(r.status(), 503);
    let j = body_json(r).await;
    assert_eq!(
        (j["status"].as_str(), j["store"].as_str(), j["keys"].as_str()),
        (Some("unavailable"), Some("ok"), Some("ok"))
    );
    assert_eq!(j["huawei_sp_metadata"], "failed", "{j}");
    assert_eq!(l.send(get("/healthz", None)).await.status(), 200, "unchanged: the store answers");
    assert_eq!(l.send(get("/healthz/live", None)).await.status(), 200);
}

/// Housekeeping deletes audit events older than `audit.retention_days` and counts them in /metrics.
#[tokio::test(flavor = "multi_thread")]
async fn housekeeping_enforces_the_audit_retention() {
    let l = Local::new().await;
    let gw = l.gateway();
    assert_eq!(gw.settings.config.audit.retention_days, 180, "the default");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let event = |at: i64, subject: &str| samlgate::store::NewAuditEvent {
        at,
        kind: "console.jump".into(),
        actor: subject.into(),
        subject: subject.into(),
        detail_json: "{}".into(),
        correlation_id: String::new(),
    };
    gw.store.append_audit(&event(now - 181 * 86_400, "old-1")).await.unwrap();
    gw.store.append_audit(&event(now - 400 * 86_400, "old-2")).await.unwrap();
    gw.store.append_audit(&event(now - 179 * 86_400, "young")).await.unwrap();
    let (_, audit) = samlgate::gateway::housekeeping::purge(gw, now).await.unwrap();
    assert_eq!(audit, 2);
    let left: Vec<String> =
        gw.store.list_audit(100, Some("console.jump")).await.unwrap().into_iter().map(|e| e.subject).collect();
    assert_eq!(left, ["young"]);
    let metrics = body_text(l.send(get("/metrics", None)).await).await;
    assert!(metrics.contains("samlgate_purged_rows_total{what=\"audit\"}"), "{metrics}");
}

/// Review finding: demands the gateway cannot meet got a normal assertion. Now each gets a signed
/// status Response (Responder + the second-level code) at the ACS, checked by python3-saml; the
/// request ID is spent (a replay is refused) and `sso.status` audited. A plain request still works.
#[tokio::test(flavor = "multi_thread")]
async fn demands_the_gateway_cannot_meet_get_a_status_response() {
    let l = Local::new().await;
    let status_of = |body: String| parse_post_form(&body);
    // IsPassive without a session: NoPassive (not a trip to the login page).
    let (path, id) = l.authn_request_with("rs-p", &["--is-passive"]);
    let r = l.send(get(&path, None)).await;
    assert_eq!(r.status(), 200);
    let form = status_of(body_text(r).await);
    assert_eq!(form.relay_state.as_deref(), Some("rs-p"));
    let j = l.status_response(&form);
    assert_eq!(j["signature_valid"], true, "{j}");
    assert_eq!(j["in_response_to"], id.as_str());
    assert_eq!(j["assertions"], 0);
    assert_eq!(
        j["codes"],
        serde_json::json!([
            "urn:oasis:names:tc:SAML:2.0:status:Responder",
            "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
        ])
    );
    assert_eq!(l.send(get(&path, None)).await.status(), 400, "the ID was spent: a replay");
    // The signature check can fail: one changed byte of the message and python3-saml says so.
    let b64 = base64::engine::general_purpose::STANDARD;
    let xml = String::from_utf8(b64.decode(&form.message).unwrap()).unwrap().replace("IsPassive:", "IsPassive;");
    let tampered = crate::common::PostedForm { message: b64.encode(xml), ..form };
    assert_eq!(l.status_response(&tampered)["signature_valid"], false);

    let r = l.send(get(&format!("/console?token={}&service=iam", l.token("cust-d1")), None)).await;
    let sid = set_session_cookie(&r).unwrap();
    let second = |extra: &'static [&'static str]| {
        let l = &l;
        let sid = sid.clone();
        async move {
            let (path, _) = l.authn_request_with("rs-d", extra);
            let r = l.send(get(&path, Some(&sid))).await;
            assert_eq!(r.status(), 200, "{extra:?}");
            let j = l.status_response(&status_of(body_text(r).await));
            assert_eq!(j["signature_valid"], true, "{j}");
            assert_eq!(j["assertions"], 0, "{extra:?}");
            j["codes"][1].as_str().unwrap().rsplit(':').next().unwrap().to_owned()
        }
    };
    assert_eq!(second(&["--subject", "someone-else"]).await, "UnknownPrincipal");
    assert_eq!(
        second(&["--authn-context", "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"]).await,
        "NoAuthnContext"
    );
    // ForceAuthn on a session older than the request, and no partner login page to re-authenticate at.
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let gw = l.gateway();
    let mut s = gw.store.get_session(&sid).await.unwrap().unwrap();
    s.created_at -= 3600;
    gw.store.put_session(&s).await.unwrap();
    assert_eq!(second(&["--force-authn"]).await, "AuthnFailed");
    let statuses = gw.store.list_audit(10, Some("sso.status")).await.unwrap();
    assert_eq!(statuses.len(), 4);

    // The session's own user, and an unspecified context, are met: a normal assertion.
    let (path, id) = l.authn_request_with(
        "rs-ok",
        &["--subject", "cust-d1", "--authn-context", "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"],
    );
    let r = l.send(get(&path, Some(&sid))).await;
    assert_eq!(r.status(), 200);
    let j = l.consume(&id, &parse_post_form(&body_text(r).await));
    assert_eq!(j["onelogin"]["attributes"]["xUserId"][0], "cust-d1", "{j}");
}

/// ForceAuthn where the partner's login page can sign the customer in again: the browser goes there
/// with a way back to this very request, and the session opened on the way back answers it.
#[tokio::test(flavor = "multi_thread")]
async fn force_authn_goes_back_to_the_partner_login() {
    let l =
        Local::new_with(|s| s.config.handoff.partner_login_url = Some("https://partner.example/login".into())).await;
    let r = l.send(get(&format!("/console?token={}&service=iam", l.token("cust-f1")), None)).await;
    let sid = set_session_cookie(&r).unwrap();
    let gw = l.gateway();
    let mut s = gw.store.get_session(&sid).await.unwrap().unwrap();
    s.created_at -= 3600;
    gw.store.put_session(&s).await.unwrap();
    let (path, id) = l.authn_request_with("rs-f", &["--force-authn"]);
    let r = l.send(get(&path, Some(&sid))).await;
    assert_eq!(r.status(), 302);
    let loc = location(&r);
    assert!(loc.starts_with("https://partner.example/login?return_to="), "{loc}");
    let back = query_value(&loc, "return_to").unwrap();
    // The partner signs the customer in again and sends the browser back through /console.
    let r = l
        .send(get(
            &format!("/console?token={}&return_to={}", l.token("cust-f1"), samlgate::huawei::encode_component(&back)),
            Some(&sid),
        ))
        .await;
    assert_eq!(r.status(), 302);
    let fresh = set_session_cookie(&r).unwrap();
    let r = l.send(get(&path_of(&location(&r)), Some(&fresh))).await;
    assert_eq!(r.status(), 200);
    let j = l.consume(&id, &parse_post_form(&body_text(r).await));
    assert_eq!(j["onelogin"]["attributes"]["xUserId"][0], "cust-f1", "{j}");
}
