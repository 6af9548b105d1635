//! Huawei's binding-result notification ("通知结果绑定地址", docs/huawei-partner-sso.md §1a step 6),
//! read without HTTP: the form as received, the octets its signature covers, and the JSON inside. After a first login Huawei sends the customer's *browser* here with the form fields
//! `bindRequest` (base64 JSON), `SigAlg` and `Signature`. We verify the signature with the certificates
//! of Huawei's SP metadata, store xUserId ↔ domainId durably before answering, and show a small page.
//!
//! Which octets `Signature` covers is not documented: [`bind_signed_octets`] is the one place that
//! decides (today `bindRequest=<raw>&SigAlg=<raw>`, as in the Redirect binding).
//!
//! Replay. The notification carries no timestamp or nonce, and RSA PKCS#1 v1.5 signatures are
//! deterministic, so "the same binding again" and "a captured notification replayed" are the same
//! bytes. The rule:
//! - a notification that agrees with what is stored is answered 200 "already linked", whenever it
//!   comes (a reload, Huawei retrying, a replay: none of them changes anything);
//! - a notification that would *create* a binding is spent with `use_once("bind", sha256(decoded
//!   bindRequest ‖ SigAlg))` (see [`replay_key`]) for [`BIND_REPLAY_WINDOW_SECS`]: the same bytes cannot re-create a binding
//!   an operator removed in that window (refused as `replay`);
//! - a notification for an xUserId bound to another domainId is refused `binding_conflict` (409) and
//!   audited; the stored binding is never overwritten.

use base64::Engine as _;
use serde::Deserialize;

use crate::saml::dsig::DsigError;
use crate::saml::redirect::form_decode;

/// A notification refused while reading it: a stable reason code and what failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BindError {
    pub reason: &'static str,
    pub message: String,
}

impl BindError {
    fn new(reason: &'static str, message: impl Into<String>) -> Self {
        BindError { reason, message: message.into() }
    }
}

/// Largest notification body accepted (the JSON is a few hundred bytes).
pub const MAX_BIND_BODY: usize = 16 * 1024;
/// How long a notification that created a binding is remembered (see the module comment).
pub const BIND_REPLAY_WINDOW_SECS: i64 = 24 * 3600;

const FIELDS: [&str; 3] = ["bindRequest", "SigAlg", "Signature"];

/// The three form fields as received (still percent-encoded) and the octets the signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindForm<'a> {
    pub bind_request_raw: &'a str,
    pub sig_alg_raw: &'a str,
    pub signature_raw: &'a str,
    /// What Huawei signed: `bindRequest=<raw>&SigAlg=<raw>`.
    pub signed_octets: String,
}

/// Splits the raw `application/x-www-form-urlencoded` body without re-encoding anything and builds
/// the signed octets. This is the single place that knows the (undocumented) signing rule.
/// Refuses duplicates of the three fields, field names written with percent-escapes, and a missing
/// field (`missing_signature` when both SigAlg and Signature are absent). Other fields are ignored.
pub fn bind_signed_octets(raw_body: &str) -> Result<BindForm<'_>, DsigError> {
    let mut found: [Option<&str>; 3] = [None; 3];
    for part in raw_body.split('&') {
        if part.is_empty() {
            continue;
        }
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let idx = match FIELDS.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                if let Ok(decoded) = form_decode(key, "field name")
                    && let Some(k) = FIELDS.iter().find(|k| **k == decoded)
                {
                    return Err(DsigError::BadEncoding(k));
                }
                continue;
            }
        };
        if found[idx].is_some() {
            return Err(DsigError::DuplicateParameter(FIELDS[idx].to_owned()));
        }
        found[idx] = Some(value);
    }
    let [bind_request, sig_alg, signature] = found;
    let bind_request_raw = bind_request.ok_or(DsigError::MissingParameter("bindRequest"))?;
    let (sig_alg_raw, signature_raw) = match (sig_alg, signature) {
        (None, None) => return Err(DsigError::MissingSignature),
        (Some(_), None) => return Err(DsigError::MissingParameter("Signature")),
        (None, Some(_)) => return Err(DsigError::MissingParameter("SigAlg")),
        (Some(a), Some(s)) => (a, s),
    };
    let signed_octets = format!("bindRequest={bind_request_raw}&SigAlg={sig_alg_raw}");
    Ok(BindForm { bind_request_raw, sig_alg_raw, signature_raw, signed_octets })
}

