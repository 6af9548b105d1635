//! Strict verification of *foreign* enveloped XML signatures, computed on the tree of our one strict
//! reader (`xml::parse`) — pure Rust plus OpenSSL, no libxmlsec1.
//!
//! "See what is signed" (docs/saml-security.md lesson 1): [`verify_enveloped`] returns the verified element
//! and callers read only from it. The verifier accepts exactly one shape, the one every SAML stack
//! produces, and refuses everything else with a specific [`VerifyError`]:
//!
//! * one `ds:Signature`, a direct child of the element expected to be signed (the target);
//! * one `ds:SignedInfo` with exclusive c14n, an allowlisted `SignatureMethod` and one `ds:Reference`
//!   whose URI is `#` + the target's `ID`, an ID that occurs once in the whole document;
//! * Reference transforms `enveloped-signature` then `exc-c14n` (or `exc-c14n` alone), nothing else;
//!   an exc-c14n step may carry an `ec:InclusiveNamespaces PrefixList` (Huawei's sample assertion
//!   has `PrefixList="xsd"`);
//! * the `DigestValue` of that Reference (never one found elsewhere: CVE-2024-45409) equals the digest
//!   of the exclusive canonical form of the target without its Signature, computed from the DOM;
//! * the `SignatureValue` verifies over the canonical `SignedInfo` with one of the caller's
//!   certificates. `KeyInfo` in the message is ignored: it is never a key source (lesson 8).
//!
//! The canonical form is computed from the reader's tree, never from re-serialized text (lesson 5): the
//! reader has already resolved namespaces, references, attribute-value and line-end normalization, and
//! dropped comments, which is exactly the XPath data model exc-c14n is defined on. Exclusive c14n
//! renders the *visibly utilized* namespaces, for which each element's resolved namespace and prefix
//! are enough; the prefixes of an InclusiveNamespaces PrefixList are rendered by the inclusive rule
//! instead (wherever they are in scope and not yet rendered by an output ancestor), for which the
//! reader keeps each element's own declarations and the verifier collects those of the signed
//! element's ancestors.

use std::ptr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{Id, PKey, Public};
use openssl::sign::Verifier;
use openssl::x509::X509;

use super::dsig::{
    ECDSA_SHA1, ECDSA_SHA256, ECDSA_SHA384, ENVELOPED_SIGNATURE, EXC_C14N, RSA_SHA1, RSA_SHA256, RSA_SHA384, RSA_SHA512,
};
use super::xml::{Element, Node, is_ncname, ns};

const DIGEST_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const DIGEST_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const DIGEST_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
const DIGEST_SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";

/// What the caller allows beyond the default allowlist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// Accept rsa-sha1 / ecdsa-sha1 signatures and sha1 digests (a per-SP override; off by default).
    pub allow_sha1: bool,
    /// Accept a sha1 *digest* under a SHA-256-or-better signature method: only for SP metadata signed
    /// by a pinned certificate (Huawei's metadata is signed that way; see `metadata`).
    pub allow_sha1_digest: bool,
}

/// The element whose signature verified. Read data only from `element`.
#[derive(Debug, Clone)]
pub struct VerifiedElement<'a> {
    pub element: &'a Element,
    /// The `SignatureMethod` URI that verified.
    pub algorithm: String,
    /// Index into the caller's certificate list of the certificate that verified.
    pub cert_index: usize,
}

