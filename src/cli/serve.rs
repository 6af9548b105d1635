//! `samlgate serve` (the default command) and `samlgate init`.

use std::path::Path;

use super::{CliError, CliResult};
use crate::config::{self, Settings, Site};
use crate::gateway::setup::{ensure_initialized, init_warnings, write_config};

/// `serve`: first start writes missing config, keys, metadata and store; then runs until SIGTERM.
pub fn serve(config: &Path, bind: Option<String>, rt: &tokio::runtime::Runtime) -> CliResult<()> {
    let mut settings = ensure_initialized(config, None, None, None)?;
    if let Some(b) = bind {
        super::check_socket_addr("--bind", &b)?;
        settings.config.server.bind = b;
    }
    rt.block_on(crate::web::serve(settings)).map_err(|e| CliError::failure(format!("{e:#}")))
}

/// The options of `init`.
pub struct InitOptions<'a> {
    pub base_url: Option<&'a str>,
    pub x_account_type: Option<&'a str>,
    pub site: Option<Site>,
    pub bp_id: Option<String>,
    /// `--with-mock-sp`: the mock SP's URL.
    pub mock_sp_url: Option<&'a str>,
}

/// `init`: config, keys, IdP metadata and the store, then what was made and what will not work yet.
pub fn init(config: &Path, o: InitOptions<'_>, rt: &tokio::runtime::Runtime) -> CliResult<()> {
    if let Some(bp) = &o.bp_id
        && (bp.is_empty() || bp.chars().count() > 64 || bp.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(CliError::usage("--bp-id must be 1–64 characters without spaces"));
    }
    let settings = match o.mock_sp_url {
        Some(mock) => super::mock_sp::init_with_mock_sp(config, o.base_url, mock, o.x_account_type, o.site)?,
        None => ensure_initialized(config, o.base_url, o.x_account_type, o.site)?,
    };
    let settings: Settings = match o.bp_id {
        Some(bp) => {
            let mut c = config::load_as_written(config)?;
            c.huawei.bp_id = Some(bp);
            c.validate_as_written()?;
            write_config(config, &c)?;
            config::load(config)?
        }
        None => settings,
    };
    rt.block_on(async {
        let gateway = crate::gateway::Gateway::build(settings.clone()).await?;
        println!("config:   {}", settings.path.display());
        println!("metadata: {}", settings.resolve(&settings.config.idp.metadata_file).display());
        println!("store:    {}", settings.config.store.url);
        println!("SPs:      {}", gateway.store.list_sps().await?.len());
        for w in init_warnings(&settings.config) {
            println!("warning:  {w}");
        }
        Ok::<(), CliError>(())
    })
}
