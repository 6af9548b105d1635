//! The gateway's use cases without HTTP: each check half decides without spending or storing
//! anything, each commit half spends its one-time value once. Messages from python3-saml (`local.rs`).

use samlgate::gateway::console::HandoffParams;
use samlgate::gateway::{Caller, Error, Kind};

use crate::common::PostedForm;
use crate::local::*;

fn refused(e: Error) -> (Kind, &'static str) {
    match e {
        Error::Refused { kind, reason, .. } => (kind, reason),
        Error::Internal(e) => panic!("internal, not refused: {e:#}"),
    }
}

/// Hand-off, SSO hop and logout by use case: checks repeat freely, commits happen once.
#[tokio::test(flavor = "multi_thread")]
async fn handoff_sso_and_logout_check_then_commit() {
    let l = Local::new().await;
    let gw = l.gateway();

    let token = l.token("cust-u1");
    let params = HandoffParams { token: Some(&token), service: Some("iam"), ..HandoffParams::default() };
    let first = gw.check_handoff(params).await.unwrap();
    let again = gw.check_handoff(params).await.unwrap();
    assert_eq!(first.target, again.target, "checking spends nothing");
    assert!(first.target.contains("isFirstLogin=true"), "{}", first.target);
    let sid = gw.open_session(&first, None, &Caller::new("cid-u1", None)).await.unwrap();
    assert_eq!(
        refused(gw.open_session(&again, None, &Caller::new("cid-u1", None)).await.unwrap_err()),
        (Kind::Unauthenticated, "token_replayed")
    );
    let bad = HandoffParams { return_to: Some("https://evil.example/saml/sso"), ..params };
    assert_eq!(refused(gw.check_handoff(bad).await.unwrap_err()), (Kind::Invalid, "return_to"));

    // The SSO hop: the request is checked twice (nothing spent), answered once.
    let (path, request_id) = l.authn_request("rs-u1");
    let query = path.strip_prefix("/saml/sso?").unwrap();
    let checked = gw.check_redirect_authn_request(query).await.unwrap();
    let checked_again = gw.check_redirect_authn_request(query).await.unwrap();
    assert_eq!(checked.acs.location, "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer");
    let (session, user) = gw.session(Some(&sid)).await.unwrap().expect("the session is open");
    assert_eq!(user.sub, "cust-u1");
    let prepared = gw.prepare_response(checked, session.clone(), user.clone(), &Caller::new("cid-u1", None)).unwrap();
    let form = gw.commit_response(prepared).await.unwrap();
    let posted = PostedForm {
        action: form.action.clone(),
        field: form.field.to_owned(),
        message: form.message.clone(),
        relay_state: form.relay_state.clone(),
    };
    let j = l.consume(&request_id, &posted);
    assert_eq!(j["onelogin"]["attributes"]["xAccountId"][0], "cust-u1", "{j}");
    let replay = gw.prepare_response(checked_again, session, user, &Caller::new("cid-u1", None)).unwrap();
    assert_eq!(refused(gw.commit_response(replay).await.unwrap_err()), (Kind::Invalid, "replay"));
    // The audit holds the hop with its correlation id.
    let audit = gw.store.list_audit(20, None).await.unwrap();
    assert!(audit.iter().any(|e| e.kind == "sso.response" && e.correlation_id == "cid-u1"));

    // Logout: checked, then answered once; the session it names ends.
    let name_id = j["onelogin"]["nameid"].as_str().unwrap();
    let session_index = j["onelogin"]["session_index"].as_str().unwrap();
    let (path, lr_id) = l.logout_request(name_id, session_index);
    let query = path.strip_prefix("/saml/slo?").unwrap();
    let c = gw.check_logout_request(query).await.unwrap().expect("a LogoutRequest");
    let c2 = gw.check_logout_request(query).await.unwrap().expect("a LogoutRequest");
    let answer =
        gw.answer_logout_request(c, gw.session(Some(&sid)).await.unwrap(), &Caller::new("cid-u2", None)).await.unwrap();
    assert!(answer.session_ended);
    let (ok, v) = l.verify_logout_response(&answer.redirect, &lr_id);
    assert!(ok, "{v}");
    assert!(gw.session(Some(&sid)).await.unwrap().is_none());
    assert_eq!(
        refused(gw.answer_logout_request(c2, None, &Caller::new("cid-u2", None)).await.unwrap_err()),
        (Kind::Invalid, "replay")
    );
    assert!(gw.check_logout_request("").await.unwrap().is_none(), "no message: a plain sign-out");
}

/// Refusals of the check halves name the failed check and leave nothing behind.
#[tokio::test(flavor = "multi_thread")]
async fn checks_refuse_with_stable_reasons() {
    let l = Local::new().await;
    let gw = l.gateway();
    assert_eq!(refused(gw.check_redirect_authn_request("").await.unwrap_err()), (Kind::Invalid, "missing_request"));
    assert_eq!(refused(gw.check_post_authn_request(None, None).await.unwrap_err()), (Kind::Invalid, "missing_request"));
    assert_eq!(
        refused(gw.check_post_authn_request(Some("%%%"), None).await.unwrap_err()),
        (Kind::Invalid, "bad_base64")
    );
    // A request signed by python3-saml, then altered: the signature no longer holds.
    let (path, _) = l.authn_request("rs");
    let query = path.strip_prefix("/saml/sso?").unwrap().replace("RelayState=rs", "RelayState=rt");
    let (kind, reason) = refused(gw.check_redirect_authn_request(&query).await.unwrap_err());
    assert_eq!((kind, reason), (Kind::Invalid, "bad_signature"));
    // Without a partner login page, a browser without a session is told where to start.
    let (path, _) = l.authn_request("rs");
    let checked = gw.check_redirect_authn_request(path.strip_prefix("/saml/sso?").unwrap()).await.unwrap();
    assert_eq!(refused(gw.login_redirect(&checked, Some(&path)).unwrap_err()), (Kind::Unauthenticated, "no_session"));
    assert!(gw.session(Some("not-a-session-id")).await.unwrap().is_none());
    let audit = gw.store.list_audit(50, None).await.unwrap();
    assert!(audit.iter().all(|e| e.kind.starts_with("sp.")), "only the start-up SP import is audited");
}

