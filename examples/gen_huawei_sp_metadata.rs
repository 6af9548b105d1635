//! Writes `metadata/huawei-sp-metadata.xml`: SP metadata shaped like Huawei Cloud's (entityID, ACS and
//! SLO endpoints from huawei-partner-sso.md §4), built by samlgate's own writer.
//!
//! The certificate is a fresh RSA-4096 self-signed stand-in with Huawei's subject; its private key is
//! thrown away. It is NOT Huawei's real certificate: load Huawei's live metadata for production.
//!
//! `cargo run --example gen_huawei_sp_metadata [OUTPUT]`

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};
use samlgate::saml::metadata::{SpMetadataParams, sp_metadata_xml};

const BASE: &str = "https://auth.huaweicloud.com";

fn stand_in_cert() -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let key = PKey::from_rsa(Rsa::generate(4096)?)?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", "auth.huaweicloud.com")?;
    name.append_entry_by_text("O", "Huawei Technologies Co., Ltd")?;
    name.append_entry_by_text("OU", "Service Provider Operation Dept")?;
    let name = name.build();
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = Asn1Integer::from_bn(&serial)?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(&key)?;
    let (not_before, not_after) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(3650)?);
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    b.sign(&key, MessageDigest::sha256())?;
    b.build().to_der()
    // `key` is dropped here: the private key never leaves this process.
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "metadata/huawei-sp-metadata.xml".to_owned());
    let xml = sp_metadata_xml(&SpMetadataParams {
        entity_id: format!("{BASE}/"),
        acs_post_url: format!("{BASE}/authui/saml/SAMLAssertionConsumer"),
        slo_redirect_url: format!("{BASE}/authui/saml/LogoutServiceHTTPRedirect"),
        slo_redirect_response_url: format!("{BASE}/authui/saml/LogoutServiceHTTPRedirectResponse"),
        slo_post_url: Some(format!("{BASE}/authui/saml/LogoutServiceHTTPPost")),
        signing_cert_der: stand_in_cert()?,
        authn_requests_signed: true,
        want_assertions_signed: true,
    })?;
    std::fs::write(&out, xml)?;
    eprintln!("wrote {out}");
    Ok(())
}
