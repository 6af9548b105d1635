//! The strict enveloped-signature verifier (`saml::verify`) against independent signers — the real
//! `xmlsec1 --sign` (libxmlsec1), a committed pysaml2 IdP response, our own signer — and an XSW /
//! algorithm-confusion corpus in which every case must be refused for its specific reason.
//!
//! Needs the `xmlsec1` binary (Debian package `xmlsec1`; `scripts/test` installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::X509;
use samlgate::saml::verify::{VerifyPolicy, exc_c14n, verify_enveloped};
use samlgate::saml::xml::{Document, Element, ReadLimits, ns, parse};

const SAML: &str = ns::SAML;
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

const NAMEID: &str = "user-42@partner.example";

// ------------------------------------------------------------------------------------------------
// Keys and xmlsec1
// ------------------------------------------------------------------------------------------------

struct Signer {
    cert: X509,
    dir: tempfile::TempDir,
}

impl Signer {
    fn new(key: PKey<Private>, cn: &str) -> Signer {
        let cert = crate::common::self_signed(&key, cn);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("key.pem"), key.private_key_to_pem_pkcs8().unwrap()).unwrap();
        std::fs::write(dir.path().join("cert.pem"), cert.to_pem().unwrap()).unwrap();
        Signer { cert, dir }
    }

    fn rsa(cn: &str) -> Signer {
        Signer::new(PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(), cn)
    }

    fn p256(cn: &str) -> Signer {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        Signer::new(PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap(), cn)
    }

    fn path(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }
}

fn run_xmlsec(dir: &Path, input: &str, key_args: &[String]) -> String {
    let inp = dir.join(format!("in-{}.xml", std::process::id()));
    let out = dir.join(format!("out-{}.xml", std::process::id()));
    std::fs::write(&inp, input).unwrap();
    let mut cmd = Command::new("xmlsec1");
    cmd.arg("--sign").args(key_args);
    cmd.args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"]);
    cmd.args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"]);
    cmd.arg("--output").arg(&out).arg(&inp);
    let o = cmd
        .output()
        .expect("the `xmlsec1` binary is needed for these tests (apt-get install xmlsec1; scripts/test does it)");
    assert!(o.status.success(), "xmlsec1 --sign failed: {}\n{input}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(&out).unwrap()
}

/// Signs with the real `xmlsec1 --sign` (it fills the first Signature template in document order).
fn xmlsec_sign(s: &Signer, template: &str) -> String {
    let arg = format!("{},{}", s.path("key.pem").display(), s.path("cert.pem").display());
    run_xmlsec(s.dir.path(), template, &["--privkey-pem".into(), arg])
}

/// `xmlsec1 --verify` with only the given certificate (the cross-check of our verifier).
fn xmlsec_verify(s: &Signer, signed: &str) -> bool {
    let f = s.path("verify.xml");
    std::fs::write(&f, signed).unwrap();
    Command::new("xmlsec1")
        .args(["--verify", "--enabled-key-data", "key-name", "--pubkey-cert-pem"])
        .arg(s.path("cert.pem"))
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"])
        .arg(&f)
        .output()
        .unwrap()
        .status
        .success()
}

// ------------------------------------------------------------------------------------------------
// Templates
// ------------------------------------------------------------------------------------------------

fn sig_template(sig_id: &str, sig_alg: &str, digest: &str, uri: &str) -> String {
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="{sig_id}">
      <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="{EXC}"/>
        <ds:SignatureMethod Algorithm="{sig_alg}"/>
        <ds:Reference URI="{uri}">
          <ds:Transforms>
            <ds:Transform Algorithm="{ENVELOPED}"/>
            <ds:Transform Algorithm="{EXC}"/>
          </ds:Transforms>
          <ds:DigestMethod Algorithm="{digest}"/>
          <ds:DigestValue></ds:DigestValue>
        </ds:Reference>
      </ds:SignedInfo>
      <ds:SignatureValue></ds:SignatureValue>
      <ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
    </ds:Signature>"##
    )
}

/// The Assertion `_assert1` (namespaces for `saml` declared on the Response, not on it), with an
/// optional signature template after its Issuer.
fn assertion(sig: &str) -> String {
    format!(
        r##"<saml:Assertion xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Version="2.0" ID="_assert1" IssueInstant="2026-11-26T12:00:00Z">
    <saml:Issuer>https://idp.example.com/saml/metadata</saml:Issuer>
    {sig}
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">{NAMEID}</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="_req1" NotOnOrAfter="2026-11-26T12:05:00Z" Recipient="https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer"/></saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="2026-11-26T11:58:00Z" NotOnOrAfter="2026-11-26T12:05:00Z"><saml:AudienceRestriction><saml:Audience>https://auth.huaweicloud.com/</saml:Audience></saml:AudienceRestriction></saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="xUserId" FriendlyName="tab&#9;lf&#10;cr&#13;&quot;&lt;&amp;&gt;"><saml:AttributeValue xsi:type="xs:string">cust-42 &amp; &lt;co&gt; &#13;
 end</saml:AttributeValue></saml:Attribute>
      <saml:Attribute Name="name"><saml:AttributeValue xsi:type="xs:string"><![CDATA[Alice <& Bob>]]></saml:AttributeValue><saml:AttributeValue xmlns="urn:vendor" xml:lang="zh">华为 <inner xmlns="">x</inner></saml:AttributeValue></saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>"##
    )
}

fn response(response_sig: &str, assertion_xml: &str) -> String {
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:unused="urn:unused" ID="_resp1" Version="2.0" IssueInstant="2026-11-26T12:00:00Z" Destination="https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer" InResponseTo="_req1">
  <saml:Issuer>https://idp.example.com/saml/metadata</saml:Issuer>
  {response_sig}
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  {assertion_xml}
</samlp:Response>
"##
    )
}

/// A Response whose Assertion is signed by `s` with `sig_alg` / `digest` (xmlsec1).
fn signed_assertion_response(s: &Signer, sig_alg: &str, digest: &str) -> String {
    let tpl = response("", &assertion(&sig_template("sig-a", sig_alg, digest, "#_assert1")));
    xmlsec_sign(s, &tpl)
}

