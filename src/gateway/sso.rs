//! The SSO hop: an AuthnRequest in (HTTP-Redirect, what Huawei sends, or HTTP-POST with an enveloped
//! signature), a signed SAMLResponse out for the SP's ACS.
//!
//! **Check** ([`Gateway::check_redirect_authn_request`], [`Gateway::check_post_authn_request`]):
//! decode (size caps) → strict parse → SP lookup by Issuer → signature with the SP's metadata
//! certificates only → Destination/ACS/time checks. Nothing is spent: a request without a session is
//! fully checked before the browser is sent to log in ([`Gateway::login_redirect`]), and its ID is
//! spent only when it is answered.
//!
//! **Commit** ([`Gateway::prepare_response`] then [`Gateway::commit_response`]): Huawei's attribute
//! rules → build and sign the Response ([`Gateway::sign_assertion`], shared with `samlgate assert` and
//! IdP-initiated SSO; `saml::response`, `saml::dsig`) → spend the request ID, update
//! the session and append the audit event in one store commit (`record_hop`). A replayed ID is refused
//! at that commit, before anything leaves.

use super::audit::Caller;
use std::sync::Arc;

use base64::Engine as _;

use super::session::SessionUser;
use super::sp::SpEntry;
use super::{AuditKind, Error, Gateway, Kind, Result, audit};
use crate::saml::metadata::{BINDING_POST, Endpoint};
use crate::saml::redirect::{self, MessageParam};
use crate::saml::request::{self, AuthnRequest};
use crate::saml::response;
use crate::saml::verify::{self, VerifyPolicy};
use crate::saml::xml::{self, ReadLimits};
use crate::store::{HopRecord, Session};
use crate::util::now_unix;

/// Largest inflated or decoded SAML message accepted.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;
/// Longest RelayState accepted (SAML asks senders for ≤ 80 bytes; SPs in the wild send more).
pub const MAX_RELAY_STATE: usize = 4096;

/// An AuthnRequest that passed every protocol check.
#[derive(Debug)]
pub struct CheckedAuthnRequest {
    pub req: AuthnRequest,
    pub sp: Arc<SpEntry>,
    /// The ACS the Response goes to (from the SP's metadata).
    pub acs: Endpoint,
    pub relay_state: Option<String>,
}

/// A signed Response ready to go, not yet recorded.
#[derive(Debug)]
pub struct PreparedResponse {
    checked: CheckedAuthnRequest,
    hop: HopRecord,
    xml: String,
    user: String,
}

/// What the browser posts to the SP: the auto-submitting form's target and fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostForm {
    pub action: String,
    pub field: &'static str,
    /// Base64 of the message.
    pub message: String,
    pub relay_state: Option<String>,
}

impl PostForm {
    /// The form that posts `xml` as `SAMLResponse` (with the request's RelayState) to its ACS.
    fn saml_response(c: CheckedAuthnRequest, xml: &str) -> PostForm {
        PostForm::response(c.acs.location, xml, c.relay_state)
    }

    /// The form that posts the Response `xml` as `SAMLResponse`, with `relay_state`, to `acs`.
    pub fn response(acs: String, xml: &str, relay_state: Option<String>) -> PostForm {
        PostForm {
            action: acs,
            field: "SAMLResponse",
            message: base64::engine::general_purpose::STANDARD.encode(xml.as_bytes()),
            relay_state,
        }
    }
}

impl Gateway {
    /// Checks a Redirect-bound AuthnRequest from the query string as received.
    pub async fn check_redirect_authn_request(&self, raw_query: &str) -> Result<CheckedAuthnRequest> {
        if raw_query.is_empty() {
            return Err(Error::invalid(
                "missing_request",
                "this is the SAML single sign-on endpoint: it expects a SAMLRequest from Huawei Cloud",
            ));
        }
        let (req, sp, relay_state) = self.verified_redirect_request(raw_query).await?;
        self.check_authn_request(req, sp, relay_state)
    }

    /// The Redirect-bound AuthnRequest, its SP and RelayState, with its signature verified (the
    /// request's own rules — times, ACS, NameID policy — are not checked yet).
    pub(crate) async fn verified_redirect_request(
        &self,
        raw_query: &str,
    ) -> Result<(AuthnRequest, Arc<SpEntry>, Option<String>)> {
        let q = redirect::parse_redirect_query(raw_query)?;
        if q.param != MessageParam::SamlRequest {
            return Err(Error::invalid("wrong_message", "expected SAMLRequest, got SAMLResponse"));
        }
        let xml_bytes = q.decode_message(MAX_MESSAGE_BYTES)?;
        let req = request::parse_authn_request(&xml_bytes)?;
        let sp = self.sp(&req.issuer).await?;
        // Verify whenever a signature is present; require one when the SP says it signs (fail closed).
        if q.is_signed() || sp.metadata.authn_requests_signed {
            require_certificate(&sp)?;
            q.verify(&sp.certs, self.settings.config.huawei.allow_sha1)?;
        }
        let relay_state = q.relay_state()?;
        Ok((req, sp, relay_state))
    }

