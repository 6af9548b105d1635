//! First-run setup and key loading: what `init`, `serve`, `demo` and every other command need before
//! the gateway can answer — the config file (written with working defaults when missing), the IdP key
//! and certificate (generated when missing), `IDP Metadata.xml` and Huawei's bundled SP metadata.
//!
//! Errors say whether the operator got something wrong ([`SetupError::Usage`], a config key or a
//! missing variable) or the machine failed ([`SetupError::Failure`]); the CLI maps them to exit codes
//! 2 and 1.

use std::path::Path;

use crate::config::{self, Config, ConfigError, Settings, Site};
use crate::keys::rollover::{KeyDir, KeySet};
use crate::keys::{self, GenerateOptions, IdpKeys, KeyAlgorithm, KeyPaths};
use crate::saml::metadata::{self, IdpMetadataParams};
use crate::saml::xml::XmlWriteError;

/// Why setup could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The operator's configuration or options are wrong (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// Something failed on the way (exit code 1).
    #[error("{0}")]
    Failure(String),
}

impl From<ConfigError> for SetupError {
    fn from(e: ConfigError) -> Self {
        SetupError::Usage(e.to_string())
    }
}

impl From<keys::KeyError> for SetupError {
    fn from(e: keys::KeyError) -> Self {
        SetupError::Failure(e.to_string())
    }
}

impl From<XmlWriteError> for SetupError {
    fn from(e: XmlWriteError) -> Self {
        SetupError::Failure(format!("cannot write XML: {e}"))
    }
}

pub type SetupResult<T> = Result<T, SetupError>;

/// Writes a file atomically (see [`crate::util::fs::write_atomic`]) with the mode the file already has
/// (0644 for a new one); the error names it.
pub fn write_file(path: &Path, bytes: &[u8]) -> SetupResult<()> {
    write_with_mode(path, bytes, existing_mode(path))
}

/// The permission bits `path` has now (0644 for a missing file; always 0644 off unix).
fn existing_mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o644)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0o644
    }
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> SetupResult<()> {
    crate::util::fs::write_atomic(path, bytes, mode)
        .map_err(|e| SetupError::Failure(format!("cannot write {}: {e}", path.display())))
}

/// Writes a config file. A config that holds a secret (`handoff.secret`, `handoff.previous_secret`)
/// is written readable by its owner only (0600 for a new file; group and other bits dropped from an
/// existing one's mode); otherwise the file keeps its mode.
pub fn write_config(path: &Path, c: &Config) -> SetupResult<()> {
    let mode = existing_mode(path);
    let mode = if holds_secret(c) { (mode & 0o700) | 0o600 } else { mode };
    write_with_mode(path, c.to_toml().as_bytes(), mode)
}

fn holds_secret(c: &Config) -> bool {
    !c.handoff.secret.is_empty() || c.handoff.previous_secret.is_some() || c.server.metrics_token.is_some()
}

/// The hand-off secrets in use: the current one and, during a rotation, the previous one.
#[derive(Clone)]
pub struct HandoffSecrets {
    pub current: String,
    pub previous: Option<String>,
}

impl std::fmt::Debug for HandoffSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandoffSecrets").field("previous", &self.previous.is_some()).finish_non_exhaustive()
    }
}

/// Longest secret file read, in bytes.
const MAX_SECRET_FILE_BYTES: u64 = 4096;

/// Refuses a file holding a secret that group or others can read; `what` names the config key.
fn check_secret_mode(what: &str, path: &Path) -> SetupResult<()> {
    match crate::util::fs::loose_mode(path) {
        Ok(None) => Ok(()),
        Ok(Some(mode)) => Err(SetupError::Usage(format!(
            "{} holds {what} and is readable by group or others (mode {mode:o}); run `chmod 600 {}`",
            path.display(),
            path.display()
        ))),
        Err(e) => Err(SetupError::Usage(format!("{what} {} cannot be read: {e}", path.display()))),
    }
}

/// Reads a secret from the file named by config key `what` (mode 0600, one line, ≥ 32 characters).
fn read_secret_file(s: &Settings, what: &str, file: &str, min_len: usize) -> SetupResult<String> {
    let path = s.resolve(file);
    check_secret_mode(what, &path)?;
    let unreadable = |e: String| SetupError::Usage(format!("{what} {} cannot be read: {e}", path.display()));
    let len = std::fs::metadata(&path).map_err(|e| unreadable(e.to_string()))?.len();
    if len > MAX_SECRET_FILE_BYTES {
        return Err(unreadable(format!("it is over {MAX_SECRET_FILE_BYTES} bytes")));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.to_string()))?;
    let secret = text.trim_end_matches(['\n', '\r']).to_owned();
    if secret.chars().count() < min_len {
        return Err(SetupError::Usage(format!(
            "{what} {}: the secret must be at least {min_len} characters",
            path.display()
        )));
    }
    Ok(secret)
}

