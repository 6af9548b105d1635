//! Read-only admin pages: the overview with the Partner Center checklist, the metadata download,
//! bindings and the audit log.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, Nav};
use super::{format_time, html, no_store};
use crate::config::PLACEHOLDER_X_ACCOUNT_TYPE;
use crate::gateway::ReturnKind;
use crate::gateway::return_urls::Source;
use crate::saml::metadata::SpMetadata;
use crate::web::{AppState, Internal, Refusal, query_params};

/// Rows per page on the bindings and audit pages.
const PAGE_SIZE: i64 = 50;
/// Partner Center's upload limit for the IDP Metadata file.
const MAX_IDP_METADATA_BYTES: usize = 2 * 1024 * 1024;
/// Certificates closer than this to expiry are flagged.
const CERT_WARN_DAYS: i64 = 30;

/// One status line of the overview: `level` is `ok`, `warn` or `bad`.
pub struct Check {
    pub level: &'static str,
    pub title: String,
    pub detail: String,
}

impl Check {
    fn new(level: &'static str, title: impl Into<String>, detail: impl Into<String>) -> Self {
        Check { level, title: title.into(), detail: detail.into() }
    }
}

/// One field to fill in on Partner Center's Access Configuration page.
pub struct Entry {
    pub field_cn: &'static str,
    pub field_en: &'static str,
    pub value: String,
    pub note: String,
    pub level: &'static str,
}

pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub subject: String,
    pub detail: String,
}

impl From<crate::store::AuditEvent> for AuditRow {
    fn from(e: crate::store::AuditEvent) -> Self {
        AuditRow {
            id: e.id,
            at: format_time(e.at),
            kind: e.kind,
            actor: e.actor,
            subject: e.subject,
            detail: e.detail_json,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "admin_overview.html")]
struct OverviewPage {
    nav: Nav,
    entries: Vec<Entry>,
    checks: Vec<Check>,
    metadata_bytes: usize,
    cert_fingerprint: String,
    cert_not_after: String,
    cert_days_left: i64,
    entity_id: String,
    x_account_type: String,
    bindings: i64,
    recent: Vec<AuditRow>,
}

fn cert_level(days_left: i64) -> &'static str {
    if days_left < 0 {
        "bad"
    } else if days_left < CERT_WARN_DAYS {
        "warn"
    } else {
        "ok"
    }
}

