//! `samlgate demo`: the gateway and the mock SP in one process (8080 + 8081 by default), wired to each
//! other, with the partner page at `http://127.0.0.1:8081/partner` — open it, click "Go to console",
//! bind, land on the mock console, log out.

use anyhow::Context as _;

use super::mock_sp::{MOCK_DIR, init_with_mock_sp};
use super::{CliError, CliResult, DemoArgs};
use crate::config::Settings;
use crate::mocksp::{IdpSource, MockSp, MockSpOptions, PartnerConfig};

pub fn run_cli(args: DemoArgs, config_path: &std::path::Path, rt: &tokio::runtime::Runtime) -> CliResult<()> {
    for (flag, a) in [("--bind", &args.bind), ("--mock-sp-bind", &args.mock_sp_bind)] {
        super::check_socket_addr(flag, a)?;
    }
    let gateway_url = format!("http://{}", args.bind);
    let mock_url = format!("http://{}", args.mock_sp_bind);
    let config = match &args.dir {
        Some(d) => d.join("samlgate.toml"),
        None => config_path.to_path_buf(),
    };
    let mut settings = init_with_mock_sp(&config, Some(&gateway_url), &mock_url, None, None)?;
    settings.config.server.bind = args.bind.clone();
    let mock = MockSpOptions {
        bind: args.mock_sp_bind.clone(),
        base_url: mock_url,
        dir: settings.dir.join(MOCK_DIR),
        x_account_type: settings.config.huawei.x_account_type.clone(),
        idp_metadata: IdpSource::Inline(String::new()),
        notify_url: None,
        partner: None,
        site: settings.config.huawei.site,
        allow_unsolicited: args.allow_unsolicited,
    };
    rt.block_on(run(settings, mock)).map_err(|e| CliError::failure(format!("{e:#}")))
}

/// Runs both servers until Ctrl-C or SIGTERM.
pub async fn run(settings: Settings, mut mock: MockSpOptions) -> anyhow::Result<()> {
    let gw_bind = settings.config.server.bind.clone();
    mock.partner = Some(PartnerConfig {
        gateway_base_url: settings.config.server.base_url.clone(),
        handoff_secret: crate::gateway::setup::handoff_secrets(&settings)
            .map_err(|e| anyhow::anyhow!(e.to_string()))?
            .current,
    });
    let state = crate::web::AppState::build(settings).await?;
    mock.idp_metadata = IdpSource::Inline(state.idp().metadata.clone());
    let sp = MockSp::new(&mock)?;
    let gw_listener =
        tokio::net::TcpListener::bind(&gw_bind).await.with_context(|| format!("cannot listen on {gw_bind}"))?;
    let sp_listener =
        tokio::net::TcpListener::bind(&mock.bind).await.with_context(|| format!("cannot listen on {}", mock.bind))?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        crate::util::shutdown_signal().await;
        tracing::info!("shutting down the demo");
        let _ = tx.send(true);
    });
    let stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let purge = crate::gateway::housekeeping::spawn(state.gateway.clone());
    eprintln!(
        "\nsamlgate demo\n  partner platform: {}/partner   <- open this and click \"Go to console\"\n  gateway (IdP):    http://{} (metadata /saml/metadata)\n  mock Huawei SP:   {} (metadata /metadata){}\n  files:            {}\nCtrl-C stops both.\n",
        sp.urls().base,
        gw_listener.local_addr()?,
        sp.urls().base,
        if mock.allow_unsolicited {
            "; accepts unsolicited Responses (try `samlgate assert --user cust-1001 --post`)"
        } else {
            ""
        },
        mock.dir.parent().unwrap_or(&mock.dir).display()
    );
    let gw = axum::serve(
        gw_listener,
        crate::web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stop(rx.clone()));
    let mk = axum::serve(sp_listener, crate::mocksp::router(sp)).with_graceful_shutdown(stop(rx));
    let res = tokio::try_join!(gw.into_future(), mk.into_future());
    purge.abort();
    res?;
    Ok(())
}