    /// For a Redirect-bound request refused for its time (`expired`, `not_yet_valid`): whether this
    /// session already answered it (Back after a while on the auto-post page), and then where
    /// "continue to the console" leads. The signature is verified first; nothing is signed or spent.
    pub async fn stale_request_answered(&self, raw_query: &str, user: &SessionUser) -> Option<String> {
        let (req, sp, _) = self.verified_redirect_request(raw_query).await.ok()?;
        let key = replay_key(&sp.metadata.entity_id, &req.id);
        user.answered.contains(&key).then(|| self.continue_url_of(&sp))
    }

    /// Checks a POST-bound AuthnRequest: the form body with `SAMLRequest` (base64, not deflated) and
    /// `RelayState`, already split into fields.
    pub async fn check_post_authn_request(
        &self,
        saml_request: Option<&str>,
        relay_state: Option<String>,
    ) -> Result<CheckedAuthnRequest> {
        let b64 = saml_request.ok_or_else(|| Error::invalid("missing_request", "the form has no SAMLRequest"))?;
        let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if compact.len() > MAX_MESSAGE_BYTES * 4 / 3 + 4 {
            return Err(Error::invalid("too_large", "SAMLRequest is too large"));
        }
        let xml_bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| Error::invalid("bad_base64", "SAMLRequest is not valid base64"))?;
        let limits = ReadLimits { max_bytes: MAX_MESSAGE_BYTES, ..ReadLimits::default() };
        let doc = xml::parse(&xml_bytes, &limits)?;
        // Issuer first (to find the keys), read from the same parsed tree that is then verified.
        let issuer = doc
            .root
            .only_child(xml::ns::SAML, "Issuer")
            .ok()
            .flatten()
            .map(|e| e.text())
            .ok_or_else(|| Error::invalid("issuer", "the AuthnRequest has no Issuer"))?;
        let sp = self.sp(issuer.trim()).await?;
        let has_sig = doc.root.only_child(xml::ns::DS, "Signature").ok().flatten().is_some();
        if has_sig || sp.metadata.authn_requests_signed {
            let policy = VerifyPolicy { allow_sha1: self.settings.config.huawei.allow_sha1, ..VerifyPolicy::default() };
            verify::verify_enveloped(&doc.root, &doc.root, &sp.certs, &policy)?;
        }
        // Read the request from the very element whose signature was verified.
        let req = request::authn_request_from_element(&doc.root, has_sig || sp.metadata.authn_requests_signed)?;
        self.check_authn_request(req, sp, relay_state)
    }

    /// The checks after decoding: RelayState size, Issuer/Destination/ACS/IssueInstant, and that the
    /// answer can go back over HTTP-POST.
    pub(crate) fn check_authn_request(
        &self,
        req: AuthnRequest,
        sp: Arc<SpEntry>,
        relay_state: Option<String>,
    ) -> Result<CheckedAuthnRequest> {
        let cfg = &self.settings.config;
        if relay_state.as_ref().is_some_and(|r| r.len() > MAX_RELAY_STATE) {
            return Err(Error::invalid("relay_state", "RelayState is too long"));
        }
        let acs = request::check_authn_request(
            &req,
            &sp.metadata,
            &self.settings.sso_url(),
            now_unix(),
            cfg.idp.clock_skew_secs as i64,
            cfg.idp.request_max_age_secs as i64,
        )?;
        if acs.binding != BINDING_POST {
            return Err(Error::invalid("binding", "only the HTTP-POST binding is supported for responses"));
        }
        Ok(CheckedAuthnRequest { req, sp, acs, relay_state })
    }

    /// Where a browser without a gateway session goes: the partner's login page with a way back to
    /// `pending_url` (this very request), or — without a login URL, or for a POST-bound request that
    /// cannot come back that way — a refusal telling the customer where to start.
    pub fn login_redirect(&self, checked: &CheckedAuthnRequest, pending_url: Option<&str>) -> Result<String> {
        tracing::info!(sp = %checked.sp.metadata.entity_id, request_id = %checked.req.id, "no gateway session: sending to login");
        self.login_redirect_to(pending_url)
    }

    /// The partner's login page with `return_to` = `pending_url` (a URL of this gateway's SSO
    /// endpoints), or the `no_session` refusal when there is no login page or no way back.
    pub fn login_redirect_to(&self, pending_url: Option<&str>) -> Result<String> {
        match (&self.settings.config.handoff.partner_login_url, pending_url) {
            (Some(login), Some(pending)) => {
                let mut u = url::Url::parse(login).map_err(Error::internal)?;
                u.query_pairs_mut().append_pair("return_to", pending);
                Ok(u.to_string())
            }
            _ => Err(Error::refused(
                Kind::Unauthenticated,
                "no_session",
                "you are not signed in at the partner platform: open Huawei Cloud from the partner's \"go to console\" link",
            )),
        }
    }

    /// Builds and signs the Response for this customer ([`Gateway::sign_assertion`]: Huawei's
    /// attribute rules first). Nothing is written: [`Gateway::commit_response`] records it.
    pub fn prepare_response(
        &self,
        c: CheckedAuthnRequest,
        session: Session,
        mut user: SessionUser,
        caller: &Caller,
    ) -> Result<PreparedResponse> {
        let now = now_unix();
        // The request ID is spent by `record_hop`, in the same commit as the session and the audit
        // event, before the response leaves (durable and shared by all replicas: a replayed request is
        // refused, also after a restart). A replay therefore costs one signature, which is thrown away.
        let expires = self.request_id_expiry(&c.req);
        let signed = self.sign_for_session(&c.sp, &c.acs.location, Some(&c.req.id), &session, &user)?;
        let sp_entity = c.sp.metadata.entity_id.as_str();

        // Remember what was issued in this session, for logout.
        user.remember_issued(signed.name_id, signed.session_index);
        user.answered.push(replay_key(sp_entity, &c.req.id));
        if user.answered.len() > super::session::ANSWERED_KEPT {
            user.answered.remove(0);
        }
        let attributes_json = serde_json::to_string(&user).map_err(Error::internal)?;
        let event = audit::event(
            AuditKind::SsoResponse,
            &user.sub,
            sp_entity,
            serde_json::json!({
                "request_id": c.req.id,
                "response_id": signed.response_id,
                "assertion_id": signed.assertion_id,
                "acs": c.acs.location,
            }),
            caller,
        );
        let hop = HopRecord {
            once_kind: "authn".into(),
            once_id: replay_key(sp_entity, &c.req.id),
            once_expires_at: expires.max(now + 60),
            session_id: session.id,
            attributes_json,
            audit: crate::store::NewAuditEvent { at: now, ..event },
        };
        Ok(PreparedResponse { checked: c, hop, xml: signed.xml, user: user.sub })
    }

    /// Spends the request ID, stores the session's record of issued assertions and the audit event in
    /// one commit, and only then hands out the form; a replayed request is refused here.
    pub async fn commit_response(&self, p: PreparedResponse) -> Result<PostForm> {
        let c = p.checked;
        if !self.store.record_hop(p.hop).await? {
            return Err(Error::invalid("replay", format!("AuthnRequest {} was already answered", c.req.id)));
        }
        tracing::info!(user = %p.user, sp = %c.sp.metadata.entity_id, request_id = %c.req.id, "signed response issued");
        Ok(PostForm::saml_response(c, &p.xml))
    }

    /// Whether this session already answered the request (Back or Reload on the auto-post page):
    /// then the browser is offered the console instead of a replay refusal. Nothing is spent.
    pub fn answered_in_session(&self, checked: &CheckedAuthnRequest, user: &SessionUser) -> bool {
        let key = replay_key(&checked.sp.metadata.entity_id, &checked.req.id);
        user.answered.contains(&key)
    }

    /// Where "continue to the console" leads after Back or Reload: Huawei's console home for
    /// Huawei's SP, the origin of the ACS for another SP.
    pub fn continue_url(&self, checked: &CheckedAuthnRequest) -> String {
        self.continue_url_of(&checked.sp)
    }

    fn continue_url_of(&self, sp: &SpEntry) -> String {
        let home = crate::huawei::console_home(self.settings.config.huawei.site);
        if sp.metadata.entity_id == self.huawei_sp_entity_id() {
            return home;
        }
        sp.metadata
            .acs
            .first()
            .and_then(|a| url::Url::parse(&a.location).ok())
            .map(|u| format!("{}/", u.origin().ascii_serialization()))
            .unwrap_or(home)
    }

    /// The SP with this entityID, from the cache or the store; refused `unknown_issuer` otherwise.
    pub async fn sp(&self, entity_id: &str) -> Result<Arc<SpEntry>> {
        self.sps.get(self.store.as_ref(), entity_id).await
    }
}

