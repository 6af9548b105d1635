//! SAML metadata: the IdP metadata samlgate publishes (`IDP Metadata.xml`) and the SP metadata it imports.
//!
//! Output is written only with [`XmlWriter`] (never templates). Input is read only with the strict reader
//! ([`crate::saml::xml::parse`]) and then checked field by field: every endpoint URL is an absolute https
//! URL without userinfo (lesson 11), a KeyDescriptor without `use` counts for signing *and* encryption
//! (Keycloak CVE-2026-16443), and `AuthnRequestsSigned="true"` without a signing certificate is refused
//! (lesson 7: fail closed).
//!
//! A metadata document that carries an enveloped signature (Huawei's does) must verify with a trusted
//! certificate — one whose SHA-256 fingerprint the caller pins ([`SpParseOptions::trusted_signers`]) —
//! or it is refused; unsigned metadata is accepted as the operator's choice and marked as such
//! ([`MetadataSignature::Unsigned`]). SHA-1 as the *digest* of a metadata signature is accepted here,
//! and nowhere else: Huawei signs its SP metadata with RSA-SHA256 over a SHA-1 digest. The signature
//! method must still be SHA-256 or better, and the signer is pinned, so a forgery would need a
//! second preimage of Huawei's own document under SHA-1, not a collision an attacker could prepare.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use openssl::asn1::Asn1Time;
use openssl::nid::Nid;
use openssl::x509::X509;
use serde::{Deserialize, Serialize};

use crate::saml::verify::{VerifyPolicy, verify_enveloped};
use crate::saml::xml::{self, Element, ReadLimits, XmlReadError, XmlWriteError, XmlWriter, ns};
use crate::util::{fingerprint_hex, sha256_fingerprint};

pub use crate::saml::urn::{BINDING_POST, BINDING_REDIRECT, NAMEID_TRANSIENT, PROTOCOL_SAML2};

/// Default cap for imported SP metadata.
pub const DEFAULT_SP_METADATA_MAX_BYTES: usize = 512 * 1024;

/// Certificates expiring within this many days get a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;

/// An endpoint of an SP (AssertionConsumerService, SingleLogoutService, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Binding URI, e.g. `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST`.
    pub binding: String,
    pub location: String,
    /// `ResponseLocation`, for SingleLogoutService.
    pub response_location: Option<String>,
    /// `index`, for AssertionConsumerService.
    pub index: Option<u16>,
    pub is_default: bool,
}

/// What samlgate keeps of an imported SP metadata file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpMetadata {
    pub entity_id: String,
    pub acs: Vec<Endpoint>,
    pub slo: Vec<Endpoint>,
    /// DER certificates usable to verify the SP's signatures (KeyDescriptor use="signing" or no `use`).
    pub signing_certs: Vec<Vec<u8>>,
    /// DER certificates for encryption (KeyDescriptor use="encryption" or no `use`).
    pub encryption_certs: Vec<Vec<u8>>,
    pub authn_requests_signed: bool,
    pub want_assertions_signed: bool,
    pub name_id_formats: Vec<String>,
    /// `validUntil` of the EntityDescriptor, if any (RFC 3339 text as found).
    pub valid_until: Option<String>,
    /// Non-fatal findings (expired certificate, missing NameIDFormat …) to show to the admin.
    pub warnings: Vec<String>,
    /// Whether the document was signed, and by whom its signature was verified.
    #[serde(default)]
    pub signature: MetadataSignature,
}

/// The signature status of an imported metadata document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MetadataSignature {
    /// The document carries no signature: accepted because the operator chose the file or URL.
    #[default]
    Unsigned,
    /// The enveloped signature verified with a pinned certificate.
    Verified {
        /// SignatureMethod and DigestMethod URIs.
        algorithm: String,
        digest: String,
        /// Subject of the signing certificate and its SHA-256 fingerprint (`AA:BB:…`).
        signer: String,
        signer_sha256: String,
        /// `notAfter` of the signing certificate, as OpenSSL prints it.
        signer_not_after: String,
    },
}

impl MetadataSignature {
    /// One line for `sp list` and the admin pages.
    pub fn describe(&self) -> String {
        match self {
            MetadataSignature::Unsigned => "unsigned (no signature to check; imported as the operator's choice)".into(),
            MetadataSignature::Verified { algorithm, digest, signer, signer_sha256, .. } => {
                let short = |u: &str| u.rsplit(['#', '/']).next().unwrap_or(u).to_owned();
                format!(
                    "verified ({} over a {} digest) by pinned certificate {signer}, SHA-256 {signer_sha256}",
                    short(algorithm),
                    short(digest)
                )
            }
        }
    }
}

