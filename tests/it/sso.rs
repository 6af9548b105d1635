//! The SSO hop over HTTP, proved by SAML stacks we did not write: python3-saml and pysaml2 play Huawei's
//! SP (they sign the AuthnRequests and verify our responses in strict mode) and `xmlsec1 --verify` checks
//! every signature with the certificate from `certs/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use base64::Engine as _;

struct Hop {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    sp_dir: PathBuf,
    idp_md: PathBuf,
    g: Gateway,
}

fn setup(extra_env: &[(&str, &str)]) -> Hop {
    let tmp = tempfile::tempdir().unwrap();
    let sp_dir = tmp.path().join("sp");
    py_sp(&["gen-sp", "--out", sp_dir.to_str().unwrap()]);
    let dir = tmp.path().join("gw");
    std::fs::create_dir(&dir).unwrap();
    let sp_md = sp_dir.join("sp-metadata.xml");
    let mut env: Vec<(&str, &str)> = vec![("SAMLGATE_HUAWEI_SP_METADATA", sp_md.to_str().unwrap())];
    env.extend_from_slice(extra_env);
    let g = Gateway::start(&dir, &env);
    let idp_md = tmp.path().join("idp-metadata.xml");
    let md = client().get(g.url("/saml/metadata")).send().unwrap().text().unwrap();
    std::fs::write(&idp_md, md).unwrap();
    Hop { _tmp: tmp, dir, sp_dir, idp_md, g }
}

impl Hop {
    fn token(&self, user: &str, extra: &[&str]) -> String {
        let mut args = vec!["token", "--user", user, "--raw"];
        args.extend_from_slice(extra);
        let o = run(&self.dir, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).trim().to_owned()
    }

    /// "Go to console": opens a gateway session in `c`.
    fn login(&self, c: &reqwest::blocking::Client, user: &str, extra: &[&str]) {
        let t = self.token(user, extra);
        let r = c.get(self.g.url(&format!("/console?token={t}&service=iam"))).send().unwrap();
        assert_eq!(r.status(), 302, "{}", r.text().unwrap_or_default());
    }

    /// A Redirect-bound AuthnRequest signed by python3-saml: (url, request id).
    fn authn_request(&self, relay_state: &str, extra: &[&str]) -> (String, String) {
        let mut args = vec![
            "authn-request",
            "--sp-dir",
            self.sp_dir.to_str().unwrap(),
            "--idp-metadata",
            self.idp_md.to_str().unwrap(),
            "--relay-state",
            relay_state,
        ];
        args.extend_from_slice(extra);
        let j = py_sp(&args);
        (j["url"].as_str().unwrap().to_owned(), j["request_id"].as_str().unwrap().to_owned())
    }

    fn consume(&self, request_id: &str, form: &PostedForm) -> (bool, serde_json::Value) {
        py_consume(&self.sp_dir, &self.idp_md, &self.dir, request_id, form, &[])
    }
}

fn get_json(c: &reqwest::blocking::Client, url: &str) -> (u16, serde_json::Value) {
    let r = c.get(url).header("accept", "application/json").send().unwrap();
    let status = r.status().as_u16();
    let body = r.text().unwrap();
    (status, serde_json::from_str(&body).unwrap_or(serde_json::json!({ "body": body })))
}

