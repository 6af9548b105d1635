//! The mock SP's own check of a posted `samlp:Response`, done the way an SP must — a code path apart
//! from the gateway's: strict parse, the Assertion's enveloped signature (and the Response's, when
//! present) verified with the IdP certificate from IdP metadata only, and then every value read from
//! the verified Assertion alone. The stateful checks (outstanding InResponseTo, one-time assertion ID,
//! RelayState) are the caller's, with what this returns.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::idp::IdpInfo;
use crate::saml::request::parse_instant;
use crate::saml::verify::{VerifyPolicy, verify_enveloped};
use crate::saml::xml::{self, Element, ReadLimits, ns};

use crate::saml::urn::CM_BEARER;
pub use crate::saml::urn::STATUS_SUCCESS;

/// Largest decoded SAMLResponse accepted.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// A refused message: `check` names the failed check (stable, shown on the page as `#check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub check: &'static str,
    pub message: String,
}

pub fn refuse(check: &'static str, message: impl Into<String>) -> Refused {
    Refused { check, message: message.into() }
}

/// What the SP expects of the Response.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub idp: &'a IdpInfo,
    /// Our ACS URL (Response Destination, SubjectConfirmationData Recipient).
    pub acs_url: &'a str,
    /// Our entityID (Audience).
    pub entity_id: &'a str,
    pub now: i64,
    pub skew_secs: i64,
    /// Accept an unsolicited Response (no InResponseTo; `--allow-unsolicited`): every other check
    /// stays (signature, audience, recipient, time window; the one-time assertion ID is the caller's).
    pub allow_unsolicited: bool,
}

/// What a verified Assertion says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLogin {
    pub response_id: String,
    pub assertion_id: String,
    /// The AuthnRequest answered; `None` for an unsolicited Response (only with `allow_unsolicited`).
    pub in_response_to: Option<String>,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub name_id_sp_name_qualifier: Option<String>,
    pub session_index: Option<String>,
    /// (Name, values) in document order.
    pub attributes: Vec<(String, Vec<String>)>,
    /// Until when the assertion ID must be remembered (unix seconds).
    pub not_on_or_after: i64,
}

impl VerifiedLogin {
    /// First value of the attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.first()).map(String::as_str)
    }
}

/// Decodes the POSTed `SAMLResponse` form value (base64, whitespace tolerated).
pub fn decode_form_value(b64: &str) -> Result<Vec<u8>, Refused> {
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() > MAX_RESPONSE_BYTES * 4 / 3 + 4 {
        return Err(refuse("size", "SAMLResponse is too large"));
    }
    B64.decode(compact.as_bytes()).map_err(|_| refuse("base64", "SAMLResponse is not valid base64"))
}

fn only<'a>(parent: &'a Element, ns_uri: &str, local: &str, check: &'static str) -> Result<&'a Element, Refused> {
    parent
        .only_child(ns_uri, local)
        .map_err(|e| refuse(check, e.to_string()))?
        .ok_or_else(|| refuse(check, format!("<{}> has no {local}", parent.qname())))
}

fn instant(el: &Element, attr: &str, check: &'static str) -> Result<Option<i64>, Refused> {
    match el.attr(attr) {
        None => Ok(None),
        Some(t) => parse_instant(t)
            .map(|ts| Some(ts.unix))
            .ok_or_else(|| refuse(check, format!("{attr}=\"{t}\" is not a SAML time value"))),
    }
}

