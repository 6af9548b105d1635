//! Building what samlgate sends: the `samlp:Response` with a signed `saml:Assertion` (HTTP-POST to the
//! SP's ACS, docs/huawei-partner-sso.md §2), and the `samlp:LogoutResponse` (HTTP-Redirect, signed on the
//! query string by `redirect::encode_redirect_query`).
//!
//! Everything is written with `XmlWriter` — never a string template — so every value is escaped and
//! every signed element is in exclusive canonical form as written (see `dsig`).

use openssl::rand::rand_bytes;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::saml::dsig::{DsigError, SigningKey, sign_enveloped_inclusive};
use crate::saml::xml::{XmlWriteError, XmlWriter, is_ncname};

pub use crate::saml::urn::{
    AC_PASSWORD_PROTECTED_TRANSPORT, AC_UNSPECIFIED, ATTRNAME_FORMAT_URI, CM_BEARER, CONSENT_UNSPECIFIED,
    NAMEID_ENTITY, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED, STATUS_AUTHN_FAILED,
    STATUS_NO_AUTHN_CONTEXT, STATUS_NO_PASSIVE, STATUS_REQUESTER, STATUS_RESPONDER, STATUS_SUCCESS,
    STATUS_UNKNOWN_PRINCIPAL,
};

/// The prefix of the XML Schema namespace in attribute values (`xsi:type="xsd:string"`), declared on
/// the Assertion and named in the signatures' `InclusiveNamespaces PrefixList`, as in Huawei's sample.
pub const XSD_PREFIX: &str = "xsd";

/// Why a message could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error("`{0}` is not a valid xs:ID (NCName) and cannot be echoed")]
    BadId(&'static str),
    #[error("timestamp {0} is out of range")]
    BadTime(i64),
    #[error("random number generation failed: {0}")]
    Random(openssl::error::ErrorStack),
    #[error("XML writing failed: {0}")]
    Xml(#[from] XmlWriteError),
    #[error("signing failed: {0}")]
    Sign(#[from] DsigError),
}

/// Everything that goes into one Response. Times are unix seconds.
#[derive(Debug, Clone)]
pub struct ResponseParams<'a> {
    /// Our (IdP) entityID, exactly as in our metadata.
    pub issuer: &'a str,
    /// The ACS URL the Response is posted to (`Response@Destination`).
    pub destination: &'a str,
    /// The AuthnRequest ID, for SP-initiated SSO; `None` for unsolicited responses.
    pub in_response_to: Option<&'a str>,
    /// The SP entityID (`Audience`).
    pub audience: &'a str,
    /// The ACS URL (`SubjectConfirmationData@Recipient`).
    pub recipient: &'a str,
    pub subject_name_id: &'a str,
    pub name_id_format: &'a str,
    /// `NameID@NameQualifier`: Huawei's sample requires the SP entityID here.
    pub name_qualifier: Option<&'a str>,
    pub sp_name_qualifier: Option<&'a str>,
    pub session_index: &'a str,
    /// `AuthnStatement/SubjectLocality@Address`: Huawei's sample requires the SP entityID here.
    pub subject_locality_address: Option<&'a str>,
    pub authn_instant: i64,
    pub now: i64,
    /// How far `Conditions@NotBefore` is backdated.
    pub not_before_skew_secs: i64,
    /// Lifetime of the assertion and of the bearer confirmation (`NotOnOrAfter` = now + this).
    pub lifetime_secs: i64,
    /// (Name, values), in this order; each written with `FriendlyName` = `Name`, NameFormat
    /// `…attrname-format:uri` and `xsi:type="xsd:string"` values (Huawei's sample). An empty value is
    /// written as an empty AttributeValue (the sample's `email`).
    pub attributes: &'a [(String, Vec<String>)],
    pub authn_context_class_ref: &'a str,
    /// Also sign the Response (its Signature covers the already-signed Assertion).
    pub sign_response: bool,
}

/// A built Response and the IDs in it (for logs and replay bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltResponse {
    /// The document, starting with an XML declaration; base64 it for the POST form.
    pub xml: String,
    pub response_id: String,
    pub assertion_id: String,
}