impl SpMetadata {
    /// The ACS to use when a request names none: the first marked `isDefault="true"`, else the first
    /// listed.
    pub fn default_acs(&self) -> Option<&Endpoint> {
        self.acs.iter().find(|e| e.is_default).or_else(|| self.acs.first())
    }

    /// The ACS with this index.
    pub fn acs_by_index(&self, index: u16) -> Option<&Endpoint> {
        self.acs.iter().find(|e| e.index == Some(index))
    }

    /// The ACS whose Location is exactly `url` (byte-for-byte, as registered) and, when given, whose
    /// Binding is `binding`.
    pub fn acs_by_url(&self, url: &str, binding: Option<&str>) -> Option<&Endpoint> {
        self.acs.iter().find(|e| e.location == url && binding.is_none_or(|b| b == e.binding))
    }

    /// The first SingleLogoutService with this binding.
    pub fn slo_for_binding(&self, binding: &str) -> Option<&Endpoint> {
        self.slo.iter().find(|e| e.binding == binding)
    }
}

// ---------------------------------------------------------------------------------------------------
// Writing

/// Adds line breaks and indentation around element content (whitespace in element-only content is
/// insignificant to every metadata consumer and makes the file readable for the admin uploading it).
struct Pretty {
    w: XmlWriter,
    /// For each open element: whether it got a child element (so its end tag goes on its own line).
    open: Vec<bool>,
}

impl Pretty {
    fn new() -> Self {
        Pretty { w: XmlWriter::document(), open: Vec::new() }
    }

    fn indent(&mut self, depth: usize) {
        let mut s = String::with_capacity(1 + 2 * depth);
        s.push('\n');
        for _ in 0..depth {
            s.push_str("  ");
        }
        self.w.text(&s);
    }

    fn start(&mut self, qname: &str) -> &mut XmlWriter {
        if let Some(had) = self.open.last_mut() {
            *had = true;
            let depth = self.open.len();
            self.indent(depth);
        }
        self.open.push(false);
        self.w.start(qname)
    }

    fn end(&mut self) {
        if self.open.pop() == Some(true) {
            let depth = self.open.len();
            self.indent(depth);
        }
        self.w.end();
    }

    fn leaf(&mut self, qname: &str, attrs: &[(&str, &str)]) {
        let w = self.start(qname);
        for (k, v) in attrs {
            w.attr(k, v);
        }
        self.end();
    }

    fn text_leaf(&mut self, qname: &str, text: &str) {
        self.start(qname);
        self.w.text(text);
        self.end();
    }

    fn key_descriptor(&mut self, usage: &str, cert_der: &[u8]) {
        self.start("md:KeyDescriptor").attr("use", usage);
        self.start("ds:KeyInfo");
        self.start("ds:X509Data");
        self.text_leaf("ds:X509Certificate", &B64.encode(cert_der));
        self.end();
        self.end();
        self.end();
    }

    fn finish(self) -> Result<String, XmlWriteError> {
        let mut out = self.w.finish()?;
        out.push('\n');
        Ok(out)
    }
}

/// What goes into samlgate's `IDP Metadata.xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadataParams {
    /// The IdP entityID (Huawei requires an `https://` domain-style identifier).
    pub entity_id: String,
    pub sso_redirect_url: String,
    pub sso_post_url: String,
    pub slo_redirect_url: String,
    /// DER certificates; the first is the current key, a second one is the next key published ahead
    /// of a rollover. Each is published as a signing and as an encryption KeyDescriptor.
    pub signing_certs_der: Vec<Vec<u8>>,
    /// Optional `validUntil` (xs:dateTime) of the EntityDescriptor.
    pub valid_until: Option<String>,
}

