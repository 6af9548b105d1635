//! SP metadata import (bundled file, a corpus of broken files, each refused for its own reason) and the
//! shape of the IdP metadata samlgate publishes (checked with our reader and independently with
//! Python's ElementTree and, when installed, xmllint).

use std::path::{Path, PathBuf};
use std::process::Command;

use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};
use samlgate::saml::metadata::{
    BINDING_POST, BINDING_REDIRECT, IdpMetadataParams, MetadataError, NAMEID_TRANSIENT, SpMetadataParams,
    SpParseOptions, idp_metadata_xml, parse_sp_metadata, sp_metadata_xml,
};
use samlgate::saml::xml::{self, Element, Node, ReadLimits, XmlReadError, ns};

const HUAWEI: &str = "https://auth.huaweicloud.com";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sp-metadata")
}

fn bundled() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("metadata/huawei-sp-metadata.xml")).unwrap()
}

/// 2026-01-01T00:00:00Z: a fixed "now" for the corpus files (their certificates have fixed dates).
const NOW: i64 = 1_767_225_600;

fn opts() -> SpParseOptions {
    SpParseOptions {
        allow_http: false,
        now_unix: NOW,
        max_bytes: 512 * 1024,
        trusted_signers: vec![samlgate::huawei::METADATA_SIGNER_SHA256],
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn self_signed(cn: &str, days: u32) -> Vec<u8> {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::days_from_now(days).unwrap()).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    b.build().to_der().unwrap()
}

// ----------------------------------------------------------------------------------------------------
// The corpus of broken SP metadata

/// A check that the refusal is the expected variant.
type IsRight = fn(&MetadataError) -> bool;

/// File → the variant it must be refused with, and a substring of the message naming the reason.
fn expected(file: &str) -> Option<(IsRight, &'static str)> {
    use MetadataError as M;
    use XmlReadError as X;
    let e: (IsRight, &'static str) = match file {
        "bad-doctype-xxe.xml" => (|e| matches!(e, M::Xml(X::DoctypeRefused { .. })), "DOCTYPE"),
        "bad-billion-laughs.xml" => (|e| matches!(e, M::Xml(X::DoctypeRefused { .. })), "DTDs are never processed"),
        "bad-entity-reference.xml" => (|e| matches!(e, M::Xml(X::EntityRefused { .. })), "`&ext;`"),
        "bad-acs-javascript.xml" => (
            |e| matches!(e, M::BadUrl { attribute, .. } if attribute == "Location"),
            "md:AssertionConsumerService[1]@Location `javascript:alert(document.domain)` refused: scheme `javascript`",
        ),
        "bad-acs-data.xml" => (|e| matches!(e, M::BadUrl { .. }), "scheme `data` is not allowed"),
        "bad-acs-http.xml" => (|e| matches!(e, M::BadUrl { .. }), "scheme `http` is not allowed (only https)"),
        "bad-acs-userinfo.xml" => (|e| matches!(e, M::BadUrl { .. }), "userinfo"),
        "bad-acs-backslash.xml" => (|e| matches!(e, M::BadUrl { .. }), "backslash"),
        "bad-slo-response-file.xml" => (
            |e| matches!(e, M::BadUrl { attribute, .. } if attribute == "ResponseLocation"),
            "md:SingleLogoutService[1]@ResponseLocation `file:///etc/passwd` refused: scheme `file`",
        ),
        "bad-no-acs.xml" => (|e| matches!(e, M::NoAcs), "no md:AssertionConsumerService"),
        "bad-no-entityid.xml" => (|e| matches!(e, M::MissingEntityId), "entityID"),
        "bad-signed-without-cert.xml" => (|e| matches!(e, M::SigningCertMissing), "AuthnRequestsSigned"),
        "bad-cert-base64.xml" => (|e| matches!(e, M::BadCertBase64 { .. }), "X509Certificate is not valid base64"),
        "bad-cert-garbage.xml" => (|e| matches!(e, M::BadCert { .. }), "not a parsable X.509 certificate"),
        "bad-duplicate-attribute.xml" => (
            |e| matches!(e, M::Xml(X::DuplicateAttribute { name, .. }) if name == "Location"),
            "duplicate attribute `Location`",
        ),
        "bad-wrong-root.xml" => (|e| matches!(e, M::WrongRoot { .. }), "urn:oasis:names:tc:SAML:1.0:metadata"),
        "bad-md-prefix-aliased.xml" => (
            |e| matches!(e, M::Xml(X::NamespaceRedeclared { prefix, .. }) if prefix == "md"),
            "prefix `md` redeclared to `urn:evil:metadata`",
        ),
        "bad-duplicate-acs-index.xml" => (|e| matches!(e, M::DuplicateAcsIndex { index: 0 }), "index 0"),
        "bad-processing-instruction.xml" => {
            (|e| matches!(e, M::Xml(X::ProcessingInstructionRefused { .. })), "`<?evil`")
        }
        "bad-two-entities.xml" => (|e| matches!(e, M::EntityCount { count: 2 }), "exactly one"),
        _ => return None,
    };
    Some(e)
}

#[test]
fn every_broken_file_fails_for_its_own_reason() {
    let mut files: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("bad-"))
        .collect();
    files.sort();
    assert!((10..=20).contains(&files.len()), "corpus size {}", files.len());
    for f in &files {
        let (is_right, needle) = expected(f).unwrap_or_else(|| panic!("{f} has no expectation in the table"));
        let bytes = std::fs::read(corpus_dir().join(f)).unwrap();
        let err = parse_sp_metadata(&bytes, &opts()).expect_err(f);
        let msg = err.to_string();
        assert!(is_right(&err), "{f}: wrong refusal: {err:?}");
        assert!(msg.contains(needle), "{f}: message {msg:?} lacks {needle:?}");
    }
}