// ------------------------------------------------------------------------------------------------
// Verification helpers
// ------------------------------------------------------------------------------------------------

fn doc(xml: &str) -> Document {
    parse(xml.as_bytes(), &ReadLimits::default()).expect("the reader accepts the document")
}

/// What an application would do: take the first Assertion child of the Response, verify it, then
/// read the NameID from the verified element only.
fn verify_first_assertion(xml: &str, certs: &[X509], policy: &VerifyPolicy) -> Result<(String, String, usize), String> {
    let d = doc(xml);
    let target = d.root.children_named(SAML, "Assertion").next().expect("an Assertion");
    match verify_enveloped(&d.root, target, certs, policy) {
        Ok(v) => Ok((nameid(v.element), v.algorithm, v.cert_index)),
        Err(e) => Err(format!("{}: {e}", e.reason())),
    }
}

fn verify_root(xml: &str, certs: &[X509]) -> Result<String, String> {
    let d = doc(xml);
    match verify_enveloped(&d.root, &d.root, certs, &VerifyPolicy::default()) {
        Ok(v) => Ok(v.algorithm),
        Err(e) => Err(format!("{}: {e}", e.reason())),
    }
}

fn nameid(assertion: &Element) -> String {
    let subject = assertion.only_child(SAML, "Subject").unwrap().unwrap();
    subject.only_child(SAML, "NameID").unwrap().unwrap().text()
}

#[track_caller]
fn assert_ok(xml: &str, certs: &[X509]) -> (String, String, usize) {
    match verify_first_assertion(xml, certs, &VerifyPolicy::default()) {
        Ok(v) => v,
        Err(e) => panic!("expected the signature to verify, got {e}\n{xml}"),
    }
}

#[track_caller]
fn assert_refused(xml: &str, certs: &[X509], reason: &str) {
    assert_refused_with(xml, certs, &VerifyPolicy::default(), reason);
}

#[track_caller]
fn assert_refused_with(xml: &str, certs: &[X509], policy: &VerifyPolicy, reason: &str) {
    match verify_first_assertion(xml, certs, policy) {
        Ok(v) => panic!("expected refusal `{reason}`, but it verified: {v:?}\n{xml}"),
        Err(e) => assert!(e.starts_with(&format!("{reason}:")), "expected `{reason}`, got `{e}`\n{xml}"),
    }
}

/// Replaces the only occurrence of `from` (panics when it is not there exactly once).
#[track_caller]
fn edit(s: &str, from: &str, to: &str) -> String {
    assert_eq!(s.matches(from).count(), 1, "`{from}` must occur exactly once in\n{s}");
    s.replacen(from, to, 1)
}

/// The byte range of the first element starting with `open` (e.g. `<saml:Assertion `) up to its
/// matching end tag `close` (no nesting of the same name assumed).
fn span(s: &str, open: &str, close: &str) -> std::ops::Range<usize> {
    let a = s.find(open).unwrap_or_else(|| panic!("no {open}"));
    let b = s[a..].find(close).unwrap_or_else(|| panic!("no {close}")) + a + close.len();
    a..b
}

fn sha256_b64_of_c14n(el: &Element, omit: Option<&Element>) -> String {
    let mut out = Vec::new();
    exc_c14n(el, &mut out, omit);
    B64.encode(openssl::sha::sha256(&out))
}

// ------------------------------------------------------------------------------------------------
// (a) xmlsec1-signed documents verify
// ------------------------------------------------------------------------------------------------

#[test]
fn xmlsec1_rsa_sha256_rsa_sha512_and_ecdsa_sha256_verify() {
    let rsa = Signer::rsa("idp rsa");
    let ec = Signer::p256("idp ec");
    for (s, alg, digest) in [(&rsa, RSA_SHA256, SHA256), (&rsa, RSA_SHA512, SHA512), (&ec, ECDSA_SHA256, SHA256)] {
        let signed = signed_assertion_response(s, alg, digest);
        assert!(xmlsec_verify(s, &signed), "xmlsec1 itself verifies its output");
        let (nid, got_alg, idx) = assert_ok(&signed, std::slice::from_ref(&s.cert));
        assert_eq!((nid.as_str(), got_alg.as_str(), idx), (NAMEID, alg, 0));
    }
}

#[test]
fn key_rollover_picks_the_matching_certificate() {
    let old = Signer::rsa("old");
    let ec = Signer::p256("ec");
    let new = Signer::rsa("new");
    let signed = signed_assertion_response(&new, RSA_SHA256, SHA256);
    let (_, _, idx) = assert_ok(&signed, &[ec.cert.clone(), old.cert.clone(), new.cert.clone()]);
    assert_eq!(idx, 2);
}

#[test]
fn response_signature_and_both_signatures_verify() {
    let s = Signer::rsa("idp");
    // Response only.
    let tpl = response(&sig_template("sig-r", RSA_SHA256, SHA256, "#_resp1"), &assertion(""));
    let signed = xmlsec_sign(&s, &tpl);
    assert_eq!(verify_root(&signed, std::slice::from_ref(&s.cert)).unwrap(), RSA_SHA256);
    assert_refused(&signed, std::slice::from_ref(&s.cert), "missing_signature");

    // Assertion signed first, then the Response around it (the Response digest covers the signed Assertion).
    let inner = xmlsec_sign(&s, &response("", &assertion(&sig_template("sig-a", RSA_SHA256, SHA256, "#_assert1"))));
    let tpl = edit(
        &inner,
        "</saml:Issuer>\n  \n",
        &format!("</saml:Issuer>{}\n", sig_template("sig-r", RSA_SHA256, SHA256, "#_resp1")),
    );
    let signed = xmlsec_sign(&s, &tpl);
    assert_eq!(verify_root(&signed, std::slice::from_ref(&s.cert)).unwrap(), RSA_SHA256);
    assert_ok(&signed, std::slice::from_ref(&s.cert));
    // Changing the Assertion breaks both.
    let bad = edit(&signed, NAMEID, "admin@partner.example");
    assert!(verify_root(&bad, std::slice::from_ref(&s.cert)).unwrap_err().starts_with("digest_mismatch"));
    assert_refused(&bad, std::slice::from_ref(&s.cert), "digest_mismatch");
}

