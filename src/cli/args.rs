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
        after_help = "Examples:\n  leadcast score --models models --input data/sample/leads.csv --output /tmp/scores.csv --explain\n  leadcast score --models models --kind opportunity --data data/sample --output /tmp/open_deals.csv --explain"
    )]
    Score(ScoreArgs),
    /// Revenue forecast for a period.
    #[command(
        after_help = "Examples:\n  leadcast forecast --models models --period 2026Q4 --by team\n  leadcast forecast --models models --period 2026Q4 --by rep --lang zh"
    )]
    Forecast(ForecastArgs),
    /// Forecast any series given as series,t,value (or a wide table: t, then one column per series).
    #[command(
        name = "forecast-series",
        after_help = "Example:\n  leadcast forecast-series --input series.csv --horizon 8 --season 4 --output fc.csv"
    )]
    ForecastSeries(ForecastSeriesArgs),
    /// Split a company target into region, team and rep quotas (目标分解).
    #[command(
        name = "quota-plan",
        after_help = "Examples:\n  leadcast quota-plan --models models --period 2027Q1 --target 12000000\n  leadcast quota-plan --models models --period 2027Q1 --target 12000000 --lang zh"
    )]
    QuotaPlan(QuotaPlanArgs),
    /// Next-best talk tracks (话术) for a context.
    #[command(
        after_help = "Example:\n  leadcast recommend --models models --stage negotiation --persona finance --objection price --lang zh -k 3"
    )]
    Recommend(RecommendArgs),
    /// List, inspect, promote or roll back model versions.
    #[command(
        after_help = "Examples:\n  leadcast models list --models models\n  leadcast models rollback scoring --models models"
    )]
    Models(ModelsArgs),
    /// Funnel, channel, team, scorecard, customer-tier and collection analytics for a period.
    #[command(
        after_help = "Examples:\n  leadcast analytics funnel --data data/sample --by source\n  leadcast analytics scorecard --data data/sample --period 2026Q3 --sort completion"
    )]
    Analytics(super::analytics::AnalyticsArgs),
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
    /// Re-draw only what happens after --as-of: runs with the same --seed and another
    /// --future-seed share every contract table and differ in truth/ (how far apart the futures
    /// of one history lie; benches/forecast_noise.sh). The history differs from the run without it.
    #[arg(long)]
    pub future_seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// An import mapping (TOML) to apply to a real CRM export first.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Print at most this many problems of each kind (0 = all). Text only: JSON lists all.
    #[arg(long, default_value_t = 20)]
    pub max_per_kind: usize,
    /// text (problems on stderr, grouped) or json (one document on stdout with every problem
    /// and its file, row, line and column, for a pipeline to read).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ValidateFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
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
    #[arg(long, conflicts_with = "input")]
    pub data: Option<PathBuf>,
    /// Any single table (bring your own: CSV, Parquet or a spreadsheet), with --target and --positive.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The outcome column of --input.
    #[arg(long)]
    pub target: Option<String>,
    /// The value of --target that counts as a conversion.
    #[arg(long)]
    pub positive: Option<String>,
    /// A column naming rows (kept in outputs, never a feature).
    #[arg(long)]
    pub id: Option<String>,
    /// A date column: hold out the latest rows instead of a random share.
    #[arg(long)]
    pub time: Option<String>,
    /// Columns never to use (e.g. ones only known after the outcome).
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Separator of --input (sniffed from the header when absent: `,` `;` tab `|`).
    #[arg(long)]
    pub sep: Option<String>,
    /// The sheet of a spreadsheet --input, by name or position (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Estimator: auto picks the better of logistic and gbdt by held-out log loss;
    /// naive-bayes is the open-source anchor's method (a baseline).
    #[arg(long, default_value = "auto")]
    pub model: String,
    /// Seed of the random held-out split and of the trees.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The model directory.
    #[arg(long)]
    pub models: PathBuf,
    /// talktrack: a feedback CSV to replay after the activities
    /// (decision_id,at,stage,persona,industry,objection,talk_track_id,outcome).
    #[arg(long)]
    pub feedback: Option<PathBuf>,
    /// talktrack: also replay every feedback row the server stored in this database (the
    /// `serve --db` URL: sqlite://PATH or postgres://…), after the file's.
    #[arg(long)]
    pub db: Option<String>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Which model to evaluate.
    #[arg(value_enum, default_value = "scoring")]
    pub kind: ModelKind,
    /// The model directory.
    #[arg(long)]
    pub models: PathBuf,
    /// A contract data directory (its truth/ is used too, when present).
    #[arg(long, conflicts_with = "input")]
    pub data: Option<PathBuf>,
    /// A labelled table with the model's target column.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Separator of --input (sniffed when absent).
    #[arg(long)]
    pub sep: Option<String>,
    /// The sheet of a spreadsheet --input, by name or position (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Where to write the report (metrics.json, gains.csv, SVG curves, index.html).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// talktrack: decisions in the online simulation against the truth.
    #[arg(long, default_value_t = 50_000)]
    pub decisions: usize,
    /// talktrack: seed of the online simulation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The data directory (contract tables).
    #[arg(long)]
    pub data: PathBuf,
    /// How many rolling origins: the last N periods of the data, each forecast from its start.
    #[arg(long, default_value_t = 4)]
    pub periods: u32,
    /// Where to write the HTML report with its fan chart (SVG); none by default.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// quarter or month (default: quarter, or month when the data holds under two years).
    #[arg(long)]
    pub grain: Option<String>,
    /// Win probabilities at each origin: `model` retrains the opportunity model on the data cut
    /// at the origin (what serving uses), `empirical` uses win rates by stage and age (faster).
    #[arg(long, default_value = "model")]
    pub win: String,
    /// zh or en: the language of the printed tables and notes (the HTML report stays English).
    #[arg(long, default_value = "en")]
    pub lang: String,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The model directory.
    #[arg(long)]
    pub models: PathBuf,
    /// scoring (leads) or opportunity.
    #[arg(long, default_value = "scoring")]
    pub kind: String,
    /// CSV, Parquet or a spreadsheet (.xlsx, .xls, .ods: the first sheet), by extension.
    #[arg(long, required_unless_present = "data")]
    pub input: Option<PathBuf>,
    /// With --kind opportunity instead of --input: a contract directory, whose open
    /// opportunities are scored as of its latest date (with owner, stage, amount and expected
    /// amount beside each).
    #[arg(long, conflicts_with = "input")]
    pub data: Option<PathBuf>,
    /// CSV or Parquet, by extension.
    #[arg(long)]
    pub output: PathBuf,
    /// Add the top factors of each score.
    #[arg(long)]
    pub explain: bool,
    /// How many factors with --explain.
    #[arg(long, default_value_t = 3)]
    pub top: usize,
    /// Separator of --input (sniffed when absent).
    #[arg(long)]
    pub sep: Option<String>,
    /// The sheet of a spreadsheet --input, by name or position (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Start a CSV output with a UTF-8 byte-order mark, so that Excel opens it as UTF-8 (without
    /// one, Excel on a Chinese Windows reads it as GBK and garbles Chinese text).
    #[arg(long)]
    pub bom: bool,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// The model directory (its forecast model, from `train forecast`).
    #[arg(long)]
    pub models: PathBuf,
    /// A quarter (2026Q4) or a month (2026-11), from the data's current period to a year ahead.
    #[arg(long)]
    pub period: String,
    /// Break down by rep, team, region or product (default: the company total).
    #[arg(long)]
    pub by: Option<String>,
    /// table, json or csv.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Only this group: a rep by ID or name, a team, region or product of the --by level.
    #[arg(long)]
    pub key: Option<String>,
    /// With --format csv: start with a UTF-8 byte-order mark, so that Excel opens the saved
    /// output as UTF-8 (without one, Excel on a Chinese Windows reads it as GBK).
    #[arg(long)]
    pub bom: bool,
    /// zh or en: the language of the table's title, column names and notes (JSON and CSV keep
    /// the API's keys).
    #[arg(long, default_value = "en")]
    pub lang: String,
}

