//! Logout.
//!
//! A Redirect-bound LogoutRequest from an SP is **checked** exactly like an AuthnRequest (signature
//! over the raw query octets with the SP's metadata certificates, required when the SP signs its
//! requests; Issuer; Destination = our SLO URL; IssueInstant window) by
//! [`Gateway::check_logout_request`]. The **commit** ([`Gateway::answer_logout_request`]) spends its
//! ID (once, durable, shared by replicas), ends the session it names and returns a signed Redirect-bound
//! LogoutResponse for the SP's SingleLogoutService ResponseLocation (or Location), RelayState unchanged.
//!
//! Finding the session: the browser that carries the LogoutRequest carries our session cookie (a
//! top-level GET, so the `SameSite=Lax` cookie is sent). That session is ended only when its record
//! of issued assertions (`SessionUser.issued`) holds the NameID (and one of the SessionIndexes, when
//! the request names any); otherwise the SP gets a `Requester` status and nothing is ended. The store
//! has no index from NameID to session, so a LogoutRequest arriving without the cookie cannot end the
//! session (answered `Requester` too).
//!
//! A browser that just wants to sign out ([`Gateway::local_logout`]) has its session ended and goes to
//! the effective after-logout return URL. Redirects only ever go to SP metadata endpoints or configured
//! return URLs, never to a URL taken from the request.

use super::audit::Caller;
use std::sync::Arc;

use super::session::SessionUser;
use super::sp::SpEntry;
use super::sso::{MAX_MESSAGE_BYTES, MAX_RELAY_STATE, require_certificate};
use super::{AuditKind, Error, Gateway, Result, ReturnKind, audit};
use crate::saml::dsig::DsigError;
use crate::saml::metadata::BINDING_REDIRECT;
use crate::saml::redirect::{self, MessageParam};
use crate::saml::request::{self, LogoutRequest};
use crate::saml::response::{self, STATUS_REQUESTER, STATUS_SUCCESS};
use crate::store::Session;
use crate::util::now_unix;

/// A LogoutRequest that passed every check; its ID is not spent yet.
#[derive(Debug)]
pub struct CheckedLogoutRequest {
    pub request: LogoutRequest,
    pub sp: Arc<SpEntry>,
    pub relay_state: Option<String>,
    /// Where the LogoutResponse goes (the SP's ResponseLocation, or Location).
    pub destination: String,
}

/// The answer to a LogoutRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutAnswer {
    /// The SP's endpoint with the signed LogoutResponse query.
    pub redirect: String,
    /// Whether this browser's session was ended (then its cookie must be cleared).
    pub session_ended: bool,
}

