//! Incoming SAML requests: `samlp:AuthnRequest` (parse, then check against the SP's metadata) and
//! `samlp:LogoutRequest` (parse).
//!
//! Parsing uses the one strict reader (`xml::parse`: no DTDs, no entities, duplicate children refused)
//! and reads only from the root element of the message whose Redirect-binding signature was verified.
//! Text is always the full concatenation of an element's text nodes (comments dropped), so
//! `https://sp<!---->.evil` is read as `https://sp.evil` and fails the Issuer comparison. Every refusal
//! carries a stable `reason()` code for the error page and the refusal counters.

use time::PrimitiveDateTime;
use time::macros::format_description;

use crate::saml::metadata::{Endpoint, SpMetadata};
use crate::saml::xml::{Element, ReadLimits, XmlReadError, is_ncname, ns, parse};

use crate::saml::urn::{BINDING_POST as BINDING_HTTP_POST, NAMEID_ENTITY, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED};

/// Longest accepted message ID.
pub const MAX_ID_LEN: usize = 256;

/// Why a request was refused. `reason()` names the failed check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the message is not well-formed or not acceptable XML: {0}")]
    MalformedXml(#[from] XmlReadError),
    #[error("expected a samlp:{expected} message, got <{found}>")]
    WrongMessage { expected: &'static str, found: String },
    #[error("unsupported SAML version {0:?} (only 2.0)")]
    Version(Option<String>),
    #[error("the message ID is missing, too long or not an xs:ID (NCName)")]
    BadId,
    #[error("IssueInstant {0:?} is not a UTC xs:dateTime")]
    BadInstant(Option<String>),
    #[error("the message must have exactly one Issuer ({0})")]
    Issuer(&'static str),
    #[error("malformed {element}: {problem}")]
    Malformed { element: &'static str, problem: String },
    #[error("embedded XML signatures are not supported on this endpoint (use the Redirect binding)")]
    EmbeddedSignature,
    #[error("Issuer {0:?} is not the entityID of this SP")]
    UnknownIssuer(String),
    #[error("Destination {found:?} is not our endpoint {expected:?}")]
    Destination { found: Option<String>, expected: String },
    #[error("AssertionConsumerServiceURL {0:?} is not an HTTP-POST ACS in the SP's metadata")]
    AcsMismatch(String),
    #[error("AssertionConsumerServiceIndex {0} is not an HTTP-POST ACS in the SP's metadata")]
    AcsIndex(u16),
    #[error("both AssertionConsumerServiceIndex and AssertionConsumerServiceURL/ProtocolBinding are given")]
    AcsConflict,
    #[error("the SP's metadata has no HTTP-POST AssertionConsumerService")]
    NoAcs,
    #[error("ProtocolBinding {0:?} is not supported (only HTTP-POST)")]
    Binding(String),
    #[error("IssueInstant {0} is too old")]
    Expired(String),
    #[error("IssueInstant {0} is in the future beyond the allowed clock skew")]
    NotYetValid(String),
    #[error("NameIDPolicy Format {0:?} is not supported (transient or unspecified)")]
    NameIdFormat(String),
    #[error("NameIDPolicy SPNameQualifier {0:?} is not this SP's entityID")]
    NameIdQualifier(String),
}

impl RequestError {
    /// Short stable code naming the failed check.
    pub fn reason(&self) -> &'static str {
        match self {
            RequestError::MalformedXml(e) => e.reason(),
            RequestError::WrongMessage { .. } => "wrong_message",
            RequestError::Version(_) => "version",
            RequestError::BadId => "bad_id",
            RequestError::BadInstant(_) => "bad_instant",
            RequestError::Issuer(_) => "issuer",
            RequestError::Malformed { .. } => "malformed_request",
            RequestError::EmbeddedSignature => "embedded_signature",
            RequestError::UnknownIssuer(_) => "unknown_issuer",
            RequestError::Destination { .. } => "destination",
            RequestError::AcsMismatch(_) => "acs_mismatch",
            RequestError::AcsIndex(_) => "acs_index",
            RequestError::AcsConflict => "acs_conflict",
            RequestError::NoAcs => "no_acs",
            RequestError::Binding(_) => "binding",
            RequestError::Expired(_) => "expired",
            RequestError::NotYetValid(_) => "not_yet_valid",
            RequestError::NameIdFormat(_) => "nameid_format",
            RequestError::NameIdQualifier(_) => "nameid_qualifier",
        }
    }
}

/// A SAML time value: unix seconds (fraction dropped) and the text as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    pub unix: i64,
    pub text: String,
}

/// What samlgate uses of an AuthnRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    pub id: String,
    pub issue_instant: Timestamp,
    pub destination: Option<String>,
    pub issuer: String,
    pub acs_url: Option<String>,
    pub acs_index: Option<u16>,
    pub protocol_binding: Option<String>,
    pub force_authn: bool,
    pub is_passive: bool,
    pub name_id_policy_format: Option<String>,
    pub name_id_policy_sp_name_qualifier: Option<String>,
    pub allow_create: Option<bool>,
    /// `saml:Subject/saml:NameID`: the user the SP asks to be authenticated, if it names one.
    pub subject_name_id: Option<String>,
    pub requested_authn_context: Option<RequestedAuthnContext>,
}