#[test]
fn default_namespace_assertion_verifies() {
    let s = Signer::rsa("idp");
    let a = assertion(&sig_template("sig-a", RSA_SHA256, SHA256, "#_assert1"))
        .replace("<saml:", "<")
        .replace("</saml:", "</")
        .replacen("<Assertion ", "<Assertion xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\" ", 1);
    let signed = xmlsec_sign(&s, &response("", &a));
    assert!(xmlsec_verify(&s, &signed));
    let (nid, _, _) = assert_ok(&signed, std::slice::from_ref(&s.cert));
    assert_eq!(nid, NAMEID);
}

#[test]
fn exc_c14n_of_every_subtree_matches_lxml_when_available() {
    // Differential check of exc_c14n against libxml2 (lxml) on every element of several documents;
    // skipped without the interop venv.
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if !py.exists() {
        eprintln!("skipped: no .venv with lxml");
        return;
    }
    let s = Signer::rsa("idp");
    let docs = [
        signed_assertion_response(&s, RSA_SHA256, SHA256).replacen(NAMEID, "user-42<!-- c -->@partner.example", 1),
        data("pysaml2-response.xml"),
        r#"<a xmlns="urn:a" xmlns:p="urn:p" xmlns:q="urn:a"><b xmlns=""><c q:k="1"/></b><p:d p:x="1" y='2"'>t&#13;<e xmlns="urn:e"><f xmlns="urn:a"/></e></p:d><p:g xmlns:p="urn:p2" xml:space="preserve"/></a>"#.to_owned(),
    ];
    let script = "import sys\nfrom lxml import etree\nt=etree.parse(sys.argv[1])\n\
        sys.stdout.buffer.write(b'\\0'.join(etree.tostring(e, method='c14n', exclusive=True, with_comments=False) \
        for e in t.iter() if isinstance(e.tag, str)))";
    for (i, xml) in docs.iter().enumerate() {
        let f = s.path(&format!("c14n-{i}.xml"));
        std::fs::write(&f, xml).unwrap();
        let o = Command::new(&py).arg("-c").arg(script).arg(&f).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let theirs: Vec<&[u8]> = o.stdout.split(|b| *b == 0).collect();
        let d = doc(xml);
        let mut ours: Vec<Vec<u8>> = Vec::new();
        fn walk(e: &Element, ours: &mut Vec<Vec<u8>>) {
            let mut out = Vec::new();
            exc_c14n(e, &mut out, None);
            ours.push(out);
            for c in e.elements() {
                walk(c, ours);
            }
        }
        walk(&d.root, &mut ours);
        assert_eq!(ours.len(), theirs.len(), "document {i}");
        for (o, t) in ours.iter().zip(&theirs) {
            assert_eq!(String::from_utf8_lossy(o), String::from_utf8_lossy(t), "document {i}");
        }

        // The same with an InclusiveNamespaces PrefixList (Huawei's sample signs with "xsd").
        let script = "import sys\nfrom lxml import etree\nt=etree.parse(sys.argv[1])\n\
            sys.stdout.buffer.write(b'\\0'.join(etree.tostring(e, method='c14n', exclusive=True, with_comments=False, \
            inclusive_ns_prefixes=['xs', 'p', 'q', 'xsd']) for e in t.iter() if isinstance(e.tag, str)))";
        let o = Command::new(&py).arg("-c").arg(script).arg(&f).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let theirs: Vec<&[u8]> = o.stdout.split(|b| *b == 0).collect();
        let mut ours: Vec<Vec<u8>> = Vec::new();
        fn walk_inclusive<'a>(root: &'a Element, e: &'a Element, ours: &mut Vec<Vec<u8>>) {
            let mut out = Vec::new();
            let ancestors = samlgate::saml::verify::ancestor_decls(root, e);
            samlgate::saml::verify::exc_c14n_inclusive(e, &mut out, None, &["xs", "p", "q", "xsd"], &ancestors);
            ours.push(out);
            for c in e.elements() {
                walk_inclusive(root, c, ours);
            }
        }
        walk_inclusive(&d.root, &d.root, &mut ours);
        assert_eq!(ours.len(), theirs.len(), "document {i}");
        for (o, t) in ours.iter().zip(&theirs) {
            assert_eq!(String::from_utf8_lossy(o), String::from_utf8_lossy(t), "document {i} with a PrefixList");
        }
    }
}

// ------------------------------------------------------------------------------------------------
// (b) pysaml2 and our own signer
// ------------------------------------------------------------------------------------------------

fn data(f: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/verify").join(f)).unwrap()
}

#[test]
fn pysaml2_signed_response_verifies() {
    // Generated once by tests/data/verify/generate-pysaml2.sh (pysaml2 7.5.5 IdP, sign_assertion=True).
    let xml = data("pysaml2-response.xml");
    let cert = X509::from_pem(data("pysaml2-idp.crt").as_bytes()).unwrap();
    let d = doc(&xml);
    let a = d.root.children_named(SAML, "Assertion").next().unwrap();
    let v = verify_enveloped(&d.root, a, std::slice::from_ref(&cert), &VerifyPolicy::default()).unwrap();
    assert_eq!(v.algorithm, RSA_SHA256);
    assert!(!nameid(v.element).is_empty());
    // The Response itself is not signed by pysaml2 here.
    let e = verify_enveloped(&d.root, &d.root, std::slice::from_ref(&cert), &VerifyPolicy::default()).unwrap_err();
    assert_eq!(e.reason(), "missing_signature");
    // Any change to the signed attributes is caught.
    let tampered = xml.replacen("cust-42", "cust-43", 1);
    assert_ne!(tampered, xml);
    let d = doc(&tampered);
    let a = d.root.children_named(SAML, "Assertion").next().unwrap();
    let e = verify_enveloped(&d.root, a, std::slice::from_ref(&cert), &VerifyPolicy::default()).unwrap_err();
    assert_eq!(e.reason(), "digest_mismatch");
    // Another key does not verify it.
    let other = Signer::rsa("other");
    let d = doc(&xml);
    let a = d.root.children_named(SAML, "Assertion").next().unwrap();
    let e = verify_enveloped(&d.root, a, &[other.cert], &VerifyPolicy::default()).unwrap_err();
    assert_eq!(e.reason(), "bad_signature");
}