/// The hand-off secrets, from the config, its secret files or the environment. Refused when a file
/// holding one of them (the config file itself included) is readable by group or others.
pub fn handoff_secrets(s: &Settings) -> SetupResult<HandoffSecrets> {
    if let Some(key) = s.secrets_in_file.first() {
        check_secret_mode(key, &s.path)?;
    }
    let ho = &s.config.handoff;
    let min = config::MIN_SECRET_LEN;
    let current = match &ho.secret_file {
        Some(f) => read_secret_file(s, "handoff.secret_file", f, min)?,
        None => ho.secret.clone(),
    };
    let previous = match (&ho.previous_secret_file, &ho.previous_secret) {
        (Some(f), _) => Some(read_secret_file(s, "handoff.previous_secret_file", f, min)?),
        (None, p) => p.clone(),
    };
    Ok(HandoffSecrets { current, previous })
}

/// The bearer token `/metrics` requires, if one is configured (`server.metrics_token[_file]`).
pub fn metrics_token(s: &Settings) -> SetupResult<Option<String>> {
    match (&s.config.server.metrics_token_file, &s.config.server.metrics_token) {
        (Some(f), _) => Ok(Some(read_secret_file(s, "server.metrics_token_file", f, config::MIN_METRICS_TOKEN_LEN)?)),
        (None, t) => Ok(t.clone()),
    }
}

/// Loads the config, writing a fresh one first when the file does not exist; with options on an
/// existing file (`init --base-url …`) only those keys are updated.
pub fn ensure_config(
    path: &Path,
    base_url: Option<&str>,
    x_account_type: Option<&str>,
    site: Option<Site>,
) -> SetupResult<Settings> {
    if !path.exists() {
        let c = Config::for_init(base_url, x_account_type, site);
        c.validate()?;
        write_config(path, &c)?;
        tracing::info!(path = %path.display(), "wrote a new config file with defaults");
    } else if base_url.is_some() || x_account_type.is_some() || site.is_some() {
        let mut c = config::load_as_written(path)?;
        c.apply_init_options(base_url, x_account_type, site);
        c.validate_as_written()?;
        write_config(path, &c)?;
    }
    Ok(config::load(path)?)
}

/// Loads the config of a command that works on an existing install (everything but `init`, `serve`
/// and `demo`): a missing file is a usage error naming the path, and nothing is written — a mistyped
/// `--config` must not create a fresh, empty install.
pub fn existing_config(path: &Path) -> SetupResult<Settings> {
    if !path.exists() {
        return Err(SetupError::Usage(format!("no config at {} (run `samlgate init` first)", path.display())));
    }
    Ok(config::load(path)?)
}

/// Where the IdP key, certificate, CA and chain files live for these settings.
pub fn key_paths(s: &Settings) -> KeyPaths {
    let key = s.resolve(&s.config.idp.key);
    let cert = s.resolve(&s.config.idp.cert);
    let dir = key.parent().map(Path::to_path_buf).unwrap_or_else(|| s.dir.clone());
    KeyPaths {
        key,
        cert,
        ca_key: dir.join("ca.key"),
        ca_cert: dir.join("ca.crt"),
        chain: s.config.idp.chain.as_deref().map(|c| s.resolve(c)).unwrap_or_else(|| dir.join("chain.pem")),
    }
}

/// The passphrase of an encrypted IdP key: from `idp.key_passphrase_env` or `idp.key_passphrase_file`.
pub fn passphrase(s: &Settings) -> SetupResult<Option<String>> {
    if let Some(var) = &s.config.idp.key_passphrase_env {
        return std::env::var(var)
            .map(Some)
            .map_err(|_| SetupError::Usage(format!("idp.key_passphrase_env names {var}, which is not set")));
    }
    if let Some(file) = &s.config.idp.key_passphrase_file {
        let path = s.resolve(file);
        check_secret_mode("idp.key_passphrase_file", &path)?;
        let text = std::fs::read_to_string(&path).map_err(|e| {
            SetupError::Usage(format!("idp.key_passphrase_file {} cannot be read: {e}", path.display()))
        })?;
        let pass = text.trim_end_matches(['\n', '\r']).to_owned();
        if pass.is_empty() {
            return Err(SetupError::Usage(format!("idp.key_passphrase_file {} is empty", path.display())));
        }
        return Ok(Some(pass));
    }
    Ok(None)
}

/// The key directory: the current key's files (`idp.key`, `idp.cert`) and, beside them, the next and
/// previous keys of a rollover and its state (see [`crate::keys::rollover`]).
pub fn key_dir(s: &Settings) -> KeyDir {
    let p = key_paths(s);
    KeyDir::new(&p.key, &p.cert)
}

