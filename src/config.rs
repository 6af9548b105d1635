//! Typed settings: one TOML file (`samlgate.toml` by default), every key overridable by a
//! `SAMLGATE_<SECTION>_<KEY>` environment variable (e.g. `SAMLGATE_SERVER_BIND`,
//! `SAMLGATE_HUAWEI_X_ACCOUNT_TYPE`, `SAMLGATE_HUAWEI_ATTRIBUTES_X_USER_ID`).
//!
//! Relative paths in the file are relative to the directory that holds the file, so a config directory
//! can be moved as a whole.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Environment variable prefix for overrides.
pub const ENV_PREFIX: &str = "SAMLGATE_";
/// The xAccountType written by `init` until the admin sets the real one from Partner Center.
pub const PLACEHOLDER_X_ACCOUNT_TYPE: &str = "CHANGE_ME_IDP";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write config file {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config key `{key}` is invalid: {reason}")]
    Invalid { key: String, reason: String },
    #[error("environment variable {var} does not name a config key")]
    UnknownEnv { var: String },
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.to_owned(), reason: reason.into() }
}

/// The Huawei Cloud site a partner platform sells on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Site {
    #[default]
    Cn,
    Intl,
    Eu,
}

impl Site {
    pub fn as_str(self) -> &'static str {
        match self {
            Site::Cn => "cn",
            Site::Intl => "intl",
            Site::Eu => "eu",
        }
    }
}

impl std::str::FromStr for Site {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cn" => Ok(Site::Cn),
            "intl" => Ok(Site::Intl),
            "eu" => Ok(Site::Eu),
            other => Err(format!("unknown site `{other}` (expected cn, intl or eu)")),
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub idp: IdpConfig,
    pub huawei: HuaweiConfig,
    pub handoff: HandoffConfig,
    pub store: StoreConfig,
    pub return_urls: ReturnUrls,
    pub audit: AuditConfig,
    pub admin: AdminConfig,
    pub ui: UiConfig,
    /// Per-SP settings (`[[sps]]`), by entityID; an SP without an entry gets the defaults.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sps: Vec<SpSettings>,
}

