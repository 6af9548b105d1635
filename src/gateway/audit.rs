//! The kinds of audit events, in one place (the store keeps them as text: [`AuditKind::as_str`]).

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    /// A signed Response was issued for an AuthnRequest.
    SsoResponse,
    /// An AuthnRequest answered with a status Response (a demand the gateway cannot meet).
    SsoStatus,
    /// A LogoutRequest was answered.
    SloLogout,
    /// A browser signed out (`/logout`, plain `/saml/slo`).
    Logout,
    /// A hand-off token opened a session ("go to console").
    ConsoleJump,
    BindCreated,
    BindRepeated,
    BindConflict,
    BindReplay,
    BindRemoved,
    /// A binding recorded by the partner (`bindings add`, admin page).
    BindAdded,
    SpImport,
    SpRefused,
    /// An SP (not Huawei's) deleted on `/admin/sps`.
    SpDeleted,
    AdminLogin,
    AdminLoginFailed,
    /// An admin account locked after repeated failed sign-ins.
    AdminLockout,
    AdminLogout,
    AdminReturnUrls,
    /// A request refused (its reason, route, client address and correlation id; never secrets).
    Refused,
    /// An admin user added in the store (CLI or /admin/users).
    AdminUserAdded,
    /// An admin user's password replaced.
    AdminPasswordChanged,
    AdminUserRemoved,
    /// Key rollover: a next IdP key was made and published beside the current one.
    KeysPrepare,
    /// Key rollover: the next IdP key signs now; the old certificate stays published.
    KeysActivate,
    /// Key rollover: the previous IdP certificate is no longer published.
    KeysRetire,
    /// A bearer token of the admin API created (its name and scopes, never the token).
    ApiTokenCreated,
    ApiTokenRevoked,
    /// A signed assertion minted on demand (`samlgate assert`, `POST /admin/api/v1/assertions`): who
    /// asked (`cli:<OS user>` or `token:NAME`), for which customer and SP.
    AssertMinted,
    /// An unsolicited Response for IdP-initiated SSO (`/saml/init`, `/console?…&sp=…`).
    SsoIdpInitiated,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::SsoResponse => "sso.response",
            AuditKind::SsoStatus => "sso.status",
            AuditKind::SloLogout => "slo.logout",
            AuditKind::Logout => "logout",
            AuditKind::ConsoleJump => "console.jump",
            AuditKind::BindCreated => "bind.created",
            AuditKind::BindRepeated => "bind.repeated",
            AuditKind::BindConflict => "bind.conflict",
            AuditKind::BindReplay => "bind.replay",
            AuditKind::BindRemoved => "bind.removed",
            AuditKind::BindAdded => "bind.added",
            AuditKind::SpImport => "sp.import",
            AuditKind::SpRefused => "sp.refused",
            AuditKind::SpDeleted => "sp.deleted",
            AuditKind::AdminLogin => "admin.login",
            AuditKind::AdminLoginFailed => "admin.login_failed",
            AuditKind::AdminLockout => "admin.lockout",
            AuditKind::AdminLogout => "admin.logout",
            AuditKind::AdminReturnUrls => "admin.return_urls",
            AuditKind::Refused => "request.refused",
            AuditKind::AdminUserAdded => "admin.user_added",
            AuditKind::AdminPasswordChanged => "admin.password_changed",
            AuditKind::AdminUserRemoved => "admin.user_removed",
            AuditKind::KeysPrepare => "keys.prepare",
            AuditKind::KeysActivate => "keys.activate",
            AuditKind::KeysRetire => "keys.retire",
            AuditKind::ApiTokenCreated => "admin.token_created",
            AuditKind::ApiTokenRevoked => "admin.token_revoked",
            AuditKind::AssertMinted => "assert.minted",
            AuditKind::SsoIdpInitiated => "sso.idp_initiated",
        }
    }
}

impl std::fmt::Display for AuditKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whom a use case runs for: the request's correlation id and client address (as resolved behind
/// the trusted proxies, see [`crate::util::net`]). [`Caller::none`] outside a request (the CLI,
/// housekeeping).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub correlation_id: String,
    pub client: Option<std::net::IpAddr>,
}

impl Caller {
    pub fn none() -> Caller {
        Caller::default()
    }