#[test]
fn http_acs_is_accepted_only_with_allow_http() {
    let bytes = std::fs::read(corpus_dir().join("bad-acs-http.xml")).unwrap();
    let md = parse_sp_metadata(&bytes, &SpParseOptions { allow_http: true, ..opts() }).unwrap();
    assert_eq!(md.acs[0].location, "http://sp.example.com/acs");
    // javascript: stays refused even then
    let bytes = std::fs::read(corpus_dir().join("bad-acs-javascript.xml")).unwrap();
    let err = parse_sp_metadata(&bytes, &SpParseOptions { allow_http: true, ..opts() }).unwrap_err();
    assert!(err.to_string().contains("only https or http"), "{err}");
}

#[test]
fn oversized_metadata_is_refused_before_parsing() {
    let mut big = bundled();
    let pad = format!("<!--{}-->", "x".repeat(600 * 1024));
    big.extend_from_slice(pad.as_bytes());
    let err = parse_sp_metadata(&big, &opts()).unwrap_err();
    assert!(matches!(err, MetadataError::TooLarge { limit: 524_288, .. }), "{err:?}");
    // a DOCTYPE hidden after the cap is never reached either
    let mut big = b"<!DOCTYPE x>".to_vec();
    big.resize(600 * 1024, b' ');
    assert!(matches!(parse_sp_metadata(&big, &opts()), Err(MetadataError::TooLarge { .. })));
    // the cap is configurable
    let err = parse_sp_metadata(&bundled(), &SpParseOptions { max_bytes: 1000, ..opts() }).unwrap_err();
    assert!(err.to_string().contains("over the limit of 1000 bytes"), "{err}");
}

#[test]
fn never_panics_on_mutated_metadata() {
    let doc = bundled();
    let mut s: u64 = 0x2545_F491_4F6C_DD1D;
    for i in 0..600 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let mut m = doc.clone();
        let at = (s % m.len() as u64) as usize;
        if i % 3 == 0 {
            m.truncate(at);
        } else {
            m[at] = (s >> 24) as u8;
        }
        let _ = parse_sp_metadata(&m, &opts());
    }
}

// ----------------------------------------------------------------------------------------------------
// Positive cases