/// `samlp:RequestedAuthnContext`: the authentication context the SP demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedAuthnContext {
    /// `exact` (the default), `minimum`, `maximum` or `better`.
    pub comparison: String,
    pub class_refs: Vec<String>,
    /// How many `AuthnContextDeclRef`s it lists (samlgate has no declarations to offer).
    pub decl_refs: usize,
}

/// The ACS endpoint from the SP's metadata that the Response goes to.
pub type ResolvedAcs = Endpoint;

/// What samlgate uses of a LogoutRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id: String,
    pub issue_instant: Timestamp,
    pub destination: Option<String>,
    pub issuer: String,
    /// `NotOnOrAfter`, when given.
    pub not_on_or_after: Option<Timestamp>,
    /// The full NameID text (all text nodes, comments dropped).
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub name_id_sp_name_qualifier: Option<String>,
    pub session_indexes: Vec<String>,
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (SAML time values are UTC and carry the `Z`).
pub fn parse_instant(text: &str) -> Option<Timestamp> {
    let body = text.strip_suffix('Z')?;
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]");
    let t = PrimitiveDateTime::parse(body, fmt).ok()?;
    Some(Timestamp { unix: t.assume_utc().unix_timestamp(), text: text.to_owned() })
}

fn read_root(xml: &[u8], ns_uri: &str, local: &'static str) -> Result<Element, RequestError> {
    let doc = parse(xml, &ReadLimits::default())?;
    let root = doc.root;
    if !root.is(ns_uri, local) {
        return Err(RequestError::WrongMessage { expected: local, found: root.qname() });
    }
    Ok(root)
}

/// Checks and reads what every SAML request has: Version, ID, IssueInstant, Destination, one Issuer,
/// and no embedded signature (Redirect-bound messages carry theirs in the query string).
fn common(
    root: &Element,
    signature_verified: bool,
) -> Result<(String, Timestamp, Option<String>, String), RequestError> {
    match root.attr("Version") {
        Some("2.0") => {}
        other => return Err(RequestError::Version(other.map(str::to_owned))),
    }
    let id = match root.attr("ID") {
        Some(id) if id.len() <= MAX_ID_LEN && is_ncname(id) => id.to_owned(),
        _ => return Err(RequestError::BadId),
    };
    let issue_instant = root
        .attr("IssueInstant")
        .and_then(parse_instant)
        .ok_or_else(|| RequestError::BadInstant(root.attr("IssueInstant").map(str::to_owned)))?;
    let destination = root.attr("Destination").map(str::to_owned);
    if !signature_verified && root.elements().any(|e| e.is(ns::DS, "Signature")) {
        return Err(RequestError::EmbeddedSignature);
    }
    let issuer = match root.only_child(ns::SAML, "Issuer") {
        Ok(Some(i)) => i,
        Ok(None) => return Err(RequestError::Issuer("missing")),
        Err(_) => return Err(RequestError::Issuer("more than one")),
    };
    if issuer.has_element_children() {
        return Err(RequestError::Issuer("it contains elements"));
    }
    match issuer.attr("Format") {
        None => {}
        Some(f) if f == NAMEID_ENTITY => {}
        Some(_) => return Err(RequestError::Issuer("its Format is not entity")),
    }
    Ok((id, issue_instant, destination, issuer.text()))
}

