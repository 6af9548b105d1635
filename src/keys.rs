//! IdP key material: generation (self-signed or CA-signed), loading, import and inspection.
//!
//! Everything here goes through OpenSSL (the `openssl` crate). Private keys are written as PEM
//! PKCS#8 (encrypted with AES-256-CBC when a passphrase is given) into files created with mode
//! 0600 — the mode is set at creation, never by a later chmod, so there is no window in which the
//! key is readable by others. Files are written to a temporary sibling and renamed into place, so
//! a crash never leaves a half-written key or certificate behind.
//!
//! [`rollover`] keeps a next and a previous key beside the current one for a zero-downtime key change.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine as _;
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{Id, PKey, PKeyRef, Private};
use openssl::rsa::Rsa;
use openssl::symm::Cipher;
use openssl::x509::extension::{AuthorityKeyIdentifier, BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509Builder, X509NameBuilder, X509NameRef, X509Ref};

pub mod rollover;

/// Errors from key generation, loading and import. Every message names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} already exists (use overwrite / --force to replace it)")]
    Exists { path: PathBuf },
    #[error("{path}: not a readable PEM {what}: {reason}")]
    BadPem { path: PathBuf, what: &'static str, reason: String },
    #[error("{path}: cannot read PKCS#12 file (wrong password or damaged file): {reason}")]
    Pkcs12 { path: PathBuf, reason: String },
    #[error("{path}: no private key found (give the key file, or a PKCS#12 file that contains the key)")]
    MissingKey { path: PathBuf },
    #[error("private key {key} does not match the certificate {cert} (public keys differ)")]
    KeyMismatch { key: PathBuf, cert: PathBuf },
    #[error("{path}: RSA key of {bits} bits is too weak (at least 2048 bits required)")]
    WeakKey { path: PathBuf, bits: u32 },
    #[error("{path}: unsupported key type {kind} (RSA >= 2048 bits or ECDSA P-256/P-384/P-521 required)")]
    UnsupportedKey { path: PathBuf, kind: String },
    #[error(
        "{path}: certificate is signed with {algorithm}, which is not accepted (SHA-1/MD5 are broken; use SHA-256 or better)"
    )]
    WeakSignature { path: PathBuf, algorithm: String },
    #[error("{path}: certificate expired on {not_after}")]
    Expired { path: PathBuf, not_after: String },
    #[error("{path}: certificate is not valid before {not_before}")]
    NotYetValid { path: PathBuf, not_before: String },
    #[error("{path}: private key file is readable by group or others (mode {mode:o}); run `chmod 600 {path}`")]
    InsecureMode { path: PathBuf, mode: u32 },
    #[error("unknown key algorithm {0:?} (expected rsa2048, rsa3072, rsa4096 or ecdsa-p256)")]
    UnknownAlgorithm(String),
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// The key directory's rollover state and its files do not agree (see [`rollover`]).
    #[error("{0}")]
    Rollover(String),
    #[error("OpenSSL failed while {context}: {source}")]
    Openssl {
        context: &'static str,
        #[source]
        source: ErrorStack,
    },
}

fn ossl(context: &'static str) -> impl FnOnce(ErrorStack) -> KeyError {
    move |source| KeyError::Openssl { context, source }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.to_path_buf(), source }
}

/// Key algorithm for generated keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyAlgorithm {
    #[default]
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcdsaP256,
}

impl KeyAlgorithm {
    fn rsa_bits(self) -> Option<u32> {
        match self {
            KeyAlgorithm::Rsa2048 => Some(2048),
            KeyAlgorithm::Rsa3072 => Some(3072),
            KeyAlgorithm::Rsa4096 => Some(4096),
            KeyAlgorithm::EcdsaP256 => None,
        }
    }