/// A fresh message ID: `_` + 32 hex digits (128 random bits from OpenSSL's CSPRNG).
pub fn new_id() -> Result<String, ResponseError> {
    let mut buf = [0u8; 16];
    rand_bytes(&mut buf).map_err(ResponseError::Random)?;
    let mut id = String::with_capacity(33);
    id.push('_');
    id.push_str(&hex::encode(buf));
    Ok(id)
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, as SAML time values are written.
pub fn format_instant(unix_secs: i64) -> Result<String, ResponseError> {
    let t = OffsetDateTime::from_unix_timestamp(unix_secs).map_err(|_| ResponseError::BadTime(unix_secs))?;
    t.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
        .map_err(|_| ResponseError::BadTime(unix_secs))
}

/// Writes and signs the Assertion; returns it with its ID.
///
/// The shape is Huawei's partner-documentation sample (`tests/data/huawei/doc-sample-response.xml`), in
/// schema order: Issuer, Signature, Subject (NameID with NameQualifier, bearer SubjectConfirmation),
/// Conditions (AudienceRestriction), AttributeStatement, AuthnStatement (SubjectLocality,
/// AuthnContext). One deliberate difference: the sample puts `NotBefore` on the bearer
/// `SubjectConfirmationData`, which SAML 2.0 Profiles §4.1.4.2 forbids; it is left out (Conditions
/// carries the backdated NotBefore).
///
/// `xmlns:xsd` is declared on the Assertion although only attribute *values* use it
/// (`xsi:type="xsd:string"`): exclusive c14n does not count a prefix used inside a value as visibly
/// used, so the signature names it in `InclusiveNamespaces PrefixList="xsd"`, exactly as the sample
/// does, and the written bytes stay their own canonical form under that PrefixList.
fn build_assertion(
    key: &SigningKey,
    p: &ResponseParams<'_>,
    issue_instant: &str,
) -> Result<(String, String), ResponseError> {
    let id = new_id()?;
    let not_before = format_instant(p.now.saturating_sub(p.not_before_skew_secs))?;
    let not_on_or_after = format_instant(p.now.saturating_add(p.lifetime_secs))?;
    let authn_instant = format_instant(p.authn_instant)?;
    let attr_len: usize =
        p.attributes.iter().map(|(n, v)| 2 * n.len() + 160 + v.iter().map(|s| s.len() + 160).sum::<usize>()).sum();

    let mut w = XmlWriter::with_capacity(2048 + attr_len);
    w.start("saml:Assertion").declare_inclusive(XSD_PREFIX);
    w.attr("ID", &id).attr("IssueInstant", issue_instant).attr("Version", "2.0");
    w.text_element("saml:Issuer", &[], p.issuer);
    let signature_at = w.len();

    w.start("saml:Subject");
    w.start("saml:NameID")
        .attr("Format", p.name_id_format)
        .attr_opt("NameQualifier", p.name_qualifier)
        .attr_opt("SPNameQualifier", p.sp_name_qualifier);
    w.text(p.subject_name_id).end();
    w.start("saml:SubjectConfirmation").attr("Method", CM_BEARER);
    w.start("saml:SubjectConfirmationData")
        .attr_opt("InResponseTo", p.in_response_to)
        .attr("NotOnOrAfter", &not_on_or_after)
        .attr("Recipient", p.recipient)
        .end();
    w.end(); // SubjectConfirmation
    w.end(); // Subject

    w.start("saml:Conditions").attr("NotBefore", &not_before).attr("NotOnOrAfter", &not_on_or_after);
    w.start("saml:AudienceRestriction");
    w.text_element("saml:Audience", &[], p.audience);
    w.end().end();

    // The schema requires at least one Attribute in an AttributeStatement.
    if !p.attributes.is_empty() {
        w.start("saml:AttributeStatement");
        for (name, values) in p.attributes {
            w.start("saml:Attribute")
                .attr("FriendlyName", name)
                .attr("Name", name)
                .attr("NameFormat", ATTRNAME_FORMAT_URI);
            for v in values {
                w.text_element("saml:AttributeValue", &[("xsi:type", "xsd:string")], v);
            }
            w.end();
        }
        w.end();
    }

    w.start("saml:AuthnStatement").attr("AuthnInstant", &authn_instant).attr("SessionIndex", p.session_index);
    if let Some(address) = p.subject_locality_address {
        w.start("saml:SubjectLocality").attr("Address", address).end();
    }
    w.start("saml:AuthnContext");
    w.text_element("saml:AuthnContextClassRef", &[], p.authn_context_class_ref);
    w.end().end();
    w.end(); // Assertion
    let unsigned = w.finish()?;
    let signed = sign_enveloped_inclusive(key, &unsigned, &id, signature_at, &[XSD_PREFIX])?;
    Ok((signed, id))
}

/// Builds the `samlp:Response` with a signed Assertion (and a signed Response when asked).
///
/// Like Huawei's sample: `Consent` unspecified, the Issuer with `Format=…nameid-format:entity`, and a
/// `StatusMessage` beside the Success code. A Response signature carries the same PrefixList as the
/// Assertion's (the spliced Assertion declares `xmlns:xsd`, which plain exclusive c14n of the
/// Response would drop from its canonical form).
pub fn build_response(key: &SigningKey, p: &ResponseParams<'_>) -> Result<BuiltResponse, ResponseError> {
    if let Some(irt) = p.in_response_to
        && !is_ncname(irt)
    {
        // A request ID is checked on the way in; this guards against an unchecked caller.
        return Err(ResponseError::BadId("InResponseTo"));
    }
    let issue_instant = format_instant(p.now)?;
    let (assertion, assertion_id) = build_assertion(key, p, &issue_instant)?;
    let response_id = new_id()?;

    let mut w = XmlWriter::with_capacity(assertion.len() + 1024);
    w.start("samlp:Response")
        .attr("Consent", CONSENT_UNSPECIFIED)
        .attr("Destination", p.destination)
        .attr("ID", &response_id)
        .attr_opt("InResponseTo", p.in_response_to)
        .attr("IssueInstant", &issue_instant)
        .attr("Version", "2.0");
    w.text_element("saml:Issuer", &[("Format", NAMEID_ENTITY)], p.issuer);
    let signature_at = w.len();
    w.start("samlp:Status");
    w.start("samlp:StatusCode").attr("Value", STATUS_SUCCESS).end();
    w.text_element("samlp:StatusMessage", &[], STATUS_SUCCESS);
    w.end();
    w.fragment(&assertion);
    w.end();
    let mut response = w.finish()?;
    if p.sign_response {
        response = sign_enveloped_inclusive(key, &response, &response_id, signature_at, &[XSD_PREFIX])?;
    }
    let mut xml = String::with_capacity(response.len() + 40);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&response);
    Ok(BuiltResponse { xml, response_id, assertion_id })
}