/// `xmlsec1 --verify` of the Assertion signature (and of the Response signature when `response_signed`).
fn xmlsec_verify(xml: &str, cert: &Path, work: &Path, response_signed: bool) -> Result<(), String> {
    let f = work.join("response.xml");
    std::fs::write(&f, xml).unwrap();
    let mut runs: Vec<Vec<String>> = Vec::new();
    let base = |extra: &[&str]| {
        let mut v: Vec<String> = vec![
            "--verify".into(),
            "--enabled-key-data".into(),
            "key-name".into(),
            "--pubkey-cert-pem".into(),
            cert.to_str().unwrap().into(),
            "--id-attr:ID".into(),
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion".into(),
            "--id-attr:ID".into(),
            "urn:oasis:names:tc:SAML:2.0:protocol:Response".into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    runs.push(base(&["--node-xpath", "//*[local-name()='Assertion']/*[local-name()='Signature']"]));
    if response_signed {
        runs.push(base(&["--node-xpath", "/*[local-name()='Response']/*[local-name()='Signature']"]));
    }
    for mut args in runs {
        args.push(f.to_str().unwrap().into());
        let o = Command::new("xmlsec1").args(&args).output().expect("xmlsec1 (Debian package xmlsec1)");
        if !o.status.success() {
            return Err(String::from_utf8_lossy(&o.stderr).into_owned());
        }
    }
    Ok(())
}

#[test]
fn full_hop_is_accepted_by_python_sps_and_xmlsec1() {
    let h = setup(&[]);
    let c = client();
    let hostile_email = "a</saml:AttributeValue><!-- ]]>&\"q\"@evil.example";
    h.login(&c, "cust-1001", &["--name", "Acme Buyer", "--mobile", "0086-13900000000", "--email", hostile_email]);

    let relay = "\"><script>alert(1)</script>&x=1";
    let (url, request_id) = h.authn_request(relay, &[]);
    assert!(url.starts_with(&h.g.url("/saml/sso?SAMLRequest=")), "{url}");
    let r = c.get(&url).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'nonce-") && !csp.contains("unsafe-inline'; script"), "{csp}");
    let html = r.text().unwrap();
    assert!(!html.contains("<script>alert(1)"), "RelayState not escaped: {html}");
    let form = parse_post_form(&html);
    assert_eq!(form.action, "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer");
    assert_eq!(form.field, "SAMLResponse");
    assert_eq!(form.relay_state.as_deref(), Some(relay), "RelayState must come back unchanged");

    // Both Python SPs accept it, in strict mode, and read the same NameID and attributes.
    let (ok, j) = h.consume(&request_id, &form);
    assert!(ok, "python SPs refused our response: {j}");
    assert_eq!(j["agree"], true, "{j}");
    let ol = &j["onelogin"];
    assert_eq!(ol["nameid_format"], "urn:oasis:names:tc:SAML:2.0:nameid-format:transient");
    assert!(ol["nameid"].as_str().unwrap().starts_with('_'));
    assert_eq!(ol["in_response_to"], request_id.as_str());
    let attrs = ol["attributes"].as_object().unwrap();
    // xUserId, xAccountId (the same value, as Huawei's sample requires), email, name, mobile (no bpId
    // configured here).
    assert_eq!(attrs.len(), 5, "{attrs:?}");
    assert_eq!(attrs["xUserId"], serde_json::json!(["cust-1001"]));
    assert_eq!(attrs["xAccountId"], serde_json::json!(["cust-1001"]));
    assert_eq!(attrs["name"], serde_json::json!(["Acme Buyer"]));
    assert_eq!(attrs["mobile"], serde_json::json!(["0086-13900000000"]));
    assert_eq!(attrs["email"], serde_json::json!([hostile_email]));
    assert_eq!(j["pysaml2"]["attributes"], ol["attributes"]);

    // xmlsec1 verifies the assertion signature with the certificate from certs/ ...
    let xml = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&form.message).unwrap()).unwrap();
    let cert = h.dir.join("certs/idp.crt");
    xmlsec_verify(&xml, &cert, &h.dir, false).expect("xmlsec1 --verify");
    // ... and refuses it once a signed byte changes (the check can fail).
    let tampered = xml.replacen("cust-1001", "cust-1002", 1);
    assert!(xmlsec_verify(&tampered, &cert, &h.dir, false).is_err());
    assert!(
        !xml.contains("<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo></ds:SignedInfo>")
    );

    // The same request again, from the browser it was answered to (Back or Reload): offered the
    // console, not signed again.
    let r = c.get(&url).send().unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"already-answered\"") && !html.contains("SAMLResponse"), "{html}");
    // From another browser it is a replay — also after a restart.
    let other = client();
    h.login(&other, "cust-1001", &[]);
    let (status, j) = get_json(&other, &url);
    assert_eq!(status, 400);
    assert_eq!(j["error"], "replay", "{j}");
    let port = h.g.port;
    let Hop { g, dir, sp_dir, .. } = h;
    g.stop();
    let sp_md = sp_dir.join("sp-metadata.xml");
    let g = Gateway::start_on(&dir, port, &[("SAMLGATE_HUAWEI_SP_METADATA", sp_md.to_str().unwrap())]);
    let (status, j) = get_json(&other, &url);
    assert_eq!(status, 400, "{j}");
    assert_eq!(j["error"], "replay", "{j}");
    drop(g);
}