    fn generate_key(self) -> Result<PKey<Private>, KeyError> {
        match self.rsa_bits() {
            Some(bits) => {
                let rsa = Rsa::generate(bits).map_err(ossl("generating an RSA key"))?;
                PKey::from_rsa(rsa).map_err(ossl("wrapping an RSA key"))
            }
            None => {
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(ossl("loading curve P-256"))?;
                let ec = EcKey::generate(&group).map_err(ossl("generating an EC key"))?;
                PKey::from_ec_key(ec).map_err(ossl("wrapping an EC key"))
            }
        }
    }
}

impl KeyAlgorithm {
    /// The algorithm to make another key like `key` with: RSA of the same size (2048, 3072 or 4096;
    /// other sizes round up, at most 4096), ECDSA P-256 for any EC key.
    pub fn like<T: openssl::pkey::HasPublic>(key: &PKeyRef<T>) -> KeyAlgorithm {
        match key.id() {
            Id::EC => KeyAlgorithm::EcdsaP256,
            _ if key.bits() <= 2048 => KeyAlgorithm::Rsa2048,
            _ if key.bits() <= 3072 => KeyAlgorithm::Rsa3072,
            _ => KeyAlgorithm::Rsa4096,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyAlgorithm::Rsa2048 => "rsa2048",
            KeyAlgorithm::Rsa3072 => "rsa3072",
            KeyAlgorithm::Rsa4096 => "rsa4096",
            KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
        })
    }
}

impl FromStr for KeyAlgorithm {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rsa2048" | "rsa-2048" | "rsa" => Ok(KeyAlgorithm::Rsa2048),
            "rsa3072" | "rsa-3072" => Ok(KeyAlgorithm::Rsa3072),
            "rsa4096" | "rsa-4096" => Ok(KeyAlgorithm::Rsa4096),
            "ecdsa-p256" | "ecdsap256" | "p256" | "ec" => Ok(KeyAlgorithm::EcdsaP256),
            _ => Err(KeyError::UnknownAlgorithm(s.to_string())),
        }
    }
}

/// What `generate` should make.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub algorithm: KeyAlgorithm,
    pub subject_cn: String,
    /// Validity of the generated certificate(s), in days.
    pub days: u32,
    /// `Some` = make a CA key + CA certificate and sign the IdP certificate with it.
    pub ca: Option<CaOptions>,
    /// Encrypt the IdP private key (PKCS#8, AES-256-CBC) with this passphrase.
    pub key_passphrase: Option<String>,
}

/// Options for the CA variant of `generate`.
#[derive(Debug, Clone)]
pub struct CaOptions {
    /// Encrypt the CA private key (PKCS#8, AES-256-CBC) with this passphrase.
    pub ca_passphrase: Option<String>,
    pub ca_subject_cn: String,
}

/// Where the key files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPaths {
    pub key: PathBuf,
    pub cert: PathBuf,
    pub ca_key: PathBuf,
    pub ca_cert: PathBuf,
    pub chain: PathBuf,
}

impl KeyPaths {
    /// The default layout under `dir`: `certs/idp.key`, `certs/idp.crt`, `certs/ca.key`,
    /// `certs/ca.crt`, `certs/chain.pem`.
    pub fn in_dir(dir: &Path) -> Self {
        let certs = dir.join("certs");
        KeyPaths {
            key: certs.join("idp.key"),
            cert: certs.join("idp.crt"),
            ca_key: certs.join("ca.key"),
            ca_cert: certs.join("ca.crt"),
            chain: certs.join("chain.pem"),
        }
    }
}

/// What `generate` produced.
#[derive(Debug, Clone)]
pub struct GeneratedInfo {
    /// The IdP certificate.
    pub cert: CertInfo,
    /// The CA certificate, when one was made.
    pub ca: Option<CertInfo>,
    /// Every file written, in order.
    pub files: Vec<PathBuf>,
}

impl fmt::Display for GeneratedInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Wrote:")?;
        for p in &self.files {
            writeln!(f, "  {}", p.display())?;
        }
        if let Some(ca) = &self.ca {
            writeln!(f, "CA certificate:")?;
            writeln!(f, "{ca}")?;
            writeln!(f, "IdP certificate:")?;
        }
        write!(f, "{}", self.cert)
    }
}