/// Why a signature was refused. `reason()` gives a short stable code for error pages and counters.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("no certificate to verify with (fail closed)")]
    NoCertificate,
    #[error("the element to verify is not part of the given document")]
    TargetNotInDocument,
    #[error("the signed element has no valid `ID` attribute")]
    MissingId,
    #[error("the ID `{0}` occurs on more than one element of the document")]
    DuplicateId(String),
    #[error("the element is not signed (no ds:Signature child)")]
    MissingSignature,
    #[error("the element has more than one ds:Signature child")]
    MultipleSignatures,
    #[error("malformed ds:Signature: {0}")]
    MalformedSignature(&'static str),
    #[error("canonicalization method `{0}` is refused (only exclusive c14n without comments)")]
    UnsupportedCanonicalization(String),
    #[error("InclusiveNamespaces PrefixList `{0}` is refused (only prefixes and #default)")]
    InclusiveNamespaces(String),
    #[error("signature method `{0}` is refused (allowed: rsa-sha256/384/512, ecdsa-sha256/384)")]
    UnsupportedSignatureMethod(String),
    #[error("algorithm `{0}` uses SHA-1, which is refused (enable allow_sha1 for this peer to accept it)")]
    WeakAlgorithm(String),
    #[error("SignedInfo must hold exactly one ds:Reference, found {0}")]
    ReferenceCount(usize),
    #[error("Reference URI `{0}` is refused (only a bare `#ID` fragment)")]
    UnsupportedReferenceUri(String),
    #[error("Reference URI `{found}` does not point at the signed element (`{expected}`)")]
    WrongReference { expected: String, found: String },
    #[error("transform `{0}` is refused (only enveloped-signature then exc-c14n)")]
    UnsupportedTransform(String),
    #[error("digest method `{0}` is refused (allowed: sha256/384/512)")]
    UnsupportedDigestMethod(String),
    #[error("{0} is not valid base64")]
    BadBase64(&'static str),
    #[error("the digest of the signed element does not match its Reference")]
    DigestMismatch,
    #[error("signature method `{alg}` does not fit any given key ({keys})")]
    AlgorithmKeyMismatch { alg: String, keys: String },
    #[error("signature does not verify with any given certificate")]
    BadSignature,
    #[error("OpenSSL failed: {0}")]
    Openssl(#[from] openssl::error::ErrorStack),
}

impl VerifyError {
    /// Short stable code naming the failed check.
    pub fn reason(&self) -> &'static str {
        match self {
            VerifyError::NoCertificate => "no_certificate",
            VerifyError::TargetNotInDocument => "target_not_in_document",
            VerifyError::MissingId => "missing_id",
            VerifyError::DuplicateId(_) => "duplicate_id",
            VerifyError::MissingSignature => "missing_signature",
            VerifyError::MultipleSignatures => "multiple_signatures",
            VerifyError::MalformedSignature(_) => "malformed_signature",
            VerifyError::UnsupportedCanonicalization(_) => "unsupported_canonicalization",
            VerifyError::InclusiveNamespaces(_) => "inclusive_namespaces",
            VerifyError::UnsupportedSignatureMethod(_) => "unsupported_signature_method",
            VerifyError::WeakAlgorithm(_) => "weak_algorithm",
            VerifyError::ReferenceCount(_) => "reference_count",
            VerifyError::UnsupportedReferenceUri(_) => "unsupported_reference_uri",
            VerifyError::WrongReference { .. } => "wrong_reference",
            VerifyError::UnsupportedTransform(_) => "unsupported_transform",
            VerifyError::UnsupportedDigestMethod(_) => "unsupported_digest_method",
            VerifyError::BadBase64(_) => "bad_base64",
            VerifyError::DigestMismatch => "digest_mismatch",
            VerifyError::AlgorithmKeyMismatch { .. } => "algorithm_key_mismatch",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::Openssl(_) => "crypto",
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Exclusive XML Canonicalization 1.0 (without comments)
// ---------------------------------------------------------------------------------------------------

/// Appends the W3C Exclusive XML Canonicalization 1.0 (without comments, empty InclusiveNamespaces) of
/// the subtree `el` to `out`, leaving out the subtree `omit` (the enveloped-signature transform).
///
/// `omit` is recognized by pointer or, for a clone from the same parse, by its byte span and name.
pub fn exc_c14n(el: &Element, out: &mut Vec<u8>, omit: Option<&Element>) {
    exc_c14n_inclusive(el, out, omit, &[], &[]);
}

/// Exclusive c14n with an InclusiveNamespaces PrefixList: `inclusive` holds its prefixes (`""` for
/// `#default`), `ancestors` the namespace declarations of `el`'s ancestors from the root down (as
/// [`Element::ns_decls`] records them), which decide what is in scope at `el`. A prefix of the list
/// is rendered, as inclusive c14n does, on every element where it is in scope and not already
/// rendered with the same URI by an output ancestor; all other prefixes only where visibly used.
pub fn exc_c14n_inclusive<'a>(
    el: &'a Element,
    out: &mut Vec<u8>,
    omit: Option<&Element>,
    inclusive: &[&str],
    ancestors: &[(&'a str, &'a str)],
) {
    // Namespace declarations rendered by output ancestors, innermost last: (prefix, uri); "" = default.
    let mut rendered: Vec<(&str, &str)> = Vec::with_capacity(8);
    // Declarations in scope (only tracked when a PrefixList asks for them), innermost last.
    let mut scope: Vec<(&str, &str)> = if inclusive.is_empty() { Vec::new() } else { ancestors.to_vec() };
    let mut c = C14n { omit, inclusive, rendered: &mut rendered, scope: &mut scope };
    c.element(el, out);
}

struct C14n<'a, 'o, 'r> {
    omit: Option<&'o Element>,
    inclusive: &'r [&'r str],
    rendered: &'r mut Vec<(&'a str, &'a str)>,
    scope: &'r mut Vec<(&'a str, &'a str)>,
}

fn is_omitted(el: &Element, omit: Option<&Element>) -> bool {
    match omit {
        None => false,
        Some(o) => {
            ptr::eq(el, o)
                || (el.start == o.start
                    && el.end == o.end
                    && el.local == o.local
                    && el.ns == o.ns
                    && el.prefix == o.prefix)
        }
    }
}

fn rendered_uri<'a>(rendered: &[(&'a str, &'a str)], prefix: &str) -> Option<&'a str> {
    rendered.iter().rev().find(|(p, _)| *p == prefix).map(|(_, u)| *u)
}

impl<'a> C14n<'a, '_, '_> {
    fn element(&mut self, el: &'a Element, out: &mut Vec<u8>) {
        let mark = self.rendered.len();
        let scope_mark = self.scope.len();
        if !self.inclusive.is_empty() {
            self.scope.extend(el.ns_decls.iter().map(|(p, u)| (p.as_str(), u.as_str())));
        }

        // Visibly utilized namespaces: the element's own prefix (or the default namespace) and the
        // prefixes of its attributes. `xml` is never declared.
        let mut used: Vec<(&'a str, &'a str)> = Vec::with_capacity(2 + self.inclusive.len());
        let el_prefix = el.prefix.as_deref().unwrap_or("");
        used.push((el_prefix, el.ns.as_deref().unwrap_or("")));
        for a in &el.attrs {
            if let (Some(p), Some(u)) = (a.prefix.as_deref(), a.ns.as_deref())
                && p != "xml"
                && !used.iter().any(|(q, _)| *q == p)
            {
                used.push((p, u));
            }
        }
        // PrefixList prefixes: rendered wherever they are in scope (the inclusive rule). The
        // default namespace counts as in scope with "" when nothing declares it.
        for p in self.inclusive {
            if used.iter().any(|(q, _)| q == p) {
                continue;
            }
            match self.scope.iter().rev().find(|(q, _)| q == p) {
                Some((q, u)) => used.push((q, u)),
                None if p.is_empty() => used.push(("", "")),
                None => {}
            }
        }
        let mut decls: Vec<(&'a str, &'a str)> = Vec::with_capacity(used.len());
        for (p, u) in used {
            if p == "xml" {
                continue;
            }
            let current = rendered_uri(self.rendered, p);
            let needed = if p.is_empty() {
                // The default namespace: nothing rendered above means the empty default is in force, so
                // `xmlns=""` appears only to undo a non-empty default rendered by an output ancestor.
                current.unwrap_or("") != u
            } else {
                current != Some(u)
            };
            if needed {
                decls.push((p, u));
            }
        }
        decls.sort_by(|a, b| a.0.cmp(b.0));

        let mut attrs: Vec<&'a super::xml::Attribute> = el.attrs.iter().collect();
        attrs.sort_by(|a, b| {
            (a.ns.as_deref().unwrap_or(""), a.local.as_str()).cmp(&(b.ns.as_deref().unwrap_or(""), b.local.as_str()))
        });

        out.push(b'<');
        push_qname(out, el.prefix.as_deref(), &el.local);
        for (p, u) in &decls {
            if p.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(p.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attr(out, u);
            out.push(b'"');
        }
        for a in attrs {
            out.push(b' ');
            push_qname(out, a.prefix.as_deref(), &a.local);
            out.extend_from_slice(b"=\"");
            escape_attr(out, &a.value);
            out.push(b'"');
        }
        out.push(b'>');
        self.rendered.extend(decls);

        for child in &el.children {
            match child {
                Node::Text(t) => escape_text(out, t),
                Node::Element(c) => {
                    if !is_omitted(c, self.omit) {
                        self.element(c, out);
                    }
                }
            }
        }

        out.extend_from_slice(b"</");
        push_qname(out, el.prefix.as_deref(), &el.local);
        out.push(b'>');
        self.rendered.truncate(mark);
        self.scope.truncate(scope_mark);
    }
}

fn push_qname(out: &mut Vec<u8>, prefix: Option<&str>, local: &str) {
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

fn escape_text(out: &mut Vec<u8>, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[last..i]);
        out.extend_from_slice(rep);
        last = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[last..]);
}

fn escape_attr(out: &mut Vec<u8>, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'"' => b"&quot;",
            b'\t' => b"&#x9;",
            b'\n' => b"&#xA;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[last..i]);
        out.extend_from_slice(rep);
        last = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[last..]);
}