/// Writes `IDP Metadata.xml` in the shape Huawei's partner documentation shows (docs/huawei-partner-sso.md §3),
/// in schema order: KeyDescriptors, SingleLogoutService, NameIDFormat, SingleSignOnService.
/// Contains public certificates only.
pub fn idp_metadata_xml(p: &IdpMetadataParams) -> Result<String, XmlWriteError> {
    if p.signing_certs_der.is_empty() {
        return Err(XmlWriteError::Misuse("IdP metadata needs at least one signing certificate"));
    }
    let mut w = Pretty::new();
    w.start("md:EntityDescriptor").attr("entityID", &p.entity_id).attr_opt("validUntil", p.valid_until.as_deref());
    w.start("md:IDPSSODescriptor")
        .attr("WantAuthnRequestsSigned", "true")
        .attr("protocolSupportEnumeration", PROTOCOL_SAML2);
    for cert in &p.signing_certs_der {
        w.key_descriptor("signing", cert);
        w.key_descriptor("encryption", cert);
    }
    w.leaf("md:SingleLogoutService", &[("Binding", BINDING_REDIRECT), ("Location", &p.slo_redirect_url)]);
    w.text_leaf("md:NameIDFormat", NAMEID_TRANSIENT);
    w.leaf("md:SingleSignOnService", &[("Binding", BINDING_REDIRECT), ("Location", &p.sso_redirect_url)]);
    w.leaf("md:SingleSignOnService", &[("Binding", BINDING_POST), ("Location", &p.sso_post_url)]);
    w.end();
    w.end();
    w.finish()
}

/// What goes into an SP metadata file shaped like Huawei's (docs/huawei-partner-sso.md §4). Used for the
/// bundled stand-in file and by the mock SP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpMetadataParams {
    pub entity_id: String,
    /// AssertionConsumerService (HTTP-POST, index 0, isDefault).
    pub acs_post_url: String,
    /// SingleLogoutService (HTTP-Redirect) Location.
    pub slo_redirect_url: String,
    /// ResponseLocation of the HTTP-Redirect SingleLogoutService; empty = none.
    pub slo_redirect_response_url: String,
    /// An additional HTTP-POST SingleLogoutService.
    pub slo_post_url: Option<String>,
    /// Published as a signing and as an encryption KeyDescriptor.
    pub signing_cert_der: Vec<u8>,
    pub authn_requests_signed: bool,
    pub want_assertions_signed: bool,
}

/// Writes SP metadata: KeyDescriptor signing + encryption, SingleLogoutService Redirect (with
/// ResponseLocation) and POST, NameIDFormat transient, AssertionConsumerService HTTP-POST index 0.
pub fn sp_metadata_xml(p: &SpMetadataParams) -> Result<String, XmlWriteError> {
    let b = |v: bool| if v { "true" } else { "false" };
    let mut w = Pretty::new();
    w.start("md:EntityDescriptor").attr("entityID", &p.entity_id);
    w.start("md:SPSSODescriptor")
        .attr("AuthnRequestsSigned", b(p.authn_requests_signed))
        .attr("WantAssertionsSigned", b(p.want_assertions_signed))
        .attr("protocolSupportEnumeration", PROTOCOL_SAML2);
    w.key_descriptor("signing", &p.signing_cert_der);
    w.key_descriptor("encryption", &p.signing_cert_der);
    {
        let s = w.start("md:SingleLogoutService");
        s.attr("Binding", BINDING_REDIRECT).attr("Location", &p.slo_redirect_url);
        if !p.slo_redirect_response_url.is_empty() {
            s.attr("ResponseLocation", &p.slo_redirect_response_url);
        }
        w.end();
    }
    if let Some(post) = &p.slo_post_url {
        w.leaf("md:SingleLogoutService", &[("Binding", BINDING_POST), ("Location", post)]);
    }
    w.text_leaf("md:NameIDFormat", NAMEID_TRANSIENT);
    w.leaf(
        "md:AssertionConsumerService",
        &[("Binding", BINDING_POST), ("Location", &p.acs_post_url), ("index", "0"), ("isDefault", "true")],
    );
    w.end();
    w.end();
    w.finish()
}

// ---------------------------------------------------------------------------------------------------
// Reading

/// How SP metadata is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpParseOptions {
    /// Accept `http://` endpoint URLs (local trials only).
    pub allow_http: bool,
    /// "Now", for certificate expiry warnings (seconds since the Unix epoch).
    pub now_unix: i64,
    /// Size cap (default 512 KiB).
    pub max_bytes: usize,
    /// SHA-256 fingerprints of the certificates trusted to sign metadata. A signed document must
    /// verify with one of them (taken from the signature's KeyInfo or the document's KeyDescriptors,
    /// and used only because its fingerprint is pinned here).
    pub trusted_signers: Vec<[u8; 32]>,
}

