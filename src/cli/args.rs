//! The command line's arguments (clap): every command, subcommand and option of `samlgate`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Site;
use crate::keys::KeyAlgorithm;
use crate::mocksp::{DEFAULT_MOCK_URL, MOCK_X_ACCOUNT_TYPE};

/// `samlgate --version`: the crate's version and the git revision it was built from (`build.rs`;
/// `unknown` outside a git checkout).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("SAMLGATE_GIT_REV"), ")");

/// `samlgate`: the command line.
#[derive(Debug, Parser)]
#[command(
    name = "samlgate",
    version = VERSION,
    about = "SAML 2.0 IdP and SSO gateway for Huawei Cloud partner sales platforms",
    long_about = "SAML 2.0 IdP and SSO gateway for Huawei Cloud partner sales platforms.\n\n\
                  Without a command it runs `serve`. Exit codes: 0 ok, 2 usage or config error, 1 any other \
                  failure."
)]
pub struct Cli {
    /// Configuration file; created with working defaults by `init` and on the first `serve`.
    #[arg(long, global = true, env = "SAMLGATE_CONFIG", default_value = "samlgate.toml")]
    pub config: PathBuf,
    /// Format of the log lines on standard error (the filter comes from SAMLGATE_LOG, default `info`).
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (for a log collector).
    Json,
}

/// `--site`: the Huawei Cloud site (huawei.site), as the CLI spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SiteArg {
    /// Huawei Cloud China (auth.huaweicloud.com).
    Cn,
    /// Huawei Cloud International (auth-intl.huaweicloud.com).
    Intl,
    /// Huawei Cloud Europe (auth.eu.huaweicloud.com).
    Eu,
}

impl From<SiteArg> for Site {
    fn from(s: SiteArg) -> Site {
        match s {
            SiteArg::Cn => Site::Cn,
            SiteArg::Intl => Site::Intl,
            SiteArg::Eu => Site::Eu,
        }
    }
}

/// `--algorithm`: the kind of IdP key to make (the spellings `keys::KeyAlgorithm` reads are aliases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgorithmArg {
    /// RSA 2048 bits.
    #[value(alias = "rsa-2048", alias = "rsa")]
    Rsa2048,
    /// RSA 3072 bits.
    #[value(alias = "rsa-3072")]
    Rsa3072,
    /// RSA 4096 bits.
    #[value(alias = "rsa-4096")]
    Rsa4096,
    /// ECDSA on curve P-256.
    #[value(alias = "ecdsap256", alias = "p256", alias = "ec")]
    EcdsaP256,
}

impl From<AlgorithmArg> for KeyAlgorithm {
    fn from(a: AlgorithmArg) -> KeyAlgorithm {
        match a {
            AlgorithmArg::Rsa2048 => KeyAlgorithm::Rsa2048,
            AlgorithmArg::Rsa3072 => KeyAlgorithm::Rsa3072,
            AlgorithmArg::Rsa4096 => KeyAlgorithm::Rsa4096,
            AlgorithmArg::EcdsaP256 => KeyAlgorithm::EcdsaP256,
        }
    }
}

/// `admin token create --scope`: what an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// The admin API (`/admin/api/v1/`): everything the admin pages do.
    Admin,
    /// Only minting assertions (`POST /admin/api/v1/assertions`).
    Assertions,
}

