//! Zero-downtime rollover of the IdP signing key. Everything lives in the key directory (the directory
//! of the config's `idp.key`), so every replica that mounts it signs with and publishes the same keys:
//!
//! | file | what |
//! |---|---|
//! | `idp.key`, `idp.crt` (the config's `idp.key` / `idp.cert`) | the **current** key: it signs |
//! | `idp-next.key`, `idp-next.crt` | the **next** key (after *prepare*): published beside the current one, not signing yet |
//! | `idp-previous.crt` | the **previous** certificate (after *activate*): still published; its private key is gone |
//! | `idp-rollover.json` | the state: each key's SHA-256 fingerprint and since when, the last step, when, by whom |
//! | `.idp-rollover.lock` | `flock`ed exclusively by a step and shared by a reader |
//! | `retired/` | the certificates *retire* moved aside (public; kept to check old signatures) |
//!
//! The steps go *prepare* (make and publish the next key) → *activate* (sign with it; the old
//! certificate stays published as the previous one) → *retire* (stop publishing the previous one);
//! each refuses to run out of that order ([`RolloverError::OutOfOrder`]).
//!
//! The state file is the commit point of every step: the files a step adds are written before it,
//! the files it drops are removed after it, and a reader looks each key up by the fingerprint the state
//! names (the current key in `idp.*`, or still in `idp-next.*` while an activation is half done). So a
//! reader — or a start after a crash in the middle of a step — sees the keys of the step before or of
//! the step after, never a mixture; the next step first tidies what a crashed one left
//! ([`settle`]). Without a state file the directory holds just the current key.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use openssl::x509::X509;
use serde::{Deserialize, Serialize};

use super::{
    CertInfo, GenerateOptions, IdpKeys, KeyAlgorithm, KeyError, KeyPaths, cert_info, check_private_key_file_mode,
    colon_hex, generate, io_err, not_before_unix, ossl, read_certs, write_atomic,
};

/// The state file's name in the key directory.
pub const STATE_FILE: &str = "idp-rollover.json";
/// The lock file's name in the key directory.
pub const LOCK_FILE: &str = ".idp-rollover.lock";
pub const NEXT_KEY_FILE: &str = "idp-next.key";
pub const NEXT_CERT_FILE: &str = "idp-next.crt";
pub const PREVIOUS_CERT_FILE: &str = "idp-previous.crt";
/// Where *retire* moves the previous certificate.
pub const RETIRED_DIR: &str = "retired";

const STATE_FORMAT: u32 = 1;
const MAX_STATE_BYTES: u64 = 64 * 1024;
/// A reader that finds the files and the state disagreeing (a writer without the lock, e.g. an
/// orchestrator updating a mounted secret file by file) tries this often, a little later each time.
const READ_ATTEMPTS: u32 = 3;

/// The files of the key directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDir {
    pub dir: PathBuf,
    pub current_key: PathBuf,
    pub current_cert: PathBuf,
    pub next_key: PathBuf,
    pub next_cert: PathBuf,
    pub previous_cert: PathBuf,
    pub state: PathBuf,
    pub lock: PathBuf,
    pub retired: PathBuf,
}

impl KeyDir {
    /// The key directory of the current key's files (the config's `idp.key` / `idp.cert`).
    pub fn new(current_key: &Path, current_cert: &Path) -> KeyDir {
        let dir = match current_key.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        KeyDir {
            current_key: current_key.to_path_buf(),
            current_cert: current_cert.to_path_buf(),
            next_key: dir.join(NEXT_KEY_FILE),
            next_cert: dir.join(NEXT_CERT_FILE),
            previous_cert: dir.join(PREVIOUS_CERT_FILE),
            state: dir.join(STATE_FILE),
            lock: dir.join(LOCK_FILE),
            retired: dir.join(RETIRED_DIR),
            dir,
        }
    }
}

/// The role of a key in the rollover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Signs, and is published first.
    Current,
    /// Published beside the current key, ready to be activated.
    Next,
    /// Published after the switch; no longer signs.
    Previous,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Current => "current",
            KeyState::Next => "next",
            KeyState::Previous => "previous",
        }
    }
}