impl Default for SpParseOptions {
    fn default() -> Self {
        SpParseOptions {
            allow_http: false,
            now_unix: crate::util::now_unix(),
            max_bytes: DEFAULT_SP_METADATA_MAX_BYTES,
            trusted_signers: Vec::new(),
        }
    }
}

/// Why SP metadata was refused. Each message names the element or attribute and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("SP metadata is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("SP metadata refused by the XML reader: {0}")]
    Xml(#[from] XmlReadError),
    #[error(
        "root element is <{found}>; expected md:EntityDescriptor (or md:EntitiesDescriptor holding exactly one) in namespace {}",
        ns::MD
    )]
    WrongRoot { found: String },
    #[error("md:EntitiesDescriptor holds {count} md:EntityDescriptor elements; exactly one is accepted")]
    EntityCount { count: usize },
    #[error("md:EntityDescriptor has no entityID attribute (or it is empty)")]
    MissingEntityId,
    #[error("md:EntityDescriptor@entityID `{value}` refused: {reason}")]
    BadEntityId { value: String, reason: String },
    #[error("no md:SPSSODescriptor whose protocolSupportEnumeration includes {PROTOCOL_SAML2}")]
    NoSpSsoDescriptor,
    #[error("{count} md:SPSSODescriptor elements support SAML 2.0; exactly one is accepted")]
    MultipleSpSsoDescriptors { count: usize },
    #[error("no md:AssertionConsumerService in md:SPSSODescriptor")]
    NoAcs,
    #[error("{element} has no {attribute} attribute")]
    MissingAttribute { element: String, attribute: String },
    #[error("{element}@{attribute} `{value}` refused: {reason}")]
    BadAttribute { element: String, attribute: String, value: String, reason: String },
    #[error("{element}@{attribute} `{value}` refused: {reason}")]
    BadUrl { element: String, attribute: String, value: String, reason: String },
    #[error("md:AssertionConsumerService index {index} occurs more than once")]
    DuplicateAcsIndex { index: u16 },
    #[error("{element} refused: {reason}")]
    BadKeyDescriptor { element: String, reason: String },
    #[error("{element} is not valid base64: {reason}")]
    BadCertBase64 { element: String, reason: String },
    #[error("{element} is not a parsable X.509 certificate: {reason}")]
    BadCert { element: String, reason: String },
    #[error(
        "md:SPSSODescriptor@AuthnRequestsSigned is true but there is no signing certificate (md:KeyDescriptor use=\"signing\" or without use)"
    )]
    SigningCertMissing,
    #[error("metadata signature refused: {message}")]
    Signature { reason: &'static str, message: String },
    #[error(
        "metadata signature cannot be checked: it is signed by {signer} (SHA-256 {fingerprint}), which is not a trusted metadata signer; if you trust it, add \"{fingerprint}\" to huawei.sp_metadata_signers, or import an unsigned copy"
    )]
    UntrustedSigner { signer: String, fingerprint: String },
}

impl MetadataError {
    /// Short stable code naming the failed check.
    pub fn reason(&self) -> &'static str {
        match self {
            MetadataError::TooLarge { .. } => "too_large",
            MetadataError::Xml(e) => e.reason(),
            MetadataError::Signature { reason, .. } => reason,
            MetadataError::UntrustedSigner { .. } => "untrusted_signer",
            _ => "bad_metadata",
        }
    }
}