// ---------------------------------------------------------------------------------------------------
// Enveloped-signature verification
// ---------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Rsa,
    Ec,
}

/// Verifies the enveloped signature of `target`, an element of the document whose root is `doc_root`
/// (e.g. the Response root, or an Assertion that is a direct child of it), with one of `certs`.
///
/// On success the returned [`VerifiedElement`] holds `target`: read message data only from it. Every
/// refusal is a specific [`VerifyError`]; an empty `certs` fails closed.
pub fn verify_enveloped<'a>(
    doc_root: &'a Element,
    target: &'a Element,
    certs: &[X509],
    policy: &VerifyPolicy,
) -> Result<VerifiedElement<'a>, VerifyError> {
    if certs.is_empty() {
        return Err(VerifyError::NoCertificate);
    }
    if !contains(doc_root, target) {
        return Err(VerifyError::TargetNotInDocument);
    }

    // The target's ID: unique in the whole document, under every spelling an ID resolver might use.
    let id = match target.attr("ID") {
        Some(id) if is_ncname(id) => id,
        _ => return Err(VerifyError::MissingId),
    };
    if count_id(doc_root, id) != 1 {
        return Err(VerifyError::DuplicateId(id.to_owned()));
    }

    // Exactly one ds:Signature, a direct child of the target.
    let mut sigs = target.children_named(ns::DS, "Signature");
    let signature = sigs.next().ok_or(VerifyError::MissingSignature)?;
    if sigs.next().is_some() {
        return Err(VerifyError::MultipleSignatures);
    }

    // Signature: SignedInfo, SignatureValue, optional KeyInfo (ignored), nothing else.
    let kids = ds_children(signature)?;
    let (signed_info, signature_value) = match kids.as_slice() {
        [si, sv] | [si, sv, _] if si.local == "SignedInfo" && sv.local == "SignatureValue" => (*si, *sv),
        _ => {
            return Err(VerifyError::MalformedSignature("Signature must hold SignedInfo, SignatureValue[, KeyInfo]"));
        }
    };
    if let [_, _, ki] = kids.as_slice()
        && ki.local != "KeyInfo"
    {
        return Err(VerifyError::MalformedSignature("unexpected element in Signature"));
    }

    // SignedInfo: CanonicalizationMethod, SignatureMethod, Reference — in that order, once each.
    let si = ds_children(signed_info)?;
    let refs = si.iter().filter(|e| e.local == "Reference").count();
    if refs != 1 {
        return Err(VerifyError::ReferenceCount(refs));
    }
    let [c14n_method, sig_method, reference] = si.as_slice() else {
        return Err(VerifyError::MalformedSignature(
            "SignedInfo must hold CanonicalizationMethod, SignatureMethod, Reference",
        ));
    };
    if c14n_method.local != "CanonicalizationMethod"
        || sig_method.local != "SignatureMethod"
        || reference.local != "Reference"
    {
        return Err(VerifyError::MalformedSignature(
            "SignedInfo must hold CanonicalizationMethod, SignatureMethod, Reference",
        ));
    }

    let c14n_alg = algorithm_attr(c14n_method)?;
    if c14n_alg != EXC_C14N {
        return Err(VerifyError::UnsupportedCanonicalization(c14n_alg.to_owned()));
    }
    let si_inclusive = check_exc_c14n_params(c14n_method, true)?;

    let sig_alg = algorithm_attr(sig_method)?;
    let (sig_md, key_type) = signature_method(sig_alg, policy)?;
    if sig_method.has_element_children() || !is_blank(sig_method) {
        // e.g. HMACOutputLength: never meaningful for the allowed methods.
        return Err(VerifyError::MalformedSignature("SignatureMethod must be empty"));
    }

    // Reference: URI="#ID" of the target; Transforms; DigestMethod; DigestValue — scoped to this
    // Reference inside this SignedInfo, never looked up anywhere else (CVE-2024-45409).
    let uri = reference.attr("URI").unwrap_or("");
    let Some(fragment) = uri.strip_prefix('#') else {
        return Err(VerifyError::UnsupportedReferenceUri(uri.to_owned()));
    };
    if !is_ncname(fragment) {
        return Err(VerifyError::UnsupportedReferenceUri(uri.to_owned()));
    }
    if fragment != id {
        return Err(VerifyError::WrongReference { expected: format!("#{id}"), found: uri.to_owned() });
    }
    let rk = ds_children(reference)?;
    let [transforms, digest_method, digest_value] = rk.as_slice() else {
        return Err(VerifyError::MalformedSignature("Reference must hold Transforms, DigestMethod, DigestValue"));
    };
    if transforms.local != "Transforms" || digest_method.local != "DigestMethod" || digest_value.local != "DigestValue"
    {
        return Err(VerifyError::MalformedSignature("Reference must hold Transforms, DigestMethod, DigestValue"));
    }
    let (enveloped, ref_inclusive) = check_transforms(transforms)?;

    let digest_alg = algorithm_attr(digest_method)?;
    let digest_md = digest_method_of(digest_alg, policy)?;
    if digest_method.has_element_children() || !is_blank(digest_method) {
        return Err(VerifyError::MalformedSignature("DigestMethod must be empty"));
    }
    if digest_value.has_element_children() {
        return Err(VerifyError::MalformedSignature("DigestValue must be text"));
    }
    let expected_digest = decode_b64(&digest_value.text(), "DigestValue")?;

    // The digest of what the Reference covers: the target without its Signature, canonicalized.
    let mut octets = Vec::with_capacity(target.end.saturating_sub(target.start));
    let omit = if enveloped { Some(signature) } else { None };
    if ref_inclusive.is_empty() {
        exc_c14n(target, &mut octets, omit);
    } else {
        let prefixes: Vec<&str> = ref_inclusive.iter().map(String::as_str).collect();
        let ancestors = ancestor_decls(doc_root, target);
        exc_c14n_inclusive(target, &mut octets, omit, &prefixes, &ancestors);
    }
    let actual_digest = hash(digest_md, &octets)?;
    if actual_digest.len() != expected_digest.len() || !openssl::memcmp::eq(&actual_digest, &expected_digest) {
        return Err(VerifyError::DigestMismatch);
    }

    // The signature over the canonical SignedInfo, with the caller's keys only (KeyInfo is ignored).
    if signature_value.has_element_children() {
        return Err(VerifyError::MalformedSignature("SignatureValue must be text"));
    }
    let sig_bytes = decode_b64(&signature_value.text(), "SignatureValue")?;
    let mut si_octets = Vec::with_capacity(1024);
    if si_inclusive.is_empty() {
        exc_c14n(signed_info, &mut si_octets, None);
    } else {
        let prefixes: Vec<&str> = si_inclusive.iter().map(String::as_str).collect();
        let ancestors = ancestor_decls(doc_root, signed_info);
        exc_c14n_inclusive(signed_info, &mut si_octets, None, &prefixes, &ancestors);
    }

    let mut fitting = 0usize;
    let mut key_names: Vec<&'static str> = Vec::new();
    for (i, cert) in certs.iter().enumerate() {
        let key = cert.public_key()?;
        let kt = match key.id() {
            Id::RSA => Some(KeyType::Rsa),
            Id::EC => Some(KeyType::Ec),
            _ => None,
        };
        key_names.push(match kt {
            Some(KeyType::Rsa) => "RSA",
            Some(KeyType::Ec) => "EC",
            None => "other",
        });
        if kt != Some(key_type) {
            continue;
        }
        fitting += 1;
        if verify_with(&key, key_type, sig_md, &sig_bytes, &si_octets) {
            return Ok(VerifiedElement { element: target, algorithm: sig_alg.to_owned(), cert_index: i });
        }
    }
    if fitting == 0 {
        return Err(VerifyError::AlgorithmKeyMismatch { alg: sig_alg.to_owned(), keys: key_names.join(", ") });
    }
    Err(VerifyError::BadSignature)
}