/// Loads every IdP key of the key directory: the current one (which signs) and, during a rollover,
/// the next key or the previous certificate. A key file group or others can read is refused.
pub fn load_key_set(s: &Settings) -> SetupResult<KeySet> {
    let pass = passphrase(s)?;
    Ok(KeySet::load(&key_dir(s), pass.as_deref())?)
}

/// Loads the current IdP key and certificate (the one that signs); see [`load_key_set`].
pub fn load_keys(s: &Settings) -> SetupResult<IdpKeys> {
    Ok(load_key_set(s)?.current)
}

/// The certificate subject CN by default: the host of the base URL.
pub fn default_cn(s: &Settings) -> String {
    url::Url::parse(&s.config.server.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "samlgate".into())
}

/// `IDP Metadata.xml` for the keys and settings: one signing KeyDescriptor (and one for encryption)
/// per published certificate — the current one first, then the next key (after `keys rollover
/// prepare`) or the previous one (after `activate`, until `retire`).
pub fn idp_metadata(settings: &Settings, keys: &KeySet) -> SetupResult<String> {
    let sso = settings.sso_url();
    Ok(metadata::idp_metadata_xml(&IdpMetadataParams {
        entity_id: settings.config.idp.entity_id.clone(),
        sso_redirect_url: sso.clone(),
        sso_post_url: sso,
        slo_redirect_url: settings.slo_url(),
        signing_certs_der: keys.published_der()?,
        valid_until: None,
    })?)
}

/// Writes `IDP Metadata.xml` to `idp.metadata_file` and returns its path.
pub fn write_idp_metadata(settings: &Settings) -> SetupResult<std::path::PathBuf> {
    let keys = load_key_set(settings)?;
    let xml = idp_metadata(settings, &keys)?;
    let path = settings.resolve(&settings.config.idp.metadata_file);
    write_file(&path, xml.as_bytes())?;
    Ok(path)
}

/// Config, keys, IdP metadata file and Huawei's bundled SP metadata: everything `serve` needs,
/// created when missing.
pub fn ensure_initialized(
    path: &Path,
    base_url: Option<&str>,
    x_account_type: Option<&str>,
    site: Option<Site>,
) -> SetupResult<Settings> {
    let settings = ensure_config(path, base_url, x_account_type, site)?;
    let p = key_paths(&settings);
    if !p.key.exists() && !p.cert.exists() {
        let algorithm = if settings.config.idp.signature_algorithm == "ecdsa-sha256" {
            KeyAlgorithm::EcdsaP256
        } else {
            KeyAlgorithm::Rsa2048
        };
        let opts = GenerateOptions {
            algorithm,
            subject_cn: default_cn(&settings),
            days: 3650,
            ca: None,
            key_passphrase: passphrase(&settings)?,
        };
        keys::generate(&p, &opts, false)?;
        tracing::info!(key = %p.key.display(), cert = %p.cert.display(), "generated a new IdP key and certificate");
    }
    let keys = load_key_set(&settings)?;
    let xml = idp_metadata(&settings, &keys)?;
    let mpath = settings.resolve(&settings.config.idp.metadata_file);
    if std::fs::read_to_string(&mpath).ok().as_deref() != Some(xml.as_str()) {
        write_file(&mpath, xml.as_bytes())?;
    }
    let sp = settings.resolve(&settings.config.huawei.sp_metadata);
    if settings.config.huawei.sp_metadata == Config::default().huawei.sp_metadata && !sp.exists() {
        write_file(&sp, crate::huawei::BUNDLED_SP_METADATA.as_bytes())?;
    }
    Ok(settings)
}

/// Warnings about values that will not work against the real Huawei Cloud (printed by `init`, logged
/// by `serve`).
pub fn init_warnings(c: &Config) -> Vec<String> {
    let mut w = Vec::new();
    if !c.idp.entity_id.starts_with("https://") {
        w.push(format!(
            "idp.entity_id `{}` is not https: Huawei requires https:// for a production entityID",
            c.idp.entity_id
        ));
    }
    if !c.server.base_url.starts_with("https://") {
        w.push(format!("server.base_url `{}` is not https: fine for local trials only", c.server.base_url));
    }
    if c.huawei.x_account_type == config::PLACEHOLDER_X_ACCOUNT_TYPE {
        w.push("huawei.x_account_type is still the placeholder: set the value shown on Partner Center's Access Configuration page".into());
    }
    if c.huawei.bp_id.as_deref().is_none_or(|b| b.trim().is_empty()) {
        w.push(crate::huawei::BP_ID_WARNING.into());
    }
    if c.server.trust_forwarded_for {
        w.push(if c.server.trusted_proxies.is_empty() {
            "server.trust_forwarded_for is deprecated: it trusts the rightmost X-Forwarded-For entry from any peer; \
             list your proxies in server.trusted_proxies instead"
                .into()
        } else {
            "server.trust_forwarded_for is deprecated and ignored because server.trusted_proxies is set: remove it"
                .into()
        });
    }
    w
}
