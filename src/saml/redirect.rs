//! The SAML HTTP-Redirect binding (SAML Bindings §3.4): decoding and signature verification of what
//! Huawei sends, and encoding (with the query-string signature) of what we send back.
//!
//! No canonicalization is involved: the signature covers the query string octets exactly as received,
//! `SAMLRequest=<raw>[&RelayState=<raw>]&SigAlg=<raw>` (§3.4.4.1), so the parser below keeps every
//! parameter's raw, still percent-encoded text and builds the signed octets from those — re-encoding a
//! decoded value would verify something other than what was signed.

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use flate2::Compression;
use flate2::write::DeflateEncoder;
use openssl::hash::MessageDigest;
use openssl::x509::X509;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::saml::dsig::{
    DsigError, ECDSA_SHA1, ECDSA_SHA256, ECDSA_SHA384, KeyKind, RSA_SHA1, RSA_SHA256, RSA_SHA384, RSA_SHA512,
    SigningKey, verify_with_key,
};

/// A sensible default cap for an inflated Redirect-bound message (AuthnRequests are ~1 KiB).
pub const DEFAULT_MAX_INFLATED: usize = 128 * 1024;

/// Which SAML message a Redirect-bound query carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageParam {
    SamlRequest,
    SamlResponse,
}

impl MessageParam {
    pub fn name(self) -> &'static str {
        match self {
            MessageParam::SamlRequest => "SAMLRequest",
            MessageParam::SamlResponse => "SAMLResponse",
        }
    }
}

/// The SAML parameters of a Redirect-bound query, as raw (still percent-encoded) text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectQuery<'a> {
    pub param: MessageParam,
    pub message_raw: &'a str,
    pub relay_state_raw: Option<&'a str>,
    pub sig_alg_raw: Option<&'a str>,
    pub signature_raw: Option<&'a str>,
}

const KNOWN: [&str; 5] = ["SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature"];

/// Splits a query string (everything after `?`, exactly as received) into the SAML parameters without
/// re-encoding anything. Refuses a repeated SAML parameter, both SAMLRequest and SAMLResponse, and
/// SAML parameter names written with percent-escapes. Other parameters are ignored (they are not
/// covered by the signature).
pub fn parse_redirect_query(query: &str) -> Result<RedirectQuery<'_>, DsigError> {
    let mut found: [Option<&str>; 5] = [None; 5];
    for part in query.split('&') {
        if part.is_empty() {
            continue;
        }
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let idx = match KNOWN.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                // `SAML%52equest` would name the same parameter under different raw octets.
                if let Ok(decoded) = form_decode(key, "parameter name")
                    && let Some(k) = KNOWN.iter().find(|k| **k == decoded)
                {
                    return Err(DsigError::BadEncoding(k));
                }
                continue;
            }
        };
        if found[idx].is_some() {
            return Err(DsigError::DuplicateParameter(KNOWN[idx].to_owned()));
        }
        found[idx] = Some(value);
    }
    let [req, resp, relay_state_raw, sig_alg_raw, signature_raw] = found;
    let (param, message_raw) = match (req, resp) {
        (Some(_), Some(_)) => return Err(DsigError::ConflictingMessages),
        (Some(r), None) => (MessageParam::SamlRequest, r),
        (None, Some(r)) => (MessageParam::SamlResponse, r),
        (None, None) => return Err(DsigError::MissingParameter("SAMLRequest")),
    };
    Ok(RedirectQuery { param, message_raw, relay_state_raw, sig_alg_raw, signature_raw })
}