#[test]
fn bundled_huawei_metadata_parses_to_the_expected_values() {
    let md = parse_sp_metadata(&bundled(), &opts()).unwrap();
    assert_eq!(md.entity_id, "https://auth.huaweicloud.com/");
    assert_eq!(md.acs.len(), 1);
    let acs = &md.acs[0];
    assert_eq!(acs.binding, BINDING_POST);
    assert_eq!(acs.location, format!("{HUAWEI}/authui/saml/SAMLAssertionConsumer"));
    assert_eq!(acs.index, Some(0));
    assert!(acs.is_default);
    assert_eq!(acs.response_location, None);
    assert_eq!(md.slo.len(), 2);
    assert_eq!(md.slo[0].binding, BINDING_REDIRECT);
    assert_eq!(md.slo[0].location, format!("{HUAWEI}/authui/saml/LogoutServiceHTTPRedirect"));
    assert_eq!(
        md.slo[0].response_location.as_deref(),
        Some(format!("{HUAWEI}/authui/saml/LogoutServiceHTTPRedirectResponse").as_str())
    );
    assert_eq!((md.slo[0].index, md.slo[0].is_default), (None, false));
    assert_eq!(md.slo[1].binding, BINDING_POST);
    assert_eq!(md.slo[1].location, format!("{HUAWEI}/authui/saml/LogoutServiceHTTPPost"));
    assert_eq!(
        md.slo[1].response_location.as_deref(),
        Some(format!("{HUAWEI}/authui/saml/LogoutServiceHTTPPostResponse").as_str())
    );
    assert!(md.authn_requests_signed);
    assert!(md.want_assertions_signed);
    assert_eq!(md.name_id_formats, vec![NAMEID_TRANSIENT.to_owned()]);
    assert_eq!(md.valid_until, None);
    assert!(md.warnings.is_empty(), "{:?}", md.warnings);
    // one certificate, published for signing and for encryption
    assert_eq!(md.signing_certs.len(), 1);
    assert_eq!(md.encryption_certs, md.signing_certs);
    let cert = X509::from_der(&md.signing_certs[0]).unwrap();
    let subject: Vec<(String, String)> = cert
        .subject_name()
        .entries()
        .map(|e| (e.object().nid().short_name().unwrap().to_owned(), e.data().to_string().unwrap()))
        .collect();
    assert_eq!(
        subject,
        vec![
            ("C".to_owned(), "CN".to_owned()),
            ("ST".to_owned(), "GuangDong".to_owned()),
            ("L".to_owned(), "ShenZhen".to_owned()),
            ("O".to_owned(), "Huawei Technologies Co., Ltd".to_owned()),
            ("OU".to_owned(), "Service Provider Operation Dept".to_owned()),
            ("CN".to_owned(), "auth.huaweicloud.com".to_owned()),
        ]
    );
    assert_eq!(cert.public_key().unwrap().bits(), 4096);
    assert_eq!(cert.signature_algorithm().object().nid(), openssl::nid::Nid::SHA256WITHRSAENCRYPTION);
    // Huawei's real certificate: 2018-06-21 → 2028-06-18, SHA-256 fingerprint 70:14:9F:C1:…
    assert_eq!(cert.not_after().to_string(), "Jun 18 13:25:00 2028 GMT");
    assert_eq!(cert.not_before().to_string(), "Jun 21 13:25:00 2018 GMT");
    let fp = samlgate::util::fingerprint_hex(&samlgate::util::sha256_fingerprint(&md.signing_certs[0]));
    assert!(fp.starts_with("70:14:9F:C1"), "{fp}");
    // Its enveloped signature verified with the pinned certificate (RSA-SHA256 over a SHA-1 digest).
    assert!(matches!(md.signature, samlgate::saml::metadata::MetadataSignature::Verified { .. }), "{:?}", md.signature);
    // byte for byte the file Huawei publishes (kept in tests/data/huawei, see its README)
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/huawei/huawei-sp-metadata.xml");
    assert_eq!(std::fs::read(shared).unwrap(), bundled());
    // helpers
    assert_eq!(md.default_acs().unwrap().location, acs.location);
    assert_eq!(md.acs_by_index(0).unwrap().location, acs.location);
    assert!(md.acs_by_url(&acs.location, Some(BINDING_POST)).is_some());
    assert!(md.acs_by_url(&acs.location, Some(BINDING_REDIRECT)).is_none());
    assert!(md.acs_by_url(&format!("{}/", acs.location), None).is_none());
    assert_eq!(md.slo_for_binding(BINDING_POST).unwrap().location, md.slo[1].location);
    // no private key material in the shipped file
    let text = String::from_utf8(bundled()).unwrap();
    assert!(!text.contains("PRIVATE"));
}

