//! `samlgate admin add-user`: the users of the admin pages (only argon2id hashes are stored, see
//! [`crate::gateway::admin`]).

use std::path::Path;

use super::{AdminCommand, CliError, CliResult};
use crate::gateway::admin::{add_user, valid_admin_name};

pub fn run(path: &Path, command: AdminCommand) -> CliResult<()> {
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
            let replaced = add_user(path, &name, &password)?;
            let what = if replaced { "new password for admin user" } else { "added admin user" };
            println!("{what} {name} in {}; restart the gateway to apply", path.display());
            Ok(())
        }
    }
}
