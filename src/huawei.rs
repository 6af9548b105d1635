//! Huawei Cloud specifics: site hosts, the SSO entry link, the console catalog and the `service`
//! allowlist (no open redirects: a browser is only ever sent to a Huawei console host of the site).

use crate::config::{HuaweiConfig, Site};
use crate::saml::response::{HuaweiAttribute, ResponseError, check_huawei_attribute};

/// Huawei Cloud's SP entityID on the CN site, as in its SP metadata and the partner documentation.
pub const CN_SP_ENTITY_ID: &str = "https://auth.huaweicloud.com/";

/// Huawei's SP metadata, byte for byte as Huawei publishes it at
/// `https://auth.huaweicloud.com/authui/saml/metadata.xml` (signed), shipped as the default
/// `huawei.sp_metadata` of a production config.
pub const BUNDLED_SP_METADATA: &str = include_str!("../metadata/huawei-sp-metadata.xml");

/// SHA-256 fingerprint of the certificate that signs Huawei's SP metadata (CN=auth.huaweicloud.com,
/// RSA-4096, valid 2018-06-21 → 2028-06-18): pinned from the bundled copy, so a fetched or imported
/// copy of Huawei's metadata is trusted only when this certificate signed it. After Huawei's
/// rollover, add the new certificate's fingerprint to `huawei.sp_metadata_signers`.
pub const METADATA_SIGNER_SHA256: [u8; 32] = [
    0x70, 0x14, 0x9F, 0xC1, 0xF6, 0x03, 0x92, 0x44, 0x2D, 0x3F, 0x7E, 0xD0, 0x9D, 0xDE, 0x1C, 0x88, 0x1B, 0xA6, 0xD0,
    0x08, 0xA6, 0xAB, 0x3E, 0xB0, 0xF7, 0x69, 0x9B, 0x3D, 0x02, 0xCC, 0x79, 0x3E,
];

/// The certificates trusted to sign SP metadata: Huawei's pinned one and `huawei.sp_metadata_signers`.
pub fn trusted_metadata_signers(cfg: &HuaweiConfig) -> Vec<[u8; 32]> {
    let mut out = vec![METADATA_SIGNER_SHA256];
    out.extend(cfg.sp_metadata_signers.iter().filter_map(|f| crate::util::parse_fingerprint(f)));
    out
}

/// Shown by `init`, `serve` and the admin checklist while `huawei.bp_id` is unset.
pub const BP_ID_WARNING: &str = "huawei.bp_id is not set: Huawei's sample assertion carries the partner ID as the `bpId` \
     attribute; set huawei.bp_id to the partner ID Huawei gave your company when it joined the partner network \
     (Partner Center → Partner Information Management / 伙伴信息管理; your Huawei account manager can confirm it)";

/// Longest e-mail address accepted in the `email` claim (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// What the partner platform says about the customer (the hand-off token's claims, kept in the
/// gateway session): `sub` is the partner's customer id, sent as `xUserId` and `xAccountId`.
#[derive(Debug, Clone, Copy)]
pub struct Customer<'a> {
    pub sub: &'a str,
    pub name: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// A customer claim that breaks Huawei's rule for it; the message names the claim and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claim `{claim}` ({attribute}) is not acceptable to Huawei: {rule}")]
pub struct ClaimError {
    /// The hand-off token claim: `sub`, `name`, `mobile` or `email`.
    pub claim: &'static str,
    /// The assertion attribute it becomes.
    pub attribute: &'static str,
    pub rule: String,
}