/// Generate an IdP key and certificate (and optionally a CA) and write them to `paths`.
///
/// Refuses to replace existing files unless `overwrite` is set.
pub fn generate(paths: &KeyPaths, opts: &GenerateOptions, overwrite: bool) -> Result<GeneratedInfo, KeyError> {
    if opts.subject_cn.trim().is_empty() {
        return Err(KeyError::InvalidOption("subject CN must not be empty".into()));
    }
    if opts.days == 0 {
        return Err(KeyError::InvalidOption("validity days must be at least 1".into()));
    }
    let mut targets = vec![&paths.key, &paths.cert];
    if opts.ca.is_some() {
        targets.extend([&paths.ca_key, &paths.ca_cert, &paths.chain]);
    }
    if !overwrite && let Some(existing) = targets.iter().find(|p| p.exists()) {
        return Err(KeyError::Exists { path: existing.to_path_buf() });
    }

    let key = opts.algorithm.generate_key()?;
    let mut files = Vec::new();
    let (cert, ca_info) = match &opts.ca {
        None => {
            let cert = build_cert(&opts.subject_cn, &key, None, opts.days, CertKind::SelfSignedLeaf)?;
            (cert, None)
        }
        Some(ca) => {
            if ca.ca_subject_cn.trim().is_empty() {
                return Err(KeyError::InvalidOption("CA subject CN must not be empty".into()));
            }
            // The CA key is RSA of the same size (like `openssl genrsa -aes256`), or P-256 for ECDSA.
            let ca_key = opts.algorithm.generate_key()?;
            let ca_cert = build_cert(&ca.ca_subject_cn, &ca_key, None, opts.days, CertKind::Ca)?;
            let cert =
                build_cert(&opts.subject_cn, &key, Some((&ca_cert, &ca_key)), opts.days, CertKind::CaSignedLeaf)?;
            write_private_key(&paths.ca_key, &ca_key, ca.ca_passphrase.as_deref())?;
            files.push(paths.ca_key.clone());
            let ca_pem = ca_cert.to_pem().map_err(ossl("encoding the CA certificate"))?;
            write_public_file(&paths.ca_cert, &ca_pem)?;
            files.push(paths.ca_cert.clone());
            write_public_file(&paths.chain, &ca_pem)?;
            files.push(paths.chain.clone());
            (cert, Some(cert_info(&ca_cert)))
        }
    };
    write_private_key(&paths.key, &key, opts.key_passphrase.as_deref())?;
    files.push(paths.key.clone());
    let pem = cert.to_pem().map_err(ossl("encoding the certificate"))?;
    write_public_file(&paths.cert, &pem)?;
    files.push(paths.cert.clone());
    Ok(GeneratedInfo { cert: cert_info(&cert), ca: ca_info, files })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CertKind {
    SelfSignedLeaf,
    Ca,
    CaSignedLeaf,
}

fn build_cert(
    cn: &str,
    key: &PKeyRef<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    days: u32,
    kind: CertKind,
) -> Result<X509, KeyError> {
    let e = ossl("building a certificate");
    let mut name = X509NameBuilder::new().map_err(ossl("building a name"))?;
    name.append_entry_by_nid(Nid::COMMONNAME, cn).map_err(|source| KeyError::Openssl {
        context: "setting the subject CN (too long or invalid characters?)",
        source,
    })?;
    let name = name.build();

    let mut b = X509Builder::new().map_err(ossl("building a certificate"))?;
    b.set_version(2).map_err(ossl("setting the version"))?;
    // Random positive 128-bit serial (17 DER content bytes with the sign byte; RFC 5280 allows 20).
    let mut serial = BigNum::new().map_err(ossl("making a serial"))?;
    serial.rand(128, MsbOption::ONE, false).map_err(ossl("making a random serial"))?;
    let serial = serial.to_asn1_integer().map_err(ossl("encoding the serial"))?;
    b.set_serial_number(&serial).map_err(ossl("setting the serial"))?;
    b.set_subject_name(&name).map_err(ossl("setting the subject"))?;
    let issuer_name: &X509NameRef = match issuer {
        Some((ca_cert, _)) => ca_cert.subject_name(),
        None => &name,
    };
    b.set_issuer_name(issuer_name).map_err(ossl("setting the issuer"))?;
    let not_before = Asn1Time::days_from_now(0).map_err(ossl("setting notBefore"))?;
    let not_after = Asn1Time::days_from_now(days).map_err(ossl("setting notAfter"))?;
    b.set_not_before(&not_before).map_err(ossl("setting notBefore"))?;
    b.set_not_after(&not_after).map_err(ossl("setting notAfter"))?;
    b.set_pubkey(key).map_err(ossl("setting the public key"))?;

    let ext = match kind {
        CertKind::Ca => (
            BasicConstraints::new().critical().ca().build(),
            KeyUsage::new().critical().key_cert_sign().crl_sign().build(),
        ),
        CertKind::SelfSignedLeaf => {
            (BasicConstraints::new().build(), KeyUsage::new().critical().digital_signature().key_encipherment().build())
        }
        CertKind::CaSignedLeaf => {
            (BasicConstraints::new().build(), KeyUsage::new().critical().digital_signature().build())
        }
    };
    b.append_extension(ext.0.map_err(ossl("building basicConstraints"))?).map_err(ossl("adding basicConstraints"))?;
    b.append_extension(ext.1.map_err(ossl("building keyUsage"))?).map_err(ossl("adding keyUsage"))?;
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None))
        .map_err(ossl("building subjectKeyIdentifier"))?;
    b.append_extension(ski).map_err(ossl("adding subjectKeyIdentifier"))?;
    if let Some((ca_cert, _)) = issuer {
        let aki = AuthorityKeyIdentifier::new()
            .keyid(false)
            .build(&b.x509v3_context(Some(ca_cert), None))
            .map_err(ossl("building authorityKeyIdentifier"))?;
        b.append_extension(aki).map_err(ossl("adding authorityKeyIdentifier"))?;
    }
    let signer: &PKeyRef<Private> = match issuer {
        Some((_, ca_key)) => ca_key,
        None => key,
    };
    b.sign(signer, MessageDigest::sha256()).map_err(e)?;
    Ok(b.build())
}