#[test]
fn keydescriptor_without_use_counts_for_signing_and_encryption() {
    let bytes = std::fs::read(corpus_dir().join("ok-keydescriptor-without-use.xml")).unwrap();
    let md = parse_sp_metadata(&bytes, &opts()).unwrap();
    assert_eq!(md.signing_certs.len(), 1);
    assert_eq!(md.encryption_certs, md.signing_certs);
    assert!(md.authn_requests_signed, "AuthnRequestsSigned=\"1\" is xs:boolean true");
    assert!(!md.want_assertions_signed);
    // the ACS with a query string is kept exactly as written; isDefault picks the default
    assert_eq!(md.acs.len(), 2);
    assert_eq!(md.acs[1].location, "https://sp.example.com/acs?tenant=7");
    assert_eq!((md.acs[1].index, md.acs[1].is_default), (Some(3), true));
    assert_eq!(md.default_acs().unwrap().index, Some(3));
    assert_eq!(md.slo[0].response_location.as_deref(), Some("https://sp.example.com/slo/done"));
    assert_eq!(md.name_id_formats, vec!["urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".to_owned()]);
    assert!(md.warnings.is_empty(), "{:?}", md.warnings);
}

#[test]
fn expired_certificate_is_a_warning() {
    let bytes = std::fs::read(corpus_dir().join("ok-expired-cert.xml")).unwrap();
    let md = parse_sp_metadata(&bytes, &opts()).unwrap();
    assert_eq!(md.entity_id, "https://expired-sp.example.com/");
    assert_eq!(md.signing_certs.len(), 1);
    assert!(md.encryption_certs.is_empty());
    assert!(md.want_assertions_signed, "WantAssertionsSigned=\"1\"");
    assert_eq!(md.warnings.len(), 1, "{:?}", md.warnings);
    assert!(
        md.warnings[0].starts_with("signing certificate CN=expired-sp.example.com expired on Jan  1 00:00:00 2021"),
        "{:?}",
        md.warnings
    );
}

#[test]
fn soon_expiring_certificate_is_a_warning() {
    let cert = self_signed("soon.example.com", 10);
    let xml = sp_metadata_xml(&SpMetadataParams {
        entity_id: "https://soon.example.com/".into(),
        acs_post_url: "https://soon.example.com/acs".into(),
        slo_redirect_url: "https://soon.example.com/slo".into(),
        slo_redirect_response_url: String::new(),
        slo_post_url: None,
        signing_cert_der: cert,
        authn_requests_signed: false,
        want_assertions_signed: false,
    })
    .unwrap();
    let md = parse_sp_metadata(xml.as_bytes(), &SpParseOptions { now_unix: now(), ..opts() }).unwrap();
    assert_eq!(md.warnings.len(), 2, "{:?}", md.warnings);
    assert!(md.warnings[0].starts_with("signing certificate CN=soon.example.com expires on "), "{:?}", md.warnings);
    assert!(md.warnings[1].starts_with("encryption certificate CN=soon.example.com expires on "));
    assert!(md.warnings[0].contains("(in 9 days)") || md.warnings[0].contains("(in 10 days)"), "{:?}", md.warnings);
    assert_eq!(md.slo[0].response_location, None);
    assert!(!md.authn_requests_signed && !md.want_assertions_signed);
}

#[test]
fn entities_descriptor_with_one_entity_is_accepted() {
    let inner = String::from_utf8(bundled()).unwrap();
    let inner = inner.split_once("?>").unwrap().1;
    let wrapped = format!("<md:EntitiesDescriptor xmlns:md=\"{}\">{inner}</md:EntitiesDescriptor>", ns::MD);
    let md = parse_sp_metadata(wrapped.as_bytes(), &opts()).unwrap();
    assert_eq!(md.entity_id, "https://auth.huaweicloud.com/");
}

// ----------------------------------------------------------------------------------------------------
// IdP metadata out

