//! `samlgate mock-sp` (the local stand-in for Huawei's SP, see [`crate::mocksp`]) and `samlgate init
//! --with-mock-sp`: a gateway config wired to a local mock SP, so the whole journey runs on one machine — `huawei.auth_base_url` is the mock, `huawei.sp_metadata` the mock's metadata file
//! (written here, next to its key), `huawei.x_account_type` the mock's, and the partner login URL the
//! mock's partner page.

use std::path::Path;

use super::{CliError, CliResult, MockSpArgs};
use crate::config::{self, Settings, Site};
use crate::gateway::setup::{ensure_config, ensure_initialized, write_config};
use crate::mocksp::{IdpSource, METADATA_FILE, MOCK_X_ACCOUNT_TYPE, MockSpOptions, PartnerConfig, serve_with};

/// The name of the demo partner platform (the mock's `/partner` page), as the gateway's pages say it.
pub const DEMO_PARTNER_NAME: &str = "Acme Cloud Store";

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
    crate::mocksp::init_files(&dir.join(MOCK_DIR), mock_url)
        .map_err(|e| CliError::usage(format!("--mock-sp-url: {e:#}")))?;
    let xat = x_account_type.unwrap_or(MOCK_X_ACCOUNT_TYPE);
    ensure_config(config_path, base_url, Some(xat), site)?;
    let mut c = config::load_as_written(config_path)?;
    c.huawei.auth_base_url = Some(mock_url.to_owned());
    c.huawei.sp_metadata = format!("{MOCK_DIR}/{}", METADATA_FILE);
    c.huawei.x_account_type = xat.to_owned();
    c.handoff.partner_login_url = Some(format!("{mock_url}/partner"));
    // The demo partner page's name, in the gateway's sentences ("back to Acme Cloud Store").
    if c.ui.partner_name.is_none() {
        c.ui.partner_name = Some(DEMO_PARTNER_NAME.to_owned());
    }
    c.validate_as_written()?;
    write_config(config_path, &c)?;
    Ok(ensure_initialized(config_path, None, None, None)?)
}

/// `samlgate mock-sp`: with an existing gateway config next to it, the partner page is on too.
pub fn run(config_path: &Path, args: MockSpArgs, rt: &tokio::runtime::Runtime) -> CliResult<()> {
    super::check_socket_addr("--bind", &args.bind)?;
    let config_dir = config_path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let settings = if config_path.exists() { Some(crate::config::load(config_path)?) } else { None };
    let base_url = args.base_url.clone().unwrap_or_else(|| format!("http://{}", args.bind));
    let idp_metadata = match &args.idp_metadata {
        Some(s) => IdpSource::parse(s),
        None => IdpSource::Url(format!(
            "{}/saml/metadata",
            settings.as_ref().map(|s| s.config.server.base_url.as_str()).unwrap_or("http://127.0.0.1:8080")
        )),
    };
    let partner = match &settings {
        Some(s) => Some(PartnerConfig {
            gateway_base_url: s.config.server.base_url.clone(),
            handoff_secret: crate::gateway::setup::handoff_secrets(s)?.current,
        }),
        None => None,
    };
    let opts = MockSpOptions {
        bind: args.bind.clone(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        dir: args.dir.clone().unwrap_or_else(|| config_dir.join("mock-sp")),
        x_account_type: args.x_account_type.clone(),
        idp_metadata,
        notify_url: args.notify_url.clone(),
        partner,
        site: settings.as_ref().map(|s| s.config.huawei.site).unwrap_or(crate::mocksp::DEFAULT_SITE),
        allow_unsolicited: args.allow_unsolicited,
    };
    rt.block_on(serve_with(&opts, crate::util::shutdown_signal())).map_err(|e| CliError::failure(format!("{e:#}")))
}