/// Reads and checks SP metadata with the strict reader. See the module documentation for the rules.
pub fn parse_sp_metadata(bytes: &[u8], opts: &SpParseOptions) -> Result<SpMetadata, MetadataError> {
    if bytes.len() > opts.max_bytes {
        return Err(MetadataError::TooLarge { size: bytes.len(), limit: opts.max_bytes });
    }
    let limits = ReadLimits { max_bytes: opts.max_bytes, ..ReadLimits::default() };
    let doc = xml::parse(bytes, &limits)?;

    let entity = entity_descriptor(&doc.root)?;
    let signature = check_signature(&doc.root, entity, &opts.trusted_signers)?;
    let entity_id = match entity.attr("entityID") {
        Some(v) if !v.is_empty() => v.to_owned(),
        _ => return Err(MetadataError::MissingEntityId),
    };
    if entity_id.len() > 1024 {
        return Err(MetadataError::BadEntityId {
            value: truncate(&entity_id),
            reason: "longer than 1024 characters".into(),
        });
    }
    if entity_id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(MetadataError::BadEntityId {
            value: truncate(&entity_id),
            reason: "contains whitespace or control characters".into(),
        });
    }

    let mut warnings = Vec::new();
    let valid_until = entity.attr("validUntil").map(str::to_owned);
    if let Some(vu) = &valid_until {
        match time::OffsetDateTime::parse(vu, &time::format_description::well_known::Rfc3339) {
            Ok(t) if t.unix_timestamp() < opts.now_unix => {
                warnings.push(format!("md:EntityDescriptor@validUntil {vu} is in the past; re-fetch the metadata"))
            }
            Ok(_) => {}
            Err(_) => {
                return Err(MetadataError::BadAttribute {
                    element: "md:EntityDescriptor".into(),
                    attribute: "validUntil".into(),
                    value: truncate(vu),
                    reason: "not an xs:dateTime with time zone".into(),
                });
            }
        }
    }

    let sp = sp_sso_descriptor(entity)?;
    let authn_requests_signed = xs_bool(sp, "md:SPSSODescriptor", "AuthnRequestsSigned")?;
    let want_assertions_signed = xs_bool(sp, "md:SPSSODescriptor", "WantAssertionsSigned")?;

    let mut signing_certs: Vec<Vec<u8>> = Vec::new();
    let mut encryption_certs: Vec<Vec<u8>> = Vec::new();
    for (i, kd) in sp.children_named(ns::MD, "KeyDescriptor").enumerate() {
        let name = format!("md:KeyDescriptor[{}]", i + 1);
        let (signing, encryption) = match kd.attr("use") {
            None => (true, true),
            Some("signing") => (true, false),
            Some("encryption") => (false, true),
            Some(other) => {
                return Err(MetadataError::BadAttribute {
                    element: name,
                    attribute: "use".into(),
                    value: truncate(other),
                    reason: "must be `signing` or `encryption`".into(),
                });
            }
        };
        let usage = match (signing, encryption) {
            (true, true) => "signing and encryption",
            (true, false) => "signing",
            _ => "encryption",
        };
        for der in key_descriptor_certs(kd, &name)? {
            cert_warnings(&der, usage, opts.now_unix, &mut warnings);
            if signing && !signing_certs.contains(&der) {
                signing_certs.push(der.clone());
            }
            if encryption && !encryption_certs.contains(&der) {
                encryption_certs.push(der);
            }
        }
    }

    let mut acs: Vec<Endpoint> = Vec::new();
    for (i, e) in sp.children_named(ns::MD, "AssertionConsumerService").enumerate() {
        let name = format!("md:AssertionConsumerService[{}]", i + 1);
        let ep = endpoint(e, &name, true, opts)?;
        if let Some(idx) = ep.index
            && acs.iter().any(|a| a.index == Some(idx))
        {
            return Err(MetadataError::DuplicateAcsIndex { index: idx });
        }
        acs.push(ep);
    }
    if acs.is_empty() {
        return Err(MetadataError::NoAcs);
    }
    if acs.iter().filter(|a| a.is_default).count() > 1 {
        warnings.push("more than one md:AssertionConsumerService has isDefault=\"true\"; the first is used".into());
    }

    let mut slo = Vec::new();
    for (i, e) in sp.children_named(ns::MD, "SingleLogoutService").enumerate() {
        slo.push(endpoint(e, &format!("md:SingleLogoutService[{}]", i + 1), false, opts)?);
    }

    let name_id_formats: Vec<String> = sp
        .children_named(ns::MD, "NameIDFormat")
        .map(|e| e.text().trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();

    if authn_requests_signed && signing_certs.is_empty() {
        return Err(MetadataError::SigningCertMissing);
    }
    if signing_certs.is_empty() {
        warnings.push("no signing certificate: signed requests from this SP cannot be verified".into());
    }

    Ok(SpMetadata {
        entity_id,
        acs,
        slo,
        signing_certs,
        encryption_certs,
        authn_requests_signed,
        want_assertions_signed,
        name_id_formats,
        valid_until,
        warnings,
        signature,
    })
}