/// Checks the customer's claims against Huawei's rules (huawei-partner-sso.md §2), before anything is
/// spent or sent: `sub` 1–128 characters; `name` Huawei's pattern `^([a-zA-Z_\- ][0-9a-zA-Z_\- ]*)+$`
/// (ASCII only); `mobile` `countrycode-number` in digits, 1–32 characters; `email` an address of at
/// most 254 characters (`local@domain`; Huawei documents no stricter rule). Absent or empty optional
/// claims are fine.
pub fn check_customer(c: &Customer<'_>) -> Result<(), ClaimError> {
    let rule = |claim: &'static str, e: ResponseError| match e {
        ResponseError::AttributeRule { attribute, rule } => ClaimError { claim, attribute, rule: rule.to_owned() },
        other => ClaimError { claim, attribute: claim, rule: other.to_string() },
    };
    check_huawei_attribute(HuaweiAttribute::XUserId, c.sub).map_err(|e| rule("sub", e))?;
    if let Some(n) = c.name.filter(|s| !s.is_empty()) {
        check_huawei_attribute(HuaweiAttribute::Name, n).map_err(|e| rule("name", e))?;
    }
    if let Some(m) = c.mobile.filter(|s| !s.is_empty()) {
        check_huawei_attribute(HuaweiAttribute::Mobile, m).map_err(|e| rule("mobile", e))?;
    }
    if let Some(e) = c.email.filter(|s| !s.is_empty()) {
        let bad = |r: &str| ClaimError { claim: "email", attribute: "email", rule: r.to_owned() };
        if e.chars().count() > MAX_EMAIL_CHARS {
            return Err(bad("must be at most 254 characters"));
        }
        if e.chars().any(|ch| ch.is_control()) {
            return Err(bad("must not contain control characters"));
        }
        match e.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') => {}
            _ => return Err(bad("must be an e-mail address such as name@example.com")),
        }
    }
    Ok(())
}

/// The assertion's attributes for this customer, in the order of Huawei's sample Response: `xUserId`,
/// `xAccountId` (the same value: "xAccountId和xUserId属性的值须一致"), `bpId` (when `huawei.bp_id` is
/// set; `init`, `serve` and the admin checklist warn while it is not), `email` (an empty value when
/// the partner sent none, as in the sample), then `name` and `mobile` when the partner sent them (an
/// empty value would break Huawei's patterns). Names come from `huawei.attributes`.
pub fn assertion_attributes(cfg: &HuaweiConfig, c: &Customer<'_>) -> Result<Vec<(String, Vec<String>)>, ClaimError> {
    check_customer(c)?;
    let names = &cfg.attributes;
    let mut attrs = Vec::with_capacity(6);
    attrs.push((names.x_user_id.clone(), vec![c.sub.to_owned()]));
    attrs.push((names.x_account_id.clone(), vec![c.sub.to_owned()]));
    if let Some(bp) = cfg.bp_id.as_deref().filter(|s| !s.is_empty()) {
        attrs.push((names.bp_id.clone(), vec![bp.to_owned()]));
    }
    attrs.push((names.email.clone(), vec![c.email.unwrap_or("").to_owned()]));
    if let Some(n) = c.name.filter(|s| !s.is_empty()) {
        attrs.push((names.name.clone(), vec![n.to_owned()]));
    }
    if let Some(m) = c.mobile.filter(|s| !s.is_empty()) {
        attrs.push((names.mobile.clone(), vec![m.to_owned()]));
    }
    Ok(attrs)
}

/// Checks the fields of a binding (from Huawei's notification or entered by the partner): `xUserId`
/// by Huawei's rule, `domainId` at most 64 characters without spaces (empty: the account is not known
/// yet), `domainName` at most 128 characters, no control characters anywhere. The error names the field.
pub fn check_binding_fields(x_user_id: &str, domain_id: &str, domain_name: &str) -> Result<(), String> {
    check_huawei_attribute(HuaweiAttribute::XUserId, x_user_id).map_err(|e| e.to_string())?;
    if x_user_id.chars().any(char::is_control) {
        return Err("xUserId contains control characters".into());
    }
    if domain_id.chars().count() > 64 || domain_id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("domainId must be at most 64 characters without spaces or control characters".into());
    }
    if domain_name.chars().count() > 128 || domain_name.chars().any(char::is_control) {
        return Err("domainName must be at most 128 characters without control characters".into());
    }
    Ok(())
}

/// Huawei's SP entityID for this configuration: `huawei.sp_entity_id` when set, else the auth base URL
/// of the site (or of `huawei.auth_base_url`, the local mock SP) with a trailing `/` — which is
/// `https://auth.huaweicloud.com/` on the CN site, as Huawei's SP metadata says.
pub fn sp_entity_id(cfg: &HuaweiConfig) -> String {
    match cfg.sp_entity_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => id.to_owned(),
        None => format!("{}/", auth_base(cfg.site, cfg.auth_base_url.as_deref())),
    }
}

