//! The `samlgate` command line. Exit codes: 0 ok, 2 usage or config error, 1 any other failure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Config, ConfigError, Settings, Site};
use crate::keys::{self, CaOptions, GenerateOptions, KeyAlgorithm, KeyPaths};

#[derive(Debug, Parser)]
#[command(name = "samlgate", version, about = "SAML 2.0 IdP and SSO gateway for Huawei Cloud partner sales platforms")]
pub struct Cli {
    /// Configuration file; created with working defaults by `init` and on the first `serve`.
    #[arg(long, global = true, env = "SAMLGATE_CONFIG", default_value = "samlgate.toml")]
    pub config: PathBuf,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default). The first start writes missing config, keys, metadata and store.
    Serve {
        /// Listen address, overriding server.bind.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Write config, keys, IdP metadata and the store in the config file's directory.
    Init {
        /// Public base URL of the gateway (https in production).
        #[arg(long)]
        base_url: Option<String>,
        /// The xAccountType Huawei assigned on the Access Configuration page.
        #[arg(long)]
        x_account_type: Option<String>,
        /// Huawei Cloud site: cn, intl or eu.
        #[arg(long)]
        site: Option<String>,
        /// Your partner ID, sent as the `bpId` attribute (huawei.bp_id).
        #[arg(long)]
        bp_id: Option<String>,
        /// Wire the gateway to a local mock SP (`samlgate mock-sp`): auth_base_url, SP metadata and
        /// xAccountType become the mock's, so the whole journey runs on this machine.
        #[arg(long)]
        with_mock_sp: bool,
        /// The mock SP's URL (with --with-mock-sp).
        #[arg(long, default_value = crate::mocksp::DEFAULT_MOCK_URL, requires = "with_mock_sp")]
        mock_sp_url: String,
    },
    /// Run a local stand-in for Huawei Cloud's SAML SP (for demos and tests).
    MockSp(crate::mocksp::MockSpArgs),
    /// Run the gateway and the mock SP together (8080 + 8081), with a demo partner page at
    /// http://127.0.0.1:8081/partner.
    Demo(crate::mocksp::demo::DemoArgs),
    /// Manage the IdP signing key and certificate.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Export the IdP metadata (IDP Metadata.xml).
    Metadata {
        #[command(subcommand)]
        command: MetadataCommand,
    },
    /// Import and list service-provider metadata (Huawei's SP Metadata.xml).
    Sp {
        #[command(subcommand)]
        command: SpCommand,
    },
    /// Make a hand-off token for a customer (for trials; the partner backend makes its own) and print
    /// the ready "go to console" link.
    Token {
        /// The partner's customer id (sent to Huawei as xUserId).
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        mobile: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Lifetime in seconds (at most handoff.token_max_age_secs).
        #[arg(long, default_value_t = 60)]
        ttl: u64,
        /// Catalog key or console URL for the link.
        #[arg(long)]
        service: Option<String>,
        /// Print only the token.
        #[arg(long)]
        raw: bool,
    },
    /// List, show and remove xUserId ↔ HUAWEI CLOUD account bindings (from Huawei's bind notification).
    Bindings {
        #[command(subcommand)]
        command: BindingsCommand,
    },
    /// Manage the users of the admin pages (`/admin`).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an admin user to `[[admin.users]]` of the config file, or set a new password for an existing
    /// one. Only the argon2id hash is stored. Restart the gateway to apply.
    AddUser {
        /// Sign-in name (letters, digits, `.`, `_`, `-`, `@`; at most 64).
        name: String,
        /// Read the password from this environment variable instead of standard input.
        #[arg(long)]
        password_env: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a new key and certificate (refuses to overwrite without --force).
    Generate {
        /// rsa2048 (default), rsa3072, rsa4096 or ecdsa-p256.
        #[arg(long, default_value = "rsa2048")]
        algorithm: String,
        /// Certificate subject CN (default: the host of the base URL).
        #[arg(long)]
        cn: Option<String>,
        /// Validity in days.
        #[arg(long, default_value_t = 3650)]
        days: u32,
        /// Make a CA key and certificate and have the CA sign the IdP certificate.
        #[arg(long)]
        ca: bool,
        /// Environment variable holding a passphrase for the CA key (AES-256 encrypted when set).
        #[arg(long)]
        ca_passphrase_env: Option<String>,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Import a certificate and key issued elsewhere (PEM, or PKCS#12 with --cert FILE.p12).
    Import {
        #[arg(long)]
        cert: PathBuf,
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long)]
        chain: Option<PathBuf>,
        /// Environment variable holding the PKCS#12 password.
        #[arg(long)]
        pkcs12_password_env: Option<String>,
    },
    /// Show the current certificate: subject, SHA-256 fingerprint, expiry.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum MetadataCommand {
    /// Write the IdP metadata to a file (default: idp.metadata_file) or `-` for stdout.
    Export {
        #[arg(short, long)]
        output: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SpCommand {
    /// Import SP metadata from a file or an https URL.
    Import {
        source: String,
        /// Accept http:// endpoints (local trials only).
        #[arg(long)]
        allow_http: bool,
    },
    /// List imported SPs.
    List,
}

#[derive(Debug, Subcommand)]
pub enum BindingsCommand {
    /// List bindings, newest first.
    List {
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Show the binding of one partner customer (xUserId).
    Show { x_user_id: String },
    /// Record that a customer is already associated with a HUAWEI CLOUD account — one created with
    /// Huawei's create-customer Partner API with `xaccount_id` = XUSERID — so that its first jump says
    /// isFirstLogin=false. Audited (`bind.added`).
    Add {
        /// The partner's customer id (the `xaccount_id` given to Huawei's create-customer API).
        x_user_id: String,
        /// The HUAWEI CLOUD account ID (`domain_id` of the create-customer response), if known.
        #[arg(long)]
        domain_id: Option<String>,
        /// The HUAWEI CLOUD account name (`domain_name`), if known.
        #[arg(long)]
        domain_name: Option<String>,
    },
    /// Remove the binding of one partner customer: their next "go to console" uses isFirstLogin=true.
    /// (Huawei's side of the association is not changed.) Audited.
    Remove { x_user_id: String },
}

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

impl From<keys::KeyError> for CliError {
    fn from(e: keys::KeyError) -> Self {
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
    crate::web::init_logging(matches!(cli.log_format, LogFormat::Json));
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("samlgate: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

pub fn run(cli: Cli) -> CliResult<()> {
    let command = cli.command.unwrap_or(Command::Serve { bind: None });
    let rt = runtime()?;
    match command {
        Command::Serve { bind } => {
            let mut settings = ensure_initialized(&cli.config, None, None, None)?;
            if let Some(b) = bind {
                b.parse::<std::net::SocketAddr>()
                    .map_err(|e| CliError::usage(format!("--bind `{b}` is not ADDR:PORT ({e})")))?;
                settings.config.server.bind = b;
            }
            rt.block_on(crate::web::serve(settings)).map_err(|e| CliError::failure(format!("{e:#}")))
        }
        Command::Init { base_url, x_account_type, site, bp_id, with_mock_sp, mock_sp_url } => {
            let site = site.map(|s| s.parse::<Site>()).transpose().map_err(CliError::usage)?;
            if let Some(bp) = &bp_id
                && (bp.is_empty() || bp.chars().count() > 64 || bp.chars().any(|c| c.is_whitespace() || c.is_control()))
            {
                return Err(CliError::usage("--bp-id must be 1–64 characters without spaces"));
            }
            let settings = if with_mock_sp {
                crate::mocksp::setup::init_with_mock_sp(
                    &cli.config,
                    base_url.as_deref(),
                    &mock_sp_url,
                    x_account_type.as_deref(),
                    site,
                )?
            } else {
                ensure_initialized(&cli.config, base_url.as_deref(), x_account_type.as_deref(), site)?
            };
            let settings = match bp_id {
                Some(bp) => {
                    let mut c = config::load_from(&cli.config, &[])?.config;
                    c.huawei.bp_id = Some(bp);
                    c.validate()?;
                    write_file(&cli.config, c.to_toml().as_bytes())?;
                    config::load(&cli.config)?
                }
                None => settings,
            };
            rt.block_on(async {
                let state = crate::web::AppState::build(settings.clone()).await?;
                println!("config:   {}", settings.path.display());
                println!("metadata: {}", settings.resolve(&settings.config.idp.metadata_file).display());
                println!("store:    {}", settings.config.store.url);
                println!("SPs:      {}", state.store.list_sps().await?.len());
                for w in init_warnings(&settings.config) {
                    println!("warning:  {w}");
                }
                Ok::<(), CliError>(())
            })
        }
        Command::Keys { command } => {
            let settings = ensure_config(&cli.config, None, None, None)?;
            run_keys(&settings, command)
        }
        Command::Metadata { command: MetadataCommand::Export { output } } => {
            let settings = ensure_config(&cli.config, None, None, None)?;
            let keys = load_keys(&settings)?;
            let xml = crate::web::idp_metadata(&settings, &keys)?;
            match output.as_deref() {
                Some("-") => print!("{xml}"),
                other => {
                    let path = other
                        .map(PathBuf::from)
                        .unwrap_or_else(|| settings.resolve(&settings.config.idp.metadata_file));
                    write_file(&path, xml.as_bytes())?;
                    println!("wrote {} ({} bytes)", path.display(), xml.len());
                }
            }
            Ok(())
        }
        Command::Sp { command } => {
            let settings = ensure_config(&cli.config, None, None, None)?;
            rt.block_on(run_sp(&settings, command))
        }
        Command::Token { user, name, mobile, email, ttl, service, raw } => {
            let settings = ensure_config(&cli.config, None, None, None)?;
            let c = &settings.config;
            if ttl == 0 || ttl > c.handoff.token_max_age_secs {
                return Err(CliError::usage(format!("--ttl must be between 1 and {}", c.handoff.token_max_age_secs)));
            }
            if user.is_empty() || user.len() > 128 {
                return Err(CliError::usage("--user must be 1–128 characters"));
            }
            let customer = crate::huawei::Customer {
                sub: &user,
                name: name.as_deref(),
                mobile: mobile.as_deref(),
                email: email.as_deref(),
            };
            crate::huawei::check_customer(&customer).map_err(|e| {
                let flag = if e.claim == "sub" { "user" } else { e.claim };
                CliError::usage(format!("--{flag}: {e}"))
            })?;
            let now = crate::web::now_unix();
            let claims = crate::handoff::Claims {
                sub: user,
                iat: now,
                exp: now + ttl as i64,
                jti: crate::handoff::new_jti(),
                name,
                mobile,
                email,
            };
            let token = crate::handoff::issue(&c.handoff.secret, &claims);
            if raw {
                println!("{token}");
            } else {
                let mut link = format!("{}/console?token={}", c.server.base_url, token);
                if let Some(s) = service {
                    link.push_str("&service=");
                    link.push_str(&crate::huawei::encode_component(&s));
                }
                println!("{link}");
            }
            Ok(())
        }
        Command::MockSp(args) => crate::mocksp::run_cli(&cli.config, args, &rt),
        Command::Demo(args) => crate::mocksp::demo::run_cli(args, &cli.config, &rt),
        Command::Bindings { command } => {
            let settings = ensure_config(&cli.config, None, None, None)?;
            rt.block_on(run_bindings(&settings, command))
        }
        Command::Admin { command } => run_admin(&cli.config, command),
    }
}

/// Warnings `init` prints about values that will not work against the real Huawei Cloud.
pub fn init_warnings(c: &Config) -> Vec<String> {
    let mut w = Vec::new();
    if !c.idp.entity_id.starts_with("https://") {
        w.push(format!(
            "idp.entity_id `{}` is not https: Huawei requires https:// for a production entityID",
            c.idp.entity_id
        ));
    }
    if !c.server.base_url.starts_with("https://") {
        w.push(format!("server.base_url `{}` is not https: fine for local trials only", c.server.base_url));
    }
    if c.huawei.x_account_type == config::PLACEHOLDER_X_ACCOUNT_TYPE {
        w.push("huawei.x_account_type is still the placeholder: set the value shown on Partner Center's Access Configuration page".into());
    }
    if c.huawei.bp_id.as_deref().is_none_or(|b| b.trim().is_empty()) {
        w.push(crate::huawei::BP_ID_WARNING.into());
    }
    w
}

pub fn write_file(path: &Path, bytes: &[u8]) -> CliResult<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::failure(format!("cannot create {}: {e}", dir.display())))?;
    }
    // Write then rename, so a reader never sees half a file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| CliError::failure(format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))
}

/// Loads the config, writing a fresh one first when the file does not exist.
pub fn ensure_config(
    path: &Path,
    base_url: Option<&str>,
    x_account_type: Option<&str>,
    site: Option<Site>,
) -> CliResult<Settings> {
    if !path.exists() {
        let c = Config::for_init(base_url, x_account_type, site);
        c.validate()?;
        write_file(path, c.to_toml().as_bytes())?;
        tracing::info!(path = %path.display(), "wrote a new config file with defaults");
    } else if base_url.is_some() || x_account_type.is_some() || site.is_some() {
        // `init` with options on an existing file: update just those keys.
        let mut c = config::load(path)?.config;
        c.apply_init_options(base_url, x_account_type, site);
        c.validate()?;
        write_file(path, c.to_toml().as_bytes())?;
    }
    Ok(config::load(path)?)
}

fn key_paths(s: &Settings) -> KeyPaths {
    let key = s.resolve(&s.config.idp.key);
    let cert = s.resolve(&s.config.idp.cert);
    let dir = key.parent().map(Path::to_path_buf).unwrap_or_else(|| s.dir.clone());
    KeyPaths {
        key,
        cert,
        ca_key: dir.join("ca.key"),
        ca_cert: dir.join("ca.crt"),
        chain: s.config.idp.chain.as_deref().map(|c| s.resolve(c)).unwrap_or_else(|| dir.join("chain.pem")),
    }
}

fn passphrase(s: &Settings) -> CliResult<Option<String>> {
    if let Some(var) = &s.config.idp.key_passphrase_env {
        return std::env::var(var)
            .map(Some)
            .map_err(|_| CliError::usage(format!("idp.key_passphrase_env names {var}, which is not set")));
    }
    if let Some(file) = &s.config.idp.key_passphrase_file {
        let path = s.resolve(file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| CliError::usage(format!("idp.key_passphrase_file {} cannot be read: {e}", path.display())))?;
        let pass = text.trim_end_matches(['\n', '\r']).to_owned();
        if pass.is_empty() {
            return Err(CliError::usage(format!("idp.key_passphrase_file {} is empty", path.display())));
        }
        return Ok(Some(pass));
    }
    Ok(None)
}

pub fn load_keys(s: &Settings) -> CliResult<keys::IdpKeys> {
    let p = key_paths(s);
    let pass = passphrase(s)?;
    keys::check_private_key_file_mode(&p.key)?;
    Ok(keys::IdpKeys::load(&p.key, &p.cert, pass.as_deref())?)
}

fn default_cn(s: &Settings) -> String {
    url::Url::parse(&s.config.server.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "samlgate".into())
}

/// Config, keys, IdP metadata file: everything `serve` needs, created when missing.
pub fn ensure_initialized(
    path: &Path,
    base_url: Option<&str>,
    x_account_type: Option<&str>,
    site: Option<Site>,
) -> CliResult<Settings> {
    let settings = ensure_config(path, base_url, x_account_type, site)?;
    let p = key_paths(&settings);
    if !p.key.exists() && !p.cert.exists() {
        let algorithm = if settings.config.idp.signature_algorithm == "ecdsa-sha256" {
            KeyAlgorithm::EcdsaP256
        } else {
            KeyAlgorithm::Rsa2048
        };
        let opts = GenerateOptions {
            algorithm,
            subject_cn: default_cn(&settings),
            days: 3650,
            ca: None,
            key_passphrase: passphrase(&settings)?,
        };
        keys::generate(&p, &opts, false)?;
        tracing::info!(key = %p.key.display(), cert = %p.cert.display(), "generated a new IdP key and certificate");
    }
    let keys = load_keys(&settings)?;
    let xml = crate::web::idp_metadata(&settings, &keys)?;
    let mpath = settings.resolve(&settings.config.idp.metadata_file);
    if std::fs::read_to_string(&mpath).ok().as_deref() != Some(xml.as_str()) {
        write_file(&mpath, xml.as_bytes())?;
    }
    let sp = settings.resolve(&settings.config.huawei.sp_metadata);
    if settings.config.huawei.sp_metadata == Config::default().huawei.sp_metadata && !sp.exists() {
        write_file(&sp, crate::huawei::BUNDLED_SP_METADATA.as_bytes())?;
    }
    Ok(settings)
}

fn run_keys(settings: &Settings, command: KeysCommand) -> CliResult<()> {
    let paths = key_paths(settings);
    match command {
        KeysCommand::Generate { algorithm, cn, days, ca, ca_passphrase_env, force } => {
            let algorithm: KeyAlgorithm =
                algorithm.parse().map_err(|e| CliError::usage(format!("--algorithm: {e}")))?;
            let ca_passphrase = match ca_passphrase_env {
                Some(var) => Some(
                    std::env::var(&var)
                        .map_err(|_| CliError::usage(format!("--ca-passphrase-env: {var} is not set")))?,
                ),
                None => None,
            };
            if days == 0 || days > 36500 {
                return Err(CliError::usage("--days must be between 1 and 36500"));
            }
            let cn = cn.unwrap_or_else(|| default_cn(settings));
            let opts = GenerateOptions {
                algorithm,
                subject_cn: cn.clone(),
                days,
                ca: ca.then(|| CaOptions { ca_passphrase, ca_subject_cn: format!("{cn} CA") }),
                key_passphrase: passphrase(settings)?,
            };
            let info = keys::generate(&paths, &opts, force)?;
            println!("{info}");
            refresh_metadata(settings)
        }
        KeysCommand::Import { cert, key, chain, pkcs12_password_env } => {
            let pw = match pkcs12_password_env {
                Some(var) => Some(
                    std::env::var(&var)
                        .map_err(|_| CliError::usage(format!("--pkcs12-password-env: {var} is not set")))?,
                ),
                None => None,
            };
            let info = keys::import(&paths, &cert, key.as_deref(), chain.as_deref(), pw.as_deref())?;
            println!("{info}");
            refresh_metadata(settings)
        }
        KeysCommand::Show => {
            let k = load_keys(settings)?;
            println!("{}", k.info());
            Ok(())
        }
    }
}

fn refresh_metadata(settings: &Settings) -> CliResult<()> {
    let keys = load_keys(settings)?;
    let xml = crate::web::idp_metadata(settings, &keys)?;
    let path = settings.resolve(&settings.config.idp.metadata_file);
    write_file(&path, xml.as_bytes())?;
    println!(
        "IdP metadata written to {} — upload it in Partner Center (Access Configuration → Modify)",
        path.display()
    );
    Ok(())
}

async fn run_sp(settings: &Settings, command: SpCommand) -> CliResult<()> {
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
            print_sp(rec, &md, &huawei_id);
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
                    Ok(md) => print_sp(rec, &md, &huawei_id),
                    Err(e) => println!("{} (unreadable: {e})", rec.entity_id),
                }
            }
            if let Some(w) = sp::huawei_sp_state(settings, store.as_ref()).await?.warning() {
                println!("warning: {w}");
            }
            Ok(())
        }
    }
}