#[test]
fn our_own_signer_output_verifies() {
    use samlgate::saml::dsig::{SignatureAlgorithm, SigningKey, sign_enveloped};
    use samlgate::saml::xml::XmlWriter;
    for (key, alg) in [
        (PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(), SignatureAlgorithm::RsaSha256),
        (
            PKey::from_ec_key(EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap())
                .unwrap(),
            SignatureAlgorithm::EcdsaSha256,
        ),
    ] {
        let signer = Signer::new(key.clone(), "ours");
        let sk = SigningKey::new(key, signer.cert.to_der().unwrap(), alg).unwrap();
        let mut w = XmlWriter::new();
        w.start("saml:Assertion").attr("ID", "_ours1").attr("Version", "2.0");
        w.text_element("saml:Issuer", &[], "https://idp");
        let insert_at = w.len();
        w.start("saml:Subject").text_element("saml:NameID", &[], "a&b<c>").end();
        w.end();
        let el = w.finish().unwrap();
        let signed = sign_enveloped(&sk, &el, "_ours1", insert_at).unwrap();
        let d = doc(&signed);
        let v =
            verify_enveloped(&d.root, &d.root, std::slice::from_ref(&signer.cert), &VerifyPolicy::default()).unwrap();
        assert_eq!(v.algorithm, alg.uri());
        assert_eq!(nameid(v.element), "a&b<c>");
    }
}

// ------------------------------------------------------------------------------------------------
// (c) the corpus of bad inputs
// ------------------------------------------------------------------------------------------------

struct Fixture {
    idp: Signer,
    signed: String,
}

fn fixture() -> Fixture {
    let idp = Signer::rsa("idp");
    let signed = signed_assertion_response(&idp, RSA_SHA256, SHA256);
    assert_eq!(assert_ok(&signed, std::slice::from_ref(&idp.cert)).0, NAMEID);
    Fixture { idp, signed }
}

impl Fixture {
    fn certs(&self) -> Vec<X509> {
        vec![self.idp.cert.clone()]
    }
    /// The signed Assertion's text.
    fn assertion(&self) -> &str {
        &self.signed[span(&self.signed, "<saml:Assertion ", "</saml:Assertion>")]
    }
    /// The signed Assertion with the NameID forged.
    fn forged(&self, id: &str) -> String {
        let a = self.assertion().replace(NAMEID, "admin@partner.example");
        a.replacen("ID=\"_assert1\"", &format!("ID=\"{id}\""), 1)
    }
    fn signature(&self) -> &str {
        &self.signed[span(&self.signed, "<ds:Signature", "</ds:Signature>")]
    }
    /// The forged Assertion without its signature.
    fn forged_unsigned(&self, id: &str) -> String {
        self.forged(id).replacen(self.signature(), "", 1)
    }
}

#[test]
fn fail_closed_without_certificates() {
    let f = fixture();
    assert_refused(&f.signed, &[], "no_certificate");
}

#[test]
fn xsw_wrapping_corpus() {
    let f = fixture();
    let c = f.certs();
    let orig = f.assertion().to_owned();

    // XSW3: a forged unsigned Assertion before the signed one (the app reads the first).
    let x = edit(&f.signed, &orig, &format!("{}{orig}", f.forged_unsigned("_evil")));
    assert_refused(&x, &c, "missing_signature");
    // … with the same ID as the signed one.
    let x = edit(&f.signed, &orig, &format!("{}{orig}", f.forged_unsigned("_assert1")));
    assert_refused(&x, &c, "duplicate_id");

    // XSW4: the signed Assertion moved inside the forged one.
    let forged = f.forged_unsigned("_evil");
    let wrapped = edit(&forged, "</saml:Assertion>", &format!("{orig}</saml:Assertion>"));
    assert_refused(&edit(&f.signed, &orig, &wrapped), &c, "missing_signature");
    let forged = f.forged_unsigned("_assert1");
    let wrapped = edit(&forged, "</saml:Assertion>", &format!("{orig}</saml:Assertion>"));
    assert_refused(&edit(&f.signed, &orig, &wrapped), &c, "duplicate_id");

    // XSW5: the original Signature kept in the forged Assertion, the signed one appended elsewhere.
    let x = edit(&f.signed, &orig, &format!("{}{orig}", f.forged("_evil")));
    assert_refused(&x, &c, "wrong_reference");
    // … same ID, original removed: the digest no longer matches.
    assert_refused(&edit(&f.signed, &orig, &f.forged("_assert1")), &c, "digest_mismatch");

    // XSW7: the signed Assertion hidden under samlp:Extensions, a forged one in its place.
    let ext = format!("<samlp:Extensions>{orig}</samlp:Extensions>");
    let x = edit(&f.signed, &orig, &f.forged_unsigned("_assert1"));
    let x = edit(&x, "  <samlp:Status>", &format!("{ext}<samlp:Status>"));
    assert_refused(&x, &c, "duplicate_id");
    let x = edit(&f.signed, &orig, &f.forged("_assert1"));
    let x = edit(&x, "  <samlp:Status>", &format!("{ext}<samlp:Status>"));
    assert_refused(&x, &c, "duplicate_id");
    let x = edit(&f.signed, &orig, &f.forged_unsigned("_evil"));
    let x = edit(&x, "  <samlp:Status>", &format!("{ext}<samlp:Status>"));
    assert_refused(&x, &c, "missing_signature");

    // XSW8: the forged Assertion carries the Signature, the original sits in a ds:Object inside it.
    let forged = f.forged("_evil");
    let x = edit(
        &forged,
        "</ds:KeyInfo>",
        &format!("</ds:KeyInfo><ds:Object>{}</ds:Object>", orig.replacen(f.signature(), "", 1)),
    );
    assert_refused(&edit(&f.signed, &orig, &x), &c, "malformed_signature");

    // The signed Assertion under Extensions is verifiable as itself — and it is the element returned.
    let x = edit(&f.signed, &orig, "");
    let x = edit(&x, "  <samlp:Status>", &format!("<samlp:Extensions>{orig}</samlp:Extensions><samlp:Status>"));
    let d = doc(&x);
    let ext_el = d.root.elements().find(|e| e.local == "Extensions").unwrap();
    let a = ext_el.elements().next().unwrap();
    let v = verify_enveloped(&d.root, a, &c, &VerifyPolicy::default()).unwrap();
    assert!(std::ptr::eq(v.element, a));
}

