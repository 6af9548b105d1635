//! Zero-downtime IdP key rollover, the gateway's half.
//!
//! * [`IdpState`] — the keys a running gateway signs with and publishes (the key set of the key
//!   directory, the signing key, `IDP Metadata.xml`). [`Gateway`] holds it in an `ArcSwap`: a hop
//!   costs one atomic load, and [`Gateway::reload_keys`] replaces it as a whole when the key
//!   directory changed — every minute from [`super::housekeeping`] and on SIGHUP — so each replica
//!   that mounts the shared directory follows a step run anywhere, without a restart.
//! * [`run_step`] — *prepare* → *activate* → *retire* as use cases for the CLI and the admin page:
//!   the files change under the key directory's lock ([`crate::keys::rollover`]), a step out of order
//!   is refused ([`Kind::Conflict`], nothing changed), `idp.metadata_file` is rewritten, and the step
//!   is audited (`keys.prepare`, `keys.activate`, `keys.retire`; fingerprints and subjects only, never
//!   key material).

use std::path::PathBuf;
use std::sync::Arc;

use super::setup::{self, SetupError, SetupResult};
use super::{AuditKind, Caller, Error, Gateway, Kind, Result, audit};
use crate::config::Settings;
use crate::keys::rollover::{self, KeySet, NextKeyOptions, RolloverError, Stage, Step, StepDone, fingerprint};
use crate::keys::{CertInfo, IdpKeys, KeyAlgorithm, KeyError};
use crate::saml::dsig::{DsigError, SignatureAlgorithm, SigningKey};
use crate::store::Store;
use crate::util::now_unix;

/// What a gateway signs with and publishes, swapped as a whole.
pub struct IdpState {
    /// The current key (signs), and the next key or the previous certificate of a rollover.
    pub keys: KeySet,
    /// The current key with its signature algorithm.
    pub signing_key: SigningKey,
    /// `IDP Metadata.xml` as served at `/saml/metadata`: every published certificate, current first.
    pub metadata: String,
    /// Set when `idp.signature_algorithm` does not fit the current key's family (a rollover from RSA
    /// to ECDSA or back): the key signs with its family's default and this says so.
    pub algorithm_note: Option<String>,
}

impl std::fmt::Debug for IdpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpState")
            .field("current", &fingerprint(&self.keys.current.cert))
            .field("stage", &self.keys.stage())
            .finish_non_exhaustive()
    }
}

impl IdpState {
    /// Reads the key directory and builds the signing key and the metadata.
    pub fn load(settings: &Settings) -> SetupResult<IdpState> {
        let keys = setup::load_key_set(settings)?;
        let configured: SignatureAlgorithm = settings
            .config
            .idp
            .signature_algorithm
            .parse()
            .map_err(|e| SetupError::Usage(format!("idp.signature_algorithm: {e}")))?;
        let (signing_key, algorithm_note) = signing_key_for(&keys.current, configured)?;
        let metadata = setup::idp_metadata(settings, &keys)?;
        Ok(IdpState { keys, signing_key, metadata, algorithm_note })
    }

    /// The current certificate's SHA-256 fingerprint.
    pub fn current_fingerprint(&self) -> String {
        fingerprint(&self.keys.current.cert)
    }

    /// The current certificate's details.
    pub fn current_info(&self) -> CertInfo {
        self.keys.current.info()
    }
}

/// The other family's default algorithm, for a key `configured` does not fit.
fn family_default(configured: SignatureAlgorithm) -> SignatureAlgorithm {
    match configured {
        SignatureAlgorithm::EcdsaSha256 => SignatureAlgorithm::RsaSha256,
        SignatureAlgorithm::RsaSha256 | SignatureAlgorithm::RsaSha512 => SignatureAlgorithm::EcdsaSha256,
    }
}

