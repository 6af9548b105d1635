//! `samlgate bindings list | show | add | remove`: xUserId ↔ HUAWEI CLOUD account bindings.

use super::{BindingsCommand, CliError, CliResult};
use crate::config::Settings;
use crate::gateway::bindings::{AddBindingError, add_binding, remove_binding};
use crate::gateway::sp::format_time;
use crate::store::BindingCursor;

pub async fn run(settings: &Settings, command: BindingsCommand) -> CliResult<()> {
    let store = crate::store::open(&settings.config.store.url, &settings.dir).await?;
    match command {
        BindingsCommand::List { limit, before, offset } => {
            if limit < 1 {
                return Err(CliError::usage("--limit must be at least 1"));
            }
            if offset != 0 {
                return Err(CliError::usage(
                    "--offset is no longer supported (it read every skipped binding); page with --before, \
                     which the previous page's last line names",
                ));
            }
            let before = before
                .as_deref()
                .map(|b| BindingCursor::parse(b.trim()))
                .transpose()
                .map_err(|m| CliError::usage(format!("--before: {m}")))?;
            let mut list = store.list_bindings(limit + 1, before.as_ref()).await?;
            let more = list.len() as i64 > limit;
            list.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            if list.is_empty() {
                println!("no bindings");
            }
            for b in &list {
                println!("{}\t{}\t{}\t{}", b.x_user_id, b.domain_id, b.domain_name, format_time(b.created_at));
            }
            if let (true, Some(last)) = (more, list.last()) {
                eprintln!("more: samlgate bindings list --limit {limit} --before '{}'", BindingCursor::of(last));
            }
            Ok(())
        }
        BindingsCommand::Find { value } => {
            let list = store.find_bindings(value.trim(), 100).await?;
            if list.is_empty() {
                return Err(CliError::failure(format!("no binding has the xUserId or domainId `{value}`")));
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
            let Some(b) =
                remove_binding(store.as_ref(), &x_user_id, "admin", "cli", &crate::gateway::audit::Caller::none())
                    .await?
            else {
                return Err(CliError::failure(format!("no binding for xUserId `{x_user_id}`")));
            };
            println!("removed the binding of {x_user_id} (was domainId {})", b.domain_id);
            Ok(())
        }
    }
}
