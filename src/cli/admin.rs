//! `samlgate admin add-user | remove-user | list-users`: the users of the admin pages (only argon2id
//! hashes are stored, see [`crate::gateway::admin`]).

use std::path::Path;

use super::{AdminCommand, CliError, CliResult, TokenCommand};
use crate::gateway::admin::{UserError, UserSource, list_users, put_user, remove_user, valid_admin_name};
use crate::gateway::audit::Caller;
use crate::gateway::setup::existing_config;
use crate::gateway::sp::format_time;

/// The actor of the CLI's audit events.
const CLI_ACTOR: &str = "cli";

fn user_error(e: UserError) -> CliError {
    match e {
        UserError::Store(e) => CliError::failure(e.to_string()),
        e => CliError::usage(e.to_string()),
    }
}

pub fn run(path: &Path, command: AdminCommand, rt: &tokio::runtime::Runtime) -> CliResult<()> {
    let settings = existing_config(path)?;
    let open = || rt.block_on(crate::store::open(&settings.config.store.url, &settings.dir));
    let config_users = &settings.config.admin.users;
    match command {
        AdminCommand::AddUser { name, password_env } => {
            // Refuse a bad name before asking for a password.
            if !valid_admin_name(&name) {
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
            let store = open()?;
            let existed = rt
                .block_on(put_user(store.as_ref(), config_users, &name, &password, CLI_ACTOR, &Caller::none()))
                .map_err(user_error)?;
            let what = if existed { "new password for admin user" } else { "added admin user" };
            println!("{what} {name} (in the store: running gateways accept it now)");
            Ok(())
        }
        AdminCommand::RemoveUser { name } => {
            let store = open()?;
            rt.block_on(remove_user(store.as_ref(), config_users, &name, CLI_ACTOR, &Caller::none()))
                .map_err(user_error)?;
            println!("removed admin user {name}");
            Ok(())
        }
        AdminCommand::Token { command } => token(command, &open()?, rt),
        AdminCommand::ListUsers => {
            let store = open()?;
            let users = rt.block_on(list_users(store.as_ref(), config_users))?;
            if users.is_empty() {
                println!("no admin users (add one with `samlgate admin add-user NAME`)");
            }
            for u in users {
                let (source, when) = match u.source {
                    UserSource::Store => ("store", u.updated_at.map(format_time).unwrap_or_default()),
                    UserSource::Config => ("config", String::new()),
                };
                println!("{}\t{source}\t{when}", u.user.name);
            }
            Ok(())
        }
    }
}

fn gateway_error(e: crate::gateway::Error) -> CliError {
    match e {
        crate::gateway::Error::Refused { kind: crate::gateway::Kind::Invalid, .. } => CliError::usage(e.to_string()),
        e => CliError::failure(e.to_string()),
    }
}

/// `samlgate admin token create|list|revoke`.
fn token(
    command: TokenCommand,
    store: &std::sync::Arc<dyn crate::store::Store>,
    rt: &tokio::runtime::Runtime,
) -> CliResult<()> {
    use crate::gateway::api_tokens::{create_token, expiry, list_tokens, parse_scopes, revoke_token};
    match command {
        TokenCommand::Create { name, scopes, expires_in_days, no_expiry } => {
            let scopes = parse_scopes(&scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>()).map_err(gateway_error)?;
            let days = (!no_expiry).then_some(expires_in_days);
            let expires_at = expiry(crate::util::now_unix(), days).map_err(gateway_error)?;
            let (token, info) = rt
                .block_on(create_token(store.as_ref(), &name, &scopes, expires_at, CLI_ACTOR, &Caller::none()))
                .map_err(gateway_error)?;
            let expires =
                info.expires_at.map(|at| format!("expires {}", format_time(at))).unwrap_or("never expires".into());
            eprintln!(
                "created API token {} (scopes: {}; {expires}); it is shown only now — keep it in a secret store:",
                info.name,
                info.scopes.join(" ")
            );
            println!("{token}");
            Ok(())
        }
        TokenCommand::List => {
            let tokens = rt.block_on(list_tokens(store.as_ref())).map_err(gateway_error)?;
            if tokens.is_empty() {
                println!("no API tokens (create one with `samlgate admin token create NAME`)");
            }
            for t in tokens {
                let used = t.last_used_at.map(format_time).unwrap_or_else(|| "never used".into());
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(at), _) => format!("revoked {}", format_time(at)),
                    (None, Some(at)) if !t.is_live(crate::util::now_unix()) => format!("expired {}", format_time(at)),
                    (None, Some(at)) => format!("live, expires {}", format_time(at)),
                    (None, None) => "live, never expires".into(),
                };
                println!(
                    "{}\t{}\tcreated by {} {}\t{used}\t{state}",
                    t.name,
                    t.scopes.join(","),
                    t.created_by,
                    format_time(t.created_at)
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { name } => {
            rt.block_on(revoke_token(store.as_ref(), &name, CLI_ACTOR, &Caller::none())).map_err(gateway_error)?;
            println!("revoked API token {name}");
            Ok(())
        }
    }
}
