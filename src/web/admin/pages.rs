//! Read-only admin pages: the overview with the Partner Center checklist, the metadata download,
//! bindings and the audit log.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::audit::AuditRow;
use super::auth::{Admin, Nav};
use super::{html, no_store, zoned_rfc3339, zoned_time};
use crate::config::PLACEHOLDER_X_ACCOUNT_TYPE;
use crate::gateway::ReturnKind;
use crate::gateway::return_urls::Source;
use crate::gateway::sp::HuaweiSpState;
use crate::saml::metadata::{MetadataSignature, SpMetadata};
use crate::web::ui::Page;
use crate::web::{AppState, Internal, Refusal, query_params};

/// Rows per page on the bindings and audit pages.
const PAGE_SIZE: i64 = 50;
/// Partner Center's upload limit for the IDP Metadata file.
const MAX_IDP_METADATA_BYTES: usize = 2 * 1024 * 1024;
/// Certificates closer than this to expiry are flagged.
const CERT_WARN_DAYS: i64 = 30;

/// The badge text of a level (`ok`, `warn`, `bad`), in the page's language.
fn level_text(t: &Page, level: &str) -> String {
    match level {
        "ok" => t.t("admin-level-ok"),
        "warn" => t.t("admin-level-warn"),
        _ => t.t("admin-level-bad"),
    }
}

/// One status line of the overview: `level` is `ok`, `warn` or `bad` (the badge's class).
pub struct Check {
    pub level: &'static str,
    pub level_text: String,
    pub title: String,
    pub detail: String,
}

/// Collects the overview's status lines in the page's language.
struct Checks<'a> {
    t: &'a Page,
    list: Vec<Check>,
}

impl Checks<'_> {
    fn push(&mut self, level: &'static str, title: impl Into<String>, detail: impl Into<String>) {
        let level_text = level_text(self.t, level);
        self.list.push(Check { level, level_text, title: title.into(), detail: detail.into() });
    }
}

/// One field to fill in on Partner Center's Access Configuration page. The field's name is shown as
/// Partner Center spells it (Chinese) with an English gloss, whatever the page's language.
pub struct Entry {
    pub field_cn: &'static str,
    pub field_en: &'static str,
    pub value: String,
    pub note: String,
    pub level: &'static str,
    pub level_text: String,
}

/// A return URL's name on the admin pages.
pub(super) fn return_label(t: &Page, kind: ReturnKind) -> String {
    match kind {
        ReturnKind::AfterLogout => t.t("admin-return-after-logout"),
        ReturnKind::OrderPaid => t.t("admin-return-order-paid"),
        ReturnKind::Recharge => t.t("admin-return-recharge"),
    }
}

/// What a return URL is for (one sentence).
pub(super) fn return_help(t: &Page, kind: ReturnKind) -> String {
    match kind {
        ReturnKind::AfterLogout => t.t("admin-return-after-logout-help"),
        ReturnKind::OrderPaid => t.t("admin-return-order-paid-help"),
        ReturnKind::Recharge => t.t("admin-return-recharge-help"),
    }
}