/// What one SP may do beyond the SP-initiated hop (`[[sps]]` in the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpSettings {
    /// The SP's entityID, as in its imported metadata.
    pub entity_id: String,
    /// Accept IdP-initiated SSO for it (`/saml/init?sp=…`, `/console?token=…&sp=…`): an unsolicited
    /// Response posted to the ACS of its metadata. Off by default, Huawei's SP included.
    #[serde(default)]
    pub allow_idp_initiated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Public base URL of the gateway as browsers and Huawei see it (no trailing slash).
    pub base_url: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Per-request time limit, in seconds.
    pub request_timeout_secs: u64,
    /// Requests handled at once; more wait.
    pub max_concurrent_requests: usize,
    /// Requests a minute one client address may make to each of /console, /saml/sso, /saml/slo,
    /// /huawei/bind and admin login (0 turns the limit off).
    pub rate_limit_per_minute: u32,
    /// Proxies in front of the gateway (CIDRs or addresses, e.g. `["10.0.0.0/8"]`). When the TCP peer
    /// is one of them, the client address is read from `X-Forwarded-For` from the right, skipping
    /// these hops; otherwise the peer's address counts (rate limits, logs, audit).
    pub trusted_proxies: Vec<String>,
    /// Deprecated: `true` means "one proxy in front": the rightmost `X-Forwarded-For` entry. Use
    /// `trusted_proxies` instead (it wins when both are set).
    pub trust_forwarded_for: bool,
    /// A second, internal listener (e.g. `127.0.0.1:9090`) that serves `/metrics` (and the health
    /// endpoints); `/metrics` is then not served on the customer port.
    pub metrics_bind: Option<String>,
    /// A bearer token `/metrics` requires (`Authorization: Bearer …`, at least 16 characters). A
    /// config file holding it must be mode 0600; or use `metrics_token_file`.
    pub metrics_token: Option<String>,
    /// A file holding the metrics token (mode 0600), instead of `metrics_token`.
    pub metrics_token_file: Option<String>,
    /// Serve HTTPS itself (rustls): the certificate chain, PEM (leaf first), relative to the config
    /// file's directory. With `tls_key`; re-read on SIGHUP and when the files change. Without both,
    /// the gateway serves plain HTTP (behind a TLS proxy).
    pub tls_cert: Option<String>,
    /// The private key of `tls_cert`, PEM (PKCS#8, PKCS#1 or SEC1), mode 0600.
    pub tls_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdpConfig {
    /// The IdP entityID published in IDP Metadata.xml (Huawei requires https://).
    pub entity_id: String,
    /// PEM private key (PKCS#8), mode 0600.
    pub key: String,
    /// PEM certificate published in the metadata.
    pub cert: String,
    /// Optional CA chain (PEM) when the certificate was issued by a CA.
    pub chain: Option<String>,
    /// Environment variable holding the passphrase of an encrypted private key.
    pub key_passphrase_env: Option<String>,
    /// File holding that passphrase (e.g. a mounted secret), used when `key_passphrase_env` is unset.
    pub key_passphrase_file: Option<String>,
    /// `rsa-sha256` (default), `rsa-sha512` or `ecdsa-sha256`.
    pub signature_algorithm: String,
    /// Lifetime of an assertion (Conditions/NotOnOrAfter), seconds.
    pub assertion_lifetime_secs: u64,
    /// NotBefore is backdated by this much, and incoming IssueInstant may be this far in the future.
    pub clock_skew_secs: u64,
    /// Oldest IssueInstant accepted on incoming requests, seconds.
    pub request_max_age_secs: u64,
    /// Where `metadata export` and `serve` write the IdP metadata for upload to Partner Center.
    pub metadata_file: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HuaweiConfig {
    /// `cn`, `intl` or `eu`: picks the Huawei auth and console hosts.
    pub site: Site,
    /// The platform identifier Huawei assigns on the Access Configuration page (e.g. `example_IDP`).
    pub x_account_type: String,
    /// Huawei's SP Metadata.xml: a file path or an https URL.
    pub sp_metadata: String,
    /// When `sp_metadata` is a URL: how often to fetch it again, seconds (0 = only at start). A failed
    /// fetch or a refused document keeps the last good copy.
    pub sp_metadata_refresh_secs: u64,
    /// Overrides the auth host for the site (e.g. `http://127.0.0.1:8081` for the local mock SP).
    pub auth_base_url: Option<String>,
    /// Huawei's SP entityID: which imported SP is Huawei's (binding notification, console links).
    /// Default: the auth base URL with a trailing `/` (`https://auth.huaweicloud.com/` on cn).
    pub sp_entity_id: Option<String>,
    /// SHA-256 fingerprints (hex, `:` optional) of certificates trusted to sign SP metadata, besides
    /// Huawei's own metadata-signing certificate, which is pinned in samlgate.
    pub sp_metadata_signers: Vec<String>,
    /// Sign the Response as well as the Assertion.
    pub sign_response: bool,
    /// Accept SHA-1 request signatures (off: SHA-1 is refused).
    pub allow_sha1: bool,
    /// The partner's ID (Partner Center → account information), sent as the `bpId` attribute. Huawei's
    /// sample Response carries it; `init`, `serve` and the admin checklist warn while it is unset.
    pub bp_id: Option<String>,
    /// Further hosts allowed as `service` targets besides the site's console host.
    pub extra_console_hosts: Vec<String>,
    /// Attribute names in the assertion.
    pub attributes: AttributeNames,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttributeNames {
    pub x_user_id: String,
    /// Carries the same value as `x_user_id` (Huawei's sample requires both).
    pub x_account_id: String,
    pub name: String,
    pub mobile: String,
    pub email: String,
    pub bp_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandoffConfig {
    /// Shared HS256 secret for hand-off tokens from the partner platform (≥ 32 characters). Whoever
    /// has it can sign any customer in: a config file holding it must be mode 0600 (`init` writes it
    /// so). Alternatives: `secret_file`, or the `SAMLGATE_HANDOFF_SECRET` environment variable.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub secret: String,
    /// A file holding the secret (e.g. a mounted secret; mode 0600), instead of `secret`.
    pub secret_file: Option<String>,
    /// During a rotation, the secret being replaced: tokens made with it are still accepted (the audit
    /// says which secret matched). Remove it once the partner platform uses the new one.
    pub previous_secret: Option<String>,
    /// A file holding the previous secret, instead of `previous_secret`.
    pub previous_secret_file: Option<String>,
    /// Longest accepted token lifetime (`exp` − now), seconds; at most 120.
    pub token_max_age_secs: u64,
    /// Where to send a browser that reaches /saml/sso without a gateway session.
    pub partner_login_url: Option<String>,
    /// Lifetime of a gateway session, seconds.
    pub session_lifetime_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `sqlite://FILE` (relative to the config directory) or `postgres://…`.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ReturnUrls {
    /// Where a plain logout ends up.
    pub after_logout: Option<String>,
    /// 订单支付成功跳转地址: Huawei's "View order details" link after payment.
    pub order_paid: Option<String>,
    /// 订单充值跳转地址: the partner's top-up page.
    pub recharge: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Audit events older than this many days are deleted by housekeeping (0 keeps them forever).
    pub retention_days: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { retention_days: 180 }
    }
}

/// What customers and admins see: language, the partner's brand, the time zone of the admin pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// `zh-CN` or `en`: the page language when the browser's Accept-Language names neither
    /// (default: `zh-CN` for `huawei.site = "cn"`, `en` otherwise).
    pub default_language: Option<String>,
    /// The partner's name as customers know it ("go back to {partner_name}").
    pub partner_name: Option<String>,
    /// In page titles and headers (default: `partner_name`, else "samlgate").
    pub product_name: Option<String>,
    /// The logo in the page header: an https URL, a path on this host, or a `data:image/…` URL.
    pub logo_url: Option<String>,
    /// The accent colour of buttons and headers, `#rrggbb` (default Huawei red `#c7000b`).
    pub accent_color: Option<String>,
    /// Where "back to the partner platform" leads (default: `handoff.partner_login_url`).
    pub partner_home_url: Option<String>,
    /// The time zone of the admin pages, an IANA name (default `Asia/Shanghai` for site cn, `UTC`
    /// otherwise).
    pub timezone: Option<String>,
}

/// The accent colour when `ui.accent_color` is not set.
pub const DEFAULT_ACCENT_COLOR: &str = "#c7000b";

impl Config {
    /// The page language when the browser names none we have.
    pub fn default_lang(&self) -> crate::util::i18n::Lang {
        use crate::util::i18n::Lang;
        match self.ui.default_language.as_deref().and_then(Lang::parse) {
            Some(l) => l,
            None if self.huawei.site == Site::Cn => Lang::ZhCn,
            None => Lang::En,
        }
    }

    /// The IANA name of the admin pages' time zone.
    pub fn timezone_name(&self) -> &str {
        match (&self.ui.timezone, self.huawei.site) {
            (Some(tz), _) => tz,
            (None, Site::Cn) => "Asia/Shanghai",
            (None, _) => "UTC",
        }
    }

    /// The `[[sps]]` settings of this SP, if it has any.
    pub fn sp_settings(&self, entity_id: &str) -> Option<&SpSettings> {
        self.sps.iter().find(|s| s.entity_id == entity_id)
    }

    /// The accent colour (`#rrggbb`).
    pub fn accent_color(&self) -> &str {
        self.ui.accent_color.as_deref().unwrap_or(DEFAULT_ACCENT_COLOR)
    }

    /// The brand every page shows (validated values; an unknown zone falls back to UTC).
    pub fn brand(&self) -> crate::util::i18n::Brand {
        let ui = &self.ui;
        let tz_name = self.timezone_name().to_owned();
        let timezone = jiff::tz::TimeZone::get(&tz_name).unwrap_or(jiff::tz::TimeZone::UTC);
        crate::util::i18n::Brand {
            product_name: ui
                .product_name
                .clone()
                .or_else(|| ui.partner_name.clone())
                .unwrap_or_else(|| "samlgate".to_owned()),
            partner_name: ui.partner_name.clone(),
            logo_url: ui.logo_url.clone(),
            partner_home_url: ui.partner_home_url.clone().or_else(|| self.handoff.partner_login_url.clone()),
            default_lang: self.default_lang(),
            timezone,
            timezone_name: tz_name,
        }
    }
}

/// A `ui.logo_url`: an https (or loopback http) URL, an absolute path on this host, or a
/// `data:image/(png|jpeg|gif|webp|svg+xml);base64,…` URL of at most 64 KiB.
fn check_logo_url(u: &str) -> Result<(), String> {
    if let Some(rest) = u.strip_prefix("data:") {
        let ok_type = ["image/png;", "image/jpeg;", "image/gif;", "image/webp;", "image/svg+xml;"]
            .iter()
            .any(|t| rest.starts_with(t));
        let b64 = rest.split_once(";base64,").map(|(_, b)| b);
        return match b64 {
            Some(b) if ok_type && u.len() <= 64 * 1024 => {
                if crate::util::is_base64_text(b) {
                    Ok(())
                } else {
                    Err("the data URL is not base64".into())
                }
            }
            _ => Err("a data URL must be data:image/(png|jpeg|gif|webp|svg+xml);base64,… of at most 64 KiB".into()),
        };
    }
    if u.starts_with('/') && !u.starts_with("//") {
        return if u.len() <= 1024 && u.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\') {
            Ok(())
        } else {
            Err("a path must be printable ASCII without quotes or backslashes".into())
        };
    }
    crate::util::url::redirect_target(u, true).map(|_| ())
}

/// A name shown in pages: 1–100 characters, no control characters.
fn check_display_name(key: &str, v: &str) -> Result<(), ConfigError> {
    if v.trim().is_empty() || v.chars().count() > 100 || v.chars().any(char::is_control) {
        return Err(invalid(key, "must be 1–100 characters without control characters"));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    pub users: Vec<AdminUser>,
    /// Let API tokens with the `assertions` scope mint assertions for Huawei's SP too (off: a minted
    /// assertion for the real Huawei would sign a customer in without the partner platform). The CLI
    /// (`samlgate assert`) needs the IdP key and is not limited by this.
    pub allow_minting_for_huawei: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminUser {
    pub name: String,
    /// argon2 PHC string.
    pub password_hash: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            max_body_bytes: 256 * 1024,
            request_timeout_secs: 30,
            max_concurrent_requests: 1024,
            rate_limit_per_minute: 600,
            trusted_proxies: Vec::new(),
            trust_forwarded_for: false,
            metrics_bind: None,
            metrics_token: None,
            metrics_token_file: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl Default for IdpConfig {
    fn default() -> Self {
        IdpConfig {
            entity_id: "http://127.0.0.1:8080/saml/metadata".into(),
            key: "certs/idp.key".into(),
            cert: "certs/idp.crt".into(),
            chain: None,
            key_passphrase_env: None,
            key_passphrase_file: None,
            signature_algorithm: "rsa-sha256".into(),
            assertion_lifetime_secs: 300,
            clock_skew_secs: 120,
            request_max_age_secs: 300,
            metadata_file: "metadata/idp-metadata.xml".into(),
        }
    }
}

impl Default for HuaweiConfig {
    fn default() -> Self {
        HuaweiConfig {
            site: Site::Cn,
            x_account_type: PLACEHOLDER_X_ACCOUNT_TYPE.into(),
            sp_metadata: "metadata/huawei-sp-metadata.xml".into(),
            sp_metadata_refresh_secs: 3600,
            auth_base_url: None,
            sp_entity_id: None,
            sp_metadata_signers: Vec::new(),
            sign_response: false,
            allow_sha1: false,
            bp_id: None,
            extra_console_hosts: Vec::new(),
            attributes: AttributeNames::default(),
        }
    }
}

impl Default for AttributeNames {
    fn default() -> Self {
        AttributeNames {
            x_user_id: "xUserId".into(),
            x_account_id: "xAccountId".into(),
            name: "name".into(),
            mobile: "mobile".into(),
            email: "email".into(),
            bp_id: "bpId".into(),
        }
    }
}

impl Default for HandoffConfig {
    fn default() -> Self {
        HandoffConfig {
            secret: String::new(),
            secret_file: None,
            previous_secret: None,
            previous_secret_file: None,
            token_max_age_secs: 120,
            partner_login_url: None,
            session_lifetime_secs: 8 * 3600,
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { url: "sqlite://data/samlgate.db".into() }
    }
}

/// A loaded configuration together with the directory its relative paths start from.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub path: PathBuf,
    pub dir: PathBuf,
    /// The config keys whose secret values are written in the config file itself (not only given by
    /// the environment): the file must then be readable by its owner only.
    pub secrets_in_file: Vec<&'static str>,
}

impl Settings {
    /// Resolves a path from the config against the config directory.
    pub fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() { p.to_path_buf() } else { self.dir.join(p) }
    }

    pub fn sso_url(&self) -> String {
        format!("{}/saml/sso", self.config.server.base_url)
    }

    pub fn slo_url(&self) -> String {
        format!("{}/saml/slo", self.config.server.base_url)
    }

    /// Where IdP-initiated SSO starts (`GET /saml/init?sp=…`).
    pub fn init_url(&self) -> String {
        format!("{}/saml/init", self.config.server.base_url)
    }
}

impl Config {
    /// A fresh configuration as `init` writes it: defaults plus the given values and a new random secret.
    pub fn for_init(base_url: Option<&str>, x_account_type: Option<&str>, site: Option<Site>) -> Config {
        let mut c = Config::default();
        c.apply_init_options(base_url, x_account_type, site);
        c.handoff.secret = random_secret();
        c
    }

    /// Applies `init`'s options: the base URL (and the entityID derived from it), xAccountType, site.
    pub fn apply_init_options(&mut self, base_url: Option<&str>, x_account_type: Option<&str>, site: Option<Site>) {
        if let Some(u) = base_url {
            let u = u.trim_end_matches('/');
            self.server.base_url = u.to_owned();
            self.idp.entity_id = format!("{u}/saml/metadata");
        }
        if let Some(x) = x_account_type {
            self.huawei.x_account_type = x.to_owned();
        }
        if let Some(s) = site {
            self.huawei.site = s;
        }
    }

    /// [`Config::validate`] for a file whose hand-off secret may come from the environment: its
    /// absence from the file is no error here (the start still requires one from somewhere).
    pub fn validate_as_written(&self) -> Result<(), ConfigError> {
        if self.handoff.secret.is_empty() && self.handoff.secret_file.is_none() {
            let mut c = self.clone();
            c.handoff.secret = "x".repeat(MIN_SECRET_LEN);
            return c.validate();
        }
        self.validate()
    }

    /// Serializes to TOML with a short header.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!(
            "# samlgate configuration. Every key can be overridden by SAMLGATE_<SECTION>_<KEY>, e.g. SAMLGATE_SERVER_BIND.\n\
             # Relative paths are relative to this file's directory.\n\n{body}"
        )
    }

    /// Checks every value and names the key of the first bad one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.server;
        s.bind
            .parse::<std::net::SocketAddr>()
            .map_err(|e| invalid("server.bind", format!("`{}` is not ADDR:PORT ({e})", s.bind)))?;
        let base = url::Url::parse(&s.base_url)
            .map_err(|e| invalid("server.base_url", format!("`{}` is not an absolute URL ({e})", s.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(invalid("server.base_url", "must be an http(s) URL with a host"));
        }
        if s.base_url.ends_with('/') || base.query().is_some() || base.fragment().is_some() {
            return Err(invalid("server.base_url", "must not end with `/` nor carry a query or fragment"));
        }
        if !(1024..=16 * 1024 * 1024).contains(&s.max_body_bytes) {
            return Err(invalid("server.max_body_bytes", "must be between 1024 and 16 MiB"));
        }
        if !(1..=600).contains(&s.request_timeout_secs) {
            return Err(invalid("server.request_timeout_secs", "must be between 1 and 600"));
        }
        if s.max_concurrent_requests == 0 {
            return Err(invalid("server.max_concurrent_requests", "must be at least 1"));
        }
        if let Some(b) = &s.metrics_bind
            && b.parse::<std::net::SocketAddr>().is_err()
        {
            return Err(invalid("server.metrics_bind", format!("`{b}` is not an address:port (e.g. 127.0.0.1:9090)")));
        }
        match (&s.tls_cert, &s.tls_key) {
            (Some(_), None) => {
                return Err(invalid("server.tls_key", "set with server.tls_cert (the certificate's key)"));
            }
            (None, Some(_)) => {
                return Err(invalid("server.tls_cert", "set with server.tls_key (the key's certificate)"));
            }
            (Some(c), Some(k)) if c.trim().is_empty() || k.trim().is_empty() => {
                return Err(invalid("server.tls_cert", "server.tls_cert and server.tls_key must be file paths"));
            }
            (Some(_), Some(_)) if !s.base_url.starts_with("https://") => {
                return Err(invalid(
                    "server.base_url",
                    "must be https:// when the gateway serves TLS (server.tls_cert)",
                ));
            }
            _ => {}
        }
        match (&s.metrics_token, &s.metrics_token_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "server.metrics_token_file",
                    "set only one of server.metrics_token and server.metrics_token_file",
                ));
            }
            (Some(t), None) if t.chars().count() < MIN_METRICS_TOKEN_LEN || t.chars().any(|c| c.is_whitespace()) => {
                return Err(invalid("server.metrics_token", "must be at least 16 characters without spaces"));
            }
            _ => {}
        }
        for (n, p) in s.trusted_proxies.iter().enumerate() {
            crate::util::net::parse_proxy(p).map_err(|e| invalid(&format!("server.trusted_proxies[{n}]"), e))?;
        }

        let i = &self.idp;
        if i.entity_id.trim().is_empty() || i.entity_id.len() > 1024 {
            return Err(invalid("idp.entity_id", "must be a non-empty URI of at most 1024 characters"));
        }
        url::Url::parse(&i.entity_id)
            .map_err(|e| invalid("idp.entity_id", format!("`{}` is not an absolute URI ({e})", i.entity_id)))?;
        if i.key.is_empty() {
            return Err(invalid("idp.key", "must name the private key file"));
        }
        if i.cert.is_empty() {
            return Err(invalid("idp.cert", "must name the certificate file"));
        }
        if !matches!(i.signature_algorithm.as_str(), "rsa-sha256" | "rsa-sha512" | "ecdsa-sha256") {
            return Err(invalid(
                "idp.signature_algorithm",
                format!("`{}` is not one of rsa-sha256, rsa-sha512, ecdsa-sha256", i.signature_algorithm),
            ));
        }
        if !(30..=3600).contains(&i.assertion_lifetime_secs) {
            return Err(invalid("idp.assertion_lifetime_secs", "must be between 30 and 3600"));
        }
        if i.clock_skew_secs > 600 {
            return Err(invalid("idp.clock_skew_secs", "must be at most 600"));
        }
        if !(10..=3600).contains(&i.request_max_age_secs) {
            return Err(invalid("idp.request_max_age_secs", "must be between 10 and 3600"));
        }

        let h = &self.huawei;
        let x = &h.x_account_type;
        if x.is_empty() || x.len() > 64 || !x.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(invalid("huawei.x_account_type", "must be 1–64 characters of letters, digits, `_` or `-`"));
        }
        if h.sp_metadata.trim().is_empty() {
            return Err(invalid("huawei.sp_metadata", "must name a file or an https URL"));
        }
        if h.sp_metadata_refresh_secs != 0 && !(5..=7 * 86400).contains(&h.sp_metadata_refresh_secs) {
            return Err(invalid("huawei.sp_metadata_refresh_secs", "must be 0 (off) or between 5 and 604800"));
        }
        if let Some(u) = &h.auth_base_url {
            check_http_url("huawei.auth_base_url", u, true)?;
        }
        if let Some(id) = &h.sp_entity_id
            && (id.is_empty() || id.len() > 1024 || id.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(invalid("huawei.sp_entity_id", "must be a URI of at most 1024 characters without spaces"));
        }
        for (n, fp) in h.sp_metadata_signers.iter().enumerate() {
            if crate::util::parse_fingerprint(fp).is_none() {
                return Err(invalid(
                    &format!("huawei.sp_metadata_signers[{n}]"),
                    format!("`{fp}` is not a SHA-256 fingerprint (64 hex digits, `:` allowed)"),
                ));
            }
        }
        for (n, host) in h.extra_console_hosts.iter().enumerate() {
            if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
                return Err(invalid(&format!("huawei.extra_console_hosts[{n}]"), "must be a plain host name"));
            }
        }
        let a = &h.attributes;
        for (k, v) in [
            ("huawei.attributes.x_user_id", &a.x_user_id),
            ("huawei.attributes.x_account_id", &a.x_account_id),
            ("huawei.attributes.name", &a.name),
            ("huawei.attributes.mobile", &a.mobile),
            ("huawei.attributes.email", &a.email),
            ("huawei.attributes.bp_id", &a.bp_id),
        ] {
            if v.is_empty() || v.len() > 256 || v.chars().any(|c| c.is_control()) {
                return Err(invalid(k, "must be a non-empty attribute name without control characters"));
            }
        }

        let ho = &self.handoff;
        match (ho.secret.is_empty(), &ho.secret_file) {
            (true, None) => {
                return Err(invalid(
                    "handoff.secret",
                    "is not set: set handoff.secret_file, SAMLGATE_HANDOFF_SECRET or handoff.secret (init generates one)",
                ));
            }
            (false, Some(_)) => {
                return Err(invalid(
                    "handoff.secret_file",
                    "set only one of handoff.secret (or SAMLGATE_HANDOFF_SECRET) and handoff.secret_file",
                ));
            }
            (true, Some(f)) if f.trim().is_empty() => return Err(invalid("handoff.secret_file", "is empty")),
            (false, None) if ho.secret.len() < MIN_SECRET_LEN => {
                return Err(invalid("handoff.secret", "must be at least 32 characters (init generates one)"));
            }
            _ => {}
        }
        match (&ho.previous_secret, &ho.previous_secret_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "handoff.previous_secret_file",
                    "set only one of handoff.previous_secret and handoff.previous_secret_file",
                ));
            }
            (Some(p), None) if p.len() < MIN_SECRET_LEN => {
                return Err(invalid("handoff.previous_secret", "must be at least 32 characters"));
            }
            (None, Some(f)) if f.trim().is_empty() => {
                return Err(invalid("handoff.previous_secret_file", "is empty"));
            }
            _ => {}
        }
        if !(10..=120).contains(&ho.token_max_age_secs) {
            return Err(invalid("handoff.token_max_age_secs", "must be between 10 and 120"));
        }
        if let Some(u) = &ho.partner_login_url {
            check_http_url("handoff.partner_login_url", u, true)?;
        }
        if !(60..=7 * 86400).contains(&ho.session_lifetime_secs) {
            return Err(invalid("handoff.session_lifetime_secs", "must be between 60 and 604800"));
        }

        let st = &self.store.url;
        if !(st.starts_with("sqlite://") || st.starts_with("postgres://") || st.starts_with("postgresql://")) {
            return Err(invalid("store.url", format!("`{st}` must start with sqlite:// or postgres://")));
        }

        let r = &self.return_urls;
        for (k, v) in [
            ("return_urls.after_logout", &r.after_logout),
            ("return_urls.order_paid", &r.order_paid),
            ("return_urls.recharge", &r.recharge),
        ] {
            if let Some(u) = v {
                check_http_url(k, u, true)?;
            }
        }

        if self.audit.retention_days > 36_500 {
            return Err(invalid("audit.retention_days", "must be at most 36500 (0 keeps events forever)"));
        }
        for (n, u) in self.admin.users.iter().enumerate() {
            if u.name.is_empty() || u.name.len() > 64 {
                return Err(invalid(&format!("admin.users[{n}].name"), "must be 1–64 characters"));
            }
            if !u.password_hash.starts_with("$argon2") {
                return Err(invalid(&format!("admin.users[{n}].password_hash"), "must be an argon2 PHC string"));
            }
        }

        for (n, sp) in self.sps.iter().enumerate() {
            let id = &sp.entity_id;
            if id.is_empty() || id.len() > 1024 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(invalid(
                    &format!("sps[{n}].entity_id"),
                    "must be an SP entityID of at most 1024 characters without spaces",
                ));
            }
            if self.sps[..n].iter().any(|other| &other.entity_id == id) {
                return Err(invalid(&format!("sps[{n}].entity_id"), format!("`{id}` is listed twice")));
            }
        }

        let ui = &self.ui;
        if let Some(l) = &ui.default_language
            && crate::util::i18n::Lang::parse(l).is_none()
        {
            return Err(invalid("ui.default_language", format!("`{l}` is not one of zh-CN, en")));
        }
        for (k, v) in [("ui.partner_name", &ui.partner_name), ("ui.product_name", &ui.product_name)] {
            if let Some(v) = v {
                check_display_name(k, v)?;
            }
        }
        if let Some(u) = &ui.logo_url {
            check_logo_url(u).map_err(|e| invalid("ui.logo_url", e))?;
        }
        if let Some(c) = &ui.accent_color {
            let hex = c.strip_prefix('#').unwrap_or("");
            if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid("ui.accent_color", format!("`{c}` is not a colour written #rrggbb")));
            }
        }
        if let Some(u) = &ui.partner_home_url {
            check_http_url("ui.partner_home_url", u, true)?;
        }
        if let Some(tz) = &ui.timezone
            && jiff::tz::TimeZone::get(tz).is_err()
        {
            return Err(invalid("ui.timezone", format!("`{tz}` is not an IANA time zone (e.g. Asia/Shanghai, UTC)")));
        }
        Ok(())
    }
}

