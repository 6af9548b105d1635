//! The `samlgate` command line: the CLI room. [`args`] defines the commands; each command group has
//! its file and calls the [`gateway`](crate::gateway) layer (or the [`web`](crate::web) and
//! [`mocksp`](crate::mocksp) servers). Exit codes: 0 ok, 2 usage or config error, 1 any other failure.

use std::process::ExitCode;

use clap::Parser;

use crate::config::ConfigError;
use crate::gateway::setup::{SetupError, existing_config};

mod admin;
pub mod args;
mod assert;
mod audit;
mod bindings;
mod check;
mod decode;
pub mod demo;
mod keys;
mod man;
mod metadata;
pub mod mock_sp;
mod serve;
mod sp;
mod token;

pub use args::{
    AdminCommand, AlgorithmArg, AssertArgs, AssertFormat, AuditCommand, AuditFormat, BindingsCommand, CheckFormat, Cli,
    Command, CustomerArgs, DemoArgs, KeysCommand, LogFormat, MetadataCommand, MockSpArgs, ScopeArg, SiteArg, SpCommand,
    TokenCommand,
};

/// A failure with its exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    pub fn usage(m: impl Into<String>) -> Self {
        CliError { code: 2, message: m.into() }
    }
    pub fn failure(m: impl Into<String>) -> Self {
        CliError { code: 1, message: m.into() }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError::usage(e.to_string())
    }
}

impl From<SetupError> for CliError {
    fn from(e: SetupError) -> Self {
        match e {
            SetupError::Usage(m) => CliError::usage(m),
            SetupError::Failure(m) => CliError::failure(m),
        }
    }
}

impl From<crate::keys::KeyError> for CliError {
    fn from(e: crate::keys::KeyError) -> Self {
        CliError::failure(e.to_string())
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        CliError::failure(format!("store: {e}"))
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::failure(format!("{e:#}"))
    }
}

impl From<crate::saml::xml::XmlWriteError> for CliError {
    fn from(e: crate::saml::xml::XmlWriteError) -> Self {
        CliError::failure(format!("cannot write XML: {e}"))
    }
}

pub type CliResult<T> = Result<T, CliError>;

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(matches!(cli.log_format, LogFormat::Json));
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("samlgate: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Sets up `tracing` once: text or JSON lines on stderr, filter from `SAMLGATE_LOG` (default `info`).
pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SAMLGATE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

fn runtime() -> CliResult<tokio::runtime::Runtime> {
    // The SQLite store commits when a worker has nothing left to run (group commit without a fixed wait).
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(crate::store::runtime_thread_started)
        .on_thread_park(crate::store::runtime_parked)
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

/// `--bind ADDR:PORT` and its likes.
fn check_socket_addr(flag: &str, value: &str) -> CliResult<()> {
    value
        .parse::<std::net::SocketAddr>()
        .map(|_| ())
        .map_err(|e| CliError::usage(format!("{flag} `{value}` is not ADDR:PORT ({e})")))
}

pub fn run(cli: Cli) -> CliResult<()> {
    let command = cli.command.unwrap_or(Command::Serve { bind: None });
    // These two describe the CLI itself: no config is read or created, no runtime started.
    match command {
        Command::Completions { shell } => return man::completions(shell),
        Command::Man { dir } => return man::man(dir.as_deref()),
        _ => {}
    }
    let rt = runtime()?;
    let config = &cli.config;
    match command {
        Command::Serve { bind } => serve::serve(config, bind, &rt),
        Command::Init { base_url, x_account_type, site, bp_id, with_mock_sp, mock_sp_url } => {
            let opts = serve::InitOptions {
                base_url: base_url.as_deref(),
                x_account_type: x_account_type.as_deref(),
                site: site.map(Into::into),
                bp_id,
                mock_sp_url: with_mock_sp.then_some(mock_sp_url.as_str()),
            };
            serve::init(config, opts, &rt)
        }
        Command::Keys { command } => keys::run(&existing_config(config)?, command),
        Command::Metadata { command: MetadataCommand::Export { output } } => {
            metadata::export(&existing_config(config)?, output.as_deref())
        }
        Command::Sp { command } => rt.block_on(sp::run(&existing_config(config)?, command)),
        Command::Token { customer: CustomerArgs { user, name, mobile, email }, ttl, service, raw } => {
            let settings = existing_config(config)?;
            token::run(&settings, token::TokenOptions { user, name, mobile, email, ttl, service, raw })
        }
        Command::MockSp(args) => mock_sp::run(config, args, &rt),
        Command::Demo(args) => demo::run_cli(args, config, &rt),
        Command::Bindings { command } => rt.block_on(bindings::run(&existing_config(config)?, command)),
        Command::Admin { command } => admin::run(config, command, &rt),
        Command::Preview { customer: CustomerArgs { user, name, mobile, email }, json } => {
            rt.block_on(decode::preview(
                existing_config(config)?,
                &user,
                [name.as_deref(), mobile.as_deref(), email.as_deref()],
                json,
            ))
        }
        Command::Check { format } => rt.block_on(check::run(&existing_config(config)?, format)),
        Command::Decode { message, json } => rt.block_on(decode::run(existing_config(config)?, &message, json)),
        Command::Assert(args) => rt.block_on(assert::run(existing_config(config)?, args)),
        Command::Audit { command } => rt.block_on(audit::run(&existing_config(config)?, command)),
        Command::Completions { shell } => man::completions(shell),
        Command::Man { dir } => man::man(dir.as_deref()),
    }
}