#[test]
fn signed_response_and_assertion_with_rsa_sha512() {
    let h = setup(&[("SAMLGATE_HUAWEI_SIGN_RESPONSE", "true"), ("SAMLGATE_IDP_SIGNATURE_ALGORITHM", "rsa-sha512")]);
    let c = client();
    h.login(&c, "cust-2002", &[]);
    let (url, request_id) = h.authn_request("state-2", &["--sig-alg", "rsa-sha512"]);
    let html = c.get(&url).send().unwrap().text().unwrap();
    let form = parse_post_form(&html);
    let (ok, j) = h.consume(&request_id, &form);
    assert!(ok, "{j}");
    assert_eq!(j["onelogin"]["attributes"]["xUserId"], serde_json::json!(["cust-2002"]));
    let xml = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&form.message).unwrap()).unwrap();
    assert!(xml.contains("xmldsig-more#rsa-sha512"));
    assert_eq!(xml.matches("<ds:Signature ").count() + xml.matches("<ds:Signature>").count(), 2);
    xmlsec_verify(&xml, &h.dir.join("certs/idp.crt"), &h.dir, true).expect("both signatures verify");
}

#[test]
fn refusals_name_the_failed_check() {
    let h = setup(&[]);
    let c = client();
    h.login(&c, "cust-3003", &[]);

    // Signature bytes changed.
    let (url, _) = h.authn_request("s", &[]);
    let i = url.find("Signature=").unwrap() + "Signature=".len();
    let mut bad = url.clone();
    let flip = if &url[i..i + 1] == "A" { "B" } else { "A" };
    bad.replace_range(i..i + 1, flip);
    let (st, j) = get_json(&c, &bad);
    assert_eq!((st, j["error"].as_str()), (400, Some("bad_signature")), "{j}");

    // RelayState changed after signing.
    let (url, _) = h.authn_request("original", &[]);
    let (st, j) = get_json(&c, &url.replace("RelayState=original", "RelayState=changed"));
    assert_eq!((st, j["error"].as_str()), (400, Some("bad_signature")), "{j}");

    // Signature and SigAlg stripped: the SP says it signs its requests.
    let (url, _) = h.authn_request("s", &[]);
    let stripped: Vec<&str> =
        url.split('&').filter(|p| !p.starts_with("Signature=") && !p.starts_with("SigAlg=")).collect();
    let (st, j) = get_json(&c, &stripped.join("&"));
    assert_eq!((st, j["error"].as_str()), (400, Some("missing_signature")), "{j}");

    // SHA-1 is refused by default.
    let (url, _) = h.authn_request("s", &["--sig-alg", "rsa-sha1"]);
    let (st, j) = get_json(&c, &url);
    assert_eq!(st, 400);
    assert_eq!(j["error"], "weak_algorithm", "{j}");

    // Duplicate parameters.
    let (url, _) = h.authn_request("s", &[]);
    let (st, j) = get_json(&c, &format!("{url}&RelayState=again"));
    assert_eq!((st, j["error"].as_str()), (400, Some("duplicate_parameter")), "{j}");

    // Garbage: bad base64, not deflate, no parameters — 4xx, never 500.
    for q in ["SAMLRequest=%%%", "SAMLRequest=bm90IGRlZmxhdGU%3D", "SAMLRequest=", "foo=bar", ""] {
        let (st, j) = get_json(&c, &h.g.url(&format!("/saml/sso?{q}")));
        assert!((400..500).contains(&st), "{q}: {st} {j}");
        assert!(j["correlation_id"].is_string(), "{q}: {j}");
    }

    // An SP we never imported.
    let other = h.dir.join("other-sp");
    py_sp(&["gen-sp", "--out", other.to_str().unwrap(), "--entity-id", "https://other.example/sp"]);
    let j =
        py_sp(&["authn-request", "--sp-dir", other.to_str().unwrap(), "--idp-metadata", h.idp_md.to_str().unwrap()]);
    let (st, j) = get_json(&c, j["url"].as_str().unwrap());
    assert_eq!((st, j["error"].as_str()), (400, Some("unknown_issuer")), "{j}");

    // A request addressed to another IdP endpoint (Destination), signed correctly.
    let md = std::fs::read_to_string(&h.idp_md).unwrap().replace("/saml/sso\"", "/elsewhere/sso\"");
    let wrong_md = h.dir.join("wrong-idp.xml");
    std::fs::write(&wrong_md, md).unwrap();
    let j =
        py_sp(&["authn-request", "--sp-dir", h.sp_dir.to_str().unwrap(), "--idp-metadata", wrong_md.to_str().unwrap()]);
    let url = j["url"].as_str().unwrap().replace("/elsewhere/sso?", "/saml/sso?");
    let (st, j) = get_json(&c, &url);
    assert_eq!((st, j["error"].as_str()), (400, Some("destination")), "{j}");

    // Nothing above was answered: the audit log holds no sso.response yet, the refusals are counted.
    let metrics = c.get(h.g.url("/metrics")).send().unwrap().text().unwrap();
    assert!(metrics.contains("samlgate_refusals_total{reason=\"bad_signature\"}"), "{metrics}");
}