/// Longest URL accepted by [`check_http_url`].
pub const MAX_URL_LEN: usize = crate::util::url::MAX_URL_LEN;

/// A URL a browser may be sent to ([`crate::util::url::redirect_target`]), refused with the key named.
pub fn check_http_url(key: &str, u: &str, allow_loopback_http: bool) -> Result<url::Url, ConfigError> {
    crate::util::url::redirect_target(u, allow_loopback_http).map_err(|reason| invalid(key, reason))
}

/// Shortest metrics bearer token accepted, in characters.
pub const MIN_METRICS_TOKEN_LEN: usize = 16;

/// Shortest hand-off secret accepted, in characters.
pub const MIN_SECRET_LEN: usize = 32;

/// 32 random bytes, hex encoded.
pub fn random_secret() -> String {
    let mut b = [0u8; 32];
    openssl::rand::rand_bytes(&mut b).expect("the OpenSSL random generator failed");
    hex::encode(b)
}

/// Loads the file at `path`, applies environment overrides from `env`, and validates.
pub fn load_from(path: &Path, env: &[(String, String)]) -> Result<Settings, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    parse_with_env(&text, path, env)
}

/// The config file as written, without environment overrides, for the commands that rewrite it: a
/// rewrite must never bake an override (say a secret from `SAMLGATE_HANDOFF_SECRET`) into the file.
/// Validate the changed config with [`Config::validate_as_written`].
pub fn load_as_written(path: &Path) -> Result<Config, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    toml::from_str::<Config>(&text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })
}

