//! What the user typed: the clap definition of every subcommand of DESIGN.md. Doc comments are
//! the `--help` text; every command ends its help with an example.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Lead scoring, revenue forecasting and talk-track recommendation for sales teams.
#[derive(Debug, Parser)]
#[command(name = "leadcast", version, about, propagate_version = true)]
#[command(
    after_help = "Start here:\n  leadcast validate --data data/sample\n  leadcast generate --out /tmp/world --seed 7"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a B2B sales organisation: a complete data directory plus its ground truth.
    #[command(after_help = "Example:\n  leadcast generate --out /tmp/world --seed 7 --leads 20000")]
    Generate(GenerateArgs),
    /// Check a data directory against the data contract; report every problem, exit 1 if any error.
    #[command(
        after_help = "Examples:\n  leadcast validate --data data/sample\n  leadcast validate --data ../shared/data/crm-opportunities --mapping data/mappings/crm-opportunities.toml"
    )]
    Validate(ValidateArgs),
    /// Turn a real CRM export into contract tables through a mapping file.
    #[command(
        after_help = "Example:\n  leadcast import --data ../shared/data/crm-opportunities --mapping data/mappings/crm-opportunities.toml --out /tmp/crm"
    )]
    Import(ImportArgs),
    /// Fit models from historical pipeline data.
    #[command(
        after_help = "Examples:\n  leadcast train all --data data/sample --models models\n  leadcast train scoring --input bank-full.csv --target y --positive yes --exclude duration --models /tmp/m"
    )]
    Train(TrainArgs),
    /// Evaluate saved models on labelled data.
    #[command(
        after_help = "Example:\n  leadcast evaluate scoring --models models --data /tmp/world --report /tmp/report"
    )]
    Evaluate(EvaluateArgs),
    /// Rolling-origin forecast accuracy.
    #[command(after_help = "Example:\n  leadcast backtest --data data/sample --periods 4 --report /tmp/backtest")]
    Backtest(BacktestArgs),
    /// Score a file of leads or opportunities.
    #[command(
        after_help = "Example:\n  leadcast score --models models --input data/sample/leads.csv --output /tmp/scores.csv --explain"
    )]
    Score(ScoreArgs),
    /// Revenue forecast for a period.
    #[command(after_help = "Example:\n  leadcast forecast --models models --period 2026Q4 --by team")]
    Forecast(ForecastArgs),
    /// Forecast any series given as series,t,value.
    #[command(
        name = "forecast-series",
        after_help = "Example:\n  leadcast forecast-series --input series.csv --horizon 8 --season 4 --output fc.csv"
    )]
    ForecastSeries(ForecastSeriesArgs),
    /// Split a company target into region, team and rep quotas (目标分解).
    #[command(
        name = "quota-plan",
        after_help = "Example:\n  leadcast quota-plan --models models --period 2027Q1 --target 12000000"
    )]
    QuotaPlan(QuotaPlanArgs),
    /// Next-best talk tracks (话术) for a context.
    #[command(
        after_help = "Example:\n  leadcast recommend --models models --stage negotiation --persona finance --objection price --lang zh -k 3"
    )]
    Recommend(RecommendArgs),
    /// List, inspect, promote or roll back model versions.
    #[command(after_help = "Example:\n  leadcast models list --models models")]
    Models(ModelsArgs),
    /// Serve the HTTP API and the dashboard.
    #[command(after_help = "Example:\n  leadcast serve --models models --addr 127.0.0.1:8080")]
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to write (created; existing contract files in it are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// Draws the history: leads, deals, touches, outcomes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fixes the laws of the world (conversion function, rep quality, talk-track effects).
    #[arg(long, default_value_t = 0)]
    pub world: u64,
    /// About how many leads arrive in the history window.
    #[arg(long, default_value_t = 50_000)]
    pub leads: usize,
    /// Number of reps (spread over 4 regions, 2 teams each).
    #[arg(long, default_value_t = 40)]
    pub reps: usize,
    /// Quarters of history, ending with the quarter of --as-of.
    #[arg(long, default_value_t = 12)]
    pub quarters: u32,
    /// The export date: nothing after it is in the data (truth/ holds what came after).
    #[arg(long, default_value = "2026-09-30")]
    pub as_of: String,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// An import mapping (TOML) to apply to a real CRM export first.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Print at most this many problems of each kind (0 = all).
    #[arg(long, default_value_t = 20)]
    pub max_per_kind: usize,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export's directory.
    #[arg(long)]
    pub data: PathBuf,
    /// The import mapping (TOML).
    #[arg(long)]
    pub mapping: PathBuf,
    /// Where to write the contract tables.
    #[arg(long)]
    pub out: PathBuf,
    /// Print at most this many problems of each kind (0 = all).
    #[arg(long, default_value_t = 20)]
    pub max_per_kind: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModelKind {
    Scoring,
    Opportunity,
    Forecast,
    Talktrack,
    All,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// What to train.
    #[arg(value_enum, default_value = "all")]
    pub kind: ModelKind,
    /// A contract data directory.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Any single table (bring your own), with --target and --positive.
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[arg(long)]
    pub target: Option<String>,
    #[arg(long)]
    pub positive: Option<String>,
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub time: Option<String>,
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    #[arg(long)]
    pub sep: Option<String>,
    /// The model directory.
    #[arg(long)]
    pub models: PathBuf,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[arg(value_enum, default_value = "scoring")]
    pub kind: ModelKind,
    #[arg(long)]
    pub models: PathBuf,
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value_t = 4)]
    pub periods: u32,
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[arg(long)]
    pub models: PathBuf,
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub input: PathBuf,
    #[arg(long)]
    pub output: PathBuf,
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    #[arg(long)]
    pub models: PathBuf,
    #[arg(long)]
    pub period: String,
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long, default_value = "table")]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct ForecastSeriesArgs {
    #[arg(long)]
    pub input: PathBuf,
    #[arg(long)]
    pub horizon: u32,
    #[arg(long)]
    pub season: Option<u32>,
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct QuotaPlanArgs {
    #[arg(long)]
    pub models: PathBuf,
    #[arg(long)]
    pub period: String,
    #[arg(long)]
    pub target: f64,
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    #[arg(long)]
    pub models: PathBuf,
    #[arg(long)]
    pub stage: Option<String>,
    #[arg(long)]
    pub persona: Option<String>,
    #[arg(long)]
    pub industry: Option<String>,
    #[arg(long)]
    pub objection: Option<String>,
    #[arg(long, default_value = "zh")]
    pub lang: String,
    #[arg(short = 'k', default_value_t = 3)]
    pub k: usize,
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// list, show, promote or rollback.
    pub action: String,
    #[arg(long)]
    pub models: PathBuf,
    /// Further arguments of the action (kind, version).
    pub rest: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long)]
    pub models: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    #[arg(long)]
    pub db: Option<String>,
    #[arg(long)]
    pub config: Option<PathBuf>,
}