/// Verifies a decoded Response. Every refusal names its check.
pub fn verify_response(bytes: &[u8], e: &Expect<'_>) -> Result<VerifiedLogin, Refused> {
    let limits = ReadLimits { max_bytes: MAX_RESPONSE_BYTES, ..ReadLimits::default() };
    let doc = xml::parse(bytes, &limits).map_err(|err| refuse("xml", err.to_string()))?;
    let root = &doc.root;
    if !root.is(ns::SAMLP, "Response") {
        return Err(refuse("message", format!("expected samlp:Response, got <{}>", root.qname())));
    }
    if root.attr("Version") != Some("2.0") {
        return Err(refuse("message", "Response Version is not 2.0"));
    }
    let policy = VerifyPolicy::default();
    // A signed Response is verified too (a bad signature is never ignored).
    if root.children_named(ns::DS, "Signature").next().is_some() {
        verify_enveloped(root, root, &e.idp.signing_certs, &policy)
            .map_err(|err| refuse("response_signature", format!("{} ({})", err, err.reason())))?;
    }
    let response_id = root.attr("ID").unwrap_or_default().to_owned();
    match root.attr("Destination") {
        Some(d) if d == e.acs_url => {}
        other => {
            return Err(refuse(
                "destination",
                format!("Response Destination is {other:?}, expected this ACS `{}`", e.acs_url),
            ));
        }
    }
    if let Some(iss) = root.only_child(ns::SAML, "Issuer").map_err(|err| refuse("issuer", err.to_string()))?
        && iss.text().trim() != e.idp.entity_id
    {
        return Err(refuse("issuer", format!("Response Issuer `{}` is not the IdP `{}`", iss.text(), e.idp.entity_id)));
    }
    let status = only(root, ns::SAMLP, "Status", "status")?;
    let code = only(status, ns::SAMLP, "StatusCode", "status")?;
    if code.attr("Value") != Some(STATUS_SUCCESS) {
        return Err(refuse("status", format!("Status is {:?}, not Success", code.attr("Value"))));
    }
    if root.children_named(ns::SAML, "EncryptedAssertion").next().is_some() {
        return Err(refuse("assertion", "encrypted assertions are not supported by the mock"));
    }
    let mut assertions = root.children_named(ns::SAML, "Assertion");
    let assertion = assertions.next().ok_or_else(|| refuse("assertion", "the Response carries no Assertion"))?;
    if assertions.next().is_some() {
        return Err(refuse("assertion", "the Response carries more than one Assertion"));
    }
    // WantAssertionsSigned: the Assertion must be signed by the IdP, whatever the Response says.
    let verified = verify_enveloped(root, assertion, &e.idp.signing_certs, &policy)
        .map_err(|err| refuse("assertion_signature", format!("{} ({})", err, err.reason())))?;
    // From here on, read only from the verified element.
    let a = verified.element;
    let assertion_id = a.attr("ID").unwrap_or_default().to_owned();
    if a.attr("Version") != Some("2.0") {
        return Err(refuse("message", "Assertion Version is not 2.0"));
    }
    let issuer = only(a, ns::SAML, "Issuer", "issuer")?.text();
    if issuer.trim() != e.idp.entity_id {
        return Err(refuse("issuer", format!("Assertion Issuer `{issuer}` is not the IdP `{}`", e.idp.entity_id)));
    }

    let subject = only(a, ns::SAML, "Subject", "subject")?;
    let name_id_el = only(subject, ns::SAML, "NameID", "subject")?;
    if name_id_el.has_element_children() || name_id_el.text().is_empty() {
        return Err(refuse("subject", "NameID is empty or not plain text"));
    }
    // A bearer SubjectConfirmation whose data fits: Recipient, InResponseTo, NotOnOrAfter.
    let mut confirmed = false;
    let mut in_response_to = None;
    let mut bearer_not_on_or_after = i64::MAX;
    let mut last: Option<Refused> = None;
    for sc in subject.children_named(ns::SAML, "SubjectConfirmation") {
        if sc.attr("Method") != Some(CM_BEARER) {
            continue;
        }
        let Some(data) = sc.only_child(ns::SAML, "SubjectConfirmationData").ok().flatten() else {
            last = Some(refuse("subject_confirmation", "bearer SubjectConfirmation without data"));
            continue;
        };
        if data.attr("Recipient") != Some(e.acs_url) {
            last = Some(refuse(
                "recipient",
                format!("Recipient is {:?}, expected this ACS `{}`", data.attr("Recipient"), e.acs_url),
            ));
            continue;
        }
        if data.attr("NotBefore").is_some() {
            last = Some(refuse("subject_confirmation", "a bearer SubjectConfirmationData must not have NotBefore"));
            continue;
        }
        let Some(noa) = instant(data, "NotOnOrAfter", "time_window")? else {
            last = Some(refuse("time_window", "bearer SubjectConfirmationData has no NotOnOrAfter"));
            continue;
        };
        if e.now >= noa.saturating_add(e.skew_secs) {
            last = Some(refuse("time_window", "the bearer confirmation has expired (NotOnOrAfter)"));
            continue;
        }
        match data.attr("InResponseTo") {
            Some(irt) => in_response_to = Some(irt.to_owned()),
            None if e.allow_unsolicited => {}
            None => {
                last = Some(refuse(
                    "in_response_to",
                    "unsolicited response: SubjectConfirmationData has no InResponseTo (start the mock with --allow-unsolicited to accept it)",
                ));
                continue;
            }
        }
        confirmed = true;
        bearer_not_on_or_after = noa;
        break;
    }
    if !confirmed {
        return Err(last.unwrap_or_else(|| refuse("subject_confirmation", "no bearer SubjectConfirmation")));
    }
    if let Some(r) = root.attr("InResponseTo")
        && Some(r) != in_response_to.as_deref()
    {
        return Err(refuse("in_response_to", "Response and Assertion InResponseTo differ"));
    }

    let conditions = only(a, ns::SAML, "Conditions", "time_window")?;
    if let Some(nb) = instant(conditions, "NotBefore", "time_window")?
        && e.now.saturating_add(e.skew_secs) < nb
    {
        return Err(refuse("time_window", "the assertion is not yet valid (Conditions NotBefore)"));
    }
    let cond_noa = instant(conditions, "NotOnOrAfter", "time_window")?;
    if let Some(noa) = cond_noa
        && e.now >= noa.saturating_add(e.skew_secs)
    {
        return Err(refuse("time_window", "the assertion has expired (Conditions NotOnOrAfter)"));
    }
    // Every AudienceRestriction must name us (SAML core §2.5.1.4).
    let restrictions: Vec<&Element> = conditions.children_named(ns::SAML, "AudienceRestriction").collect();
    if restrictions.is_empty() {
        return Err(refuse("audience", "the assertion has no AudienceRestriction"));
    }
    for r in restrictions {
        let audiences: Vec<String> = r.children_named(ns::SAML, "Audience").map(|x| x.text()).collect();
        if !audiences.iter().any(|x| x.trim() == e.entity_id) {
            return Err(refuse("audience", format!("Audience {audiences:?} does not name this SP `{}`", e.entity_id)));
        }
    }

    let session_index =
        a.children_named(ns::SAML, "AuthnStatement").next().and_then(|s| s.attr("SessionIndex")).map(str::to_owned);
    let mut attributes = Vec::new();
    for st in a.children_named(ns::SAML, "AttributeStatement") {
        for at in st.children_named(ns::SAML, "Attribute") {
            let Some(name) = at.attr("Name") else { continue };
            let values = at.children_named(ns::SAML, "AttributeValue").map(|v| v.text()).collect();
            if attributes.len() < 64 {
                attributes.push((name.to_owned(), values));
            }
        }
    }
    Ok(VerifiedLogin {
        response_id,
        assertion_id,
        in_response_to,
        name_id: name_id_el.text(),
        name_id_format: name_id_el.attr("Format").map(str::to_owned),
        name_id_sp_name_qualifier: name_id_el.attr("SPNameQualifier").map(str::to_owned),
        session_index,
        attributes,
        not_on_or_after: cond_noa.unwrap_or(bearer_not_on_or_after).min(bearer_not_on_or_after),
    })
}

