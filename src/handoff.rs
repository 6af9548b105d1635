//! Hand-off tokens: how the partner platform tells samlgate which customer clicked "go to console".
//!
//! A token is a compact HS256 JWT made with the shared secret from `handoff.secret`:
//! header `{"alg":"HS256","typ":"JWT"}`, claims `sub` (the partner's customer id, sent to Huawei as
//! `xUserId`), `iat`, `exp` (at most `token_max_age_secs` after `iat`, itself at most 120 s), `jti`
//! (single use), and optionally `name`, `mobile`, `email`. Any other `alg` (including `none`) is refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use serde::{Deserialize, Serialize};

/// Longest token accepted at all, in bytes.
pub const MAX_TOKEN_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("hand-off token is missing")]
    Missing,
    #[error("hand-off token is malformed: {0}")]
    Malformed(&'static str),
    #[error("hand-off token algorithm `{0}` is not accepted (only HS256)")]
    Algorithm(String),
    #[error("hand-off token signature is wrong")]
    Signature,
    #[error("hand-off token has expired")]
    Expired,
    #[error("hand-off token lifetime exceeds {0} seconds")]
    TooLong(u64),
    #[error("hand-off token is issued in the future")]
    NotYetValid,
    #[error("hand-off token was already used")]
    Replayed,
    #[error("hand-off token subject is invalid: {0}")]
    Subject(&'static str),
}

impl TokenError {
    /// Stable reason code for refusals and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            TokenError::Missing => "token_missing",
            TokenError::Malformed(_) => "token_malformed",
            TokenError::Algorithm(_) => "token_algorithm",
            TokenError::Signature => "token_signature",
            TokenError::Expired => "token_expired",
            TokenError::TooLong(_) => "token_lifetime",
            TokenError::NotYetValid => "token_not_yet_valid",
            TokenError::Replayed => "token_replayed",
            TokenError::Subject(_) => "token_subject",
        }
    }
}

fn hmac(secret: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let key = PKey::hmac(secret).ok()?;
    let mut signer = Signer::new(MessageDigest::sha256(), &key).ok()?;
    signer.update(data).ok()?;
    signer.sign_to_vec().ok()
}

/// Makes a token (used by `samlgate token` and tests; partners make their own with any JWT library).
pub fn issue(secret: &str, claims: &Claims) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{body}");
    let sig = URL_SAFE_NO_PAD.encode(hmac(secret.as_bytes(), signing_input.as_bytes()).unwrap_or_default());
    format!("{signing_input}.{sig}")
}

/// New random `jti`.
pub fn new_jti() -> String {
    let mut b = [0u8; 16];
    let _ = openssl::rand::rand_bytes(&mut b);
    hex::encode(b)
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// Checks format, algorithm, signature (constant time), times and subject. The caller must then spend
/// the `jti` in the store (single use) before trusting the token.
pub fn verify(secret: &str, token: &str, now: i64, max_age_secs: u64, skew_secs: i64) -> Result<Claims, TokenError> {
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Malformed("too long"));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(b), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Malformed("expected three dot-separated parts"));
    };
    let header_bytes = URL_SAFE_NO_PAD.decode(h).map_err(|_| TokenError::Malformed("header is not base64url"))?;
    let header: Header = serde_json::from_slice(&header_bytes)
        .map_err(|_| TokenError::Malformed("header is not a JSON object with alg"))?;
    if header.alg != "HS256" {
        return Err(TokenError::Algorithm(header.alg.chars().take(32).collect()));
    }
    let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| TokenError::Malformed("signature is not base64url"))?;
    let expected = hmac(secret.as_bytes(), &token.as_bytes()[..h.len() + 1 + b.len()]).ok_or(TokenError::Signature)?;
    if sig.len() != expected.len() || !openssl::memcmp::eq(&sig, &expected) {
        return Err(TokenError::Signature);
    }
    let body = URL_SAFE_NO_PAD.decode(b).map_err(|_| TokenError::Malformed("claims are not base64url"))?;
    let claims: Claims =
        serde_json::from_slice(&body).map_err(|_| TokenError::Malformed("claims need sub, iat, exp and jti"))?;
    if claims.exp <= now - skew_secs.clamp(0, 5) {
        return Err(TokenError::Expired);
    }
    if claims.iat > now + skew_secs {
        return Err(TokenError::NotYetValid);
    }
    // Checked: an `iat` near i64::MIN must not wrap into a short lifetime.
    let lifetime = claims.exp.checked_sub(claims.iat);
    if lifetime.is_none_or(|l| l > max_age_secs as i64)
        || claims.exp > now.saturating_add(max_age_secs as i64).saturating_add(skew_secs)
    {
        return Err(TokenError::TooLong(max_age_secs));
    }
    if claims.jti.is_empty() || claims.jti.len() > 128 {
        return Err(TokenError::Malformed("jti must be 1–128 characters"));
    }
    if claims.sub.is_empty() || claims.sub.len() > 128 {
        return Err(TokenError::Subject("must be 1–128 characters"));
    }
    if claims.sub.chars().any(|c| c.is_control()) {
        return Err(TokenError::Subject("must not contain control characters"));
    }
    Ok(claims)
}

