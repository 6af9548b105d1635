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
    let gateway = crate::gateway::Gateway::build(settings).await.map_err(|e| CliError::failure(format!("{e:#}")))?;
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
