//! `samlgate token`: a hand-off token for a customer (for trials; the partner backend makes its own),
//! printed as the ready "go to console" link.

use super::{CliError, CliResult};
use crate::config::Settings;

/// The options of `token`.
pub struct TokenOptions {
    pub user: String,
    pub name: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub ttl: u64,
    pub service: Option<String>,
    pub raw: bool,
}

pub fn run(settings: &Settings, o: TokenOptions) -> CliResult<()> {
    let c = &settings.config;
    if o.ttl == 0 || o.ttl > c.handoff.token_max_age_secs {
        return Err(CliError::usage(format!("--ttl must be between 1 and {}", c.handoff.token_max_age_secs)));
    }
    if o.user.is_empty() || o.user.len() > 128 {
        return Err(CliError::usage("--user must be 1–128 characters"));
    }
    // The claims the gateway will check at /console, by Huawei's rules.
    let customer = crate::huawei::Customer {
        sub: &o.user,
        name: o.name.as_deref(),
        mobile: o.mobile.as_deref(),
        email: o.email.as_deref(),
    };
    crate::huawei::check_customer(&customer).map_err(|e| {
        let flag = if e.claim == "sub" { "user" } else { e.claim };
        CliError::usage(format!("--{flag}: {e}"))
    })?;
    let now = crate::util::now_unix();
    let claims = crate::handoff::Claims {
        sub: o.user,
        iat: now,
        exp: now + o.ttl as i64,
        jti: crate::handoff::new_jti(),
        name: o.name,
        mobile: o.mobile,
        email: o.email,
    };
    let secrets = crate::gateway::setup::handoff_secrets(settings)?;
    let token = crate::handoff::issue(&secrets.current, &claims);
    if o.raw {
        println!("{token}");
    } else {
        let mut link = format!("{}/console?token={}", c.server.base_url, token);
        if let Some(s) = o.service {
            link.push_str("&service=");
            link.push_str(&crate::huawei::encode_component(&s));
        }
        println!("{link}");
    }
    Ok(())
}