impl Gateway {
    /// Checks a Redirect-bound LogoutRequest. `Ok(None)` when the query carries no SAML message at
    /// all: a plain "sign me out".
    pub async fn check_logout_request(&self, raw_query: &str) -> Result<Option<CheckedLogoutRequest>> {
        let q = match redirect::parse_redirect_query(raw_query) {
            Ok(q) => q,
            Err(DsigError::MissingParameter("SAMLRequest")) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if q.param != MessageParam::SamlRequest {
            return Err(Error::invalid(
                "unsolicited_response",
                "samlgate does not send LogoutRequests, so it expects no LogoutResponse",
            ));
        }
        let xml = q.decode_message(MAX_MESSAGE_BYTES)?;
        let lr = request::parse_logout_request(&xml)?;
        let sp = self.sp(&lr.issuer).await?;
        let cfg = &self.settings.config;
        // Verify whenever a signature is present; require one when the SP signs its requests (fail closed).
        if q.is_signed() || sp.metadata.authn_requests_signed {
            require_certificate(&sp)?;
            q.verify(&sp.certs, cfg.huawei.allow_sha1)?;
        }
        let relay_state = q.relay_state()?;
        if relay_state.as_ref().is_some_and(|r| r.len() > MAX_RELAY_STATE) {
            return Err(Error::invalid("relay_state", "RelayState is too long"));
        }
        let skew = cfg.idp.clock_skew_secs as i64;
        let max_age = cfg.idp.request_max_age_secs as i64;
        request::check_logout_request(&lr, &sp.metadata, &self.settings.slo_url(), now_unix(), skew, max_age)?;
        // Where the answer goes: only the SP's metadata.
        let endpoint = sp.metadata.slo.iter().find(|e| e.binding == BINDING_REDIRECT).ok_or_else(|| {
            Error::invalid(
                "no_slo_endpoint",
                format!("SP {} has no HTTP-Redirect SingleLogoutService in its metadata", sp.metadata.entity_id),
            )
        })?;
        let destination = endpoint.response_location.clone().unwrap_or_else(|| endpoint.location.clone());
        Ok(Some(CheckedLogoutRequest { request: lr, sp, relay_state, destination }))
    }

    /// Spends the request's ID, ends `session` when it issued that NameID (and SessionIndex), and
    /// returns the signed LogoutResponse redirect (Success, or Requester when no session here holds it).
    pub async fn answer_logout_request(
        &self,
        c: CheckedLogoutRequest,
        session: Option<(Session, SessionUser)>,
        caller: &Caller,
    ) -> Result<LogoutAnswer> {
        let cfg = &self.settings.config;
        let lr = &c.request;
        let now = now_unix();
        let expires = lr.issue_instant.unix + cfg.idp.request_max_age_secs as i64 + 2 * cfg.idp.clock_skew_secs as i64;
        let key = super::sso::replay_key(&c.sp.metadata.entity_id, &lr.id);
        if !self.store.use_once("logout", &key, expires.max(now + 60)).await? {
            return Err(Error::invalid("replay", format!("LogoutRequest {} was already answered", lr.id)));
        }
        let (status, user) = match session {
            Some((session, user)) if names_session(&user, lr) => {
                self.store.delete_session(&session.id).await?;
                (STATUS_SUCCESS, Some(user.sub))
            }
            _ => (STATUS_REQUESTER, None),
        };
        let (xml, response_id) =
            response::build_logout_response(&cfg.idp.entity_id, &c.destination, &lr.id, status, now)
                .map_err(Error::internal)?;
        let query = redirect::encode_redirect_query(
            MessageParam::SamlResponse,
            &xml,
            c.relay_state.as_deref(),
            Some(&self.idp().signing_key),
        )
        .map_err(Error::internal)?;
        self.audit(audit::event(
            AuditKind::SloLogout,
            user.as_deref().unwrap_or_default(),
            &c.sp.metadata.entity_id,
            serde_json::json!({
                "request_id": lr.id,
                "response_id": response_id,
                "name_id": lr.name_id,
                "session_indexes": lr.session_indexes,
                "status": status,
                "session_ended": user.is_some(),
            }),
            caller,
        ))
        .await?;
        if user.is_some() {
            tracing::info!(sp = %c.sp.metadata.entity_id, request_id = %lr.id, "single logout: session ended");
        } else {
            tracing::warn!(sp = %c.sp.metadata.entity_id, request_id = %lr.id, "single logout: no session holds this NameID");
        }
        let sep = if c.destination.contains('?') { '&' } else { '?' };
        Ok(LogoutAnswer { redirect: format!("{}{sep}{query}", c.destination), session_ended: user.is_some() })
    }

    /// Ends this browser's session (audited) and returns the after-logout return URL, if one is set.
    pub async fn local_logout(
        &self,
        session: Option<(Session, SessionUser)>,
        caller: &Caller,
    ) -> Result<Option<String>> {
        if let Some((session, user)) = session {
            self.store.delete_session(&session.id).await?;
            self.audit(audit::event(
                AuditKind::Logout,
                &user.sub,
                &user.sub,
                serde_json::json!({"issued": user.issued.len()}),
                caller,
            ))
            .await?;
            tracing::info!(user = %user.sub, "signed out");
        }
        self.return_url(ReturnKind::AfterLogout).await
    }
}

/// Does this session's record of issued assertions name the principal of the LogoutRequest?
fn names_session(user: &SessionUser, lr: &LogoutRequest) -> bool {
    user.issued.iter().any(|(name_id, session_index)| {
        *name_id == lr.name_id && (lr.session_indexes.is_empty() || lr.session_indexes.contains(session_index))
    })
}