/// Whether `target` is `root` or one of its descendants (by identity).
fn contains(root: &Element, target: &Element) -> bool {
    if ptr::eq(root, target) {
        return true;
    }
    // Cheap pruning by byte span: descendants lie inside their ancestors.
    if target.start < root.start || target.end > root.end {
        return false;
    }
    root.elements().any(|c| contains(c, target))
}

/// The namespace declarations of `target`'s ancestors, from `root` down to its parent (empty when
/// `target` is `root` or not below it).
pub fn ancestor_decls<'a>(root: &'a Element, target: &Element) -> Vec<(&'a str, &'a str)> {
    fn path<'a>(el: &'a Element, target: &Element, out: &mut Vec<&'a Element>) -> bool {
        if ptr::eq(el, target) {
            return true;
        }
        if target.start < el.start || target.end > el.end {
            return false;
        }
        out.push(el);
        if el.elements().any(|c| path(c, target, out)) {
            return true;
        }
        out.pop();
        false
    }
    let mut chain = Vec::new();
    path(root, target, &mut chain);
    chain.iter().flat_map(|e| e.ns_decls.iter().map(|(p, u)| (p.as_str(), u.as_str()))).collect()
}

/// How many elements carry `id` in an `ID`, `Id` or `id` attribute of any namespace.
fn count_id(el: &Element, id: &str) -> usize {
    let here = el.attrs.iter().any(|a| matches!(a.local.as_str(), "ID" | "Id" | "id") && a.value == id);
    usize::from(here) + el.elements().map(|c| count_id(c, id)).sum::<usize>()
}