fn idp_params(certs: Vec<Vec<u8>>) -> IdpMetadataParams {
    IdpMetadataParams {
        entity_id: "https://partner.example.com".into(),
        sso_redirect_url: "https://partner.example.com/saml/sso".into(),
        sso_post_url: "https://partner.example.com/saml/sso?binding=post&x=\"1\"".into(),
        slo_redirect_url: "https://partner.example.com/saml/slo".into(),
        signing_certs_der: certs,
        valid_until: None,
    }
}

fn element_children(e: &Element) -> Vec<&Element> {
    e.elements().collect()
}

fn only_whitespace_text(e: &Element) -> bool {
    e.children.iter().all(|n| match n {
        Node::Text(t) => t.trim().is_empty(),
        Node::Element(_) => true,
    })
}

fn attrs(e: &Element) -> Vec<(Option<&str>, &str, &str)> {
    let mut v: Vec<_> = e.attrs.iter().map(|a| (a.ns.as_deref(), a.local.as_str(), a.value.as_str())).collect();
    v.sort();
    v
}

fn assert_key_descriptor(kd: &Element, usage: &str, der: &[u8]) {
    use base64::Engine as _;
    assert!(kd.is(ns::MD, "KeyDescriptor"));
    assert_eq!(attrs(kd), vec![(None, "use", usage)]);
    let [ki] = element_children(kd)[..] else { panic!("KeyDescriptor has one child") };
    assert!(ki.is(ns::DS, "KeyInfo"));
    assert!(ki.attrs.is_empty());
    let [xd] = element_children(ki)[..] else { panic!("KeyInfo has exactly X509Data (no KeyName)") };
    assert!(xd.is(ns::DS, "X509Data"));
    let [c] = element_children(xd)[..] else { panic!("X509Data has one child") };
    assert!(c.is(ns::DS, "X509Certificate"));
    let b64 = c.text();
    assert!(!b64.contains("BEGIN") && !b64.contains('\n'), "no armour, no line breaks");
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(b64).unwrap(), der);
}

#[test]
fn idp_metadata_has_huaweis_shape() {
    let current = self_signed("idp.partner.example.com", 365);
    let next = self_signed("idp-next.partner.example.com", 730);
    for certs in [vec![current.clone()], vec![current.clone(), next.clone()]] {
        let p = idp_params(certs.clone());
        let out = idp_metadata_xml(&p).unwrap();
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        assert!(out.len() < 2 * 1024 * 1024);
        assert!(!out.contains("PRIVATE") && !out.contains("KeyName"));

        let doc = xml::parse(out.as_bytes(), &ReadLimits::default()).unwrap();
        let ed = &doc.root;
        assert!(ed.is(ns::MD, "EntityDescriptor"));
        assert_eq!(ed.prefix.as_deref(), Some("md"));
        assert_eq!(attrs(ed), vec![(None, "entityID", "https://partner.example.com")]);
        let [idp] = element_children(ed)[..] else { panic!("one IDPSSODescriptor") };
        assert!(idp.is(ns::MD, "IDPSSODescriptor"));
        assert_eq!(
            attrs(idp),
            vec![
                (None, "WantAuthnRequestsSigned", "true"),
                (None, "protocolSupportEnumeration", "urn:oasis:names:tc:SAML:2.0:protocol"),
            ]
        );
        let kids = element_children(idp);
        assert_eq!(kids.len(), 2 * certs.len() + 4);
        for (i, der) in certs.iter().enumerate() {
            assert_key_descriptor(kids[2 * i], "signing", der);
            assert_key_descriptor(kids[2 * i + 1], "encryption", der);
        }
        let rest = &kids[2 * certs.len()..];
        let names: Vec<&str> = rest.iter().map(|e| e.local.as_str()).collect();
        assert_eq!(names, ["SingleLogoutService", "NameIDFormat", "SingleSignOnService", "SingleSignOnService"]);
        assert!(rest.iter().all(|e| e.ns.as_deref() == Some(ns::MD) && e.prefix.as_deref() == Some("md")));
        assert_eq!(
            attrs(rest[0]),
            vec![(None, "Binding", BINDING_REDIRECT), (None, "Location", "https://partner.example.com/saml/slo")]
        );
        assert!(rest[1].attrs.is_empty());
        assert_eq!(rest[1].text(), NAMEID_TRANSIENT);
        assert_eq!(
            attrs(rest[2]),
            vec![(None, "Binding", BINDING_REDIRECT), (None, "Location", "https://partner.example.com/saml/sso")]
        );
        assert_eq!(
            attrs(rest[3]),
            vec![
                (None, "Binding", BINDING_POST),
                (None, "Location", "https://partner.example.com/saml/sso?binding=post&x=\"1\"")
            ]
        );
        assert!(rest.iter().all(|e| e.children.iter().all(|n| matches!(n, Node::Text(_)))));
        for e in [ed, idp] {
            assert!(only_whitespace_text(e));
        }

        independent_parsers_accept(&out);
    }
}