impl RedirectQuery<'_> {
    /// Whether the query carries a signature (or half of one).
    pub fn is_signed(&self) -> bool {
        self.signature_raw.is_some() || self.sig_alg_raw.is_some()
    }

    /// The exact signed octets: `SAMLRequest=<raw>[&RelayState=<raw>]&SigAlg=<raw>`.
    pub fn signed_octets(&self) -> Result<String, DsigError> {
        let sig_alg = self.sig_alg_raw.ok_or(DsigError::MissingParameter("SigAlg"))?;
        let mut s = String::with_capacity(self.message_raw.len() + sig_alg.len() + 64);
        s.push_str(self.param.name());
        s.push('=');
        s.push_str(self.message_raw);
        if let Some(rs) = self.relay_state_raw {
            s.push_str("&RelayState=");
            s.push_str(rs);
        }
        s.push_str("&SigAlg=");
        s.push_str(sig_alg);
        Ok(s)
    }

    /// The percent-decoded base64 message text.
    pub fn message_b64(&self) -> Result<String, DsigError> {
        form_decode(self.message_raw, self.param.name())
    }

    /// The decoded RelayState, to be returned unchanged.
    pub fn relay_state(&self) -> Result<Option<String>, DsigError> {
        self.relay_state_raw.map(|r| form_decode(r, "RelayState")).transpose()
    }

    /// URL-decodes, base64-decodes and inflates the message, with a cap on the inflated size.
    pub fn decode_message(&self, max_inflated: usize) -> Result<Vec<u8>, DsigError> {
        decode_redirect_message(&self.message_b64()?, max_inflated)
    }

    /// Verifies the query signature with certificates from the SP metadata. An unsigned query gives
    /// `MissingSignature`; a Signature without SigAlg (or the reverse) gives `MissingParameter`.
    pub fn verify(&self, certs: &[X509], allow_sha1: bool) -> Result<(), DsigError> {
        let (sig_alg_raw, signature_raw) = match (self.sig_alg_raw, self.signature_raw) {
            (None, None) => return Err(DsigError::MissingSignature),
            (Some(_), None) => return Err(DsigError::MissingParameter("Signature")),
            (None, Some(_)) => return Err(DsigError::MissingParameter("SigAlg")),
            (Some(a), Some(s)) => (a, s),
        };
        let sig_alg = form_decode(sig_alg_raw, "SigAlg")?;
        let signature = form_decode(signature_raw, "Signature")?;
        verify_redirect_signature(self.signed_octets()?.as_bytes(), &sig_alg, &signature, certs, allow_sha1)
    }
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space) strictly: a `%` must be followed
/// by two hex digits and the result must be UTF-8.
pub fn form_decode(raw: &str, param: &'static str) -> Result<String, DsigError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or(DsigError::BadEncoding(param))?;
                let h = |c: u8| (c as char).to_digit(16).ok_or(DsigError::BadEncoding(param));
                out.push((h(hex[0])? * 16 + h(hex[1])?) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| DsigError::BadEncoding(param))
}

/// Base64-decodes (strictly: canonical padding, no whitespace) and raw-inflates (RFC 1951, no zlib
/// header) a Redirect-bound message. Inflation stops as soon as more than `max_inflated` bytes would
/// come out, so a deflate bomb costs at most that much memory and the time to produce it.
///
/// The message is inflated in one go into its output (miniz_oxide's one-shot inflate, the output being
/// the window): a fresh state each time, and a back-reference before the message's start is an error.
pub fn decode_redirect_message(b64_deflated: &str, max_inflated: usize) -> Result<Vec<u8>, DsigError> {
    use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_with_limit};
    let deflated = B64.decode(b64_deflated).map_err(|_| DsigError::BadBase64("SAMLRequest"))?;
    let out = decompress_to_vec_with_limit(&deflated, max_inflated).map_err(|e| match e.status {
        TINFLStatus::HasMoreOutput => DsigError::InflateTooLarge(max_inflated),
        s => DsigError::InflateFailed(format!("corrupt deflate stream ({s:?})")),
    })?;
    if out.is_empty() {
        return Err(DsigError::InflateFailed("empty message".into()));
    }
    Ok(out)
}

/// Maps a SigAlg URI to digest and key kind, enforcing the allowlist.
fn redirect_algorithm(uri: &str, allow_sha1: bool) -> Result<(MessageDigest, KeyKind), DsigError> {
    Ok(match uri {
        RSA_SHA256 => (MessageDigest::sha256(), KeyKind::Rsa),
        RSA_SHA384 => (MessageDigest::sha384(), KeyKind::Rsa),
        RSA_SHA512 => (MessageDigest::sha512(), KeyKind::Rsa),
        ECDSA_SHA256 => (MessageDigest::sha256(), KeyKind::Ec),
        ECDSA_SHA384 => (MessageDigest::sha384(), KeyKind::Ec),
        RSA_SHA1 | ECDSA_SHA1 if !allow_sha1 => {
            return Err(DsigError::WeakAlgorithm(uri.to_owned()));
        }
        RSA_SHA1 => (MessageDigest::sha1(), KeyKind::Rsa),
        ECDSA_SHA1 => (MessageDigest::sha1(), KeyKind::Ec),
        // HMAC (the "public key as HMAC secret" confusion), DSA, none, anything unknown.
        other => return Err(DsigError::UnsupportedAlgorithm(other.to_owned())),
    })
}