/// The signing key for `keys`: with `configured`, or — when the key is of the other family — with that
/// family's default, and a note saying so.
fn signing_key_for(keys: &IdpKeys, configured: SignatureAlgorithm) -> SetupResult<(SigningKey, Option<String>)> {
    let cannot =
        |e: DsigError| SetupError::Failure(format!("the IdP key cannot sign with idp.signature_algorithm: {e}"));
    match SigningKey::new(keys.pkey.clone(), keys.cert_der.clone(), configured) {
        Ok(k) => Ok((k, None)),
        Err(DsigError::AlgorithmKeyMismatch { .. }) => {
            let other = family_default(configured);
            let k = SigningKey::new(keys.pkey.clone(), keys.cert_der.clone(), other).map_err(cannot)?;
            let note = format!(
                "idp.signature_algorithm is {configured}, which does not fit the current IdP key ({}): signing \
                 with {other}; set idp.signature_algorithm = \"{other}\"",
                keys.info().key_description
            );
            Ok((k, Some(note)))
        }
        Err(e) => Err(cannot(e)),
    }
}

/// What kind of key `keys` holds, as `keys generate --algorithm` names it.
fn next_key_kind(keys: &IdpKeys) -> &'static str {
    match KeyAlgorithm::like(&keys.pkey) {
        KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
        KeyAlgorithm::Rsa2048 => "rsa2048",
        KeyAlgorithm::Rsa3072 => "rsa3072",
        KeyAlgorithm::Rsa4096 => "rsa4096",
    }
}

/// When `keys` (a next key, say) is of the other family than `idp.signature_algorithm`: the configured
/// algorithm and the one the key will sign with once it is current.
pub fn algorithm_change(keys: &IdpKeys, settings: &Settings) -> Option<(SignatureAlgorithm, SignatureAlgorithm)> {
    let configured: SignatureAlgorithm = settings.config.idp.signature_algorithm.parse().ok()?;
    match SigningKey::new(keys.pkey.clone(), keys.cert_der.clone(), configured) {
        Err(DsigError::AlgorithmKeyMismatch { .. }) => Some((configured, family_default(configured))),
        _ => None,
    }
}

impl Gateway {
    /// The keys this gateway signs with and publishes now (one atomic load).
    pub fn idp(&self) -> Arc<IdpState> {
        self.idp.load_full()
    }

    /// Reads the key directory again and, when its keys changed (a rollover step ran, here or on
    /// another replica), signs and publishes the new ones from the next request on. A directory that
    /// cannot be read keeps the keys in use (the error says why). Returns whether anything changed.
    pub async fn reload_keys(&self) -> SetupResult<bool> {
        let settings = self.settings.clone();
        let new = tokio::task::spawn_blocking(move || IdpState::load(&settings))
            .await
            .map_err(|e| SetupError::Failure(format!("the key reload task failed: {e}")))??;
        let old = self.idp();
        let changed = old.metadata != new.metadata
            || old.signing_key.cert_der() != new.signing_key.cert_der()
            || old.signing_key.algorithm() != new.signing_key.algorithm();
        if changed {
            tracing::info!(
                current = %new.current_fingerprint(),
                stage = new.keys.stage().as_str(),
                "the IdP keys changed in the key directory; signing with the current key and publishing {} certificate(s)",
                1 + usize::from(new.keys.next.is_some()) + usize::from(new.keys.previous.is_some())
            );
            if let Some(note) = &new.algorithm_note {
                tracing::warn!("{note}");
            }
            self.idp.store(Arc::new(new));
        }
        self.record_key_metrics();
        Ok(changed)
    }

    /// Sets `samlgate_idp_cert_expiry_seconds{state="current"}` (seconds until the current
    /// certificate's notAfter; negative once expired) and `samlgate_idp_keys{state}` (1 for each
    /// of current / next / previous that is there, else 0).
    pub fn record_key_metrics(&self) {
        let idp = self.idp();
        if let Some(t) = crate::keys::not_after_unix(&idp.keys.current.cert) {
            metrics::gauge!("samlgate_idp_cert_expiry_seconds", "state" => "current").set((t - now_unix()) as f64);
        }
        for (state, present) in
            [("current", true), ("next", idp.keys.next.is_some()), ("previous", idp.keys.previous.is_some())]
        {
            metrics::gauge!("samlgate_idp_keys", "state" => state).set(if present { 1.0 } else { 0.0 });
        }
    }
}