    pub fn new(correlation_id: impl Into<String>, client: Option<std::net::IpAddr>) -> Caller {
        Caller { correlation_id: correlation_id.into(), client }
    }
}

/// An event to append: `kind`, who (`actor`), about what (`subject`), details (JSON; the caller's
/// client address is added as `client`), the request's correlation id.
pub fn event(
    kind: AuditKind,
    actor: &str,
    subject: &str,
    mut detail: serde_json::Value,
    caller: &Caller,
) -> crate::store::NewAuditEvent {
    if let (Some(ip), Some(map)) = (caller.client, detail.as_object_mut()) {
        map.insert("client".into(), serde_json::Value::String(ip.to_string()));
    }
    crate::store::NewAuditEvent {
        at: crate::util::now_unix(),
        kind: kind.as_str().to_owned(),
        actor: actor.to_owned(),
        subject: subject.to_owned(),
        detail_json: detail.to_string(),
        correlation_id: caller.correlation_id.clone(),
    }
}

/// Appends the audit event of a change already made: a failure is logged and counted, never turned
/// into an error that would make the change look undone.
pub async fn audit_done(store: &dyn crate::store::Store, ev: &crate::store::NewAuditEvent) {
    if let Err(e) = store.append_audit(ev).await {
        metrics::counter!("samlgate_audit_dropped_total", "why" => "store").increment(1);
        tracing::error!(kind = %ev.kind, subject = %ev.subject, correlation_id = %ev.correlation_id, error = %e,
            "the change was made but its audit event could not be written");
    }
}
/// Refusal events a client may leave per minute; beyond, its refusals are only counted
/// (`samlgate_audit_dropped_total{why="client_limit"}`).
pub const REFUSALS_AUDITED_PER_CLIENT_MINUTE: u32 = 30;
/// Refusal events written at once; beyond (a flood, a slow store), they are counted, not written.
const REFUSAL_WRITES_AT_ONCE: usize = 8;
/// How long a refusal event may wait for the store before it is given up (the answer waits for it).
pub const REFUSAL_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Keeps auditing refusals from handing the store to whoever sends bad requests: a per-client budget
/// per minute and a cap on writes in flight. Per process.
#[derive(Debug)]
pub struct RefusalAudit {
    per_client: std::sync::Mutex<std::collections::HashMap<Option<std::net::IpAddr>, (i64, u32)>>,
    slots: tokio::sync::Semaphore,
}

impl Default for RefusalAudit {
    fn default() -> Self {
        RefusalAudit { per_client: Default::default(), slots: tokio::sync::Semaphore::new(REFUSAL_WRITES_AT_ONCE) }
    }
}

impl RefusalAudit {
    /// Whether a refusal of `client` at `now` may be audited (counts it).
    pub fn admit(&self, client: Option<std::net::IpAddr>, now: i64) -> bool {
        let minute = now.div_euclid(60);
        let Ok(mut m) = self.per_client.lock() else { return false };
        if m.len() > 10_000 {
            m.retain(|_, (w, _)| *w == minute);
        }
        let e = m.entry(client).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
        e.1 <= REFUSALS_AUDITED_PER_CLIENT_MINUTE
    }

    /// A write slot, if one is free.
    pub fn slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.slots.try_acquire().ok()
    }
}

/// The longest search value accepted (an xUserId, a correlation id, a kind).
pub const MAX_SEARCH_VALUE: usize = 128;

/// Reads a point in time of an audit search: `2026-12-01`, `2026-12-01 08:30[:00]` (in `tz`), an
/// RFC 3339 time with its offset (`2026-12-01T08:30:00+08:00`, `…Z`), a Unix time (`1796590000`),
/// or a span back from `now` (`30m`, `24h`, `7d`).
pub fn parse_when(s: &str, tz: &jiff::tz::TimeZone, now: i64) -> Result<i64, String> {
    let s = s.trim();
    let bad = || format!("`{s}` is not a time (e.g. 2026-12-01, 2026-12-01 08:30, 2026-12-01T00:30:00Z or 7d)");
    if s.is_empty() || s.len() > 40 {
        return Err(bad());
    }
    if let Some((n, unit)) = s.split_at_checked(s.len() - 1)
        && let Some(secs) = match unit {
            "m" => Some(60),
            "h" => Some(3600),
            "d" => Some(86400),
            _ => None,
        }
    {
        let n: i64 = n.parse().ok().filter(|n| *n >= 0).ok_or_else(bad)?;
        return n.checked_mul(secs).and_then(|d| now.checked_sub(d)).ok_or_else(bad);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().map_err(|_| bad());
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    let civil = s.replacen(' ', "T", 1);
    let dt = civil
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| civil.parse::<jiff::civil::Date>().map(|d| d.to_datetime(jiff::civil::Time::midnight())))
        .map_err(|_| bad())?;
    dt.to_zoned_datetime(tz.clone()).map(|z| z.timestamp().as_second()).map_err(|_| bad())
}

