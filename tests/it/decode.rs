//! The message decoder (`samlgate decode`, `/admin/decode`): an AuthnRequest signed by python3-saml,
//! pasted as a URL, a query or base64, decoded with every check the gateway runs — and nothing spent:
//! the very request is answered afterwards, and only then does the decoder report it as answered.

use axum::body::Body;
use axum::http::Request;

use crate::common::*;
use crate::local::*;

fn names(d: &samlgate::gateway::decode::Decoded) -> Vec<(&str, bool)> {
    d.checks.iter().map(|c| (c.name, c.ok)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_captured_authn_request_is_decoded_and_checked_without_being_spent() {
    let l = Local::new().await;
    let gw = l.gateway();
    let (path, request_id) = l.authn_request("rs-decode");
    let url = format!("{BASE}{path}");

    let d = gw.decode_message(&url).await.unwrap();
    assert_eq!(
        names(&d),
        [("decode", true), ("xml", true), ("issuer", true), ("signature", true), ("request", true), ("replay", true)],
        "{:#?}",
        d.checks
    );
    assert_eq!(d.message, "samlp:AuthnRequest");
    assert_eq!(d.encoding, "HTTP-Redirect");
    assert_eq!(d.relay_state.as_deref(), Some("rs-decode"));
    assert!(d.xml.starts_with("<samlp:AuthnRequest ") && d.xml.contains("\n  <saml:Issuer>"), "{}", d.xml);
    assert!(d.xml.contains(&format!("ID=\"{request_id}\"")));
    // The query alone decodes the same; twice spends nothing.
    let query = path.split_once('?').unwrap().1;
    assert!(gw.decode_message(query).await.unwrap().all_passed());

    // A changed signature byte: the signature check fails and names the reason.
    let sig_at = query.find("Signature=").unwrap() + "Signature=".len();
    let mut tampered = query.to_owned();
    let c = if &tampered[sig_at..sig_at + 1] == "A" { "B" } else { "A" };
    tampered.replace_range(sig_at..sig_at + 1, c);
    let d = gw.decode_message(&tampered).await.unwrap();
    let sig = d.checks.iter().find(|c| c.name == "signature").unwrap();
    assert!(!sig.ok && !sig.reason.is_empty(), "{sig:?}");
    assert!(!d.all_passed());

    // The same request is still answerable: the decoder spent nothing.
    let r = l.send(get(&format!("/console?token={}&service=iam", l.token("cust-d1")), None)).await;
    let sid = set_session_cookie(&r).unwrap();
    let r = l.send(get(&path, Some(&sid))).await;
    assert_eq!(r.status(), 200);
    assert!(body_text(r).await.contains("SAMLResponse"));
    // Now the decoder reports it as answered.
    let d = gw.decode_message(&url).await.unwrap();
    let replay = d.checks.iter().find(|c| c.name == "replay").unwrap();
    assert!(!replay.ok && replay.reason == "replay", "{replay:?}");

    // The SAMLRequest value alone (deflated base64, no query): decoded, and its signature check says
    // the query is needed rather than reporting the POST binding's missing signature.
    let value = query_value(&url, "SAMLRequest").unwrap();
    let d = gw.decode_message(&value).await.unwrap();
    assert_eq!(names(&d), [("decode", true), ("xml", true), ("signature", false)], "{:#?}", d.checks);
    assert_eq!(d.checks[2].reason, "redirect_without_query");
    assert!(d.checks[2].detail.contains("paste the whole URL or query"), "{:#?}", d.checks);
    assert!(d.encoding.contains("without the query"), "{}", d.encoding);

    // A LogoutRequest: checked as /saml/slo checks it, its replay state read (in the logout space),
    // nothing spent: answered afterwards, and only then reported as answered.
    let (lo_path, lo_id) = l.logout_request("_some_name_id", "_some_session");
    let d = gw.decode_message(&format!("{BASE}{lo_path}")).await.unwrap();
    assert_eq!(names(&d), [("decode", true), ("xml", true), ("request", true), ("replay", true)], "{:#?}", d.checks);
    let r = l.send(get(&lo_path, None)).await;
    assert_eq!(r.status(), 302, "the LogoutRequest is answered");
    let d = gw.decode_message(&format!("{BASE}{lo_path}")).await.unwrap();
    let replay = d.checks.iter().find(|c| c.name == "replay").unwrap();
    assert!(!replay.ok && replay.reason == "replay" && replay.detail.contains(&lo_id), "{replay:?}");

    // Not a SAML message at all: refused, the reason named.
    let e = gw.decode_message("hello, world!").await.unwrap_err();
    assert_eq!(e.reason(), "decode");
    // Raw XML of another kind: shown, not checked.
    let d = gw
        .decode_message("<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_r\"/>")
        .await
        .unwrap();
    assert_eq!(names(&d), [("decode", true), ("xml", true), ("kind", true)]);
    // A DTD is refused by the one parser, as everywhere.
    let d = gw.decode_message("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>").await.unwrap();
    assert!(d.checks.iter().any(|c| c.name == "xml" && !c.ok), "{:#?}", d.checks);

    // The admin page needs a session; the CLI prints the same checks.
    let r = l.send(Request::post("/admin/decode").body(Body::empty()).unwrap()).await;
    // No admin user exists here: every admin POST is refused with the setup page.
    assert_eq!(r.status(), 403, "a POST to the admin pages without any admin user");
    let sp_md = l.sp_dir.join("sp-metadata.xml");
    let env = [("SAMLGATE_HUAWEI_SP_METADATA", sp_md.to_str().unwrap())];
    let (fresh, _) = l.authn_request("rs-cli");
    let o = run_env(&l.work, &["decode", &format!("{BASE}{fresh}")], &env);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("samlp:AuthnRequest (HTTP-Redirect)") && out.contains("pass  signature"), "{out}");
    let o = run_env(&l.work, &["decode", &url, "--json"], &env);
    assert_eq!(o.status.code(), Some(1), "the answered request fails the replay check");
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["checks"].as_array().unwrap().last().unwrap()["reason"], "replay");
}