#[derive(Debug, Args)]
pub struct ForecastSeriesArgs {
    /// Long CSV (any of , ; tab |), Parquet or spreadsheet with columns series,t,value (t: an integer,
    /// a date or a period); without `series` and `value` columns, a wide table: t first, one column
    /// per series.
    #[arg(long)]
    pub input: PathBuf,
    /// The sheet of a spreadsheet --input, by name or position (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Steps to forecast.
    #[arg(long)]
    pub horizon: u32,
    /// Season length (default: from the time step — 12 monthly, 4 quarterly, 7 daily, else 1).
    #[arg(long)]
    pub season: Option<u32>,
    /// The forecast CSV: series,step,p10,p50,p90.
    #[arg(long)]
    pub output: PathBuf,
    /// auto (the combination for a seasonal series of at least four seasons, else a
    /// rolling-origin choice per series), seasonal-naive, ets, theta, optimized-theta or
    /// combination (the mean of ets, theta, optimized-theta and, for a seasonal series,
    /// seasonal-naive).
    #[arg(long, default_value = "auto")]
    pub method: leadcast::forecast::ts::Method,
    /// Start a CSV output with a UTF-8 byte-order mark, so that Excel opens it as UTF-8 (without
    /// one, Excel on a Chinese Windows reads it as GBK and garbles Chinese text).
    #[arg(long)]
    pub bom: bool,
}

