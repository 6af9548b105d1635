//! Bearer tokens of the JSON admin API (`/admin/api/v1/`): created by an admin (`samlgate admin token
//! create`, `/admin/users`), shown once, kept only as the SHA-256 of the token (a 256-bit random value,
//! so a fast hash is enough), looked up by that hash and compared in constant time, revocable. Every
//! creation, revocation and refused use is audited; the token itself never is, nor logged.

use openssl::sha::sha256;

use super::audit::{Caller, audit_done, event};
use super::{AuditKind, Error, Kind, Result};
use crate::store::{ApiTokenRecord, Store};
use crate::util::now_unix;

/// What every token starts with (so a leaked one is recognisable in logs and scanners).
pub const TOKEN_PREFIX: &str = "sgt_";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The admin API (`/admin/api/v1/`): everything the admin pages do.
    Admin,
    /// Minting signed assertions: `POST /admin/api/v1/assertions` (given only when asked for; the
    /// `admin` scope does not include it).
    Assertions,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Admin, Scope::Assertions];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Admin => "admin",
            Scope::Assertions => "assertions",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// A token as listed (never the token itself).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    pub name: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub expires_at: Option<i64>,
}

impl TokenInfo {
    /// Whether it still works at `now` (neither revoked nor expired).
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

impl From<ApiTokenRecord> for TokenInfo {
    fn from(r: ApiTokenRecord) -> Self {
        TokenInfo {
            name: r.name,
            scopes: r.scopes.split_whitespace().map(str::to_owned).collect(),
            created_by: r.created_by,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
            expires_at: r.expires_at,
        }
    }
}

/// The token that authenticated a request.
#[derive(Debug, Clone)]
pub struct TokenUser {
    pub name: String,
    pub scopes: Vec<Scope>,
}

impl TokenUser {
    /// The actor of the audit events its calls cause: `token:NAME`.
    pub fn actor(&self) -> String {
        format!("token:{}", self.name)
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// Lowercase hex SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha256(token.as_bytes()))
}

/// Whether `name` is acceptable as a token name (as an admin user's: letters, digits, `.`, `_`, `-`,
/// `@`; at most 64).
pub fn valid_token_name(name: &str) -> bool {
    super::admin::valid_admin_name(name)
}

/// How long a token lives when its creator does not say (days).
pub const DEFAULT_TOKEN_DAYS: u32 = 90;
/// The longest lifetime a token may be given (days); longer needs `--no-expiry`, said explicitly.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// When a token created at `now` for `days` expires (`None`: never); refused outside 1..=[`MAX_TOKEN_DAYS`].
pub fn expiry(now: i64, days: Option<u32>) -> Result<Option<i64>> {
    match days {
        None => Ok(None),
        Some(d) if (1..=MAX_TOKEN_DAYS).contains(&d) => Ok(Some(now + i64::from(d) * 86_400)),
        Some(_) => Err(Error::invalid("token_days", format!("a token lives 1 to {MAX_TOKEN_DAYS} days"))),
    }
}

/// Reads scope names (`admin` when none is given); the error names the unknown one.
pub fn parse_scopes<S: AsRef<str>>(names: &[S]) -> Result<Vec<Scope>> {
    let mut out = Vec::new();
    for n in names {
        let s = Scope::parse(n.as_ref()).ok_or_else(|| {
            Error::invalid("scope", format!("unknown scope `{}` (known: admin, assertions)", n.as_ref().trim()))
        })?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        out.push(Scope::Admin);
    }
    Ok(out)
}

/// Creates a token `name` with `scopes` (by `actor`), expiring at `expires_at` (`None`: never),
/// audited `admin.token_created` (its name, scopes and expiry, never the token). Returns the token —
/// the only time it is seen — and what is stored. Refused when the name is malformed or a live token
/// has it (a revoked or expired one is replaced). When the audit event cannot be written the token is
/// revoked again before the error is returned: no working token exists that the audit does not name.
pub async fn create_token(
    store: &dyn Store,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<i64>,
    actor: &str,
    caller: &Caller,
) -> Result<(String, TokenInfo)> {
    if !valid_token_name(name) {
        return Err(Error::invalid("token_name", "a token name is 1–64 letters, digits, `.`, `_`, `-` or `@`"));
    }
    let mut raw = [0u8; 32];
    openssl::rand::rand_bytes(&mut raw).map_err(Error::internal)?;
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(raw));
    let scopes = if scopes.is_empty() { vec![Scope::Admin] } else { scopes.to_vec() };
    let rec = ApiTokenRecord {
        name: name.to_owned(),
        token_hash: token_hash(&token),
        scopes: scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
        created_by: actor.to_owned(),
        created_at: now_unix(),
        last_used_at: None,
        revoked_at: None,
        expires_at,
    };
    if !store.insert_api_token(&rec).await? {
        return Err(Error::refused(
            Kind::Conflict,
            "token_exists",
            format!("a token named `{name}` exists; revoke it first or choose another name"),
        ));
    }
    let detail = serde_json::json!({
        "scopes": rec.scopes.split(' ').collect::<Vec<_>>(),
        "expires_at": rec.expires_at,
    });
    if let Err(e) = store.append_audit(&event(AuditKind::ApiTokenCreated, actor, name, detail, caller)).await {
        if let Err(undo) = store.revoke_api_token(name, now_unix()).await {
            tracing::error!(token = name, error = %undo, "cannot revoke the unaudited API token");
        }
        return Err(e.into());
    }
    Ok((token, rec.into()))
}

/// Revokes the live token `name`, audited `admin.token_revoked`. Refused (not found) when there is
/// none. The revocation stands even when its audit event cannot be written (the error is logged and
/// counted in `samlgate_audit_dropped_total{why="store"}`): the caller is not told it failed.
pub async fn revoke_token(store: &dyn Store, name: &str, actor: &str, caller: &Caller) -> Result<()> {
    if !store.revoke_api_token(name, now_unix()).await? {
        return Err(Error::refused(Kind::NotFound, "no_token", format!("no live API token named `{name}`")));
    }
    audit_done(store, &event(AuditKind::ApiTokenRevoked, actor, name, serde_json::json!({}), caller)).await;
    Ok(())
}

/// Revokes every live token `creator` made (called when that admin user is removed or gets a new
/// password: a stolen session's tokens die with it); the names revoked.
pub async fn revoke_tokens_of(store: &dyn Store, creator: &str) -> Result<Vec<String>, crate::store::StoreError> {
    store.revoke_api_tokens_created_by(creator, now_unix()).await
}

/// Every token (live and revoked), by name.
pub async fn list_tokens(store: &dyn Store) -> Result<Vec<TokenInfo>> {
    Ok(store.list_api_tokens().await?.into_iter().map(TokenInfo::from).collect())
}

/// Why a presented token was refused; the message (never the token) goes into the refusal's audit
/// event `request.refused`, written within the refusal budget like every other refusal.
fn refuse_use(why: &'static str, name: &str) -> Error {
    let message = match why {
        "missing" => "send `Authorization: Bearer <token>` (create one with `samlgate admin token create NAME`)".into(),
        "malformed" => "the Authorization header is not `Bearer sgt_…`".into(),
        "revoked" => format!("the API token `{name}` was revoked"),
        "expired" => format!("the API token `{name}` has expired (create a new one)"),
        _ => "unknown API token".into(),
    };
    Error::refused(Kind::Unauthenticated, "api_token", message)
}

/// The token of an `Authorization` header value: the `Bearer` scheme in any case (RFC 9110 §11.1),
/// then the token; `""` for another scheme or a value that is not text (refused as malformed).
pub fn bearer_token(header_value: &[u8]) -> &str {
    let Ok(s) = std::str::from_utf8(header_value) else { return "" };
    let s = s.trim();
    match s.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => "",
    }
}

