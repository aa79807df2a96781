//! The command line: `main` parses (`args`), `run` dispatches to the library, errors are
//! printed once with their context chain and a hint. Commands print; the library never does.

mod analytics;
mod args;
mod forecast;
mod progress;
mod scoring;
mod series;
mod serve;
mod talktrack;
mod text;

use anyhow::{Context, Result};
use args::{Cli, Command};
use clap::Parser;
use leadcast::data::{self, Problems, mapping::Mapping};
use leadcast::domain::TABLES;
use leadcast::sim::{self, SimConfig};
use progress::Progress;
use std::path::Path;
use std::process::ExitCode;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        quiet_on_closed_pipe();
    }
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A closed stdout (`leadcast forecast … | head`) ends the process quietly, as it ends `cat`
/// or `grep`: Rust ignores SIGPIPE, so a print to a pipe whose reader has gone panics instead.
/// Not for `serve`, which must outlive a client that hangs up.
fn quiet_on_closed_pipe() {
    // SAFETY: restores a signal's default disposition before any thread is started; no
    // handler is installed, so no Rust code runs in a signal context.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Generate(a) => generate(a),
        Command::Validate(a) => validate(a),
        Command::Import(a) => import(a),
        Command::Train(a) => scoring::train(a),
        Command::Evaluate(a) => scoring::evaluate(a),
        Command::Score(a) => scoring::score(a),
        Command::Models(a) => scoring::models(a),
        Command::Analytics(a) => analytics::run(a),
        Command::Backtest(a) => forecast::backtest(a),
        Command::Forecast(a) => forecast::forecast(a),
        Command::ForecastSeries(a) => series::forecast_series(a),
        Command::QuotaPlan(a) => forecast::quota_plan(a),
        Command::Recommend(a) => talktrack::recommend(a),
        Command::Serve(a) => serve::serve(a),
    }
}

fn generate(a: args::GenerateArgs) -> Result<ExitCode> {
    let as_of =
        a.as_of.parse().with_context(|| format!("--as-of {:?} is not a date (expected YYYY-MM-DD)", a.as_of))?;
    let cfg = SimConfig {
        seed: a.seed,
        world: a.world,
        leads: a.leads,
        reps: a.reps,
        quarters: a.quarters,
        as_of,
        future_seed: a.future_seed,
    };
    cfg.check()?;
    let p = Progress::start(format!(
        "simulating world {} seed {} ({} leads, {} reps, {} quarters to {})",
        cfg.world, cfg.seed, cfg.leads, cfg.reps, cfg.quarters, cfg.as_of
    ));
    let s = sim::simulate(&cfg)?;
    p.step(format!("writing {}", a.out.display()));
    sim::write(&a.out, &s).with_context(|| format!("writing the simulated data to {}", a.out.display()))?;
    p.finish();
    let ds = &s.dataset;
    println!(
        "wrote {}: {} reps, {} leads, {} opportunities, {} stage entries, {} activities, {} invoices; truth/ beside them",
        a.out.display(),
        ds.reps.len(),
        ds.leads.len(),
        ds.opportunities.len(),
        ds.stage_history.len(),
        ds.activities.len(),
        ds.payments.as_ref().map_or(0, Vec::len)
    );
    Ok(ExitCode::SUCCESS)
}

fn load_mapping(path: Option<&Path>) -> Result<Option<Mapping>> {
    path.map(|p| Mapping::load(p).context("reading the mapping")).transpose()
}

/// Prints the problems, grouped, and the table sizes; returns whether there were errors.
fn report(checked: &data::Checked, max_per_kind: usize) -> bool {
    let problems: &Problems = &checked.problems;
    let lines = if max_per_kind == 0 {
        problems.iter().map(|p| p.to_string()).collect()
    } else {
        problems.summarize(max_per_kind)
    };
    for l in &lines {
        eprintln!("{l}");
    }
    let sizes: Vec<String> = TABLES.iter().map(|t| format!("{} {}", t.name, checked.dataset.rows(t.name))).collect();
    println!("rows loaded: {}", sizes.join(", "));
    println!("{} error(s), {} warning(s)", problems.error_count(), problems.warning_count());
    problems.has_errors()
}

fn validate(a: args::ValidateArgs) -> Result<ExitCode> {
    let mapping = load_mapping(a.mapping.as_deref())?;
    let p = Progress::start(format!("checking {}", a.data.display()));
    let checked = data::check_dir(&a.data, mapping.as_ref());
    p.finish();
    if a.format == args::ValidateFormat::Json {
        let rows: serde_json::Map<String, serde_json::Value> =
            TABLES.iter().map(|t| (t.name.to_string(), checked.dataset.rows(t.name).into())).collect();
        let doc = serde_json::json!({
            "data": a.data.display().to_string(),
            "errors": checked.problems.error_count(),
            "warnings": checked.problems.warning_count(),
            "rows": rows,
            "problems": checked.problems.iter().collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        let code = if checked.problems.has_errors() { ExitCode::FAILURE } else { ExitCode::SUCCESS };
        return Ok(code);
    }
    if report(&checked, a.max_per_kind) {
        eprintln!("hint: fix the rows named above (or the mapping) and run validate again");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn import(a: args::ImportArgs) -> Result<ExitCode> {
    let mapping = load_mapping(Some(&a.mapping))?;
    let p = Progress::start(format!("importing {} through {}", a.data.display(), a.mapping.display()));
    let checked = data::check_dir(&a.data, mapping.as_ref());
    p.finish();
    if report(&checked, a.max_per_kind) {
        eprintln!("hint: nothing was written; fix the mapping or the export and import again");
        return Ok(ExitCode::FAILURE);
    }
    data::write::write_dir(&a.out, &checked.dataset).context("writing the contract tables")?;
    println!("wrote contract tables to {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}
