//! `/admin/sps`: the imported service providers with the details of `samlgate sp list` (signature
//! status, certificates and their expiry, endpoints, warnings, the last import or refusal); import by
//! file upload or https URL, refresh a URL source now, delete an SP other than Huawei's after a
//! confirmation. Every change is audited (`sp.import`, `sp.refused`, `sp.deleted`) with the admin's name.

use axum::extract::{Multipart, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, AdminForm, Nav, check_csrf, check_origin};
use super::{html, see_other_with};
use crate::gateway::sp::{self, Imported, SpError};
use crate::saml::metadata::{SpMetadata, cert_summary};
use crate::store::AuditQuery;
use crate::web::ui::Page;
use crate::web::{AppState, Internal, Refusal, query_params};

pub struct CertRow {
    pub usage: &'static str,
    pub text: String,
    pub expiring: bool,
}

pub struct SpRow {
    pub entity_id: String,
    pub is_huawei: bool,
    pub source: String,
    pub from_url: bool,
    pub origin: String,
    pub imported: String,
    pub updated: String,
    pub signature: String,
    pub certs: Vec<CertRow>,
    pub endpoints: Vec<String>,
    pub warnings: Vec<String>,
    /// The newest `sp.import` or `sp.refused` event about it: (time, kind, what).
    pub last: Option<(String, String, String)>,
}

#[derive(askama::Template)]
#[template(path = "admin_sps.html")]
struct SpsPage {
    t: Page,
    nav: Nav,
    rows: Vec<SpRow>,
    done: Option<String>,
    error: Option<String>,
    max_kib: usize,
}

#[derive(askama::Template)]
#[template(path = "admin_sp_delete.html")]
struct DeletePage {
    t: Page,
    nav: Nav,
    entity_id: String,
}

async fn sp_rows(state: &AppState, t: &Page) -> Result<Vec<SpRow>, crate::store::StoreError> {
    let huawei = crate::huawei::sp_entity_id(&state.settings.config.huawei);
    let now = crate::util::now_unix();
    let mut rows = Vec::new();
    for rec in state.store.list_sps().await? {
        let md: Option<SpMetadata> = serde_json::from_str(&rec.parsed_json).ok();
        let mut certs = Vec::new();
        let mut endpoints = Vec::new();
        let (signature, warnings) = match &md {
            Some(md) => {
                for (usage, list) in [("signing", &md.signing_certs), ("encryption", &md.encryption_certs)] {
                    for der in list {
                        if usage == "encryption" && md.signing_certs.contains(der) {
                            continue;
                        }
                        let (text, expiring) = match cert_summary(der, now) {
                            Some(c) => (
                                t.t2(
                                    "admin-sps-cert",
                                    "cert",
                                    &format!("{}, {}, SHA-256 {}", c.subject, c.key, c.sha256),
                                    "days",
                                    &c.days_left.to_string(),
                                ),
                                c.days_left < 30,
                            ),
                            None => (t.t("admin-sps-cert-unreadable"), true),
                        };
                        certs.push(CertRow { usage, text, expiring });
                    }
                }
                for a in &md.acs {
                    endpoints.push(format!("ACS {} {}", a.binding.rsplit(':').next().unwrap_or(""), a.location));
                }
                for s in &md.slo {
                    endpoints.push(format!("SLO {} {}", s.binding.rsplit(':').next().unwrap_or(""), s.location));
                }
                (md.signature.describe(), md.warnings.clone())
            }
            None => (t.t("admin-sps-unreadable"), Vec::new()),
        };
        let mut last: Option<crate::store::AuditEvent> = None;
        for who in [&rec.entity_id, &rec.source] {
            let q = AuditQuery { kind: Some("sp.".into()), who: Some(who.clone()), ..AuditQuery::default() };
            if let Some(e) = state.store.search_audit(&q, None, 1).await?.into_iter().next()
                && last.as_ref().is_none_or(|l| e.id > l.id)
            {
                last = Some(e);
            }
        }
        rows.push(SpRow {
            is_huawei: rec.entity_id == huawei,
            from_url: sp::is_url(&rec.source),
            entity_id: rec.entity_id,
            source: rec.source,
            origin: rec.origin,
            imported: t.time(rec.imported_at),
            updated: t.time(rec.updated_at),
            signature,
            certs,
            endpoints,
            warnings,
            last: last.map(|e| (t.time(e.at), e.kind, e.detail_json)),
        });
    }
    rows.sort_by(|a, b| b.is_huawei.cmp(&a.is_huawei).then(a.entity_id.cmp(&b.entity_id)));
    Ok(rows)
}