/// The binding notification: verified against Huawei's SP only, stored once, repeated harmlessly.
#[tokio::test(flavor = "multi_thread")]
async fn bind_notification_check_then_commit() {
    let l = Local::new().await;
    let gw = l.gateway();
    let body = l.signed_bind(r#"{"xUserId":"cust-u3","domainId":"d-0003","domainName":"acme"}"#);
    assert_eq!(
        refused(gw.check_bind_notification(body.as_bytes(), false).await.unwrap_err()),
        (Kind::UnsupportedMedia, "content_type")
    );
    let big = vec![b'a'; 64 * 1024];
    assert_eq!(refused(gw.check_bind_notification(&big, true).await.unwrap_err()).0, Kind::TooLarge);
    let c = gw.check_bind_notification(body.as_bytes(), true).await.unwrap();
    assert_eq!(c.request.x_user_id, "cust-u3");
    assert!(gw.store.get_binding("cust-u3").await.unwrap().is_none(), "checking stores nothing");
    let stored = gw.commit_bind_notification(c, &Caller::new("cid-b", None)).await.unwrap();
    assert!(!stored.already);
    let c = gw.check_bind_notification(body.as_bytes(), true).await.unwrap();
    assert!(gw.commit_bind_notification(c, &Caller::new("cid-b", None)).await.unwrap().already);
    assert_eq!(gw.store.get_binding("cust-u3").await.unwrap().unwrap().domain_id, "d-0003");
}

/// Assertions on demand: the check decides who may mint for which SP and writes nothing; the commit
/// signs and audits. The mock SP's own verifier takes the unsolicited Response only when allowed.
#[tokio::test(flavor = "multi_thread")]
async fn mint_check_then_commit_and_the_mocks_unsolicited_switch() {
    use samlgate::gateway::assert::{MintRequest, Minter};
    use samlgate::mocksp::acs::{Expect, verify_response};
    let l = Local::new().await;
    let gw = l.gateway();
    let api = Minter::Api { actor: "token:ci".into() };
    let cli = Minter::Cli { actor: "cli:ops".into() };
    let req = MintRequest { x_user_id: " cust-m1 ".into(), name: Some("Mia".into()), ..MintRequest::default() };
    // Huawei's SP (the default): not over the API unless configured; the CLI may.
    assert_eq!(refused(gw.check_mint(&req, &api).await.unwrap_err()), (Kind::Forbidden, "huawei_minting"));
    let checked = gw.check_mint(&req, &cli).await.unwrap();
    let bad = MintRequest { in_response_to: Some("not an id".into()), ..req.clone() };
    assert_eq!(refused(gw.check_mint(&bad, &cli).await.unwrap_err()), (Kind::Invalid, "in_response_to"));
    let bad = MintRequest { attributes: vec![("xAccountId".into(), "x".into())], ..req.clone() };
    assert_eq!(refused(gw.check_mint(&bad, &cli).await.unwrap_err()), (Kind::Invalid, "attribute"));
    assert!(gw.store.list_audit(50, Some("assert.minted")).await.unwrap().is_empty(), "checking writes nothing");
    let m = gw.mint(checked, &cli, &Caller::new("cid-m1", None)).await.unwrap();
    assert!(m.in_response_to.is_none() && !m.xml.contains("InResponseTo"));
    let events = gw.store.list_audit(50, Some("assert.minted")).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].actor.as_str(), events[0].subject.as_str()), ("cli:ops", "cust-m1"));
    assert_eq!(events[0].correlation_id, "cid-m1");

    // The mock SP's verifier (as Huawei's SP, whose ACS the Response names).
    let idp = samlgate::mocksp::idp::parse_idp_metadata(gw.idp().metadata.as_bytes()).unwrap();
    let expect = |allow_unsolicited| Expect {
        idp: &idp,
        acs_url: "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer",
        entity_id: "https://auth.huaweicloud.com/",
        now: samlgate::util::now_unix(),
        skew_secs: 120,
        allow_unsolicited,
    };
    let refusal = verify_response(m.xml.as_bytes(), &expect(false)).unwrap_err();
    assert_eq!(refusal.check, "in_response_to", "{refusal:?}");
    let login = verify_response(m.xml.as_bytes(), &expect(true)).unwrap();
    assert_eq!(login.in_response_to, None);
    assert_eq!(login.attribute("xUserId"), Some("cust-m1"));
    assert_eq!(login.attribute("name"), Some("Mia"));
    // Every other check stays: another audience is still refused.
    let other = Expect { entity_id: "https://other.example/", ..expect(true) };
    assert_eq!(verify_response(m.xml.as_bytes(), &other).unwrap_err().check, "audience");
    // A solicited one carries its request ID through.
    let req = MintRequest { in_response_to: Some("_req_m2".into()), ..req };
    let m = gw.mint(gw.check_mint(&req, &cli).await.unwrap(), &cli, &Caller::none()).await.unwrap();
    assert_eq!(verify_response(m.xml.as_bytes(), &expect(false)).unwrap().in_response_to.as_deref(), Some("_req_m2"));
}
