//! The background work of a running gateway: purge expired sessions and one-time IDs, and audit
//! events past `audit.retention_days`, every minute; re-read the key directory every minute and on
//! SIGHUP (a key rollover step run by the CLI or on another replica, see [`super::rollover`]); and
//! re-fetch SP metadata from its URL every `huawei.sp_metadata_refresh_secs` (keeping the last good
//! copy when a fetch fails or is refused, see [`super::sp`]).

use std::sync::Arc;
use std::time::Duration;

use super::Gateway;
use crate::util::now_unix;

/// One purge: expired sessions and one-time IDs, and audit events older than
/// `audit.retention_days` (0 keeps them). Counted in `samlgate_purged_rows_total{what}`. Returns
/// (expired rows, audit rows) removed.
pub async fn purge(gw: &Gateway, now: i64) -> Result<(u64, u64), crate::store::StoreError> {
    let expired = gw.store.purge_expired(now).await?;
    metrics::counter!("samlgate_purged_rows_total", "what" => "expired").increment(expired);
    let days = gw.settings.config.audit.retention_days;
    let audit = if days == 0 { 0 } else { gw.store.purge_audit_before(now - i64::from(days) * 86_400).await? };
    metrics::counter!("samlgate_purged_rows_total", "what" => "audit").increment(audit);
    if expired + audit > 0 {
        tracing::info!(expired, audit, "housekeeping purged rows");
    }
    Ok((expired, audit))
}

/// Re-reads the key directory (see [`Gateway::reload_keys`]); a failure keeps the keys in use.
pub async fn reload_keys(gw: &Gateway) {
    if let Err(e) = gw.reload_keys().await {
        tracing::warn!(error = %e, "re-reading the IdP key directory failed; keeping the keys in use");
        gw.record_key_metrics();
    }
}

/// SIGHUP: a stream registered at once (so a SIGHUP right after start is not the default
/// "terminate"), or None where there is none.
#[cfg(unix)]
pub type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
pub type Hangups = Option<std::convert::Infallible>;

/// Registers for SIGHUP (also used by the TLS listener to re-read its certificate).
pub fn hangups() -> Hangups {
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; files are re-read on their schedule only");
                None
            }
        }
    }
    #[cfg(not(unix))]
    None
}

/// The next SIGHUP; never, without one (or once the stream has ended).
pub async fn hangup(s: &mut Hangups) {
    #[cfg(unix)]
    if let Some(sig) = s {
        if sig.recv().await.is_none() {
            *s = None;
        }
        return;
    }
    let _ = s;
    std::future::pending::<()>().await
}

/// Starts the housekeeping task; abort the handle to stop it. Call it inside the runtime, before the
/// listener opens: it takes over SIGHUP at once.
pub fn spawn(gw: Arc<Gateway>) -> tokio::task::JoinHandle<()> {
    let mut hup = hangups();
    tokio::spawn(async move {
        let refresh = gw.settings.config.huawei.sp_metadata_refresh_secs;
        let refresh_url = refresh > 0;
        let mut purge_tick = tokio::time::interval(Duration::from_secs(60));
        let mut refresh_tick = tokio::time::interval(Duration::from_secs(refresh.max(5)));
        refresh_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        refresh_tick.tick().await; // the first tick is immediate; start already loaded the metadata
        loop {
            tokio::select! {
                _ = purge_tick.tick() => {
                    if let Err(e) = purge(&gw, now_unix()).await {
                        tracing::warn!(error = %e, "purging expired rows failed");
                    }
                    reload_keys(&gw).await;
                }
                _ = hangup(&mut hup) => {
                    tracing::info!("SIGHUP: re-reading the IdP key directory");
                    reload_keys(&gw).await;
                }
                _ = refresh_tick.tick(), if refresh_url => {
                    match super::sp::refresh_url_sources(&gw.settings, gw.store.as_ref()).await {
                        Ok(0) => {}
                        Ok(_) => gw.sps.clear(),
                        Err(e) => tracing::warn!(error = %e, "SP metadata refresh failed"),
                    }
                }
            }
        }
    })
}