/// The signature check of a metadata document (see the module documentation). Only the root element
/// (or, inside an EntitiesDescriptor, the one EntityDescriptor) may be signed; a `ds:Signature`
/// anywhere else is refused rather than ignored.
fn check_signature(root: &Element, entity: &Element, trusted: &[[u8; 32]]) -> Result<MetadataSignature, MetadataError> {
    let refuse = |reason: &'static str, message: String| MetadataError::Signature { reason, message };
    let signed: Vec<&Element> = [root, entity]
        .into_iter()
        .enumerate()
        .filter(|(i, e)| *i == 0 || !std::ptr::eq(*e, root))
        .map(|(_, e)| e)
        .filter(|e| e.children_named(ns::DS, "Signature").next().is_some())
        .collect();
    let allowed =
        |sig: &Element| signed.iter().any(|s| s.children_named(ns::DS, "Signature").any(|c| std::ptr::eq(c, sig)));
    if let Some(stray) = find_signatures(root).into_iter().find(|s| !allowed(s)) {
        return Err(refuse(
            "signature_position",
            format!(
                "a ds:Signature at byte {} is not a child of the md:EntityDescriptor (or md:EntitiesDescriptor); only the whole document can be signed",
                stray.start
            ),
        ));
    }
    let target = match signed.as_slice() {
        [] => return Ok(MetadataSignature::Unsigned),
        [one] => *one,
        _ => {
            return Err(refuse(
                "multiple_signatures",
                "both md:EntitiesDescriptor and md:EntityDescriptor are signed; exactly one signature is accepted"
                    .into(),
            ));
        }
    };

    // Candidate certificates: the signature's KeyInfo and the document's KeyDescriptors — used only
    // when their fingerprint is pinned. The message never chooses its own key (lesson 8).
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    let mut shown: Option<Vec<u8>> = None;
    for sig in target.children_named(ns::DS, "Signature") {
        for c in descendants_named(sig, ns::DS, "X509Certificate") {
            if let Some(der) = cert_der(c) {
                shown.get_or_insert_with(|| der.clone());
                candidates.push(der);
            }
        }
    }
    for c in descendants_named(entity, ns::DS, "X509Certificate") {
        if let Some(der) = cert_der(c) {
            candidates.push(der);
        }
    }
    let mut pinned: Vec<(X509, Vec<u8>)> = Vec::new();
    for der in candidates {
        if trusted.contains(&sha256_fingerprint(&der))
            && !pinned.iter().any(|(_, d)| *d == der)
            && let Ok(cert) = X509::from_der(&der)
        {
            pinned.push((cert, der));
        }
    }
    if pinned.is_empty() {
        let (signer, fingerprint) = match shown.as_deref().and_then(|d| X509::from_der(d).ok().map(|c| (c, d))) {
            Some((cert, der)) => (subject_label(&cert), fingerprint_hex(&sha256_fingerprint(der))),
            None => ("an unnamed certificate (no X509Certificate in its KeyInfo)".into(), "unknown".into()),
        };
        return Err(MetadataError::UntrustedSigner { signer, fingerprint });
    }
    let certs: Vec<X509> = pinned.iter().map(|(c, _)| c.clone()).collect();
    let policy = VerifyPolicy { allow_sha1: false, allow_sha1_digest: true };
    let verified = verify_enveloped(root, target, &certs, &policy)
        .map_err(|e| refuse(e.reason(), format!("{e} ({})", e.reason())))?;
    let (cert, der) = &pinned[verified.cert_index];
    let digest = target
        .children_named(ns::DS, "Signature")
        .next()
        .and_then(|s| descendants_named(s, ns::DS, "DigestMethod").into_iter().next())
        .and_then(|d| d.attr("Algorithm"))
        .unwrap_or("")
        .to_owned();
    Ok(MetadataSignature::Verified {
        algorithm: verified.algorithm.clone(),
        digest,
        signer: subject_label(cert),
        signer_sha256: fingerprint_hex(&sha256_fingerprint(der)),
        signer_not_after: cert.not_after().to_string(),
    })
}

fn find_signatures(el: &Element) -> Vec<&Element> {
    descendants_named(el, ns::DS, "Signature")
}

/// Every descendant (not `el` itself) named `{ns}local`, in document order.
fn descendants_named<'a>(el: &'a Element, ns_uri: &str, local: &str) -> Vec<&'a Element> {
    let mut out = Vec::new();
    fn walk<'a>(e: &'a Element, ns_uri: &str, local: &str, out: &mut Vec<&'a Element>) {
        for c in e.elements() {
            if c.is(ns_uri, local) {
                out.push(c);
            }
            walk(c, ns_uri, local, out);
        }
    }
    walk(el, ns_uri, local, &mut out);
    out
}

fn cert_der(c: &Element) -> Option<Vec<u8>> {
    let text: Vec<u8> = c.text().bytes().filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')).collect();
    B64.decode(&text).ok()
}

