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
    AdminLogin,
    AdminLoginFailed,
    /// An admin account locked after repeated failed sign-ins.
    AdminLockout,
    AdminLogout,
    AdminReturnUrls,
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
            AuditKind::AdminLogin => "admin.login",
            AuditKind::AdminLoginFailed => "admin.login_failed",
            AuditKind::AdminLockout => "admin.lockout",
            AuditKind::AdminLogout => "admin.logout",
            AuditKind::AdminReturnUrls => "admin.return_urls",
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