/// Loads with the process environment.
pub fn load(path: &Path) -> Result<Settings, ConfigError> {
    let env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with(ENV_PREFIX)).collect();
    load_from(path, &env)
}

/// Parses TOML text, applies the overrides and validates.
pub fn parse_with_env(text: &str, path: &Path, env: &[(String, String)]) -> Result<Settings, ConfigError> {
    let perr = |message: String| ConfigError::Parse { path: path.to_path_buf(), message };
    let mut table: toml::Table = text.parse::<toml::Table>().map_err(|e| perr(e.to_string()))?;
    // Typecheck the file as written first, so errors point at its lines.
    let as_written = toml::from_str::<Config>(text).map_err(|e| perr(e.to_string()))?;
    let mut secrets_in_file = Vec::new();
    if !as_written.handoff.secret.is_empty() {
        secrets_in_file.push("handoff.secret");
    }
    if as_written.handoff.previous_secret.is_some() {
        secrets_in_file.push("handoff.previous_secret");
    }
    if as_written.server.metrics_token.is_some() {
        secrets_in_file.push("server.metrics_token");
    }
    if !env.is_empty() {
        let paths = key_paths();
        for (var, raw) in env {
            // Only variables naming a config section are overrides (a typo inside a section is an
            // error); others such as SAMLGATE_CONFIG, SAMLGATE_LOG or tooling variables are not ours.
            let rest = var[ENV_PREFIX.len()..].to_ascii_lowercase();
            // `[[sps]]` is one value (`SAMLGATE_SPS`), not a section of keys.
            let is_ours =
                rest == "sps" || SECTIONS.iter().any(|s| rest.strip_prefix(s).is_some_and(|r| r.starts_with('_')));
            if !is_ours {
                continue;
            }
            apply_env(&mut table, &paths, var, raw)?;
        }
    }
    let config: Config = table.try_into().map_err(|e: toml::de::Error| perr(e.to_string()))?;
    config.validate()?;
    let dir = path.parent().map(Path::to_path_buf).filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| ".".into());
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    Ok(Settings { config, path: path.to_path_buf(), dir, secrets_in_file })
}

