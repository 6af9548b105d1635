//! `samlgate init --with-mock-sp`: a gateway config wired to a local mock SP, so the whole journey runs
//! on one machine — `huawei.auth_base_url` is the mock, `huawei.sp_metadata` the mock's metadata file
//! (written here, next to its key), `huawei.x_account_type` the mock's, and the partner login URL the
//! mock's partner page.

use std::path::Path;

use crate::cli::{CliError, CliResult, ensure_config, ensure_initialized, write_file};
use crate::config::{self, Settings, Site};

/// Where the mock SP keeps its files, relative to the config file's directory.
pub const MOCK_DIR: &str = "mock-sp";

/// Writes (or updates) the config at `config_path` for a mock SP at `mock_url` and returns the
/// initialised settings (keys, IdP metadata and store ready).
pub fn init_with_mock_sp(
    config_path: &Path,
    base_url: Option<&str>,
    mock_url: &str,
    x_account_type: Option<&str>,
    site: Option<Site>,
) -> CliResult<Settings> {
    let mock_url = mock_url.trim_end_matches('/');
    let dir = config_path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    super::init_files(&dir.join(MOCK_DIR), mock_url).map_err(|e| CliError::usage(format!("--mock-sp-url: {e:#}")))?;
    let xat = x_account_type.unwrap_or(super::MOCK_X_ACCOUNT_TYPE);
    ensure_config(config_path, base_url, Some(xat), site)?;
    let mut c = config::load(config_path)?.config;
    c.huawei.auth_base_url = Some(mock_url.to_owned());
    c.huawei.sp_metadata = format!("{MOCK_DIR}/{}", super::METADATA_FILE);
    c.huawei.x_account_type = xat.to_owned();
    c.handoff.partner_login_url = Some(format!("{mock_url}/partner"));
    c.validate()?;
    write_file(config_path, c.to_toml().as_bytes())?;
    ensure_initialized(config_path, None, None, None)
}