fn is_blank(el: &Element) -> bool {
    el.children.iter().all(|n| match n {
        Node::Text(t) => t.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')),
        Node::Element(_) => false,
    })
}

/// The element children of a ds element; each must be in the ds namespace and text must be blank.
fn ds_children(el: &Element) -> Result<Vec<&Element>, VerifyError> {
    let mut out = Vec::with_capacity(4);
    for n in &el.children {
        match n {
            Node::Element(e) if e.ns.as_deref() == Some(ns::DS) => out.push(e),
            Node::Element(_) => {
                return Err(VerifyError::MalformedSignature("foreign element inside the signature"));
            }
            Node::Text(t) => {
                if !t.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
                    return Err(VerifyError::MalformedSignature("text inside a signature structure element"));
                }
            }
        }
    }
    Ok(out)
}

fn algorithm_attr(el: &Element) -> Result<&str, VerifyError> {
    el.attr("Algorithm").ok_or(VerifyError::MalformedSignature("Algorithm attribute missing"))
}

/// Refuses anything inside an exc-c14n CanonicalizationMethod/Transform other than one
/// `ec:InclusiveNamespaces`; returns its PrefixList (`#default` as `""`). Every token must be an
/// NCName (not `xml` or `xmlns`) or `#default`.
fn check_exc_c14n_params(el: &Element, is_c14n_method: bool) -> Result<Vec<String>, VerifyError> {
    let mut prefixes: Option<Vec<String>> = None;
    for n in &el.children {
        match n {
            Node::Text(t) if t.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) => {}
            Node::Element(e)
                if e.is(EXC_C14N, "InclusiveNamespaces") && !e.has_element_children() && prefixes.is_none() =>
            {
                let list = e.attr("PrefixList").unwrap_or("");
                let mut out = Vec::new();
                for token in list.split([' ', '\t', '\n', '\r']).filter(|t| !t.is_empty()) {
                    let p = match token {
                        "#default" => "",
                        t if is_ncname(t) && t != "xml" && t != "xmlns" => t,
                        _ => return Err(VerifyError::InclusiveNamespaces(list.to_owned())),
                    };
                    if !out.iter().any(|q: &String| q == p) {
                        out.push(p.to_owned());
                    }
                }
                prefixes = Some(out);
            }
            _ if is_c14n_method => {
                return Err(VerifyError::MalformedSignature("unexpected content in CanonicalizationMethod"));
            }
            _ => {
                return Err(VerifyError::MalformedSignature("unexpected content in Transform"));
            }
        }
    }
    Ok(prefixes.unwrap_or_default())
}