/// What an audit search names, as typed (each may be empty).
#[derive(Debug, Clone, Default)]
pub struct SearchInput<'a> {
    pub kind: &'a str,
    pub who: &'a str,
    pub correlation_id: &'a str,
    pub since: &'a str,
    pub until: &'a str,
}

/// Checks a search and turns it into a store query; the error names the field (`kind`, `who`,
/// `correlation_id`, `since`, `until`) and what is wrong with it.
pub fn search_query(
    input: &SearchInput<'_>,
    tz: &jiff::tz::TimeZone,
    now: i64,
) -> Result<crate::store::AuditQuery, (&'static str, String)> {
    let text = |field: &'static str, v: &str| -> Result<Option<String>, (&'static str, String)> {
        let v = v.trim();
        if v.chars().count() > MAX_SEARCH_VALUE || v.chars().any(char::is_control) {
            return Err((field, format!("at most {MAX_SEARCH_VALUE} characters, no control characters")));
        }
        Ok((!v.is_empty()).then(|| v.to_owned()))
    };
    let kind = text("kind", input.kind)?;
    if let Some(k) = &kind
        && !k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(("kind", "an event kind such as admin.login, or a prefix such as bind.".into()));
    }
    let correlation_id = text("correlation_id", input.correlation_id)?.map(|c| c.to_ascii_lowercase());
    if let Some(c) = &correlation_id
        && !c.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(("correlation_id", "a correlation id is 16 hexadecimal digits".into()));
    }
    let when = |field: &'static str, v: &str| -> Result<Option<i64>, (&'static str, String)> {
        match v.trim() {
            "" => Ok(None),
            v => parse_when(v, tz, now).map(Some).map_err(|e| (field, e)),
        }
    };
    let q = crate::store::AuditQuery {
        kind,
        who: text("who", input.who)?,
        correlation_id,
        since: when("since", input.since)?,
        until: when("until", input.until)?,
    };
    if let (Some(s), Some(u)) = (q.since, q.until)
        && s >= u
    {
        return Err(("until", "must be later than since".into()));
    }
    Ok(q)
}

/// The columns of an audit export (CSV header, JSON Lines keys).
pub const EXPORT_COLUMNS: [&str; 8] = ["id", "at", "at_unix", "kind", "actor", "subject", "correlation_id", "detail"];

/// `2026-12-01T00:30:00Z`.
fn rfc3339(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map(|t| t.to_string()).unwrap_or_else(|_| unix.to_string())
}

/// One CSV field (RFC 4180 quoting). A value a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
/// tab, CR first) is prefixed with `'`.
fn csv_field(v: &str, out: &mut String) {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v.to_owned() };
    if v.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&v);
    }
}

/// The CSV header line (with CRLF).
pub fn csv_header() -> String {
    format!("{}\r\n", EXPORT_COLUMNS.join(","))
}

/// One event as a CSV line (with CRLF).
pub fn csv_line(e: &crate::store::AuditEvent) -> String {
    let fields = [
        e.id.to_string(),
        rfc3339(e.at),
        e.at.to_string(),
        e.kind.clone(),
        e.actor.clone(),
        e.subject.clone(),
        e.correlation_id.clone(),
        e.detail_json.clone(),
    ];
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(f, &mut out);
    }
    out.push_str("\r\n");
    out
}

