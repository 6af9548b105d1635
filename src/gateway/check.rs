//! `samlgate check`: is this install ready for production with the real Huawei Cloud? Reads the
//! config, the keys, the store and the SP metadata and says, item by item, what is right and what to
//! do — then the values to enter in Partner Center (as the admin overview shows them). It writes
//! nothing: a missing SQLite file is reported, not created (the store's own migrations run when it
//! exists, as every command that opens it does).

use std::path::Path;

use serde::Serialize;

use super::return_urls::{ReturnKind, Source, return_url_of};
use super::setup;
use crate::config::{self, Settings};
use crate::saml::metadata::{MetadataSignature, SpMetadata};
use crate::store::Store;
use crate::util::url::host_of;

/// A certificate with fewer days left than this is not ready (time for a rollover).
pub const CERT_MIN_DAYS: i64 = 30;
/// Distinct characters a hand-off secret must have to pass as random (one of 32+ characters).
const SECRET_MIN_DISTINCT: usize = 12;

/// One readiness item.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Stable id (`base_url`, `key_file_mode`, `huawei_sp_metadata`, …).
    pub id: &'static str,
    pub ok: bool,
    /// What was found.
    pub title: String,
    /// What to do (empty when ok).
    pub fix: String,
}

/// A value to enter in Partner Center → Support → Open APIs → Access Configuration.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerCenterValue {
    /// The field's name as Partner Center spells it.
    pub field_cn: &'static str,
    pub field_en: &'static str,
    pub value: String,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub config: String,
    pub ready: bool,
    pub items: Vec<Item>,
    pub partner_center: Vec<PartnerCenterValue>,
}

#[derive(Default)]
struct Items(Vec<Item>);

impl Items {
    fn ok(&mut self, id: &'static str, title: impl Into<String>) {
        self.0.push(Item { id, ok: true, title: title.into(), fix: String::new() });
    }
    fn bad(&mut self, id: &'static str, title: impl Into<String>, fix: impl Into<String>) {
        self.0.push(Item { id, ok: false, title: title.into(), fix: fix.into() });
    }
    fn push(&mut self, id: &'static str, ok: bool, title: impl Into<String>, fix: impl Into<String>) {
        if ok { self.ok(id, title) } else { self.bad(id, title, fix) }
    }
}

/// Values that are not real: the placeholders `init` writes and the usual stand-ins.
fn is_placeholder(v: &str) -> bool {
    let l = v.trim().to_ascii_lowercase();
    l.is_empty()
        || v.trim() == config::PLACEHOLDER_X_ACCOUNT_TYPE
        || ["change_me", "changeme", "placeholder", "your_", "your-", "example", "xxx", "todo"]
            .iter()
            .any(|p| l.contains(p))
}

