//! `GET /admin/audit`: search the audit log (customer or admin, correlation id, kind or kind prefix,
//! time range in the configured zone), newest first with keyset paging; `GET /admin/audit.csv` and
//! `GET /admin/audit.jsonl`: the same search as a download, streamed page by page.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth::{Admin, Nav};
use super::html;
use crate::gateway::audit::{SearchInput, csv_header, csv_line, jsonl_line, search_query};
use crate::store::AuditQuery;
use crate::web::ui::Page;
use crate::web::{AppState, Internal, Refusal, query_params};

/// Rows per page.
const PAGE_SIZE: i64 = 50;
/// Rows read from the store per round of an export.
const EXPORT_BATCH: i64 = 1000;
/// At most this many rows in one export (narrow the search for more).
pub const MAX_EXPORT_ROWS: usize = 1_000_000;

const FIELDS: [&str; 6] = ["kind", "who", "correlation_id", "since", "until", "before"];

pub struct AuditRow {
    pub id: i64,
    /// In the configured zone (the column header names it).
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub subject: String,
    pub correlation_id: String,
    pub detail: String,
}

impl AuditRow {
    pub fn new(t: &Page, e: crate::store::AuditEvent) -> Self {
        AuditRow {
            id: e.id,
            at: t.time(e.at),
            kind: e.kind,
            actor: e.actor,
            subject: e.subject,
            correlation_id: e.correlation_id,
            detail: e.detail_json,
        }
    }
}

/// The search as typed, kept for the form and the links.
#[derive(Default)]
struct Form {
    kind: String,
    who: String,
    correlation_id: String,
    since: String,
    until: String,
}

impl Form {
    fn input(&self) -> SearchInput<'_> {
        SearchInput {
            kind: &self.kind,
            who: &self.who,
            correlation_id: &self.correlation_id,
            since: &self.since,
            until: &self.until,
        }
    }

    /// The search as a query string (for the export and paging links).
    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("kind", &self.kind),
            ("who", &self.who),
            ("correlation_id", &self.correlation_id),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }
}

/// Reads the search from the query string: the form as typed, the store query, and `before` (keyset).
fn read_search(t: &Page, raw: Option<&str>) -> Result<(Form, AuditQuery, Option<i64>), Response> {
    let q = query_params(raw.unwrap_or(""), &FIELDS).map_err(IntoResponse::into_response)?;
    let get = |k: &str| q.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let form = Form {
        kind: get("kind"),
        who: get("who"),
        correlation_id: get("correlation_id"),
        since: get("since"),
        until: get("until"),
    };
    let query = search_query(&form.input(), &t.brand.timezone, crate::util::now_unix())
        .map_err(|(field, msg)| Refusal::bad_request("audit_search", format!("{field}: {msg}")).into_response())?;
    let before = match q.get("before") {
        None => None,
        Some(b) => Some(
            b.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| Refusal::bad_request("audit_search", "before: an event number").into_response())?,
        ),
    };
    Ok((form, query, before))
}

#[derive(askama::Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    t: Page,
    nav: Nav,
    rows: Vec<AuditRow>,
    form: Form,
    /// The search as a query string (links).
    query: String,
    searching: bool,
    /// `before` of the next (older) page.
    older: Option<i64>,
    paged: bool,
}

/// `GET /admin/audit?kind=&who=&correlation_id=&since=&until=&before=`.
pub async fn page(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery) -> Response {
    let t = &admin.page;
    let (form, query, before) = match read_search(t, raw.as_deref()) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut list = match state.store.search_audit(&query, before, PAGE_SIZE + 1).await {
        Ok(l) => l,
        Err(e) => return Internal::from(e).into_response(),
    };
    let more = list.len() as i64 > PAGE_SIZE;
    list.truncate(PAGE_SIZE as usize);
    let older = if more { list.last().map(|e| e.id) } else { None };
    let rows = list.into_iter().map(|e| AuditRow::new(t, e)).collect();
    let page = AuditPage {
        t: t.clone(),
        nav: admin.nav("audit"),
        rows,
        query: form.query(),
        searching: query != AuditQuery::default(),
        form,
        older,
        paged: before.is_some(),
    };
    html(StatusCode::OK, t, &page)
}

/// The two export formats.
#[derive(Clone, Copy)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Jsonl => "application/x-ndjson; charset=utf-8",
        }
    }
    fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// `GET /admin/audit.csv?…`.
pub async fn export_csv(state: State<AppState>, admin: Admin, raw: RawQuery) -> Response {
    export(state, admin, raw, Format::Csv).await
}

/// `GET /admin/audit.jsonl?…`.
pub async fn export_jsonl(state: State<AppState>, admin: Admin, raw: RawQuery) -> Response {
    export(state, admin, raw, Format::Jsonl).await
}

async fn export(State(state): State<AppState>, admin: Admin, RawQuery(raw): RawQuery, format: Format) -> Response {
    let (_, query, before) = match read_search(&admin.page, raw.as_deref()) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let store = state.store.clone();
    let header = match format {
        Format::Csv => Some(csv_header()),
        Format::Jsonl => None,
    };
    // Page by page (keyset), so a long export holds one batch in memory.
    let stream = futures_util::stream::unfold((header, before, 0usize, false), move |(header, before, sent, done)| {
        let store = store.clone();
        let query = query.clone();
        async move {
            if let Some(h) = header {
                return Some((Ok::<_, std::io::Error>(h), (None, before, sent, done)));
            }
            if done || sent >= MAX_EXPORT_ROWS {
                return None;
            }
            let want = EXPORT_BATCH.min((MAX_EXPORT_ROWS - sent) as i64);
            match store.search_audit(&query, before, want).await {
                Ok(list) if list.is_empty() => None,
                Ok(list) => {
                    let last = list.last().map(|e| e.id);
                    let done = (list.len() as i64) < want;
                    let chunk: String = list
                        .iter()
                        .map(|e| match format {
                            Format::Csv => csv_line(e),
                            Format::Jsonl => jsonl_line(e),
                        })
                        .collect();
                    Some((Ok(chunk), (None, last, sent + list.len(), done)))
                }
                Err(e) => {
                    tracing::error!("audit export stopped: {e}");
                    Some((Err(std::io::Error::other(e.to_string())), (None, before, sent, true)))
                }
            }
        }
    });
    let name = format!("attachment; filename=\"samlgate-audit.{}\"", format.ext());
    let mut r = Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    super::no_store(&mut r);
    r
}