/// The decoded `bindRequest` JSON. Unknown fields are ignored; a repeated field is refused by serde.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BindRequest {
    pub x_user_id: String,
    pub domain_id: String,
    #[serde(default)]
    pub domain_name: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
}

/// Standard-alphabet base64 with optional padding, whitespace (Java's MIME line breaks) ignored.
fn lenient_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(compact.as_bytes())
}

/// Base64 (standard alphabet, padding optional, whitespace such as Java's MIME line breaks ignored)
/// then strict JSON with size and character checks.
pub fn decode_bind_request(b64: &str) -> Result<BindRequest, BindError> {
    let json = lenient_base64(b64).map_err(|_| BindError::new("bad_base64", "bindRequest is not valid base64"))?;
    let req: BindRequest = serde_json::from_slice(&json)
        .map_err(|e| BindError::new("bad_bind_request", format!("bindRequest is not the expected JSON: {e}")))?;
    super::check_huawei_attribute(super::HuaweiAttribute::XUserId, &req.x_user_id)
        .map_err(|e| BindError::new("bad_bind_request", e.to_string()))?;
    let field = |name: &str, v: &str, max: usize, required: bool| -> Result<(), BindError> {
        if required && v.is_empty() {
            return Err(BindError::new("bad_bind_request", format!("{name} is empty")));
        }
        if v.chars().count() > max || v.chars().any(char::is_control) {
            return Err(BindError::new(
                "bad_bind_request",
                format!("{name} is longer than {max} characters or contains control characters"),
            ));
        }
        Ok(())
    };
    field("xUserId", &req.x_user_id, 128, true)?;
    field("domainId", &req.domain_id, 64, true)?;
    if req.domain_id.chars().any(char::is_whitespace) {
        return Err(BindError::new("bad_bind_request", "domainId contains whitespace"));
    }
    field("domainName", req.domain_name.as_deref().unwrap_or(""), 128, false)?;
    field("userName", req.user_name.as_deref().unwrap_or(""), 128, false)?;
    field("userId", req.user_id.as_deref().unwrap_or(""), 128, false)?;
    Ok(req)
}