/// Whether `host` is Huawei Cloud's (huaweicloud.com and its sites).
fn is_huawei_host(host: &str) -> bool {
    ["huaweicloud.com", "huaweicloud.eu", "myhuaweicloud.com"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

fn check_config(s: &Settings, items: &mut Items) {
    let c = &s.config;
    let base = &c.server.base_url;
    items.push(
        "base_url",
        base.starts_with("https://"),
        format!("server.base_url {base}"),
        "serve the gateway over https (server.tls_cert/tls_key or a TLS proxy) and set server.base_url to its https URL",
    );
    let eid = &c.idp.entity_id;
    items.push(
        "entity_id",
        eid.starts_with("https://"),
        format!("idp.entity_id {eid}"),
        "Huawei requires an https entityID: set idp.entity_id (usually <base_url>/saml/metadata) before uploading the metadata",
    );
    let xat = &c.huawei.x_account_type;
    if is_placeholder(xat) {
        items.bad(
            "x_account_type",
            format!("huawei.x_account_type is the placeholder `{xat}`"),
            "set huawei.x_account_type to the value Partner Center shows on Support → Open APIs → Access Configuration",
        );
    } else {
        items.ok("x_account_type", format!("huawei.x_account_type {xat}"));
    }
    match c.huawei.bp_id.as_deref().map(str::trim) {
        Some(bp) if !is_placeholder(bp) => items.ok("bp_id", format!("huawei.bp_id {bp}")),
        Some(bp) => items.bad(
            "bp_id",
            format!("huawei.bp_id is a placeholder `{bp}`"),
            "set huawei.bp_id to your partner (BP) ID from Partner Center: Huawei's sample assertion carries it",
        ),
        None => items.bad(
            "bp_id",
            "huawei.bp_id is not set",
            "set huawei.bp_id to your partner (BP) ID from Partner Center: Huawei's sample assertion carries it",
        ),
    }
    match c.huawei.auth_base_url.as_deref() {
        Some(u) if !is_huawei_host(&host_of(u)) => items.bad(
            "huawei_endpoints",
            format!("huawei.auth_base_url points at a stand-in: {u}"),
            "remove huawei.auth_base_url (the mock SP's) so customers go to Huawei Cloud itself",
        ),
        _ => items.ok("huawei_endpoints", "customers are sent to Huawei Cloud's own sign-in"),
    }
    let huawei = crate::huawei::sp_entity_id(&c.huawei);
    items.push(
        "huawei_minting",
        !c.admin.allow_minting_for_huawei,
        if c.admin.allow_minting_for_huawei {
            "admin.allow_minting_for_huawei is on: an API token can sign a customer in to Huawei Cloud without the partner platform"
        } else {
            "assertions for Huawei's SP are minted only by the SSO hop (admin.allow_minting_for_huawei is off)"
        },
        "set admin.allow_minting_for_huawei = false (mint for a test SP instead)",
    );
    let idp_initiated = c.sp_settings(&huawei).is_some_and(|sp| sp.allow_idp_initiated);
    items.push(
        "huawei_idp_initiated",
        !idp_initiated,
        if idp_initiated {
            "Huawei's SP allows IdP-initiated SSO ([[sps]] allow_idp_initiated): Huawei's flow starts at its own AuthnRequest"
        } else {
            "Huawei's SP answers only its own AuthnRequests (no IdP-initiated SSO)"
        },
        "remove allow_idp_initiated for Huawei's SP in [[sps]]",
    );
    match c.handoff.partner_login_url.as_deref() {
        Some(u) if u_is_real(u) => items.ok("partner_login_url", format!("handoff.partner_login_url {u}")),
        Some(u) => items.bad(
            "partner_login_url",
            format!("handoff.partner_login_url is not the partner platform's https sign-in: {u}"),
            "set handoff.partner_login_url to your platform's https sign-in page (it mints the hand-off token)",
        ),
        None => items.bad(
            "partner_login_url",
            "handoff.partner_login_url is not set",
            "set handoff.partner_login_url: where a customer without a gateway session signs in on your platform",
        ),
    }
}

/// An https URL off this machine (the mock SP's partner page is on a loopback host).
fn u_is_real(u: &str) -> bool {
    let host = host_of(u);
    u.starts_with("https://") && host != "127.0.0.1" && host != "localhost" && host != "::1"
}

fn check_keys(s: &Settings, items: &mut Items) {
    let key = setup::key_paths(s).key;
    match crate::util::fs::loose_mode(&key) {
        Ok(None) => items.ok("key_file_mode", format!("{} is mode 0600", key.display())),
        Ok(Some(mode)) => items.bad(
            "key_file_mode",
            format!("{} is readable by group or others (mode {mode:o})", key.display()),
            format!("chmod 600 {}", key.display()),
        ),
        Err(e) => items.bad("key_file_mode", format!("{} cannot be read: {e}", key.display()), "run `samlgate init`"),
    }
    let keys = match setup::load_key_set(s) {
        Ok(k) => k,
        Err(e) => {
            items.bad(
                "key",
                format!("the IdP key cannot be loaded: {e}"),
                "fix the key files or run `samlgate keys generate`",
            );
            return;
        }
    };
    let pkey = &keys.current.pkey;
    let strong = match pkey.id() {
        openssl::pkey::Id::RSA => pkey.bits() >= 2048,
        openssl::pkey::Id::EC => pkey.bits() >= 256,
        _ => false,
    };
    let info = crate::keys::cert_info(&keys.current.cert);
    items.push(
        "key_strength",
        strong,
        format!("the IdP key is {}", info.key_description),
        "use RSA 2048 or stronger (`samlgate keys rollover prepare --algorithm rsa3072`)",
    );
    items.push(
        "certificate_expiry",
        info.days_left >= CERT_MIN_DAYS,
        format!("the IdP certificate is valid until {} ({} days left)", info.not_after, info.days_left),
        format!(
            "fewer than {CERT_MIN_DAYS} days: run `samlgate keys rollover prepare`, upload the new IDP Metadata.xml, then activate"
        ),
    );
}

fn check_secret(s: &Settings, items: &mut Items) {
    match setup::handoff_secrets(s) {
        Ok(secrets) => {
            let distinct = secrets.current.chars().collect::<std::collections::HashSet<_>>().len();
            let where_ = match &s.config.handoff.secret_file {
                Some(f) => format!("in {} (mode 0600)", s.resolve(f).display()),
                None if s.secrets_in_file.contains(&"handoff.secret") => {
                    format!("in {} (mode 0600)", s.path.display())
                }
                None => "from SAMLGATE_HANDOFF_SECRET".to_owned(),
            };
            items.push(
                "handoff_secret",
                distinct >= SECRET_MIN_DISTINCT,
                format!("the hand-off secret has {} characters, {where_}", secrets.current.chars().count()),
                "the secret does not look random: put `openssl rand -hex 32` in handoff.secret_file (mode 0600)",
            );
        }
        Err(e) => items.bad("handoff_secret", e.to_string(), "keep the secret in a file of mode 0600"),
    }
}

async fn check_store(s: &Settings, items: &mut Items) -> Option<std::sync::Arc<dyn Store>> {
    let url = s.config.store.url.trim();
    if let Some(rest) = url.strip_prefix("sqlite://").filter(|r| !r.starts_with(":memory:")) {
        let p = Path::new(rest);
        let path = if p.is_absolute() { p.to_path_buf() } else { s.dir.join(p) };
        if !path.exists() {
            items.bad(
                "store",
                format!("the store {} does not exist", path.display()),
                "run `samlgate init` (or `serve`) to create it",
            );
            return None;
        }
    }
    match crate::store::open(url, &s.dir).await {
        Ok(store) => match store.health().await {
            Ok(()) => {
                items.ok(
                    "store",
                    format!("the store {} answers, its migrations applied", crate::store::redact_url(url)),
                );
                Some(store)
            }
            Err(e) => {
                items.bad("store", format!("the store does not answer: {e}"), "check store.url and the database");
                None
            }
        },
        Err(e) => {
            items.bad("store", format!("the store cannot be opened: {e}"), "check store.url and the database");
            None
        }
    }
}

async fn check_huawei_sp(s: &Settings, store: &dyn Store, items: &mut Items) {
    let entity = crate::huawei::sp_entity_id(&s.config.huawei);
    let rec = match store.get_sp(&entity).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            items.bad(
                "huawei_sp_metadata",
                format!("no SP metadata for Huawei's SP {entity}"),
                "download SP Metadata.xml from Partner Center and run `samlgate sp import FILE`",
            );
            return;
        }
        Err(e) => {
            items.bad("huawei_sp_metadata", format!("the store: {e}"), "check the store");
            return;
        }
    };
    let md: SpMetadata = match serde_json::from_str(&rec.parsed_json) {
        Ok(m) => m,
        Err(e) => {
            items.bad("huawei_sp_metadata", format!("the stored metadata cannot be read: {e}"), "import it again");
            return;
        }
    };
    let stand_in = md.acs.iter().any(|a| !is_huawei_host(&host_of(&a.location)));
    match (&md.signature, stand_in) {
        (MetadataSignature::Verified { signer, signer_sha256, .. }, false) => items.ok(
            "huawei_sp_metadata",
            format!("Huawei's SP metadata ({}) is signed by {signer} ({signer_sha256}), a pinned certificate", rec.source),
        ),
        (_, true) => items.bad(
            "huawei_sp_metadata",
            format!(
                "the metadata stored for {entity} is a stand-in: its ACS is {}",
                md.acs.first().map(|a| a.location.as_str()).unwrap_or("-")
            ),
            "import Huawei's real SP Metadata.xml from Partner Center: `samlgate sp import FILE`",
        ),
        (MetadataSignature::Unsigned, false) => items.bad(
            "huawei_sp_metadata",
            format!("the metadata stored for {entity} ({}) is not signed", rec.source),
            "import Huawei's signed SP Metadata.xml from Partner Center (its signature is checked with the pinned certificate)",
        ),
    }
    for der in &md.signing_certs {
        if let Ok(c) = openssl::x509::X509::from_der(der) {
            let i = crate::keys::cert_info(&c);
            items.push(
                "huawei_sp_certificate",
                i.days_left >= 0,
                format!(
                    "Huawei's SP certificate {} is valid until {} ({} days left)",
                    i.subject, i.not_after, i.days_left
                ),
                "download Huawei's current SP Metadata.xml from Partner Center and import it",
            );
        }
    }
}