fn parse_bool(e: &Element, name: &'static str, element: &'static str) -> Result<Option<bool>, RequestError> {
    match e.attr(name) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => {
            Err(RequestError::Malformed { element, problem: format!("{name}={other:?} is not an xs:boolean") })
        }
    }
}

/// Parses an AuthnRequest (the inflated `SAMLRequest`) strictly. It does not check it against an SP:
/// see [`check_authn_request`].
pub fn parse_authn_request(xml: &[u8]) -> Result<AuthnRequest, RequestError> {
    let root = read_root(xml, ns::SAMLP, "AuthnRequest")?;
    authn_request_from_element(&root, false)
}

/// Reads an AuthnRequest from an already parsed element. `signature_verified` is true only when the
/// caller has verified the element's enveloped signature (POST binding): then, and only then, a
/// `ds:Signature` child is allowed, and everything is read from that same verified element.
pub fn authn_request_from_element(root: &Element, signature_verified: bool) -> Result<AuthnRequest, RequestError> {
    if !root.is(ns::SAMLP, "AuthnRequest") {
        return Err(RequestError::WrongMessage { expected: "AuthnRequest", found: root.qname() });
    }
    let (id, issue_instant, destination, issuer) = common(root, signature_verified)?;
    let acs_index = match root.attr("AssertionConsumerServiceIndex") {
        None => None,
        Some(s) => Some(s.parse::<u16>().map_err(|_| RequestError::Malformed {
            element: "AuthnRequest",
            problem: format!("AssertionConsumerServiceIndex={s:?} is not an unsigned short"),
        })?),
    };
    let policy = root.only_child(ns::SAMLP, "NameIDPolicy")?;
    let subject_name_id = match root.only_child(ns::SAML, "Subject")? {
        Some(s) => s.only_child(ns::SAML, "NameID")?.map(|n| n.text().trim().to_owned()),
        None => None,
    };
    let requested_authn_context = match root.only_child(ns::SAMLP, "RequestedAuthnContext")? {
        None => None,
        Some(r) => {
            let comparison = r.attr("Comparison").unwrap_or("exact").to_owned();
            if !matches!(comparison.as_str(), "exact" | "minimum" | "maximum" | "better") {
                return Err(RequestError::Malformed {
                    element: "RequestedAuthnContext",
                    problem: format!("Comparison={comparison:?} is not exact, minimum, maximum or better"),
                });
            }
            Some(RequestedAuthnContext {
                comparison,
                class_refs: r
                    .children_named(ns::SAML, "AuthnContextClassRef")
                    .map(|c| c.text().trim().to_owned())
                    .collect(),
                decl_refs: r.children_named(ns::SAML, "AuthnContextDeclRef").count(),
            })
        }
    };
    Ok(AuthnRequest {
        subject_name_id,
        requested_authn_context,
        id,
        issue_instant,
        destination,
        issuer,
        acs_url: root.attr("AssertionConsumerServiceURL").map(str::to_owned),
        acs_index,
        protocol_binding: root.attr("ProtocolBinding").map(str::to_owned),
        force_authn: parse_bool(root, "ForceAuthn", "AuthnRequest")?.unwrap_or(false),
        is_passive: parse_bool(root, "IsPassive", "AuthnRequest")?.unwrap_or(false),
        name_id_policy_format: policy.and_then(|p| p.attr("Format")).map(str::to_owned),
        name_id_policy_sp_name_qualifier: policy.and_then(|p| p.attr("SPNameQualifier")).map(str::to_owned),
        allow_create: match policy {
            Some(p) => parse_bool(p, "AllowCreate", "NameIDPolicy")?,
            None => None,
        },
    })
}