impl ScopeArg {
    /// The scope's name, as `gateway::api_tokens::parse_scopes` reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeArg::Admin => "admin",
            ScopeArg::Assertions => "assertions",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    ///
    /// The first start writes missing config, keys, metadata and store.
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
        /// Huawei Cloud site (huawei.site; default cn).
        #[arg(long, value_enum, ignore_case = true)]
        site: Option<SiteArg>,
        /// Your partner ID, sent as the `bpId` attribute (huawei.bp_id).
        #[arg(long)]
        bp_id: Option<String>,
        /// Wire the gateway to a local mock SP (`samlgate mock-sp`): auth_base_url, SP metadata and
        /// xAccountType become the mock's, so the whole journey runs on this machine.
        #[arg(long)]
        with_mock_sp: bool,
        /// The mock SP's URL (with --with-mock-sp).
        #[arg(long, default_value = DEFAULT_MOCK_URL, requires = "with_mock_sp")]
        mock_sp_url: String,
    },
    /// Run a local stand-in for Huawei Cloud's SAML SP (for demos and tests).
    MockSp(MockSpArgs),
    /// Run the gateway and the mock SP together (8080 + 8081), with a demo partner page at
    /// http://127.0.0.1:8081/partner.
    Demo(DemoArgs),
    /// Manage the IdP signing key and certificate.
    Keys {
        /// The keys step to run.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Export the IdP metadata (IDP Metadata.xml).
    Metadata {
        /// What to do with the metadata.
        #[command(subcommand)]
        command: MetadataCommand,
    },
    /// Import and list service-provider metadata (Huawei's SP Metadata.xml).
    Sp {
        /// What to do with SP metadata.
        #[command(subcommand)]
        command: SpCommand,
    },
    /// Make a hand-off token for a customer and print the "go to console" link.
    ///
    /// For trials: the partner backend makes its own tokens.
    Token {
        #[command(flatten)]
        customer: CustomerArgs,
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
        /// What to do with the bindings.
        #[command(subcommand)]
        command: BindingsCommand,
    },
    /// Manage the users of the admin pages (`/admin`).
    Admin {
        /// What to do with admin users or API tokens.
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Is this install ready for production with the real Huawei Cloud? Exit 0 when ready, 1 otherwise.
    ///
    /// Checks the config, keys, store and SP metadata item by item (✓/✗ and what to do), then prints
    /// the values to enter in Partner Center. Writes nothing.
    Check {
        /// `text` for people, `json` for automation.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Decode a SAML message and run every check the gateway would run on it.
    ///
    /// Nothing is stored or spent. The message: a Redirect URL, a query string, base64 (deflated or
    /// not) or raw XML; `-` reads standard input. Exit 0 when every check passes, 1 otherwise.
    Decode {
        /// The message, or `-` for standard input.
        message: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what Huawei would receive for a customer (nothing is signed or stored).
    ///
    /// The NameID and the assertion's attributes with Huawei's value rules applied, and the jump's
    /// isFirstLogin.
    Preview {
        #[command(flatten)]
        customer: CustomerArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mint a signed SAMLResponse for a customer (integration tests): print it or POST it to the ACS.
    ///
    /// Built and signed exactly as the SSO hop would for that SP (Huawei's SP by default). Needs
    /// the IdP key, so only whoever can read the key can run it — and may then mint for any SP,
    /// Huawei's included (the admin API cannot unless admin.allow_minting_for_huawei). Every minted
    /// assertion is audited (`assert.minted`).
    Assert(AssertArgs),
    /// Read the audit log.
    Audit {
        /// What to do with the audit log.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print the shell completion script for SHELL (needs no config).
    ///
    /// Load it with e.g. `source <(samlgate completions bash)`, or save it where the shell looks:
    /// `samlgate completions bash > /etc/bash_completion.d/samlgate`,
    /// `samlgate completions zsh > "${fpath[1]}/_samlgate"`,
    /// `samlgate completions fish > ~/.config/fish/completions/samlgate.fish`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page of the whole CLI, or write one page per command (needs no config).
    ///
    /// Without --dir: one roff page with every command and option on standard output, e.g.
    /// `samlgate man | man -l -`. With --dir DIR: samlgate.1, samlgate-keys.1,
    /// samlgate-keys-generate.1, … in DIR (e.g. /usr/local/share/man/man1).
    Man {
        /// Write one man page per command into this directory (created when missing) instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// A customer as the partner platform describes it (the hand-off token's claims).
#[derive(Debug, clap::Args)]
pub struct CustomerArgs {
    /// The partner's customer id (sent to Huawei as xUserId).
    #[arg(long)]
    pub user: String,
    /// Display name (`name` attribute; Huawei's pattern: ASCII letters, digits, `_`, `-`, space).
    #[arg(long)]
    pub name: Option<String>,
    /// Mobile as `countrycode-number`, e.g. 0086-13900000000.
    #[arg(long)]
    pub mobile: Option<String>,
    /// E-mail address.
    #[arg(long)]
    pub email: Option<String>,
}

/// Options of `samlgate assert`.
#[derive(Debug, clap::Args)]
pub struct AssertArgs {
    #[command(flatten)]
    pub customer: CustomerArgs,
    /// The SP's entityID (an imported SP; default Huawei's, huawei.sp_entity_id).
    #[arg(long)]
    pub sp: Option<String>,
    /// The AuthnRequest ID answered (InResponseTo); without it the Response is unsolicited.
    #[arg(long)]
    pub in_response_to: Option<String>,
    /// An extra attribute after Huawei's, NAME=VALUE; repeat it (a repeated NAME gives several values).
    #[arg(long = "attr", value_name = "NAME=VALUE")]
    pub attrs: Vec<String>,
    /// RelayState to post with the Response.
    #[arg(long)]
    pub relay_state: Option<String>,
    /// What to print.
    #[arg(long, value_enum, default_value = "base64")]
    pub format: AssertFormat,
    /// POST it (with RelayState) to the SP's ACS from its metadata and print the HTTP status and
    /// where it redirected (instead of printing it); exit 1 when the ACS answers 4xx or 5xx.
    #[arg(long, conflicts_with = "format")]
    pub post: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AssertFormat {
    /// The base64 SAMLResponse (as posted to the ACS).
    Base64,
    /// The signed Response XML.
    Xml,
    /// The auto-posting HTML form the SSO hop answers.
    Form,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the audit events matching a search, newest first, as CSV or JSON Lines. Times: 2026-12-01,
    /// "2026-12-01 08:30" (in ui.timezone), 2026-12-01T00:30:00Z, a Unix time, or 30m / 24h / 7d ago.
    Export {
        /// Events at or after this time.
        #[arg(long)]
        since: Option<String>,
        /// Events before this time.
        #[arg(long)]
        until: Option<String>,
        /// Only this kind (`bind.created`), or every kind under a prefix ending in `.` (`bind.`).
        #[arg(long)]
        kind: Option<String>,
        /// Only events whose actor or subject is this customer (xUserId) or admin.
        #[arg(long)]
        who: Option<String>,
        /// Only the events of one request (the id a customer quotes from an error page).
        #[arg(long)]
        correlation_id: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: AuditFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// ✓/✗ lines with what to do.
    Text,
    /// One JSON document.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AuditFormat {
    /// CSV with a header row (formula-safe).
    Csv,
    /// JSON Lines: one event per line.
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add a user of the admin pages, or set a new password for one. Only the argon2id hash is kept,
    /// in the store: every running gateway (every replica) accepts it at once, no restart.
    AddUser {
        /// Sign-in name (letters, digits, `.`, `_`, `-`, `@`; at most 64).
        name: String,
        /// Read the password from this environment variable instead of standard input.
        #[arg(long)]
        password_env: Option<String>,
    },
    /// Remove a user of the admin pages (from the store; a user of `[[admin.users]]` is removed in the
    /// config file). The last admin user is kept. Its open sessions end at their next request.
    RemoveUser {
        /// The user's sign-in name.
        name: String,
    },
    /// List the users of the admin pages: name, where it is defined (store or config), when its
    /// password was set.
    ListUsers,
    /// Bearer tokens of the JSON admin API (`/admin/api/v1/`).
    Token {
        /// What to do with API tokens.
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it (once: only its SHA-256 is stored). Audited
    /// `admin.token_created`.
    Create {
        /// The token's name (letters, digits, `.`, `_`, `-`, `@`; at most 64); audit events of its
        /// calls name it as `token:NAME`.
        name: String,
        /// What it may do (default admin); repeat for several.
        #[arg(long = "scope", value_name = "SCOPE", value_enum)]
        scopes: Vec<ScopeArg>,
        /// Days until it expires (1–3650).
        #[arg(long, value_name = "DAYS", default_value_t = crate::gateway::api_tokens::DEFAULT_TOKEN_DAYS,
              conflicts_with = "no_expiry")]
        expires_in_days: u32,
        /// Never expires (only revocation ends it); say so only for a token kept in a secret store.
        #[arg(long)]
        no_expiry: bool,
    },
    /// List the API tokens: name, scopes, created by and when, last used, revoked.
    List,
    /// Revoke an API token (its next request gets 401). Audited `admin.token_revoked`.
    Revoke {
        /// The token's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a new key and certificate (refuses to overwrite without --force).
    Generate {
        /// The key's algorithm.
        #[arg(long, value_enum, ignore_case = true, default_value = "rsa2048")]
        algorithm: AlgorithmArg,
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
        /// The certificate: PEM, or a PKCS#12 file (.p12/.pfx) holding certificate, key and chain.
        #[arg(long, value_name = "FILE")]
        cert: PathBuf,
        /// The private key (PEM), unless --cert is PKCS#12.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Intermediate CA certificates (PEM), published after the certificate.
        #[arg(long, value_name = "FILE")]
        chain: Option<PathBuf>,
        /// Environment variable holding the PKCS#12 password.
        #[arg(long)]
        pkcs12_password_env: Option<String>,
    },
    /// Show every IdP key with its state (current / next / previous): subject, SHA-256 fingerprint,
    /// expiry and days left, and the rollover's next step.
    Show,
    /// Zero-downtime key rollover: prepare → (upload IDP Metadata.xml in Partner Center) → activate →
    /// retire.
    Rollover {
        /// The rollover step to run.
        #[command(subcommand)]
        step: RolloverCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum RolloverCommand {
    /// Make a next key and certificate and publish them in the IdP metadata beside the current ones
    /// (signing goes on with the current key). Then upload IDP Metadata.xml in Partner Center.
    Prepare {
        /// The next key's algorithm (default: the current key's).
        #[arg(long, value_enum, ignore_case = true)]
        algorithm: Option<AlgorithmArg>,
        /// Certificate subject CN (default: the host of the base URL).
        #[arg(long)]
        cn: Option<String>,
        /// Validity in days.
        #[arg(long, default_value_t = 3650)]
        days: u32,
    },
    /// Sign with the next key from now on; the old certificate stays published as the previous one.
    Activate,
    /// Stop publishing the previous certificate (it is moved to `retired/` in the key directory).
    Retire,
}

#[derive(Debug, Subcommand)]
pub enum MetadataCommand {
    /// Write the IdP metadata to a file (default: idp.metadata_file) or `-` for stdout.
    Export {
        /// Where to write it: a file, or `-` for standard output (default: idp.metadata_file).
        #[arg(short, long, value_name = "FILE")]
        output: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SpCommand {
    /// Import SP metadata from a file or an https URL.
    Import {
        /// A metadata file, or an https URL to fetch it from.
        #[arg(value_name = "FILE|URL")]
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
    /// List bindings, newest first, a page at a time: when there are more, the last line (on standard
    /// error) is the command for the next page.
    List {
        /// At most this many bindings.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Start after this binding (`CREATED_AT.X_USER_ID`, as the previous page's last line names it).
        #[arg(long)]
        before: Option<String>,
        /// No longer supported beyond 0 (it read every skipped binding): page with --before.
        #[arg(long, default_value_t = 0, hide = true)]
        offset: i64,
    },
    /// Show the binding of one partner customer (xUserId).
    Show {
        /// The partner's customer id (xUserId).
        x_user_id: String,
    },
    /// Find the bindings whose xUserId or HUAWEI CLOUD account ID (domainId) is VALUE.
    Find {
        /// An xUserId or a domainId.
        value: String,
    },
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
    Remove {
        /// The partner's customer id (xUserId).
        x_user_id: String,
    },
}

/// Command-line options of `samlgate mock-sp`.
#[derive(Debug, Clone, clap::Args)]
pub struct MockSpArgs {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub bind: String,
    /// Public base URL (default `http://<bind>`); the entityID is this URL plus `/`.
    #[arg(long)]
    pub base_url: Option<String>,
    /// IdP metadata URL or file (default: the gateway's `<server.base_url>/saml/metadata` from the config,
    /// else http://127.0.0.1:8080/saml/metadata).
    #[arg(long)]
    pub idp_metadata: Option<String>,
    /// Directory for the mock's key, certificate and metadata (default: `mock-sp/` beside the config file).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The xAccountType this mock platform answers to.
    #[arg(long, default_value = MOCK_X_ACCOUNT_TYPE)]
    pub x_account_type: String,
    /// Binding notification URL (default `<gateway base>/huawei/bind`).
    #[arg(long)]
    pub notify_url: Option<String>,
    /// Also accept unsolicited Responses (no InResponseTo: IdP-initiated SSO, `samlgate assert`
    /// without --in-response-to); signature, audience, recipient, time window and the one-time
    /// assertion ID are still checked.
    #[arg(long)]
    pub allow_unsolicited: bool,
}

/// Command-line options of `samlgate demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Directory for the demo's config, keys, store and mock SP files (created when missing); by
    /// default the directory of `--config` (so keys land in `certs/`, metadata in `metadata/`).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Gateway listen address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Mock SP listen address.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub mock_sp_bind: String,
    /// The mock SP also accepts unsolicited Responses (see `mock-sp --allow-unsolicited`).
    #[arg(long)]
    pub allow_unsolicited: bool,
}
