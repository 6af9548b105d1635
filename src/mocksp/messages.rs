//! What the mock SP sends, in Huawei's shape (docs/huawei-partner-sso.md §1a): the AuthnRequest, the
//! LogoutRequest and the binding notification.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::saml::dsig::SigningKey;
use crate::saml::metadata::{BINDING_POST, NAMEID_TRANSIENT};
use crate::saml::xml::{XmlWriteError, XmlWriter, ns};

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as Huawei writes IssueInstant.
pub fn instant_millis(t: OffsetDateTime) -> String {
    t.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// `_` + 32 hex digits.
pub fn new_id() -> String {
    format!("_{}", random_hex(16))
}

pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    let _ = openssl::rand::rand_bytes(&mut b);
    hex::encode(b)
}

fn writer() -> XmlWriter {
    let mut w = XmlWriter::with_capacity(1024);
    w.declare_prefix("saml2p", ns::SAMLP).declare_prefix("saml2", ns::SAML);
    w
}

/// The AuthnRequest Huawei sends: ID `_…`, IssueInstant with millis, Destination, ACS URL,
/// ProtocolBinding POST, ForceAuthn/IsPassive false, Issuer, NameIDPolicy transient.
pub fn authn_request(
    id: &str,
    issue_instant: &str,
    destination: &str,
    acs_url: &str,
    entity_id: &str,
) -> Result<String, XmlWriteError> {
    let mut w = writer();
    w.start("saml2p:AuthnRequest")
        .attr("AssertionConsumerServiceURL", acs_url)
        .attr("Destination", destination)
        .attr("ForceAuthn", "false")
        .attr("ID", id)
        .attr("IsPassive", "false")
        .attr("IssueInstant", issue_instant)
        .attr("ProtocolBinding", BINDING_POST)
        .attr("Version", "2.0");
    w.text_element("saml2:Issuer", &[], entity_id);
    w.start("saml2p:NameIDPolicy")
        .attr("AllowCreate", "true")
        .attr("Format", NAMEID_TRANSIENT)
        .attr("SPNameQualifier", entity_id)
        .end();
    w.end();
    w.finish()
}

/// What identifies the session to end.
#[derive(Debug, Clone)]
pub struct LogoutSubject<'a> {
    pub name_id: &'a str,
    pub format: Option<&'a str>,
    pub sp_name_qualifier: Option<&'a str>,
    pub session_index: Option<&'a str>,
}

/// A LogoutRequest for the IdP's SingleLogoutService.
pub fn logout_request(
    id: &str,
    issue_instant: &str,
    destination: &str,
    entity_id: &str,
    s: &LogoutSubject<'_>,
) -> Result<String, XmlWriteError> {
    let mut w = writer();
    w.start("saml2p:LogoutRequest")
        .attr("Destination", destination)
        .attr("ID", id)
        .attr("IssueInstant", issue_instant)
        .attr("Version", "2.0");
    w.text_element("saml2:Issuer", &[], entity_id);
    w.start("saml2:NameID").attr_opt("Format", s.format).attr_opt("SPNameQualifier", s.sp_name_qualifier);
    w.text(s.name_id).end();
    if let Some(si) = s.session_index {
        w.text_element("saml2p:SessionIndex", &[], si);
    }
    w.end();
    w.finish()
}

/// The JSON of a binding notification (`bindRequest`, before base64).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BindRequest {
    pub x_user_id: String,
    pub domain_name: String,
    pub domain_id: String,
    pub user_name: String,
    pub user_id: String,
}

/// The three form fields of a binding notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindForm {
    pub bind_request: String,
    pub sig_alg: String,
    pub signature: String,
}

/// `application/x-www-form-urlencoded` serialization as a browser does it (WHATWG URL §5.2): bytes
/// `*-._` and alphanumerics stay, space becomes `+`, everything else `%XX` (uppercase).
pub fn form_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The octets the binding signature covers (the rule assumed for Huawei, as in the Redirect binding):
/// `bindRequest=<urlencoded>&SigAlg=<urlencoded>`, exactly as the browser will send them in the body.
pub fn bind_signed_octets(bind_request_b64: &str, sig_alg: &str) -> String {
    format!("bindRequest={}&SigAlg={}", form_urlencode(bind_request_b64), form_urlencode(sig_alg))
}

/// Signs a binding notification.
pub fn bind_form(key: &SigningKey, req: &BindRequest) -> Result<BindForm, crate::saml::dsig::DsigError> {
    let json = serde_json::to_vec(req).unwrap_or_default();
    let bind_request = B64.encode(json);
    let sig_alg = key.algorithm().uri().to_owned();
    let sig = key.sign_raw(bind_signed_octets(&bind_request, &sig_alg).as_bytes())?;
    Ok(BindForm { bind_request, sig_alg, signature: B64.encode(sig) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::dsig::test_keys::rsa;
    use crate::saml::dsig::{SignatureAlgorithm, SigningKey};

    #[test]
    fn authn_request_parses_like_huawei_sample() {
        let t = OffsetDateTime::from_unix_timestamp(1_543_223_518).unwrap() + time::Duration::milliseconds(446);
        assert_eq!(instant_millis(t), "2018-11-26T09:11:58.446Z");
        let x =
            authn_request("_1", &instant_millis(t), "https://idp/saml/sso", "https://sp/acs", "https://sp/").unwrap();
        let r = crate::saml::request::parse_authn_request(x.as_bytes()).unwrap();
        assert_eq!(r.id, "_1");
        assert_eq!(r.issuer, "https://sp/");
        assert_eq!(r.acs_url.as_deref(), Some("https://sp/acs"));
        assert_eq!(r.name_id_policy_sp_name_qualifier.as_deref(), Some("https://sp/"));
        assert!(x.starts_with("<saml2p:AuthnRequest xmlns:saml2p="));
    }

    #[test]
    fn logout_request_parses() {
        let s = LogoutSubject {
            name_id: "_n",
            format: Some(NAMEID_TRANSIENT),
            sp_name_qualifier: None,
            session_index: Some("_s"),
        };
        let x = logout_request("_2", "2026-01-01T00:00:00.000Z", "https://idp/slo", "https://sp/", &s).unwrap();
        let r = crate::saml::request::parse_logout_request(x.as_bytes()).unwrap();
        assert_eq!(r.name_id, "_n");
        assert_eq!(r.session_indexes, vec!["_s"]);
    }

    #[test]
    fn bind_signature_covers_form_octets() {
        let (k, c) = rsa();
        let key = SigningKey::new(k, c.to_der().unwrap(), SignatureAlgorithm::RsaSha256).unwrap();
        let req = BindRequest {
            x_user_id: "u1".into(),
            domain_name: "d".into(),
            domain_id: "i".into(),
            user_name: "d".into(),
            user_id: "x".into(),
        };
        let f = bind_form(&key, &req).unwrap();
        let octets = bind_signed_octets(&f.bind_request, &f.sig_alg);
        crate::saml::redirect::verify_redirect_signature(octets.as_bytes(), &f.sig_alg, &f.signature, &[c], false)
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&B64.decode(&f.bind_request).unwrap()).unwrap();
        assert_eq!(json["xUserId"], "u1");
        assert_eq!(json["domainId"], "i");
        assert_eq!(form_urlencode("a+b/c= d~"), "a%2Bb%2Fc%3D+d%7E");
    }
}