/// What every request from an SP must satisfy: its Issuer is the SP's entityID, its Destination is our
/// endpoint (required), and its IssueInstant is at most `skew_secs` in the future and at most
/// `max_age_secs + skew_secs` old.
#[allow(clippy::too_many_arguments)]
fn check_issuer_destination_time(
    issuer: &str,
    destination: Option<&str>,
    issue_instant: &Timestamp,
    sp: &SpMetadata,
    expected_destination: &str,
    now: i64,
    skew_secs: i64,
    max_age_secs: i64,
) -> Result<(), RequestError> {
    if issuer != sp.entity_id {
        return Err(RequestError::UnknownIssuer(issuer.to_owned()));
    }
    if destination != Some(expected_destination) {
        return Err(RequestError::Destination {
            found: destination.map(str::to_owned),
            expected: expected_destination.to_owned(),
        });
    }
    let t = issue_instant.unix;
    if t > now.saturating_add(skew_secs) {
        return Err(RequestError::NotYetValid(issue_instant.text.clone()));
    }
    if now.saturating_sub(t) > max_age_secs.saturating_add(skew_secs) {
        return Err(RequestError::Expired(issue_instant.text.clone()));
    }
    Ok(())
}

/// Checks a parsed AuthnRequest against the SP it claims to come from (looked up by its Issuer) and
/// resolves the ACS to answer to. `expected_destination` is our SSO URL; `now` unix seconds.
/// IssueInstant may be at most `skew_secs` in the future and at most `max_age_secs + skew_secs` old.
/// (The replay check — ID never seen before — needs the store and is the caller's.)
pub fn check_authn_request(
    req: &AuthnRequest,
    sp: &SpMetadata,
    expected_destination: &str,
    now: i64,
    skew_secs: i64,
    max_age_secs: i64,
) -> Result<ResolvedAcs, RequestError> {
    check_issuer_destination_time(
        &req.issuer,
        req.destination.as_deref(),
        &req.issue_instant,
        sp,
        expected_destination,
        now,
        skew_secs,
        max_age_secs,
    )?;
    if let Some(b) = &req.protocol_binding
        && b != BINDING_HTTP_POST
    {
        return Err(RequestError::Binding(b.clone()));
    }
    if let Some(format) = &req.name_id_policy_format
        && format != NAMEID_TRANSIENT
        && format != NAMEID_UNSPECIFIED
    {
        return Err(RequestError::NameIdFormat(format.clone()));
    }
    if let Some(q) = &req.name_id_policy_sp_name_qualifier
        && *q != sp.entity_id
    {
        return Err(RequestError::NameIdQualifier(q.clone()));
    }
    resolve_acs(req, sp)
}

/// Checks a parsed LogoutRequest against the SP it claims to come from: Issuer, Destination (our SLO
/// URL, required), IssueInstant window (as for AuthnRequests) and NotOnOrAfter (with `skew_secs`).
/// The replay check and finding the session are the caller's.
pub fn check_logout_request(
    req: &LogoutRequest,
    sp: &SpMetadata,
    expected_destination: &str,
    now: i64,
    skew_secs: i64,
    max_age_secs: i64,
) -> Result<(), RequestError> {
    check_issuer_destination_time(
        &req.issuer,
        req.destination.as_deref(),
        &req.issue_instant,
        sp,
        expected_destination,
        now,
        skew_secs,
        max_age_secs,
    )?;
    if let Some(n) = &req.not_on_or_after
        && now >= n.unix.saturating_add(skew_secs)
    {
        return Err(RequestError::Expired(n.text.clone()));
    }
    Ok(())
}

