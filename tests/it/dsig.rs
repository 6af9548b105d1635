//! Independent proof of samlgate's XML-DSig output and Redirect-binding handling.
//!
//! Signed responses are verified by the real `xmlsec1` binary (libxml2 + libxmlsec1: its own parser,
//! its own exclusive canonicalizer), with the key given only on the command line (`key-name` key data:
//! the certificate in the message is not used). Redirect-binding signatures are produced by the
//! `openssl` command line and verified by our code. Every positive case has a negative control.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::X509;

use samlgate::saml::dsig::{DsigError, SignatureAlgorithm, SigningKey};
use samlgate::saml::metadata::{Endpoint, SpMetadata};
use samlgate::saml::redirect::{
    MessageParam, decode_redirect_message, encode_redirect_query, parse_redirect_query, url_encode,
    verify_redirect_signature,
};
use samlgate::saml::request::{RequestError, check_authn_request, parse_authn_request, parse_logout_request};
use samlgate::saml::response::{AC_PASSWORD_PROTECTED_TRANSPORT, NAMEID_TRANSIENT, ResponseParams, build_response};
use samlgate::saml::xml::{Element, ReadLimits, ns, parse};

const XMLSEC1: &str = "/usr/bin/xmlsec1";
const HW_SP: &str = "https://auth.huaweicloud.com/";
const HW_ACS: &str = "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer";

// ---------------------------------------------------------------------------------------------
// Keys and the xmlsec1 harness

struct Idp {
    key: PKey<Private>,
    cert: X509,
    /// PEM files of the key and certificate.
    key_pem: PathBuf,
    cert_pem: PathBuf,
}

fn idp(dir: &Path, name: &str, ec: bool) -> Idp {
    let key = if ec {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
    } else {
        PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
    };
    let cert = crate::common::self_signed(&key, name);
    let key_pem = dir.join(format!("{name}.key"));
    let cert_pem = dir.join(format!("{name}.crt"));
    std::fs::write(&key_pem, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    std::fs::write(&cert_pem, cert.to_pem().unwrap()).unwrap();
    Idp { key, cert, key_pem, cert_pem }
}

fn signing_key(idp: &Idp, alg: SignatureAlgorithm) -> SigningKey {
    SigningKey::new(idp.key.clone(), idp.cert.to_der().unwrap(), alg).unwrap()
}

fn require_xmlsec1() {
    assert!(
        Path::new(XMLSEC1).exists(),
        "{XMLSEC1} not found: install the Debian package `xmlsec1` (apt-get install -y xmlsec1) to run these tests"
    );
}

/// Which signature xmlsec1 checks.
#[derive(Clone, Copy)]
enum Target {
    /// The first Signature in document order (the Response's when the Response is signed).
    First,
    /// The Signature that is a child of the Assertion.
    Assertion,
}

/// Runs `xmlsec1 --verify` with only the given certificate as key source. Returns (ok, output).
fn xmlsec_verify(dir: &Path, xml: &str, cert_pem: &Path, target: Target) -> (bool, String) {
    require_xmlsec1();
    let file = dir.join(format!("msg-{}.xml", std::process::id()));
    std::fs::write(&file, xml).unwrap();
    let mut cmd = Command::new(XMLSEC1);
    cmd.args(["--verify", "--enabled-key-data", "key-name", "--pubkey-cert-pem"])
        .arg(cert_pem)
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"])
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"]);
    if let Target::Assertion = target {
        cmd.args(["--node-xpath", "//*[local-name()='Assertion']/*[local-name()='Signature']"]);
    }
    let out = cmd.arg(&file).output().expect("run xmlsec1");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success() && text.contains("OK"), text)
}

fn assert_verifies(dir: &Path, xml: &str, cert_pem: &Path, target: Target) {
    let (ok, text) = xmlsec_verify(dir, xml, cert_pem, target);
    assert!(ok, "xmlsec1 refused a signature it should accept:\n{text}\n--- document ---\n{xml}");
}

fn assert_refused(dir: &Path, xml: &str, cert_pem: &Path, target: Target) {
    let (ok, text) = xmlsec_verify(dir, xml, cert_pem, target);
    assert!(!ok, "xmlsec1 accepted a signature it must refuse:\n{text}");
}

// ---------------------------------------------------------------------------------------------
// Responses

fn huawei_attributes(values: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut attrs = vec![
        ("xUserId".to_owned(), vec!["partner-user-42".to_owned()]),
        ("name".to_owned(), vec!["Zhang_San".to_owned()]),
        ("mobile".to_owned(), vec!["0086-13900000000".to_owned()]),
    ];
    if !values.is_empty() {
        attrs.push(("email".to_owned(), values.iter().map(|s| (*s).to_owned()).collect()));
    }
    attrs
}