/// One event as the JSON line of the export and the admin API's audit search (its detail as JSON, not as
/// a string).
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventLine {
    pub id: i64,
    /// RFC 3339 (UTC).
    pub at: String,
    pub at_unix: i64,
    pub kind: String,
    pub actor: String,
    pub subject: String,
    pub correlation_id: String,
    /// The detail as stored; a string when it is not JSON.
    pub detail: serde_json::Value,
}

impl From<&crate::store::AuditEvent> for EventLine {
    fn from(e: &crate::store::AuditEvent) -> EventLine {
        let detail: serde_json::Value =
            serde_json::from_str(&e.detail_json).unwrap_or_else(|_| serde_json::Value::String(e.detail_json.clone()));
        EventLine {
            id: e.id,
            at: rfc3339(e.at),
            at_unix: e.at,
            kind: e.kind.clone(),
            actor: e.actor.clone(),
            subject: e.subject.clone(),
            correlation_id: e.correlation_id.clone(),
            detail,
        }
    }
}

/// One event as a JSON line (with LF; the keys sorted, as the export always wrote them).
pub fn jsonl_line(e: &crate::store::AuditEvent) -> String {
    let v = serde_json::to_value(EventLine::from(e)).unwrap_or(serde_json::Value::Null);
    format!("{v}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_audit_has_a_budget_per_client_and_minute() {
        let a = RefusalAudit::default();
        let ip: std::net::IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..REFUSALS_AUDITED_PER_CLIENT_MINUTE {
            assert!(a.admit(Some(ip), 120));
        }
        assert!(!a.admit(Some(ip), 179), "over the budget in the same minute");
        assert!(a.admit(Some("192.0.2.2".parse().unwrap()), 179), "another client");
        assert!(a.admit(Some(ip), 180), "a new minute");
        let held: Vec<_> = (0..REFUSAL_WRITES_AT_ONCE).filter_map(|_| a.slot()).collect();
        assert_eq!(held.len(), REFUSAL_WRITES_AT_ONCE);
        assert!(a.slot().is_none());
    }

    #[test]
    fn search_times_read_dates_zones_and_spans() {
        let sh = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        let now = 1_800_000_000;
        assert_eq!(parse_when("1970-01-02", &sh, now), Ok(86400 - 8 * 3600));
        assert_eq!(parse_when("1970-01-01 08:00", &sh, now), Ok(0));
        assert_eq!(parse_when("1970-01-01T08:00:30", &sh, now), Ok(30));
        assert_eq!(parse_when("1970-01-01T00:00:00Z", &sh, now), Ok(0));
        assert_eq!(parse_when("1970-01-01T08:00:00+08:00", &jiff::tz::TimeZone::UTC, now), Ok(0));
        assert_eq!(parse_when("7d", &sh, now), Ok(now - 7 * 86400));
        assert_eq!(parse_when("90m", &sh, now), Ok(now - 5400));
        assert_eq!(parse_when("1796590000", &sh, now), Ok(1_796_590_000));
        for bad in ["", "yesterday", "7w", "-3d", "2026-13-01", "99999999999999999999d"] {
            assert!(parse_when(bad, &sh, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn exports_quote_and_defuse_what_spreadsheets_would_run() {
        let e = crate::store::AuditEvent {
            id: 7,
            at: 0,
            kind: "request.refused".into(),
            actor: "=HYPERLINK(\"x\")".into(),
            subject: "a,b".into(),
            detail_json: r#"{"reason":"replay","n":"line\nbreak"}"#.into(),
            correlation_id: "0123456789abcdef".into(),
        };
        assert_eq!(csv_header(), "id,at,at_unix,kind,actor,subject,correlation_id,detail\r\n");
        assert_eq!(
            csv_line(&e),
            "7,1970-01-01T00:00:00Z,0,request.refused,\"'=HYPERLINK(\"\"x\"\")\",\"a,b\",0123456789abcdef,\
             \"{\"\"reason\"\":\"\"replay\"\",\"\"n\"\":\"\"line\\nbreak\"\"}\"\r\n"
        );
        let j: serde_json::Value = serde_json::from_str(jsonl_line(&e).trim_end()).unwrap();
        assert_eq!(j["detail"]["reason"], "replay");
        assert_eq!(j["at"], "1970-01-01T00:00:00Z");
        assert!(jsonl_line(&e).ends_with("}\n") && !jsonl_line(&e).trim_end().contains('\n'));
    }
}