#[derive(askama::Template)]
#[template(path = "admin_overview.html")]
struct OverviewPage {
    t: Page,
    nav: Nav,
    entries: Vec<Entry>,
    checks: Vec<Check>,
    metadata_bytes: usize,
    cert_fingerprint: String,
    /// "valid until …, N days left", the time in the configured zone.
    cert_validity: String,
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

/// "valid until {date}, {days} days left" (or "expired on …") of a certificate's notAfter (RFC 3339),
/// the time in the configured zone.
fn validity(t: &Page, not_after: &str, days_left: i64) -> String {
    let date = zoned_rfc3339(t, not_after);
    if days_left < 0 {
        t.t2("admin-cert-expired-on", "date", &date, "days", &(-days_left).to_string())
    } else {
        t.t2("admin-cert-valid-until", "date", &date, "days", &days_left.to_string())
    }
}

/// How a metadata document's signature was checked, in the page's language.
fn describe_signature(t: &Page, sig: &MetadataSignature) -> String {
    match sig {
        MetadataSignature::Unsigned => t.t("admin-sp-unsigned"),
        MetadataSignature::Verified { algorithm, digest, signer, signer_sha256, .. } => {
            // The URIs' last part: `rsa-sha256`, `sha1`.
            let short = |u: &str| u.rsplit(['#', '/']).next().unwrap_or(u).to_owned();
            t.lang.text_with(
                "admin-sp-verified",
                &[
                    ("algorithm", &short(algorithm)),
                    ("digest", &short(digest)),
                    ("signer", signer),
                    ("fingerprint", signer_sha256),
                ],
            )
        }
    }
}

/// The checklist's warning when the store's copy of Huawei's SP is missing or overrides the config.
fn huawei_sp_warning(t: &Page, state: &HuaweiSpState) -> Option<String> {
    match state {
        HuaweiSpState::Missing { entity_id } => Some(t.t1("admin-check-huawei-sp-missing", "entity", entity_id)),
        HuaweiSpState::FromConfig { .. } => None,
        HuaweiSpState::ImportedOverConfig { record, configured } => Some(t.lang.text_with(
            "admin-check-huawei-sp-overridden",
            &[("configured", configured), ("source", &record.source), ("date", &zoned_time(t, record.updated_at))],
        )),
    }
}

/// `GET /admin`.
pub async fn overview(State(state): State<AppState>, admin: Admin) -> Result<Response, Internal> {
    let t = &admin.page;
    let cfg = &state.settings.config;
    let base = &cfg.server.base_url;
    let cert = state.idp().current_info();
    let md_len = state.idp().metadata.len();

    // What to enter in Partner Center → Support → Open APIs → Access Configuration.
    let entry = |field_cn, field_en, value: String, note: String, level| Entry {
        field_cn,
        field_en,
        value,
        note,
        level,
        level_text: level_text(t, level),
    };
    let mut entries = vec![
        entry(
            "IDP Metadata文件",
            "IDP Metadata file",
            "IDP Metadata.xml".into(),
            t.t1("admin-note-metadata", "bytes", &md_len.to_string()),
            if md_len <= MAX_IDP_METADATA_BYTES { "ok" } else { "bad" },
        ),
        entry(
            "通知结果绑定地址",
            "Notification URL",
            format!("{base}/huawei/bind"),
            t.t("admin-note-notification"),
            if base.starts_with("https://") { "ok" } else { "warn" },
        ),
    ];
    for (kind, cn, en) in [
        (ReturnKind::OrderPaid, "订单支付成功跳转地址", "Order payment success redirect URL"),
        (ReturnKind::Recharge, "订单充值跳转地址", "Order recharge redirect URL"),
    ] {
        let (target, _) = state.return_url_source(kind).await?;
        let path = kind.gateway_path().unwrap_or_default();
        let (note, level) = match target {
            Some(u) => (t.t1("admin-note-redirects", "url", &u), "ok"),
            None => (t.t("admin-note-no-target"), "warn"),
        };
        entries.push(entry(cn, en, format!("{base}{path}"), note, level));
    }

    let mut checks = Checks { t, list: Vec::new() };
    let eid = &cfg.idp.entity_id;
    if eid.starts_with("https://") {
        checks.push("ok", t.t("admin-check-entity-id-https"), eid.clone());
    } else {
        checks.push(
            "warn",
            t.t("admin-check-entity-id-not-https"),
            t.t1("admin-check-entity-id-not-https-detail", "url", eid),
        );
    }
    if base.starts_with("https://") {
        checks.push("ok", t.t("admin-check-base-url-https"), base.clone());
    } else {
        checks.push(
            "warn",
            t.t("admin-check-base-url-not-https"),
            t.t1("admin-check-base-url-not-https-detail", "url", base),
        );
    }
    if cfg.huawei.x_account_type == PLACEHOLDER_X_ACCOUNT_TYPE {
        checks.push(
            "warn",
            t.t("admin-check-x-account-type-placeholder"),
            t.t("admin-check-x-account-type-placeholder-detail"),
        );
    } else {
        checks.push("ok", t.t("admin-check-x-account-type-set"), cfg.huawei.x_account_type.clone());
    }
    match cfg.huawei.bp_id.as_deref().filter(|b| !b.trim().is_empty()) {
        Some(bp) => checks.push("ok", t.t("admin-check-bp-id-set"), bp),
        None => checks.push("warn", t.t("admin-check-bp-id-unset"), t.t("admin-check-bp-id-unset-detail")),
    }
    let huawei_state = crate::gateway::sp::huawei_sp_state(&state.settings, state.store.as_ref()).await?;
    if let Some(w) = huawei_sp_warning(t, &huawei_state) {
        checks.push("warn", t.t("admin-check-huawei-sp"), w);
    }
    let title = if cert.days_left < 0 {
        t.t1("admin-check-cert-expired", "days", &(-cert.days_left).to_string())
    } else {
        t.t1("admin-check-cert-days-left", "days", &cert.days_left.to_string())
    };
    let cert_not_after = zoned_rfc3339(t, &cert.not_after);
    checks.push(
        cert_level(cert.days_left),
        title,
        t.t2("admin-check-cert-detail", "key", &cert.key_description, "date", &cert_not_after),
    );
    if let Some((level, title, detail)) = super::keys::overview_check(t, &state.idp()) {
        checks.push(level, title, detail);
    }
    let sps = state.store.list_sps().await?;
    if sps.is_empty() {
        checks.push("bad", t.t("admin-check-no-sp"), t.t("admin-check-no-sp-detail"));
    }
    let sep = t.t("admin-list-separator");
    for sp in sps {
        let md: SpMetadata = match serde_json::from_str(&sp.parsed_json) {
            Ok(m) => m,
            Err(e) => {
                checks.push("bad", t.t1("admin-check-sp-unreadable", "entity", &sp.entity_id), e.to_string());
                continue;
            }
        };
        let origin = match sp.origin.as_str() {
            "config" => t.t("admin-sp-origin-config"),
            "import" => t.t("admin-sp-origin-import"),
            other => other.to_owned(),
        };
        let mut parts = vec![t.lang.text_with(
            "admin-check-sp-detail",
            &[
                ("source", &sp.source),
                ("origin", &origin),
                ("date", &zoned_time(t, sp.updated_at)),
                ("signature", &describe_signature(t, &md.signature)),
            ],
        )];
        let mut level = if md.signing_certs.is_empty() { "warn" } else { "ok" };
        for der in &md.signing_certs {
            match openssl::x509::X509::from_der(der) {
                Ok(c) => {
                    let i = crate::keys::cert_info(&c);
                    parts.push(t.t1("admin-check-sp-cert", "validity", &validity(t, &i.not_after, i.days_left)));
                    level = worse(level, cert_level(i.days_left));
                }
                Err(_) => level = "bad",
            }
        }
        if md.signing_certs.is_empty() {
            parts.push(t.t("admin-check-sp-no-cert"));
        }
        checks.push(level, t.t1("admin-check-sp-imported", "entity", &md.entity_id), parts.join(&sep));
        for w in md.warnings {
            checks.push("warn", t.t1("admin-check-sp-warning", "entity", &md.entity_id), w);
        }
    }
    for kind in ReturnKind::ALL {
        let (url, source) = state.return_url_source(kind).await?;
        let label = return_label(t, kind);
        match (url, source) {
            (Some(u), Source::Admin) => checks.push(
                "ok",
                t.t1("admin-check-return-url", "label", &label),
                t.t1("admin-check-return-url-saved", "url", &u),
            ),
            (Some(u), _) => checks.push(
                "ok",
                t.t1("admin-check-return-url", "label", &label),
                t.t1("admin-check-return-url-config", "url", &u),
            ),
            (None, _) => {
                checks.push("warn", t.t1("admin-check-return-url-unset", "label", &label), return_help(t, kind))
            }
        }
    }
    let checks = checks.list;

    let bindings = state.store.count_bindings().await?;
    let recent = state.store.list_audit(10, None).await?.into_iter().map(|e| AuditRow::new(t, e)).collect();
    let page = OverviewPage {
        t: t.clone(),
        nav: admin.nav("overview"),
        entries,
        checks,
        metadata_bytes: md_len,
        cert_fingerprint: cert.sha256_fingerprint,
        cert_validity: validity(t, &cert.not_after, cert.days_left),
        entity_id: eid.clone(),
        x_account_type: cfg.huawei.x_account_type.clone(),
        bindings,
        recent,
    };
    Ok(html(StatusCode::OK, t, &page))
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
    // The file an admin uploads to Partner Center right after a rollover step: from the key
    // directory as it is now, not as this replica last read it.
    if let Err(e) = state.reload_keys().await {
        tracing::warn!("cannot re-read the key directory: {e}");
    }
    let mut resp = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/samlmetadata+xml; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"IDP Metadata.xml\"")),
        ],
        state.idp().metadata.clone(),
    )
        .into_response();
    no_store(&mut resp);
    resp
}

