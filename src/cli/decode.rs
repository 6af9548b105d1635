//! `samlgate decode MESSAGE|URL|-`: the decoder of `/admin/decode` on the command line.

use std::io::Read as _;

use super::{CliError, CliResult};
use crate::config::Settings;
use crate::gateway::decode::MAX_INPUT_BYTES;

pub async fn run(settings: Settings, message: &str, json: bool) -> CliResult<()> {
    let input = if message == "-" {
        let mut s = String::new();
        std::io::stdin()
            .take(MAX_INPUT_BYTES as u64 + 1)
            .read_to_string(&mut s)
            .map_err(|e| CliError::failure(format!("cannot read the message from stdin: {e}")))?;
        s
    } else {
        message.to_owned()
    };
    let gateway =
        crate::gateway::Gateway::build_read_only(settings).await.map_err(|e| CliError::failure(format!("{e:#}")))?;
    let decoded = gateway.decode_message(&input).await.map_err(|e| CliError::usage(e.to_string()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&decoded).unwrap_or_default());
    } else {
        println!("{} ({})", decoded.message, decoded.encoding);
        if let Some(rs) = &decoded.relay_state {
            println!("RelayState: {rs}");
        }
        println!();
        print!("{}", decoded.xml);
        println!();
        for c in &decoded.checks {
            let mark = if c.ok { "pass" } else { "FAIL" };
            let reason = if c.reason.is_empty() { String::new() } else { format!(" [{}]", c.reason) };
            println!("{mark}  {:<9} {}{reason}", c.name, c.detail);
        }
    }
    if decoded.all_passed() { Ok(()) } else { Err(CliError::failure("some checks failed")) }
}

/// `samlgate preview --user X [--name N] [--mobile M] [--email E] [--json]`.
pub async fn preview(
    settings: Settings,
    user: &str,
    [name, mobile, email]: [Option<&str>; 3],
    json: bool,
) -> CliResult<()> {
    let gateway =
        crate::gateway::Gateway::build_read_only(settings).await.map_err(|e| CliError::failure(format!("{e:#}")))?;
    let c = crate::huawei::Customer { sub: user, name, mobile, email };
    let p = gateway
        .preview(&c)
        .await
        .map_err(|e| CliError::failure(e.to_string()))?
        .map_err(|e| CliError::usage(e.to_string()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&p).unwrap_or_default());
        return Ok(());
    }
    println!("NameID         _… (a new transient ID per assertion), Format {}", p.name_id_format);
    println!("NameQualifier  {}", p.name_qualifier);
    match &p.bound_to {
        Some((id, name)) => println!("isFirstLogin   false (bound to {id} {name})"),
        None => println!("isFirstLogin   true"),
    }
    for (n, values) in &p.attributes {
        println!("{n:<14} {}", values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", "));
    }
    Ok(())
}