fn resolve_acs(req: &AuthnRequest, sp: &SpMetadata) -> Result<ResolvedAcs, RequestError> {
    let post = || sp.acs.iter().filter(|e| e.binding == BINDING_HTTP_POST);
    match (req.acs_index, &req.acs_url) {
        (Some(_), Some(_)) => Err(RequestError::AcsConflict),
        (Some(_), None) if req.protocol_binding.is_some() => Err(RequestError::AcsConflict),
        (Some(i), None) => post().find(|e| e.index == Some(i)).cloned().ok_or(RequestError::AcsIndex(i)),
        // Exact string comparison: no normalization, no prefix or wildcard matching.
        (None, Some(url)) => {
            post().find(|e| e.location == *url).cloned().ok_or_else(|| RequestError::AcsMismatch(url.clone()))
        }
        (None, None) => post().find(|e| e.is_default).or_else(|| post().next()).cloned().ok_or(RequestError::NoAcs),
    }
}

/// Parses a LogoutRequest (the inflated `SAMLRequest` at the SLO endpoint) strictly. Only a plain
/// `saml:NameID` identifies the principal (BaseID / EncryptedID are refused).
pub fn parse_logout_request(xml: &[u8]) -> Result<LogoutRequest, RequestError> {
    let root = read_root(xml, ns::SAMLP, "LogoutRequest")?;
    let (id, issue_instant, destination, issuer) = common(&root, false)?;
    let not_on_or_after = match root.attr("NotOnOrAfter") {
        None => None,
        Some(s) => Some(parse_instant(s).ok_or_else(|| RequestError::BadInstant(Some(s.to_owned())))?),
    };
    if root.elements().any(|e| e.is(ns::SAML, "BaseID") || e.is(ns::SAML, "EncryptedID")) {
        return Err(RequestError::Malformed {
            element: "LogoutRequest",
            problem: "only a plain NameID is supported".into(),
        });
    }
    let name_id = root
        .only_child(ns::SAML, "NameID")?
        .ok_or_else(|| RequestError::Malformed { element: "LogoutRequest", problem: "NameID is missing".into() })?;
    if name_id.has_element_children() {
        return Err(RequestError::Malformed { element: "NameID", problem: "it contains elements".into() });
    }
    let session_indexes = root
        .children_named(ns::SAMLP, "SessionIndex")
        .map(|s| {
            if s.has_element_children() {
                Err(RequestError::Malformed { element: "SessionIndex", problem: "it contains elements".into() })
            } else {
                Ok(s.text())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LogoutRequest {
        id,
        issue_instant,
        destination,
        issuer,
        not_on_or_after,
        name_id: name_id.text(),
        name_id_format: name_id.attr("Format").map(str::to_owned),
        name_id_sp_name_qualifier: name_id.attr("SPNameQualifier").map(str::to_owned),
        session_indexes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HW: &str = "<saml2p:AuthnRequest xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
        AssertionConsumerServiceURL=\"https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer\" \
        Destination=\"https://idp.example/saml/login\" ForceAuthn=\"false\" ID=\"_8f3e\" IsPassive=\"false\" \
        IssueInstant=\"2018-11-26T09:11:58.446Z\" ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" \
        Version=\"2.0\"><saml2:Issuer xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">https://auth.huaweicloud.com/</saml2:Issuer>\
        <saml2p:NameIDPolicy AllowCreate=\"true\" Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\" \
        SPNameQualifier=\"https://auth.huaweicloud.com/\"/></saml2p:AuthnRequest>";

    #[test]
    fn parses_huawei_sample() {
        let r = parse_authn_request(HW.as_bytes()).unwrap();
        assert_eq!(r.id, "_8f3e");
        assert_eq!(r.issue_instant.unix, 1_543_223_518);
        assert_eq!(r.issue_instant.text, "2018-11-26T09:11:58.446Z");
        assert_eq!(r.issuer, "https://auth.huaweicloud.com/");
        assert_eq!(r.allow_create, Some(true));
        assert!(!r.force_authn && !r.is_passive);
        assert_eq!(r.name_id_policy_format.as_deref(), Some(NAMEID_TRANSIENT));
    }

    #[test]
    fn instants() {
        assert_eq!(parse_instant("1970-01-01T00:00:00Z").unwrap().unix, 0);
        assert_eq!(parse_instant("1970-01-01T00:00:01.999999Z").unwrap().unix, 1);
        for bad in
            ["1970-01-01T00:00:00", "1970-01-01T00:00:00+00:00", "1970-01-01 00:00:00Z", "1970-01-01T00:00:00.Z", ""]
        {
            assert!(parse_instant(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn logout_request() {
        let x = "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
            xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_l1\" Version=\"2.0\" \
            IssueInstant=\"2026-01-01T00:00:00Z\" Destination=\"https://idp/slo\">\
            <saml:Issuer>https://sp/</saml:Issuer><saml:NameID Format=\"f\">admin<!---->@x</saml:NameID>\
            <samlp:SessionIndex>_s1</samlp:SessionIndex><samlp:SessionIndex>_s2</samlp:SessionIndex></samlp:LogoutRequest>";
        let r = parse_logout_request(x.as_bytes()).unwrap();
        assert_eq!(r.name_id, "admin@x");
        assert_eq!(r.session_indexes, vec!["_s1", "_s2"]);
        assert_eq!(r.name_id_format.as_deref(), Some("f"));
        assert_eq!(parse_authn_request(x.as_bytes()).unwrap_err().reason(), "wrong_message");
    }

    #[test]
    fn logout_request_checks() {
        let x = "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
            xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_l1\" Version=\"2.0\" \
            IssueInstant=\"2026-01-01T00:00:00Z\" NotOnOrAfter=\"2026-01-01T00:05:00Z\" Destination=\"https://idp/slo\">\
            <saml:Issuer>https://sp/</saml:Issuer><saml:NameID>_n</saml:NameID></samlp:LogoutRequest>";
        let r = parse_logout_request(x.as_bytes()).unwrap();
        let sp = SpMetadata {
            entity_id: "https://sp/".into(),
            acs: vec![],
            slo: vec![],
            signing_certs: vec![],
            encryption_certs: vec![],
            authn_requests_signed: true,
            want_assertions_signed: true,
            name_id_formats: vec![],
            valid_until: None,
            warnings: vec![],
            signature: Default::default(),
        };
        let t0 = parse_instant("2026-01-01T00:00:00Z").unwrap().unix;
        check_logout_request(&r, &sp, "https://idp/slo", t0 + 10, 60, 300).unwrap();
        let reason = |now: i64, dest: &str| check_logout_request(&r, &sp, dest, now, 60, 300).unwrap_err().reason();
        assert_eq!(reason(t0 + 10, "https://idp/other"), "destination");
        assert_eq!(reason(t0 - 61, "https://idp/slo"), "not_yet_valid");
        assert_eq!(reason(t0 + 361, "https://idp/slo"), "expired");
        let mut other = sp.clone();
        other.entity_id = "https://sp.evil/".into();
        assert_eq!(
            check_logout_request(&r, &other, "https://idp/slo", t0, 60, 300).unwrap_err().reason(),
            "unknown_issuer"
        );
        // NotOnOrAfter (00:05) passed even though IssueInstant is still in the window.
        assert_eq!(
            check_logout_request(&r, &sp, "https://idp/slo", t0 + 400, 60, 3600).unwrap_err().reason(),
            "expired"
        );
    }
}