/// Hosts of one Huawei Cloud site.
#[derive(Debug, Clone, Copy)]
pub struct SiteHosts {
    pub auth: &'static str,
    pub console: &'static str,
}

pub fn site_hosts(site: Site) -> SiteHosts {
    match site {
        Site::Cn => SiteHosts { auth: "auth.huaweicloud.com", console: "console.huaweicloud.com" },
        Site::Intl => SiteHosts { auth: "auth-intl.huaweicloud.com", console: "console-intl.huaweicloud.com" },
        Site::Eu => SiteHosts { auth: "auth.eu.huaweicloud.com", console: "console.eu.huaweicloud.com" },
    }
}

/// Why a `service` target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("service `{0}` is neither a console URL nor a catalog key")]
    Unknown(String),
    #[error("service URL must use https")]
    NotHttps,
    #[error("service URL host `{0}` is not an allowed Huawei console host")]
    HostNotAllowed(String),
    #[error("service URL must not carry credentials, a port or backslashes")]
    Suspicious,
    #[error("region `{0}` is not a valid Huawei Cloud region name")]
    BadRegion(String),
    #[error("service value is too long")]
    TooLong,
}

/// Console catalog: keys a partner page can name instead of a full URL. `{host}` and `{region}` are
/// filled in from the site and the `region` parameter.
pub const CONSOLE_CATALOG: &[(&str, &str, bool)] = &[
    // (key, URL template, needs region)
    ("console", "https://{host}/console/?region={region}", true),
    ("ecs", "https://{host}/ecm/?region={region}#/ecs/manager/vmList", true),
    ("evs", "https://{host}/ecm/?region={region}#/evs/manager/volumeList", true),
    ("vpc", "https://{host}/vpc/?region={region}#/vpc/vpcs/list", true),
    ("eip", "https://{host}/vpc/?region={region}#/eips/list", true),
    ("iam", "https://{host}/iam/", false),
    ("billing", "https://{host}/usercenter/", false),
];

/// Default region per site, used when a catalog key needs one and none is given.
pub fn default_region(site: Site) -> &'static str {
    match site {
        Site::Cn => "cn-north-4",
        Site::Intl => "ap-southeast-1",
        Site::Eu => "eu-west-101",
    }
}

fn valid_region(r: &str) -> bool {
    // e.g. cn-north-4, ap-southeast-1, eu-west-101, la-south-2
    let parts: Vec<&str> = r.split('-').collect();
    r.len() <= 32
        && parts.len() >= 2
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..].iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// Turns the `service` parameter (a console URL or a catalog key) into the URL sent to Huawei.
/// `extra_hosts` are further allowed console hosts from the config.
pub fn resolve_service(
    site: Site,
    service: Option<&str>,
    region: Option<&str>,
    extra_hosts: &[String],
) -> Result<String, ServiceError> {
    let service = service.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("console");
    if service.len() > 2048 {
        return Err(ServiceError::TooLong);
    }
    let hosts = site_hosts(site);
    if let Some((_, template, needs_region)) = CONSOLE_CATALOG.iter().find(|(k, _, _)| *k == service) {
        let region = region.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(default_region(site));
        if !valid_region(region) {
            return Err(ServiceError::BadRegion(region.to_owned()));
        }
        let url = template.replace("{host}", hosts.console);
        return Ok(if *needs_region { url.replace("{region}", region) } else { url });
    }
    if !service.contains("://") {
        return Err(ServiceError::Unknown(service.to_owned()));
    }
    check_console_url(site, service, extra_hosts)?;
    Ok(service.to_owned())
}

/// Accepts only `https://<console host of the site or an extra host>/…` without userinfo or port.
pub fn check_console_url(site: Site, u: &str, extra_hosts: &[String]) -> Result<(), ServiceError> {
    if u.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()) {
        return Err(ServiceError::Suspicious);
    }
    let parsed = url::Url::parse(u).map_err(|_| ServiceError::Unknown(u.to_owned()))?;
    if parsed.scheme() != "https" {
        return Err(ServiceError::NotHttps);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.port().is_some() {
        return Err(ServiceError::Suspicious);
    }
    // The raw text must start with exactly the scheme and host the parser saw: this refuses
    // `https:/\host`, `https://host.evil`, `https://evil@host` style confusions outright.
    let host = parsed.host_str().unwrap_or("");
    let allowed = host == site_hosts(site).console || extra_hosts.iter().any(|h| h == host);
    if !allowed {
        return Err(ServiceError::HostNotAllowed(host.to_owned()));
    }
    let prefix = format!("https://{host}");
    let rest = &u[prefix.len().min(u.len())..];
    if !u.to_ascii_lowercase().starts_with(&prefix) || !(rest.is_empty() || rest.starts_with(['/', '?', '#'])) {
        return Err(ServiceError::Suspicious);
    }
    Ok(())
}