/// What an AuthnRequest's demands (SAML core §3.4.1) mean for this browser's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Demand {
    /// Answer with an assertion for the session's customer.
    Met,
    /// Send the browser to the partner's login page first (no session, or ForceAuthn on an older one).
    Login,
    /// Answer with a status Response: `Responder` with this second-level code.
    Unmet { second: &'static str, message: String },
}

/// Whether samlgate's authentication context (`unspecified`: the partner platform signed the customer
/// in, samlgate cannot say how) satisfies the requested one.
fn satisfies(rac: &request::RequestedAuthnContext) -> bool {
    rac.decl_refs == 0 && rac.comparison != "better" && rac.class_refs.iter().any(|c| c == response::AC_UNSPECIFIED)
}

impl Gateway {
    /// Checks the request's demands against the browser's session, before anything is spent.
    /// `can_login`: the browser can be sent to the partner's login page and come back to this request.
    pub fn check_demands(
        &self,
        c: &CheckedAuthnRequest,
        session: Option<(&Session, &SessionUser)>,
        can_login: bool,
    ) -> Demand {
        let r = &c.req;
        let unmet = |second, message: &str| Demand::Unmet { second, message: message.to_owned() };
        let Some((s, user)) = session else {
            if r.is_passive {
                return unmet(
                    response::STATUS_NO_PASSIVE,
                    "IsPassive: the customer has no session at the gateway and may not be asked to sign in",
                );
            }
            return Demand::Login;
        };
        if let Some(n) = &r.subject_name_id
            && n != &user.sub
            && !user.issued.iter().any(|(id, _)| id == n)
        {
            return unmet(
                response::STATUS_UNKNOWN_PRINCIPAL,
                "the request's Subject names another user than the one signed in",
            );
        }
        if let Some(rac) = &r.requested_authn_context
            && !satisfies(rac)
        {
            return Demand::Unmet {
                second: response::STATUS_NO_AUTHN_CONTEXT,
                message: format!(
                    "RequestedAuthnContext ({} of {}) cannot be met: the gateway asserts only {}",
                    rac.comparison,
                    if rac.class_refs.is_empty() { "declarations".to_owned() } else { rac.class_refs.join(", ") },
                    response::AC_UNSPECIFIED
                ),
            };
        }
        // ForceAuthn: the session must have begun after the request was made (within the clock skew).
        let fresh = s.created_at >= r.issue_instant.unix - self.settings.config.idp.clock_skew_secs as i64;
        if r.force_authn && !fresh {
            if r.is_passive {
                return unmet(
                    response::STATUS_NO_PASSIVE,
                    "ForceAuthn with IsPassive: the customer would have to sign in again",
                );
            }
            if can_login {
                return Demand::Login;
            }
            return unmet(
                response::STATUS_AUTHN_FAILED,
                "ForceAuthn: the gateway cannot have the customer sign in again (no handoff.partner_login_url)",
            );
        }
        Demand::Met
    }

