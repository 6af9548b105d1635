//! Huawei's binding-result notification: after a first login Huawei sends the customer's browser to
//! the partner's notification URL with `bindRequest` (base64 JSON), `SigAlg` and `Signature`.
//!
//! **Check** ([`Gateway::check_bind_notification`]): the form as received (`huawei::bind` knows the
//! signed octets), the signature with the certificates of Huawei's SP only (`huawei.sp_entity_id`,
//! whatever other SPs are imported), then the JSON read from the verified field.
//!
//! **Commit** ([`Gateway::commit_bind_notification`]) stores xUserId ↔ domainId durably before the
//! answer. Replay: the notification carries no timestamp or nonce, and RSA PKCS#1 v1.5 signatures are
//! deterministic, so "the same binding again" and "a captured notification replayed" are the same bytes.
//! The rule:
//! - a notification that agrees with what is stored is answered "already linked", whenever it comes
//!   (a reload, Huawei retrying, a replay: none of them changes anything);
//! - a notification that would *create* a binding is spent with `use_once("bind", …)` for
//!   [`BIND_REPLAY_WINDOW_SECS`]: the same notification, however re-encoded, cannot re-create a binding an operator removed in that
//!   window (refused as `replay`);
//! - a notification for an xUserId bound to another domainId is refused `binding_conflict` (409) and
//!   audited; the stored binding is never overwritten;
//! - a binding recorded by the partner without its account (`bindings add`) is completed.

use super::audit::Caller;
use std::sync::Arc;

use super::sp::SpEntry;
use super::{AuditKind, Error, Gateway, Kind, Result, audit};
use crate::huawei::bind::{
    BIND_REPLAY_WINDOW_SECS, BindRequest, MAX_BIND_BODY, bind_signed_octets, decode_bind_request, replay_key,
};
use crate::saml::redirect::{form_decode, verify_redirect_signature};
use crate::store::{BindOutcome, Binding};
use crate::util::now_unix;

/// A notification whose signature verified; nothing is stored or spent yet.
#[derive(Debug)]
pub struct CheckedNotification {
    pub request: BindRequest,
    /// The single-use key (over the decoded signed content; see `huawei::bind::replay_key`).
    replay_key: String,
}

/// What a stored (or already stored) notification leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindResult {
    pub binding: Binding,
    /// `true` when the same binding was already there.
    pub already: bool,
}

impl Gateway {
    /// The imported SP that is Huawei's: the one whose entityID is Huawei's (`huawei.sp_entity_id`, by
    /// default the site's `https://auth…/`), whatever other SPs are imported.
    pub async fn huawei_sp(&self) -> Result<Arc<SpEntry>> {
        let entity = self.huawei_sp_entity_id();
        if self.store.get_sp(&entity).await?.is_none() {
            return Err(Error::refused(
                Kind::Unavailable,
                "huawei_sp_missing",
                format!(
                    "Huawei's SP metadata (entityID {entity}) is not imported, so the notification cannot be verified; \
                     the operator must run `samlgate sp import` with Huawei's SP Metadata.xml"
                ),
            ));
        }
        self.sp(&entity).await
    }

    /// The web origins of Huawei's SP (its ACS and SLO endpoints, e.g. `https://auth.huaweicloud.com`):
    /// the pages that post the binding notification, into a frame of theirs. Empty while Huawei's SP
    /// is not imported.
    pub async fn huawei_sp_origins(&self) -> Vec<String> {
        let Ok(sp) = self.huawei_sp().await else { return Vec::new() };
        let mut origins: Vec<String> = sp
            .metadata
            .acs
            .iter()
            .chain(sp.metadata.slo.iter())
            .filter_map(|e| url::Url::parse(&e.location).ok())
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .map(|u| u.origin().ascii_serialization())
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }

    /// Checks a notification: `body` is the form as received, `is_form` whether its content type is
    /// `application/x-www-form-urlencoded`.
    pub async fn check_bind_notification(&self, body: &[u8], is_form: bool) -> Result<CheckedNotification> {
        if body.len() > MAX_BIND_BODY {
            return Err(Error::refused(Kind::TooLarge, "too_large", "the notification body is too large"));
        }
        if !is_form {
            return Err(Error::refused(
                Kind::UnsupportedMedia,
                "content_type",
                "the binding notification must be an application/x-www-form-urlencoded form",
            ));
        }
        let raw =
            std::str::from_utf8(body).map_err(|_| Error::invalid("bad_encoding", "the form body is not UTF-8"))?;
        let form = bind_signed_octets(raw)?;
        let sp = self.huawei_sp().await?;
        let sig_alg = form_decode(form.sig_alg_raw, "SigAlg")?;
        let signature = form_decode(form.signature_raw, "Signature")?;
        verify_redirect_signature(
            form.signed_octets.as_bytes(),
            &sig_alg,
            &signature,
            &sp.certs,
            self.settings.config.huawei.allow_sha1,
        )?;
        // Only now, from the verified field, read the content.
        let b64 = form_decode(form.bind_request_raw, "bindRequest")?;
        let request = decode_bind_request(&b64).map_err(|e| Error::invalid(e.reason, e.message))?;
        Ok(CheckedNotification { request, replay_key: replay_key(&form) })
    }