/// Verifies a Redirect-binding signature over `signed_octets` with the SP's certificates — only ever
/// certificates from its metadata, never a key from the message. `sig_alg_uri` and `signature_b64`
/// are already URL-decoded. ECDSA signatures are accepted as DER or as `r || s`.
pub fn verify_redirect_signature(
    signed_octets: &[u8],
    sig_alg_uri: &str,
    signature_b64: &str,
    certs: &[X509],
    allow_sha1: bool,
) -> Result<(), DsigError> {
    let (md, kind) = redirect_algorithm(sig_alg_uri, allow_sha1)?;
    if certs.is_empty() {
        return Err(DsigError::NoCertificate);
    }
    let signature = B64.decode(signature_b64).map_err(|_| DsigError::BadBase64("Signature"))?;
    let mut fitting = 0;
    let mut key_kinds = Vec::new();
    for cert in certs {
        let key = cert.public_key()?;
        match KeyKind::of(&key) {
            Some(k) if k == kind => {
                fitting += 1;
                if verify_with_key(&key, md, kind, &signature, signed_octets)? {
                    return Ok(());
                }
            }
            other => key_kinds.push(format!("{other:?}")),
        }
    }
    if fitting == 0 {
        return Err(DsigError::AlgorithmKeyMismatch { alg: sig_alg_uri.to_owned(), key: key_kinds.join(", ") });
    }
    Err(DsigError::BadSignature)
}

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (uppercase hex).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes a query parameter value.
pub fn url_encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// Builds a Redirect-binding query string (without the leading `?`): raw DEFLATE, base64,
/// percent-encoding, and — when a key is given — `SigAlg` and `Signature` over the signed octets.
pub fn encode_redirect_query(
    param: MessageParam,
    xml: &str,
    relay_state: Option<&str>,
    key: Option<&SigningKey>,
) -> Result<String, DsigError> {
    let mut enc = DeflateEncoder::new(Vec::with_capacity(xml.len() / 2 + 64), Compression::default());
    enc.write_all(xml.as_bytes()).map_err(|e| DsigError::InflateFailed(e.to_string()))?;
    let deflated = enc.finish().map_err(|e| DsigError::InflateFailed(e.to_string()))?;
    let mut q = String::with_capacity(deflated.len() * 2 + 512);
    q.push_str(param.name());
    q.push('=');
    q.push_str(&url_encode(&B64.encode(&deflated)));
    if let Some(rs) = relay_state {
        q.push_str("&RelayState=");
        q.push_str(&url_encode(rs));
    }
    if let Some(key) = key {
        q.push_str("&SigAlg=");
        q.push_str(&url_encode(key.algorithm().uri()));
        let sig = key.sign_raw(q.as_bytes())?;
        q.push_str("&Signature=");
        q.push_str(&url_encode(&B64.encode(sig)));
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::dsig::test_keys::{p256, rsa};
    use crate::saml::dsig::{SignatureAlgorithm, SigningKey};

    const XML: &str = "<samlp:AuthnRequest ID=\"_1\"></samlp:AuthnRequest>";

    fn rsa_key() -> (SigningKey, X509) {
        let (k, c) = rsa();
        (SigningKey::new(k, c.to_der().unwrap(), SignatureAlgorithm::RsaSha256).unwrap(), c)
    }

    #[test]
    fn round_trip_signed_query() {
        let (key, cert) = rsa_key();
        let q = encode_redirect_query(MessageParam::SamlRequest, XML, Some("a b&c=d/é"), Some(&key)).unwrap();
        let parsed = parse_redirect_query(&q).unwrap();
        assert_eq!(parsed.param, MessageParam::SamlRequest);
        assert_eq!(parsed.relay_state().unwrap().as_deref(), Some("a b&c=d/é"));
        assert_eq!(parsed.decode_message(1024).unwrap(), XML.as_bytes());
        parsed.verify(std::slice::from_ref(&cert), false).unwrap();
        assert!(q[..q.find("&Signature=").unwrap()] == parsed.signed_octets().unwrap());
    }

    #[test]
    fn ecdsa_round_trip_and_concat_form() {
        let (k, c) = p256();
        let key = SigningKey::new(k, c.to_der().unwrap(), SignatureAlgorithm::EcdsaSha256).unwrap();
        let q = encode_redirect_query(MessageParam::SamlResponse, XML, None, Some(&key)).unwrap();
        let parsed = parse_redirect_query(&q).unwrap();
        assert_eq!(parsed.param, MessageParam::SamlResponse);
        parsed.verify(std::slice::from_ref(&c), false).unwrap();
        // The r||s form verifies as well.
        let octets = parsed.signed_octets().unwrap();
        let concat = key.sign_xmldsig(octets.as_bytes()).unwrap();
        verify_redirect_signature(octets.as_bytes(), ECDSA_SHA256, &B64.encode(concat), &[c], false).unwrap();
    }

    #[test]
    fn refusals() {
        let (key, cert) = rsa_key();
        let certs = [cert];
        let q = encode_redirect_query(MessageParam::SamlRequest, XML, Some("rs"), Some(&key)).unwrap();
        assert!(matches!(
            parse_redirect_query(&format!("{q}&SigAlg=x")),
            Err(DsigError::DuplicateParameter(p)) if p == "SigAlg"
        ));
        assert!(matches!(parse_redirect_query(&format!("{q}&SAMLResponse=x")), Err(DsigError::ConflictingMessages)));
        assert!(matches!(parse_redirect_query("RelayState=x"), Err(DsigError::MissingParameter(_))));
        assert!(matches!(parse_redirect_query(&format!("{q}&SAML%52equest=x")), Err(DsigError::BadEncoding(_))));
        // Changed RelayState.
        let changed = q.replace("RelayState=rs", "RelayState=rt");
        let p = parse_redirect_query(&changed).unwrap();
        assert!(matches!(p.verify(&certs, false), Err(DsigError::BadSignature)));
        // Unsigned.
        let unsigned = encode_redirect_query(MessageParam::SamlRequest, XML, None, None).unwrap();
        let p = parse_redirect_query(&unsigned).unwrap();
        assert!(!p.is_signed());
        assert!(matches!(p.verify(&certs, false), Err(DsigError::MissingSignature)));
        // Signature without SigAlg.
        let no_alg = format!("{unsigned}&Signature=AAAA");
        assert!(matches!(
            parse_redirect_query(&no_alg).unwrap().verify(&certs, false),
            Err(DsigError::MissingParameter("SigAlg"))
        ));
        // Algorithms.
        let o = b"x";
        assert!(matches!(
            verify_redirect_signature(o, RSA_SHA1, "AAAA", &certs, false),
            Err(DsigError::WeakAlgorithm(_))
        ));
        assert!(matches!(
            verify_redirect_signature(o, "http://www.w3.org/2000/09/xmldsig#hmac-sha1", "AAAA", &certs, true),
            Err(DsigError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            verify_redirect_signature(o, ECDSA_SHA256, "AAAA", &certs, false),
            Err(DsigError::AlgorithmKeyMismatch { .. })
        ));
        assert!(matches!(verify_redirect_signature(o, RSA_SHA256, "AAAA", &[], false), Err(DsigError::NoCertificate)));
        assert!(matches!(
            verify_redirect_signature(o, RSA_SHA256, "AA A", &certs, false),
            Err(DsigError::BadBase64(_))
        ));
    }

    #[test]
    fn sha1_only_with_the_flag() {
        let (k, c) = rsa();
        let mut signer = openssl::sign::Signer::new(MessageDigest::sha1(), &k).unwrap();
        let sig = B64.encode(signer.sign_oneshot_to_vec(b"octets").unwrap());
        let certs = [c];
        assert!(matches!(
            verify_redirect_signature(b"octets", RSA_SHA1, &sig, &certs, false),
            Err(DsigError::WeakAlgorithm(_))
        ));
        verify_redirect_signature(b"octets", RSA_SHA1, &sig, &certs, true).unwrap();
    }

    #[test]
    fn inflate_cap_and_bad_input() {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&vec![0u8; 1 << 20]).unwrap();
        let bomb = B64.encode(enc.finish().unwrap());
        assert!(matches!(decode_redirect_message(&bomb, 1000), Err(DsigError::InflateTooLarge(1000))));
        assert_eq!(decode_redirect_message(&bomb, 1 << 20).unwrap().len(), 1 << 20);
        assert!(matches!(decode_redirect_message("%%%", 10), Err(DsigError::BadBase64(_))));
        assert!(matches!(decode_redirect_message("AAA=\n", 10), Err(DsigError::BadBase64(_))));
        assert!(matches!(decode_redirect_message(&B64.encode(b"\xff\xff\xff"), 10), Err(DsigError::InflateFailed(_))));
        // A fixed-Huffman block whose first symbol copies 3 bytes from 1 back: before the message began.
        assert!(matches!(
            decode_redirect_message(&B64.encode([0x03, 0x02, 0x00]), 100),
            Err(DsigError::InflateFailed(_))
        ));
        // Exactly at the cap is fine; a truncated stream is not.
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(b"<samlp:AuthnRequest/>").unwrap();
        let whole = enc.finish().unwrap();
        assert_eq!(decode_redirect_message(&B64.encode(&whole), 21).unwrap(), b"<samlp:AuthnRequest/>");
        assert!(matches!(decode_redirect_message(&B64.encode(&whole), 20), Err(DsigError::InflateTooLarge(20))));
        let cut = &whole[..whole.len() - 2];
        assert!(matches!(decode_redirect_message(&B64.encode(cut), 100), Err(DsigError::InflateFailed(_))));
    }

    #[test]
    fn form_decoding_is_strict() {
        assert_eq!(form_decode("a+b%2Bc%2f", "x").unwrap(), "a b+c/");
        assert!(form_decode("%zz", "x").is_err());
        assert!(form_decode("%4", "x").is_err());
        assert!(form_decode("%FF", "x").is_err());
    }
}