async fn check_return_urls(s: &Settings, store: &dyn Store, items: &mut Items) {
    for kind in ReturnKind::ALL {
        let id = match kind {
            ReturnKind::AfterLogout => "return_url_after_logout",
            ReturnKind::OrderPaid => "return_url_order_paid",
            ReturnKind::Recharge => "return_url_recharge",
        };
        match return_url_of(store, s, kind).await {
            Ok((Some(u), source)) => {
                let from = if source == Source::Admin { "saved on /admin/return-urls" } else { "config file" };
                items.push(
                    id,
                    u.starts_with("https://"),
                    format!("{} {u} ({from})", kind.key()),
                    format!("set {} to an https page of your platform", kind.key()),
                );
            }
            Ok((None, _)) => items.bad(
                id,
                format!("{} is not set", kind.key()),
                format!("set it on /admin/return-urls or as {} — {}", kind.key(), kind.help()),
            ),
            Err(e) => items.bad(id, format!("{}: {e}", kind.key()), "fix the saved value on /admin/return-urls"),
        }
    }
}

async fn check_admin(s: &Settings, store: &dyn Store, items: &mut Items) {
    match super::admin::list_users(store, &s.config.admin.users).await {
        Ok(u) if !u.is_empty() => items.ok(
            "admin_user",
            format!("admin users: {}", u.iter().map(|u| u.user.name.as_str()).collect::<Vec<_>>().join(", ")),
        ),
        Ok(_) => items.bad("admin_user", "no admin user", "run `samlgate admin add-user NAME`"),
        Err(e) => items.bad("admin_user", format!("the store: {e}"), "check the store"),
    }
}

