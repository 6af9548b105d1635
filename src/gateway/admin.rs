//! The admin users of `/admin`: argon2id password hashes in the store (added with `samlgate admin
//! add-user` or on `/admin/users`, seen by every replica at once) and in `[[admin.users]]` of the config
//! file; checking a sign-in against them in constant work.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::config::{self, AdminUser};

/// Shortest password `admin add-user` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// argon2id (default parameters, random salt) PHC string of `password`.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// A PHC hash of a random password with the default parameters: verified against when the name is
/// unknown, so a wrong name costs as much time as a wrong password.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password(&config::random_secret()).unwrap_or_default())
}

/// Checks `name` and `password` against `users`; the same argon2 work is done whether or not the name
/// exists, and names are compared in constant time.
pub fn verify_password(users: &[AdminUser], name: &str, password: &str) -> bool {
    let user =
        users.iter().find(|u| u.name.len() == name.len() && openssl::memcmp::eq(u.name.as_bytes(), name.as_bytes()));
    let hash = user.map(|u| u.password_hash.as_str()).unwrap_or_else(|| dummy_hash());
    let ok = Argon2::default().verify_password(password.as_bytes(), hash).is_ok();
    ok && user.is_some()
}

/// Failed sign-ins an account may have before it is locked.
pub const LOCKOUT_FREE_FAILURES: u32 = 5;
/// The first lock lasts this long; each further failure doubles it, up to [`LOCKOUT_MAX_SECS`].
pub const LOCKOUT_BASE_SECS: i64 = 30;
pub const LOCKOUT_MAX_SECS: i64 = 900;
/// Failures older than this (with no lock in force) are forgotten.
const FAILURE_MEMORY_SECS: i64 = 3600;
/// Accounts tracked at most (names are whatever was typed); beyond it, unlocked ones are forgotten.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: i64,
    locked_until: i64,
}

/// Per-account sign-in lockout with back-off, next to the per-address rate limit: after
/// [`LOCKOUT_FREE_FAILURES`] wrong passwords for one name, sign-ins for that name are refused (even with
/// the right password) for 30 s, then 60 s, 120 s … up to 15 min per further failure. Names that do
/// not exist are tracked alike, so the answers do not tell which names exist. Per process: with N
/// replicas an attacker gets up to N times the free failures.
#[derive(Debug, Default)]
pub struct AdminLockout {
    accounts: std::sync::Mutex<std::collections::HashMap<String, Failures>>,
}

impl AdminLockout {
    /// Seconds left on `name`'s lock, if it is locked at `now`.
    pub fn locked_for(&self, name: &str, now: i64) -> Option<i64> {
        let map = self.accounts.lock().ok()?;
        map.get(name).map(|f| f.locked_until - now).filter(|left| *left > 0)
    }

    /// Counts a failed sign-in; returns the length of the lock it starts, if it starts one.
    pub fn record_failure(&self, name: &str, now: i64) -> Option<i64> {
        let mut map = self.accounts.lock().ok()?;
        if map.len() >= MAX_TRACKED && !map.contains_key(name) {
            // Forget what no longer counts; if that is not enough, the longest-idle unlocked names
            // (flooding the table with throwaway names must not reset a real account's count first).
            map.retain(|_, f| f.locked_until > now || now.saturating_sub(f.last) <= FAILURE_MEMORY_SECS);
            if map.len() >= MAX_TRACKED {
                let mut idle: Vec<(i64, String)> =
                    map.iter().filter(|(_, f)| f.locked_until <= now).map(|(k, f)| (f.last, k.clone())).collect();
                idle.sort();
                for (_, k) in idle.into_iter().take(map.len() + 1 - MAX_TRACKED / 2) {
                    map.remove(&k);
                }
            }
        }
        let f = map.entry(name.to_owned()).or_insert(Failures { count: 0, last: now, locked_until: 0 });
        if f.locked_until <= now && now.saturating_sub(f.last) > FAILURE_MEMORY_SECS {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
        if f.count < LOCKOUT_FREE_FAILURES {
            return None;
        }
        let doublings = (f.count - LOCKOUT_FREE_FAILURES).min(16);
        let secs = LOCKOUT_BASE_SECS.saturating_mul(1i64 << doublings).min(LOCKOUT_MAX_SECS);
        f.locked_until = now.saturating_add(secs);
        Some(secs)
    }

    /// A successful sign-in clears the account's failures.
    pub fn clear(&self, name: &str) {
        if let Ok(mut map) = self.accounts.lock() {
            map.remove(name);
        }
    }
}

/// Whether `name` is acceptable as a sign-in name (letters, digits, `.`, `_`, `-`, `@`; at most 64).
pub fn valid_admin_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// Where an admin user is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSource {
    /// `[[admin.users]]` of the config file (changed by editing the file).
    Config,
    /// The store (CLI `admin add-user`, `/admin/users`); overrides a config user of the same name.
    Store,
}

/// An admin user as the admin pages and the CLI list it.
#[derive(Debug, Clone)]
pub struct AdminUserInfo {
    pub user: AdminUser,
    pub source: UserSource,
    /// When its password was last set (store users only).
    pub updated_at: Option<i64>,
}