#[derive(Debug, Args)]
pub struct QuotaPlanArgs {
    /// The model directory (its forecast model, from `train forecast`).
    #[arg(long)]
    pub models: PathBuf,
    /// A quarter (2026Q4) or a month (2026-11), from the data's current period to a year ahead.
    #[arg(long)]
    pub period: String,
    /// The company target to split (an amount above 0: 12000000, 12,000,000, 12M or 1200万).
    #[arg(long, allow_negative_numbers = true, value_parser = super::text::parse_amount)]
    pub target: f64,
    /// Smallest quota of a region (an amount).
    #[arg(long, allow_negative_numbers = true, value_parser = super::text::parse_amount)]
    pub region_floor: Option<f64>,
    /// Largest quota of a region (an amount).
    #[arg(long, allow_negative_numbers = true, value_parser = super::text::parse_amount)]
    pub region_cap: Option<f64>,
    /// Smallest quota of a team (an amount).
    #[arg(long, allow_negative_numbers = true, value_parser = super::text::parse_amount)]
    pub team_floor: Option<f64>,
    /// Largest quota of a team (an amount).
    #[arg(long, allow_negative_numbers = true, value_parser = super::text::parse_amount)]
    pub team_cap: Option<f64>,
    /// Smallest quota of a rep (an amount).
    #[arg(long, allow_negative_numbers = true, value_parser = super::text::parse_amount)]
    pub rep_floor: Option<f64>,
    /// Largest quota of a rep (an amount).
    #[arg(long, allow_negative_numbers = true, value_parser = super::text::parse_amount)]
    pub rep_cap: Option<f64>,
    /// table, json or csv.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// With --format csv: start with a UTF-8 byte-order mark, so that Excel opens the saved
    /// output as UTF-8 (without one, Excel on a Chinese Windows reads it as GBK).
    #[arg(long)]
    pub bom: bool,
    /// zh or en: the language of the table (目标分解): title, column names, levels and notes
    /// (JSON and CSV keep the API's keys).
    #[arg(long, default_value = "en")]
    pub lang: String,
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// The model directory (its talk-track model, from `train talktrack`).
    #[arg(long)]
    pub models: PathBuf,
    /// lead, discovery, qualification, negotiation, contract or collection (one context).
    #[arg(long)]
    pub stage: Option<String>,
    /// The buyer's role, e.g. finance; one the model does not know falls back (and says so).
    #[arg(long)]
    pub persona: Option<String>,
    /// The buyer's industry, e.g. manufacturing; unknown ones fall back likewise.
    #[arg(long)]
    pub industry: Option<String>,
    /// price, budget, timing, competitor, authority or trust.
    #[arg(long)]
    pub objection: Option<String>,
    /// zh or en: the language of titles, scripts and reasons.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// How many tracks to rank.
    #[arg(short = 'k', default_value_t = 3)]
    pub k: usize,
    /// A CSV of contexts (stage, persona, industry, objection) to recommend for in a batch.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The sheet of a spreadsheet --input, by name or position (default: the first).
    #[arg(long, requires = "input")]
    pub sheet: Option<String>,
    /// With --input: the CSV of ranked tracks per context.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Exploration level: 0 = always the best estimate, 1 = Thompson sampling, more = wider.
    #[arg(long, default_value_t = 0.0)]
    pub exploration: f64,
    /// Seed of the exploration draw and the decision ID (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print the answer (with the decision to log) as JSON.
    #[arg(long)]
    pub json: bool,
    /// Start a CSV output with a UTF-8 byte-order mark, so that Excel opens it as UTF-8 (without
    /// one, Excel on a Chinese Windows reads it as GBK and garbles Chinese text).
    #[arg(long)]
    pub bom: bool,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub action: ModelsAction,
}