/// What a verified LogoutResponse says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutResult {
    pub in_response_to: String,
    pub status: String,
}

/// Checks a Redirect-bound LogoutResponse (raw query string as received): signature over the raw
/// octets with the IdP certificate, then Issuer, Destination, Status. InResponseTo is the caller's.
pub fn verify_logout_response(
    raw_query: &str,
    idp: &IdpInfo,
    expected_destination: &str,
) -> Result<LogoutResult, Refused> {
    use crate::saml::redirect::{MessageParam, parse_redirect_query};
    let q = parse_redirect_query(raw_query).map_err(|err| refuse("message", err.to_string()))?;
    if q.param != MessageParam::SamlResponse {
        return Err(refuse("message", "expected a SAMLResponse (LogoutResponse)"));
    }
    q.verify(&idp.signing_certs, false).map_err(|err| refuse("signature", err.to_string()))?;
    let bytes = q.decode_message(64 * 1024).map_err(|err| refuse("message", err.to_string()))?;
    let limits = ReadLimits { max_bytes: 64 * 1024, ..ReadLimits::default() };
    let doc = xml::parse(&bytes, &limits).map_err(|err| refuse("xml", err.to_string()))?;
    let root = &doc.root;
    if !root.is(ns::SAMLP, "LogoutResponse") {
        return Err(refuse("message", format!("expected samlp:LogoutResponse, got <{}>", root.qname())));
    }
    let issuer = only(root, ns::SAML, "Issuer", "issuer")?.text();
    if issuer.trim() != idp.entity_id {
        return Err(refuse("issuer", format!("Issuer `{issuer}` is not the IdP `{}`", idp.entity_id)));
    }
    if let Some(d) = root.attr("Destination")
        && d != expected_destination
    {
        return Err(refuse("destination", format!("Destination `{d}` is not `{expected_destination}`")));
    }
    let status = only(root, ns::SAMLP, "Status", "status")?;
    let code = only(status, ns::SAMLP, "StatusCode", "status")?.attr("Value").unwrap_or_default().to_owned();
    let in_response_to = root
        .attr("InResponseTo")
        .map(str::to_owned)
        .ok_or_else(|| refuse("in_response_to", "the LogoutResponse has no InResponseTo"))?;
    Ok(LogoutResult { in_response_to, status: code })
}