fn params<'a>(attrs: &'a [(String, Vec<String>)], sign_response: bool, now: i64) -> ResponseParams<'a> {
    ResponseParams {
        issuer: "https://idp.partner.example/saml",
        destination: HW_ACS,
        in_response_to: Some("_0b9f2d3c7a1e4f5a8b6c9d0e1f2a3b4c"),
        audience: HW_SP,
        recipient: HW_ACS,
        subject_name_id: "_3f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c",
        name_id_format: NAMEID_TRANSIENT,
        name_qualifier: Some(HW_SP),
        sp_name_qualifier: Some(HW_SP),
        subject_locality_address: Some(HW_SP),
        session_index: "_sess_1",
        authn_instant: now - 30,
        now,
        not_before_skew_secs: 120,
        lifetime_secs: 300,
        attributes: attrs,
        authn_context_class_ref: AC_PASSWORD_PROTECTED_TRANSPORT,
        sign_response,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The Assertion element's bytes cut out of the document: our signed Assertion is self-contained, so
/// it must verify on its own too.
fn assertion_alone(xml: &str) -> &str {
    let start = xml.find("<saml:Assertion ").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    &xml[start..end]
}

#[test]
fn xmlsec1_verifies_assertion_signatures_for_every_algorithm() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = idp(dir.path(), "idp-rsa", false);
    let ec = idp(dir.path(), "idp-ec", true);
    let other = idp(dir.path(), "other", false);
    let attrs = huawei_attributes(&[]);
    for (who, alg) in [
        (&rsa, SignatureAlgorithm::RsaSha256),
        (&rsa, SignatureAlgorithm::RsaSha512),
        (&ec, SignatureAlgorithm::EcdsaSha256),
    ] {
        let key = signing_key(who, alg);
        let built = build_response(&key, &params(&attrs, false, now())).unwrap();
        assert!(built.xml.contains(alg.uri()));
        assert_eq!(built.xml.matches("<ds:Signature ").count(), 1);
        assert_verifies(dir.path(), &built.xml, &who.cert_pem, Target::First);
        assert_verifies(dir.path(), &built.xml, &who.cert_pem, Target::Assertion);
        assert_verifies(dir.path(), assertion_alone(&built.xml), &who.cert_pem, Target::First);
        // Negative controls: a foreign certificate, and one changed byte inside the signed content.
        assert_refused(dir.path(), &built.xml, &other.cert_pem, Target::First);
        let tampered = built.xml.replacen("partner-user-42", "partner-user-43", 1);
        assert_ne!(tampered, built.xml);
        assert_refused(dir.path(), &tampered, &who.cert_pem, Target::First);
        let tampered = built.xml.replacen(HW_SP, "https://auth.huaweicloud.con/", 2);
        assert_refused(dir.path(), &tampered, &who.cert_pem, Target::Assertion);
    }
}

#[test]
fn xmlsec1_verifies_response_and_assertion_signatures_when_both_are_signed() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = idp(dir.path(), "idp", false);
    let other = idp(dir.path(), "other", false);
    let key = signing_key(&rsa, SignatureAlgorithm::RsaSha256);
    let attrs = huawei_attributes(&[]);
    let built = build_response(&key, &params(&attrs, true, now())).unwrap();
    assert_eq!(built.xml.matches("<ds:Signature ").count(), 2);
    // The first Signature in document order is the Response's.
    let first_ref = built.xml.find("<ds:Reference URI=\"#").unwrap();
    assert!(built.xml[first_ref..].starts_with(&format!("<ds:Reference URI=\"#{}\"", built.response_id)));
    assert_verifies(dir.path(), &built.xml, &rsa.cert_pem, Target::First);
    assert_verifies(dir.path(), &built.xml, &rsa.cert_pem, Target::Assertion);
    assert_verifies(dir.path(), assertion_alone(&built.xml), &rsa.cert_pem, Target::First);
    assert_refused(dir.path(), &built.xml, &other.cert_pem, Target::First);
    assert_refused(dir.path(), &built.xml, &other.cert_pem, Target::Assertion);

    // Outside the Assertion, inside the Response: only the Response signature breaks.
    let tampered = built.xml.replacen("status:Success", "status:Succesz", 1);
    assert_refused(dir.path(), &tampered, &rsa.cert_pem, Target::First);
    assert_verifies(dir.path(), &tampered, &rsa.cert_pem, Target::Assertion);
    // Inside the Assertion: both break.
    let tampered = built.xml.replacen("Zhang_San", "Zhang_Sam", 1);
    assert_refused(dir.path(), &tampered, &rsa.cert_pem, Target::First);
    assert_refused(dir.path(), &tampered, &rsa.cert_pem, Target::Assertion);

    // sign_response off gives exactly one signature, the Assertion's.
    let single = build_response(&key, &params(&attrs, false, now())).unwrap();
    assert_eq!(single.xml.matches("<ds:Signature ").count(), 1);
    assert!(single.xml.contains(&format!("<ds:Reference URI=\"#{}\"", single.assertion_id)));
    assert!(!single.xml.contains(&format!("<ds:Reference URI=\"#{}\"", single.response_id)));
}

