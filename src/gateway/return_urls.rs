//! The partner return URLs ("回跳地址"): the one place that says where `/logout`, `/return/order-paid`
//! and `/return/recharge` (and the bind page's "back to the partner platform" link) send the browser.
//!
//! Precedence: a value saved on `/admin/return-urls` (the store's `settings` table, so every replica
//! sees it) overrides the config file's `return_urls.*`; clearing the field deletes the saved value and
//! the config file's value applies again. Every value is checked with
//! [`crate::util::url::redirect_target`] when saved and again when used.

use crate::config::Config;

use super::{Error, Gateway, Kind, Result};

/// One of the three partner return URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnKind {
    /// Where `/logout` and a plain `/saml/slo` end up.
    AfterLogout,
    /// 订单支付成功跳转地址, behind `/return/order-paid`.
    OrderPaid,
    /// 订单充值跳转地址, behind `/return/recharge`.
    Recharge,
}

impl ReturnKind {
    pub const ALL: [ReturnKind; 3] = [ReturnKind::AfterLogout, ReturnKind::OrderPaid, ReturnKind::Recharge];

    /// The config key, also the key in the store's `settings` table.
    pub fn key(self) -> &'static str {
        match self {
            ReturnKind::AfterLogout => "return_urls.after_logout",
            ReturnKind::OrderPaid => "return_urls.order_paid",
            ReturnKind::Recharge => "return_urls.recharge",
        }
    }

    /// The form field name on the admin page.
    pub fn field(self) -> &'static str {
        match self {
            ReturnKind::AfterLogout => "after_logout",
            ReturnKind::OrderPaid => "order_paid",
            ReturnKind::Recharge => "recharge",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReturnKind::AfterLogout => "After logout",
            ReturnKind::OrderPaid => "Order paid (订单支付成功跳转地址)",
            ReturnKind::Recharge => "Recharge (订单充值跳转地址)",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            ReturnKind::AfterLogout => "The partner page a customer sees after signing out (/logout, /saml/slo)",
            ReturnKind::OrderPaid => "Huawei's \"View order details\" link after a customer pays returns here",
            ReturnKind::Recharge => "The partner's top-up page, offered by Huawei when the balance is low",
        }
    }

    /// The stable gateway URL path that Partner Center is given (none for after-logout).
    pub fn gateway_path(self) -> Option<&'static str> {
        match self {
            ReturnKind::AfterLogout => None,
            ReturnKind::OrderPaid => Some("/return/order-paid"),
            ReturnKind::Recharge => Some("/return/recharge"),
        }
    }

    /// The config file's value.
    pub fn config_value(self, c: &Config) -> Option<&str> {
        let r = &c.return_urls;
        match self {
            ReturnKind::AfterLogout => r.after_logout.as_deref(),
            ReturnKind::OrderPaid => r.order_paid.as_deref(),
            ReturnKind::Recharge => r.recharge.as_deref(),
        }
    }
}

/// Where a return URL comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Admin,
    Config,
    Unset,
}

/// Checks a submitted URL; the error names the problem (without repeating the key).
pub fn check_submitted(value: &str) -> std::result::Result<String, String> {
    crate::util::url::redirect_target(value, true).map(|u| u.to_string())
}

/// The effective URL of `kind` under `settings` with `store`'s saved values, and where it comes from.
pub async fn return_url_of(
    store: &dyn crate::store::Store,
    settings: &crate::config::Settings,
    kind: ReturnKind,
) -> Result<(Option<String>, Source)> {
    let saved = store.get_setting(kind.key()).await?;
    let (raw, source) = match saved.as_deref() {
        Some(s) => (Some(s), Source::Admin),
        None => match kind.config_value(&settings.config) {
            Some(c) => (Some(c), Source::Config),
            None => (None, Source::Unset),
        },
    };
    // Re-checked on every use and serialized by the URL parser (ASCII, ready for `Location`).
    let url = raw
        .map(|u| crate::config::check_http_url(kind.key(), u, true).map(|p| p.to_string()).map_err(Error::internal))
        .transpose()?;
    Ok((url, source))
}

impl Gateway {
    /// The effective URL of `kind` and where it comes from.
    pub async fn return_url_source(&self, kind: ReturnKind) -> Result<(Option<String>, Source)> {
        return_url_of(self.store.as_ref(), &self.settings, kind).await
    }

    /// The URL the browser is sent to for `kind`: the admin-saved value, else the config file's, else none.
    pub async fn return_url(&self, kind: ReturnKind) -> Result<Option<String>> {
        Ok(self.return_url_source(kind).await?.0)
    }

    /// Where `/return/order-paid` or `/return/recharge` redirects; refused `not_configured` (404) when
    /// the partner has set no page.
    pub async fn return_target(&self, kind: ReturnKind, label: &str) -> Result<String> {
        self.return_url(kind).await?.ok_or_else(|| {
            // The customer's page does not name the config key; the log does.
            tracing::warn!(key = kind.key(), "no {label} return URL is configured (set it on /admin/return-urls)");
            Error::refused(Kind::NotFound, "not_configured", format!("the partner has not set up a {label} page yet"))
        })
    }

    /// Saves (or with `None` clears) the admin's value of `kind`; returns the previous saved value.
    pub async fn save_return_url(&self, kind: ReturnKind, value: Option<&str>) -> Result<Option<String>> {
        let old = self.store.get_setting(kind.key()).await?;
        match value {
            Some(u) => self.store.put_setting(kind.key(), u).await?,
            None => {
                self.store.delete_setting(kind.key()).await?;
            }
        }
        Ok(old)
    }
}