/// The sections of the file; `SAMLGATE_<SECTION>_…` variables override keys in them.
const SECTIONS: &[&str] =
    &["server", "idp", "huawei", "handoff", "store", "return_urls", "audit", "admin", "ui", "sps"];

/// A config with every optional key set (to empty values), so that serializing it names every key.
fn full_sample() -> Config {
    let mut full = Config::default();
    full.idp.chain = Some(String::new());
    full.idp.key_passphrase_env = Some(String::new());
    full.idp.key_passphrase_file = Some(String::new());
    full.huawei.auth_base_url = Some(String::new());
    full.huawei.bp_id = Some(String::new());
    full.huawei.sp_entity_id = Some(String::new());
    full.handoff.partner_login_url = Some(String::new());
    full.handoff.secret = "x".into();
    full.server.metrics_bind = Some(String::new());
    full.server.metrics_token = Some(String::new());
    full.server.metrics_token_file = Some(String::new());
    full.server.tls_cert = Some(String::new());
    full.server.tls_key = Some(String::new());
    full.handoff.secret_file = Some(String::new());
    full.handoff.previous_secret = Some(String::new());
    full.handoff.previous_secret_file = Some(String::new());
    full.return_urls = ReturnUrls {
        after_logout: Some(String::new()),
        order_paid: Some(String::new()),
        recharge: Some(String::new()),
    };
    full.ui = UiConfig {
        default_language: Some(String::new()),
        partner_name: Some(String::new()),
        product_name: Some(String::new()),
        logo_url: Some(String::new()),
        accent_color: Some(String::new()),
        partner_home_url: Some(String::new()),
        timezone: Some(String::new()),
    };
    full
}