fn collect_attributes(root: &Element) -> Vec<(String, Vec<String>)> {
    let assertion = root.only_child(ns::SAML, "Assertion").unwrap().expect("Assertion");
    let stmt = assertion.only_child(ns::SAML, "AttributeStatement").unwrap().expect("AttributeStatement");
    stmt.children_named(ns::SAML, "Attribute")
        .map(|a| {
            assert_eq!(a.attr("NameFormat"), Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri"));
            let values = a.children_named(ns::SAML, "AttributeValue").map(|v| v.text()).collect();
            (a.attr("Name").unwrap().to_owned(), values)
        })
        .collect()
}

#[test]
fn hostile_attribute_values_are_escaped_verified_and_read_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = idp(dir.path(), "idp", false);
    let hostile = [
        "</saml:AttributeValue><saml:AttributeValue>admin",
        "<!-- x -->",
        "]]>",
        "a & b &amp; &lt;",
        "\"double\" 'single'",
        "中文用户 名字",
        "tab\tnew\nline\r\ncr",
        "</saml:Attribute></saml:AttributeStatement><saml:AttributeStatement><saml:Attribute Name=\"xUserId\">",
    ];
    let mut attrs = huawei_attributes(&hostile);
    attrs.push(("urn:oid:0.9.2342.19200300.100.1.3 \"<&>\"".to_owned(), vec!["x".to_owned()]));
    for sign_response in [false, true] {
        let key = signing_key(&rsa, SignatureAlgorithm::RsaSha256);
        let built = build_response(&key, &params(&attrs, sign_response, now())).unwrap();
        assert_verifies(dir.path(), &built.xml, &rsa.cert_pem, Target::First);
        assert_verifies(dir.path(), &built.xml, &rsa.cert_pem, Target::Assertion);
        let doc = parse(built.xml.as_bytes(), &ReadLimits::default()).expect("our reader parses our output");
        assert!(doc.root.is(ns::SAMLP, "Response"));
        let read = collect_attributes(&doc.root);
        assert_eq!(read.len(), attrs.len(), "attribute count");
        assert_eq!(read, attrs);
        // Exactly one Assertion, one AttributeStatement.
        assert_eq!(built.xml.matches("<saml:Assertion ").count(), 1);
        assert_eq!(built.xml.matches("<saml:AttributeStatement>").count(), 1);
    }
}

#[test]
fn control_characters_are_refused_not_emitted() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = idp(dir.path(), "idp", false);
    let key = signing_key(&rsa, SignatureAlgorithm::RsaSha256);
    let attrs = huawei_attributes(&["bell\u{7}"]);
    assert!(build_response(&key, &params(&attrs, false, now())).is_err());
}

// ---------------------------------------------------------------------------------------------
// Redirect binding

const AUTHN_REQUEST: &str = "<saml2p:AuthnRequest xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
AssertionConsumerServiceURL=\"https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer\" \
Destination=\"https://idp.partner.example/saml/login\" ForceAuthn=\"false\" ID=\"_a1b2c3d4e5f60718293a4b5c6d7e8f90\" \
IsPassive=\"false\" IssueInstant=\"2018-11-26T09:11:58.446Z\" \
ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Version=\"2.0\">\
<saml2:Issuer xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">https://auth.huaweicloud.com/</saml2:Issuer>\
<saml2p:NameIDPolicy AllowCreate=\"true\" Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\" \
SPNameQualifier=\"https://auth.huaweicloud.com/\"/></saml2p:AuthnRequest>";

fn deflate_b64(data: &[u8]) -> String {
    use flate2::Compression;
    use flate2::write::DeflateEncoder;
    use std::io::Write;
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    B64.encode(enc.finish().unwrap())
}

/// Signs `octets` with the openssl command line (an independent signer). Returns base64.
fn openssl_cli_sign(dir: &Path, key_pem: &Path, digest: &str, octets: &str) -> String {
    let input = dir.join("octets.txt");
    std::fs::write(&input, octets).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", &format!("-{digest}"), "-sign"])
        .arg(key_pem)
        .arg(&input)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl dgst failed: {}", String::from_utf8_lossy(&out.stderr));
    B64.encode(out.stdout)
}

