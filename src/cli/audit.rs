//! `samlgate audit export`: the audit events matching a search, as CSV or JSON Lines (the same search
//! and the same columns as `/admin/audit.csv` and `/admin/audit.jsonl`).

use std::io::Write as _;

use super::{AuditCommand, AuditFormat, CliError, CliResult};
use crate::config::Settings;
use crate::gateway::audit::{SearchInput, csv_header, csv_line, jsonl_line, search_query};

/// Rows read from the store per round.
const BATCH: i64 = 1000;

pub async fn run(settings: &Settings, command: AuditCommand) -> CliResult<()> {
    let AuditCommand::Export { since, until, kind, who, correlation_id, format, output } = command;
    let input = SearchInput {
        kind: kind.as_deref().unwrap_or(""),
        who: who.as_deref().unwrap_or(""),
        correlation_id: correlation_id.as_deref().unwrap_or(""),
        since: since.as_deref().unwrap_or(""),
        until: until.as_deref().unwrap_or(""),
    };
    let tz = settings.config.brand().timezone;
    let query = search_query(&input, &tz, crate::util::now_unix())
        .map_err(|(field, msg)| CliError::usage(format!("--{}: {msg}", field.replace('_', "-"))))?;
    let store = crate::store::open(&settings.config.store.url, &settings.dir).await?;
    let mut out: Box<dyn std::io::Write> = match &output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| CliError::failure(format!("cannot write {}: {e}", p.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let write_err = |e: std::io::Error| CliError::failure(format!("cannot write the export: {e}"));
    if let AuditFormat::Csv = format {
        out.write_all(csv_header().as_bytes()).map_err(write_err)?;
    }
    let mut before = None;
    let mut n = 0usize;
    loop {
        let list = store.search_audit(&query, before, BATCH).await?;
        for e in &list {
            let line = match format {
                AuditFormat::Csv => csv_line(e),
                AuditFormat::Jsonl => jsonl_line(e),
            };
            out.write_all(line.as_bytes()).map_err(write_err)?;
        }
        n += list.len();
        if (list.len() as i64) < BATCH {
            break;
        }
        before = list.last().map(|e| e.id);
    }
    out.flush().map_err(write_err)?;
    if output.is_some() {
        eprintln!("{n} audit events written");
    }
    Ok(())
}
