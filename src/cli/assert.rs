//! `samlgate assert`: a signed SAMLResponse on demand for integration tests — built and signed by the
//! gateway's own use case ([`crate::gateway::assert`], the SSO hop's code), printed as base64, XML or
//! the auto-post form, or POSTed to the SP's ACS with the answer's status and `Location` printed.
//! Audited `assert.minted` with the OS user as actor (`cli:<user>`).

use std::sync::Arc;

use super::{AssertArgs, AssertFormat, CliError, CliResult};
use crate::config::Settings;
use crate::gateway::assert::{MintRequest, Minted, Minter};
use crate::gateway::{Caller, Error, Gateway};

/// The actor of the audit event: `cli:<OS user>` — the name of this process's uid in `/etc/passwd`,
/// else `USER` / `LOGNAME` — or `cli` when none is known.
fn cli_actor() -> String {
    use std::os::unix::fs::MetadataExt as _;
    let plain = |u: &str| {
        (1..=64).contains(&u.len()) && u.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let by_uid = std::fs::metadata("/proc/self").ok().map(|m| m.uid()).and_then(|uid| {
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|l| {
            let mut f = l.split(':');
            let (name, uid_field) = (f.next()?, f.nth(1)?);
            (uid_field == uid.to_string()).then(|| name.to_owned())
        })
    });
    let user = by_uid
        .into_iter()
        .chain(["USER", "LOGNAME"].into_iter().filter_map(|v| std::env::var(v).ok()))
        .find(|u| plain(u));
    match user {
        Some(u) => format!("cli:{u}"),
        None => "cli".to_owned(),
    }
}

/// Writes to standard output; a closed pipe (`| head`) ends the output quietly.
fn out(text: &str) -> CliResult<()> {
    use std::io::Write as _;
    let mut o = std::io::stdout().lock();
    match writeln!(o, "{text}").and_then(|()| o.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::failure(format!("cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// `--attr NAME=VALUE` → (name, value).
fn parse_attr(a: &str) -> CliResult<(String, String)> {
    match a.split_once('=') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_owned(), v.to_owned())),
        _ => Err(CliError::usage(format!("--attr `{a}`: expected NAME=VALUE"))),
    }
}

/// A refusal names the failed check (exit 2: the arguments or the SP are wrong).
fn refusal(e: Error) -> CliError {
    match e {
        Error::Refused { .. } => CliError::usage(e.to_string()),
        Error::Internal(_) => CliError::failure(e.to_string()),
    }
}

pub async fn run(settings: Settings, a: AssertArgs) -> CliResult<()> {
    let attributes = a.attrs.iter().map(|x| parse_attr(x)).collect::<CliResult<Vec<_>>>()?;
    let c = a.customer;
    let req = MintRequest {
        x_user_id: c.user,
        sp_entity_id: a.sp,
        in_response_to: a.in_response_to,
        name: c.name,
        mobile: c.mobile,
        email: c.email,
        attributes,
        relay_state: a.relay_state,
    };
    let gateway = Gateway::build_read_only(settings).await.map_err(|e| CliError::failure(format!("{e:#}")))?;
    let minter = Minter::Cli { actor: cli_actor() };
    let checked = gateway.check_mint(&req, &minter).await.map_err(refusal)?;
    let minted = gateway.mint(checked, &minter, &Caller::none()).await.map_err(refusal)?;
    eprintln!(
        "signed for {} (ACS {}), {}; audited assert.minted",
        minted.sp_entity_id,
        minted.form.action,
        match &minted.in_response_to {
            Some(id) => format!("InResponseTo {id}"),
            None => "unsolicited".to_owned(),
        }
    );
    if a.post {
        return post(&minted).await;
    }
    match a.format {
        AssertFormat::Base64 => out(&minted.form.message)?,
        AssertFormat::Xml => out(minted.xml.trim_end())?,
        AssertFormat::Form => {
            let cfg = &gateway.settings.config;
            let page = crate::util::i18n::Page::new(cfg.default_lang(), Arc::new(cfg.brand()));
            let nonce = crate::saml::response::new_id().map_err(|e| CliError::failure(e.to_string()))?;
            let html = crate::web::post_form_html(&page, &minted.form, nonce.trim_start_matches('_'))?;
            out(html.trim_end())?;
        }
    }
    Ok(())
}

/// POSTs `SAMLResponse` (and `RelayState`) to the ACS as a browser's auto-post form would, without
/// following redirects; prints the status and the `Location` (made absolute).
async fn post(m: &Minted) -> CliResult<()> {
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    body.append_pair(m.form.field, &m.form.message);
    if let Some(rs) = &m.form.relay_state {
        body.append_pair("RelayState", rs);
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| CliError::failure(format!("cannot make an HTTP client: {e}")))?;
    let action = &m.form.action;
    out(&format!("POST {action}"))?;
    let resp = client
        .post(action)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.finish())
        .send()
        .await
        .map_err(|e| CliError::failure(format!("cannot POST to the ACS {action}: {e}")))?;
    let status = resp.status();
    out(&format!("HTTP {} {}", status.as_u16(), status.canonical_reason().unwrap_or("")))?;
    if let Some(loc) = resp.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()) {
        let absolute = url::Url::parse(action).and_then(|base| base.join(loc)).map(String::from);
        out(&format!("Location: {}", absolute.unwrap_or_else(|_| loc.to_owned())))?;
    }
    // The mock SP names the check it refused on.
    if let Some(check) = resp.headers().get("x-mocksp-check").and_then(|v| v.to_str().ok()) {
        out(&format!("X-Mocksp-Check: {check}"))?;
    }
    if status.is_client_error() || status.is_server_error() {
        return Err(CliError::failure(format!("the ACS refused the Response (HTTP {})", status.as_u16())));
    }
    Ok(())
}
