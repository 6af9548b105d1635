//! XML-DSig for samlgate: enveloped signatures over our own output, and the raw signature
//! primitives the Redirect binding (`redirect`) uses.
//!
//! We never canonicalize. Our `XmlWriter` emits exclusive-c14n bytes by construction, so the element a
//! caller wrote *is* the octet stream a verifier computes after the `enveloped-signature` and
//! `xml-exc-c14n#` transforms (the transform removes exactly the `ds:Signature` we splice in later).
//! We digest those bytes, write `ds:SignedInfo` with a fresh writer (its standalone canonical form
//! carries `xmlns:ds`, exactly what a verifier canonicalizes), sign that with OpenSSL, and splice the
//! finished `ds:Signature` into the element at the offset the caller gives (after `saml:Issuer`).
//!
//! All private-key operations go through OpenSSL (never the `rsa` crate: RUSTSEC-2023-0071).

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private};
use openssl::sign::{Signer, Verifier};
use openssl::x509::X509;

use crate::saml::xml::{XmlWriteError, XmlWriter, is_ncname};

/// `CanonicalizationMethod` and the second Reference transform.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The first Reference transform.
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// The only digest we produce.
pub const DIGEST_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
pub const ECDSA_SHA1: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1";
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
pub const ECDSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";

/// Errors from signing and from signature verification. `reason()` gives a short stable code for
/// error pages and refusal counters.
#[derive(Debug, thiserror::Error)]
pub enum DsigError {
    #[error("signature algorithm `{0}` is not supported (allowed: rsa-sha256/384/512, ecdsa-sha256/384)")]
    UnsupportedAlgorithm(String),
    #[error("signature algorithm `{0}` uses SHA-1, which is refused (enable allow_sha1 for this SP to accept it)")]
    WeakAlgorithm(String),
    #[error("signature algorithm `{alg}` does not fit the key type ({key})")]
    AlgorithmKeyMismatch { alg: String, key: String },
    #[error("signature does not verify with any certificate from the SP metadata")]
    BadSignature,
    #[error("the message is not signed (Signature and SigAlg are required)")]
    MissingSignature,
    #[error("required parameter `{0}` is missing")]
    MissingParameter(&'static str),
    #[error("parameter `{0}` appears more than once")]
    DuplicateParameter(String),
    #[error("both SAMLRequest and SAMLResponse are present")]
    ConflictingMessages,
    #[error("parameter `{0}` is not valid base64")]
    BadBase64(&'static str),
    #[error("parameter `{0}` is not validly percent-encoded UTF-8")]
    BadEncoding(&'static str),
    #[error("inflated message exceeds the limit of {0} bytes")]
    InflateTooLarge(usize),
    #[error("message is not a valid raw DEFLATE stream: {0}")]
    InflateFailed(String),
    #[error("no certificate to verify with (the SP metadata has no signing certificate)")]
    NoCertificate,
    #[error("unsupported key: {0}")]
    UnsupportedKey(String),
    #[error("the certificate does not belong to the private key")]
    KeyCertMismatch,
    #[error("cannot sign this element: {0}")]
    BadElement(&'static str),
    #[error("XML writing failed: {0}")]
    Xml(#[from] XmlWriteError),
    #[error("OpenSSL failed: {0}")]
    Openssl(#[from] ErrorStack),
}

impl DsigError {
    /// Short stable code naming the failed check.
    pub fn reason(&self) -> &'static str {
        match self {
            DsigError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            DsigError::WeakAlgorithm(_) => "weak_algorithm",
            DsigError::AlgorithmKeyMismatch { .. } => "algorithm_key_mismatch",
            DsigError::BadSignature => "bad_signature",
            DsigError::MissingSignature => "missing_signature",
            DsigError::MissingParameter(_) => "missing_parameter",
            DsigError::DuplicateParameter(_) => "duplicate_parameter",
            DsigError::ConflictingMessages => "conflicting_messages",
            DsigError::BadBase64(_) => "bad_base64",
            DsigError::BadEncoding(_) => "bad_encoding",
            DsigError::InflateTooLarge(_) => "inflate_too_large",
            DsigError::InflateFailed(_) => "inflate_failed",
            DsigError::NoCertificate => "no_certificate",
            DsigError::UnsupportedKey(_) => "unsupported_key",
            DsigError::KeyCertMismatch => "key_cert_mismatch",
            DsigError::BadElement(_) => "bad_element",
            DsigError::Xml(_) => "xml_write",
            DsigError::Openssl(_) => "crypto",
        }
    }
}

/// The signature algorithms samlgate signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    RsaSha256,
    RsaSha512,
    EcdsaSha256,
}

impl SignatureAlgorithm {
    /// The XML-DSig `SignatureMethod` / Redirect-binding `SigAlg` URI.
    pub fn uri(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha256 => RSA_SHA256,
            SignatureAlgorithm::RsaSha512 => RSA_SHA512,
            SignatureAlgorithm::EcdsaSha256 => ECDSA_SHA256,
        }
    }

    /// The short name used in configuration.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha256 => "rsa-sha256",
            SignatureAlgorithm::RsaSha512 => "rsa-sha512",
            SignatureAlgorithm::EcdsaSha256 => "ecdsa-sha256",
        }
    }

    fn digest(self) -> MessageDigest {
        match self {
            SignatureAlgorithm::RsaSha256 | SignatureAlgorithm::EcdsaSha256 => MessageDigest::sha256(),
            SignatureAlgorithm::RsaSha512 => MessageDigest::sha512(),
        }
    }

    fn key_kind(self) -> KeyKind {
        match self {
            SignatureAlgorithm::RsaSha256 | SignatureAlgorithm::RsaSha512 => KeyKind::Rsa,
            SignatureAlgorithm::EcdsaSha256 => KeyKind::Ec,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SignatureAlgorithm {
    type Err = DsigError;

    /// Accepts the configuration names `rsa-sha256`, `rsa-sha512`, `ecdsa-sha256` (or the URIs).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rsa-sha256" | RSA_SHA256 => Ok(SignatureAlgorithm::RsaSha256),
            "rsa-sha512" | RSA_SHA512 => Ok(SignatureAlgorithm::RsaSha512),
            "ecdsa-sha256" | ECDSA_SHA256 => Ok(SignatureAlgorithm::EcdsaSha256),
            other => Err(DsigError::UnsupportedAlgorithm(other.to_owned())),
        }
    }
}

/// Key family an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa,
    Ec,
}

impl KeyKind {
    pub(crate) fn of<T: HasPublic>(key: &PKeyRef<T>) -> Option<KeyKind> {
        match key.id() {
            Id::RSA => Some(KeyKind::Rsa),
            Id::EC => Some(KeyKind::Ec),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            KeyKind::Rsa => "RSA",
            KeyKind::Ec => "EC",
        }
    }
}

fn describe_key<T: HasPublic>(key: &PKeyRef<T>) -> String {
    match KeyKind::of(key) {
        Some(k) => k.name().to_owned(),
        None => format!("{:?}", key.id()),
    }
}

/// The IdP signing key: private key, certificate and algorithm, checked once and shared by all requests.
pub struct SigningKey {
    key: PKey<Private>,
    algorithm: SignatureAlgorithm,
    cert_der: Vec<u8>,
    /// Base64 of the certificate DER, as it goes into `ds:X509Certificate` (no line breaks).
    cert_b64: String,
    /// Length in bytes of one ECDSA signature component (r or s); 0 for RSA.
    ec_component_len: usize,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Checks that the algorithm fits the key, that the certificate carries this key's public half,
    /// and that RSA keys have at least 2048 bits.
    pub fn new(key: PKey<Private>, cert_der: Vec<u8>, algorithm: SignatureAlgorithm) -> Result<Self, DsigError> {
        let kind = KeyKind::of(&key).ok_or_else(|| DsigError::UnsupportedKey(describe_key(&key)))?;
        if kind != algorithm.key_kind() {
            return Err(DsigError::AlgorithmKeyMismatch {
                alg: algorithm.uri().to_owned(),
                key: kind.name().to_owned(),
            });
        }
        let mut ec_component_len = 0;
        match kind {
            KeyKind::Rsa => {
                let bits = key.bits();
                if bits < 2048 {
                    return Err(DsigError::UnsupportedKey(format!("RSA key of {bits} bits (at least 2048 required)")));
                }
            }
            KeyKind::Ec => {
                let ec = key.ec_key()?;
                ec_component_len = ec.group().degree().div_ceil(8) as usize;
            }
        }
        let cert = X509::from_der(&cert_der)?;
        if !cert.public_key()?.public_eq(&key) {
            return Err(DsigError::KeyCertMismatch);
        }
        let cert_b64 = B64.encode(&cert_der);
        Ok(SigningKey { key, algorithm, cert_der, cert_b64, ec_component_len })
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate as base64 DER (what `ds:X509Certificate` and metadata carry).
    pub fn cert_base64(&self) -> &str {
        &self.cert_b64
    }

    /// Signs `data` with the configured algorithm and returns the raw XML-DSig `SignatureValue` octets.
    /// ECDSA signatures are the fixed-length `r || s` concatenation XML-DSig 1.1 requires (not DER).
    pub fn sign_xmldsig(&self, data: &[u8]) -> Result<Vec<u8>, DsigError> {
        let der_or_rsa = self.sign_raw(data)?;
        match self.algorithm.key_kind() {
            KeyKind::Rsa => Ok(der_or_rsa),
            KeyKind::Ec => ecdsa_der_to_concat(&der_or_rsa, self.ec_component_len),
        }
    }

    /// Signs `data` with the configured algorithm; ECDSA signatures are DER (`ECDSA-Sig-Value`), the
    /// form OpenSAML, xmlseclibs and Java's `SHA256withECDSA` produce for Redirect-binding signatures.
    pub fn sign_raw(&self, data: &[u8]) -> Result<Vec<u8>, DsigError> {
        let mut signer = Signer::new(self.algorithm.digest(), &self.key)?;
        Ok(signer.sign_oneshot_to_vec(data)?)
    }
}

fn ecdsa_der_to_concat(der: &[u8], component_len: usize) -> Result<Vec<u8>, DsigError> {
    let sig = EcdsaSig::from_der(der)?;
    let pad = i32::try_from(component_len).map_err(|_| DsigError::UnsupportedKey("EC group too large".into()))?;
    let mut out = sig.r().to_vec_padded(pad)?;
    out.extend_from_slice(&sig.s().to_vec_padded(pad)?);
    Ok(out)
}

/// `r || s` (as XML-DSig writes ECDSA signatures) back to DER for OpenSSL. `None` if the length is odd.
pub(crate) fn ecdsa_concat_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let sig = EcdsaSig::from_private_components(BigNum::from_slice(r).ok()?, BigNum::from_slice(s).ok()?).ok()?;
    sig.to_der().ok()
}

/// Verifies `signature` over `data` with a public key, for an algorithm given as digest + key kind.
/// ECDSA signatures are accepted as DER or as the `r || s` concatenation.
pub(crate) fn verify_with_key<T: HasPublic>(
    key: &PKeyRef<T>,
    md: MessageDigest,
    kind: KeyKind,
    signature: &[u8],
    data: &[u8],
) -> Result<bool, ErrorStack> {
    let mut verifier = Verifier::new(md, key)?;
    let ok = match kind {
        KeyKind::Rsa => verifier.verify_oneshot(signature, data).unwrap_or(false),
        KeyKind::Ec => {
            // Try DER first; fall back to r||s. A failed parse is "does not verify", not an error.
            let as_der = verifier.verify_oneshot(signature, data).unwrap_or(false);
            if as_der {
                true
            } else if let Some(der) = ecdsa_concat_to_der(signature) {
                let mut v2 = Verifier::new(md, key)?;
                v2.verify_oneshot(&der, data).unwrap_or(false)
            } else {
                false
            }
        }
    };
    // Failed verifications leave entries on OpenSSL's thread-local error queue; drop them so they do
    // not surface in a later, unrelated call.
    let _ = ErrorStack::get();
    Ok(ok)
}

/// Certificate helper: DER → X509.
pub fn certs_from_der(ders: &[Vec<u8>]) -> Result<Vec<X509>, DsigError> {
    ders.iter().map(|d| X509::from_der(d).map_err(DsigError::from)).collect()
}

/// Writes `ds:SignedInfo` for one Reference to `#reference_id`; a non-empty `prefix_list` becomes the
/// `ec:InclusiveNamespaces PrefixList` of the Reference's exc-c14n transform.
fn write_signed_info(
    w: &mut XmlWriter,
    alg: SignatureAlgorithm,
    reference_uri: &str,
    digest_b64: &str,
    prefix_list: &str,
) {
    w.start("ds:SignedInfo");
    w.start("ds:CanonicalizationMethod").attr("Algorithm", EXC_C14N).end();
    w.start("ds:SignatureMethod").attr("Algorithm", alg.uri()).end();
    w.start("ds:Reference").attr("URI", reference_uri);
    w.start("ds:Transforms");
    w.start("ds:Transform").attr("Algorithm", ENVELOPED_SIGNATURE).end();
    w.start("ds:Transform").attr("Algorithm", EXC_C14N);
    if !prefix_list.is_empty() {
        w.start("ec:InclusiveNamespaces").attr("PrefixList", prefix_list).end();
    }
    w.end();
    w.end(); // Transforms
    w.start("ds:DigestMethod").attr("Algorithm", DIGEST_SHA256).end();
    w.text_element("ds:DigestValue", &[], digest_b64);
    w.end(); // Reference
    w.end(); // SignedInfo
}

/// Finds the end of the root start tag and checks it carries `ID="reference_id"`.
fn check_root_id(element: &str, reference_id: &str) -> Result<usize, DsigError> {
    if !element.starts_with('<') {
        return Err(DsigError::BadElement("the element must start with its start tag"));
    }
    // The writer escapes `>` only in text, never in attribute values, so find the first `>` that is
    // not inside a quoted attribute value.
    let bytes = element.as_bytes();
    let mut in_quote = false;
    let mut end = None;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quote = !in_quote,
            b'>' if !in_quote => {
                end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let end = end.ok_or(DsigError::BadElement("unterminated start tag"))?;
    let start_tag = &element[..end];
    let needle = format!(" ID=\"{reference_id}\"");
    if !start_tag.contains(&needle) {
        return Err(DsigError::BadElement("the root start tag does not carry ID=reference_id"));
    }
    Ok(end + 1)
}

/// Signs an element written by a fresh `XmlWriter` (so its bytes are its own exclusive canonical form)
/// with an enveloped signature, and returns the element with `ds:Signature` inserted at `insert_at`
/// (a byte offset; for SAML right after the end tag of the element's `saml:Issuer`).
///
/// The caller guarantees that `element` is complete canonical output of a fresh writer; this function
/// checks only that the root start tag carries `ID="reference_id"`, that the ID is an NCName and that
/// the offset lies after the root start tag and before the root end tag.
pub fn sign_enveloped(
    key: &SigningKey,
    element: &str,
    reference_id: &str,
    insert_at: usize,
) -> Result<String, DsigError> {
    sign_enveloped_inclusive(key, element, reference_id, insert_at, &[])
}

/// [`sign_enveloped`] with an `InclusiveNamespaces PrefixList` on the Reference's exc-c14n transform.
///
/// The element's bytes must be their own canonical form *under that PrefixList*: each listed prefix
/// declared on the root (see [`XmlWriter::declare_inclusive`]) and nowhere below it. Exclusive c14n
/// renders a listed prefix wherever it is in scope and not yet rendered, which for a fresh writer's
/// subtree is exactly the root's declaration.
pub fn sign_enveloped_inclusive(
    key: &SigningKey,
    element: &str,
    reference_id: &str,
    insert_at: usize,
    inclusive_prefixes: &[&str],
) -> Result<String, DsigError> {
    if inclusive_prefixes.iter().any(|p| !is_ncname(p)) {
        return Err(DsigError::BadElement("an InclusiveNamespaces prefix is not an NCName"));
    }
    let prefix_list = inclusive_prefixes.join(" ");
    if !is_ncname(reference_id) {
        return Err(DsigError::BadElement("the reference ID is not an NCName"));
    }
    let start_tag_end = check_root_id(element, reference_id)?;
    let last_end_tag = element.rfind("</").ok_or(DsigError::BadElement("no end tag"))?;
    if insert_at < start_tag_end || insert_at > last_end_tag || !element.is_char_boundary(insert_at) {
        return Err(DsigError::BadElement("the insertion offset is outside the element content"));
    }
    if element.as_bytes()[insert_at] != b'<' || element.as_bytes()[insert_at - 1] != b'>' {
        return Err(DsigError::BadElement("the insertion offset is not between two tags"));
    }

    let digest_b64 = B64.encode(openssl::sha::sha256(element.as_bytes()));
    let mut reference_uri = String::with_capacity(reference_id.len() + 1);
    reference_uri.push('#');
    reference_uri.push_str(reference_id);

    // The canonical form of SignedInfo as a verifier computes it: its own subtree, xmlns:ds on it.
    let mut si = XmlWriter::with_capacity(1024);
    write_signed_info(&mut si, key.algorithm, &reference_uri, &digest_b64, &prefix_list);
    let signed_info = si.finish()?;
    let signature_value = B64.encode(key.sign_xmldsig(signed_info.as_bytes())?);

    let mut sw = XmlWriter::with_capacity(2048 + key.cert_b64.len());
    sw.start("ds:Signature");
    write_signed_info(&mut sw, key.algorithm, &reference_uri, &digest_b64, &prefix_list);
    sw.text_element("ds:SignatureValue", &[], &signature_value);
    sw.start("ds:KeyInfo").start("ds:X509Data");
    sw.text_element("ds:X509Certificate", &[], &key.cert_b64);
    sw.end().end();
    sw.end(); // Signature
    let signature = sw.finish()?;

    let mut out = String::with_capacity(element.len() + signature.len());
    out.push_str(&element[..insert_at]);
    out.push_str(&signature);
    out.push_str(&element[insert_at..]);
    Ok(out)
}

#[cfg(test)]
pub(crate) mod test_keys {
    use openssl::asn1::Asn1Time;
    use openssl::bn::{BigNum, MsbOption};
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::{PKey, Private};
    use openssl::rsa::Rsa;
    use openssl::x509::{X509, X509NameBuilder};

    pub fn self_signed(key: &PKey<Private>, cn: &str) -> X509 {
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", cn).unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        let mut serial = BigNum::new().unwrap();
        serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
        b.set_serial_number(&serial.to_asn1_integer().unwrap()).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
        b.set_not_after(&Asn1Time::days_from_now(365).unwrap()).unwrap();
        b.sign(key, MessageDigest::sha256()).unwrap();
        b.build()
    }

    pub fn rsa() -> (PKey<Private>, X509) {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let cert = self_signed(&key, "test idp");
        (key, cert)
    }

    pub fn p256() -> (PKey<Private>, X509) {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let cert = self_signed(&key, "test idp ec");
        (key, cert)
    }
}

#[cfg(test)]
mod tests {
    use super::test_keys::*;
    use super::*;

    fn assertion(id: &str) -> (String, usize) {
        let mut w = XmlWriter::new();
        w.start("saml:Assertion").attr("ID", id).attr("Version", "2.0");
        w.text_element("saml:Issuer", &[], "https://idp.example");
        let at = w.len();
        w.text_element("saml:Audience", &[], "a > b & c");
        w.end();
        (w.finish().unwrap(), at)
    }

    #[test]
    fn key_and_algorithm_must_fit() {
        let (rsa, rsa_cert) = rsa();
        let (ec, ec_cert) = p256();
        assert!(SigningKey::new(rsa.clone(), rsa_cert.to_der().unwrap(), SignatureAlgorithm::RsaSha256).is_ok());
        assert!(matches!(
            SigningKey::new(rsa.clone(), rsa_cert.to_der().unwrap(), SignatureAlgorithm::EcdsaSha256),
            Err(DsigError::AlgorithmKeyMismatch { .. })
        ));
        assert!(matches!(
            SigningKey::new(ec.clone(), ec_cert.to_der().unwrap(), SignatureAlgorithm::RsaSha512),
            Err(DsigError::AlgorithmKeyMismatch { .. })
        ));
        assert!(matches!(
            SigningKey::new(rsa, ec_cert.to_der().unwrap(), SignatureAlgorithm::RsaSha256),
            Err(DsigError::KeyCertMismatch)
        ));
        let weak = PKey::from_rsa(openssl::rsa::Rsa::generate(1024).unwrap()).unwrap();
        let weak_cert = self_signed(&weak, "weak");
        assert!(matches!(
            SigningKey::new(weak, weak_cert.to_der().unwrap(), SignatureAlgorithm::RsaSha256),
            Err(DsigError::UnsupportedKey(_))
        ));
    }

    #[test]
    fn algorithm_names_parse() {
        assert_eq!("rsa-sha256".parse::<SignatureAlgorithm>().unwrap(), SignatureAlgorithm::RsaSha256);
        assert_eq!("rsa-sha512".parse::<SignatureAlgorithm>().unwrap(), SignatureAlgorithm::RsaSha512);
        assert_eq!("ecdsa-sha256".parse::<SignatureAlgorithm>().unwrap(), SignatureAlgorithm::EcdsaSha256);
        assert!("rsa-sha1".parse::<SignatureAlgorithm>().is_err());
        assert_eq!(SignatureAlgorithm::EcdsaSha256.uri(), "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256");
    }

    fn signing_key_sync_send<T: Send + Sync>() {}

    #[test]
    fn signing_key_is_send_and_sync() {
        signing_key_sync_send::<SigningKey>();
    }

    /// Recomputes what a verifier does (enveloped transform = remove the Signature; SignedInfo with
    /// xmlns:ds) and checks digest and signature.
    fn verify_ours(signed: &str, cert: &X509, kind: KeyKind, md: MessageDigest) {
        let s_start = signed.find("<ds:Signature ").unwrap();
        let s_end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let without = format!("{}{}", &signed[..s_start], &signed[s_end..]);
        let digest = B64.encode(openssl::sha::sha256(without.as_bytes()));
        let sig = &signed[s_start..s_end];
        assert!(sig.contains(&format!("<ds:DigestValue>{digest}</ds:DigestValue>")));
        let si_start = sig.find("<ds:SignedInfo>").unwrap();
        let si_end = sig.find("</ds:SignedInfo>").unwrap() + "</ds:SignedInfo>".len();
        let si = sig[si_start..si_end].replacen(
            "<ds:SignedInfo>",
            "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">",
            1,
        );
        let sv_start = sig.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
        let sv_end = sig.find("</ds:SignatureValue>").unwrap();
        let sv = B64.decode(&sig[sv_start..sv_end]).unwrap();
        let pk = cert.public_key().unwrap();
        assert!(verify_with_key(&pk, md, kind, &sv, si.as_bytes()).unwrap());
        // And a changed byte fails.
        let mut bad = si.clone().into_bytes();
        bad[30] ^= 1;
        assert!(!verify_with_key(&pk, md, kind, &sv, &bad).unwrap());
    }

    #[test]
    fn enveloped_signature_is_spliced_after_issuer_and_verifies() {
        let (key, cert) = rsa();
        let sk = SigningKey::new(key, cert.to_der().unwrap(), SignatureAlgorithm::RsaSha256).unwrap();
        let (a, at) = assertion("_abc");
        let signed = sign_enveloped(&sk, &a, "_abc", at).unwrap();
        assert!(signed.contains("</saml:Issuer><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod"));
        assert!(signed.contains("<ds:Reference URI=\"#_abc\">"));
        assert!(signed.contains(&format!("<ds:X509Certificate>{}</ds:X509Certificate>", sk.cert_base64())));
        verify_ours(&signed, &cert, KeyKind::Rsa, MessageDigest::sha256());
    }

    #[test]
    fn ecdsa_signature_value_is_r_concat_s() {
        let (key, cert) = p256();
        let sk = SigningKey::new(key, cert.to_der().unwrap(), SignatureAlgorithm::EcdsaSha256).unwrap();
        let sv = sk.sign_xmldsig(b"hello").unwrap();
        assert_eq!(sv.len(), 64);
        let (a, at) = assertion("_e");
        let signed = sign_enveloped(&sk, &a, "_e", at).unwrap();
        verify_ours(&signed, &cert, KeyKind::Ec, MessageDigest::sha256());
    }

    #[test]
    fn rsa_sha512_verifies() {
        let (key, cert) = rsa();
        let sk = SigningKey::new(key, cert.to_der().unwrap(), SignatureAlgorithm::RsaSha512).unwrap();
        let (a, at) = assertion("_x");
        let signed = sign_enveloped(&sk, &a, "_x", at).unwrap();
        assert!(signed.contains(RSA_SHA512));
        verify_ours(&signed, &cert, KeyKind::Rsa, MessageDigest::sha512());
    }

    #[test]
    fn refuses_wrong_id_and_offsets() {
        let (key, cert) = rsa();
        let sk = SigningKey::new(key, cert.to_der().unwrap(), SignatureAlgorithm::RsaSha256).unwrap();
        let (a, at) = assertion("_abc");
        assert!(matches!(sign_enveloped(&sk, &a, "_other", at), Err(DsigError::BadElement(_))));
        assert!(matches!(sign_enveloped(&sk, &a, "a\"b", at), Err(DsigError::BadElement(_))));
        assert!(matches!(sign_enveloped(&sk, &a, "_abc", 3), Err(DsigError::BadElement(_))));
        assert!(matches!(sign_enveloped(&sk, &a, "_abc", at + 1), Err(DsigError::BadElement(_))));
        assert!(matches!(sign_enveloped(&sk, &a, "_abc", a.len()), Err(DsigError::BadElement(_))));
    }
}
