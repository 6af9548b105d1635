//! Huawei Cloud's rules, in one place and without HTTP: site hosts, the SSO entry link, the console
//! catalog and the `service` allowlist (no open redirects: a browser is only ever sent to a Huawei
//! console host of the site) here; the customer's data and the assertion's attributes in
//! [`attributes`]; the binding notification in [`bind`]; Huawei's bundled SP metadata and its pinned
//! signer in [`metadata`].

use crate::config::{HuaweiConfig, Site};

pub mod attributes;
pub mod bind;
pub mod metadata;

pub use attributes::{
    AttributeRuleError, ClaimError, Customer, HuaweiAttribute, assertion_attributes, check_binding_fields,
    check_customer, check_huawei_attribute,
};
pub use metadata::{BUNDLED_SP_METADATA, METADATA_SIGNER_SHA256, trusted_metadata_signers};

/// Huawei Cloud's SP entityID on the CN site, as in its SP metadata and the partner documentation.
pub const CN_SP_ENTITY_ID: &str = "https://auth.huaweicloud.com/";

/// Shown by `init`, `serve` and the admin checklist while `huawei.bp_id` is unset.
pub const BP_ID_WARNING: &str = "huawei.bp_id is not set: Huawei's sample assertion carries the partner ID as the `bpId` \
     attribute; set huawei.bp_id to the partner ID Huawei gave your company when it joined the partner network \
     (Partner Center → Partner Information Management / 伙伴信息管理; your Huawei account manager can confirm it)";

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

/// The console's home page of a site (the bind page's "continue" link).
pub fn console_home(site: Site) -> String {
    format!("https://{}/", site_hosts(site).console)
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
    use crate::util::url::{ConsoleTargetError, console_target};
    let mut allowed: Vec<&str> = vec![site_hosts(site).console];
    allowed.extend(extra_hosts.iter().map(String::as_str));
    console_target(u, &allowed).map_err(|e| match e {
        ConsoleTargetError::Unparsable => ServiceError::Unknown(u.to_owned()),
        ConsoleTargetError::NotHttps => ServiceError::NotHttps,
        ConsoleTargetError::Suspicious => ServiceError::Suspicious,
        ConsoleTargetError::HostNotAllowed(h) => ServiceError::HostNotAllowed(h),
    })
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

/// Whether `host` is Huawei Cloud's (huaweicloud.com and its sites' domains, or a subdomain).
pub fn is_huawei_cloud_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    ["huaweicloud.com", "huaweicloud.eu", "myhuaweicloud.com", "myhuaweicloud.eu"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