/// Checks the Transforms list; returns whether the enveloped-signature transform is applied and the
/// InclusiveNamespaces PrefixList of the exc-c14n transform.
fn check_transforms(transforms: &Element) -> Result<(bool, Vec<String>), VerifyError> {
    let list = ds_children(transforms)?;
    let mut algs = Vec::with_capacity(list.len());
    let mut inclusive = Vec::new();
    for t in &list {
        if t.local != "Transform" {
            return Err(VerifyError::MalformedSignature("Transforms may hold only Transform elements"));
        }
        let alg = algorithm_attr(t)?;
        match alg {
            ENVELOPED_SIGNATURE => {
                if !is_blank(t) {
                    return Err(VerifyError::MalformedSignature("unexpected content in Transform"));
                }
            }
            EXC_C14N => inclusive = check_exc_c14n_params(t, false)?,
            other => return Err(VerifyError::UnsupportedTransform(other.to_owned())),
        }
        algs.push(alg);
    }
    match algs.as_slice() {
        [ENVELOPED_SIGNATURE, EXC_C14N] => Ok((true, inclusive)),
        [EXC_C14N] => Ok((false, inclusive)),
        _ => Err(VerifyError::UnsupportedTransform(format!("sequence [{}]", algs.join(", ")))),
    }
}

fn signature_method(alg: &str, policy: &VerifyPolicy) -> Result<(MessageDigest, KeyType), VerifyError> {
    Ok(match alg {
        RSA_SHA256 => (MessageDigest::sha256(), KeyType::Rsa),
        RSA_SHA384 => (MessageDigest::sha384(), KeyType::Rsa),
        RSA_SHA512 => (MessageDigest::sha512(), KeyType::Rsa),
        ECDSA_SHA256 => (MessageDigest::sha256(), KeyType::Ec),
        ECDSA_SHA384 => (MessageDigest::sha384(), KeyType::Ec),
        RSA_SHA1 | ECDSA_SHA1 if policy.allow_sha1 => {
            (MessageDigest::sha1(), if alg == RSA_SHA1 { KeyType::Rsa } else { KeyType::Ec })
        }
        RSA_SHA1 | ECDSA_SHA1 => return Err(VerifyError::WeakAlgorithm(alg.to_owned())),
        // HMAC (the public certificate as a MAC key: xml-crypto), DSA, anything unknown.
        _ => return Err(VerifyError::UnsupportedSignatureMethod(alg.to_owned())),
    })
}

fn digest_method_of(alg: &str, policy: &VerifyPolicy) -> Result<MessageDigest, VerifyError> {
    Ok(match alg {
        DIGEST_SHA256 => MessageDigest::sha256(),
        DIGEST_SHA384 => MessageDigest::sha384(),
        DIGEST_SHA512 => MessageDigest::sha512(),
        DIGEST_SHA1 if policy.allow_sha1 || policy.allow_sha1_digest => MessageDigest::sha1(),
        DIGEST_SHA1 => return Err(VerifyError::WeakAlgorithm(alg.to_owned())),
        _ => return Err(VerifyError::UnsupportedDigestMethod(alg.to_owned())),
    })
}

