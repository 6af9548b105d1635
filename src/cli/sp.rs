//! `samlgate sp import | list`: service-provider metadata (Huawei's SP Metadata.xml).

use super::{CliError, CliResult, SpCommand};
use crate::config::Settings;
use crate::gateway::sp::format_time;

pub async fn run(settings: &Settings, command: SpCommand) -> CliResult<()> {
    use crate::gateway::sp;
    let store = crate::store::open(&settings.config.store.url, &settings.dir).await?;
    match command {
        SpCommand::Import { source, allow_http } => {
            let recorded = sp::import_source(&source);
            let done = sp::import_sp(settings, store.as_ref(), &recorded, allow_http, sp::ORIGIN_IMPORT, "admin")
                .await
                .map_err(|e| CliError::failure(e.to_string()))?;
            let rec = done.record();
            let md: crate::saml::metadata::SpMetadata = serde_json::from_str(&rec.parsed_json)
                .map_err(|e| CliError::failure(format!("stored SP is unreadable: {e}")))?;
            match &done {
                sp::Imported::Stored(_) => println!("imported SP {} from {}", md.entity_id, rec.source),
                sp::Imported::Unchanged(_) => {
                    println!("SP {} from {} is already imported (unchanged)", md.entity_id, rec.source)
                }
            }
            let huawei_id = crate::huawei::sp_entity_id(&settings.config.huawei);
            print_sp(settings, rec, &md, &huawei_id);
            if md.entity_id == huawei_id && !sp::same_source(settings, &rec.source, &settings.config.huawei.sp_metadata)
            {
                println!(
                    "  note: this import is what the gateway uses for Huawei's SP from now on, across restarts; \
                     huawei.sp_metadata (`{}`) only seeds an empty store",
                    settings.config.huawei.sp_metadata
                );
            }
            Ok(())
        }
        SpCommand::List => {
            let sps = store.list_sps().await?;
            let huawei_id = crate::huawei::sp_entity_id(&settings.config.huawei);
            if sps.is_empty() {
                println!("no SPs imported");
            }
            for rec in &sps {
                match serde_json::from_str::<crate::saml::metadata::SpMetadata>(&rec.parsed_json) {
                    Ok(md) => print_sp(settings, rec, &md, &huawei_id),
                    Err(e) => println!("{} (unreadable: {e})", rec.entity_id),
                }
            }
            if let Some(w) = sp::huawei_sp_state(settings, store.as_ref()).await?.warning() {
                println!("warning: {w}");
            }
            for listed in &settings.config.sps {
                if !sps.iter().any(|r| r.entity_id == listed.entity_id) {
                    println!("warning: [[sps]] names `{}`, which is not an imported SP", listed.entity_id);
                }
            }
            Ok(())
        }
    }
}

/// The details of one SP for `sp import` and `sp list`.
fn print_sp(
    settings: &Settings,
    rec: &crate::store::SpRecord,
    md: &crate::saml::metadata::SpMetadata,
    huawei_id: &str,
) {
    use crate::saml::metadata::cert_summary;
    let role = if md.entity_id == huawei_id { " — Huawei's SP" } else { "" };
    println!("{} (from {}){role}", md.entity_id, rec.source);
    let origin = match rec.origin.as_str() {
        crate::gateway::sp::ORIGIN_IMPORT => "import (samlgate sp import; kept across restarts)",
        _ => "config (huawei.sp_metadata)",
    };
    println!("  origin:      {origin}");
    println!("  imported:    {}; last changed {}", format_time(rec.imported_at), format_time(rec.updated_at));
    println!("  signature:   {}", md.signature.describe());
    let idp_initiated = settings.config.sp_settings(&md.entity_id).is_some_and(|s| s.allow_idp_initiated);
    println!(
        "  IdP-initiated SSO: {}",
        if idp_initiated { "allowed ([[sps]] allow_idp_initiated; /saml/init?sp=…)" } else { "off" }
    );
    let now = crate::util::now_unix();
    let describe = |der: &[u8]| match cert_summary(der, now) {
        Some(c) => {
            let left = if c.days_left < 0 {
                format!("EXPIRED {} days ago", -c.days_left)
            } else {
                format!("{} days left", c.days_left)
            };
            format!("{}, {}, SHA-256 {}, not after {} ({left})", c.subject, c.key, c.sha256, c.not_after)
        }
        None => "(unreadable certificate)".to_owned(),
    };
    for der in &md.signing_certs {
        println!("  signing:     {}", describe(der));
    }
    for der in &md.encryption_certs {
        if md.signing_certs.contains(der) {
            println!("  encryption:  the signing certificate above");
        } else {
            println!("  encryption:  {}", describe(der));
        }
    }
    println!(
        "  AuthnRequestsSigned={}, WantAssertionsSigned={}, NameIDFormat {}",
        md.authn_requests_signed,
        md.want_assertions_signed,
        if md.name_id_formats.is_empty() { "(none)".to_owned() } else { md.name_id_formats.join(", ") }
    );
    let binding = |b: &str| b.rsplit(':').next().unwrap_or(b).to_owned();
    for a in &md.acs {
        let mut extra = Vec::new();
        if let Some(i) = a.index {
            extra.push(format!("index {i}"));
        }
        if a.is_default {
            extra.push("default".to_owned());
        }
        let extra = if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) };
        println!("  ACS  {} {}{extra}", binding(&a.binding), a.location);
    }
    for s in &md.slo {
        let resp = s.response_location.as_deref().map(|r| format!(" (response {r})")).unwrap_or_default();
        println!("  SLO  {} {}{resp}", binding(&s.binding), s.location);
    }
    for w in &md.warnings {
        println!("  warning: {w}");
    }
}
