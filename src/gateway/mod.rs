//! The gateway: everything samlgate decides, without HTTP or a command line. The `web` room turns
//! requests into calls of this layer and its answers into responses; the `cli` room calls it for the
//! admin commands. See `ARCHITECTURE.md` for the rooms and the one allowed direction.
//!
//! * [`Gateway`] — the application state (settings, IdP keys, store, IdP metadata, SP cache) and its
//!   construction; [`setup`] — first-run setup and key loading; [`rollover`] — the IdP keys in use,
//!   reloaded when the key directory changes, and the key rollover steps;
//! * the use cases, each split into a **check** half (parse, verify, decide; nothing spent or stored)
//!   and a **commit** half (spend the one-time value, store, audit): [`sso`] (the SSO hop), [`slo`]
//!   (logout), [`bind`] (Huawei's binding notification), [`console`] (the partner's hand-off),
//!   [`assert`] (assertions on demand and IdP-initiated SSO, signed by the hop's own code);
//! * [`sp`] — SP metadata import, refresh and the in-memory SP cache; [`session`] — customer sessions;
//!   [`return_urls`]; [`bindings`] — bindings the partner records; [`admin`] — admin passwords;
//!   [`audit`] — the audit event kinds; [`housekeeping`] — the background work of a running gateway;
//! * [`Error`] — the one error type: refused with a stable reason, or internal.

use std::sync::Arc;

use anyhow::Context as _;

use crate::config::Settings;
use crate::store::Store;

pub mod admin;
pub mod api_tokens;
pub mod assert;
pub mod audit;
pub mod bind;
pub mod bindings;
pub mod check;
pub mod console;
pub mod decode;
mod error;
pub mod housekeeping;
pub mod preview;
pub mod return_urls;
pub mod rollover;
pub mod session;
pub mod setup;
pub mod slo;
pub mod sp;
pub mod sso;

pub use audit::{AuditKind, Caller};
pub use error::{Error, Kind, Result};
pub use return_urls::ReturnKind;
pub use session::SessionUser;

/// Everything the use cases need, built once at start and shared (`Arc<Gateway>`).
pub struct Gateway {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    /// The IdP keys (current, and the next or previous one of a rollover), the signing key and
    /// `IDP Metadata.xml`: read them with [`Gateway::idp`]; replaced as a whole by
    /// [`Gateway::reload_keys`] when the key directory changes.
    idp: arc_swap::ArcSwap<rollover::IdpState>,
    /// Imported SPs, parsed and kept for a short while.
    pub sps: sp::SpCache,
    /// The hand-off secrets (current, and previous during a rotation).
    pub handoff_secrets: setup::HandoffSecrets,
    /// Per-account admin sign-in lockout.
    pub admin_lockout: admin::AdminLockout,
    /// The budget of refusal audit events (see [`audit::RefusalAudit`]).
    pub refusal_audit: audit::RefusalAudit,
    /// The bearer token `/metrics` requires, if any.
    pub metrics_token: Option<String>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("base_url", &self.settings.config.server.base_url).finish_non_exhaustive()
    }
}

impl Gateway {
    /// Opens the store (running migrations), loads the keys, renders the IdP metadata and makes sure
    /// Huawei's SP metadata is in the store (logging why when config and store disagree).
    pub async fn build(settings: Settings) -> anyhow::Result<Gateway> {
        Gateway::build_with(settings, true).await
    }

    /// [`Gateway::build`] for commands that only read (`samlgate decode`, `preview`): the SPs are taken
    /// as the store has them, never synced from `huawei.sp_metadata` (nothing is written but the
    /// store's own migrations).
    pub async fn build_read_only(settings: Settings) -> anyhow::Result<Gateway> {
        Gateway::build_with(settings, false).await
    }

    async fn build_with(settings: Settings, sync_sps: bool) -> anyhow::Result<Gateway> {
        let store = crate::store::open(&settings.config.store.url, &settings.dir)
            .await
            .with_context(|| format!("cannot open the store {}", settings.config.store.url))?;
        let idp = rollover::IdpState::load(&settings).map_err(|e| anyhow::anyhow!(e.to_string()))?;
        if let Some(note) = &idp.algorithm_note {
            tracing::warn!("{note}");
        }
        let handoff_secrets = setup::handoff_secrets(&settings).map_err(|e| anyhow::anyhow!(e.to_string()))?;
        let metrics_token = setup::metrics_token(&settings).map_err(|e| anyhow::anyhow!(e.to_string()))?;
        if sync_sps {
            for w in sp::sync_at_start(&settings, store.as_ref()).await? {
                tracing::warn!("{w}");
            }
        }
        Ok(Gateway {
            settings,
            store,
            idp: arc_swap::ArcSwap::from_pointee(idp),
            sps: sp::SpCache::default(),
            handoff_secrets,
            admin_lockout: admin::AdminLockout::default(),
            refusal_audit: audit::RefusalAudit::default(),
            metrics_token,
        })
    }

    /// Huawei's SP entityID for this configuration.
    pub fn huawei_sp_entity_id(&self) -> String {
        crate::huawei::sp_entity_id(&self.settings.config.huawei)
    }

    /// Whether this gateway can answer customers: the store answers, the IdP certificate is within
    /// its validity, and Huawei's SP metadata is in the store. Each check by name, `Err` with why.
    pub async fn readiness(&self) -> Vec<(&'static str, std::result::Result<(), String>)> {
        let store = self.store.health().await.map_err(|e| format!("store unreachable: {e}"));
        let idp = self.idp();
        let cert = &idp.keys.current.cert;
        let info = crate::keys::cert_info(cert);
        let keys = match openssl::asn1::Asn1Time::days_from_now(0) {
            Ok(now) if cert.not_after() < now => Err(format!("the IdP certificate expired on {}", info.not_after)),
            Ok(now) if cert.not_before() > now => {
                Err(format!("the IdP certificate is valid only from {}", info.not_before))
            }
            Ok(_) => Ok(()),
            Err(e) => Err(format!("cannot read the clock: {e}")),
        };
        let sp = match &store {
            Ok(()) => match self.store.get_sp(&self.huawei_sp_entity_id()).await {
                Ok(Some(_)) => Ok(()),
                Ok(None) => {
                    Err(format!("no SP metadata for {} (run `samlgate sp import`)", self.huawei_sp_entity_id()))
                }
                Err(e) => Err(format!("store error: {e}")),
            },
            Err(_) => Err("store unreachable".to_owned()),
        };
        vec![("store", store), ("keys", keys), ("huawei_sp_metadata", sp)]
    }

    /// Appends an audit event.
    pub async fn audit(&self, event: crate::store::NewAuditEvent) -> Result<()> {
        self.store.append_audit(&event).await?;
        Ok(())
    }
}