/// PEM PKCS#8, encrypted with AES-256-CBC when a passphrase is given.
fn private_key_pem(key: &PKeyRef<Private>, passphrase: Option<&str>) -> Result<Vec<u8>, KeyError> {
    match passphrase {
        Some(p) if !p.is_empty() => key
            .private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), p.as_bytes())
            .map_err(ossl("encrypting the private key")),
        Some(_) => Err(KeyError::InvalidOption("key passphrase must not be empty".into())),
        None => key.private_key_to_pem_pkcs8().map_err(ossl("encoding the private key")),
    }
}

fn write_private_key(path: &Path, key: &PKeyRef<Private>, passphrase: Option<&str>) -> Result<(), KeyError> {
    let pem = private_key_pem(key, passphrase)?;
    write_atomic(path, &pem, 0o600)
}

fn write_public_file(path: &Path, data: &[u8]) -> Result<(), KeyError> {
    write_atomic(path, data, 0o644)
}

fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), KeyError> {
    crate::util::fs::write_atomic(path, data, mode).map_err(|source| KeyError::Io { path: path.to_path_buf(), source })
}

/// Refuse a private key file that group or others can read (unix only; a no-op elsewhere).
pub fn check_private_key_file_mode(path: &Path) -> Result<(), KeyError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(path).map_err(io_err(path))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::InsecureMode { path: path.to_path_buf(), mode });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The IdP signing key and certificate, loaded and checked to belong together.
#[derive(Clone)]
pub struct IdpKeys {
    pub pkey: PKey<Private>,
    pub cert: X509,
    pub cert_der: Vec<u8>,
    /// Further certificates (intermediates / CA), leaf excluded.
    pub chain: Vec<X509>,
}