/// Options of *prepare* (ignored by the other steps).
#[derive(Debug, Clone)]
pub struct PrepareOptions {
    /// None: the current key's algorithm.
    pub algorithm: Option<KeyAlgorithm>,
    /// Subject CN; None: the host of `server.base_url`.
    pub cn: Option<String>,
    pub days: u32,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions { algorithm: None, cn: None, days: 3650 }
    }
}

/// What a step did.
#[derive(Debug)]
pub struct StepReport {
    pub done: StepDone,
    /// `idp.metadata_file`, rewritten for the keys now published; Err: why it could not be written
    /// (the step itself is done; `samlgate metadata export` writes it).
    pub metadata_file: std::result::Result<PathBuf, String>,
    /// A next key of the other family than `idp.signature_algorithm`: what to change.
    pub algorithm_note: Option<String>,
}

impl StepReport {
    /// The stage the rollover is in now.
    pub fn stage(&self) -> Stage {
        self.done.after.stage()
    }
}

fn refused(e: RolloverError) -> Error {
    match e {
        RolloverError::OutOfOrder { reason, message } => Error::refused(Kind::Conflict, reason, message),
        RolloverError::Key(KeyError::InvalidOption(m)) => Error::invalid("key_option", m),
        RolloverError::Key(e) => Error::internal(e),
    }
}

fn setup_refused(e: SetupError) -> Error {
    match e {
        SetupError::Usage(m) => Error::invalid("config", m),
        SetupError::Failure(m) => Error::internal(anyhow::anyhow!(m)),
    }
}

/// Runs a rollover step in the key directory (`actor`: who, `via`: `cli` or `admin`), rewrites
/// `idp.metadata_file` and audits the step. Refused ([`Kind::Conflict`], reason from
/// [`rollover::check_order`]) when it does not fit the stage; bad *prepare* options are
/// [`Kind::Invalid`].
pub async fn run_step(
    settings: &Settings,
    store: &dyn Store,
    step: Step,
    opts: &PrepareOptions,
    actor: &str,
    via: &str,
    caller: &Caller,
) -> Result<StepReport> {
    if step == Step::Prepare && !(1..=36500).contains(&opts.days) {
        return Err(Error::invalid("key_option", "the validity must be between 1 and 36500 days"));
    }
    let s = settings.clone();
    let opts = opts.clone();
    let who = actor.to_owned();
    let done = tokio::task::spawn_blocking(move || -> Result<StepDone> {
        let dir = setup::key_dir(&s);
        let pass = setup::passphrase(&s).map_err(setup_refused)?;
        let now = now_unix();
        let r = match step {
            Step::Prepare => {
                let next = NextKeyOptions {
                    algorithm: opts.algorithm,
                    subject_cn: opts.cn.clone().unwrap_or_else(|| setup::default_cn(&s)),
                    days: opts.days,
                    key_passphrase: pass,
                };
                rollover::prepare(&dir, &next, now, &who)
            }
            Step::Activate => {
                // Activating a key that idp.signature_algorithm does not fit would switch every SP to
                // another algorithm (Huawei verifies RSA-SHA256): the config must say so first.
                if let Ok(keys) = KeySet::load(&dir, pass.as_deref())
                    && let Some(next) = &keys.next
                    && let Some((configured, used)) = algorithm_change(next, &s)
                {
                    return Err(Error::refused(
                        Kind::Conflict,
                        "algorithm_change",
                        format!(
                            "the next key is {}, which idp.signature_algorithm ({configured}) does not fit: activating \
                             it would sign with {used} for every SP (Huawei's SP verifies RSA-SHA256). Set \
                             idp.signature_algorithm = \"{used}\" on every replica first if every SP accepts it, or \
                             prepare a key of the current family instead",
                            next_key_kind(next)
                        ),
                    ));
                }
                rollover::activate(&dir, pass.as_deref(), now, &who)
            }
            Step::Retire => rollover::retire(&dir, pass.as_deref(), now, &who),
        };
        r.map_err(refused)
    })
    .await
    .map_err(Error::internal)??;

    let metadata_file = setup::idp_metadata(settings, &done.after)
        .and_then(|xml| {
            let path = settings.resolve(&settings.config.idp.metadata_file);
            setup::write_file(&path, xml.as_bytes())?;
            Ok(path)
        })
        .map_err(|e| e.to_string());
    if let Err(why) = &metadata_file {
        tracing::warn!("rollover {step}: the IdP metadata file was not rewritten: {why}");
    }
    let algorithm_note = done.after.next.as_ref().and_then(|next| {
        algorithm_change(next, settings).map(|(configured, used)| {
            format!(
                "the next key is {}, which idp.signature_algorithm ({configured}) does not fit: *activate* is \
                 refused until idp.signature_algorithm = \"{used}\" is set on every replica (only if every SP \
                 accepts {used}; Huawei's SP verifies RSA-SHA256)",
                next.info().key_description
            )
        })
    });
    store.append_audit(&audit_event(&done, via, actor, caller)).await?;
    tracing::info!(step = step.as_str(), actor, via, stage = done.after.stage().as_str(), "IdP key rollover step done");
    Ok(StepReport { done, metadata_file, algorithm_note })
}