#[test]
fn xsw_response_level_wrapping() {
    // XSW1/XSW2: the signed Response wrapped by a forged Response (as child / in Extensions).
    let s = Signer::rsa("idp");
    let tpl = response(&sig_template("sig-r", RSA_SHA256, SHA256, "#_resp1"), &assertion(""));
    let signed = xmlsec_sign(&s, &tpl);
    let c = vec![s.cert.clone()];
    let body = &signed[span(&signed, "<samlp:Response ", "</samlp:Response>")];
    let sig = &signed[span(&signed, "<ds:Signature", "</ds:Signature>")];
    let forged_head = body.replace(NAMEID, "admin@partner.example").replacen(sig, "", 1);
    // XSW1: forged root with a copy of the Signature, the original Response inside Extensions.
    let mut forged = forged_head.replacen("ID=\"_resp1\"", "ID=\"_evil\"", 1);
    forged =
        edit(&forged, "  <samlp:Status>", &format!("{sig}<samlp:Extensions>{body}</samlp:Extensions><samlp:Status>"));
    assert!(verify_root(&forged, &c).unwrap_err().starts_with("wrong_reference"));
    // XSW2: same, without the Signature copy on the forged root.
    let forged = edit(
        &forged_head.replacen("ID=\"_resp1\"", "ID=\"_evil\"", 1),
        "  <samlp:Status>",
        &format!("<samlp:Extensions>{body}</samlp:Extensions><samlp:Status>"),
    );
    assert!(verify_root(&forged, &c).unwrap_err().starts_with("missing_signature"));
    // Same ID as the original on the forged root: duplicate.
    let forged = edit(
        &forged_head,
        "  <samlp:Status>",
        &format!("{sig}<samlp:Extensions>{body}</samlp:Extensions><samlp:Status>"),
    );
    assert!(verify_root(&forged, &c).unwrap_err().starts_with("duplicate_id"));
}

#[test]
fn duplicate_ids_anywhere_are_refused() {
    let f = fixture();
    let c = f.certs();
    for other in [
        r#"<saml:Extra ID="_assert1"/>"#,
        r#"<saml:Extra Id="_assert1"/>"#,
        r#"<saml:Extra id="_assert1"/>"#,
        r#"<saml:Extra xmlns:wsu="urn:wsu" wsu:Id="_assert1"/>"#,
    ] {
        let x = edit(&f.signed, "  <samlp:Status>", &format!("{other}<samlp:Status>"));
        assert_refused(&x, &c, "duplicate_id");
    }
    // the Response root with the Assertion's ID
    let x = edit(&f.signed, "ID=\"_resp1\"", "ID=\"_assert1\"");
    assert_refused(&x, &c, "duplicate_id");
}

#[test]
fn references_must_point_at_the_signed_element() {
    let f = fixture();
    let c = f.certs();
    // Reference to the Response (a validly signed document, but not the Assertion's signature).
    let s = &f.idp;
    let tpl = response("", &assertion(&sig_template("sig-a", RSA_SHA256, SHA256, "#_resp1")));
    let x = xmlsec_sign(s, &tpl);
    assert_refused(&x, &c, "wrong_reference");
    // Reference to an element inside the Assertion.
    let x = edit(&f.signed, "<saml:Subject>", "<saml:Subject ID=\"_subj\">");
    let x = edit(&x, "URI=\"#_assert1\"", "URI=\"#_subj\"");
    assert_refused(&x, &c, "wrong_reference");
    for uri in ["", "#", "#xpointer(id('_assert1'))", "#xpointer(/)", "https://x/#_assert1", "_assert1"] {
        let x = edit(&f.signed, "URI=\"#_assert1\"", &format!("URI=\"{uri}\""));
        assert_refused(&x, &c, "unsupported_reference_uri");
    }
    // no URI at all
    assert_refused(&edit(&f.signed, " URI=\"#_assert1\"", ""), &c, "unsupported_reference_uri");
    // two References
    let r = &f.signed[span(&f.signed, "<ds:Reference ", "</ds:Reference>")];
    let x = edit(&f.signed, r, &format!("{r}{r}"));
    assert_refused(&x, &c, "reference_count");
    // no ID on the target
    let x = edit(&f.signed, "ID=\"_assert1\"", "");
    assert_refused(&x, &c, "missing_id");
}

#[test]
fn two_signatures_are_refused() {
    let f = fixture();
    let sig = f.signature().to_owned();
    assert_refused(&edit(&f.signed, &sig, &format!("{sig}{sig}")), &f.certs(), "multiple_signatures");
    let x = edit(&f.signed, "<saml:Subject>", &format!("{sig}<saml:Subject>"));
    assert_refused(&x, &f.certs(), "multiple_signatures");
}