/// `GET /admin`.
pub async fn overview(State(state): State<AppState>, admin: Admin) -> Result<Response, Internal> {
    let cfg = &state.settings.config;
    let base = &cfg.server.base_url;
    let cert = state.keys.info();
    let md_len = state.idp_metadata.len();

    // What to enter in Partner Center → Support → Open APIs → Access Configuration.
    let mut entries = vec![
        Entry {
            field_cn: "IDP Metadata文件",
            field_en: "IDP Metadata file",
            value: "IDP Metadata.xml".into(),
            note: format!("upload this file ({md_len} bytes; the limit is 2 MB)"),
            level: if md_len <= MAX_IDP_METADATA_BYTES { "ok" } else { "bad" },
        },
        Entry {
            field_cn: "通知结果绑定地址",
            field_en: "Notification URL",
            value: format!("{base}/huawei/bind"),
            note: "Huawei posts the binding result here after a customer's first login".into(),
            level: if base.starts_with("https://") { "ok" } else { "warn" },
        },
    ];
    for (kind, cn, en) in [
        (ReturnKind::OrderPaid, "订单支付成功跳转地址", "Order payment success redirect URL"),
        (ReturnKind::Recharge, "订单充值跳转地址", "Order recharge redirect URL"),
    ] {
        let (target, _) = state.return_url_source(kind).await?;
        let path = kind.gateway_path().unwrap_or_default();
        let (note, level) = match target {
            Some(t) => (format!("redirects to {t}"), "ok"),
            None => ("no target set yet: set it under Return URLs (until then this link answers 404)".into(), "warn"),
        };
        entries.push(Entry { field_cn: cn, field_en: en, value: format!("{base}{path}"), note, level });
    }

    let mut checks = Vec::new();
    let eid = &cfg.idp.entity_id;
    checks.push(if eid.starts_with("https://") {
        Check::new("ok", "entityID uses https", eid.clone())
    } else {
        Check::new("warn", "entityID is not https", format!("{eid}: Huawei requires https:// in production"))
    });
    checks.push(if base.starts_with("https://") {
        Check::new("ok", "Public base URL uses https", base.clone())
    } else {
        Check::new("warn", "Public base URL is not https", format!("{base}: fine for local trials only"))
    });
    checks.push(if cfg.huawei.x_account_type == PLACEHOLDER_X_ACCOUNT_TYPE {
        Check::new(
            "warn",
            "xAccountType is still the placeholder",
            "set huawei.x_account_type to the value shown on Partner Center's Access Configuration page",
        )
    } else {
        Check::new("ok", "xAccountType is set", cfg.huawei.x_account_type.clone())
    });
    checks.push(match cfg.huawei.bp_id.as_deref().filter(|b| !b.trim().is_empty()) {
        Some(bp) => Check::new("ok", "bpId (partner ID) is set", bp.to_owned()),
        None => Check::new("warn", "bpId (partner ID) is not set", crate::huawei::BP_ID_WARNING),
    });
    let huawei_state = crate::gateway::sp::huawei_sp_state(&state.settings, state.store.as_ref()).await?;
    if let Some(w) = huawei_state.warning() {
        checks.push(Check::new("warn", "Huawei's SP metadata", w));
    }
    let left = if cert.days_left < 0 {
        format!("expired {} days ago", -cert.days_left)
    } else {
        format!("{} days left", cert.days_left)
    };
    checks.push(Check::new(
        cert_level(cert.days_left),
        format!("IdP signing certificate: {left}"),
        format!("{}, valid until {}", cert.key_description, cert.not_after),
    ));
    let sps = state.store.list_sps().await?;
    if sps.is_empty() {
        checks.push(Check::new(
            "bad",
            "No SP metadata imported",
            "import Huawei's SP Metadata.xml (huawei.sp_metadata)",
        ));
    }
    for sp in sps {
        let md: SpMetadata = match serde_json::from_str(&sp.parsed_json) {
            Ok(m) => m,
            Err(e) => {
                checks.push(Check::new(
                    "bad",
                    format!("SP {}: stored metadata unreadable", sp.entity_id),
                    e.to_string(),
                ));
                continue;
            }
        };
        let mut detail = format!(
            "from {} ({}), updated {}; signature {}",
            sp.source,
            sp.origin,
            format_time(sp.updated_at),
            md.signature.describe()
        );
        let mut level = if md.signing_certs.is_empty() { "warn" } else { "ok" };
        for der in &md.signing_certs {
            match openssl::x509::X509::from_der(der) {
                Ok(c) => {
                    let i = crate::keys::cert_info(&c);
                    detail
                        .push_str(&format!("; signing certificate valid until {} ({} days)", i.not_after, i.days_left));
                    level = worse(level, cert_level(i.days_left));
                }
                Err(_) => level = "bad",
            }
        }
        if md.signing_certs.is_empty() {
            detail.push_str("; no signing certificate: signed requests cannot be verified");
        }
        checks.push(Check::new(level, format!("SP metadata imported: {}", md.entity_id), detail));
        for w in md.warnings {
            checks.push(Check::new("warn", format!("SP {}", md.entity_id), w));
        }
    }
    for kind in ReturnKind::ALL {
        let (url, source) = state.return_url_source(kind).await?;
        checks.push(match (url, source) {
            (Some(u), Source::Admin) => {
                Check::new("ok", format!("{} return URL", kind.label()), format!("{u} (saved here)"))
            }
            (Some(u), _) => Check::new("ok", format!("{} return URL", kind.label()), format!("{u} (config file)")),
            (None, _) => Check::new("warn", format!("{} return URL not set", kind.label()), kind.help()),
        });
    }

    let bindings = state.store.count_bindings().await?;
    let recent = state.store.list_audit(10, 0, None).await?.into_iter().map(AuditRow::from).collect();
    let page = OverviewPage {
        nav: admin.nav("overview"),
        entries,
        checks,
        metadata_bytes: md_len,
        cert_fingerprint: cert.sha256_fingerprint,
        cert_not_after: cert.not_after,
        cert_days_left: cert.days_left,
        entity_id: eid.clone(),
        x_account_type: cfg.huawei.x_account_type.clone(),
        bindings,
        recent,
    };
    Ok(html(StatusCode::OK, &page))
}

fn worse(a: &'static str, b: &'static str) -> &'static str {
    let rank = |l: &str| match l {
        "bad" => 2,
        "warn" => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// `GET /admin/metadata`: the IDP Metadata file to upload in Partner Center.
pub async fn metadata(State(state): State<AppState>, _admin: Admin) -> Response {
    let mut resp = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"IDP Metadata.xml\"")),
        ],
        state.idp_metadata.to_string(),
    )
        .into_response();
    no_store(&mut resp);
    resp
}

/// `page` (1-based) from the query.
fn page_number(q: &std::collections::HashMap<String, String>) -> Result<i64, Refusal> {
    match q.get("page") {
        None => Ok(1),
        Some(p) => match p.parse::<i64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
            _ => Err(Refusal::bad_request("page", "page must be a number from 1")),
        },
    }
}

