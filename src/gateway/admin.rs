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
    let mut c = config::load_from(path, &[])?.config;
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
    c.validate()?;
    write_config(path, &c)?;
    Ok(replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

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