#[test]
fn idp_metadata_valid_until_and_errors() {
    let mut p = idp_params(vec![self_signed("idp.example.com", 30)]);
    p.valid_until = Some("2030-01-01T00:00:00Z".into());
    let out = idp_metadata_xml(&p).unwrap();
    let doc = xml::parse(out.as_bytes(), &ReadLimits::default()).unwrap();
    assert_eq!(doc.root.attr("validUntil"), Some("2030-01-01T00:00:00Z"));
    p.signing_certs_der.clear();
    assert!(idp_metadata_xml(&p).is_err());
    let mut p = idp_params(vec![vec![1, 2, 3]]);
    p.entity_id = "bad\u{1}".into();
    assert!(idp_metadata_xml(&p).is_err(), "control characters cannot be written");
}

#[test]
fn sp_metadata_out_round_trips() {
    let cert = self_signed("mock-sp.example.com", 365);
    let p = SpMetadataParams {
        entity_id: "https://mock-sp.example.com/".into(),
        acs_post_url: "https://mock-sp.example.com/acs?a=1&b=2".into(),
        slo_redirect_url: "https://mock-sp.example.com/slo".into(),
        slo_redirect_response_url: "https://mock-sp.example.com/slo/response".into(),
        slo_post_url: Some("https://mock-sp.example.com/slo/post".into()),
        signing_cert_der: cert.clone(),
        authn_requests_signed: true,
        want_assertions_signed: false,
    };
    let out = sp_metadata_xml(&p).unwrap();
    let md = parse_sp_metadata(out.as_bytes(), &opts()).unwrap();
    assert_eq!(md.entity_id, p.entity_id);
    assert_eq!(md.acs[0].location, p.acs_post_url);
    assert_eq!((md.acs[0].index, md.acs[0].is_default), (Some(0), true));
    assert_eq!(md.slo[0].response_location.as_deref(), Some("https://mock-sp.example.com/slo/response"));
    assert_eq!(md.slo[1].location, "https://mock-sp.example.com/slo/post");
    assert_eq!(md.signing_certs, vec![cert.clone()]);
    assert_eq!(md.encryption_certs, vec![cert]);
    assert!(md.authn_requests_signed && !md.want_assertions_signed);
    // element order like Huawei's file
    let doc = xml::parse(out.as_bytes(), &ReadLimits::default()).unwrap();
    let sp = doc.root.elements().next().unwrap();
    let names: Vec<&str> = sp.elements().map(|e| e.local.as_str()).collect();
    assert_eq!(
        names,
        [
            "KeyDescriptor",
            "KeyDescriptor",
            "SingleLogoutService",
            "SingleLogoutService",
            "NameIDFormat",
            "AssertionConsumerService"
        ]
    );
    independent_parsers_accept(&out);
}

/// Independent well-formedness checks: Python's ElementTree always; xmllint when installed.
fn independent_parsers_accept(xml_text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.xml");
    std::fs::write(&path, xml_text).unwrap();
    let py = Command::new("python3")
        .args(["-c", "import xml.etree.ElementTree as E,sys; E.parse(sys.argv[1])"])
        .arg(&path)
        .output()
        .expect("python3 is needed for the independent metadata check");
    assert!(py.status.success(), "ElementTree refused: {}", String::from_utf8_lossy(&py.stderr));
    match Command::new("xmllint").arg("--noout").arg(&path).output() {
        Ok(o) => assert!(o.status.success(), "xmllint refused: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("xmllint not installed; skipped")
        }
        Err(e) => panic!("xmllint: {e}"),
    }
}