#[test]
fn without_a_session_the_browser_logs_in_at_the_partner_and_comes_back() {
    let h = setup(&[("SAMLGATE_HANDOFF_PARTNER_LOGIN_URL", "https://partner.example/login?from=huawei")]);
    let c = client();
    let (url, request_id) = h.authn_request("rs-4", &[]);
    let r = c.get(&url).send().unwrap();
    assert_eq!(r.status(), 302);
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(loc.host_str(), Some("partner.example"));
    let pairs: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
    assert_eq!(pairs["from"], "huawei");
    let return_to = pairs["return_to"].clone();
    assert_eq!(return_to, url, "the way back is the pending request, unchanged");

    // The partner logs the customer in and hands off with return_to.
    let t = h.token("cust-4004", &[]);
    let r =
        c.get(h.g.url("/console")).query(&[("token", t.as_str()), ("return_to", return_to.as_str())]).send().unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"].to_str().unwrap(), return_to);
    let html = c.get(&return_to).send().unwrap().text().unwrap();
    let form = parse_post_form(&html);
    let (ok, j) = h.consume(&request_id, &form);
    assert!(ok, "{j}");
    assert_eq!(j["onelogin"]["attributes"]["xUserId"], serde_json::json!(["cust-4004"]));

    // return_to may only point at our own SSO endpoint.
    let t = h.token("cust-4004", &[]);
    let r = c
        .get(h.g.url("/console"))
        .query(&[("token", t.as_str()), ("return_to", "https://evil.example/saml/sso?x=1")])
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["error"], "return_to");
}

#[test]
fn without_a_session_or_partner_login_the_customer_is_told_where_to_start() {
    let h = setup(&[]);
    let (url, _) = h.authn_request("x", &[]);
    let (st, j) = get_json(&client(), &url);
    assert_eq!((st, j["error"].as_str()), (401, Some("no_session")), "{j}");
}

// ------------------------------------------------------------------------------------------------
// Huawei's sample Response (tests/data/huawei/doc-sample-response.xml, from Huawei's partner docs)
// ------------------------------------------------------------------------------------------------

/// An element's place in a document: the chain of `{ns}local` names from the root, with the `Name` of
/// `saml:Attribute`s so that the six attributes of the sample are told apart.
fn element_paths(el: &samlgate::saml::xml::Element, prefix: &str, out: &mut Vec<(String, Vec<String>)>) {
    let mut key = format!("{prefix}/{{{}}}{}", el.ns.as_deref().unwrap_or(""), el.local);
    if el.local == "Attribute"
        && let Some(n) = el.attr("Name")
    {
        key.push_str(&format!("[@Name={n}]"));
    }
    let attrs = el.attrs.iter().map(|a| format!("{{{}}}{}", a.ns.as_deref().unwrap_or(""), a.local)).collect();
    out.push((key.clone(), attrs));
    for c in el.elements() {
        element_paths(c, &key, out);
    }
}