/// Builds a signed `samlp:Response` that carries no assertion, only a status: `top_code` (e.g.
/// [`STATUS_RESPONDER`]) with a second-level `second_code` (e.g. [`STATUS_NO_PASSIVE`]) and a message —
/// the answer to an AuthnRequest whose demands the IdP cannot meet (SAML core §3.4.1.4).
#[allow(clippy::too_many_arguments)]
pub fn build_status_response(
    key: &SigningKey,
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    top_code: &str,
    second_code: &str,
    message: &str,
    now: i64,
) -> Result<BuiltResponse, ResponseError> {
    if !is_ncname(in_response_to) {
        return Err(ResponseError::BadId("InResponseTo"));
    }
    let response_id = new_id()?;
    let mut w = XmlWriter::with_capacity(2048);
    w.start("samlp:Response")
        .attr("Destination", destination)
        .attr("ID", &response_id)
        .attr("InResponseTo", in_response_to)
        .attr("IssueInstant", &format_instant(now)?)
        .attr("Version", "2.0");
    w.text_element("saml:Issuer", &[("Format", NAMEID_ENTITY)], issuer);
    let signature_at = w.len();
    w.start("samlp:Status");
    w.start("samlp:StatusCode").attr("Value", top_code);
    w.start("samlp:StatusCode").attr("Value", second_code).end();
    w.end();
    w.text_element("samlp:StatusMessage", &[], message);
    w.end();
    w.end();
    let response = sign_enveloped_inclusive(key, &w.finish()?, &response_id, signature_at, &[])?;
    let mut xml = String::with_capacity(response.len() + 40);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&response);
    Ok(BuiltResponse { xml, response_id, assertion_id: String::new() })
}

