//! `samlgate keys generate | import | show | rollover prepare|activate|retire`: the IdP signing keys.

use super::args::RolloverCommand;
use super::{CliError, CliResult, KeysCommand};
use crate::config::Settings;
use crate::gateway::rollover::{PrepareOptions, StepReport, run_step};
use crate::gateway::setup::{default_cn, key_dir, key_paths, load_key_set, passphrase, write_idp_metadata};
use crate::gateway::sp::format_time;
use crate::gateway::{Caller, Kind};
use crate::keys::rollover::{self, KeyState, RolloverError, Stage, Step};
use crate::keys::{self, CaOptions, GenerateOptions, KeyAlgorithm};
use crate::util::now_unix;

/// Where Partner Center takes the IDP Metadata file.
const PARTNER_CENTER: &str =
    "Partner Center → Support (服务支持) → Open APIs (能力开放) → Access Configuration (接入配置) → Modify (修改)";

pub fn run(settings: &Settings, command: KeysCommand) -> CliResult<()> {
    let paths = key_paths(settings);
    match command {
        KeysCommand::Generate { algorithm, cn, days, ca, ca_passphrase_env, force } => {
            let algorithm = KeyAlgorithm::from(algorithm);
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
            let info = replacing(settings, || keys::generate(&paths, &opts, force))?;
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
            let info =
                replacing(settings, || keys::import(&paths, &cert, key.as_deref(), chain.as_deref(), pw.as_deref()))?;
            println!("{info}");
            refresh_metadata(settings)
        }
        KeysCommand::Show => show(settings),
        KeysCommand::Rollover { step } => rollover_step(settings, step),
    }
}

/// Replaces the current key outside a rollover (refused while one is under way).
fn replacing<T>(settings: &Settings, f: impl FnOnce() -> Result<T, keys::KeyError>) -> CliResult<T> {
    rollover::replace_current(&key_dir(settings), now_unix(), "cli", f).map_err(|e| match e {
        RolloverError::OutOfOrder { message, .. } => CliError::failure(message),
        RolloverError::Key(e) => e.into(),
    })
}

fn refresh_metadata(settings: &Settings) -> CliResult<()> {
    let path = write_idp_metadata(settings)?;
    println!("IdP metadata written to {} — upload it in {PARTNER_CENTER}", path.display());
    Ok(())
}

fn role(state: KeyState) -> &'static str {
    match state {
        KeyState::Current => "signs",
        KeyState::Next => "published, not signing yet",
        KeyState::Previous => "still published, no longer signs",
    }
}

/// `keys show`: every key with its state, then the rollover's next step.
fn show(settings: &Settings) -> CliResult<()> {
    let set = load_key_set(settings)?;
    for (i, row) in set.rows().into_iter().enumerate() {
        if i > 0 {
            println!();
        }
        let since = row.since.map(|t| format!(" (since {})", format_time(t))).unwrap_or_default();
        println!("State:               {} — {}{since}", row.state.as_str(), role(row.state));
        println!("{}", row.info);
    }
    println!();
    let metadata = settings.resolve(&settings.config.idp.metadata_file);
    match set.stage() {
        Stage::Single => {
            println!("Rollover: none under way. To change the key without downtime: `samlgate keys rollover prepare`.")
        }
        Stage::Prepared => println!(
            "Rollover: prepared. Upload {} in {PARTNER_CENTER}, then run `samlgate keys rollover activate`.",
            metadata.display()
        ),
        Stage::Activated => println!(
            "Rollover: activated. Run `samlgate keys rollover retire` to stop publishing the previous key, then \
             upload {} again.",
            metadata.display()
        ),
    }
    Ok(())
}

fn rollover_step(settings: &Settings, command: RolloverCommand) -> CliResult<()> {
    let (step, opts) = match command {
        RolloverCommand::Prepare { algorithm, cn, days } => {
            let algorithm = algorithm.map(KeyAlgorithm::from);
            if days == 0 || days > 36500 {
                return Err(CliError::usage("--days must be between 1 and 36500"));
            }
            (Step::Prepare, PrepareOptions { algorithm, cn, days })
        }
        RolloverCommand::Activate => (Step::Activate, PrepareOptions::default()),
        RolloverCommand::Retire => (Step::Retire, PrepareOptions::default()),
    };
    let report = super::runtime()?.block_on(async {
        let store = crate::store::open(&settings.config.store.url, &settings.dir).await?;
        run_step(settings, store.as_ref(), step, &opts, "cli", "cli", &Caller::none()).await.map_err(|e| match e {
            crate::gateway::Error::Refused { kind: Kind::Invalid, message, .. } => CliError::usage(message),
            crate::gateway::Error::Refused { message, .. } => CliError::failure(message),
            e @ crate::gateway::Error::Internal(_) => CliError::failure(e.to_string()),
        })
    })?;
    print_report(settings, &report);
    Ok(())
}

fn print_report(settings: &Settings, r: &StepReport) {
    let after = &r.done.after;
    let fp = |c: &openssl::x509::X509| rollover::fingerprint(c);
    match r.done.step {
        Step::Prepare => {
            println!("Prepared the next IdP key (signing goes on with the current key):");
            if let Some(next) = &after.next {
                println!("{}", next.info());
            }
        }
        Step::Activate => {
            println!("Activated: the gateway signs with {} from now on.", fp(&after.current.cert));
            if let Some(p) = &after.previous {
                println!(
                    "The old certificate {} stays published as the previous key (its private key was overwritten).",
                    fp(p)
                );
            }
        }
        Step::Retire => {
            if let Some(p) = &r.done.before.previous {
                println!("Retired the previous certificate {}: it is no longer published.", fp(p));
            }
        }
    }
    for f in &r.done.files {
        println!("  {f}");
    }
    match &r.metadata_file {
        Ok(p) => println!("IdP metadata written to {}", p.display()),
        Err(why) => println!(
            "warning: the IdP metadata file was not rewritten ({why}); write it with `samlgate metadata export`"
        ),
    }
    if let Some(note) = &r.algorithm_note {
        println!("note: {note}");
    }
    let metadata = settings.resolve(&settings.config.idp.metadata_file);
    let replicas = "Running gateways on this key directory pick the change up within a minute (or at once on SIGHUP).";
    match r.done.step {
        Step::Prepare => println!(
            "\nNext: upload {} (IDP Metadata.xml, now with the current and the next key) in {PARTNER_CENTER} now.\n\
             {replicas}\nOnce Partner Center has it, run `samlgate keys rollover activate`.",
            metadata.display()
        ),
        Step::Activate => println!(
            "\n{replicas}\nNext: when every replica signs with the new key (`samlgate keys show`, or a minute), run \
             `samlgate keys rollover retire`."
        ),
        Step::Retire => println!(
            "\n{replicas}\nNext: upload {} in {PARTNER_CENTER} again, so Huawei stops trusting the old key.",
            metadata.display()
        ),
    }
}
