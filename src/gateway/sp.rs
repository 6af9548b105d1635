//! Service providers: reading SP metadata from a file or URL, importing it into the store, keeping
//! Huawei's SP in sync with the config at start, and re-fetching URL sources on a schedule.
//!
//! **One source of truth: the store.** Every SP the gateway trusts is a row of the store (shared by all
//! replicas), with the document as received, where it came from and how (`origin`):
//!
//! * `config` — seeded from `huawei.sp_metadata`. While the row came from the config, the config is
//!   followed: the source is re-read at every start (a changed file is re-imported) and a changed
//!   `huawei.sp_metadata` replaces it.
//! * `import` — an explicit `samlgate sp import` (or, later, the admin pages). It is kept across every
//!   restart, whatever `huawei.sp_metadata` says: the config only seeds a store that has no copy of
//!   Huawei's SP. When the two disagree, the start logs a warning naming both and how to switch, and
//!   `sp list` and the admin checklist show it — never silently resolved.
//!
//! Any row whose source is an https URL is re-fetched every `huawei.sp_metadata_refresh_secs`; a fetch
//! that fails, or a document that is refused (bad signature, broken metadata), keeps the last good
//! copy, with a warning, an `sp.refused` audit event and `samlgate_sp_metadata_refused_total{reason}`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use openssl::x509::X509;

use super::{Error, Result};
use crate::config::Settings;
use crate::huawei;
use crate::saml::metadata::{self, MetadataError, SpMetadata, SpParseOptions};
use crate::store::{SpRecord, Store, StoreError};
use crate::util::now_unix;

/// Largest SP metadata accepted from a file or URL.
pub const MAX_SP_METADATA_BYTES: usize = 512 * 1024;

/// `SpRecord::origin` of a row seeded from the config.
pub const ORIGIN_CONFIG: &str = "config";
/// `SpRecord::origin` of a row from an explicit import.
pub const ORIGIN_IMPORT: &str = "import";