impl fmt::Debug for IdpKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpKeys")
            .field("cert", &cert_info(&self.cert).subject)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl IdpKeys {
    /// Load a PEM private key (PKCS#8 or traditional, encrypted when `passphrase` is given) and a
    /// PEM certificate file. Extra certificates after the first in the cert file become `chain`.
    /// Fails when the key does not match the certificate. The file mode is not checked here; call
    /// [`check_private_key_file_mode`] where that policy applies.
    pub fn load(key: &Path, cert: &Path, passphrase: Option<&str>) -> Result<Self, KeyError> {
        let pkey = read_private_key(key, passphrase)?;
        let mut certs = read_certs(cert)?;
        let leaf = certs.remove(0);
        ensure_key_matches(&leaf, &pkey, key, cert)?;
        let cert_der = leaf.to_der().map_err(ossl("encoding the certificate"))?;
        Ok(IdpKeys { pkey, cert: leaf, cert_der, chain: certs })
    }

    /// Like [`IdpKeys::load`] on `paths.key` / `paths.cert`, and also reads `paths.chain` when it
    /// exists.
    pub fn load_paths(paths: &KeyPaths, passphrase: Option<&str>) -> Result<Self, KeyError> {
        let mut keys = Self::load(&paths.key, &paths.cert, passphrase)?;
        if paths.chain.exists() {
            keys.chain.extend(read_certs(&paths.chain)?);
        }
        Ok(keys)
    }

    /// The certificate as base64 DER without PEM armour (for `ds:X509Certificate`).
    pub fn cert_b64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.cert_der)
    }

    /// Details of the certificate.
    pub fn info(&self) -> CertInfo {
        cert_info(&self.cert)
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    fs::read(path).map_err(io_err(path))
}

fn read_private_key(path: &Path, passphrase: Option<&str>) -> Result<PKey<Private>, KeyError> {
    let data = read_file(path)?;
    parse_private_key(path, &data, passphrase)
}