/// The first descendant-or-self named `local` (any namespace of SAML or DSig).
fn find<'a>(el: &'a samlgate::saml::xml::Element, local: &str) -> &'a samlgate::saml::xml::Element {
    fn walk<'a>(e: &'a samlgate::saml::xml::Element, local: &str) -> Option<&'a samlgate::saml::xml::Element> {
        if e.local == local {
            return Some(e);
        }
        e.elements().find_map(|c| walk(c, local))
    }
    walk(el, local).unwrap_or_else(|| panic!("no <{local}>"))
}

fn attribute_value(el: &samlgate::saml::xml::Element, name: &str) -> String {
    let a = el
        .elements()
        .find(|e| e.local == "AttributeStatement")
        .and_then(|s| s.elements().find(|a| a.attr("Name") == Some(name)))
        .unwrap_or_else(|| panic!("no attribute {name}"));
    a.elements().next().map(|v| v.text()).unwrap_or_default()
}

/// `samlsign` (OpenSAML 3, Shibboleth's C++ library) verifies the Assertion under OpenSAML's SAML
/// signature profile; the file holds only the Assertion, which exclusive c14n makes equivalent.
fn samlsign_verify(xml: &str, cert: &Path, work: &Path) -> Result<(), String> {
    let start = xml.find("<saml:Assertion ").ok_or("no Assertion")?;
    let end = xml.find("</saml:Assertion>").ok_or("no Assertion end")? + "</saml:Assertion>".len();
    let f = work.join("assertion-only.xml");
    std::fs::write(&f, &xml[start..end]).unwrap();
    let o = Command::new("samlsign")
        .arg("-c")
        .arg(std::fs::canonicalize(cert).unwrap())
        .arg("-f")
        .arg(std::fs::canonicalize(&f).unwrap())
        .output()
        .expect("samlsign (Debian package opensaml-tools)");
    if o.status.success() { Ok(()) } else { Err(format!("{}{}", stdout(&o), stderr(&o))) }
}