/// Checks the bearer token a request presented (`None`: no `Authorization` header); the token is
/// looked up by its hash and the hashes compared in constant time. A refusal is audited as every
/// refusal is (`request.refused`, within the per-client budget; the revoked token's name, never the
/// token): a flood of bad tokens cannot write to the store at line rate.
pub async fn verify_token(store: &dyn Store, presented: Option<&str>, _caller: &Caller) -> Result<TokenUser> {
    let (why, name) = match presented {
        None => ("missing", String::new()),
        Some(t) if !t.starts_with(TOKEN_PREFIX) || t.len() != TOKEN_PREFIX.len() + 64 => ("malformed", String::new()),
        Some(t) => {
            let hash = token_hash(t);
            match store.get_api_token_by_hash(&hash).await? {
                Some(r)
                    if r.token_hash.len() == hash.len()
                        && openssl::memcmp::eq(r.token_hash.as_bytes(), hash.as_bytes()) =>
                {
                    let now = now_unix();
                    if r.revoked_at.is_some() {
                        ("revoked", r.name)
                    } else if r.expires_at.is_some_and(|e| e <= now) {
                        ("expired", r.name)
                    } else {
                        if let Err(e) = store.touch_api_token(&r.name, now).await {
                            tracing::warn!(error = %e, "cannot record the API token's use");
                        }
                        let scopes = r.scopes.split_whitespace().filter_map(Scope::parse).collect();
                        return Ok(TokenUser { name: r.name, scopes });
                    }
                }
                _ => ("unknown", String::new()),
            }
        }
    };
    Err(refuse_use(why, &name))
}

/// Refuses a token without `scope` (403).
pub fn require_scope(user: &TokenUser, scope: Scope) -> Result<()> {
    if user.has(scope) {
        Ok(())
    } else {
        Err(Error::refused(
            Kind::Forbidden,
            "api_scope",
            format!("the token `{}` lacks the `{}` scope", user.name, scope.as_str()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_default_to_admin_and_unknown_ones_are_named() {
        assert_eq!(parse_scopes::<&str>(&[]).unwrap(), vec![Scope::Admin]);
        assert_eq!(parse_scopes(&["assertions", "admin", "admin"]).unwrap(), vec![Scope::Assertions, Scope::Admin]);
        let e = parse_scopes(&["root"]).unwrap_err();
        assert!(e.to_string().contains("`root`"), "{e}");
        assert_eq!(token_hash("x").len(), 64);
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        for h in ["Bearer sgt_x", "bearer sgt_x", "BEARER  sgt_x ", "bEaReR sgt_x"] {
            assert_eq!(bearer_token(h.as_bytes()), "sgt_x", "{h}");
        }
        for h in ["Basic sgt_x", "Bearersgt_x", "sgt_x", ""] {
            assert_eq!(bearer_token(h.as_bytes()), "", "{h}");
        }
        assert_eq!(bearer_token(b"Bearer \xff"), "");
    }

    #[test]
    fn expiry_is_bounded() {
        assert_eq!(expiry(100, None).unwrap(), None);
        assert_eq!(expiry(100, Some(1)).unwrap(), Some(100 + 86_400));
        assert!(expiry(100, Some(0)).is_err());
        assert!(expiry(100, Some(MAX_TOKEN_DAYS + 1)).is_err());
        let info = TokenInfo {
            name: "n".into(),
            scopes: vec![],
            created_by: "a".into(),
            created_at: 0,
            last_used_at: None,
            revoked_at: None,
            expires_at: Some(10),
        };
        assert!(info.is_live(9) && !info.is_live(10));
    }
}