/// Why a user change was refused.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error("no admin user `{0}`")]
    NotFound(String),
    #[error("admin user `{0}` is defined in the config file's [[admin.users]]: change or remove it there")]
    InConfig(String),
    #[error("`{0}` is the last admin user: add another one first")]
    Last(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The store's session `user_id` of an admin session (never a customer's: those are xUserIds, which
/// cannot contain the separator).
pub fn admin_session_user_id(name: &str) -> String {
    format!("admin\u{1f}{name}")
}

/// The admin users: those of the store, and those of the config file whose name the store does not
/// have (by name).
pub async fn list_users(
    store: &dyn crate::store::Store,
    config_users: &[AdminUser],
) -> Result<Vec<AdminUserInfo>, crate::store::StoreError> {
    let stored = store.list_admin_users().await?;
    let mut out: Vec<AdminUserInfo> = stored
        .into_iter()
        .map(|r| AdminUserInfo {
            user: AdminUser { name: r.name, password_hash: r.password_hash },
            source: UserSource::Store,
            updated_at: Some(r.updated_at),
        })
        .collect();
    for u in config_users {
        if !out.iter().any(|i| i.user.name == u.name) {
            out.push(AdminUserInfo { user: u.clone(), source: UserSource::Config, updated_at: None });
        }
    }
    out.sort_by(|a, b| a.user.name.cmp(&b.user.name));
    Ok(out)
}

/// Adds `name` to the store (or gives it a new password there), audited `admin.user_added` or
/// `admin.password_changed` with `actor`; returns whether it existed. The password needs
/// [`MIN_PASSWORD_CHARS`] characters; only its argon2id hash is stored.
pub async fn put_user(
    store: &dyn crate::store::Store,
    config_users: &[AdminUser],
    name: &str,
    password: &str,
    actor: &str,
    caller: &super::audit::Caller,
) -> Result<bool, UserError> {
    if !valid_admin_name(name) {
        return Err(UserError::Invalid("the name must be 1–64 letters, digits, `.`, `_`, `-` or `@`".into()));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UserError::Invalid(format!("the password must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > 1024 {
        return Err(UserError::Invalid("the password is too long (at most 1024 bytes)".into()));
    }
    if config_users.iter().any(|u| u.name == name) {
        return Err(UserError::InConfig(name.to_owned()));
    }
    let pw = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| UserError::Invalid(e.to_string()))?
        .map_err(UserError::Invalid)?;
    let existed = store.put_admin_user(name, &hash, crate::util::now_unix()).await?;
    // A new password ends the user's sessions and revokes the API tokens it made (a stolen session
    // and what it minted among them).
    let mut detail = serde_json::json!({});
    if existed {
        store.delete_sessions_for_user(&admin_session_user_id(name)).await?;
        detail = serde_json::json!({"tokens_revoked": super::api_tokens::revoke_tokens_of(store, name).await?});
    }
    let kind = if existed { super::AuditKind::AdminPasswordChanged } else { super::AuditKind::AdminUserAdded };
    super::audit::audit_done(store, &super::audit::event(kind, actor, name, detail, caller)).await;
    Ok(existed)
}

/// Removes a store user, audited `admin.user_removed`. Config users are removed in the file; the last
/// admin user is never removed (nobody could sign in to add one).
pub async fn remove_user(
    store: &dyn crate::store::Store,
    config_users: &[AdminUser],
    name: &str,
    actor: &str,
    caller: &super::audit::Caller,
) -> Result<(), UserError> {
    let users = list_users(store, config_users).await?;
    let Some(u) = users.iter().find(|u| u.user.name == name) else {
        return Err(UserError::NotFound(name.to_owned()));
    };
    if u.source == UserSource::Config {
        return Err(UserError::InConfig(name.to_owned()));
    }
    // A config user of the same name stays after the store's is removed.
    let config_twin = config_users.iter().any(|c| c.name == name);
    if users.len() == 1 && !config_twin {
        return Err(UserError::Last(name.to_owned()));
    }
    if !store.delete_admin_user(name).await? {
        return Err(UserError::NotFound(name.to_owned()));
    }
    store.delete_sessions_for_user(&admin_session_user_id(name)).await?;
    let revoked = super::api_tokens::revoke_tokens_of(store, name).await?;
    let detail = serde_json::json!({"tokens_revoked": revoked});
    let event = super::audit::event(super::AuditKind::AdminUserRemoved, actor, name, detail, caller);
    super::audit::audit_done(store, &event).await;
    Ok(())
}

impl super::Gateway {
    /// Every admin user (store and config file), read from the store each time: a user added or
    /// removed on another replica counts at once.
    pub async fn admin_users(&self) -> super::Result<Vec<AdminUser>> {
        Ok(list_users(self.store.as_ref(), &self.settings.config.admin.users)
            .await?
            .into_iter()
            .map(|u| u.user)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_backs_off_and_clears() {
        let l = AdminLockout::default();
        for _ in 0..LOCKOUT_FREE_FAILURES - 1 {
            assert_eq!(l.record_failure("ops", 1000), None);
        }
        assert_eq!(l.locked_for("ops", 1000), None);
        assert_eq!(l.record_failure("ops", 1000), Some(30));
        assert_eq!(l.locked_for("ops", 1010), Some(20));
        assert_eq!(l.locked_for("other", 1010), None, "per account");
        assert_eq!(l.record_failure("ops", 1031), Some(60));
        assert_eq!(l.record_failure("ops", 1100), Some(120));
        for _ in 0..40 {
            l.record_failure("ops", 2000);
        }
        assert_eq!(l.locked_for("ops", 2000), Some(LOCKOUT_MAX_SECS));
        l.clear("ops");
        assert_eq!(l.locked_for("ops", 2000), None);
    }

    #[test]
    fn passwords_verify_only_for_the_right_user() {
        let h = hash_password("correct horse battery").unwrap();
        let users = vec![AdminUser { name: "ops".into(), password_hash: h }];
        assert!(verify_password(&users, "ops", "correct horse battery"));
        assert!(!verify_password(&users, "ops", "wrong horse battery"));
        assert!(!verify_password(&users, "nobody", "correct horse battery"));
        assert!(valid_admin_name("ops.admin@x") && !valid_admin_name("a b") && !valid_admin_name(""));
    }
}
