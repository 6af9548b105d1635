//! `samlgate keys generate | import | show`: the IdP signing key and certificate.

use super::{CliError, CliResult, KeysCommand};
use crate::config::Settings;
use crate::gateway::setup::{default_cn, key_paths, load_keys, passphrase, write_idp_metadata};
use crate::keys::{self, CaOptions, GenerateOptions, KeyAlgorithm};

pub fn run(settings: &Settings, command: KeysCommand) -> CliResult<()> {
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
    let path = write_idp_metadata(settings)?;
    println!(
        "IdP metadata written to {} — upload it in Partner Center (Access Configuration → Modify)",
        path.display()
    );
    Ok(())
}