async fn sps_page(
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    done: Option<String>,
    error: Option<String>,
) -> Response {
    let t = &admin.page;
    let rows = match sp_rows(state, t).await {
        Ok(r) => r,
        Err(e) => return Internal::from(e).into_response(),
    };
    let max_kib = state.settings.config.server.max_body_bytes.min(sp::MAX_SP_METADATA_BYTES) / 1024;
    html(status, t, &SpsPage { t: t.clone(), nav: admin.nav("sps"), rows, done, error, max_kib })
}

/// `GET /admin/sps[?imported=ENTITY|deleted=ENTITY|unchanged=ENTITY]`.
pub async fn page(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["imported", "unchanged", "deleted"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let t = &admin.page;
    let short = |k: &str| q.get(k).filter(|v| v.chars().count() <= 1024);
    let done = short("imported")
        .map(|e| t.t1("admin-sps-imported", "entity", e))
        .or_else(|| short("unchanged").map(|e| t.t1("admin-sps-unchanged", "entity", e)))
        .or_else(|| short("deleted").map(|e| t.t1("admin-sps-deleted", "entity", e)));
    sps_page(&state, &admin, StatusCode::OK, done, None).await
}

/// The page after an import: the outcome, or the refusal named.
async fn after_import(state: &AppState, admin: &Admin, result: Result<Imported, SpError>) -> Response {
    state.sps.clear();
    match result {
        Ok(Imported::Stored(rec)) => see_other_with("/admin/sps", "imported", &rec.entity_id),
        Ok(Imported::Unchanged(rec)) => see_other_with("/admin/sps", "unchanged", &rec.entity_id),
        Err(SpError::Store(e)) => Internal::from(e).into_response(),
        Err(e) => {
            let msg = admin.page.t1("admin-sps-refused", "reason", &e.to_string());
            sps_page(state, admin, StatusCode::BAD_REQUEST, None, Some(msg)).await
        }
    }
}

/// `POST /admin/sps/upload` (multipart: `csrf`, then `file`): imports the uploaded SP Metadata.xml.
pub async fn upload(State(state): State<AppState>, admin: Admin, headers: HeaderMap, mut mp: Multipart) -> Response {
    if let Err(r) = check_origin(&state, &headers) {
        return r.into_response();
    }
    let bad = |m: &str| Refusal::bad_request("upload", m.to_owned()).into_response();
    let mut csrf_ok = false;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return bad(&format!("the upload is not a valid multipart form: {e}")),
        };
        match field.name() {
            Some("csrf") => {
                let given = field.text().await.unwrap_or_default();
                if let Err(r) = check_csrf(&admin, &given) {
                    return r;
                }
                csrf_ok = true;
            }
            Some("file") if csrf_ok => {
                let name: String = field
                    .file_name()
                    .unwrap_or("SP Metadata.xml")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(100)
                    .collect();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(e) => return bad(&format!("cannot read the uploaded file: {e}")),
                }
            }
            // Anything before the CSRF token is refused as a missing token: the form sends it first.
            _ if !csrf_ok => return check_csrf(&admin, "").err().unwrap_or_else(|| bad("no CSRF token")),
            _ => return bad("unexpected field in the upload"),
        }
    }
    if !csrf_ok {
        return check_csrf(&admin, "").err().unwrap_or_else(|| bad("no CSRF token"));
    }
    let Some((name, bytes)) = file else { return bad("choose the SP Metadata.xml file to upload") };
    let source = format!("upload:{name}");
    let allow_http = sp::allow_http_for(&state.settings);
    let result = sp::import_sp_document_for(
        &state.settings,
        state.store.as_ref(),
        &source,
        bytes,
        allow_http,
        sp::ORIGIN_IMPORT,
        &admin.name,
        &admin.caller,
    )
    .await;
    after_import(&state, &admin, result).await
}

