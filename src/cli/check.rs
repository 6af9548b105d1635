//! `samlgate check [--format text|json]`: the production readiness check of
//! [`crate::gateway::check`], printed for people (✓/✗ and what to do) or as JSON.

use super::{CheckFormat, CliError, CliResult};
use crate::config::Settings;

pub async fn run(settings: &Settings, format: CheckFormat) -> CliResult<()> {
    let report = crate::gateway::check::check(settings).await;
    if format == CheckFormat::Json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| CliError::failure(e.to_string()))?);
    } else {
        println!("samlgate check — {}\n", report.config);
        for i in &report.items {
            println!("  {} {}", if i.ok { "✓" } else { "✗" }, i.title);
            if !i.ok {
                println!("      → {}", i.fix);
            }
        }
        println!("\nEnter in Partner Center → Support → Open APIs → Access Configuration:");
        for v in &report.partner_center {
            println!("  {} ({}): {}", v.field_cn, v.field_en, v.value);
        }
        let bad = report.items.iter().filter(|i| !i.ok).count();
        if report.ready {
            println!("\nReady for production.");
        } else {
            println!("\nNot ready for production: {bad} item{} to fix.", if bad == 1 { "" } else { "s" });
        }
    }
    if report.ready { Ok(()) } else { Err(CliError { code: 1, message: "not ready for production".into() }) }
}