/// A Huawei-style signed Redirect query built without our encoder: flate2 + base64 + our
/// percent-encoding of the values, signed with the openssl CLI.
fn sp_signed_query(dir: &Path, sp: &Idp, sig_alg: &str, digest: &str, relay_state: &str) -> String {
    let octets = format!(
        "SAMLRequest={}&RelayState={}&SigAlg={}",
        url_encode(&deflate_b64(AUTHN_REQUEST.as_bytes())),
        url_encode(relay_state),
        url_encode(sig_alg)
    );
    let sig = openssl_cli_sign(dir, &sp.key_pem, digest, &octets);
    format!("{octets}&Signature={}", url_encode(&sig))
}

const RSA_SHA256_URI: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RELAY: &str = "https://console.huaweicloud.com/iam/?region=cn-north-4&x=/a b";

#[test]
fn redirect_query_signed_by_openssl_cli_verifies_and_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let sp = idp(dir.path(), "sp", false);
    let other = idp(dir.path(), "other", false);
    let q = sp_signed_query(dir.path(), &sp, RSA_SHA256_URI, "sha256", RELAY);
    let parsed = parse_redirect_query(&q).unwrap();
    parsed.verify(std::slice::from_ref(&sp.cert), false).unwrap();
    assert_eq!(parsed.decode_message(64 * 1024).unwrap(), AUTHN_REQUEST.as_bytes());
    assert_eq!(parsed.relay_state().unwrap().as_deref(), Some(RELAY));
    // Negative control: another SP's certificate.
    assert!(matches!(parsed.verify(std::slice::from_ref(&other.cert), false), Err(DsigError::BadSignature)));
    // Any of several metadata certificates may match (key rollover).
    parsed.verify(&[other.cert.clone(), sp.cert.clone()], false).unwrap();
    // Unknown parameters before, between and after the SAML ones are not signed and are ignored.
    let with_extra = format!("x=1&{}&y=2", q.replacen("&SigAlg=", "&z=3&SigAlg=", 1));
    parse_redirect_query(&with_extra).unwrap().verify(std::slice::from_ref(&sp.cert), false).unwrap();

    // RSA-SHA512 by the CLI as well.
    let q512 = sp_signed_query(dir.path(), &sp, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "sha512", RELAY);
    parse_redirect_query(&q512).unwrap().verify(std::slice::from_ref(&sp.cert), false).unwrap();
}

#[test]
fn redirect_query_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let sp = idp(dir.path(), "sp", false);
    let certs = [sp.cert.clone()];
    let q = sp_signed_query(dir.path(), &sp, RSA_SHA256_URI, "sha256", RELAY);

    // Duplicates of every SAML parameter.
    for name in ["SAMLRequest", "RelayState", "SigAlg", "Signature"] {
        let dup = format!("{q}&{name}=x");
        match parse_redirect_query(&dup) {
            Err(DsigError::DuplicateParameter(p)) => assert_eq!(p, name),
            other => panic!("duplicate {name}: {other:?}"),
        }
    }
    assert!(matches!(parse_redirect_query(&format!("{q}&SAMLResponse=x")), Err(DsigError::ConflictingMessages)));

    // Percent-encoding case changed after signing: the signed octets are the raw bytes.
    assert!(q.contains("%2F"));
    let recased = q.replacen("%2F", "%2f", 1);
    let p = parse_redirect_query(&recased).unwrap();
    assert_eq!(p.relay_state().unwrap().as_deref(), Some(RELAY), "same decoded value");
    assert!(matches!(p.verify(&certs, false), Err(DsigError::BadSignature)));

    // RelayState changed.
    let changed = q.replacen("cn-north-4", "cn-north-1", 1);
    assert!(matches!(parse_redirect_query(&changed).unwrap().verify(&certs, false), Err(DsigError::BadSignature)));
    // RelayState dropped.
    let start = q.find("&RelayState=").unwrap();
    let end = q.find("&SigAlg=").unwrap();
    let dropped = format!("{}{}", &q[..start], &q[end..]);
    assert!(matches!(parse_redirect_query(&dropped).unwrap().verify(&certs, false), Err(DsigError::BadSignature)));

    // SigAlg that does not fit the key: an RSA certificate and an ECDSA SigAlg (signed as such).
    let ecdsa =
        sp_signed_query(dir.path(), &sp, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "sha256", RELAY);
    assert!(matches!(
        parse_redirect_query(&ecdsa).unwrap().verify(&certs, false),
        Err(DsigError::AlgorithmKeyMismatch { .. })
    ));
    // SigAlg swapped after signing (rsa-sha512 label on an rsa-sha256 signature).
    let swapped = q.replacen("rsa-sha256", "rsa-sha512", 1);
    assert!(matches!(parse_redirect_query(&swapped).unwrap().verify(&certs, false), Err(DsigError::BadSignature)));

    // rsa-sha1: refused by default even though the signature is valid; accepted only with the flag.
    let sha1 = sp_signed_query(dir.path(), &sp, "http://www.w3.org/2000/09/xmldsig#rsa-sha1", "sha1", RELAY);
    let p = parse_redirect_query(&sha1).unwrap();
    assert!(matches!(p.verify(&certs, false), Err(DsigError::WeakAlgorithm(_))));
    p.verify(&certs, true).unwrap();

    // HMAC (the certificate as an HMAC secret), DSA, none, unknown: always refused.
    for alg in [
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "none",
        "",
    ] {
        let q = sp_signed_query(dir.path(), &sp, alg, "sha256", RELAY);
        match parse_redirect_query(&q).unwrap().verify(&certs, true) {
            Err(DsigError::UnsupportedAlgorithm(_)) => {}
            other => panic!("{alg}: {other:?}"),
        }
    }

    // Unsigned, and half-signed.
    let unsigned = &q[..q.find("&SigAlg=").unwrap()];
    assert!(matches!(parse_redirect_query(unsigned).unwrap().verify(&certs, false), Err(DsigError::MissingSignature)));
    let no_alg = format!("{unsigned}&Signature=AAAA");
    assert!(matches!(
        parse_redirect_query(&no_alg).unwrap().verify(&certs, false),
        Err(DsigError::MissingParameter("SigAlg"))
    ));
    let no_sig = &q[..q.find("&Signature=").unwrap()];
    assert!(matches!(
        parse_redirect_query(no_sig).unwrap().verify(&certs, false),
        Err(DsigError::MissingParameter("Signature"))
    ));
    // No certificate in the SP metadata: refuse, never skip.
    assert!(matches!(parse_redirect_query(&q).unwrap().verify(&[], false), Err(DsigError::NoCertificate)));
    // Bad base64 in the signature.
    let bad_sig = format!("{no_sig}&Signature=%21%21%21");
    assert!(matches!(parse_redirect_query(&bad_sig).unwrap().verify(&certs, false), Err(DsigError::BadBase64(_))));
    // Bad percent-encoding.
    let bad_pct = q.replacen("SigAlg=", "SigAlg=%G1", 1);
    assert!(matches!(parse_redirect_query(&bad_pct).unwrap().verify(&certs, false), Err(DsigError::BadEncoding(_))));
}