/// Facts about a certificate for `sp list` and the admin pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    pub subject: String,
    /// e.g. `RSA 4096`, `EC 256`.
    pub key: String,
    pub sha256: String,
    pub not_after: String,
    /// Whole days from `now` to `notAfter` (negative once expired).
    pub days_left: i64,
}

/// Summarizes a DER certificate; `None` when it does not parse.
pub fn cert_summary(der: &[u8], now_unix: i64) -> Option<CertSummary> {
    let cert = X509::from_der(der).ok()?;
    let pk = cert.public_key().ok()?;
    let kind = match pk.id() {
        openssl::pkey::Id::RSA => "RSA",
        openssl::pkey::Id::EC => "EC",
        openssl::pkey::Id::ED25519 => "Ed25519",
        _ => "other",
    };
    let now = Asn1Time::from_unix(now_unix as _).ok()?;
    let days_left = now.diff(cert.not_after()).map(|d| i64::from(d.days)).ok()?;
    Some(CertSummary {
        subject: subject_label(&cert),
        key: format!("{kind} {}", pk.bits()),
        sha256: fingerprint_hex(&sha256_fingerprint(der)),
        not_after: cert.not_after().to_string(),
        days_left,
    })
}

fn truncate(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX { s.to_owned() } else { s.chars().take(MAX).collect::<String>() + "…" }
}

fn entity_descriptor(root: &Element) -> Result<&Element, MetadataError> {
    if root.is(ns::MD, "EntityDescriptor") {
        return Ok(root);
    }
    if root.is(ns::MD, "EntitiesDescriptor") {
        let all: Vec<&Element> = root.children_named(ns::MD, "EntityDescriptor").collect();
        return match all.as_slice() {
            [one] => Ok(one),
            _ => Err(MetadataError::EntityCount { count: all.len() }),
        };
    }
    let found = match &root.ns {
        Some(u) => format!("{} (namespace {u})", root.qname()),
        None => format!("{} (no namespace)", root.qname()),
    };
    Err(MetadataError::WrongRoot { found })
}

fn sp_sso_descriptor(entity: &Element) -> Result<&Element, MetadataError> {
    let all: Vec<&Element> = entity
        .children_named(ns::MD, "SPSSODescriptor")
        .filter(|e| {
            e.attr("protocolSupportEnumeration").is_some_and(|p| p.split_whitespace().any(|u| u == PROTOCOL_SAML2))
        })
        .collect();
    match all.as_slice() {
        [one] => Ok(one),
        [] => Err(MetadataError::NoSpSsoDescriptor),
        _ => Err(MetadataError::MultipleSpSsoDescriptors { count: all.len() }),
    }
}

/// An optional xs:boolean attribute (`true`, `false`, `1`, `0`), default false.
fn xs_bool(e: &Element, element: &str, attribute: &str) -> Result<bool, MetadataError> {
    match e.attr(attribute).map(str::trim) {
        None => Ok(false),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(MetadataError::BadAttribute {
            element: element.into(),
            attribute: attribute.into(),
            value: truncate(other),
            reason: "not an xs:boolean (true, false, 1, 0)".into(),
        }),
    }
}

/// The DER certificates of a KeyDescriptor (ds:KeyInfo/ds:X509Data/ds:X509Certificate).
fn key_descriptor_certs(kd: &Element, name: &str) -> Result<Vec<Vec<u8>>, MetadataError> {
    let key_info = kd
        .only_child(ns::DS, "KeyInfo")?
        .ok_or_else(|| MetadataError::BadKeyDescriptor { element: name.to_owned(), reason: "no ds:KeyInfo".into() })?;
    let mut out = Vec::new();
    for data in key_info.children_named(ns::DS, "X509Data") {
        for c in data.children_named(ns::DS, "X509Certificate") {
            let element = format!("{name}/ds:KeyInfo/ds:X509Data/ds:X509Certificate");
            let text: Vec<u8> = c.text().bytes().filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')).collect();
            if text.is_empty() {
                return Err(MetadataError::BadCertBase64 { element, reason: "empty".into() });
            }
            let der = B64
                .decode(&text)
                .map_err(|e| MetadataError::BadCertBase64 { element: element.clone(), reason: e.to_string() })?;
            let cert = X509::from_der(&der)
                .map_err(|e| MetadataError::BadCert { element: element.clone(), reason: openssl_reason(&e) })?;
            match cert.to_der() {
                Ok(re) if re == der => {}
                _ => {
                    return Err(MetadataError::BadCert {
                        element,
                        reason: "trailing data after the certificate or non-DER encoding".into(),
                    });
                }
            }
            out.push(der);
        }
    }
    if out.is_empty() {
        return Err(MetadataError::BadKeyDescriptor {
            element: name.to_owned(),
            reason: "no ds:X509Data/ds:X509Certificate (only X.509 certificates are supported)".into(),
        });
    }
    Ok(out)
}