#[test]
fn only_allowlisted_transforms_and_canonicalization() {
    let f = fixture();
    let c = f.certs();
    let transforms = &f.signed[span(&f.signed, "<ds:Transforms>", "</ds:Transforms>")];
    let with = |inner: &str| edit(&f.signed, transforms, &format!("<ds:Transforms>{inner}</ds:Transforms>"));
    let env = format!(r#"<ds:Transform Algorithm="{ENVELOPED}"/>"#);
    let exc = format!(r#"<ds:Transform Algorithm="{EXC}"/>"#);
    let xpath = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"#;
    let xslt = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"/></ds:Transform>"#;
    let exc_comments = r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>"#;
    let c14n10 = r#"<ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>"#;
    assert_refused(&with(&format!("{env}{xpath}{exc}")), &c, "unsupported_transform");
    assert_refused(&with(&format!("{env}{xslt}")), &c, "unsupported_transform");
    assert_refused(&with(&format!("{env}{exc_comments}")), &c, "unsupported_transform");
    assert_refused(&with(&format!("{env}{c14n10}")), &c, "unsupported_transform");
    assert_refused(&with(&format!("{exc}{env}")), &c, "unsupported_transform");
    assert_refused(&with(&env), &c, "unsupported_transform");
    assert_refused(&with(&format!("{env}{exc}{exc}")), &c, "unsupported_transform");
    assert_refused(&with(""), &c, "unsupported_transform");
    // exc-c14n alone is allowed by shape; the digest then covers the Signature and cannot match.
    assert_refused(&with(&exc), &c, "digest_mismatch");
    // A PrefixList is accepted by shape (the signature breaks since SignedInfo changed; Huawei's sample
    // assertion signs with PrefixList="xsd"); a token that is not a prefix is refused.
    let ec = |list: &str| {
        format!(
            r#"<ds:Transform Algorithm="{EXC}"><ec:InclusiveNamespaces xmlns:ec="{EXC}" PrefixList="{list}"/></ds:Transform>"#
        )
    };
    assert_refused(&with(&format!("{env}{}", ec(""))), &c, "bad_signature");
    // (`xs` is declared on the Response: listed, it is rendered on the Assertion, so the digest input
    // changes.)
    assert_refused(&with(&format!("{env}{}", ec("xs saml"))), &c, "digest_mismatch");
    assert_refused(&with(&format!("{env}{}", ec("saml"))), &c, "bad_signature");
    assert_refused(&with(&format!("{env}{}", ec("xs a:b"))), &c, "inclusive_namespaces");
    assert_refused(&with(&format!("{env}{}", ec("xmlns"))), &c, "inclusive_namespaces");

    // CanonicalizationMethod
    let cm = format!(r#"<ds:CanonicalizationMethod Algorithm="{EXC}"/>"#);
    for alg in [
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        "http://www.w3.org/2006/12/xml-c14n11",
    ] {
        let x = edit(&f.signed, &cm, &format!(r#"<ds:CanonicalizationMethod Algorithm="{alg}"/>"#));
        assert_refused(&x, &c, "unsupported_canonicalization");
    }
    let x = edit(
        &f.signed,
        &cm,
        &format!(
            r#"<ds:CanonicalizationMethod Algorithm="{EXC}"><ec:InclusiveNamespaces xmlns:ec="{EXC}" PrefixList="xs"/></ds:CanonicalizationMethod>"#
        ),
    );
    assert_refused(&x, &c, "bad_signature");
    let x = edit(
        &f.signed,
        &cm,
        &format!(
            r##"<ds:CanonicalizationMethod Algorithm="{EXC}"><ec:InclusiveNamespaces xmlns:ec="{EXC}" PrefixList="#x"/></ds:CanonicalizationMethod>"##
        ),
    );
    assert_refused(&x, &c, "inclusive_namespaces");
}

#[test]
fn signature_and_digest_algorithm_allowlist() {
    let f = fixture();
    let c = f.certs();
    let sm = format!(r#"<ds:SignatureMethod Algorithm="{RSA_SHA256}"/>"#);
    for alg in [
        HMAC_SHA1,
        HMAC_SHA256,
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2009/xmldsig11#dsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
        "urn:unknown",
    ] {
        let x = edit(&f.signed, &sm, &format!(r#"<ds:SignatureMethod Algorithm="{alg}"/>"#));
        assert_refused(&x, &c, "unsupported_signature_method");
    }
    // HMACOutputLength or anything else inside SignatureMethod
    let x = edit(
        &f.signed,
        &sm,
        &format!(
            r#"<ds:SignatureMethod Algorithm="{RSA_SHA256}"><ds:HMACOutputLength>8</ds:HMACOutputLength></ds:SignatureMethod>"#
        ),
    );
    assert_refused(&x, &c, "malformed_signature");
    let dm = format!(r#"<ds:DigestMethod Algorithm="{SHA256}"/>"#);
    for alg in ["http://www.w3.org/2001/04/xmldsig-more#md5", "urn:unknown"] {
        let x = edit(&f.signed, &dm, &format!(r#"<ds:DigestMethod Algorithm="{alg}"/>"#));
        assert_refused(&x, &c, "unsupported_digest_method");
    }
}

#[test]
fn hmac_signed_with_the_public_certificate_is_refused() {
    // The xml-crypto confusion: a real HMAC signature keyed with the IdP's public certificate bytes.
    let f = fixture();
    let key = f.idp.path("hmac.bin");
    std::fs::write(&key, f.idp.cert.to_pem().unwrap()).unwrap();
    for alg in [HMAC_SHA256, HMAC_SHA1] {
        let sig =
            sig_template("sig-a", alg, SHA256, "#_assert1").replace("<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>", "");
        let tpl = response("", &assertion(&sig));
        let x = run_xmlsec(f.idp.dir.path(), &tpl, &["--hmackey".into(), key.display().to_string()]);
        assert_refused(&x, &f.certs(), "unsupported_signature_method");
    }
}

#[test]
fn sha1_is_refused_by_default_and_allowed_per_policy() {
    let s = Signer::rsa("idp");
    let c = vec![s.cert.clone()];
    let allow = VerifyPolicy { allow_sha1: true, ..VerifyPolicy::default() };
    let x = signed_assertion_response(&s, RSA_SHA1, SHA1);
    assert_refused(&x, &c, "weak_algorithm");
    assert!(verify_first_assertion(&x, &c, &allow).is_ok());
    let x = signed_assertion_response(&s, RSA_SHA1, SHA256);
    assert_refused(&x, &c, "weak_algorithm");
    assert!(verify_first_assertion(&x, &c, &allow).is_ok());
    let x = signed_assertion_response(&s, RSA_SHA256, SHA1);
    assert_refused(&x, &c, "weak_algorithm");
    assert_eq!(verify_first_assertion(&x, &c, &allow).unwrap().1, RSA_SHA256);
}

#[test]
fn digest_value_is_read_only_from_the_signed_reference() {
    // CVE-2024-45409 shape: forged content plus a second ds:DigestValue that matches it.
    let f = fixture();
    let c = f.certs();
    let forged_doc = edit(&f.signed, NAMEID, "admin@partner.example");
    let d = doc(&forged_doc);
    let a = d.root.children_named(SAML, "Assertion").next().unwrap();
    let sig = a.children_named(ns::DS, "Signature").next().unwrap();
    let forged_digest = sha256_b64_of_c14n(a, Some(sig));
    let dv =
        format!(r#"<ds:DigestValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#">{forged_digest}</ds:DigestValue>"#);
    // in KeyInfo, in the Response's Extensions, and in the Assertion before the Signature
    assert_refused(&edit(&forged_doc, "<ds:KeyInfo>", &format!("<ds:KeyInfo>{dv}")), &c, "digest_mismatch");
    assert_refused(
        &edit(&forged_doc, "  <samlp:Status>", &format!("<samlp:Extensions>{dv}</samlp:Extensions><samlp:Status>")),
        &c,
        "digest_mismatch",
    );
    let x = edit(&forged_doc, "</saml:Issuer>\n    <ds:Signature", &format!("</saml:Issuer>{dv}<ds:Signature"));
    assert_refused(&x, &c, "digest_mismatch");
    // Replacing the real DigestValue inside SignedInfo breaks the signature over SignedInfo.
    let real = &f.signed[span(&f.signed, "<ds:DigestValue>", "</ds:DigestValue>")];
    let x = edit(&forged_doc, real, &format!("<ds:DigestValue>{forged_digest}</ds:DigestValue>"));
    assert_refused(&x, &c, "bad_signature");
    // A DigestValue inside the Reference next to the real one is a malformed signature.
    let x = edit(&forged_doc, real, &format!("{real}<ds:DigestValue>{forged_digest}</ds:DigestValue>"));
    assert_refused(&x, &c, "malformed_signature");
}

#[test]
fn tampering_after_signing_is_refused() {
    let f = fixture();
    let c = f.certs();
    assert_refused(&edit(&f.signed, NAMEID, "admin@partner.example"), &c, "digest_mismatch");
    assert_refused(&edit(&f.signed, "cust-42 &amp;", "cust-43 &amp;"), &c, "digest_mismatch");
    assert_refused(&edit(&f.signed, "Name=\"xUserId\"", "Name=\"xUserId\" Extra=\"1\""), &c, "digest_mismatch");
    assert_refused(
        &edit(
            &f.signed,
            "NotOnOrAfter=\"2026-11-26T12:05:00Z\"><saml:Audience",
            "NotOnOrAfter=\"2036-11-26T12:05:00Z\"><saml:Audience",
        ),
        &c,
        "digest_mismatch",
    );
    // a namespace-prefix change of the signed element's own name changes its canonical form
    let x = f.signed.replace("saml:Audience", "samlx:Audience").replacen(
        "<saml:Assertion ",
        "<saml:Assertion xmlns:samlx=\"urn:oasis:names:tc:SAML:2.0:assertion\" ",
        1,
    );
    assert_refused(&x, &c, "digest_mismatch");
    // flipping the SignatureValue
    let sv = &f.signed[span(&f.signed, "<ds:SignatureValue>", "</ds:SignatureValue>")];
    let inner = &sv["<ds:SignatureValue>".len()..sv.len() - "</ds:SignatureValue>".len()];
    let mut bytes = B64.decode(inner.split_whitespace().collect::<String>()).unwrap();
    bytes[10] ^= 1;
    let x = edit(&f.signed, sv, &format!("<ds:SignatureValue>{}</ds:SignatureValue>", B64.encode(&bytes)));
    assert_refused(&x, &c, "bad_signature");
    let x = edit(&f.signed, sv, "<ds:SignatureValue>!!notbase64</ds:SignatureValue>");
    assert_refused(&x, &c, "bad_base64");
    // Changes outside the signed Assertion do not matter to the Assertion's signature.
    let x = edit(&f.signed, "InResponseTo=\"_req1\">", "InResponseTo=\"_other\">");
    assert_ok(&x, &c);
    // Whitespace changes inside SignedInfo break it (it is canonicalized as it is).
    let x = edit(&f.signed, "<ds:SignedInfo>", "<ds:SignedInfo> ");
    assert_refused(&x, &c, "bad_signature");
}

#[test]
fn comment_in_nameid_still_verifies_and_text_is_the_full_value() {
    let f = fixture();
    let x = edit(&f.signed, NAMEID, "user-42<!---->@partner.example");
    let (nid, _, _) = assert_ok(&x, &f.certs());
    assert_eq!(nid, NAMEID, "the reader's text() returns the full concatenation");
    let x = edit(&f.signed, NAMEID, "user-42<!-- hidden -->@partner<!---->.example");
    assert_eq!(assert_ok(&x, &f.certs()).0, NAMEID);
    // Comments in SignedInfo are dropped by c14n too.
    let x = edit(&f.signed, "<ds:SignedInfo>", "<ds:SignedInfo><!-- c -->");
    assert_ok(&x, &f.certs());
}

#[test]
fn key_info_is_never_a_key_source() {
    let f = fixture();
    let attacker = Signer::rsa("idp");
    // The attacker signs forged content and embeds their own certificate in KeyInfo (xmlsec1 fills X509Data).
    let tpl =
        response("", &assertion(&sig_template("sig-a", RSA_SHA256, SHA256, "#_assert1")).replace(NAMEID, "admin@x"));
    let x = xmlsec_sign(&attacker, &tpl);
    assert!(x.contains("<ds:X509Certificate>"), "the attacker's cert is embedded");
    assert!(xmlsec_verify(&attacker, &x));
    assert_refused(&x, &f.certs(), "bad_signature");
    // Swapping the legitimate cert into KeyInfo changes nothing either.
    let legit_b64 = B64.encode(f.idp.cert.to_der().unwrap());
    let ki = &x[span(&x, "<ds:X509Certificate>", "</ds:X509Certificate>")];
    let x2 = edit(&x, ki, &format!("<ds:X509Certificate>{legit_b64}</ds:X509Certificate>"));
    assert_refused(&x2, &f.certs(), "bad_signature");
    // And the legitimate document with garbage KeyInfo still verifies.
    let ki = &f.signed[span(&f.signed, "<ds:KeyInfo>", "</ds:KeyInfo>")];
    let x3 = edit(&f.signed, ki, "<ds:KeyInfo><ds:KeyName>whatever</ds:KeyName></ds:KeyInfo>");
    assert_ok(&x3, &f.certs());
}

#[test]
fn algorithm_must_fit_the_key_type() {
    let rsa = Signer::rsa("rsa");
    let ec = Signer::p256("ec");
    // A genuine ECDSA signature, but the caller only trusts an RSA key.
    let x = signed_assertion_response(&ec, ECDSA_SHA256, SHA256);
    assert_refused(&x, std::slice::from_ref(&rsa.cert), "algorithm_key_mismatch");
    // An RSA signature relabelled as ECDSA.
    let x = signed_assertion_response(&rsa, RSA_SHA256, SHA256);
    let x = x.replacen(RSA_SHA256, ECDSA_SHA256, 1);
    assert_refused(&x, std::slice::from_ref(&rsa.cert), "algorithm_key_mismatch");
    // … and with both keys trusted it does not verify as ECDSA.
    assert_refused(&x, &[rsa.cert.clone(), ec.cert.clone()], "bad_signature");
    // An RSA-SHA256 label on an ECDSA signature.
    let x = signed_assertion_response(&ec, ECDSA_SHA256, SHA256).replacen(ECDSA_SHA256, RSA_SHA256, 1);
    assert_refused(&x, std::slice::from_ref(&ec.cert), "algorithm_key_mismatch");
}

#[test]
fn ecdsa_signature_value_must_be_raw_r_concat_s() {
    let ec = Signer::p256("ec");
    let signed = signed_assertion_response(&ec, ECDSA_SHA256, SHA256);
    let sv = &signed[span(&signed, "<ds:SignatureValue>", "</ds:SignatureValue>")];
    let inner = &sv["<ds:SignatureValue>".len()..sv.len() - "</ds:SignatureValue>".len()];
    let raw = B64.decode(inner.split_whitespace().collect::<String>()).unwrap();
    assert_eq!(raw.len(), 64);
    // A DER-encoded value is not what XML-DSig carries: refused.
    let r = BigNum::from_slice(&raw[..32]).unwrap();
    let s = BigNum::from_slice(&raw[32..]).unwrap();
    let der = openssl::ecdsa::EcdsaSig::from_private_components(r, s).unwrap().to_der().unwrap();
    let x = edit(&signed, sv, &format!("<ds:SignatureValue>{}</ds:SignatureValue>", B64.encode(der)));
    assert_refused(&x, std::slice::from_ref(&ec.cert), "bad_signature");
    // Truncated value
    let x = edit(&signed, sv, &format!("<ds:SignatureValue>{}</ds:SignatureValue>", B64.encode(&raw[..63])));
    assert_refused(&x, std::slice::from_ref(&ec.cert), "bad_signature");
}

#[test]
fn signature_structure_is_strict() {
    let f = fixture();
    let c = f.certs();
    // ds:Object in the Signature
    let x = edit(&f.signed, "</ds:KeyInfo>", "</ds:KeyInfo><ds:Object>x</ds:Object>");
    assert_refused(&x, &c, "malformed_signature");
    // a foreign element in SignedInfo
    let x = edit(&f.signed, "<ds:SignedInfo>", "<ds:SignedInfo><saml:Extra/>");
    assert_refused(&x, &c, "malformed_signature");
    // text in SignedInfo
    let x = edit(&f.signed, "<ds:SignedInfo>", "<ds:SignedInfo>x");
    assert_refused(&x, &c, "malformed_signature");
    // no SignatureValue
    let sv = &f.signed[span(&f.signed, "<ds:SignatureValue>", "</ds:SignatureValue>")];
    assert_refused(&edit(&f.signed, sv, ""), &c, "malformed_signature");
    // Transforms missing
    let t = &f.signed[span(&f.signed, "<ds:Transforms>", "</ds:Transforms>")];
    assert_refused(&edit(&f.signed, t, ""), &c, "malformed_signature");
    // a Signature in another namespace does not count as a signature
    let x = f.signed.replace("http://www.w3.org/2000/09/xmldsig#\" Id=\"sig-a\"", "urn:not-dsig\" Id=\"sig-a\"");
    assert_refused(&x, &c, "missing_signature");
}

#[test]
fn target_must_belong_to_the_document() {
    let f = fixture();
    let d1 = doc(&f.signed);
    let d2 = doc(&f.signed);
    let a2 = d2.root.children_named(SAML, "Assertion").next().unwrap();
    let e = verify_enveloped(&d1.root, a2, &f.certs(), &VerifyPolicy::default()).unwrap_err();
    assert_eq!(e.reason(), "target_not_in_document");
}

#[test]
fn doctype_never_reaches_the_verifier() {
    let f = fixture();
    let x = f.signed.replacen("<samlp:Response", "<!DOCTYPE r [<!ENTITY e \"x\">]><samlp:Response", 1);
    assert!(parse(x.as_bytes(), &ReadLimits::default()).is_err());
}