fn parse_private_key(path: &Path, data: &[u8], passphrase: Option<&str>) -> Result<PKey<Private>, KeyError> {
    let bad = |reason: String| KeyError::BadPem { path: path.to_path_buf(), what: "private key", reason };
    if !contains(data, b"PRIVATE KEY-----") {
        // DER PKCS#8 as a fallback (unencrypted only).
        return PKey::private_key_from_der(data)
            .map_err(|_| bad("no \"-----BEGIN ... PRIVATE KEY-----\" block found".into()));
    }
    let encrypted = contains(data, b"ENCRYPTED") || contains(data, b"Proc-Type: 4,ENCRYPTED");
    // Always pass a passphrase so OpenSSL never prompts on a terminal.
    let pass = passphrase.unwrap_or("");
    PKey::private_key_from_pem_passphrase(data, pass.as_bytes()).map_err(|e| {
        if encrypted && passphrase.is_none() {
            bad("the key is encrypted and no passphrase was given".into())
        } else if encrypted {
            bad(format!("wrong passphrase or damaged key ({e})"))
        } else {
            bad(e.to_string())
        }
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// All certificates in a PEM (or single DER) file; at least one.
fn read_certs(path: &Path) -> Result<Vec<X509>, KeyError> {
    let data = read_file(path)?;
    let bad = |reason: String| KeyError::BadPem { path: path.to_path_buf(), what: "certificate", reason };
    if contains(&data, b"-----BEGIN CERTIFICATE-----") {
        let certs = X509::stack_from_pem(&data).map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no certificate in file".into()));
        }
        Ok(certs)
    } else {
        X509::from_der(&data).map(|c| vec![c]).map_err(|_| bad("no \"-----BEGIN CERTIFICATE-----\" block found".into()))
    }
}

fn ensure_key_matches(
    cert: &X509Ref,
    key: &PKeyRef<Private>,
    key_path: &Path,
    cert_path: &Path,
) -> Result<(), KeyError> {
    let matches = cert.public_key().map(|pubkey| pubkey.public_eq(key)).unwrap_or(false);
    if matches {
        Ok(())
    } else {
        Err(KeyError::KeyMismatch { key: key_path.to_path_buf(), cert: cert_path.to_path_buf() })
    }
}

fn check_key_strength(path: &Path, key: &PKeyRef<Private>) -> Result<(), KeyError> {
    match key.id() {
        Id::RSA => {
            let bits = key.bits();
            if bits < 2048 {
                return Err(KeyError::WeakKey { path: path.to_path_buf(), bits });
            }
            Ok(())
        }
        Id::EC if key.bits() >= 256 => Ok(()),
        _ => Err(KeyError::UnsupportedKey { path: path.to_path_buf(), kind: describe_key(key) }),
    }
}

fn check_cert_acceptable(path: &Path, cert: &X509Ref) -> Result<(), KeyError> {
    let nid = cert.signature_algorithm().object().nid();
    let digest = nid.signature_algorithms().map(|s| s.digest);
    let weak = matches!(digest, Some(d) if d == Nid::SHA1 || d == Nid::MD5 || d == Nid::MD4 || d == Nid::MD2)
        || [
            Nid::SHA1WITHRSAENCRYPTION,
            Nid::SHA1WITHRSA,
            Nid::MD5WITHRSAENCRYPTION,
            Nid::MD5WITHRSA,
            Nid::ECDSA_WITH_SHA1,
            Nid::DSAWITHSHA1,
        ]
        .contains(&nid);
    if weak {
        return Err(KeyError::WeakSignature { path: path.to_path_buf(), algorithm: nid_name(nid) });
    }
    let now = Asn1Time::days_from_now(0).map_err(ossl("reading the clock"))?;
    if cert.not_after() < now {
        return Err(KeyError::Expired { path: path.to_path_buf(), not_after: asn1_rfc3339(cert.not_after()) });
    }
    if cert.not_before() > now {
        return Err(KeyError::NotYetValid { path: path.to_path_buf(), not_before: asn1_rfc3339(cert.not_before()) });
    }
    Ok(())
}

fn is_pkcs12_path(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref(), Some("p12" | "pfx"))
}

/// Loads OpenSSL's legacy provider (keeping the default one) for old PKCS#12 ciphers. Returns
/// whether it is available. Loaded once per process and kept.
fn load_legacy_provider() -> bool {
    use openssl::provider::Provider;
    use std::sync::OnceLock;
    static LEGACY: OnceLock<Option<Provider>> = OnceLock::new();
    LEGACY.get_or_init(|| Provider::try_load(None, "legacy", true).ok()).is_some()
}

/// Import an existing certificate and key (e.g. from a commercial CA) into `paths`.
///
/// `cert_file` is a PEM certificate (leaf first; further certificates become the chain), or a
/// PKCS#12 file when it ends in `.p12`/`.pfx` (the key and CA certificates are taken from it).
/// `key_file` is the PEM private key; when absent, the key is looked for in `cert_file` itself.
/// `pkcs12_password` opens the PKCS#12 file, or an encrypted PEM key.
///
/// Refuses a key that does not match the certificate, an RSA key under 2048 bits, a SHA-1/MD5
/// signed certificate, an expired or not-yet-valid certificate and unreadable input. Nothing is
/// written unless every check passes. The key is written unencrypted (PKCS#8, mode 0600) to
/// `paths.key`, the leaf certificate to `paths.cert`, the chain (if any) to `paths.chain`.
pub fn import(
    paths: &KeyPaths,
    cert_file: &Path,
    key_file: Option<&Path>,
    chain_file: Option<&Path>,
    pkcs12_password: Option<&str>,
) -> Result<CertInfo, KeyError> {
    let (key, key_path, cert, mut chain) = if is_pkcs12_path(cert_file) {
        let der = read_file(cert_file)?;
        let p12_err = |reason: String| KeyError::Pkcs12 { path: cert_file.to_path_buf(), reason };
        let p12 = Pkcs12::from_der(&der).map_err(|e| p12_err(e.to_string()))?;
        let password = pkcs12_password.unwrap_or("");
        let parsed = match p12.parse2(password) {
            Ok(parsed) => parsed,
            // Files exported with older tools (Windows, many CAs: RC2-40 / 3DES) need OpenSSL 3's
            // legacy provider; load it on demand and try once more.
            Err(first) if load_legacy_provider() => p12
                .parse2(password)
                .map_err(|e| p12_err(format!("{e} (first attempt, without the legacy provider: {first})")))?,
            Err(e) => return Err(p12_err(e.to_string())),
        };
        let cert = parsed.cert.ok_or_else(|| p12_err("no certificate inside".into()))?;
        let chain: Vec<X509> = parsed.ca.map(|s| s.into_iter().collect()).unwrap_or_default();
        let (key, key_path) = match (key_file, parsed.pkey) {
            (Some(kf), _) => (read_private_key(kf, pkcs12_password)?, kf.to_path_buf()),
            (None, Some(k)) => (k, cert_file.to_path_buf()),
            (None, None) => {
                return Err(KeyError::MissingKey { path: cert_file.to_path_buf() });
            }
        };
        (key, key_path, cert, chain)
    } else {
        let mut certs = read_certs(cert_file)?;
        let cert = certs.remove(0);
        let key_path = key_file.unwrap_or(cert_file);
        let data = read_file(key_path)?;
        if key_file.is_none() && !contains(&data, b"PRIVATE KEY-----") {
            return Err(KeyError::MissingKey { path: cert_file.to_path_buf() });
        }
        let key = parse_private_key(key_path, &data, pkcs12_password)?;
        (key, key_path.to_path_buf(), cert, certs)
    };
    if let Some(cf) = chain_file {
        chain.extend(read_certs(cf)?);
    }

    check_key_strength(&key_path, &key)?;
    ensure_key_matches(&cert, &key, &key_path, cert_file)?;
    check_cert_acceptable(cert_file, &cert)?;

    let cert_pem = cert.to_pem().map_err(ossl("encoding the certificate"))?;
    let mut chain_pem = Vec::new();
    for c in &chain {
        chain_pem.extend(c.to_pem().map_err(ossl("encoding a chain certificate"))?);
    }
    write_private_key(&paths.key, &key, None)?;
    write_public_file(&paths.cert, &cert_pem)?;
    if !chain.is_empty() {
        write_public_file(&paths.chain, &chain_pem)?;
    }
    Ok(cert_info(&cert))
}

/// Human-readable facts about a certificate (`samlgate keys show`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// e.g. `CN=idp.example.com, O=Example`
    pub subject: String,
    pub issuer: String,
    /// Serial number, upper-case hex.
    pub serial_hex: String,
    /// SHA-256 of the DER, colon-separated upper-case hex.
    pub sha256_fingerprint: String,
    /// RFC 3339 (UTC).
    pub not_before: String,
    /// RFC 3339 (UTC).
    pub not_after: String,
    /// Whole days until notAfter (negative when expired).
    pub days_left: i64,
    /// e.g. `RSA 2048`, `ECDSA P-256`.
    pub key_description: String,
    /// e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
}