fn format_time(unix: i64) -> String {
    crate::saml::response::format_instant(unix).unwrap_or_else(|_| unix.to_string())
}

async fn run_bindings(settings: &Settings, command: BindingsCommand) -> CliResult<()> {
    let store = crate::store::open(&settings.config.store.url, &settings.dir).await?;
    match command {
        BindingsCommand::List { limit, offset } => {
            if limit < 1 || offset < 0 {
                return Err(CliError::usage("--limit must be at least 1 and --offset at least 0"));
            }
            let list = store.list_bindings(limit, offset).await?;
            if list.is_empty() {
                println!("no bindings");
            }
            for b in list {
                println!("{}\t{}\t{}\t{}", b.x_user_id, b.domain_id, b.domain_name, format_time(b.created_at));
            }
            Ok(())
        }
        BindingsCommand::Show { x_user_id } => {
            let b = store
                .get_binding(&x_user_id)
                .await?
                .ok_or_else(|| CliError::failure(format!("no binding for xUserId `{x_user_id}`")))?;
            println!("xUserId:    {}", b.x_user_id);
            println!("domainId:   {}", b.domain_id);
            println!("domainName: {}", b.domain_name);
            println!("userName:   {}", b.user_name.as_deref().unwrap_or("-"));
            println!("userId:     {}", b.user_id.as_deref().unwrap_or("-"));
            println!("created:    {}", format_time(b.created_at));
            Ok(())
        }
        BindingsCommand::Add { x_user_id, domain_id, domain_name } => {
            use crate::gateway::bindings::{AddBindingError, add_binding};
            match add_binding(store.as_ref(), &x_user_id, domain_id.as_deref(), domain_name.as_deref(), "admin", "cli")
                .await
            {
                Ok(crate::store::BindOutcome::AlreadySame) => {
                    println!("{x_user_id} is already bound that way; nothing changed");
                    Ok(())
                }
                Ok(_) => {
                    let b = store.get_binding(&x_user_id).await?;
                    let shown =
                        b.as_ref().map(|b| b.domain_id.as_str()).filter(|d| !d.is_empty()).unwrap_or("(not given)");
                    println!(
                        "bound {x_user_id} (domainId {shown}): its next \"go to console\" uses isFirstLogin=false"
                    );
                    Ok(())
                }
                Err(AddBindingError::Invalid(m)) => Err(CliError::usage(m)),
                Err(e) => Err(CliError::failure(e.to_string())),
            }
        }
        BindingsCommand::Remove { x_user_id } => {
            let Some(b) = store.get_binding(&x_user_id).await? else {
                return Err(CliError::failure(format!("no binding for xUserId `{x_user_id}`")));
            };
            if !store.remove_binding(&x_user_id).await? {
                return Err(CliError::failure(format!("no binding for xUserId `{x_user_id}`")));
            }
            store
                .append_audit(&crate::store::NewAuditEvent {
                    at: crate::web::now_unix(),
                    kind: "bind.removed".into(),
                    actor: "admin".into(),
                    subject: x_user_id.clone(),
                    detail_json:
                        serde_json::json!({"domain_id": b.domain_id, "domain_name": b.domain_name, "via": "cli"})
                            .to_string(),
                    correlation_id: String::new(),
                })
                .await?;
            println!("removed the binding of {x_user_id} (was domainId {})", b.domain_id);
            Ok(())
        }
    }
}