/// Walks a TOML value: each scalar (or array of scalars) with its key path; an array of tables is
/// walked through its first table (`sps.entity_id`).
fn walk_keys(prefix: &mut Vec<String>, v: &toml::Value, out: &mut Vec<(Vec<String>, toml::Value)>, arrays: bool) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                prefix.push(k.clone());
                walk_keys(prefix, v, out, arrays);
                prefix.pop();
            }
        }
        toml::Value::Array(a) if arrays && a.first().is_some_and(toml::Value::is_table) => {
            walk_keys(prefix, &a[0], out, arrays);
        }
        other => out.push((prefix.clone(), other.clone())),
    }
}

/// Every scalar key path, with a sample value giving its type.
fn key_paths() -> Vec<(Vec<String>, toml::Value)> {
    let v = toml::Value::try_from(full_sample()).unwrap_or(toml::Value::Table(Default::default()));
    let mut out = Vec::new();
    walk_keys(&mut Vec::new(), &v, &mut out, false);
    // `[[sps]]` is not written while empty; as a whole it can be given as a TOML array of tables
    // (`SAMLGATE_SPS='[{entity_id = "https://sp.example/", allow_idp_initiated = true}]'`).
    out.push((vec!["sps".to_owned()], toml::Value::Array(Vec::new())));
    out
}