/// Collect [`CertInfo`] for a certificate. Never fails: unreadable parts become `?`.
pub fn cert_info(cert: &X509) -> CertInfo {
    let serial_hex = cert
        .serial_number()
        .to_bn()
        .and_then(|bn| bn.to_hex_str().map(|s| s.to_string()))
        .unwrap_or_else(|_| "?".into());
    let sha256_fingerprint = cert.digest(MessageDigest::sha256()).map(|d| colon_hex(&d)).unwrap_or_else(|_| "?".into());
    let days_left = Asn1Time::days_from_now(0)
        .ok()
        .and_then(|now| now.diff(cert.not_after()).ok())
        .map(|d| d.days as i64)
        .unwrap_or(0);
    let key_description = cert.public_key().map(|k| describe_key(&k)).unwrap_or_else(|_| "?".into());
    CertInfo {
        subject: name_to_string(cert.subject_name()),
        issuer: name_to_string(cert.issuer_name()),
        serial_hex,
        sha256_fingerprint,
        not_before: asn1_rfc3339(cert.not_before()),
        not_after: asn1_rfc3339(cert.not_after()),
        days_left,
        key_description,
        signature_algorithm: nid_name(cert.signature_algorithm().object().nid()),
    }
}

impl fmt::Display for CertInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Subject:             {}", self.subject)?;
        writeln!(f, "Issuer:              {}", self.issuer)?;
        writeln!(f, "Serial:              {}", self.serial_hex)?;
        writeln!(f, "SHA-256 fingerprint: {}", self.sha256_fingerprint)?;
        writeln!(f, "Not before:          {}", self.not_before)?;
        writeln!(f, "Not after:           {}", self.not_after)?;
        let left = if self.days_left < 0 {
            format!("expired {} days ago", -self.days_left)
        } else {
            format!("{}", self.days_left)
        };
        writeln!(f, "Days left:           {left}")?;
        writeln!(f, "Key:                 {}", self.key_description)?;
        write!(f, "Signature algorithm: {}", self.signature_algorithm)
    }
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn nid_name(nid: Nid) -> String {
    nid.long_name()
        .or_else(|_| nid.short_name())
        .map(str::to_string)
        .unwrap_or_else(|_| format!("unknown (nid {})", nid.as_raw()))
}