fn audit_event(done: &StepDone, via: &str, actor: &str, caller: &Caller) -> crate::store::NewAuditEvent {
    let after = &done.after;
    let describe = |i: CertInfo| {
        serde_json::json!({
            "sha256": i.sha256_fingerprint,
            "subject": i.subject,
            "not_after": i.not_after,
            "key": i.key_description,
        })
    };
    let (kind, key) = match done.step {
        Step::Prepare => (AuditKind::KeysPrepare, after.next.as_ref().map(IdpKeys::info)),
        Step::Activate => (AuditKind::KeysActivate, Some(after.current.info())),
        Step::Retire => (AuditKind::KeysRetire, done.before.previous.as_ref().map(crate::keys::cert_info)),
    };
    let subject = key.as_ref().map(|k| k.sha256_fingerprint.clone()).unwrap_or_default();
    let detail = serde_json::json!({
        "via": via,
        "key": key.map(describe),
        "stage": after.stage().as_str(),
        "current": fingerprint(&after.current.cert),
        "next": after.next.as_ref().map(|k| fingerprint(&k.cert)),
        "previous": after.previous.as_ref().map(fingerprint),
        "files": done.files.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    audit::event(kind, actor, &subject, detail, caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_of_the_other_family_signs_with_its_default_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let paths = crate::keys::KeyPaths::in_dir(tmp.path());
        let opts = crate::keys::GenerateOptions {
            algorithm: KeyAlgorithm::EcdsaP256,
            subject_cn: "idp.test".into(),
            days: 30,
            ca: None,
            key_passphrase: None,
        };
        crate::keys::generate(&paths, &opts, false).unwrap();
        let keys = IdpKeys::load(&paths.key, &paths.cert, None).unwrap();
        let (k, note) = signing_key_for(&keys, SignatureAlgorithm::RsaSha256).unwrap();
        assert_eq!(k.algorithm(), SignatureAlgorithm::EcdsaSha256);
        assert!(note.unwrap().contains("ecdsa-sha256"));
        let (k, note) = signing_key_for(&keys, SignatureAlgorithm::EcdsaSha256).unwrap();
        assert_eq!(k.algorithm(), SignatureAlgorithm::EcdsaSha256);
        assert!(note.is_none());
    }
}
