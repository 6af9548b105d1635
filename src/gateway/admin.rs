//! The admin users of `/admin`: argon2id password hashes in `[[admin.users]]` of the config file, and
//! checking a sign-in against them in constant work.

use std::path::Path;
use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use super::setup::{SetupError, SetupResult, ensure_config, write_config};
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

/// Adds `name` to `[[admin.users]]` of the config file at `path` (or gives it a new password). Only
/// the hash is stored; the file as written is kept (no `SAMLGATE_*` overrides baked in). Returns
/// whether an existing user got a new password.
pub fn add_user(path: &Path, name: &str, password: &str) -> SetupResult<bool> {
    if !valid_admin_name(name) {
        return Err(SetupError::Usage("NAME must be 1–64 letters, digits, `.`, `_`, `-` or `@`".into()));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(SetupError::Usage(format!("the password must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    ensure_config(path, None, None, None)?;
    let mut c = config::load_as_written(path)?;
    let hash = hash_password(password).map_err(SetupError::Failure)?;
    let replaced = match c.admin.users.iter_mut().find(|u| u.name == name) {
        Some(u) => {
            u.password_hash = hash;
            true
        }
        None => {
            c.admin.users.push(AdminUser { name: name.to_owned(), password_hash: hash });
            false
        }
    };
    c.validate_as_written()?;
    write_config(path, &c)?;
    Ok(replaced)
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