/// The values to enter in Partner Center's Access Configuration.
pub fn partner_center_values(s: &Settings) -> Vec<PartnerCenterValue> {
    let base = s.config.server.base_url.trim_end_matches('/');
    let mut v = vec![
        PartnerCenterValue {
            field_cn: "IDP Metadata文件",
            field_en: "IDP Metadata file",
            value: s.resolve(&s.config.idp.metadata_file).display().to_string(),
        },
        PartnerCenterValue {
            field_cn: "通知结果绑定地址",
            field_en: "Notification URL",
            value: format!("{base}/huawei/bind"),
        },
    ];
    for (kind, cn, en) in [
        (ReturnKind::OrderPaid, "订单支付成功跳转地址", "Order payment success redirect URL"),
        (ReturnKind::Recharge, "订单充值跳转地址", "Order recharge redirect URL"),
    ] {
        v.push(PartnerCenterValue {
            field_cn: cn,
            field_en: en,
            value: format!("{base}{}", kind.gateway_path().unwrap_or_default()),
        });
    }
    v
}

/// Runs every check on `settings`.
pub async fn check(settings: &Settings) -> Report {
    let mut items = Items::default();
    check_config(settings, &mut items);
    check_keys(settings, &mut items);
    check_secret(settings, &mut items);
    if let Some(store) = check_store(settings, &mut items).await {
        check_huawei_sp(settings, store.as_ref(), &mut items).await;
        check_return_urls(settings, store.as_ref(), &mut items).await;
        check_admin(settings, store.as_ref(), &mut items).await;
    }
    let ready = items.0.iter().all(|i| i.ok);
    Report {
        config: settings.path.display().to_string(),
        ready,
        items: items.0,
        partner_center: partner_center_values(settings),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_huawei_hosts() {
        for p in [config::PLACEHOLDER_X_ACCOUNT_TYPE, "", "  ", "your_bp_id", "CHANGEME", "example-bp", "TODO"] {
            assert!(is_placeholder(p), "{p}");
        }
        for real in ["acme_IDP", "0a1b2c3d4e5f", "bp-123456"] {
            assert!(!is_placeholder(real), "{real}");
        }
        assert!(is_huawei_host("auth.huaweicloud.com") && is_huawei_host("huaweicloud.com"));
        assert!(!is_huawei_host("127.0.0.1") && !is_huawei_host("evilhuaweicloud.com"));
    }
}