/// Key under which a notification is spent: what it means, not how it was encoded — the decoded
/// `bindRequest` bytes and the decoded `SigAlg`, i.e. the signed content. Not the signature: its bytes
/// have other valid spellings (an ECDSA signature as DER or as r‖s, or with s negated), and the same
/// content signed again is the same notification. Percent-encoding, base64 padding and line breaks do
/// not change the key. Only called after the signature verified, so the fields decode; should one not,
/// its raw text stands in (still a deterministic key).
pub fn replay_key(form: &BindForm<'_>) -> String {
    let decoded = |raw: &str, name: &'static str| form_decode(raw, name).unwrap_or_else(|_| raw.to_owned());
    let text = decoded(form.bind_request_raw, "bindRequest");
    let request = lenient_base64(&text).unwrap_or_else(|_| text.into_bytes());
    let mut h = openssl::sha::Sha256::new();
    for part in [request, decoded(form.sig_alg_raw, "SigAlg").into_bytes()] {
        h.update(&(part.len() as u64).to_be_bytes());
        h.update(&part);
    }
    hex::encode(h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_octets_are_the_raw_fields() {
        let f = bind_signed_octets("Signature=c2ln%2B&bindRequest=eyJ4%3D&x=1&SigAlg=http%3A%2F%2Fa").unwrap();
        assert_eq!(f.signed_octets, "bindRequest=eyJ4%3D&SigAlg=http%3A%2F%2Fa");
        assert_eq!(f.signature_raw, "c2ln%2B");
        // Percent-encoding case is kept as received.
        let f = bind_signed_octets("bindRequest=eyJ4%3d&SigAlg=a&Signature=s").unwrap();
        assert_eq!(f.signed_octets, "bindRequest=eyJ4%3d&SigAlg=a");
    }

    #[test]
    fn the_replay_key_is_over_decoded_values() {
        let key = |body: &str| replay_key(&bind_signed_octets(body).unwrap());
        let k = key("bindRequest=eyJ4IjoxfQ%3D%3D&SigAlg=http%3A%2F%2Fa&Signature=c2ln%2Bc2ln");
        assert_eq!(k, key("bindRequest=eyJ4IjoxfQ%3D%3D&SigAlg=http%3A%2F%2Fa&Signature=c2ln%2bc2ln"));
        assert_eq!(k, key("bindRequest=eyJ4IjoxfQ%3D%3D&SigAlg=http%3A%2F%2Fa&Signature=%63%32ln%2B%0Ac2ln"));
        assert_eq!(k, key("bindRequest=eyJ4IjoxfQ&SigAlg=http://a&Signature=c2ln%2Bc2ln"), "padding, escapes");
        assert_ne!(k, key("bindRequest=eyJ4IjoyfQ%3D%3D&SigAlg=http%3A%2F%2Fa&Signature=c2ln%2Bc2ln"));
        assert_eq!(k, key("bindRequest=eyJ4IjoxfQ%3D%3D&SigAlg=http%3A%2F%2Fa&Signature=b3RoZXI="), "same content");
        assert_ne!(k, key("bindRequest=eyJ4IjoxfQ%3D%3D&SigAlg=http%3A%2F%2Fb&Signature=c2ln%2Bc2ln"));
    }

    #[test]
    fn refusals() {
        let reason = |b: &str| bind_signed_octets(b).unwrap_err().reason();
        assert_eq!(reason("bindRequest=a&SigAlg=b&Signature=c&bindRequest=d"), "duplicate_parameter");
        assert_eq!(reason("bindRequest=a&SigAlg=b&Signature=c&Sig%41lg=d"), "bad_encoding");
        assert_eq!(reason("bindRequest=a"), "missing_signature");
        assert_eq!(reason("bindRequest=a&SigAlg=b"), "missing_parameter");
        assert_eq!(reason("bindRequest=a&Signature=b"), "missing_parameter");
        assert_eq!(reason("SigAlg=b&Signature=c"), "missing_parameter");
        assert_eq!(reason(""), "missing_parameter");
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn bind_request_json() {
        let r = decode_bind_request(&b64(
            r#"{"xUserId":"cust-1","domainName":"acme","domainId":"0a1b","userName":"u","userId":"9","extra":1}"#,
        ))
        .unwrap();
        assert_eq!((r.x_user_id.as_str(), r.domain_id.as_str()), ("cust-1", "0a1b"));
        assert_eq!(r.domain_name.as_deref(), Some("acme"));
        // Unpadded and line-broken base64 is accepted.
        let s = b64(r#"{"xUserId":"c","domainId":"d"}"#);
        let wrapped = format!("{}\r\n{}", &s[..10], s[10..].trim_end_matches('='));
        assert_eq!(decode_bind_request(&wrapped).unwrap().domain_id, "d");
        let reason = |j: &str| decode_bind_request(&b64(j)).unwrap_err().reason;
        assert_eq!(reason(r#"{"domainId":"d"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"","domainId":"d"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":""}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":"d d"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":"d","domainId":"e"}"#), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":1}"#), "bad_bind_request");
        assert_eq!(reason(&format!(r#"{{"xUserId":"{}","domainId":"d"}}"#, "x".repeat(129))), "bad_bind_request");
        assert_eq!(reason(r#"{"xUserId":"c","domainId":"d","userName":"a\u0000b"}"#), "bad_bind_request");
        assert_eq!(decode_bind_request("***").unwrap_err().reason, "bad_base64");
    }
}
