//! `samlgate metadata export`.

use std::path::PathBuf;

use super::CliResult;
use crate::config::Settings;
use crate::gateway::setup::{idp_metadata, load_key_set, write_file};

/// Writes `IDP Metadata.xml` (every published key: the current one, and during a rollover the next or
/// the previous one) to `output` (default `idp.metadata_file`), or to stdout for `-`.
pub fn export(settings: &Settings, output: Option<&str>) -> CliResult<()> {
    let keys = load_key_set(settings)?;
    let xml = idp_metadata(settings, &keys)?;
    match output {
        Some("-") => print!("{xml}"),
        other => {
            let path = other.map(PathBuf::from).unwrap_or_else(|| settings.resolve(&settings.config.idp.metadata_file));
            write_file(&path, xml.as_bytes())?;
            println!("wrote {} ({} bytes)", path.display(), xml.len());
        }
    }
    Ok(())
}