/// Why SP metadata could not be imported. `reason()` is the stable code for audit and metrics.
#[derive(Debug, thiserror::Error)]
pub enum SpError {
    #[error("{0}")]
    Read(String),
    #[error("SP metadata from {from} refused: {error}")]
    Refused { from: String, error: MetadataError },
    #[error("SP metadata from {0} is not UTF-8")]
    NotUtf8(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl SpError {
    pub fn reason(&self) -> &'static str {
        match self {
            SpError::Read(_) => "fetch_failed",
            SpError::Refused { error, .. } => error.reason(),
            SpError::NotUtf8(_) => "bad_encoding",
            SpError::Store(_) => "store",
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// A new or changed document was stored.
    Stored(SpRecord),
    /// The same document from the same source was already stored: nothing written or audited.
    Unchanged(SpRecord),
}

impl Imported {
    pub fn record(&self) -> &SpRecord {
        match self {
            Imported::Stored(r) | Imported::Unchanged(r) => r,
        }
    }
}

pub fn is_url(source: &str) -> bool {
    source.starts_with("https://") || source.starts_with("http://")
}

/// Reads SP metadata from a file path (relative to the config directory) or an http(s) URL, with a
/// size cap and a time limit.
pub async fn read_sp_source(settings: &Settings, source: &str, allow_http: bool) -> Result<Vec<u8>, SpError> {
    let fail = |m: String| SpError::Read(m);
    if is_url(source) {
        if source.starts_with("http://") && !allow_http {
            return Err(fail(format!(
                "refusing to fetch SP metadata over plain http ({source}); use https or --allow-http"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| fail(format!("cannot build an HTTP client: {e}")))?;
        let mut resp = client.get(source).send().await.map_err(|e| fail(format!("cannot fetch {source}: {e}")))?;
        if !resp.status().is_success() {
            return Err(fail(format!("fetching {source} answered HTTP {}", resp.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| fail(format!("reading {source}: {e}")))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_SP_METADATA_BYTES {
                return Err(fail(format!("SP metadata at {source} is larger than {MAX_SP_METADATA_BYTES} bytes")));
            }
        }
        Ok(body)
    } else {
        let path = settings.resolve(source);
        let meta = std::fs::metadata(&path)
            .map_err(|e| fail(format!("cannot read SP metadata file {}: {e}", path.display())))?;
        if meta.len() > MAX_SP_METADATA_BYTES as u64 {
            return Err(fail(format!(
                "SP metadata file {} is larger than {MAX_SP_METADATA_BYTES} bytes",
                path.display()
            )));
        }
        std::fs::read(&path).map_err(|e| fail(format!("cannot read SP metadata file {}: {e}", path.display())))
    }
}

/// How SP metadata is parsed for this configuration: https endpoints (http too for a local
/// `http://` gateway or `--allow-http`), and the trusted metadata signers.
pub fn parse_options(settings: &Settings, allow_http: bool) -> SpParseOptions {
    SpParseOptions {
        allow_http,
        now_unix: now_unix(),
        max_bytes: MAX_SP_METADATA_BYTES,
        trusted_signers: huawei::trusted_metadata_signers(&settings.config.huawei),
    }
}

/// Whether two sources name the same document: equal URLs, or files that resolve to the same path.
pub fn same_source(settings: &Settings, a: &str, b: &str) -> bool {
    if is_url(a) || is_url(b) {
        return a == b;
    }
    let canon = |p: &str| {
        let path = settings.resolve(p);
        std::fs::canonicalize(&path).unwrap_or(path)
    };
    canon(a) == canon(b)
}

/// The source as it is recorded for an explicit import: a URL as given, a file as an absolute path
/// (a path relative to the shell's directory would mean something else at the next start).
pub fn import_source(source: &str) -> String {
    if is_url(source) {
        return source.to_owned();
    }
    let p = Path::new(source);
    match std::fs::canonicalize(p) {
        Ok(abs) => abs.display().to_string(),
        Err(_) => source.to_owned(),
    }
}

/// Parses, checks (signature included) and stores SP metadata from `source`, recording `origin`.
/// A refused document is audited (`sp.refused`), counted, and leaves the store as it was.
pub async fn import_sp(
    settings: &Settings,
    store: &dyn Store,
    source: &str,
    allow_http: bool,
    origin: &str,
    actor: &str,
) -> Result<Imported, SpError> {
    import_sp_for(settings, store, source, allow_http, origin, actor, &super::audit::Caller::none()).await
}

/// [`import_sp`] for a request: its audit events carry the caller's correlation id and client.
pub async fn import_sp_for(
    settings: &Settings,
    store: &dyn Store,
    source: &str,
    allow_http: bool,
    origin: &str,
    actor: &str,
    caller: &super::audit::Caller,
) -> Result<Imported, SpError> {
    let bytes = match read_sp_source(settings, source, allow_http).await {
        Ok(b) => b,
        Err(e) => {
            refused(store, source, actor, &e, caller).await;
            return Err(e);
        }
    };
    import_sp_document_for(settings, store, source, bytes, allow_http, origin, actor, caller).await
}

/// [`import_sp_for`] of a document already read (an upload on `/admin/sps`): `source` names where it came
/// from (`upload:FILE`; such a source is never re-fetched).
/// Its audit events carry the caller's correlation id and client.
#[allow(clippy::too_many_arguments)]
pub async fn import_sp_document_for(
    settings: &Settings,
    store: &dyn Store,
    source: &str,
    bytes: Vec<u8>,
    allow_http: bool,
    origin: &str,
    actor: &str,
    caller: &super::audit::Caller,
) -> Result<Imported, SpError> {
    if bytes.len() > MAX_SP_METADATA_BYTES {
        let e = SpError::Read(format!("SP metadata from {source} is larger than {MAX_SP_METADATA_BYTES} bytes"));
        refused(store, source, actor, &e, caller).await;
        return Err(e);
    }
    let md = match metadata::parse_sp_metadata(&bytes, &parse_options(settings, allow_http)) {
        Ok(md) => md,
        Err(error) => {
            let e = SpError::Refused { from: source.to_owned(), error };
            refused(store, source, actor, &e, caller).await;
            return Err(e);
        }
    };
    let xml = String::from_utf8(bytes).map_err(|_| SpError::NotUtf8(source.to_owned()))?;
    let now = now_unix();
    let existing = store.get_sp(&md.entity_id).await?;
    if let Some(e) = existing.as_ref().filter(|e| e.metadata_xml == xml && e.source == source && e.origin == origin) {
        return Ok(Imported::Unchanged(e.clone()));
    }
    let rec = SpRecord {
        entity_id: md.entity_id.clone(),
        source: source.to_owned(),
        metadata_xml: xml,
        parsed_json: serde_json::to_string(&md).map_err(|e| SpError::Read(format!("cannot encode the SP: {e}")))?,
        imported_at: existing.as_ref().map(|e| e.imported_at).unwrap_or(now),
        updated_at: now,
        origin: origin.to_owned(),
    };
    store.upsert_sp(&rec).await?;
    let detail = serde_json::json!({
        "source": source,
        "origin": origin,
        "signature": md.signature,
        "warnings": md.warnings,
    });
    let mut event = super::audit::event(super::AuditKind::SpImport, actor, &md.entity_id, detail, caller);
    event.at = now;
    store.append_audit(&event).await?;
    for w in &md.warnings {
        tracing::warn!(sp = %md.entity_id, "{w}");
    }
    Ok(Imported::Stored(rec))
}

/// Deletes an imported SP other than Huawei's (whose metadata the binding notification and every
/// jump need), audited `sp.deleted`; `false` when there was none.
pub async fn delete_sp(
    settings: &Settings,
    store: &dyn Store,
    entity_id: &str,
    actor: &str,
    caller: &super::audit::Caller,
) -> Result<bool, SpError> {
    if entity_id == crate::huawei::sp_entity_id(&settings.config.huawei) {
        return Err(SpError::Read(format!("{entity_id} is Huawei's SP: it cannot be deleted, only re-imported")));
    }
    let Some(rec) = store.get_sp(entity_id).await? else { return Ok(false) };
    if !store.delete_sp(entity_id).await? {
        return Ok(false);
    }
    let detail = serde_json::json!({"source": rec.source, "origin": rec.origin});
    store.append_audit(&super::audit::event(super::AuditKind::SpDeleted, actor, entity_id, detail, caller)).await?;
    Ok(true)
}

/// Records a refused document or failed fetch: metric, audit event (best effort), nothing else.
async fn refused(store: &dyn Store, source: &str, actor: &str, e: &SpError, caller: &super::audit::Caller) {
    metrics::counter!("samlgate_sp_metadata_refused_total", "reason" => e.reason()).increment(1);
    let detail = serde_json::json!({"reason": e.reason(), "error": e.to_string()});
    let event = super::audit::event(super::AuditKind::SpRefused, actor, source, detail, caller);
    if let Err(err) = store.append_audit(&event).await {
        tracing::warn!(error = %err, "cannot audit the refused SP metadata");
    }
}

/// Whether a local gateway (`http://` base URL) may read http endpoints: local trials only.
pub fn allow_http_for(settings: &Settings) -> bool {
    settings.config.server.base_url.starts_with("http://")
}

/// How the store's copy of Huawei's SP relates to `huawei.sp_metadata`, for start-up, `sp list` and the
/// admin checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HuaweiSpState {
    /// No SP with Huawei's entityID is in the store.
    Missing { entity_id: String },
    /// The store's copy is the configured source.
    FromConfig { record: Box<SpRecord> },
    /// The store's copy came from an explicit import of another source, which wins.
    ImportedOverConfig { record: Box<SpRecord>, configured: String },
}

impl HuaweiSpState {
    /// A warning when the config and the store disagree or Huawei's SP is missing.
    pub fn warning(&self) -> Option<String> {
        match self {
            HuaweiSpState::Missing { entity_id } => Some(format!(
                "no imported SP has Huawei's entityID `{entity_id}` (huawei.sp_entity_id): the binding notification \
                 cannot be verified; import Huawei's SP metadata with `samlgate sp import`"
            )),
            HuaweiSpState::FromConfig { .. } => None,
            HuaweiSpState::ImportedOverConfig { record, configured } => Some(format!(
                "huawei.sp_metadata names `{configured}`, but Huawei's SP metadata was imported with `sp import` from \
                 `{}` on {} and that import is what the gateway uses (the store wins; the config only seeds an empty \
                 store). To use `{configured}` instead, run `samlgate sp import {configured}`",
                record.source,
                format_time(record.updated_at)
            )),
        }
    }
}

/// Compares the store's copy of Huawei's SP with `huawei.sp_metadata`.
pub async fn huawei_sp_state(settings: &Settings, store: &dyn Store) -> Result<HuaweiSpState, StoreError> {
    let id = huawei::sp_entity_id(&settings.config.huawei);
    let configured = &settings.config.huawei.sp_metadata;
    Ok(match store.get_sp(&id).await? {
        None => HuaweiSpState::Missing { entity_id: id },
        Some(rec) if rec.origin == ORIGIN_IMPORT && !same_source(settings, &rec.source, configured) => {
            HuaweiSpState::ImportedOverConfig { record: Box::new(rec), configured: configured.clone() }
        }
        Some(rec) => HuaweiSpState::FromConfig { record: Box::new(rec) },
    })
}

/// At start: makes sure Huawei's SP is in the store (see the module documentation). Returns the
/// warnings to log. Fails when Huawei's SP must come from `huawei.sp_metadata` and that cannot be read.
pub async fn sync_at_start(settings: &Settings, store: &dyn Store) -> anyhow::Result<Vec<String>> {
    let source = settings.config.huawei.sp_metadata.clone();
    let allow_http = allow_http_for(settings);
    let mut warnings = Vec::new();
    let state = huawei_sp_state(settings, store).await?;
    if let HuaweiSpState::ImportedOverConfig { .. } = &state {
        warnings.extend(state.warning());
        return Ok(warnings);
    }
    // Seed, or follow the config: re-read the configured source.
    let origin = match &state {
        HuaweiSpState::FromConfig { record } if same_source(settings, &record.source, &source) => record.origin.clone(),
        _ => ORIGIN_CONFIG.to_owned(),
    };
    let recorded = match &state {
        HuaweiSpState::FromConfig { record } if same_source(settings, &record.source, &source) => record.source.clone(),
        _ => source.clone(),
    };
    match import_sp(settings, store, &recorded, allow_http, &origin, "config").await {
        Ok(done) => {
            let rec = done.record();
            tracing::info!(sp = %rec.entity_id, source = %recorded, "SP metadata loaded");
        }
        Err(e) if is_url(&source) && matches!(state, HuaweiSpState::FromConfig { .. }) => {
            warnings.push(format!("SP metadata refresh from {source} failed; keeping the last good copy: {e}"));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("huawei.sp_metadata")),
    }
    let after = huawei_sp_state(settings, store).await?;
    warnings.extend(after.warning());
    Ok(warnings)
}

/// The scheduled refresh: re-fetches every stored SP whose source is a URL. Returns how many copies
/// changed (so the caller can drop its cache). Failures keep the last good copy (see [`import_sp`]).
pub async fn refresh_url_sources(settings: &Settings, store: &dyn Store) -> Result<usize, StoreError> {
    let allow_http = allow_http_for(settings);
    let mut changed = 0;
    for rec in store.list_sps().await? {
        if !is_url(&rec.source) {
            continue;
        }
        match import_sp(settings, store, &rec.source, allow_http, &rec.origin, "refresh").await {
            Ok(Imported::Stored(new)) if new.entity_id != rec.entity_id => {
                tracing::warn!(
                    source = %rec.source,
                    was = %rec.entity_id,
                    now = %new.entity_id,
                    "SP metadata at the URL now has another entityID; both copies are kept"
                );
                changed += 1;
            }
            Ok(Imported::Stored(_)) => changed += 1,
            Ok(Imported::Unchanged(_)) => {}
            Err(e) => tracing::warn!(
                sp = %rec.entity_id,
                source = %rec.source,
                reason = e.reason(),
                "SP metadata refresh failed; keeping the last good copy: {e}"
            ),
        }
    }
    Ok(changed)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, or the number when out of range.
pub fn format_time(unix: i64) -> String {
    crate::saml::response::format_instant(unix).unwrap_or_else(|_| unix.to_string())
}

// ---------------------------------------------------------------------------------------------------
// The SP cache: imported SPs, parsed once and kept in memory for a short while, so the SSO hop does
// not re-read and re-parse metadata and certificates for every request. Entries expire after `TTL`,
// so an import done by another replica (or the CLI) is seen within that time.

/// How long a cached SP is used before the store is asked again.
pub const TTL: Duration = Duration::from_secs(30);

/// An SP with its signing certificates ready for use.
#[derive(Debug)]
pub struct SpEntry {
    pub metadata: SpMetadata,
    pub certs: Vec<X509>,
}

#[derive(Default)]
pub struct SpCache {
    entries: RwLock<HashMap<String, (Instant, Arc<SpEntry>)>>,
}

impl SpCache {
    /// The SP whose entityID is `entity_id`, or a refusal naming the unknown issuer.
    pub async fn get(&self, store: &dyn Store, entity_id: &str) -> Result<Arc<SpEntry>> {
        if let Ok(map) = self.entries.read()
            && let Some((at, e)) = map.get(entity_id)
            && at.elapsed() < TTL
        {
            return Ok(e.clone());
        }
        let unknown = || {
            let shown: String = entity_id.chars().take(200).collect();
            Error::invalid("unknown_issuer", format!("Issuer `{shown}` is not an imported SP"))
        };
        if entity_id.is_empty() || entity_id.len() > 1024 {
            return Err(unknown());
        }
        let rec = store.get_sp(entity_id).await?;
        let Some(rec) = rec else { return Err(unknown()) };
        let metadata: SpMetadata = serde_json::from_str(&rec.parsed_json).map_err(Error::internal)?;
        let certs = crate::saml::dsig::certs_from_der(&metadata.signing_certs).map_err(Error::internal)?;
        let entry = Arc::new(SpEntry { metadata, certs });
        if let Ok(mut map) = self.entries.write() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(entity_id.to_owned(), (Instant::now(), entry.clone()));
        }
        Ok(entry)
    }

    /// Forget everything (after an import).
    pub fn clear(&self) {
        if let Ok(mut m) = self.entries.write() {
            m.clear();
        }
    }
}