#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Every kind's versions, the current one marked.
    #[command(after_help = "Example:\n  leadcast models list --models models")]
    List {
        /// The model directory.
        #[arg(long)]
        models: PathBuf,
    },
    /// The metadata of a version (the current one by default).
    #[command(after_help = "Example:\n  leadcast models show scoring --models models")]
    Show {
        /// scoring, opportunity, forecast or talktrack.
        kind: String,
        /// A version of that kind (default: the current one).
        version: Option<String>,
        /// The model directory.
        #[arg(long)]
        models: PathBuf,
    },
    /// Make a version current.
    #[command(after_help = "Example:\n  leadcast models promote scoring 20261124-001549 --models models")]
    Promote {
        /// scoring, opportunity, forecast or talktrack.
        kind: String,
        /// The version to serve.
        version: String,
        /// The model directory.
        #[arg(long)]
        models: PathBuf,
    },
    /// Make the previously current version current again.
    #[command(after_help = "Example:\n  leadcast models rollback scoring --models models")]
    Rollback {
        /// scoring, opportunity, forecast or talktrack.
        kind: String,
        /// The model directory.
        #[arg(long)]
        models: PathBuf,
    },
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  leadcast serve --models models\n  LEADCAST_API_KEYS=crm:scorer:KEY1,fin:planner:KEY2 leadcast serve --models models --db postgres://leadcast@db/leadcast\n\nWith no key configured, serve makes an admin key, prints it once and saves it in <state-dir>/admin.key."
)]
pub struct ServeArgs {
    /// The model directory (each kind's CURRENT is served).
    #[arg(long, env = "LEADCAST_MODELS")]
    pub models: Option<PathBuf>,
    /// A data directory (contract tables) for analytics and the dashboard.
    #[arg(long, env = "LEADCAST_DATA")]
    pub data: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "LEADCAST_ADDR")]
    pub addr: Option<String>,
    /// A separate, open listener for GET /metrics (on the main one it needs an admin key).
    #[arg(long, env = "LEADCAST_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// Database URL: sqlite://PATH (default <state-dir>/leadcast.db) or postgres://…
    #[arg(long, env = "LEADCAST_DB")]
    pub db: Option<String>,
    /// A TOML configuration file (see README, "Serving").
    #[arg(long, env = "LEADCAST_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the SQLite database and the generated admin key live [default: .leadcast].
    #[arg(long, env = "LEADCAST_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Serve without authentication (every endpoint open). Prints a warning.
    #[arg(long)]
    pub no_auth: bool,
    /// Log JSON lines instead of text.
    #[arg(long, env = "LEADCAST_LOG_JSON")]
    pub log_json: bool,
    /// API keys as name:role:key,… (roles: scorer, planner, admin). Prefer the environment.
    #[arg(long, env = "LEADCAST_API_KEYS", hide_env_values = true)]
    pub api_keys: Option<String>,
}
