//! The mock SP's own reader of IdP metadata (`IDP Metadata.xml`): entityID, signing certificates, the
//! Redirect-binding SingleSignOnService and SingleLogoutService locations. Read with the strict reader;
//! everything the mock later trusts (the IdP certificate above all) comes only from here.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use openssl::x509::X509;

use crate::saml::metadata::BINDING_REDIRECT;
use crate::saml::xml::{self, Element, ReadLimits, ns};

/// Largest IdP metadata document accepted.
pub const MAX_IDP_METADATA_BYTES: usize = 256 * 1024;

/// What the mock SP uses of the IdP metadata.
#[derive(Debug, Clone)]
pub struct IdpInfo {
    pub entity_id: String,
    /// Certificates of KeyDescriptors with `use="signing"` or without `use`.
    pub signing_certs: Vec<X509>,
    /// SingleSignOnService, HTTP-Redirect binding.
    pub sso_redirect_url: String,
    /// SingleLogoutService, HTTP-Redirect binding (if any).
    pub slo_redirect_url: Option<String>,
}

impl IdpInfo {
    /// The gateway's base URL guessed from its SSO URL (`…/saml/sso`), else the SSO URL's origin.
    pub fn base_url(&self) -> String {
        if let Some(b) = self.sso_redirect_url.strip_suffix("/saml/sso") {
            return b.to_owned();
        }
        match url::Url::parse(&self.sso_redirect_url) {
            Ok(u) => u.origin().ascii_serialization(),
            Err(_) => self.sso_redirect_url.clone(),
        }
    }
}

fn bad(m: impl Into<String>) -> String {
    format!("IdP metadata refused: {}", m.into())
}

/// Parses IdP metadata strictly. Errors are plain sentences for the mock's error page.
pub fn parse_idp_metadata(bytes: &[u8]) -> Result<IdpInfo, String> {
    let limits = ReadLimits { max_bytes: MAX_IDP_METADATA_BYTES, ..ReadLimits::default() };
    let doc = xml::parse(bytes, &limits).map_err(|e| bad(e.to_string()))?;
    let root = &doc.root;
    if !root.is(ns::MD, "EntityDescriptor") {
        return Err(bad(format!("root element is <{}>, not md:EntityDescriptor", root.qname())));
    }
    let entity_id =
        root.attr("entityID").filter(|s| !s.is_empty() && s.len() <= 1024).ok_or_else(|| bad("no entityID"))?;
    let idp = root
        .only_child(ns::MD, "IDPSSODescriptor")
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| bad("no md:IDPSSODescriptor"))?;
    let mut signing_certs = Vec::new();
    for kd in idp.children_named(ns::MD, "KeyDescriptor") {
        if !matches!(kd.attr("use"), None | Some("signing")) {
            continue;
        }
        signing_certs.extend(key_descriptor_certs(kd)?);
    }
    if signing_certs.is_empty() {
        return Err(bad("no signing certificate"));
    }
    let endpoint = |local: &str| -> Option<String> {
        idp.children_named(ns::MD, local)
            .find(|e| e.attr("Binding") == Some(BINDING_REDIRECT))
            .and_then(|e| e.attr("Location"))
            .map(str::to_owned)
    };
    let sso_redirect_url =
        endpoint("SingleSignOnService").ok_or_else(|| bad("no HTTP-Redirect SingleSignOnService"))?;
    check_http_url(&sso_redirect_url).map_err(bad)?;
    let slo_redirect_url = endpoint("SingleLogoutService");
    if let Some(u) = &slo_redirect_url {
        check_http_url(u).map_err(bad)?;
    }
    Ok(IdpInfo { entity_id: entity_id.to_owned(), signing_certs, sso_redirect_url, slo_redirect_url })
}

fn key_descriptor_certs(kd: &Element) -> Result<Vec<X509>, String> {
    let mut out = Vec::new();
    let Some(ki) = kd.only_child(ns::DS, "KeyInfo").map_err(|e| bad(e.to_string()))? else {
        return Err(bad("KeyDescriptor without ds:KeyInfo"));
    };
    for data in ki.children_named(ns::DS, "X509Data") {
        for c in data.children_named(ns::DS, "X509Certificate") {
            let text: Vec<u8> = c.text().bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            let der = B64.decode(&text).map_err(|e| bad(format!("certificate is not base64: {e}")))?;
            let cert = X509::from_der(&der).map_err(|_| bad("certificate is not DER X.509"))?;
            out.push(cert);
        }
    }
    Ok(out)
}

/// An absolute http(s) URL with a host and no credentials ([`crate::util::url::peer_url`]).
pub fn check_http_url(u: &str) -> Result<(), String> {
    crate::util::url::peer_url(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::dsig::test_keys::rsa;
    use crate::saml::metadata::{IdpMetadataParams, idp_metadata_xml};

    #[test]
    fn reads_samlgate_idp_metadata() {
        let (_, cert) = rsa();
        let xml = idp_metadata_xml(&IdpMetadataParams {
            entity_id: "http://127.0.0.1:8080/saml/metadata".into(),
            sso_redirect_url: "http://127.0.0.1:8080/saml/sso".into(),
            sso_post_url: "http://127.0.0.1:8080/saml/sso".into(),
            slo_redirect_url: "http://127.0.0.1:8080/saml/slo".into(),
            signing_certs_der: vec![cert.to_der().unwrap()],
            valid_until: None,
        })
        .unwrap();
        let idp = parse_idp_metadata(xml.as_bytes()).unwrap();
        assert_eq!(idp.entity_id, "http://127.0.0.1:8080/saml/metadata");
        assert_eq!(idp.sso_redirect_url, "http://127.0.0.1:8080/saml/sso");
        assert_eq!(idp.slo_redirect_url.as_deref(), Some("http://127.0.0.1:8080/saml/slo"));
        assert_eq!(idp.signing_certs.len(), 1);
        assert_eq!(idp.base_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn refuses_bad_metadata() {
        for bad in [
            &b"<x/>"[..],
            b"<!DOCTYPE x><x/>",
            b"<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"e\"/>",
        ] {
            assert!(parse_idp_metadata(bad).is_err());
        }
    }
}