#[test]
fn assertion_carries_everything_of_huaweis_sample() {
    use samlgate::saml::xml::{ReadLimits, parse};
    let h = setup(&[("SAMLGATE_HUAWEI_BP_ID", "bp-4711")]);
    let c = client();
    h.login(&c, "cust-7007", &["--name", "Zhang San", "--mobile", "0086-13900000007", "--email", "zs@example.com"]);
    let (url, request_id) = h.authn_request("https://console.huaweicloud.com/iam/", &[]);
    let form = parse_post_form(&c.get(&url).send().unwrap().text().unwrap());
    let xml = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&form.message).unwrap()).unwrap();

    // Every independent verifier accepts it: python3-saml and pysaml2 (strict, playing Huawei's SP),
    // xmlsec1, and OpenSAML's samlsign.
    let (ok, j) = h.consume(&request_id, &form);
    assert!(ok, "python SPs refused the sample-shaped response: {j}");
    assert_eq!(j["agree"], true, "{j}");
    let cert = h.dir.join("certs/idp.crt");
    xmlsec_verify(&xml, &cert, &h.dir, false).expect("xmlsec1 --verify");
    samlsign_verify(&xml, &cert, &h.dir).expect("samlsign");
    let tampered = xml.replacen("bp-4711", "bp-4712", 1);
    assert!(samlsign_verify(&tampered, &cert, &h.dir).is_err(), "samlsign must refuse a changed byte");

    // Every element and attribute of Huawei's sample is in ours, at the same place.
    let sample_text = std::fs::read(repo().join("tests/data/huawei/doc-sample-response.xml")).unwrap();
    let sample = parse(&sample_text, &ReadLimits::default()).unwrap();
    let ours = parse(xml.as_bytes(), &ReadLimits::default()).unwrap();
    let (mut want, mut have) = (Vec::new(), Vec::new());
    element_paths(&sample.root, "", &mut want);
    element_paths(&ours.root, "", &mut have);
    // The one deliberate difference: SAML forbids NotBefore on a bearer SubjectConfirmationData.
    let deviation = "{}NotBefore";
    for (path, attrs) in &want {
        let Some((_, got)) = have.iter().find(|(p, _)| p == path) else {
            panic!("the sample's {path} is missing from our Response");
        };
        for a in attrs {
            if path.ends_with("SubjectConfirmationData") && a == deviation {
                assert!(!got.contains(a), "NotBefore on a bearer SubjectConfirmationData");
                continue;
            }
            assert!(got.contains(a), "{path} lacks the sample's attribute {a} (has {got:?})");
        }
    }

    // The value relations the sample's comments demand.
    let idp_entity = format!("{}/saml/metadata", h.g.base);
    let sp_entity = "https://auth.huaweicloud.com/";
    let acs = "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer";
    let r = &ours.root;
    let assertion = find(r, "Assertion");
    assert_eq!(r.attr("InResponseTo"), Some(request_id.as_str()));
    assert_eq!(find(assertion, "SubjectConfirmationData").attr("InResponseTo"), Some(request_id.as_str()));
    assert_eq!(r.attr("Destination"), Some(acs));
    assert_eq!(find(assertion, "SubjectConfirmationData").attr("Recipient"), Some(acs));
    assert_eq!(r.attr("Consent"), Some("urn:oasis:names:tc:SAML:2.0:consent:unspecified"));
    let response_issuer = r.elements().find(|e| e.local == "Issuer").unwrap();
    assert_eq!(response_issuer.text(), idp_entity);
    assert_eq!(response_issuer.attr("Format"), Some("urn:oasis:names:tc:SAML:2.0:nameid-format:entity"));
    assert_eq!(assertion.elements().next().unwrap().text(), idp_entity, "Assertion/Issuer");
    assert_eq!(
        find(assertion, "Reference").attr("URI").map(str::to_owned),
        assertion.attr("ID").map(|id| format!("#{id}"))
    );
    assert_eq!(find(assertion, "InclusiveNamespaces").attr("PrefixList"), Some("xsd"));
    assert_eq!(
        find(assertion, "SignatureMethod").attr("Algorithm"),
        Some("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    );
    assert_eq!(find(assertion, "DigestMethod").attr("Algorithm"), Some("http://www.w3.org/2001/04/xmlenc#sha256"));
    // KeyInfo carries the certificate of the IdP metadata.
    let md = std::fs::read_to_string(&h.idp_md).unwrap();
    let cert_b64 = find(assertion, "X509Certificate").text();
    assert!(md.contains(cert_b64.trim()), "KeyInfo certificate is not the one in IDP Metadata.xml");
    let name_id = find(assertion, "NameID");
    assert_eq!(name_id.attr("NameQualifier"), Some(sp_entity));
    assert_eq!(name_id.attr("Format"), Some("urn:oasis:names:tc:SAML:2.0:nameid-format:transient"));
    assert_eq!(find(assertion, "Audience").text(), sp_entity);
    assert_eq!(find(assertion, "SubjectLocality").attr("Address"), Some(sp_entity));
    assert_eq!(find(assertion, "AuthnContextClassRef").text(), "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified");
    assert_eq!(attribute_value(assertion, "xAccountId"), attribute_value(assertion, "xUserId"));
    assert_eq!(attribute_value(assertion, "xUserId"), "cust-7007");
    assert_eq!(attribute_value(assertion, "bpId"), "bp-4711");
    // Attributes in the sample's order, each as the sample writes it; statements in the sample's order.
    let names = |doc: &samlgate::saml::xml::Element| -> Vec<String> {
        find(doc, "AttributeStatement").elements().filter_map(|a| a.attr("Name").map(str::to_owned)).collect()
    };
    assert_eq!(names(assertion), names(&sample.root));
    assert_eq!(names(assertion), ["xUserId", "xAccountId", "bpId", "email", "name", "mobile"]);
    for a in find(assertion, "AttributeStatement").elements() {
        assert_eq!(a.attr("FriendlyName"), a.attr("Name"));
        assert_eq!(a.attr("NameFormat"), Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri"));
        for v in a.elements() {
            assert_eq!(v.attr_ns("http://www.w3.org/2001/XMLSchema-instance", "type"), Some("xsd:string"));
        }
    }
    let order = |e: &samlgate::saml::xml::Element| e.elements().map(|c| c.local.clone()).collect::<Vec<_>>();
    assert_eq!(order(assertion), order(find(&sample.root, "Assertion")));
    assert_eq!(order(r), order(&sample.root));
}