#[test]
fn our_encoder_round_trips_and_matches_openssl_cli() {
    let dir = tempfile::tempdir().unwrap();
    let idp_rsa = idp(dir.path(), "idp", false);
    let key = signing_key(&idp_rsa, SignatureAlgorithm::RsaSha256);
    let q = encode_redirect_query(MessageParam::SamlResponse, AUTHN_REQUEST, Some(RELAY), Some(&key)).unwrap();
    let p = parse_redirect_query(&q).unwrap();
    p.verify(std::slice::from_ref(&idp_rsa.cert), false).unwrap();
    // RSA PKCS#1 v1.5 is deterministic: the openssl CLI produces the same signature over the same octets.
    let octets = p.signed_octets().unwrap();
    let cli = openssl_cli_sign(dir.path(), &idp_rsa.key_pem, "sha256", &octets);
    assert!(q.ends_with(&format!("&Signature={}", url_encode(&cli))));
    assert_eq!(p.decode_message(1 << 16).unwrap(), AUTHN_REQUEST.as_bytes());

    // ECDSA: verify with the openssl CLI (DER signature).
    let ec = idp(dir.path(), "idp-ec", true);
    let key = signing_key(&ec, SignatureAlgorithm::EcdsaSha256);
    let q = encode_redirect_query(MessageParam::SamlRequest, AUTHN_REQUEST, None, Some(&key)).unwrap();
    let p = parse_redirect_query(&q).unwrap();
    p.verify(std::slice::from_ref(&ec.cert), false).unwrap();
    let sig =
        B64.decode(samlgate::saml::redirect::form_decode(p.signature_raw.unwrap(), "Signature").unwrap()).unwrap();
    std::fs::write(dir.path().join("sig.der"), sig).unwrap();
    std::fs::write(dir.path().join("octets2.txt"), p.signed_octets().unwrap()).unwrap();
    let pubkey = dir.path().join("ec.pub");
    std::fs::write(&pubkey, ec.key.public_key_to_pem().unwrap()).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&pubkey)
        .arg("-signature")
        .arg(dir.path().join("sig.der"))
        .arg(dir.path().join("octets2.txt"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn deflate_bomb_stops_at_the_cap_quickly() {
    use flate2::Compression;
    use flate2::write::DeflateEncoder;
    use std::io::Write;
    // 50 MB of zeros deflates to about 50 KB.
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..50 {
        enc.write_all(&chunk).unwrap();
    }
    let bomb = B64.encode(enc.finish().unwrap());
    assert!(bomb.len() < 200_000);
    let t = Instant::now();
    let r = decode_redirect_message(&bomb, 128 * 1024);
    let took = t.elapsed();
    assert!(matches!(r, Err(DsigError::InflateTooLarge(131072))), "{r:?}");
    assert!(took.as_millis() < 1000, "took {took:?}");
    // Through the query path as well.
    let q = format!("SAMLRequest={}", url_encode(&bomb));
    assert!(matches!(parse_redirect_query(&q).unwrap().decode_message(128 * 1024), Err(DsigError::InflateTooLarge(_))));
}

#[test]
fn bad_base64_and_bad_deflate_are_refused() {
    for bad in ["not base64!", "QUJD\r\nREVG", "QUJDRA", "QUJDRA==="] {
        assert!(matches!(decode_redirect_message(bad, 1024), Err(DsigError::BadBase64(_))), "{bad}");
    }
    // Valid base64, but zlib-wrapped (not raw deflate) or plain text.
    let zlib = {
        use flate2::Compression;
        use flate2::write::ZlibEncoder;
        use std::io::Write;
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
        enc.write_all(AUTHN_REQUEST.as_bytes()).unwrap();
        B64.encode(enc.finish().unwrap())
    };
    assert!(decode_redirect_message(&zlib, 1 << 16).is_err());
    assert!(decode_redirect_message(&B64.encode(AUTHN_REQUEST), 1 << 16).is_err());
    // Sanity: verify_redirect_signature with a bad base64 signature.
    let dir = tempfile::tempdir().unwrap();
    let sp = idp(dir.path(), "sp", false);
    assert!(matches!(
        verify_redirect_signature(b"x", RSA_SHA256_URI, "@@@@", &[sp.cert], false),
        Err(DsigError::BadBase64(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// AuthnRequest checks

const OUR_SSO: &str = "https://idp.partner.example/saml/login";
/// 2018-11-26T09:11:58Z, the IssueInstant of the sample.
const SAMPLE_NOW: i64 = 1_543_223_518;

fn huawei_sp() -> SpMetadata {
    SpMetadata {
        entity_id: HW_SP.to_owned(),
        acs: vec![
            Endpoint {
                binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect".to_owned(),
                location: "https://auth.huaweicloud.com/authui/saml/redirect-acs".to_owned(),
                response_location: None,
                index: Some(0),
                is_default: false,
            },
            Endpoint {
                binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST".to_owned(),
                location: HW_ACS.to_owned(),
                response_location: None,
                index: Some(1),
                is_default: true,
            },
            Endpoint {
                binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST".to_owned(),
                location: "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer2".to_owned(),
                response_location: None,
                index: Some(2),
                is_default: false,
            },
        ],
        slo: vec![],
        signing_certs: vec![],
        encryption_certs: vec![],
        authn_requests_signed: true,
        want_assertions_signed: true,
        name_id_formats: vec!["urn:oasis:names:tc:SAML:2.0:nameid-format:transient".to_owned()],
        valid_until: None,
        warnings: vec![],
        signature: Default::default(),
    }
}

fn check(xml: &str) -> Result<Endpoint, RequestError> {
    let req = parse_authn_request(xml.as_bytes())?;
    check_authn_request(&req, &huawei_sp(), OUR_SSO, SAMPLE_NOW + 5, 180, 300)
}

fn expect_reason(xml: &str, reason: &str) {
    match check(xml) {
        Err(e) => assert_eq!(e.reason(), reason, "{e} for\n{xml}"),
        Ok(acs) => panic!("accepted ({acs:?}), expected {reason}:\n{xml}"),
    }
}

#[test]
fn huawei_authn_request_flow_signed_by_openssl_cli() {
    let dir = tempfile::tempdir().unwrap();
    let sp = idp(dir.path(), "huawei-sp", false);
    let q = sp_signed_query(dir.path(), &sp, RSA_SHA256_URI, "sha256", RELAY);
    let parsed = parse_redirect_query(&q).unwrap();
    parsed.verify(std::slice::from_ref(&sp.cert), false).unwrap();
    let xml = parsed.decode_message(64 * 1024).unwrap();
    let req = parse_authn_request(&xml).unwrap();
    assert_eq!(req.id, "_a1b2c3d4e5f60718293a4b5c6d7e8f90");
    assert_eq!(req.issue_instant.unix, SAMPLE_NOW);
    assert_eq!(req.issue_instant.text, "2018-11-26T09:11:58.446Z");
    assert_eq!(req.destination.as_deref(), Some(OUR_SSO));
    assert_eq!(req.issuer, HW_SP);
    assert_eq!(req.acs_url.as_deref(), Some(HW_ACS));
    assert_eq!(req.acs_index, None);
    assert_eq!(req.protocol_binding.as_deref(), Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"));
    assert!(!req.force_authn && !req.is_passive);
    assert_eq!(req.name_id_policy_format.as_deref(), Some(NAMEID_TRANSIENT));
    assert_eq!(req.name_id_policy_sp_name_qualifier.as_deref(), Some(HW_SP));
    assert_eq!(req.allow_create, Some(true));
    let acs = check_authn_request(&req, &huawei_sp(), OUR_SSO, SAMPLE_NOW + 5, 180, 300).unwrap();
    assert_eq!(acs.location, HW_ACS);
    assert_eq!(acs.index, Some(1));
}

#[test]
fn every_authn_request_check_has_a_refusal() {
    let ok = AUTHN_REQUEST;
    check(ok).unwrap();
    let acs_attr = format!("AssertionConsumerServiceURL=\"{HW_ACS}\" ");
    let binding_attr = "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" ";
    let id_attr = "ID=\"_a1b2c3d4e5f60718293a4b5c6d7e8f90\"";
    let issuer = "<saml2:Issuer xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">https://auth.huaweicloud.com/</saml2:Issuer>";

    // Reader-level refusals.
    expect_reason(&format!("<!DOCTYPE x [<!ENTITY e \"y\">]>{ok}"), "dtd_refused");
    expect_reason(&ok[..ok.len() - 5], "malformed_xml");
    expect_reason(&ok.replace("saml2p:AuthnRequest", "saml2p:LogoutRequest"), "wrong_message");
    expect_reason(&ok.replace("Version=\"2.0\"", "Version=\"1.1\""), "version");

    // ID: not an NCName, quote / angle bracket / ampersand in it, too long, missing.
    for bad in ["ID=\"a&quot;b\"", "ID=\"a&lt;b\"", "ID=\"x&amp;y\"", "ID=\"1abc\"", "ID=\"\"", "ID=\"_a b\""] {
        expect_reason(&ok.replace(id_attr, bad), "bad_id");
    }
    expect_reason(&ok.replace(id_attr, &format!("ID=\"_{}\"", "a".repeat(256))), "bad_id");
    check(&ok.replace(id_attr, &format!("ID=\"_{}\"", "a".repeat(255)))).unwrap();
    expect_reason(&ok.replace(id_attr, "Foo=\"_x\""), "bad_id");

    // IssueInstant: not UTC, not a dateTime, missing.
    for bad in ["2018-11-26T09:11:58.446", "2018-11-26T09:11:58+08:00", "yesterday", "2018-11-26T25:11:58Z"] {
        expect_reason(&ok.replace("2018-11-26T09:11:58.446Z", bad), "bad_instant");
    }
    check(&ok.replace("2018-11-26T09:11:58.446Z", "2018-11-26T09:11:58Z")).unwrap();

    // Issuer: missing, twice, with a comment injected (read as the full text, so it is a different SP).
    expect_reason(&ok.replace(issuer, ""), "issuer");
    expect_reason(&ok.replace(issuer, &format!("{issuer}{issuer}")), "issuer");
    expect_reason(
        &ok.replace(
            "https://auth.huaweicloud.com/</saml2:Issuer>",
            "https://auth.huaweicloud.com/<!---->.evil</saml2:Issuer>",
        ),
        "unknown_issuer",
    );
    expect_reason(
        &ok.replace("https://auth.huaweicloud.com/</saml2:Issuer>", "https://auth.huaweicloud.com</saml2:Issuer>"),
        "unknown_issuer",
    );
    expect_reason(
        &ok.replace("https://auth.huaweicloud.com/</saml2:Issuer>", " https://auth.huaweicloud.com/</saml2:Issuer>"),
        "unknown_issuer",
    );

    // An embedded XML signature is not accepted on the Redirect path.
    expect_reason(
        &ok.replace(issuer, &format!("{issuer}<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>")),
        "embedded_signature",
    );

    // Destination: missing, another IdP, a prefix of ours.
    expect_reason(&ok.replace(&format!("Destination=\"{OUR_SSO}\" "), ""), "destination");
    expect_reason(&ok.replace(OUR_SSO, "https://evil.example/saml/login"), "destination");
    expect_reason(&ok.replace(OUR_SSO, &format!("{OUR_SSO}/")), "destination");

    // ACS URL: not in metadata, almost in metadata, in metadata but with another binding.
    for bad in [
        "https://evil.example/acs",
        "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer/",
        "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer?x=1",
        "HTTPS://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer",
        "https://auth.huaweicloud.com/authui/saml/redirect-acs",
        "javascript:alert(1)",
    ] {
        expect_reason(&ok.replace(HW_ACS, bad), "acs_mismatch");
    }
    // The second registered POST ACS is fine.
    let second = check(&ok.replace(HW_ACS, "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer2")).unwrap();
    assert_eq!(second.index, Some(2));

    // ACS index: resolves, unknown index, index of a non-POST endpoint, index together with URL.
    let by_index =
        |i: &str| ok.replace(&acs_attr, &format!("AssertionConsumerServiceIndex=\"{i}\" ")).replace(binding_attr, "");
    assert_eq!(check(&by_index("2")).unwrap().index, Some(2));
    expect_reason(&by_index("7"), "acs_index");
    expect_reason(&by_index("0"), "acs_index");
    expect_reason(&by_index("-1"), "malformed_request");
    expect_reason(&ok.replace(&acs_attr, &format!("{acs_attr}AssertionConsumerServiceIndex=\"1\" ")), "acs_conflict");
    // Neither: the default POST ACS.
    let neither = ok.replace(&acs_attr, "").replace(binding_attr, "");
    assert_eq!(check(&neither).unwrap().location, HW_ACS);
    // No POST ACS in metadata at all.
    let mut redirect_only = huawei_sp();
    redirect_only.acs.retain(|e| !e.binding.ends_with("HTTP-POST"));
    let req = parse_authn_request(neither.as_bytes()).unwrap();
    assert_eq!(
        check_authn_request(&req, &redirect_only, OUR_SSO, SAMPLE_NOW, 180, 300).unwrap_err().reason(),
        "no_acs"
    );

    // ProtocolBinding other than HTTP-POST.
    expect_reason(&ok.replace("bindings:HTTP-POST", "bindings:HTTP-Artifact"), "binding");

    // Freshness: too old, too far in the future; the edges are accepted.
    let req = parse_authn_request(ok.as_bytes()).unwrap();
    let sp = huawei_sp();
    let at = |now| check_authn_request(&req, &sp, OUR_SSO, now, 180, 300);
    at(SAMPLE_NOW + 480).unwrap();
    assert_eq!(at(SAMPLE_NOW + 481).unwrap_err().reason(), "expired");
    at(SAMPLE_NOW - 180).unwrap();
    assert_eq!(at(SAMPLE_NOW - 181).unwrap_err().reason(), "not_yet_valid");

    // NameIDPolicy: persistent / email refused, unspecified and absent accepted; a foreign SPNameQualifier.
    for bad in [
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    ] {
        expect_reason(&ok.replace(NAMEID_TRANSIENT, bad), "nameid_format");
    }
    check(&ok.replace(NAMEID_TRANSIENT, "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")).unwrap();
    let no_policy_start = ok.find("<saml2p:NameIDPolicy").unwrap();
    let no_policy_end = ok.find("</saml2p:AuthnRequest>").unwrap();
    let no_policy = format!("{}{}", &ok[..no_policy_start], &ok[no_policy_end..]);
    assert_eq!(parse_authn_request(no_policy.as_bytes()).unwrap().allow_create, None);
    check(&no_policy).unwrap();
    expect_reason(
        &ok.replace("SPNameQualifier=\"https://auth.huaweicloud.com/\"", "SPNameQualifier=\"https://other/\""),
        "nameid_qualifier",
    );
    expect_reason(&ok.replace("ForceAuthn=\"false\"", "ForceAuthn=\"yes\""), "malformed_request");
    expect_reason(&ok.replace("AllowCreate=\"true\"", "AllowCreate=\"True\""), "malformed_request");
}

#[test]
fn logout_request_reads_the_full_name_id() {
    let x = "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
        xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_l1\" Version=\"2.0\" \
        IssueInstant=\"2026-01-01T00:00:00.123Z\" Destination=\"https://idp.partner.example/saml/logout\" \
        NotOnOrAfter=\"2026-01-01T00:05:00Z\"><saml:Issuer>https://auth.huaweicloud.com/</saml:Issuer>\
        <saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\" \
        SPNameQualifier=\"https://auth.huaweicloud.com/\">admin<!---->@x</saml:NameID>\
        <samlp:SessionIndex>_s1</samlp:SessionIndex></samlp:LogoutRequest>";
    let r = parse_logout_request(x.as_bytes()).unwrap();
    assert_eq!(r.id, "_l1");
    assert_eq!(r.name_id, "admin@x");
    assert_eq!(r.session_indexes, vec!["_s1".to_owned()]);
    assert_eq!(r.not_on_or_after.unwrap().text, "2026-01-01T00:05:00Z");
    assert_eq!(r.destination.as_deref(), Some("https://idp.partner.example/saml/logout"));
    let no_name_id = x
        .replace("admin<!---->@x", "")
        .replace("<saml:NameID", "<saml:BaseID")
        .replace("</saml:NameID>", "</saml:BaseID>");
    assert_eq!(parse_logout_request(no_name_id.as_bytes()).unwrap_err().reason(), "malformed_request");
    assert_eq!(
        parse_logout_request(x.replace("ID=\"_l1\"", "ID=\"a&quot;\"").as_bytes()).unwrap_err().reason(),
        "bad_id"
    );
}