fn run_admin(path: &Path, command: AdminCommand) -> CliResult<()> {
    match command {
        AdminCommand::AddUser { name, password_env } => {
            if name.is_empty()
                || name.len() > 64
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
            {
                return Err(CliError::usage("NAME must be 1–64 letters, digits, `.`, `_`, `-` or `@`"));
            }
            let password = match password_env {
                Some(var) => std::env::var(&var)
                    .map_err(|_| CliError::usage(format!("environment variable {var} is not set (or not UTF-8)")))?,
                None => {
                    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                        eprint!("password for {name} (shown as you type; --password-env VAR avoids that): ");
                    }
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .map_err(|e| CliError::failure(format!("cannot read the password from stdin: {e}")))?;
                    line.trim_end_matches(['\n', '\r']).to_owned()
                }
            };
            let min = crate::web::admin::MIN_PASSWORD_CHARS;
            if password.chars().count() < min {
                return Err(CliError::usage(format!("the password must have at least {min} characters")));
            }
            // The file as written, without SAMLGATE_* overrides, so they are not baked into it.
            ensure_config(path, None, None, None)?;
            let mut c = config::load_from(path, &[])?.config;
            let hash = crate::web::admin::hash_password(&password).map_err(CliError::failure)?;
            let replaced = match c.admin.users.iter_mut().find(|u| u.name == name) {
                Some(u) => {
                    u.password_hash = hash;
                    true
                }
                None => {
                    c.admin.users.push(config::AdminUser { name: name.clone(), password_hash: hash });
                    false
                }
            };
            c.validate()?;
            write_file(path, c.to_toml().as_bytes())?;
            let what = if replaced { "new password for admin user" } else { "added admin user" };
            println!("{what} {name} in {}; restart the gateway to apply", path.display());
            Ok(())
        }
    }
}

/// The details of one SP for `sp import` and `sp list`.
fn print_sp(rec: &crate::store::SpRecord, md: &crate::saml::metadata::SpMetadata, huawei_id: &str) {
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
