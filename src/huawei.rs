//! Huawei Cloud specifics: site hosts, the SSO entry link, the console catalog and the `service`
//! allowlist (no open redirects: a browser is only ever sent to a Huawei console host of the site).

use crate::config::Site;

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