/// Every key a config file may hold, as dotted paths (`server.bind`, `huawei.attributes.x_user_id`),
/// the keys of the arrays of tables included (`admin.users.name`, `sps.entity_id`). The sample config
/// (`contrib/samlgate.example.toml`) is tested to describe each of them.
pub fn all_key_paths() -> Vec<String> {
    let mut full = full_sample();
    full.admin.users = vec![AdminUser { name: String::new(), password_hash: String::new() }];
    full.sps = vec![SpSettings { entity_id: String::new(), allow_idp_initiated: false }];
    let v = toml::Value::try_from(full).unwrap_or(toml::Value::Table(Default::default()));
    let mut out = Vec::new();
    walk_keys(&mut Vec::new(), &v, &mut out, true);
    out.into_iter().map(|(p, _)| p.join(".")).collect()
}

fn apply_env(
    table: &mut toml::Table,
    paths: &[(Vec<String>, toml::Value)],
    var: &str,
    raw: &str,
) -> Result<(), ConfigError> {
    let name = var[ENV_PREFIX.len()..].to_ascii_lowercase();
    let Some((path, sample)) = paths.iter().find(|(p, _)| p.join("_") == name) else {
        return Err(ConfigError::UnknownEnv { var: var.to_owned() });
    };
    let key = path.join(".");
    let value = match sample {
        toml::Value::String(_) => toml::Value::String(raw.to_owned()),
        toml::Value::Integer(_) => toml::Value::Integer(
            raw.trim().parse().map_err(|_| invalid(&key, format!("{var}=`{raw}` is not an integer")))?,
        ),
        toml::Value::Boolean(_) => toml::Value::Boolean(match raw.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(invalid(&key, format!("{var}=`{raw}` is not true or false"))),
        }),
        _ => {
            let doc = format!("v = {raw}");
            let t: toml::Table = doc.parse().map_err(|e| invalid(&key, format!("{var} is not a TOML value: {e}")))?;
            t.get("v").cloned().unwrap_or(toml::Value::String(raw.to_owned()))
        }
    };
    let mut cur = table;
    for seg in &path[..path.len() - 1] {
        let entry = cur.entry(seg.clone()).or_insert_with(|| toml::Value::Table(Default::default()));
        cur = match entry {
            toml::Value::Table(t) => t,
            _ => return Err(invalid(&key, "is not a table in the file")),
        };
    }
    cur.insert(path[path.len() - 1].clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_text() -> String {
        Config::for_init(None, Some("acme_IDP"), None).to_toml()
    }

    #[test]
    fn the_handoff_secret_comes_from_exactly_one_place() {
        let text = valid_text();
        let s = parse_with_env(&text, Path::new("x/samlgate.toml"), &[]).unwrap();
        assert_eq!(s.secrets_in_file, ["handoff.secret"]);
        let both = vec![("SAMLGATE_HANDOFF_SECRET_FILE".to_string(), "h.secret".to_string())];
        let e = parse_with_env(&text, Path::new("x/samlgate.toml"), &both).unwrap_err().to_string();
        assert!(e.contains("set only one of handoff.secret"), "{e}");
        let short = vec![("SAMLGATE_HANDOFF_PREVIOUS_SECRET".to_string(), "short".to_string())];
        let e = parse_with_env(&text, Path::new("x/samlgate.toml"), &short).unwrap_err().to_string();
        assert!(e.contains("handoff.previous_secret"), "{e}");
        // Given by the environment only: nothing secret in the file.
        let without: String = text.lines().filter(|l| !l.starts_with("secret = ")).map(|l| format!("{l}\n")).collect();
        let env = vec![("SAMLGATE_HANDOFF_SECRET".to_string(), "e".repeat(40))];
        let s = parse_with_env(&without, Path::new("x/samlgate.toml"), &env).unwrap();
        assert!(s.secrets_in_file.is_empty());
        assert_eq!(s.config.handoff.secret, "e".repeat(40));
    }

    #[test]
    fn init_config_round_trips_and_validates() {
        let text = valid_text();
        let s = parse_with_env(&text, Path::new("x/samlgate.toml"), &[]).unwrap();
        assert_eq!(s.config.huawei.x_account_type, "acme_IDP");
        assert_eq!(s.config.server.base_url, "http://127.0.0.1:8080");
        assert_eq!(s.config.handoff.secret.len(), 64);
    }

    #[test]
    fn env_overrides_every_kind_of_key() {
        let env = vec![
            ("SAMLGATE_SERVER_BIND".to_string(), "0.0.0.0:9000".to_string()),
            ("SAMLGATE_IDP_ASSERTION_LIFETIME_SECS".to_string(), "120".to_string()),
            ("SAMLGATE_HUAWEI_SIGN_RESPONSE".to_string(), "true".to_string()),
            ("SAMLGATE_HUAWEI_SITE".to_string(), "intl".to_string()),
            ("SAMLGATE_HUAWEI_ATTRIBUTES_X_USER_ID".to_string(), "uid".to_string()),
            ("SAMLGATE_RETURN_URLS_AFTER_LOGOUT".to_string(), "https://partner.example/bye".to_string()),
        ];
        let s = parse_with_env(&valid_text(), Path::new("samlgate.toml"), &env).unwrap();
        assert_eq!(s.config.server.bind, "0.0.0.0:9000");
        assert_eq!(s.config.idp.assertion_lifetime_secs, 120);
        assert!(s.config.huawei.sign_response);
        assert_eq!(s.config.huawei.site, Site::Intl);
        assert_eq!(s.config.huawei.attributes.x_user_id, "uid");
        assert_eq!(s.config.return_urls.after_logout.as_deref(), Some("https://partner.example/bye"));
    }

    #[test]
    fn errors_name_the_key() {
        let cases: &[(&str, &str)] = &[
            ("SAMLGATE_SERVER_BIND", "nonsense"),
            ("SAMLGATE_IDP_ASSERTION_LIFETIME_SECS", "99999"),
            ("SAMLGATE_HUAWEI_X_ACCOUNT_TYPE", "bad type!"),
            ("SAMLGATE_STORE_URL", "mysql://x"),
            ("SAMLGATE_RETURN_URLS_RECHARGE", "javascript:alert(1)"),
            ("SAMLGATE_RETURN_URLS_ORDER_PAID", "https://user:pw@partner.example/"),
            ("SAMLGATE_HANDOFF_SECRET", "short"),
        ];
        for (var, val) in cases {
            let env = vec![(var.to_string(), val.to_string())];
            let err = parse_with_env(&valid_text(), Path::new("s.toml"), &env).unwrap_err().to_string();
            let key = var.trim_start_matches("SAMLGATE_").to_ascii_lowercase();
            let (section, rest) = key.split_once('_').unwrap();
            let section = if section == "return" { "return_urls" } else { section };
            let rest = if section == "return_urls" { rest.trim_start_matches("urls_") } else { rest };
            assert!(err.contains(&format!("{section}.{rest}")), "{var}: {err}");
        }
        let env = vec![("SAMLGATE_SERVER_NO_SUCH_KEY".to_string(), "1".to_string())];
        assert!(matches!(
            parse_with_env(&valid_text(), Path::new("s.toml"), &env),
            Err(ConfigError::UnknownEnv { .. })
        ));
        // Variables outside the config sections belong to other tools and are left alone.
        let env = vec![
            ("SAMLGATE_VENV".to_string(), "/x".to_string()),
            ("SAMLGATE_SKIP_BROWSER".to_string(), "1".to_string()),
            ("SAMLGATE_SERVERLESS".to_string(), "1".to_string()),
        ];
        assert!(parse_with_env(&valid_text(), Path::new("s.toml"), &env).is_ok());
    }

    #[test]
    fn unknown_keys_and_bad_types_in_the_file_are_refused() {
        let text = valid_text().replace("[server]", "[server]\nbnd = 1");
        let e = parse_with_env(&text, Path::new("s.toml"), &[]).unwrap_err().to_string();
        assert!(e.contains("bnd"), "{e}");
        let text = valid_text().replace("max_body_bytes = 262144", "max_body_bytes = \"big\"");
        let e = parse_with_env(&text, Path::new("s.toml"), &[]).unwrap_err().to_string();
        assert!(e.contains("max_body_bytes"), "{e}");
        let e = parse_with_env("[server\n", Path::new("s.toml"), &[]).unwrap_err().to_string();
        assert!(e.contains("s.toml"), "{e}");
    }

    #[test]
    fn per_sp_settings_from_the_file_or_the_environment() {
        let text = format!(
            "{}\n[[sps]]\nentity_id = \"https://sp.example/\"\nallow_idp_initiated = true\n\n[[sps]]\nentity_id = \"https://other.example/\"\n",
            valid_text()
        );
        let s = parse_with_env(&text, Path::new("s.toml"), &[]).unwrap();
        assert!(s.config.sp_settings("https://sp.example/").unwrap().allow_idp_initiated);
        assert!(!s.config.sp_settings("https://other.example/").unwrap().allow_idp_initiated);
        assert!(s.config.sp_settings("https://auth.huaweicloud.com/").is_none());
        assert!(!s.config.admin.allow_minting_for_huawei);
        // Written back only when set, and read again the same.
        let again = parse_with_env(&s.config.to_toml(), Path::new("s.toml"), &[]).unwrap();
        assert_eq!(again.config.sps, s.config.sps);
        assert!(!valid_text().contains("[[sps]]"));
        let env = vec![(
            "SAMLGATE_SPS".to_string(),
            r#"[{entity_id = "https://env.example/", allow_idp_initiated = true}]"#.to_string(),
        )];
        let s = parse_with_env(&valid_text(), Path::new("s.toml"), &env).unwrap();
        assert!(s.config.sp_settings("https://env.example/").unwrap().allow_idp_initiated);
        for (bad, key) in [
            ("[[sps]]\nentity_id = \"\"\n", "sps[0].entity_id"),
            ("[[sps]]\nentity_id = \"a b\"\n", "sps[0].entity_id"),
            ("[[sps]]\nentity_id = \"x\"\n[[sps]]\nentity_id = \"x\"\n", "sps[1].entity_id"),
        ] {
            let e = parse_with_env(&format!("{}\n{bad}", valid_text()), Path::new("s.toml"), &[]).unwrap_err();
            assert!(e.to_string().contains(key), "{bad}: {e}");
        }
        let typo = format!("{}\n[[sps]]\nentity_id = \"x\"\nallow_idp_initiate = true\n", valid_text());
        assert!(
            parse_with_env(&typo, Path::new("s.toml"), &[]).unwrap_err().to_string().contains("allow_idp_initiate")
        );
    }

    #[test]
    fn all_key_paths_names_every_key_once() {
        let keys = all_key_paths();
        for k in ["server.bind", "server.tls_key", "huawei.attributes.bp_id", "handoff.secret", "admin.users.name"] {
            assert!(keys.iter().any(|p| p == k), "{k}: {keys:?}");
        }
        assert!(keys.iter().any(|p| p == "sps.allow_idp_initiated"), "{keys:?}");
        let unique: std::collections::BTreeSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
        // The environment overrides name the same scalar keys.
        let env: Vec<String> = key_paths().into_iter().map(|(p, _)| p.join(".")).collect();
        assert!(env.iter().all(|k| k == "sps" || k == "admin.users" || keys.contains(k)), "{env:?}");
    }

    #[test]
    fn url_checks() {
        assert!(check_http_url("k", "https://partner.example/x?y=1", false).is_ok());
        assert!(check_http_url("k", "http://127.0.0.1:8080/x", true).is_ok());
        assert!(check_http_url("k", "http://partner.example/", true).is_err());
        assert!(check_http_url("k", "https://a@b.example/", true).is_err());
        assert!(check_http_url("k", "https://b.example\\@evil/", true).is_err());
        assert!(check_http_url("k", "data:text/html,x", true).is_err());
        // Return URLs (return_urls.*): script and other schemes, scheme-relative and relative URLs,
        // credentials and oversized values are refused.
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "vbscript:x",
            "file:///etc/passwd",
            "ftp://partner.example/",
            "//evil.example/",
            "/relative/path",
            "https://user:pw@partner.example/",
        ] {
            assert!(check_http_url("return_urls.after_logout", bad, true).is_err(), "{bad}");
        }
        let long = format!("https://partner.example/{}", "a".repeat(MAX_URL_LEN));
        assert!(check_http_url("k", &long, true).is_err());
        assert!(check_http_url("k", "https://partner.example/orders#/paid", false).is_ok());
    }
}
