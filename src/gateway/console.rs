//! The customer's "go to console" click: the partner platform's hand-off token opens a gateway
//! session, and the browser goes to Huawei's SSO entry link (or back to our own pending SSO request).
//!
//! **Check** ([`Gateway::check_handoff`]): the token (HS256, short-lived, `jti` not yet spent), the
//! customer's claims by Huawei's rules, and where to go next (`return_to` must be our own `/saml/sso`
//! or `/saml/init`; `sp` an SP that allows IdP-initiated SSO, answered at once; otherwise `service` by
//! the console allowlist, and `isFirstLogin` from the binding table). **Commit**
//! ([`Gateway::open_session`]): spend the `jti`, store the session (replacing the browser's previous
//! one), audit `console.jump`.

use super::assert::CheckedInit;
use super::audit::Caller;
use super::session::{SessionUser, new_session_id};
use super::{AuditKind, Error, Gateway, Kind, Result, audit};
use crate::handoff::{self, Claims, SecretUsed, TokenError};
use crate::huawei;
use crate::store::Session;
use crate::util::now_unix;

/// A hand-off that passed every check; the token is not spent yet.
#[derive(Debug, Clone)]
pub struct CheckedHandoff {
    pub claims: Claims,
    /// Where the browser goes once the session is open.
    pub target: String,
    /// Which hand-off secret the token was made with (audited).
    pub secret: SecretUsed,
    /// `sp=…`: IdP-initiated SSO to that SP (checked), answered at once instead of `target`.
    pub idp_initiated: Option<CheckedInit>,
}

/// The parameters of `/console`, as decoded from the query.
#[derive(Debug, Clone, Copy, Default)]
pub struct HandoffParams<'a> {
    pub token: Option<&'a str>,
    pub service: Option<&'a str>,
    pub region: Option<&'a str>,
    pub return_to: Option<&'a str>,
    /// IdP-initiated SSO: the SP's entityID, and the RelayState for it.
    pub sp: Option<&'a str>,
    pub relay_state: Option<&'a str>,
}

fn token_refusal(e: TokenError) -> Error {
    Error::refused(Kind::Unauthenticated, e.reason(), e.to_string())
}

impl Gateway {
    /// Checks the token, the claims and the target; nothing is spent.
    pub async fn check_handoff(&self, p: HandoffParams<'_>) -> Result<CheckedHandoff> {
        let cfg = &self.settings.config;
        let secrets = &self.handoff_secrets;
        let (claims, secret) = handoff::verify_rotating(
            &secrets.current,
            secrets.previous.as_deref(),
            p.token.unwrap_or(""),
            now_unix(),
            cfg.handoff.token_max_age_secs,
            cfg.idp.clock_skew_secs as i64,
        )
        .map_err(token_refusal)?;
        // Huawei's rules for name, mobile and email, checked now rather than after the trip to Huawei
        // (and before the jti is spent, so the partner can send a corrected token).
        let customer = huawei::Customer {
            sub: &claims.sub,
            name: claims.name.as_deref(),
            mobile: claims.mobile.as_deref(),
            email: claims.email.as_deref(),
        };
        huawei::check_customer(&customer).map_err(|e| Error::invalid("claim", e.to_string()))?;

        // IdP-initiated SSO straight from the token: the SP is checked now, before the jti is spent.
        let idp_initiated = match p.sp {
            Some(_) if p.return_to.is_some() || p.service.is_some() || p.region.is_some() => {
                return Err(Error::invalid("sp", "give `sp` without `service`, `region` or `return_to`"));
            }
            Some(sp) => Some(self.check_idp_initiated(Some(sp), p.relay_state.map(str::to_owned)).await?),
            None if p.relay_state.is_some() => {
                return Err(Error::invalid("relay_state", "RelayState goes only with `sp` (IdP-initiated SSO)"));
            }
            None => None,
        };
        // Where to go next: the SP's ACS (IdP-initiated), our own pending SSO request, or Huawei's
        // entry link for the service.
        let target = match (p.return_to, &idp_initiated) {
            (_, Some(init)) => init.acs.location.clone(),
            (Some(rt), None) => {
                // ASCII only: the pending request's query goes back as the Location header byte for
                // byte (the gateway's own return_to is always percent-encoded).
                if rt.chars().any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii()) {
                    return Err(Error::invalid(
                        "return_to",
                        "return_to must be percent-encoded ASCII without whitespace or control characters",
                    ));
                }
                let ours = [self.settings.sso_url(), self.settings.init_url()];
                if !ours.iter().any(|u| crate::util::url::same_endpoint(rt, u)) {
                    return Err(Error::invalid(
                        "return_to",
                        "return_to must be this gateway's /saml/sso or /saml/init URL",
                    ));
                }
                rt.to_owned()
            }
            (None, None) => {
                let service =
                    huawei::resolve_service(cfg.huawei.site, p.service, p.region, &cfg.huawei.extra_console_hosts)
                        .map_err(|e| Error::invalid("service", e.to_string()))?;
                let bound = self.store.get_binding(&claims.sub).await?;
                huawei::sso_login_url(
                    &huawei::auth_base(cfg.huawei.site, cfg.huawei.auth_base_url.as_deref()),
                    &cfg.huawei.x_account_type,
                    bound.is_none(),
                    &service,
                )
            }
        };
        if secret == SecretUsed::Previous {
            tracing::warn!(user = %claims.sub, "hand-off token made with handoff.previous_secret (rotation in progress)");
        }
        Ok(CheckedHandoff { claims, target, secret, idp_initiated })
    }

    /// Spends the token's `jti` (only once everything else checked out), opens the session (ending
    /// `previous_session`, the browser's earlier one) and audits the jump. Returns the new session id.
    pub async fn open_session(
        &self,
        c: &CheckedHandoff,
        previous_session: Option<&str>,
        caller: &Caller,
    ) -> Result<String> {
        let cfg = &self.settings.config;
        let claims = &c.claims;
        let first = self.store.use_once("jti", &claims.jti, claims.exp + cfg.idp.clock_skew_secs as i64).await?;
        if !first {
            return Err(token_refusal(TokenError::Replayed));
        }
        let now = now_unix();
        let user = SessionUser {
            sub: claims.sub.clone(),
            name: claims.name.clone(),
            mobile: claims.mobile.clone(),
            email: claims.email.clone(),
            issued: Vec::new(),
            answered: Vec::new(),
        };
        let id = new_session_id();
        let session = Session {
            id: id.clone(),
            user_id: claims.sub.clone(),
            attributes_json: serde_json::to_string(&user).map_err(Error::internal)?,
            created_at: now,
            expires_at: now + cfg.handoff.session_lifetime_secs as i64,
        };
        self.store.put_session(&session).await?;
        // A previous session in this browser is replaced.
        if let Some(old) = previous_session {
            let _ = self.store.delete_session(old).await;
        }
        self.audit(audit::event(
            AuditKind::ConsoleJump,
            &claims.sub,
            &claims.sub,
            serde_json::json!({"target": c.target, "secret": c.secret.as_str()}),
            caller,
        ))
        .await?;
        tracing::info!(user = %claims.sub, "session opened; redirecting");
        Ok(id)
    }
}
