//! Imported SPs, parsed once and kept in memory for a short while, so the SSO hop does not re-read and
//! re-parse metadata and certificates for every request. Entries expire after `TTL`, so an import done
//! by another replica (or the CLI) is seen within that time.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::response::{IntoResponse, Response};
use openssl::x509::X509;

use super::{AppState, Internal, Refusal};
use crate::saml::metadata::SpMetadata;

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
    pub async fn get(&self, state: &AppState, entity_id: &str) -> Result<Arc<SpEntry>, Response> {
        if let Ok(map) = self.entries.read()
            && let Some((at, e)) = map.get(entity_id)
            && at.elapsed() < TTL
        {
            return Ok(e.clone());
        }
        let unknown = || {
            let shown: String = entity_id.chars().take(200).collect();
            Refusal::bad_request("unknown_issuer", format!("Issuer `{shown}` is not an imported SP")).into_response()
        };
        if entity_id.is_empty() || entity_id.len() > 1024 {
            return Err(unknown());
        }
        let rec = state.store.get_sp(entity_id).await.map_err(|e| Internal::from(e).into_response())?;
        let Some(rec) = rec else { return Err(unknown()) };
        let metadata: SpMetadata =
            serde_json::from_str(&rec.parsed_json).map_err(|e| Internal::from(e).into_response())?;
        let certs = crate::saml::dsig::certs_from_der(&metadata.signing_certs)
            .map_err(|e| Internal::from(e).into_response())?;
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