fn openssl_reason(e: &openssl::error::ErrorStack) -> String {
    let s = e.to_string();
    if s.is_empty() { "malformed DER".into() } else { s }
}

/// Subject CN (or the whole subject) for messages.
fn subject_label(cert: &X509) -> String {
    let name = cert.subject_name();
    if let Some(cn) = name.entries_by_nid(Nid::COMMONNAME).next()
        && let Ok(s) = cn.data().to_string()
    {
        return format!("CN={s}");
    }
    let parts: Vec<String> = name
        .entries()
        .filter_map(|e| {
            let key = e.object().nid().short_name().ok()?;
            Some(format!("{key}={}", e.data().to_string().ok()?))
        })
        .collect();
    if parts.is_empty() { "(empty subject)".into() } else { parts.join(", ") }
}

/// Warnings for an expired, soon-expiring or not-yet-valid certificate.
fn cert_warnings(der: &[u8], usage: &str, now_unix: i64, warnings: &mut Vec<String>) {
    let (Ok(cert), Ok(now)) = (X509::from_der(der), Asn1Time::from_unix(now_unix as _)) else {
        return;
    };
    let who = subject_label(&cert);
    let not_after = cert.not_after();
    match now.diff(not_after) {
        Ok(d) => {
            let secs_left = i64::from(d.days) * 86_400 + i64::from(d.secs);
            if secs_left < 0 {
                warnings.push(format!("{usage} certificate {who} expired on {not_after}"));
            } else if secs_left < EXPIRY_WARNING_DAYS * 86_400 {
                warnings.push(format!("{usage} certificate {who} expires on {not_after} (in {} days)", d.days));
            }
        }
        Err(_) => warnings.push(format!("{usage} certificate {who}: cannot read its expiry date")),
    }
    if let Ok(d) = now.diff(cert.not_before())
        && i64::from(d.days) * 86_400 + i64::from(d.secs) > 0
    {
        warnings.push(format!("{usage} certificate {who} is not valid before {}", cert.not_before()));
    }
}

/// Reads an AssertionConsumerService (`indexed`) or SingleLogoutService.
fn endpoint(e: &Element, name: &str, indexed: bool, opts: &SpParseOptions) -> Result<Endpoint, MetadataError> {
    let required = |attribute: &str| -> Result<String, MetadataError> {
        match e.attr(attribute) {
            Some(v) if !v.is_empty() => Ok(v.to_owned()),
            _ => Err(MetadataError::MissingAttribute { element: name.to_owned(), attribute: attribute.to_owned() }),
        }
    };
    let binding = required("Binding")?;
    if binding.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(MetadataError::BadAttribute {
            element: name.to_owned(),
            attribute: "Binding".into(),
            value: truncate(&binding),
            reason: "contains whitespace or control characters".into(),
        });
    }
    let location = required("Location")?;
    crate::util::url::metadata_endpoint(&location, opts.allow_http).map_err(|reason| MetadataError::BadUrl {
        element: name.to_owned(),
        attribute: "Location".into(),
        value: truncate(&location),
        reason,
    })?;
    let response_location = match e.attr("ResponseLocation") {
        None => None,
        Some(r) => {
            crate::util::url::metadata_endpoint(r, opts.allow_http).map_err(|reason| MetadataError::BadUrl {
                element: name.to_owned(),
                attribute: "ResponseLocation".into(),
                value: truncate(r),
                reason,
            })?;
            Some(r.to_owned())
        }
    };
    let (index, is_default) = if indexed {
        let raw = required("index")?;
        let index = raw.trim().parse::<u16>().map_err(|_| MetadataError::BadAttribute {
            element: name.to_owned(),
            attribute: "index".into(),
            value: truncate(&raw),
            reason: "not an xs:unsignedShort (0–65535)".into(),
        })?;
        (Some(index), xs_bool(e, name, "isDefault")?)
    } else {
        (None, false)
    };
    Ok(Endpoint { binding, location, response_location, index, is_default })
}
