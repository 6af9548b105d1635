//! Key generation, loading and import, checked with the `openssl` command-line tool.

use std::path::{Path, PathBuf};
use std::process::Command;

use samlgate::keys::{self, CaOptions, GenerateOptions, IdpKeys, KeyAlgorithm, KeyError, KeyPaths};

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command-line tool must be installed")
}

/// Runs openssl and asserts success; returns stdout.
fn openssl_ok(args: &[&str], dir: &Path) -> String {
    let out = openssl(args, dir);
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn opts(algorithm: KeyAlgorithm, ca: Option<CaOptions>) -> GenerateOptions {
    GenerateOptions { algorithm, subject_cn: "idp.example.test".into(), days: 3650, ca, key_passphrase: None }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn check_self_signed(algorithm: KeyAlgorithm, expect_key: &str) {
    let dir = tempfile::tempdir().unwrap();
    let paths = KeyPaths::in_dir(dir.path());
    let info = keys::generate(&paths, &opts(algorithm, None), false).unwrap();
    assert_eq!(info.cert.key_description, expect_key);
    assert_eq!(info.files, vec![paths.key.clone(), paths.cert.clone()]);
    assert!(info.ca.is_none());
    #[cfg(unix)]
    assert_eq!(mode(&paths.key), 0o600);
    keys::check_private_key_file_mode(&paths.key).unwrap();

    let out = openssl_ok(&["verify", "-CAfile", s(&paths.cert), s(&paths.cert)], dir.path());
    assert!(out.contains(": OK"), "{out}");
    let text = openssl_ok(&["x509", "-in", s(&paths.cert), "-noout", "-text"], dir.path());
    assert!(text.contains("Version: 3"), "{text}");
    assert!(text.contains("ecdsa-with-SHA256") || text.contains("sha256WithRSAEncryption"));
    assert!(text.contains("Digital Signature"), "{text}");
    assert!(text.contains("Subject Key Identifier"), "{text}");
    assert!(text.contains("CA:FALSE"), "{text}");
    // The key file is PKCS#8 and openssl reads it.
    let key_pem = std::fs::read_to_string(&paths.key).unwrap();
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{key_pem}");
    openssl_ok(&["pkey", "-in", s(&paths.key), "-noout"], dir.path());

    let loaded = IdpKeys::load(&paths.key, &paths.cert, None).unwrap();
    assert!(loaded.chain.is_empty());
    let b64 = loaded.cert_b64();
    assert!(!b64.contains('\n') && !b64.contains("BEGIN"));
    // days_left is computed at call time and may tick over between the two calls.
    let mut shown = loaded.info();
    assert!((info.cert.days_left - shown.days_left).abs() <= 1);
    shown.days_left = info.cert.days_left;
    assert_eq!(shown, info.cert);
}

#[test]
fn self_signed_rsa2048() {
    check_self_signed(KeyAlgorithm::Rsa2048, "RSA 2048");
}

#[test]
fn self_signed_rsa3072() {
    check_self_signed(KeyAlgorithm::Rsa3072, "RSA 3072");
}

#[test]
fn self_signed_rsa4096() {
    check_self_signed(KeyAlgorithm::Rsa4096, "RSA 4096");
}

#[test]
fn self_signed_ecdsa_p256() {
    check_self_signed(KeyAlgorithm::EcdsaP256, "ECDSA P-256");
}

#[test]
fn algorithm_names() {
    for (name, a) in [
        ("rsa2048", KeyAlgorithm::Rsa2048),
        ("rsa3072", KeyAlgorithm::Rsa3072),
        ("rsa4096", KeyAlgorithm::Rsa4096),
        ("ecdsa-p256", KeyAlgorithm::EcdsaP256),
    ] {
        assert_eq!(name.parse::<KeyAlgorithm>().unwrap(), a);
        assert_eq!(a.to_string(), name);
    }
    assert!(matches!("rsa1024".parse::<KeyAlgorithm>(), Err(KeyError::UnknownAlgorithm(_))));
}

#[test]
fn ca_chain_with_encrypted_ca_key() {
    let dir = tempfile::tempdir().unwrap();
    let paths = KeyPaths::in_dir(dir.path());
    let ca = CaOptions { ca_passphrase: Some("s3cret pass".into()), ca_subject_cn: "Example Test CA".into() };
    let info = keys::generate(&paths, &opts(KeyAlgorithm::Rsa2048, Some(ca)), false).unwrap();
    let ca_info = info.ca.clone().unwrap();
    assert_eq!(ca_info.subject, "CN=Example Test CA");
    assert_eq!(info.cert.issuer, "CN=Example Test CA");
    assert_eq!(info.cert.subject, "CN=idp.example.test");
    for p in [&paths.key, &paths.cert, &paths.ca_key, &paths.ca_cert, &paths.chain] {
        assert!(p.exists(), "{} missing", p.display());
    }
    #[cfg(unix)]
    {
        assert_eq!(mode(&paths.key), 0o600);
        assert_eq!(mode(&paths.ca_key), 0o600);
    }

    let out = openssl_ok(&["verify", "-CAfile", s(&paths.ca_cert), s(&paths.cert)], dir.path());
    assert!(out.contains(": OK"), "{out}");
    let out = openssl_ok(&["verify", "-CAfile", s(&paths.chain), s(&paths.cert)], dir.path());
    assert!(out.contains(": OK"), "{out}");
    // The leaf alone is not a trust anchor for itself.
    assert!(!openssl(&["verify", "-CAfile", s(&paths.cert), s(&paths.cert)], dir.path()).status.success());

    let ca_text = openssl_ok(&["x509", "-in", s(&paths.ca_cert), "-noout", "-text"], dir.path());
    assert!(ca_text.contains("CA:TRUE"), "{ca_text}");
    assert!(ca_text.contains("Certificate Sign, CRL Sign"), "{ca_text}");
    let leaf_text = openssl_ok(&["x509", "-in", s(&paths.cert), "-noout", "-text"], dir.path());
    assert!(leaf_text.contains("CA:FALSE"), "{leaf_text}");
    assert!(leaf_text.contains("Authority Key Identifier"), "{leaf_text}");

    // Encrypted CA key: AES-256 PKCS#8, opens only with the passphrase.
    let ca_pem = std::fs::read_to_string(&paths.ca_key).unwrap();
    assert!(ca_pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    openssl_ok(&["pkey", "-in", s(&paths.ca_key), "-passin", "pass:s3cret pass", "-noout"], dir.path());
    assert!(
        !openssl(&["pkey", "-in", s(&paths.ca_key), "-passin", "pass:wrong", "-noout"], dir.path()).status.success()
    );
    let asn1 = openssl_ok(&["asn1parse", "-in", s(&paths.ca_key)], dir.path());
    assert!(asn1.contains("aes-256-cbc"), "{asn1}");

    // Loading with the chain file.
    let loaded = IdpKeys::load_paths(&paths, None).unwrap();
    assert_eq!(loaded.chain.len(), 1);
}

#[test]
fn encrypted_idp_key_loads_with_passphrase_only() {
    let dir = tempfile::tempdir().unwrap();
    let paths = KeyPaths::in_dir(dir.path());
    let mut o = opts(KeyAlgorithm::EcdsaP256, None);
    o.key_passphrase = Some("kp".into());
    keys::generate(&paths, &o, false).unwrap();
    IdpKeys::load(&paths.key, &paths.cert, Some("kp")).unwrap();
    let e = IdpKeys::load(&paths.key, &paths.cert, None).unwrap_err();
    assert!(matches!(e, KeyError::BadPem { .. }), "{e}");
    assert!(e.to_string().contains("no passphrase"), "{e}");
    let e = IdpKeys::load(&paths.key, &paths.cert, Some("wrong")).unwrap_err();
    assert!(matches!(e, KeyError::BadPem { .. }), "{e}");
}

#[test]
fn generate_refuses_to_overwrite_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let paths = KeyPaths::in_dir(dir.path());
    let first = keys::generate(&paths, &opts(KeyAlgorithm::EcdsaP256, None), false).unwrap();
    let e = keys::generate(&paths, &opts(KeyAlgorithm::EcdsaP256, None), false).unwrap_err();
    assert!(matches!(e, KeyError::Exists { .. }), "{e}");
    let second = keys::generate(&paths, &opts(KeyAlgorithm::EcdsaP256, None), true).unwrap();
    assert_ne!(first.cert.sha256_fingerprint, second.cert.sha256_fingerprint);
    #[cfg(unix)]
    assert_eq!(mode(&paths.key), 0o600);
    // No temporary files left behind.
    let names: Vec<_> = std::fs::read_dir(paths.key.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[cfg(unix)]
#[test]
fn key_file_mode_check() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.pem");
    std::fs::write(&p, "x").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = keys::check_private_key_file_mode(&p).unwrap_err();
    assert!(matches!(e, KeyError::InsecureMode { mode: 0o644, .. }), "{e}");
    assert!(e.to_string().contains("k.pem"), "{e}");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
    keys::check_private_key_file_mode(&p).unwrap();
    let e = keys::check_private_key_file_mode(&dir.path().join("missing")).unwrap_err();
    assert!(matches!(e, KeyError::Io { .. }), "{e}");
}

#[test]
fn cert_info_fields() {
    let dir = tempfile::tempdir().unwrap();
    let paths = KeyPaths::in_dir(dir.path());
    let mut o = opts(KeyAlgorithm::Rsa2048, None);
    o.days = 30;
    keys::generate(&paths, &o, false).unwrap();
    let k = IdpKeys::load(&paths.key, &paths.cert, None).unwrap();
    let info = keys::cert_info(&k.cert);
    assert_eq!(info.subject, "CN=idp.example.test");
    assert_eq!(info.issuer, "CN=idp.example.test");
    assert_eq!(info.key_description, "RSA 2048");
    assert_eq!(info.signature_algorithm, "sha256WithRSAEncryption");
    assert!((29..=30).contains(&info.days_left), "{}", info.days_left);
    assert!(info.not_before.ends_with('Z') && info.not_before.contains('T'));
    assert!(info.not_after.ends_with('Z'));

    // Compare with the openssl CLI.
    let fp = openssl_ok(&["x509", "-in", s(&paths.cert), "-noout", "-fingerprint", "-sha256"], dir.path());
    assert_eq!(fp.trim().split_once('=').unwrap().1, info.sha256_fingerprint);
    let serial = openssl_ok(&["x509", "-in", s(&paths.cert), "-noout", "-serial"], dir.path());
    assert_eq!(
        serial.trim().split_once('=').unwrap().1.trim_start_matches('0'),
        info.serial_hex.trim_start_matches('0')
    );
    // A random serial of about 128 bits.
    assert!(info.serial_hex.len() >= 30, "{}", info.serial_hex);

    let shown = info.to_string();
    for needle in ["Subject:", "SHA-256 fingerprint:", "Not after:", "Days left:", "RSA 2048"] {
        assert!(shown.contains(needle), "{shown}");
    }
}

// ---------------------------------------------------------------- import

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture { dir: tempfile::tempdir().unwrap() }
    }
    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn run(&self, args: &[&str]) {
        openssl_ok(args, self.dir.path());
    }
    /// A self-signed cert + key made by the openssl CLI (like a commercial CA's files would be).
    fn cli_cert(&self, name: &str, key_opt: &str, digest: &str, days: &str) -> (PathBuf, PathBuf) {
        let key = format!("{name}.key");
        let crt = format!("{name}.crt");
        self.run(&[
            "req",
            "-x509",
            "-newkey",
            key_opt,
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &crt,
            digest,
            "-days",
            days,
            "-subj",
            "/CN=imported.example.test/O=Example",
        ]);
        (self.p(&crt), self.p(&key))
    }
    fn target(&self) -> KeyPaths {
        KeyPaths::in_dir(&self.p("gw"))
    }
}

#[test]
fn import_pem_ok() {
    let f = Fixture::new();
    let (crt, key) = f.cli_cert("good", "rsa:2048", "-sha256", "365");
    let target = f.target();
    let info = keys::import(&target, &crt, Some(&key), None, None).unwrap();
    assert_eq!(info.subject, "CN=imported.example.test, O=Example");
    assert_eq!(info.key_description, "RSA 2048");
    #[cfg(unix)]
    assert_eq!(mode(&target.key), 0o600);
    let loaded = IdpKeys::load(&target.key, &target.cert, None).unwrap();
    let shown = keys::cert_info(&loaded.cert);
    assert_eq!(shown.sha256_fingerprint, info.sha256_fingerprint);
    assert_eq!(shown.subject, info.subject);
    assert!(!target.chain.exists());
}

#[test]
fn import_pem_with_chain_file() {
    let f = Fixture::new();
    // Make a CA with samlgate itself, then import its leaf with the chain.
    let src = KeyPaths::in_dir(&f.p("src"));
    let ca = CaOptions { ca_passphrase: None, ca_subject_cn: "Chain CA".into() };
    keys::generate(&src, &opts(KeyAlgorithm::Rsa2048, Some(ca)), false).unwrap();
    let target = f.target();
    keys::import(&target, &src.cert, Some(&src.key), Some(&src.ca_cert), None).unwrap();
    let loaded = IdpKeys::load_paths(&target, None).unwrap();
    assert_eq!(loaded.chain.len(), 1);
    assert_eq!(keys::cert_info(&loaded.chain[0]).subject, "CN=Chain CA");
}

#[test]
fn import_refuses_mismatched_key() {
    let f = Fixture::new();
    let (crt, _) = f.cli_cert("a", "rsa:2048", "-sha256", "365");
    let (_, other_key) = f.cli_cert("b", "rsa:2048", "-sha256", "365");
    let target = f.target();
    let e = keys::import(&target, &crt, Some(&other_key), None, None).unwrap_err();
    assert!(matches!(e, KeyError::KeyMismatch { .. }), "{e}");
    assert!(e.to_string().contains("b.key"), "{e}");
    assert!(!target.key.exists() && !target.cert.exists(), "nothing written on refusal");
}

#[test]
fn import_refuses_rsa_1024() {
    let f = Fixture::new();
    let (crt, key) = f.cli_cert("weak", "rsa:1024", "-sha256", "365");
    let e = keys::import(&f.target(), &crt, Some(&key), None, None).unwrap_err();
    assert!(matches!(e, KeyError::WeakKey { bits: 1024, .. }), "{e}");
    assert!(e.to_string().contains("weak.key"), "{e}");
}

#[test]
fn import_refuses_sha1_cert() {
    let f = Fixture::new();
    let (crt, key) = f.cli_cert("sha1", "rsa:2048", "-sha1", "365");
    let e = keys::import(&f.target(), &crt, Some(&key), None, None).unwrap_err();
    assert!(matches!(e, KeyError::WeakSignature { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("sha1.crt") && msg.contains("sha1WithRSAEncryption"), "{msg}");
}

#[test]
fn import_refuses_expired_cert() {
    let f = Fixture::new();
    // Backdate with -not_before/-not_after where supported, else sign with a past window via x509.
    f.run(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "old.key",
        "-out",
        "old.csr",
        "-subj",
        "/CN=old.example.test",
    ]);
    let out = openssl(
        &["x509", "-req", "-in", "old.csr", "-signkey", "old.key", "-out", "old.crt", "-sha256", "-days", "-1"],
        f.dir.path(),
    );
    if !out.status.success() || !f.p("old.crt").exists() {
        eprintln!("openssl cannot make an expired certificate here; skipping the expiry check");
        return;
    }
    let e = keys::import(&f.target(), &f.p("old.crt"), Some(&f.p("old.key")), None, None).unwrap_err();
    assert!(matches!(e, KeyError::Expired { .. } | KeyError::NotYetValid { .. }), "{e}");
}

#[test]
fn import_refuses_garbage() {
    let f = Fixture::new();
    let (crt, key) = f.cli_cert("ok", "rsa:2048", "-sha256", "365");
    let junk = f.p("junk.pem");
    std::fs::write(&junk, b"this is not a certificate\n\x00\xff").unwrap();
    let e = keys::import(&f.target(), &junk, Some(&key), None, None).unwrap_err();
    assert!(matches!(e, KeyError::BadPem { what: "certificate", .. }), "{e}");
    assert!(e.to_string().contains("junk.pem"), "{e}");

    let e = keys::import(&f.target(), &crt, Some(&junk), None, None).unwrap_err();
    assert!(matches!(e, KeyError::BadPem { what: "private key", .. }), "{e}");

    // A PEM block with a damaged body.
    let broken = f.p("broken.crt");
    std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAAbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n").unwrap();
    let e = keys::import(&f.target(), &broken, Some(&key), None, None).unwrap_err();
    assert!(matches!(e, KeyError::BadPem { .. }), "{e}");

    let e = keys::import(&f.target(), &f.p("missing.crt"), Some(&key), None, None).unwrap_err();
    assert!(matches!(e, KeyError::Io { .. }), "{e}");
    assert!(e.to_string().contains("missing.crt"), "{e}");

    // A cert without key and no key file.
    let e = keys::import(&f.target(), &crt, None, None, None).unwrap_err();
    assert!(matches!(e, KeyError::MissingKey { .. }), "{e}");
}

#[test]
fn import_combined_pem() {
    let f = Fixture::new();
    let (crt, key) = f.cli_cert("c", "rsa:2048", "-sha256", "365");
    let combined = f.p("combined.pem");
    let mut data = std::fs::read(&crt).unwrap();
    data.extend(std::fs::read(&key).unwrap());
    std::fs::write(&combined, data).unwrap();
    keys::import(&f.target(), &combined, None, None, None).unwrap();
}

fn make_p12(f: &Fixture, legacy: bool) -> PathBuf {
    let (crt, key) = f.cli_cert("p", "rsa:2048", "-sha256", "365");
    let name = if legacy { "legacy.p12" } else { "modern.pfx" };
    let mut args = vec!["pkcs12", "-export", "-in", s(&crt), "-inkey", s(&key), "-out", name, "-passout", "pass:p12pw"];
    if legacy {
        args.push("-legacy");
    }
    let out = openssl(&args, f.dir.path());
    assert!(out.status.success() || legacy, "{}", String::from_utf8_lossy(&out.stderr));
    f.p(name)
}

#[test]
fn import_pkcs12() {
    let f = Fixture::new();
    let p12 = make_p12(&f, false);
    let target = f.target();
    let info = keys::import(&target, &p12, None, None, Some("p12pw")).unwrap();
    assert_eq!(info.subject, "CN=imported.example.test, O=Example");
    IdpKeys::load(&target.key, &target.cert, None).unwrap();
    #[cfg(unix)]
    assert_eq!(mode(&target.key), 0o600);

    let e = keys::import(&f.target(), &p12, None, None, Some("wrong")).unwrap_err();
    assert!(matches!(e, KeyError::Pkcs12 { .. }), "{e}");
    assert!(e.to_string().contains("modern.pfx"), "{e}");

    let junk = f.p("junk.p12");
    std::fs::write(&junk, b"garbage").unwrap();
    let e = keys::import(&f.target(), &junk, None, None, Some("p12pw")).unwrap_err();
    assert!(matches!(e, KeyError::Pkcs12 { .. }), "{e}");
}

#[test]
fn import_pkcs12_legacy_if_supported() {
    let f = Fixture::new();
    let p12 = make_p12(&f, true);
    if !p12.exists() {
        eprintln!("openssl pkcs12 -legacy not available; skipped");
        return;
    }
    // RC2-40/3DES PKCS#12 needs OpenSSL's legacy provider, which import loads on demand.
    let info = keys::import(&f.target(), &p12, None, None, Some("p12pw")).unwrap();
    assert_eq!(info.key_description, "RSA 2048");
}