    /// Stores the binding of a checked notification (committed before this returns), audited
    /// `bind.created`, `bind.repeated`, `bind.conflict` or `bind.replay`.
    pub async fn commit_bind_notification(&self, c: CheckedNotification, caller: &Caller) -> Result<BindResult> {
        let req = c.request;
        let now = now_unix();
        let binding = Binding {
            x_user_id: req.x_user_id.clone(),
            domain_id: req.domain_id.clone(),
            domain_name: req.domain_name.clone().unwrap_or_default(),
            user_name: req.user_name.clone(),
            user_id: req.user_id.clone(),
            created_at: now,
        };
        let store = &self.store;
        let existing = store.get_binding(&binding.x_user_id).await?;
        let mut replayed = false;
        let outcome = match existing {
            Some(b) if b.domain_id == binding.domain_id => BindOutcome::AlreadySame,
            // Recorded by the partner without its account (`bindings add`): the notification fills it in.
            Some(b) if b.domain_id.is_empty() => {
                if store.complete_binding(&binding).await? {
                    BindOutcome::Created
                } else {
                    BindOutcome::Conflict { existing_domain_id: b.domain_id }
                }
            }
            Some(b) => BindOutcome::Conflict { existing_domain_id: b.domain_id },
            None => {
                if store.use_once("bind", &c.replay_key, now + BIND_REPLAY_WINDOW_SECS).await? {
                    // put_binding commits (SQLite synchronous=FULL) before we answer.
                    store.put_binding(&binding).await?
                } else {
                    // Spent before: fine only if a concurrent copy has just stored the same binding.
                    replayed = true;
                    match store.get_binding(&binding.x_user_id).await? {
                        Some(b) if b.domain_id == binding.domain_id => BindOutcome::AlreadySame,
                        Some(b) => BindOutcome::Conflict { existing_domain_id: b.domain_id },
                        None => {
                            self.audit_binding(AuditKind::BindReplay, &binding, serde_json::json!({}), caller).await?;
                            return Err(Error::refused(
                                Kind::Conflict,
                                "replay",
                                "this binding notification was already used, and the binding it created has since \
                                 been removed; a replayed notification cannot re-create it",
                            ));
                        }
                    }
                }
            }
        };
        match outcome {
            BindOutcome::Created => {
                self.audit_binding(AuditKind::BindCreated, &binding, serde_json::json!({}), caller).await?;
                tracing::info!(x_user_id = %binding.x_user_id, domain_id = %binding.domain_id, "binding stored");
                Ok(BindResult { binding, already: false })
            }
            BindOutcome::AlreadySame => {
                let detail = serde_json::json!({"replayed": replayed});
                self.audit_binding(AuditKind::BindRepeated, &binding, detail, caller).await?;
                tracing::info!(x_user_id = %binding.x_user_id, "binding notification repeated; already bound");
                Ok(BindResult { binding, already: true })
            }
            BindOutcome::Conflict { existing_domain_id } => {
                let detail = serde_json::json!({"existing_domain_id": existing_domain_id});
                self.audit_binding(AuditKind::BindConflict, &binding, detail, caller).await?;
                tracing::warn!(
                    x_user_id = %binding.x_user_id,
                    domain_id = %binding.domain_id,
                    existing = %existing_domain_id,
                    "binding conflict: kept the existing binding"
                );
                Err(Error::refused(
                    Kind::Conflict,
                    "binding_conflict",
                    format!(
                        "partner account {} is already linked to another HUAWEI CLOUD account; the existing link was kept",
                        binding.x_user_id
                    ),
                ))
            }
        }
    }

    async fn audit_binding(
        &self,
        kind: AuditKind,
        b: &Binding,
        extra: serde_json::Value,
        caller: &Caller,
    ) -> Result<()> {
        let mut detail = serde_json::json!({
            "domain_id": b.domain_id,
            "domain_name": b.domain_name,
            "user_name": b.user_name,
            "user_id": b.user_id,
        });
        if let (Some(d), serde_json::Value::Object(e)) = (detail.as_object_mut(), extra) {
            d.extend(e);
        }
        self.audit(audit::event(kind, "huawei", &b.x_user_id, detail, caller)).await
    }
}