/// Builds an unsigned `samlp:LogoutResponse` (its signature goes on the Redirect-binding query, see
/// `redirect::encode_redirect_query`). `status_code` is a top-level status URI such as
/// [`STATUS_SUCCESS`]. Returns the XML (no declaration, as it gets deflated) and its ID.
pub fn build_logout_response(
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    status_code: &str,
    now: i64,
) -> Result<(String, String), ResponseError> {
    if !is_ncname(in_response_to) {
        return Err(ResponseError::BadId("InResponseTo"));
    }
    let id = new_id()?;
    let mut w = XmlWriter::with_capacity(1024);
    w.start("samlp:LogoutResponse")
        .attr("Destination", destination)
        .attr("ID", &id)
        .attr("InResponseTo", in_response_to)
        .attr("IssueInstant", &format_instant(now)?)
        .attr("Version", "2.0");
    w.text_element("saml:Issuer", &[], issuer);
    w.start("samlp:Status");
    w.start("samlp:StatusCode").attr("Value", status_code).end();
    w.end();
    w.end();
    Ok((w.finish()?, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::dsig::SignatureAlgorithm;
    use crate::saml::dsig::test_keys::rsa;

    fn key() -> SigningKey {
        let (k, c) = rsa();
        SigningKey::new(k, c.to_der().unwrap(), SignatureAlgorithm::RsaSha256).unwrap()
    }

    fn params<'a>(attrs: &'a [(String, Vec<String>)]) -> ResponseParams<'a> {
        ResponseParams {
            issuer: "https://idp.example/",
            destination: "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer",
            in_response_to: Some("_req1"),
            audience: "https://auth.huaweicloud.com/",
            recipient: "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer",
            subject_name_id: "_nid",
            name_id_format: NAMEID_TRANSIENT,
            name_qualifier: Some("https://auth.huaweicloud.com/"),
            sp_name_qualifier: Some("https://auth.huaweicloud.com/"),
            session_index: "_s1",
            subject_locality_address: Some("https://auth.huaweicloud.com/"),
            authn_instant: 1_700_000_000,
            now: 1_700_000_010,
            not_before_skew_secs: 120,
            lifetime_secs: 300,
            attributes: attrs,
            authn_context_class_ref: AC_PASSWORD_PROTECTED_TRANSPORT,
            sign_response: false,
        }
    }

    #[test]
    fn ids_and_instants() {
        let a = new_id().unwrap();
        assert_eq!(a.len(), 33);
        assert!(a.starts_with('_') && is_ncname(&a));
        assert_ne!(a, new_id().unwrap());
        assert_eq!(format_instant(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(format_instant(1_700_000_010).unwrap(), "2023-11-14T22:13:30Z");
    }

    #[test]
    fn response_shape() {
        let attrs = vec![("xUserId".to_owned(), vec!["u<1>&\"".to_owned()])];
        let k = key();
        let r = build_response(&k, &params(&attrs)).unwrap();
        let x = &r.xml;
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<samlp:Response xmlns:samlp="));
        assert!(x.contains(&format!("ID=\"{}\" InResponseTo=\"_req1\"", r.response_id)));
        assert!(x.contains(&format!(
            "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
             xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" ID=\"{}\"",
            r.assertion_id
        )));
        assert!(x.contains(
            "<ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"xsd\">"
        ));
        assert!(x.contains("</saml:Issuer><ds:Signature"));
        assert_eq!(x.matches("<ds:Signature ").count(), 1);
        assert!(x.contains("NotBefore=\"2023-11-14T22:11:30Z\" NotOnOrAfter=\"2023-11-14T22:18:30Z\""));
        assert!(x.contains(
            "<saml:Attribute FriendlyName=\"xUserId\" Name=\"xUserId\" \
             NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\"><saml:AttributeValue \
             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"xsd:string\">u&lt;1&gt;&amp;\"</saml:AttributeValue>"
        ));
        // AttributeStatement before AuthnStatement, SubjectLocality first in AuthnStatement.
        assert!(x.find("<saml:AttributeStatement>").unwrap() < x.find("<saml:AuthnStatement ").unwrap());
        assert!(x.contains("SessionIndex=\"_s1\"><saml:SubjectLocality Address=\"https://auth.huaweicloud.com/\">"));
        assert!(x.contains(
            "Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">https://idp.example/</saml:Issuer>"
        ));
        assert!(x.contains(&format!("URI=\"#{}\"", r.assertion_id)));
        let both = build_response(&k, &ResponseParams { sign_response: true, ..params(&attrs) }).unwrap();
        assert_eq!(both.xml.matches("<ds:Signature ").count(), 2);
        // The Response signature sits right after the Response's Issuer, before Status.
        assert!(both.xml.contains("</ds:Signature><samlp:Status>"));
        assert_eq!(both.xml.matches("PrefixList=\"xsd\"").count(), 2);
    }

    #[test]
    fn refuses_unsafe_in_response_to() {
        let k = key();
        let p = ResponseParams { in_response_to: Some("a\"><x"), ..params(&[]) };
        assert!(matches!(build_response(&k, &p), Err(ResponseError::BadId(_))));
        assert!(build_logout_response("i", "d", "a<b", STATUS_SUCCESS, 0).is_err());
    }

    #[test]
    fn logout_response_shape() {
        let (xml, id) =
            build_logout_response("https://idp/", "https://sp/slo", "_r", STATUS_SUCCESS, 1_700_000_000).unwrap();
        assert!(xml.starts_with("<samlp:LogoutResponse xmlns:samlp="));
        assert!(xml.contains(&format!("ID=\"{id}\" InResponseTo=\"_r\"")));
        assert!(
            xml.contains("<samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"></samlp:StatusCode>")
        );
    }
}