    /// Answers the request with a signed status Response (no assertion): spends its ID first (a replay
    /// is refused), audits `sso.status`.
    pub async fn answer_with_status(
        &self,
        c: CheckedAuthnRequest,
        second: &'static str,
        message: &str,
        caller: &Caller,
    ) -> Result<PostForm> {
        let cfg = &self.settings.config;
        let now = now_unix();
        let sp_entity = c.sp.metadata.entity_id.clone();
        let expires = self.request_id_expiry(&c.req);
        let built = response::build_status_response(
            &self.idp().signing_key,
            &cfg.idp.entity_id,
            &c.acs.location,
            &c.req.id,
            response::STATUS_RESPONDER,
            second,
            message,
            now,
        )
        .map_err(Error::internal)?;
        if !self.store.use_once("authn", &replay_key(&sp_entity, &c.req.id), expires.max(now + 60)).await? {
            return Err(Error::invalid("replay", format!("AuthnRequest {} was already answered", c.req.id)));
        }
        self.audit(audit::event(
            AuditKind::SsoStatus,
            "",
            &sp_entity,
            serde_json::json!({"request_id": c.req.id, "response_id": built.response_id, "status": second, "message": message}),
            caller,
        ))
        .await?;
        tracing::info!(sp = %sp_entity, request_id = %c.req.id, status = second, "answered with a status response: {message}");
        Ok(PostForm::saml_response(c, &built.xml))
    }

    /// Until when a request's spent ID must be remembered: as long as the request could be accepted.
    fn request_id_expiry(&self, req: &AuthnRequest) -> i64 {
        let idp = &self.settings.config.idp;
        req.issue_instant.unix + idp.request_max_age_secs as i64 + 2 * idp.clock_skew_secs as i64
    }
}

/// The single-use key of a request: the SP and the request ID as decoded from the message.
pub fn replay_key(sp_entity_id: &str, request_id: &str) -> String {
    format!("{sp_entity_id}\u{1f}{request_id}")
}

/// An SP that signs (or sent a signature) must have a certificate to check it with (fail closed).
pub(super) fn require_certificate(sp: &SpEntry) -> Result<()> {
    if sp.certs.is_empty() {
        return Err(Error::invalid(
            "no_certificate",
            format!("SP {} has no signing certificate in its metadata", sp.metadata.entity_id),
        ));
    }
    Ok(())
}