/// `POST /admin/sps/import` (`url`): fetches and imports SP metadata from an https URL (re-fetched
/// every `huawei.sp_metadata_refresh_secs`).
pub async fn import_url(State(state): State<AppState>, form: AdminForm) -> Response {
    let url = form.fields.get("url").map(|s| s.trim().to_owned()).unwrap_or_default();
    if !sp::is_url(&url) || url.len() > 2048 {
        let msg = form.admin.page.t("admin-sps-url-needed");
        return sps_page(&state, &form.admin, StatusCode::BAD_REQUEST, None, Some(msg)).await;
    }
    let allow_http = sp::allow_http_for(&state.settings);
    let (settings, store, admin) = (&state.settings, state.store.as_ref(), &form.admin);
    let result =
        sp::import_sp_for(settings, store, &url, allow_http, sp::ORIGIN_IMPORT, &admin.name, &admin.caller).await;
    after_import(&state, &form.admin, result).await
}

/// `POST /admin/sps/refresh` (`entity_id`): fetches a URL-sourced SP again now.
pub async fn refresh(State(state): State<AppState>, form: AdminForm) -> Response {
    let entity = form.fields.get("entity_id").cloned().unwrap_or_default();
    let rec = match state.store.get_sp(&entity).await {
        Ok(Some(r)) if sp::is_url(&r.source) => r,
        Ok(_) => {
            return Refusal::bad_request("refresh", "only an SP imported from a URL can be fetched again")
                .into_response();
        }
        Err(e) => return Internal::from(e).into_response(),
    };
    let allow_http = sp::allow_http_for(&state.settings);
    let (settings, store, admin) = (&state.settings, state.store.as_ref(), &form.admin);
    let result =
        sp::import_sp_for(settings, store, &rec.source, allow_http, &rec.origin, &admin.name, &admin.caller).await;
    after_import(&state, &form.admin, result).await
}

/// `GET /admin/sps/delete?entity_id=E`: the confirmation.
pub async fn delete_form(admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["entity_id"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let entity_id = q.get("entity_id").cloned().unwrap_or_default();
    html(StatusCode::OK, &admin.page, &DeletePage { t: admin.page.clone(), nav: admin.nav("sps"), entity_id })
}

/// `POST /admin/sps/delete` (`entity_id`): deletes an SP other than Huawei's.
pub async fn delete(State(state): State<AppState>, form: AdminForm) -> Response {
    let entity = form.fields.get("entity_id").cloned().unwrap_or_default();
    let admin = &form.admin;
    let result = sp::delete_sp(&state.settings, state.store.as_ref(), &entity, &admin.name, &admin.caller).await;
    state.sps.clear();
    match result {
        Ok(true) => see_other_with("/admin/sps", "deleted", &entity),
        Ok(false) => {
            Refusal::new(StatusCode::NOT_FOUND, "no_sp", format!("no SP with entityID `{entity}`")).into_response()
        }
        Err(SpError::Store(e)) => Internal::from(e).into_response(),
        Err(e) => {
            let msg = admin.page.t1("admin-sps-refused", "reason", &e.to_string());
            sps_page(&state, admin, StatusCode::BAD_REQUEST, None, Some(msg)).await
        }
    }
}