/// `https://<auth host>/authui/saml/login?xAccountType=…&isFirstLogin=…&service=…`, every value
/// percent-encoded as `encodeURIComponent` would.
pub fn sso_login_url(auth_base: &str, x_account_type: &str, is_first_login: bool, service: &str) -> String {
    format!(
        "{}/authui/saml/login?xAccountType={}&isFirstLogin={}&service={}",
        auth_base.trim_end_matches('/'),
        encode_component(x_account_type),
        is_first_login,
        encode_component(service)
    )
}

/// The auth base URL for the site, or the configured override (the local mock SP).
pub fn auth_base(site: Site, override_url: Option<&str>) -> String {
    match override_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => format!("https://{}", site_hosts(site).auth),
    }
}

/// Percent-encoding of a URI component (the set `encodeURIComponent` leaves alone is kept).
pub fn encode_component(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'!')
        .remove(b'~')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    utf8_percent_encode(s, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::metadata::{MetadataError, MetadataSignature, SpParseOptions, parse_sp_metadata};

    fn opts(trusted: Vec<[u8; 32]>) -> SpParseOptions {
        // 2026-12-01: Huawei's certificate is valid until 2028-06-18.
        SpParseOptions { now_unix: 1_796_083_200, trusted_signers: trusted, ..SpParseOptions::default() }
    }

    #[test]
    fn bundled_metadata_is_huaweis_signed_file() {
        let md = parse_sp_metadata(BUNDLED_SP_METADATA.as_bytes(), &opts(vec![METADATA_SIGNER_SHA256])).unwrap();
        assert_eq!(md.entity_id, CN_SP_ENTITY_ID);
        let MetadataSignature::Verified { algorithm, digest, signer_sha256, signer, .. } = &md.signature else {
            panic!("not verified: {:?}", md.signature);
        };
        assert_eq!(algorithm, crate::saml::dsig::RSA_SHA256);
        assert_eq!(digest, "http://www.w3.org/2000/09/xmldsig#sha1");
        assert!(signer_sha256.starts_with("70:14:9F:C1"), "{signer_sha256}");
        assert!(signer.contains("auth.huaweicloud.com"), "{signer}");
        // The pin is the fingerprint of the certificate the metadata publishes.
        assert!(md.signing_certs.iter().any(|d| crate::util::sha256_fingerprint(d) == METADATA_SIGNER_SHA256));
        let cert = crate::saml::metadata::cert_summary(&md.signing_certs[0], 1_796_083_200).unwrap();
        assert_eq!(cert.key, "RSA 4096");
        assert!(cert.not_after.contains("2028"), "{}", cert.not_after);
    }

    #[test]
    fn tampered_or_untrusted_metadata_is_refused() {
        // One byte inside the signed part: the Location of the ACS.
        let tampered = BUNDLED_SP_METADATA.replacen("SAMLAssertionConsumer\"", "SAMLAssertionConsumeR\"", 1);
        assert_ne!(tampered, BUNDLED_SP_METADATA);
        let e = parse_sp_metadata(tampered.as_bytes(), &opts(vec![METADATA_SIGNER_SHA256])).unwrap_err();
        assert_eq!(e.reason(), "digest_mismatch", "{e}");
        assert!(e.to_string().contains("signature"), "{e}");
        // Signed by a certificate nobody pinned: refused, naming its fingerprint.
        let e = parse_sp_metadata(BUNDLED_SP_METADATA.as_bytes(), &opts(vec![])).unwrap_err();
        assert!(matches!(e, MetadataError::UntrustedSigner { .. }), "{e}");
        assert!(e.to_string().contains("70:14:9F:C1"), "{e}");
        // SHA-1 digests are accepted for metadata only: the same digest in a request is refused.
        let policy = crate::saml::verify::VerifyPolicy::default();
        assert!(!policy.allow_sha1 && !policy.allow_sha1_digest);
    }

    #[test]
    fn attributes_follow_the_sample_order() {
        let mut cfg = HuaweiConfig { bp_id: Some("bp-1".into()), ..HuaweiConfig::default() };
        let c = Customer { sub: "cust-1", name: Some("Zhang San"), mobile: Some("0086-13900000000"), email: None };
        let names: Vec<(String, Vec<String>)> = assertion_attributes(&cfg, &c).unwrap();
        let order: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(order, ["xUserId", "xAccountId", "bpId", "email", "name", "mobile"]);
        assert_eq!(names[0].1, names[1].1);
        assert_eq!(names[3].1, vec![String::new()]);
        cfg.bp_id = None;
        cfg.attributes.x_account_id = "acct".into();
        let c = Customer { name: None, mobile: None, ..c };
        let order: Vec<String> = assertion_attributes(&cfg, &c).unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(order, ["xUserId", "acct", "email"]);
        // Claims are checked, naming the claim and Huawei's rule.
        for (bad, claim) in [
            (Customer { name: Some("张三"), ..c }, "name"),
            (Customer { mobile: Some("13900000000"), ..c }, "mobile"),
            (Customer { email: Some("no-at-sign"), ..c }, "email"),
            (Customer { sub: "", ..c }, "sub"),
        ] {
            let e = check_customer(&bad).unwrap_err();
            assert_eq!(e.claim, claim, "{e}");
        }
        assert_eq!(sp_entity_id(&HuaweiConfig::default()), CN_SP_ENTITY_ID);
        let mock = HuaweiConfig { auth_base_url: Some("http://127.0.0.1:8081".into()), ..HuaweiConfig::default() };
        assert_eq!(sp_entity_id(&mock), "http://127.0.0.1:8081/");
    }

    #[test]
    fn catalog_keys_become_console_urls() {
        assert_eq!(
            resolve_service(Site::Cn, Some("ecs"), Some("cn-east-3"), &[]).unwrap(),
            "https://console.huaweicloud.com/ecm/?region=cn-east-3#/ecs/manager/vmList"
        );
        assert_eq!(
            resolve_service(Site::Intl, Some("iam"), None, &[]).unwrap(),
            "https://console-intl.huaweicloud.com/iam/"
        );
        assert_eq!(
            resolve_service(Site::Eu, None, None, &[]).unwrap(),
            "https://console.eu.huaweicloud.com/console/?region=eu-west-101"
        );
        assert!(matches!(resolve_service(Site::Cn, Some("ecs"), Some("x/../y"), &[]), Err(ServiceError::BadRegion(_))));
        assert!(matches!(resolve_service(Site::Cn, Some("nope"), None, &[]), Err(ServiceError::Unknown(_))));
    }

    #[test]
    fn console_urls_are_allowlisted() {
        let ok = "https://console.huaweicloud.com/iam/?a=1#x";
        assert_eq!(resolve_service(Site::Cn, Some(ok), None, &[]).unwrap(), ok);
        for bad in [
            "https://console.huaweicloud.com.evil/",
            "https://evil.example/",
            "http://console.huaweicloud.com/",
            "https://user@console.huaweicloud.com/",
            "https://console.huaweicloud.com:8443/",
            "https://console.huaweicloud.com\\@evil.example/",
            "//evil.example/",
            "javascript:alert(1)",
            "https://console-intl.huaweicloud.com/",
            "https://evil.example#https://console.huaweicloud.com/",
        ] {
            assert!(resolve_service(Site::Cn, Some(bad), None, &[]).is_err(), "{bad}");
        }
        assert!(
            resolve_service(
                Site::Cn,
                Some("https://console.partner.example/x"),
                None,
                &["console.partner.example".into()]
            )
            .is_ok()
        );
    }

    #[test]
    fn login_url_is_encoded_like_encode_uri_component() {
        let u = sso_login_url("https://auth.huaweicloud.com", "acme_IDP", true, "https://console.huaweicloud.com/iam/");
        assert_eq!(
            u,
            "https://auth.huaweicloud.com/authui/saml/login?xAccountType=acme_IDP&isFirstLogin=true&service=https%3A%2F%2Fconsole.huaweicloud.com%2Fiam%2F"
        );
    }
}