pub struct BindingRow {
    pub x_user_id: String,
    pub domain_id: String,
    pub domain_name: String,
    pub user_name: String,
    pub created_at: String,
}

#[derive(askama::Template)]
#[template(path = "admin_bindings.html")]
struct BindingsPage {
    nav: Nav,
    rows: Vec<BindingRow>,
    total: i64,
    page: i64,
    has_next: bool,
    /// The add form: a message after a submission, and the values to show again after an error.
    added: Option<String>,
    error: Option<String>,
    form_x_user_id: String,
    form_domain_id: String,
    form_domain_name: String,
}

/// `GET /admin/bindings?page=N`.
pub async fn bindings(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["page", "added"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let page = match page_number(&q) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let added = q
        .get("added")
        .filter(|x| x.chars().count() <= 128)
        .map(|x| format!("Bound {x}: its next jump uses isFirstLogin=false."));
    bindings_page(&state, admin, page, added, None, ["", "", ""]).await
}

/// `POST /admin/bindings`: record a customer bound through Huawei's create-customer Partner API
/// (fields `x_user_id`, optional `domain_id`, `domain_name`); audited `bind.added`.
pub async fn add_binding(State(state): State<AppState>, form: super::auth::AdminForm) -> Response {
    use crate::gateway::bindings::{AddBindingError, add_binding};
    let field = |k: &str| form.fields.get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
    let (x, d, n) = (field("x_user_id"), field("domain_id"), field("domain_name"));
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    match add_binding(state.store.as_ref(), &x, opt(&d).as_deref(), opt(&n).as_deref(), &form.admin.name, "admin").await
    {
        Ok(_) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            let loc = format!("/admin/bindings?added={}", crate::huawei::encode_component(&x));
            match HeaderValue::from_str(&loc) {
                Ok(v) => {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                Err(e) => return Internal::from(e).into_response(),
            }
            super::no_store(&mut r);
            r
        }
        Err(AddBindingError::Store(e)) => Internal::from(e).into_response(),
        Err(e) => {
            let mut r = bindings_page(&state, form.admin, 1, None, Some(e.to_string()), [&x, &d, &n]).await;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r
        }
    }
}

async fn bindings_page(
    state: &AppState,
    admin: Admin,
    page: i64,
    added: Option<String>,
    error: Option<String>,
    form: [&str; 3],
) -> Response {
    let result = async {
        let mut list = state.store.list_bindings(PAGE_SIZE + 1, (page - 1) * PAGE_SIZE).await?;
        let total = state.store.count_bindings().await?;
        let has_next = list.len() as i64 > PAGE_SIZE;
        list.truncate(PAGE_SIZE as usize);
        Ok::<_, crate::store::StoreError>((list, total, has_next))
    }
    .await;
    let (list, total, has_next) = match result {
        Ok(r) => r,
        Err(e) => return Internal::from(e).into_response(),
    };
    let rows = list
        .into_iter()
        .map(|b| BindingRow {
            x_user_id: b.x_user_id,
            domain_id: b.domain_id,
            domain_name: b.domain_name,
            user_name: b.user_name.unwrap_or_default(),
            created_at: format_time(b.created_at),
        })
        .collect();
    let [fx, fd, fn_] = form;
    html(
        StatusCode::OK,
        &BindingsPage {
            nav: admin.nav("bindings"),
            rows,
            total,
            page,
            has_next,
            added,
            error,
            form_x_user_id: fx.to_owned(),
            form_domain_id: fd.to_owned(),
            form_domain_name: fn_.to_owned(),
        },
    )
}

#[derive(askama::Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    nav: Nav,
    rows: Vec<AuditRow>,
    kind: String,
    page: i64,
    has_next: bool,
}

/// `GET /admin/audit?kind=K&page=N`: newest first.
pub async fn audit(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["page", "kind"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let page = match page_number(&q) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let kind = q.get("kind").map(|k| k.trim().to_owned()).unwrap_or_default();
    if kind.len() > 64 || !kind.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Refusal::bad_request("kind", "kind must be an event kind such as admin.login or bind.created")
            .into_response();
    }
    let filter = (!kind.is_empty()).then_some(kind.as_str());
    let mut list = match state.store.list_audit(PAGE_SIZE + 1, (page - 1) * PAGE_SIZE, filter).await {
        Ok(l) => l,
        Err(e) => return Internal::from(e).into_response(),
    };
    let has_next = list.len() as i64 > PAGE_SIZE;
    list.truncate(PAGE_SIZE as usize);
    let rows = list.into_iter().map(AuditRow::from).collect();
    html(StatusCode::OK, &AuditPage { nav: admin.nav("audit"), rows, kind, page, has_next })
}
