//! Bindings the partner records itself: a customer created with Huawei's create-customer Partner API
//! (`POST /v2/partners/sub-customers` with `xaccount_id`) is associated with its HUAWEI CLOUD account
//! from the start, so its first jump must already say `isFirstLogin=false`. Used by `samlgate bindings
//! add` and the admin pages; Huawei's own notification (`POST /huawei/bind`) completes a binding
//! recorded without its domainId.

use crate::huawei;
use crate::store::{BindOutcome, Binding, Store, StoreError};
use crate::util::now_unix;

#[derive(Debug, thiserror::Error)]
pub enum AddBindingError {
    #[error("{0}")]
    Invalid(String),
    #[error("xUserId `{x_user_id}` is already bound to domainId `{existing}`; remove that binding first")]
    Conflict { x_user_id: String, existing: String },
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// Records a binding entered by the partner (`via` says where: `cli`, `admin`), audited `bind.added`
/// with `actor`. The same binding again is fine (`AlreadySame`, not audited twice); another domainId
/// for a bound xUserId is refused and nothing changes.
pub async fn add_binding(
    store: &dyn Store,
    x_user_id: &str,
    domain_id: Option<&str>,
    domain_name: Option<&str>,
    actor: &str,
    via: &str,
) -> Result<BindOutcome, AddBindingError> {
    add_binding_for(store, x_user_id, domain_id, domain_name, actor, via, &super::audit::Caller::none()).await
}

/// [`add_binding`] for a request: its audit event carries the caller's correlation id and client.
pub async fn add_binding_for(
    store: &dyn Store,
    x_user_id: &str,
    domain_id: Option<&str>,
    domain_name: Option<&str>,
    actor: &str,
    via: &str,
    caller: &super::audit::Caller,
) -> Result<BindOutcome, AddBindingError> {
    let domain_id = domain_id.unwrap_or("").trim();
    let domain_name = domain_name.unwrap_or("").trim();
    huawei::check_binding_fields(x_user_id, domain_id, domain_name).map_err(AddBindingError::Invalid)?;
    let binding = Binding {
        x_user_id: x_user_id.to_owned(),
        domain_id: domain_id.to_owned(),
        domain_name: domain_name.to_owned(),
        user_name: None,
        user_id: None,
        created_at: now_unix(),
    };
    match store.put_binding(&binding).await? {
        BindOutcome::Created => {
            audit_added(store, &binding, actor, via, false, caller).await?;
            Ok(BindOutcome::Created)
        }
        BindOutcome::AlreadySame => Ok(BindOutcome::AlreadySame),
        // Recorded earlier without its account: the domainId now fills it in.
        BindOutcome::Conflict { existing_domain_id } if existing_domain_id.is_empty() => {
            if store.complete_binding(&binding).await? {
                audit_added(store, &binding, actor, via, true, caller).await?;
                Ok(BindOutcome::Created)
            } else {
                Err(AddBindingError::Invalid(format!("the binding of `{x_user_id}` changed meanwhile; try again")))
            }
        }
        BindOutcome::Conflict { existing_domain_id } => {
            Err(AddBindingError::Conflict { x_user_id: x_user_id.to_owned(), existing: existing_domain_id })
        }
    }
}

async fn audit_added(
    store: &dyn Store,
    b: &Binding,
    actor: &str,
    via: &str,
    completed: bool,
    caller: &super::audit::Caller,
) -> Result<(), StoreError> {
    let detail = serde_json::json!({
        "domain_id": b.domain_id,
        "domain_name": b.domain_name,
        "via": via,
        "completed": completed,
    });
    let mut event = super::audit::event(super::AuditKind::BindAdded, actor, &b.x_user_id, detail, caller);
    event.at = b.created_at;
    store.append_audit(&event).await.map(|_| ())
}

/// Removes the binding of `x_user_id` (its next jump says `isFirstLogin=true`), audited
/// `bind.removed`; returns the removed binding, or `None` when there was none.
pub async fn remove_binding(
    store: &dyn Store,
    x_user_id: &str,
    actor: &str,
    via: &str,
    caller: &super::audit::Caller,
) -> Result<Option<Binding>, StoreError> {
    let Some(b) = store.get_binding(x_user_id).await? else { return Ok(None) };
    if !store.remove_binding(x_user_id).await? {
        return Ok(None);
    }
    let event = super::audit::event(
        super::AuditKind::BindRemoved,
        actor,
        x_user_id,
        serde_json::json!({"domain_id": b.domain_id, "domain_name": b.domain_name, "via": via}),
        caller,
    );
    store.append_audit(&event).await?;
    Ok(Some(b))
}