/// Where the rollover stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// One key (no rollover under way): *prepare* comes next.
    Single,
    /// A next key is published: upload the metadata in Partner Center, then *activate*.
    Prepared,
    /// The new key signs, the previous certificate is still published: *retire* comes next.
    Activated,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Single => "single",
            Stage::Prepared => "prepared",
            Stage::Activated => "activated",
        }
    }
}

/// A rollover step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Prepare,
    Activate,
    Retire,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Prepare => "prepare",
            Step::Activate => "activate",
            Step::Retire => "retire",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state file (`idp-rollover.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloverState {
    /// 1.
    pub format: u32,
    pub current: StateKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<StateKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<StateKey>,
    /// The last step: `prepare`, `activate`, `retire`, or `replace` (`keys generate` / `keys import`).
    pub step: String,
    /// Unix seconds.
    pub changed_at: i64,
    /// Who ran it (the admin's name, or `cli`).
    pub changed_by: String,
}

/// A key as the state file names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateKey {
    /// SHA-256 fingerprint of the certificate's DER (`AB:CD:…`).
    pub sha256: String,
    /// Unix seconds since the key has this role.
    pub since: i64,
}

/// The keys of the directory, each checked: the current key (signs), the next key (published,
/// after *prepare*), the previous certificate (published, after *activate*).
#[derive(Debug, Clone)]
pub struct KeySet {
    pub current: IdpKeys,
    pub next: Option<IdpKeys>,
    pub previous: Option<X509>,
    /// The state file as read; None without one (one key, no rollover ever).
    pub state: Option<RolloverState>,
}

/// One line of `keys show` and of the admin page.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub state: KeyState,
    pub info: CertInfo,
    /// Since when it has this role (Unix seconds), from the state file.
    pub since: Option<i64>,
}

impl KeySet {
    /// Reads the directory under a shared lock (when the lock file exists), trying again a little
    /// later when the files and the state disagree.
    pub fn load(dir: &KeyDir, passphrase: Option<&str>) -> Result<KeySet, KeyError> {
        let mut attempt = 1;
        loop {
            let result = {
                let _lock = DirLock::shared(dir);
                KeySet::load_unlocked(dir, passphrase)
            };
            match result {
                Ok(k) => return Ok(k),
                Err(e) if attempt >= READ_ATTEMPTS => return Err(e),
                Err(_) => {
                    std::thread::sleep(std::time::Duration::from_millis(100 * u64::from(attempt)));
                    attempt += 1;
                }
            }
        }
    }

    fn load_unlocked(dir: &KeyDir, passphrase: Option<&str>) -> Result<KeySet, KeyError> {
        let Some(state) = read_state(&dir.state)? else {
            let current = load_pair(&dir.current_key, &dir.current_cert, passphrase)?;
            return Ok(KeySet { current, next: None, previous: None, state: None });
        };
        let current = find_pair(
            KeyState::Current,
            &state.current.sha256,
            &[(&dir.current_key, &dir.current_cert), (&dir.next_key, &dir.next_cert)],
            passphrase,
            &dir.state,
        )?;
        let next = match &state.next {
            Some(n) => {
                Some(find_pair(KeyState::Next, &n.sha256, &[(&dir.next_key, &dir.next_cert)], passphrase, &dir.state)?)
            }
            None => None,
        };
        let previous = match &state.previous {
            Some(p) => Some(find_cert(&p.sha256, &[&dir.previous_cert, &dir.current_cert], &dir.state)?),
            None => None,
        };
        Ok(KeySet { current, next, previous, state: Some(state) })
    }

    pub fn stage(&self) -> Stage {
        match (&self.next, &self.previous) {
            (Some(_), _) => Stage::Prepared,
            (None, Some(_)) => Stage::Activated,
            (None, None) => Stage::Single,
        }
    }

    /// The certificates to publish in the IdP metadata (DER): the current one first, then the next
    /// or the previous one.
    pub fn published_der(&self) -> Result<Vec<Vec<u8>>, KeyError> {
        let mut out = vec![self.current.cert_der.clone()];
        if let Some(n) = &self.next {
            out.push(n.cert_der.clone());
        }
        if let Some(p) = &self.previous {
            out.push(p.to_der().map_err(ossl("encoding the previous certificate"))?);
        }
        Ok(out)
    }

    /// Every key with its role, the current one first.
    pub fn rows(&self) -> Vec<KeyRow> {
        let since = |f: fn(&RolloverState) -> Option<&StateKey>| self.state.as_ref().and_then(f).map(|k| k.since);
        let mut rows =
            vec![KeyRow { state: KeyState::Current, info: self.current.info(), since: since(|s| Some(&s.current)) }];
        if let Some(n) = &self.next {
            rows.push(KeyRow { state: KeyState::Next, info: n.info(), since: since(|s| s.next.as_ref()) });
        }
        if let Some(p) = &self.previous {
            rows.push(KeyRow { state: KeyState::Previous, info: cert_info(p), since: since(|s| s.previous.as_ref()) });
        }
        rows
    }
}

/// The SHA-256 fingerprint of a certificate (`AB:CD:…`).
pub fn fingerprint(cert: &X509) -> String {
    cert.digest(openssl::hash::MessageDigest::sha256()).map(|d| colon_hex(&d)).unwrap_or_else(|_| "?".into())
}

fn same_fingerprint(a: &str, b: &str) -> bool {
    matches!((crate::util::parse_fingerprint(a), crate::util::parse_fingerprint(b)), (Some(x), Some(y)) if x == y)
}

/// A key file (mode 0600 required) and its certificate.
fn load_pair(key: &Path, cert: &Path, passphrase: Option<&str>) -> Result<IdpKeys, KeyError> {
    check_private_key_file_mode(key)?;
    IdpKeys::load(key, cert, passphrase)
}

/// The first candidate pair whose certificate has fingerprint `want` and whose key belongs to it.
fn find_pair(
    role: KeyState,
    want: &str,
    candidates: &[(&PathBuf, &PathBuf)],
    passphrase: Option<&str>,
    state: &Path,
) -> Result<IdpKeys, KeyError> {
    let mut failure = None;
    for (key, cert) in candidates {
        let Ok(certs) = read_certs(cert) else { continue };
        if !certs.first().is_some_and(|c| same_fingerprint(&fingerprint(c), want)) {
            continue;
        }
        match load_pair(key, cert, passphrase) {
            Ok(k) => return Ok(k),
            Err(e) => failure = Some(e),
        }
    }
    Err(failure.unwrap_or_else(|| {
        let names: Vec<String> = candidates.iter().map(|(_, c)| c.display().to_string()).collect();
        KeyError::Rollover(format!(
            "{} names the {} key {want}, but no certificate with that fingerprint is in {} (run `samlgate keys show`)",
            state.display(),
            role.as_str(),
            names.join(" or ")
        ))
    }))
}

fn find_cert(want: &str, candidates: &[&PathBuf], state: &Path) -> Result<X509, KeyError> {
    for path in candidates {
        if let Ok(certs) = read_certs(path)
            && let Some(c) = certs.into_iter().next()
            && same_fingerprint(&fingerprint(&c), want)
        {
            return Ok(c);
        }
    }
    Err(KeyError::Rollover(format!(
        "{} names the previous certificate {want}, but {} is not it (run `samlgate keys show`)",
        state.display(),
        candidates.first().map(|p| p.display().to_string()).unwrap_or_default()
    )))
}

/// The state file, or None when there is none.
pub fn read_state(path: &Path) -> Result<Option<RolloverState>, KeyError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    if meta.len() > MAX_STATE_BYTES {
        return Err(KeyError::Rollover(format!("{}: larger than {MAX_STATE_BYTES} bytes", path.display())));
    }
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    let state: RolloverState = serde_json::from_str(&text)
        .map_err(|e| KeyError::Rollover(format!("{}: not a rollover state file: {e}", path.display())))?;
    if state.format != STATE_FORMAT {
        return Err(KeyError::Rollover(format!(
            "{}: format {} is not {STATE_FORMAT} (written by a newer samlgate?)",
            path.display(),
            state.format
        )));
    }
    Ok(Some(state))
}

fn write_state(path: &Path, state: &RolloverState) -> Result<(), KeyError> {
    let mut json = serde_json::to_string_pretty(state)
        .map_err(|e| KeyError::Rollover(format!("cannot encode the rollover state: {e}")))?;
    json.push('\n');
    write_atomic(path, json.as_bytes(), 0o644)
}

/// An advisory lock on the key directory (`flock` on [`LOCK_FILE`]), released when dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: fs::File,
}

impl DirLock {
    /// Exclusive, for a step; waits for the one running. Creates the lock file (empty, mode 0600).
    pub fn exclusive(dir: &KeyDir) -> Result<DirLock, KeyError> {
        fs::create_dir_all(&dir.dir).map_err(io_err(&dir.dir))?;
        let mut opts = fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&dir.lock).map_err(io_err(&dir.lock))?;
        file.lock().map_err(io_err(&dir.lock))?;
        Ok(DirLock { _file: file })
    }

    /// Shared, for a reader; None when there is no lock file (no step ever ran here, or a read-only
    /// mount) or it cannot be locked.
    fn shared(dir: &KeyDir) -> Option<DirLock> {
        let file = fs::File::open(&dir.lock).ok()?;
        file.lock_shared().ok()?;
        Some(DirLock { _file: file })
    }
}

/// Why a step did not run.
#[derive(Debug, thiserror::Error)]
pub enum RolloverError {
    /// The step does not fit the stage the rollover is in; nothing was changed.
    #[error("{message}")]
    OutOfOrder { reason: &'static str, message: String },
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// A file a step wrote, removed or moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    Wrote(PathBuf),
    Removed(PathBuf),
    Moved { from: PathBuf, to: PathBuf },
}

impl fmt::Display for FileChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileChange::Wrote(p) => write!(f, "wrote {}", p.display()),
            FileChange::Removed(p) => write!(f, "removed {}", p.display()),
            FileChange::Moved { from, to } => write!(f, "moved {} to {}", from.display(), to.display()),
        }
    }
}

/// What a step did.
#[derive(Debug, Clone)]
pub struct StepDone {
    pub step: Step,
    pub before: KeySet,
    pub after: KeySet,
    pub files: Vec<FileChange>,
}

/// Refuses `step` when it does not fit the stage of `keys`, with the way on.
pub fn check_order(keys: &KeySet, step: Step) -> Result<(), RolloverError> {
    let fp = |c: &X509| fingerprint(c);
    let refuse = |reason: &'static str, message: String| Err(RolloverError::OutOfOrder { reason, message });
    match (step, keys.stage()) {
        (Step::Prepare, Stage::Single) | (Step::Activate, Stage::Prepared) | (Step::Retire, Stage::Activated) => Ok(()),
        (Step::Prepare, Stage::Prepared) => refuse(
            "next_key_exists",
            format!(
                "a next key is already prepared (SHA-256 {}): upload IDP Metadata.xml in Partner Center, then \
                 activate it (`samlgate keys rollover activate`)",
                keys.next.as_ref().map(|k| fp(&k.cert)).unwrap_or_default()
            ),
        ),
        (Step::Prepare, Stage::Activated) => refuse(
            "previous_key_published",
            format!(
                "the previous key (SHA-256 {}) is still published: retire it first (`samlgate keys rollover retire`)",
                keys.previous.as_ref().map(fp).unwrap_or_default()
            ),
        ),
        (Step::Activate, Stage::Single) => refuse(
            "no_next_key",
            "no next key is prepared: prepare one first (`samlgate keys rollover prepare`)".into(),
        ),
        (Step::Activate, Stage::Activated) => refuse(
            "already_activated",
            "the next key is already active and no other one is prepared: retire the previous key \
             (`samlgate keys rollover retire`) before a new rollover"
                .into(),
        ),
        (Step::Retire, Stage::Single) => {
            refuse("no_previous_key", "there is no previous key to retire (no rollover is under way)".into())
        }
        (Step::Retire, Stage::Prepared) => refuse(
            "not_activated",
            "the next key is not active yet: activate it first (`samlgate keys rollover activate`), then retire \
             the old one"
                .into(),
        ),
    }
}

fn state_of_current(keys: &KeySet) -> StateKey {
    match &keys.state {
        Some(s) => s.current.clone(),
        None => StateKey {
            sha256: fingerprint(&keys.current.cert),
            since: not_before_unix(&keys.current.cert).unwrap_or_default(),
        },
    }
}

/// Finishes what a step that stopped half-way (a crash) left in the directory, for the state it
/// committed: a current key still only in `idp-next.*` is moved to the current files; next files the
/// state does not name (an unfinished *prepare*) are removed; a previous certificate it does not name
/// (an unfinished *retire*) is moved aside. Run under the exclusive lock.
pub fn settle(dir: &KeyDir, keys: &KeySet, now: i64) -> Result<Vec<FileChange>, KeyError> {
    let mut files = Vec::new();
    // `copy_next_to_current` writes the key before the certificate: a current certificate file that
    // is the current key's means its key file is too.
    let cert_in_place = read_certs(&dir.current_cert)
        .ok()
        .and_then(|c| c.into_iter().next())
        .and_then(|c| c.to_der().ok())
        .is_some_and(|der| der == keys.current.cert_der);
    if !cert_in_place {
        copy_next_to_current(dir, &mut files)?;
    }
    if keys.next.is_none() {
        for p in [&dir.next_key, &dir.next_cert] {
            if p.exists() {
                fs::remove_file(p).map_err(io_err(p))?;
                files.push(FileChange::Removed(p.clone()));
            }
        }
    }
    if keys.previous.is_none() && dir.previous_cert.exists() {
        files.push(move_aside(dir, now)?);
    }
    Ok(files)
}

fn copy_next_to_current(dir: &KeyDir, files: &mut Vec<FileChange>) -> Result<(), KeyError> {
    let key = fs::read(&dir.next_key).map_err(io_err(&dir.next_key))?;
    let cert = fs::read(&dir.next_cert).map_err(io_err(&dir.next_cert))?;
    write_atomic(&dir.current_key, &key, 0o600)?;
    files.push(FileChange::Wrote(dir.current_key.clone()));
    write_atomic(&dir.current_cert, &cert, 0o644)?;
    files.push(FileChange::Wrote(dir.current_cert.clone()));
    for p in [&dir.next_key, &dir.next_cert] {
        fs::remove_file(p).map_err(io_err(p))?;
        files.push(FileChange::Removed(p.clone()));
    }
    Ok(())
}

/// Moves `idp-previous.crt` to `retired/idp-<UTC time>-<fingerprint prefix>.crt`.
fn move_aside(dir: &KeyDir, now: i64) -> Result<FileChange, KeyError> {
    let stamp = time::OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|t| t.format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z")).ok())
        .unwrap_or_else(|| now.to_string());
    let fp: String = read_certs(&dir.previous_cert)
        .ok()
        .and_then(|c| c.into_iter().next())
        .map(|c| fingerprint(&c).replace(':', "").chars().take(16).collect())
        .unwrap_or_else(|| "unreadable".into());
    fs::create_dir_all(&dir.retired).map_err(io_err(&dir.retired))?;
    let to = dir.retired.join(format!("idp-{stamp}-{fp}.crt"));
    fs::rename(&dir.previous_cert, &to).map_err(io_err(&dir.previous_cert))?;
    Ok(FileChange::Moved { from: dir.previous_cert.clone(), to })
}

/// The start of every step: the exclusive lock, the keys as they are, what a crashed step left tidied.
fn begin(dir: &KeyDir, passphrase: Option<&str>, now: i64) -> Result<(DirLock, KeySet, Vec<FileChange>), KeyError> {
    let lock = DirLock::exclusive(dir)?;
    let keys = KeySet::load_unlocked(dir, passphrase)?;
    let files = settle(dir, &keys, now)?;
    Ok((lock, keys, files))
}

/// What *prepare* makes.
#[derive(Debug, Clone)]
pub struct NextKeyOptions {
    /// None: the current key's algorithm ([`KeyAlgorithm::like`]).
    pub algorithm: Option<KeyAlgorithm>,
    pub subject_cn: String,
    /// Validity of the self-signed certificate, in days.
    pub days: u32,
    /// Encrypts the next key (as the current one: the config's `idp.key_passphrase_*`).
    pub key_passphrase: Option<String>,
}

/// *prepare*: makes the next key (self-signed) into `idp-next.key` (mode 0600) and `idp-next.crt`,
/// and names it in the state, so it is published beside the current key.
pub fn prepare(dir: &KeyDir, next: &NextKeyOptions, now: i64, actor: &str) -> Result<StepDone, RolloverError> {
    let passphrase = next.key_passphrase.as_deref();
    let (_lock, before, mut files) = begin(dir, passphrase, now)?;
    check_order(&before, Step::Prepare)?;
    let opts = GenerateOptions {
        algorithm: next.algorithm.unwrap_or_else(|| KeyAlgorithm::like(&before.current.pkey)),
        subject_cn: next.subject_cn.clone(),
        days: next.days,
        ca: None,
        key_passphrase: next.key_passphrase.clone(),
    };
    let paths = KeyPaths {
        key: dir.next_key.clone(),
        cert: dir.next_cert.clone(),
        // Not written: `opts.ca` is None.
        ca_key: dir.dir.join("ca.key"),
        ca_cert: dir.dir.join("ca.crt"),
        chain: dir.dir.join("chain.pem"),
    };
    let made = generate(&paths, &opts, true)?;
    files.extend(made.files.into_iter().map(FileChange::Wrote));
    let state = RolloverState {
        format: STATE_FORMAT,
        current: state_of_current(&before),
        next: Some(StateKey { sha256: made.cert.sha256_fingerprint.clone(), since: now }),
        previous: None,
        step: Step::Prepare.as_str().into(),
        changed_at: now,
        changed_by: actor.into(),
    };
    write_state(&dir.state, &state)?;
    files.push(FileChange::Wrote(dir.state.clone()));
    let after = KeySet::load_unlocked(dir, passphrase)?;
    Ok(StepDone { step: Step::Prepare, before, after, files })
}

/// *activate*: the next key becomes the current one (its files are copied over the config's
/// `idp.key` / `idp.cert`, then removed), the old certificate stays published as `idp-previous.crt`.
/// The old private key is overwritten: nothing signs with it again.
pub fn activate(dir: &KeyDir, passphrase: Option<&str>, now: i64, actor: &str) -> Result<StepDone, RolloverError> {
    let (_lock, before, mut files) = begin(dir, passphrase, now)?;
    check_order(&before, Step::Activate)?;
    let Some(next) = &before.next else { unreachable!("check_order: Prepared has a next key") };
    let now_asn1 = openssl::asn1::Asn1Time::from_unix(now).map_err(ossl("reading the clock"))?;
    if next.cert.not_after() < now_asn1 {
        return Err(KeyError::Expired { path: dir.next_cert.clone(), not_after: next.info().not_after }.into());
    }
    let old_pem = before.current.cert.to_pem().map_err(ossl("encoding the certificate"))?;
    write_atomic(&dir.previous_cert, &old_pem, 0o644)?;
    files.push(FileChange::Wrote(dir.previous_cert.clone()));
    let state = RolloverState {
        format: STATE_FORMAT,
        current: StateKey { sha256: fingerprint(&next.cert), since: now },
        next: None,
        previous: Some(StateKey { sha256: fingerprint(&before.current.cert), since: now }),
        step: Step::Activate.as_str().into(),
        changed_at: now,
        changed_by: actor.into(),
    };
    write_state(&dir.state, &state)?;
    files.push(FileChange::Wrote(dir.state.clone()));
    copy_next_to_current(dir, &mut files)?;
    let after = KeySet::load_unlocked(dir, passphrase)?;
    Ok(StepDone { step: Step::Activate, before, after, files })
}

/// *retire*: the previous certificate is no longer published; `idp-previous.crt` is moved aside to
/// `retired/` (its private key was already overwritten by *activate*).
pub fn retire(dir: &KeyDir, passphrase: Option<&str>, now: i64, actor: &str) -> Result<StepDone, RolloverError> {
    let (_lock, before, mut files) = begin(dir, passphrase, now)?;
    check_order(&before, Step::Retire)?;
    let state = RolloverState {
        format: STATE_FORMAT,
        current: state_of_current(&before),
        next: None,
        previous: None,
        step: Step::Retire.as_str().into(),
        changed_at: now,
        changed_by: actor.into(),
    };
    write_state(&dir.state, &state)?;
    files.push(FileChange::Wrote(dir.state.clone()));
    if dir.previous_cert.exists() {
        files.push(move_aside(dir, now)?);
    }
    let after = KeySet::load_unlocked(dir, passphrase)?;
    Ok(StepDone { step: Step::Retire, before, after, files })
}

/// Replaces the current key outside a rollover (`keys generate --force`, `keys import`): `replace`
/// writes the new files; refused while a rollover is under way. A state file is rewritten to name the
/// new key.
pub fn replace_current<T>(
    dir: &KeyDir,
    now: i64,
    actor: &str,
    replace: impl FnOnce() -> Result<T, KeyError>,
) -> Result<T, RolloverError> {
    let _lock = DirLock::exclusive(dir)?;
    let state = read_state(&dir.state)?;
    if let Some(s) = &state
        && (s.next.is_some() || s.previous.is_some())
    {
        let what = if s.next.is_some() { "a next key is prepared" } else { "the previous key is still published" };
        return Err(RolloverError::OutOfOrder {
            reason: "rollover_in_progress",
            message: format!(
                "a key rollover is under way ({what}): finish it with `samlgate keys rollover activate` / `retire` \
                 instead of replacing the current key"
            ),
        });
    }
    let out = replace()?;
    if state.is_some() {
        let cert = read_certs(&dir.current_cert)?.remove(0);
        let new = RolloverState {
            format: STATE_FORMAT,
            current: StateKey { sha256: fingerprint(&cert), since: now },
            next: None,
            previous: None,
            step: "replace".into(),
            changed_at: now,
            changed_by: actor.into(),
        };
        write_state(&dir.state, &new)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> NextKeyOptions {
        NextKeyOptions { algorithm: None, subject_cn: "idp.test".into(), days: 30, key_passphrase: None }
    }

    fn setup() -> (tempfile::TempDir, KeyDir) {
        let tmp = tempfile::tempdir().unwrap();
        let paths = KeyPaths::in_dir(tmp.path());
        let first = GenerateOptions {
            algorithm: KeyAlgorithm::EcdsaP256,
            subject_cn: "idp.test".into(),
            days: 30,
            ca: None,
            key_passphrase: None,
        };
        generate(&paths, &first, false).unwrap();
        (tmp, KeyDir::new(&paths.key, &paths.cert))
    }

    #[test]
    fn the_three_steps_in_order_and_refused_out_of_order() {
        let (_tmp, dir) = setup();
        let first = KeySet::load(&dir, None).unwrap();
        assert_eq!(first.stage(), Stage::Single);
        assert_eq!(first.published_der().unwrap().len(), 1);
        for step in [Step::Activate, Step::Retire] {
            let e = match step {
                Step::Activate => activate(&dir, None, 100, "t"),
                _ => retire(&dir, None, 100, "t"),
            };
            assert!(matches!(e, Err(RolloverError::OutOfOrder { .. })), "{step}");
        }

        let p = prepare(&dir, &opts(), 1000, "t").unwrap();
        assert_eq!(p.after.stage(), Stage::Prepared);
        let next_fp = fingerprint(&p.after.next.as_ref().unwrap().cert);
        assert_eq!(p.after.published_der().unwrap().len(), 2);
        assert_eq!(p.after.current.cert_der, first.current.cert_der, "the current key still signs");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&dir.next_key).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let e = prepare(&dir, &opts(), 1001, "t").unwrap_err();
        assert!(matches!(e, RolloverError::OutOfOrder { reason: "next_key_exists", .. }), "{e}");
        assert!(matches!(
            retire(&dir, None, 1001, "t"),
            Err(RolloverError::OutOfOrder { reason: "not_activated", .. })
        ));

        let a = activate(&dir, None, 2000, "t").unwrap();
        assert_eq!(a.after.stage(), Stage::Activated);
        assert_eq!(fingerprint(&a.after.current.cert), next_fp);
        assert_eq!(a.after.previous.as_ref().unwrap().to_der().unwrap(), first.current.cert_der);
        assert!(!dir.next_key.exists() && !dir.next_cert.exists());
        assert!(dir.previous_cert.exists());
        let on_disk = IdpKeys::load(&dir.current_key, &dir.current_cert, None).unwrap();
        assert_eq!(fingerprint(&on_disk.cert), next_fp, "the config's files hold the new key");
        assert!(matches!(prepare(&dir, &opts(), 2001, "t"), Err(RolloverError::OutOfOrder { .. })));
        assert!(matches!(activate(&dir, None, 2001, "t"), Err(RolloverError::OutOfOrder { .. })));

        let r = retire(&dir, None, 3000, "t").unwrap();
        assert_eq!(r.after.stage(), Stage::Single);
        assert_eq!(r.after.published_der().unwrap().len(), 1);
        assert!(!dir.previous_cert.exists());
        assert_eq!(fs::read_dir(&dir.retired).unwrap().count(), 1);
        let state = read_state(&dir.state).unwrap().unwrap();
        assert_eq!(state.step, "retire");
        assert!(same_fingerprint(&state.current.sha256, &next_fp));
    }

    /// A crash after the state was committed but before the files were copied: readers find the
    /// current key in the next files, and the following step puts it in place.
    #[test]
    fn a_half_done_activation_is_read_right_and_finished_by_the_next_step() {
        let (_tmp, dir) = setup();
        prepare(&dir, &opts(), 1000, "t").unwrap();
        let before = KeySet::load(&dir, None).unwrap();
        let next = before.next.clone().unwrap();
        // What `activate` does up to its commit point, and no further.
        write_atomic(&dir.previous_cert, &before.current.cert.to_pem().unwrap(), 0o644).unwrap();
        let state = RolloverState {
            format: STATE_FORMAT,
            current: StateKey { sha256: fingerprint(&next.cert), since: 2000 },
            next: None,
            previous: Some(StateKey { sha256: fingerprint(&before.current.cert), since: 2000 }),
            step: "activate".into(),
            changed_at: 2000,
            changed_by: "t".into(),
        };
        write_state(&dir.state, &state).unwrap();
        let mid = KeySet::load(&dir, None).unwrap();
        assert_eq!(mid.current.cert_der, next.cert_der);
        assert_eq!(mid.stage(), Stage::Activated);
        retire(&dir, None, 3000, "t").unwrap();
        let on_disk = IdpKeys::load(&dir.current_key, &dir.current_cert, None).unwrap();
        assert_eq!(on_disk.cert_der, next.cert_der);
        assert!(!dir.next_key.exists());
    }

    #[test]
    fn a_state_naming_a_missing_key_is_an_error_and_replacing_is_refused_mid_rollover() {
        let (_tmp, dir) = setup();
        prepare(&dir, &opts(), 1000, "t").unwrap();
        let e = replace_current(&dir, 1001, "t", || Ok(())).unwrap_err();
        assert!(matches!(e, RolloverError::OutOfOrder { reason: "rollover_in_progress", .. }));
        fs::remove_file(&dir.next_cert).unwrap();
        let e = KeySet::load(&dir, None).unwrap_err();
        assert!(e.to_string().contains("next key"), "{e}");
    }
}