fn name_to_string(name: &X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_else(|_| "?".into());
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_key<T: openssl::pkey::HasPublic>(key: &PKeyRef<T>) -> String {
    match key.id() {
        Id::RSA => format!("RSA {}", key.bits()),
        Id::EC => {
            let curve = key
                .ec_key()
                .ok()
                .and_then(|ec| ec.group().curve_name())
                .map(|nid| match nid {
                    Nid::X9_62_PRIME256V1 => "P-256".to_string(),
                    Nid::SECP384R1 => "P-384".to_string(),
                    Nid::SECP521R1 => "P-521".to_string(),
                    other => nid_name(other),
                })
                .unwrap_or_else(|| "unknown curve".into());
            format!("ECDSA {curve}")
        }
        Id::ED25519 => "Ed25519".into(),
        Id::DSA => format!("DSA {}", key.bits()),
        other => format!("key type {}", other.as_raw()),
    }
}

/// A certificate's notAfter in Unix seconds.
pub fn not_after_unix(cert: &X509Ref) -> Option<i64> {
    asn1_unix(cert.not_after())
}

/// A certificate's notBefore in Unix seconds.
pub fn not_before_unix(cert: &X509Ref) -> Option<i64> {
    asn1_unix(cert.not_before())
}

/// Unix seconds of an ASN.1 time (via a diff against the epoch: no string parsing).
fn asn1_unix(t: &Asn1TimeRef) -> Option<i64> {
    let epoch = Asn1Time::from_unix(0).ok()?;
    let d = epoch.diff(t).ok()?;
    Some(d.days as i64 * 86_400 + d.secs as i64)
}

fn asn1_rfc3339(t: &Asn1TimeRef) -> String {
    asn1_unix(t)
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|dt| dt.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_round_trip() {
        for a in [KeyAlgorithm::Rsa2048, KeyAlgorithm::Rsa3072, KeyAlgorithm::Rsa4096, KeyAlgorithm::EcdsaP256] {
            assert_eq!(a.to_string().parse::<KeyAlgorithm>().unwrap(), a);
        }
        assert!(matches!("dsa".parse::<KeyAlgorithm>(), Err(KeyError::UnknownAlgorithm(_))));
    }

    #[test]
    fn rfc3339_of_epoch() {
        let t = Asn1Time::from_unix(86_400 + 61).unwrap();
        assert_eq!(asn1_rfc3339(&t), "1970-01-02T00:01:01Z");
    }

    #[test]
    fn colon_hex_upper() {
        assert_eq!(colon_hex(&[0xab, 0x01]), "AB:01");
    }
}