/// Base64 with XML whitespace anywhere (line-wrapped values are common), otherwise strict.
fn decode_b64(text: &str, what: &'static str) -> Result<Vec<u8>, VerifyError> {
    let compact: Vec<u8> = text.bytes().filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')).collect();
    if compact.is_empty() {
        return Err(VerifyError::BadBase64(what));
    }
    B64.decode(&compact).map_err(|_| VerifyError::BadBase64(what))
}

/// Verifies `sig` over `data`. For ECDSA, XML-DSig carries `r || s` (each the size of the group
/// order), which is converted to DER for OpenSSL; any other length does not verify.
fn verify_with(key: &PKey<Public>, kt: KeyType, md: MessageDigest, sig: &[u8], data: &[u8]) -> bool {
    let der;
    let sig = match kt {
        KeyType::Rsa => sig,
        KeyType::Ec => {
            let Some(d) = ecdsa_raw_to_der(key, sig) else {
                return false;
            };
            der = d;
            &der
        }
    };
    let Ok(mut v) = Verifier::new(md, key) else {
        return false;
    };
    v.verify_oneshot(sig, data).unwrap_or(false)
}

fn ecdsa_raw_to_der(key: &PKey<Public>, raw: &[u8]) -> Option<Vec<u8>> {
    let ec = key.ec_key().ok()?;
    let mut order = BigNum::new().ok()?;
    let mut ctx = openssl::bn::BigNumContext::new().ok()?;
    ec.group().order(&mut order, &mut ctx).ok()?;
    let n = (order.num_bits() as usize).div_ceil(8);
    if raw.len() != 2 * n {
        return None;
    }
    let r = BigNum::from_slice(&raw[..n]).ok()?;
    let s = BigNum::from_slice(&raw[n..]).ok()?;
    EcdsaSig::from_private_components(r, s).ok()?.to_der().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::xml::{ReadLimits, XmlWriter, parse};

    fn c14n_str(xml: &str) -> String {
        let d = parse(xml.as_bytes(), &ReadLimits::default()).unwrap();
        let mut out = Vec::new();
        exc_c14n(&d.root, &mut out, None);
        String::from_utf8(out).unwrap()
    }

    fn round_trip(w: XmlWriter) {
        let s = w.finish().unwrap();
        assert_eq!(c14n_str(&s), s);
    }

    #[test]
    fn writer_output_round_trips() {
        let mut w = XmlWriter::new();
        w.start("samlp:Response").attr("ID", "_r").attr("Version", "2.0").attr("Destination", "https://x/?a=1&b=\"2\"");
        w.text_element("saml:Issuer", &[], "https://idp & <co> \r\n\t");
        w.start("saml:Assertion").attr("ID", "_a");
        w.start("saml:AttributeStatement").start("saml:Attribute").attr("Name", "n\t\n\r<&>");
        w.start("saml:AttributeValue").attr("xsi:type", "xs:string").text("</saml:AttributeValue><!-- ]]>");
        w.end().end().end();
        w.start("ds:Signature").start("ds:SignedInfo").attr("xml:lang", "en").end().end();
        w.end().end();
        round_trip(w);
    }

    #[test]
    fn nested_redeclarations_round_trip() {
        // A fresh writer redeclares `saml` on siblings; the c14n must do the same.
        let mut w = XmlWriter::new();
        w.start("samlp:LogoutRequest").attr("ID", "_l");
        w.text_element("saml:Issuer", &[], "a");
        w.text_element("saml:NameID", &[("Format", "f")], "b");
        w.start("samlp:Extensions").start("saml:Issuer").end().end();
        w.end();
        round_trip(w);
    }

    #[test]
    fn subtree_declares_its_own_namespaces_and_omits() {
        let xml = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:unused="urn:u" ID="_r"><saml:Assertion ID="_a"   Version="2.0"><saml:Issuer>i</saml:Issuer><ds:Signature><ds:SignedInfo/></ds:Signature><saml:Subject/></saml:Assertion></samlp:Response>"#;
        let d = parse(xml.as_bytes(), &ReadLimits::default()).unwrap();
        let a = d.root.elements().next().unwrap();
        let sig = a.elements().nth(1).unwrap();
        let mut out = Vec::new();
        exc_c14n(a, &mut out, Some(sig));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Version="2.0"><saml:Issuer>i</saml:Issuer><saml:Subject></saml:Subject></saml:Assertion>"#
        );
        // omit by byte span (a clone) works as well
        let clone = sig.clone();
        let mut out2 = Vec::new();
        exc_c14n(a, &mut out2, Some(&clone));
        assert!(!String::from_utf8(out2).unwrap().contains("Signature"));
        // SignedInfo alone carries xmlns:ds
        let si = sig.elements().next().unwrap();
        let mut out3 = Vec::new();
        exc_c14n(si, &mut out3, None);
        assert_eq!(out3, br#"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"></ds:SignedInfo>"#);
    }

    #[test]
    fn default_namespace_and_empty_default() {
        assert_eq!(
            c14n_str(r#"<a xmlns="urn:a" xmlns:p="urn:p"><b xmlns=""><c/></b><p:d p:x="1" y='2"'/><e/></a>"#),
            r#"<a xmlns="urn:a"><b xmlns=""><c></c></b><p:d xmlns:p="urn:p" y="2&quot;" p:x="1"></p:d><e></e></a>"#
        );
        // no xmlns="" at the apex when nothing was rendered
        assert_eq!(c14n_str(r#"<a><b xmlns=""/></a>"#), "<a><b></b></a>");
        // an attribute prefix bound to the same URI as the default is declared as a prefix
        assert_eq!(
            c14n_str(r#"<a xmlns="urn:a" xmlns:q="urn:a" q:k="v" b="1"/>"#),
            r#"<a xmlns="urn:a" xmlns:q="urn:a" b="1" q:k="v"></a>"#
        );
    }

    #[test]
    fn attributes_sort_by_namespace_uri_then_local_name() {
        assert_eq!(
            c14n_str(r#"<r xmlns:z="urn:a" xmlns:a="urn:z" a:x="1" z:y="2" b="3" xml:lang="en"/>"#),
            r#"<r xmlns:a="urn:z" xmlns:z="urn:a" b="3" xml:lang="en" z:y="2" a:x="1"></r>"#
        );
    }

    #[test]
    fn escaping_and_normalization() {
        assert_eq!(
            c14n_str("<a v=\"&#9;&#10;&#13;\tx&lt;&gt;&amp;&quot;\">&#13;\r\n&gt;&amp;<![CDATA[<]]><!-- c --></a>"),
            "<a v=\"&#x9;&#xA;&#xD; x&lt;>&amp;&quot;\">&#xD;\n&gt;&amp;&lt;</a>"
        );
    }

    #[test]
    fn inclusive_prefixes_are_rendered_where_in_scope() {
        let xml =
            r#"<r xmlns:xsd="urn:xsd" xmlns:a="urn:a"><a:s><t v="xsd:string"><u xmlns:xsd="urn:other"/></t></a:s></r>"#;
        let d = parse(xml.as_bytes(), &ReadLimits::default()).unwrap();
        let s_el = d.root.elements().next().unwrap();
        let ancestors = ancestor_decls(&d.root, s_el);
        let mut out = Vec::new();
        exc_c14n_inclusive(s_el, &mut out, None, &["xsd"], &ancestors);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<a:s xmlns:a="urn:a" xmlns:xsd="urn:xsd"><t v="xsd:string"><u xmlns:xsd="urn:other"></u></t></a:s>"#
        );
        // Without the PrefixList the prefix used only in a value disappears.
        let mut out = Vec::new();
        exc_c14n(s_el, &mut out, None);
        assert!(!String::from_utf8(out).unwrap().contains("urn:xsd"));
        // #default: the in-scope default namespace is rendered on the apex.
        let d = parse(br#"<r xmlns="urn:d"><p:s xmlns:p="urn:p"/></r>"#, &ReadLimits::default()).unwrap();
        let s_el = d.root.elements().next().unwrap();
        let mut out = Vec::new();
        exc_c14n_inclusive(s_el, &mut out, None, &[""], &ancestor_decls(&d.root, s_el));
        assert_eq!(String::from_utf8(out).unwrap(), r#"<p:s xmlns="urn:d" xmlns:p="urn:p"></p:s>"#);
    }

    #[test]
    fn writer_output_with_an_inclusive_prefix_round_trips() {
        let mut w = XmlWriter::new();
        w.start("saml:Assertion").declare_inclusive("xsd").attr("ID", "_a");
        w.start("saml:AttributeValue").attr("xsi:type", "xsd:string").text("v").end();
        w.end();
        let s = w.finish().unwrap();
        assert!(s.starts_with(r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ID="_a">"#));
        let d = parse(s.as_bytes(), &ReadLimits::default()).unwrap();
        let mut out = Vec::new();
        exc_c14n_inclusive(&d.root, &mut out, None, &["xsd"], &[]);
        assert_eq!(String::from_utf8(out).unwrap(), s);
    }

    #[test]
    fn comments_are_dropped() {
        assert_eq!(c14n_str("<a>admin<!---->@x<!-- y --><b/></a>"), "<a>admin@x<b></b></a>");
    }
}
