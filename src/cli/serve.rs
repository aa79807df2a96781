//! `leadcast serve`: resolves the configuration and runs the server on a tokio runtime.

use super::args::ServeArgs;
use anyhow::{Context, Result};
use leadcast::serve::{self, Config, Flags};
use std::process::ExitCode;

pub fn serve(a: ServeArgs) -> Result<ExitCode> {
    let cfg = Config::resolve(Flags {
        models: a.models,
        data: a.data,
        addr: a.addr,
        metrics_addr: a.metrics_addr,
        db: a.db,
        config: a.config,
        state_dir: a.state_dir,
        no_auth: a.no_auth,
        log_json: a.log_json,
        api_keys: a.api_keys,
    })
    .context("reading the server configuration")?;
    if !cfg.models.is_dir() {
        anyhow::bail!(
            "{}: no model directory (train one with `leadcast train all --data DIR --models {}`)",
            cfg.models.display(),
            cfg.models.display()
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    rt.block_on(serve::run(cfg)).context("serving")?;
    Ok(ExitCode::SUCCESS)
}