/// `before` (a bindings cursor, from the page's "older" link) from the query; the page number of
/// earlier versions is refused with what to use instead.
fn bindings_cursor(
    q: &std::collections::HashMap<String, String>,
) -> Result<Option<crate::store::BindingCursor>, Refusal> {
    if q.contains_key("page") {
        return Err(Refusal::bad_request(
            "page",
            "page: the bindings are paged with before= (follow the page's older link), not page numbers",
        ));
    }
    match q.get("before") {
        None => Ok(None),
        Some(b) => {
            crate::store::BindingCursor::parse(b.trim()).map(Some).map_err(|m| Refusal::bad_request("before", m))
        }
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
    t: Page,
    nav: Nav,
    rows: Vec<BindingRow>,
    total: i64,
    /// Whether this is a later page (a `before` cursor was given): the "newest" link.
    paged: bool,
    /// The cursor of the next (older) page, when there is one.
    older: Option<String>,
    /// The search (xUserId or domainId), empty for the plain list.
    search: String,
    /// After a removal: which binding was removed.
    removed: Option<String>,
    /// The add form: a message after a submission, and the values to show again after an error.
    added: Option<String>,
    error: Option<String>,
    form_x_user_id: String,
    form_domain_id: String,
    form_domain_name: String,
}

/// `GET /admin/bindings?before=CURSOR` (keyset pages, newest first), `GET
/// /admin/bindings?q=XUSERID-or-DOMAINID` (search).
pub async fn bindings(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["page", "before", "added", "removed", "q"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let before = match bindings_cursor(&q) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let short = |k: &str| q.get(k).map(|x| x.trim().to_owned()).filter(|x| x.chars().count() <= 128);
    let added = short("added").map(|x| admin.page.t1("admin-bindings-added", "user", &x));
    let removed = short("removed").map(|x| admin.page.t1("admin-bindings-removed", "user", &x));
    if q.get("q").is_some_and(|v| v.chars().count() > 128 || v.chars().any(char::is_control)) {
        return Refusal::bad_request("q", "search for one xUserId or domainId (at most 128 characters)")
            .into_response();
    }
    let view = View { before, search: short("q").unwrap_or_default(), added, removed, error: None };
    bindings_page(&state, admin, view, ["", "", ""]).await
}

/// What the bindings page shows besides the list.
struct View {
    before: Option<crate::store::BindingCursor>,
    search: String,
    added: Option<String>,
    removed: Option<String>,
    error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "admin_binding_remove.html")]
struct RemovePage {
    t: Page,
    nav: Nav,
    b: BindingRow,
}

/// `GET /admin/bindings/remove?x_user_id=X`: what would be removed, and the confirmation form.
pub async fn remove_binding_form(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let q = match query_params(raw.as_deref().unwrap_or(""), &["x_user_id"]) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let x = q.get("x_user_id").map(String::as_str).unwrap_or("");
    match state.store.get_binding(x).await {
        Ok(Some(b)) => {
            let b = binding_row(&admin.page, b);
            html(StatusCode::OK, &admin.page, &RemovePage { t: admin.page.clone(), nav: admin.nav("bindings"), b })
        }
        Ok(None) => {
            Refusal::new(StatusCode::NOT_FOUND, "no_binding", format!("no binding for xUserId `{x}`")).into_response()
        }
        Err(e) => Internal::from(e).into_response(),
    }
}

/// `POST /admin/bindings/remove` (`x_user_id`, CSRF): removes the binding, audited `bind.removed`
/// with the admin as actor; the customer's next jump says `isFirstLogin=true`.
pub async fn remove_binding(State(state): State<AppState>, form: super::auth::AdminForm) -> Response {
    let x = form.fields.get("x_user_id").map(|s| s.trim().to_owned()).unwrap_or_default();
    let admin = &form.admin;
    match crate::gateway::bindings::remove_binding(state.store.as_ref(), &x, &admin.name, "admin", &admin.caller).await
    {
        Ok(Some(_)) => super::see_other_with("/admin/bindings", "removed", &x),
        Ok(None) => {
            Refusal::new(StatusCode::NOT_FOUND, "no_binding", format!("no binding for xUserId `{x}`")).into_response()
        }
        Err(e) => Internal::from(e).into_response(),
    }
}

fn binding_row(t: &Page, b: crate::store::Binding) -> BindingRow {
    BindingRow {
        x_user_id: b.x_user_id,
        domain_id: b.domain_id,
        domain_name: b.domain_name,
        user_name: b.user_name.unwrap_or_default(),
        created_at: t.time(b.created_at),
    }
}

/// `POST /admin/bindings`: record a customer bound through Huawei's create-customer Partner API
/// (fields `x_user_id`, optional `domain_id`, `domain_name`); audited `bind.added`.
pub async fn add_binding(State(state): State<AppState>, form: super::auth::AdminForm) -> Response {
    use crate::gateway::bindings::{AddBindingError, add_binding_for};
    let field = |k: &str| form.fields.get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
    let (x, d, n) = (field("x_user_id"), field("domain_id"), field("domain_name"));
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let admin = &form.admin;
    match add_binding_for(
        state.store.as_ref(),
        &x,
        opt(&d).as_deref(),
        opt(&n).as_deref(),
        &admin.name,
        "admin",
        &admin.caller,
    )
    .await
    {
        Ok(_) => super::see_other_with("/admin/bindings", "added", &x),
        Err(AddBindingError::Store(e)) => Internal::from(e).into_response(),
        Err(e) => {
            let msg = binding_error(&form.admin.page, &e, [&x, &d, &n]);
            let view = View { before: None, search: String::new(), added: None, removed: None, error: Some(msg) };
            let mut r = bindings_page(&state, form.admin, view, [&x, &d, &n]).await;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r
        }
    }
}

/// Why a binding was refused, in the page's language. The rule broken is found by checking the
/// fields one at a time with the same check [`add_binding`](crate::gateway::bindings::add_binding) uses.
fn binding_error(t: &Page, e: &crate::gateway::bindings::AddBindingError, [x, d, n]: [&str; 3]) -> String {
    use crate::gateway::bindings::AddBindingError;
    use crate::huawei::check_binding_fields;
    match e {
        AddBindingError::Conflict { x_user_id, existing } => {
            t.t2("admin-bind-conflict", "user", x_user_id, "domain", existing)
        }
        AddBindingError::Invalid(_) if check_binding_fields(x, "", "").is_err() => t.t("admin-bind-bad-x-user-id"),
        AddBindingError::Invalid(_) if check_binding_fields(x, d, "").is_err() => t.t("admin-bind-bad-domain-id"),
        AddBindingError::Invalid(_) if check_binding_fields(x, d, n).is_err() => t.t("admin-bind-bad-domain-name"),
        // Every field passes: the binding changed while it was being completed.
        AddBindingError::Invalid(_) => t.t1("admin-bind-changed", "user", x),
        AddBindingError::Store(e) => e.to_string(),
    }
}

async fn bindings_page(state: &AppState, admin: Admin, view: View, form: [&str; 3]) -> Response {
    let View { before, search, added, removed, error } = view;
    let result = async {
        let mut list = if search.is_empty() {
            state.store.list_bindings(PAGE_SIZE + 1, before.as_ref()).await?
        } else {
            state.store.find_bindings(&search, PAGE_SIZE + 1).await?
        };
        // A counter, not a COUNT(*): as cheap with a million bindings as with none.
        let total = state.store.count_bindings().await?;
        let more = list.len() as i64 > PAGE_SIZE && search.is_empty();
        list.truncate(PAGE_SIZE as usize);
        let older = if more { list.last().map(|b| crate::store::BindingCursor::of(b).to_string()) } else { None };
        Ok::<_, crate::store::StoreError>((list, total, older))
    }
    .await;
    let (list, total, older) = match result {
        Ok(r) => r,
        Err(e) => return Internal::from(e).into_response(),
    };
    let rows = list.into_iter().map(|b| binding_row(&admin.page, b)).collect();
    let [fx, fd, fn_] = form;
    html(
        StatusCode::OK,
        &admin.page,
        &BindingsPage {
            t: admin.page.clone(),
            nav: admin.nav("bindings"),
            rows,
            total,
            paged: before.is_some() && search.is_empty(),
            older,
            search,
            removed,
            added,
            error,
            form_x_user_id: fx.to_owned(),
            form_domain_id: fd.to_owned(),
            form_domain_name: fn_.to_owned(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::bindings::AddBindingError;
    use crate::util::i18n::{Brand, Lang};

    fn page(lang: Lang) -> Page {
        let brand = Brand {
            timezone: jiff::tz::TimeZone::get("Asia/Shanghai").unwrap(),
            timezone_name: "Asia/Shanghai".into(),
            ..Brand::default()
        };
        Page::new(lang, std::sync::Arc::new(brand))
    }

    /// A refused binding names the field it is about, in both languages.
    #[test]
    fn binding_errors_name_the_field() {
        let invalid = AddBindingError::Invalid("whatever the rule says".into());
        for lang in Lang::ALL {
            let t = page(lang);
            let long = "x".repeat(129);
            for (fields, field) in [
                (["", "d", ""], "xUserId"),
                ([long.as_str(), "", ""], "xUserId"),
                (["u", "has space", ""], "domainId"),
                (["u", "d", "a\u{7}b"], "domainName"),
            ] {
                let msg = binding_error(&t, &invalid, fields);
                assert!(msg.starts_with(field), "{lang:?} {fields:?}: {msg}");
            }
            let changed = binding_error(&t, &invalid, ["u", "d", "n"]);
            assert!(changed.contains("`u`"), "{changed}");
            let conflict = AddBindingError::Conflict { x_user_id: "u".into(), existing: "d1".into() };
            let msg = binding_error(&t, &conflict, ["u", "d2", ""]);
            assert!(msg.contains("`u`") && msg.contains("`d1`"), "{msg}");
        }
        assert!(binding_error(&page(Lang::ZhCn), &invalid, ["u", "has space", ""]).contains("空格"));
    }

    /// Certificate dates are shown in the configured zone, the zone named, expired ones as such.
    #[test]
    fn certificate_validity_is_in_the_configured_zone() {
        let en = page(Lang::En);
        assert_eq!(
            validity(&en, "2030-01-01T00:00:00Z", 10),
            "valid until 2030-01-01 08:00:00 (Asia/Shanghai), 10 days left"
        );
        assert_eq!(
            validity(&en, "2020-01-01T00:00:00Z", -3),
            "expired on 2020-01-01 08:00:00 (Asia/Shanghai), 3 days ago"
        );
        assert_eq!(
            validity(&page(Lang::ZhCn), "2030-01-01T00:00:00Z", 10),
            "有效期至 2030-01-01 08:00:00（Asia/Shanghai），剩余 10 天"
        );
        assert_eq!(validity(&en, "Jan  1 00:00:00 2030 GMT", 20), "valid until Jan  1 00:00:00 2030 GMT, 20 days left");
    }
}