/// Which of the configured secrets a token was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUsed {
    Current,
    /// The previous secret, still accepted during a rotation.
    Previous,
}

impl SecretUsed {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretUsed::Current => "current",
            SecretUsed::Previous => "previous",
        }
    }
}

/// [`verify`] with the current secret, and when only the signature is wrong, with the previous one.
pub fn verify_rotating(
    current: &str,
    previous: Option<&str>,
    token: &str,
    now: i64,
    max_age_secs: u64,
    skew_secs: i64,
) -> Result<(Claims, SecretUsed), TokenError> {
    match (verify(current, token, now, max_age_secs, skew_secs), previous) {
        (Err(TokenError::Signature), Some(prev)) => {
            verify(prev, token, now, max_age_secs, skew_secs).map(|c| (c, SecretUsed::Previous))
        }
        (r, _) => r.map(|c| (c, SecretUsed::Current)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn claims(now: i64) -> Claims {
        Claims { sub: "cust-1".into(), iat: now, exp: now + 60, jti: new_jti(), name: None, mobile: None, email: None }
    }

    #[test]
    fn an_empty_secret_never_verifies_and_never_panics() {
        let t = issue(SECRET, &claims(1000));
        assert!(verify("", &t, 1010, 120, 30).is_err());
    }

    #[test]
    fn an_iat_near_the_minimum_does_not_wrap() {
        let mut c = claims(1000);
        c.iat = i64::MIN + 5;
        let t = issue(SECRET, &c);
        assert_eq!(verify(SECRET, &t, 1000, 120, 30), Err(TokenError::TooLong(120)));
        c.iat = 1000;
        c.exp = i64::MAX;
        assert_eq!(verify(SECRET, &issue(SECRET, &c), 1000, 120, 30), Err(TokenError::TooLong(120)));
    }

    #[test]
    fn the_previous_secret_is_tried_only_after_the_current_one() {
        const OLD: &str = "old-secret-old-secret-old-secret";
        let t = issue(OLD, &claims(1000));
        assert_eq!(verify_rotating(SECRET, Some(OLD), &t, 1010, 120, 30).unwrap().1, SecretUsed::Previous);
        assert_eq!(verify_rotating(SECRET, None, &t, 1010, 120, 30), Err(TokenError::Signature));
        let t = issue(SECRET, &claims(1000));
        assert_eq!(verify_rotating(SECRET, Some(OLD), &t, 1010, 120, 30).unwrap().1, SecretUsed::Current);
    }

    #[test]
    fn round_trip() {
        let t = issue(SECRET, &claims(1000));
        assert_eq!(verify(SECRET, &t, 1010, 120, 30).unwrap().sub, "cust-1");
    }

    #[test]
    fn refusals() {
        let now = 1000;
        let t = issue(SECRET, &claims(now));
        assert_eq!(verify("another-secret-another-secret-xx", &t, now, 120, 30), Err(TokenError::Signature));
        assert_eq!(verify(SECRET, &t, now + 61, 120, 0), Err(TokenError::Expired));
        let mut long = claims(now);
        long.exp = now + 3600;
        assert_eq!(verify(SECRET, &issue(SECRET, &long), now, 120, 30), Err(TokenError::TooLong(120)));
        // alg: none with an empty signature
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let body = t.split('.').nth(1).unwrap();
        assert!(matches!(
            verify(SECRET, &format!("{none_header}.{body}."), now, 120, 30),
            Err(TokenError::Algorithm(_))
        ));
        assert!(matches!(verify(SECRET, "a.b", now, 120, 30), Err(TokenError::Malformed(_))));
        assert!(matches!(verify(SECRET, "", now, 120, 30), Err(TokenError::Missing)));
        // flipped claim byte
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let mut c = claims(now);
        c.sub = "admin".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        assert_eq!(verify(SECRET, &parts.join("."), now, 120, 30), Err(TokenError::Signature));
    }
}
