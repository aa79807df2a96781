//! Revenue and quota forecasting.
//!
//! `ts` forecasts any univariate series (bookings per group, or a user's own series through
//! `leadcast forecast-series`) with intervals. On top of it: `bookings` (closed-won history per
//! month and quarter for every group), `snapshot` (the data as of a past day, for backtests that
//! do not peek), `pipeline` (the Monte Carlo of closed-to-date + open pipeline + new business,
//! per rep × product cell), `model` (the fitted [`ForecastModel`]: revenue, quota and plan
//! queries, the blend with the series view), `plan` (target split with floors and caps),
//! `backtest` (rolling origin; learns the blend weight) and `report` (HTML + SVG fan chart).
//! This module's [`train`] and [`save`] are the only places that touch `models/`.

pub mod backtest;
pub mod bookings;
pub mod model;
pub mod note;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod snapshot;
pub mod ts;
mod wire;

pub use bookings::{Grain, Level};
pub use model::{
    Blend, ForecastModel, OpenOpportunity, PlanRow, QuotaForecast, QuotaPlan, QuotaRow, RevenueForecast, RevenueRow,
    WinSource,
};
pub use note::Note;
pub use plan::{Bound, PlanLimits};

use crate::domain::Dataset;
use crate::registry::Registry;
use crate::score::model::ScoringModel;
use crate::{Error, Result};
use serde::Serialize;

/// Origins of the backtests that learn the blend weights at training time.
pub const TRAIN_BACKTEST_QUARTERS: usize = 4;
pub const TRAIN_BACKTEST_MONTHS: usize = 6;

/// A trained forecast model and the backtests that set its blend weights.
pub struct Trained {
    pub model: ForecastModel,
    pub backtests: Vec<backtest::Backtest>,
    pub notes: Vec<String>,
}

/// Fits the forecast model on `ds` as of its last day: the open pipeline scored by `opportunity`
/// (or empirical win rates when `None`), blend weights learned in rolling-origin backtests of
/// each grain (as many origins as the history allows, up to 4 quarters and 6 months).
pub fn train(
    ds: &Dataset,
    opportunity: Option<&ScoringModel>,
    backtest_win: backtest::WinMode,
    progress: &dyn Fn(&str),
) -> Result<Trained> {
    let as_of = snapshot::data_end(ds).ok_or_else(|| Error::InvalidArgument("the data has no dated rows".into()))?;
    let mut notes = Vec::new();
    let mut backtests = Vec::new();
    let mut blend = Blend::DEFAULT;
    for (grain, most) in [(Grain::Quarter, TRAIN_BACKTEST_QUARTERS), (Grain::Month, TRAIN_BACKTEST_MONTHS)] {
        let mut learned = None;
        for periods in (1..=most).rev() {
            let opts = backtest::Options { periods, grain, win: backtest_win };
            match backtest::run(ds, opts, &|s| progress(&format!("{} backtest: {s}", grain.as_str()))) {
                Ok(bt) => {
                    learned = Some(bt.weight);
                    backtests.push(bt);
                    break;
                }
                Err(Error::InvalidArgument(_)) if periods > 1 => continue,
                Err(e) => {
                    notes.push(format!(
                        "{} blend weight: no backtest possible ({e}); default {:.2}",
                        grain.as_str(),
                        blend.weight(grain)
                    ));
                    break;
                }
            }
        }
        if let Some(w) = learned {
            match grain {
                Grain::Quarter => blend.quarter = w,
                Grain::Month => blend.month = w,
            }
        }
    }
    progress("fitting the forecast model");
    let win = opportunity.map_or(WinSource::Empirical, WinSource::Model);
    let mut model = ForecastModel::fit(ds, as_of, win, blend)?;
    if opportunity.is_none() {
        notes.push("no opportunity model in the model directory: open deals use empirical win rates by stage and age (train one with `leadcast train opportunity`)".into());
    }
    // The fit's own notes (e.g. the open pipeline's recalibration) first, then training's.
    let mut all = std::mem::take(&mut model.notes);
    all.extend(notes);
    model.notes = all.clone();
    Ok(Trained { model, backtests, notes: all })
}

/// Metadata written beside the forecast model.
#[derive(Serialize)]
struct Metadata<'a> {
    kind: &'static str,
    leadcast_version: &'static str,
    created_at: String,
    data: &'a str,
    data_fingerprint: &'a str,
    as_of: chrono::NaiveDate,
    win_source: &'a str,
    opportunity_model: Option<&'a str>,
    blend: Blend,
    draws: usize,
    seed: u64,
    reps: usize,
    won_deals: usize,
    open_deals: usize,
    open_pipeline_amount: f64,
    backtests: Vec<serde_json::Value>,
    notes: &'a [String],
}

/// Writes a trained forecast model as a new version and makes it current. Returns the version.
pub fn save(
    registry: &Registry,
    t: &Trained,
    data: &str,
    fingerprint: &str,
    opportunity_version: Option<&str>,
) -> Result<String> {
    let m = &t.model;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let meta = Metadata {
        kind: "forecast",
        leadcast_version: env!("CARGO_PKG_VERSION"),
        created_at: chrono::DateTime::from_timestamp(now as i64, 0).map(|t| t.to_rfc3339()).unwrap_or_default(),
        data,
        data_fingerprint: fingerprint,
        as_of: m.as_of,
        win_source: &m.win_source,
        opportunity_model: opportunity_version,
        blend: m.blend,
        draws: m.settings.draws,
        seed: m.settings.seed,
        reps: m.org.len(),
        won_deals: m.won.len(),
        open_deals: m.open.len(),
        open_pipeline_amount: (m.open.iter().map(|o| o.amount).sum::<f64>() * 100.0).round() / 100.0,
        backtests: t
            .backtests
            .iter()
            .map(|b| {
                serde_json::json!({ "grain": b.grain, "origins": b.origins.len(), "weight": b.weight,
                    "win_source": b.win_source, "levels": b.levels, "methods": b.methods })
            })
            .collect(),
        notes: &m.notes,
    };
    let mut files =
        vec![("model.json".to_string(), to_json(m, false)?), ("metadata.json".to_string(), to_json(&meta, true)?)];
    let mut open = String::from("opportunity_id,owner_id,product,amount,stage,created_at,win_probability\n");
    for o in &m.open {
        open.push_str(&format!(
            "{},{},{},{},{},{},{:.6}\n",
            o.opportunity_id,
            m.org[o.rep].rep_id,
            o.product,
            crate::data::write::money(o.amount),
            o.stage,
            o.created_at,
            o.win_probability
        ));
    }
    files.push(("open_pipeline.csv".into(), open.into_bytes()));
    for grain in [Grain::Quarter, Grain::Month] {
        if let Some(first) = m.won.iter().map(|w| w.closed).min() {
            let (from, to) = (grain.period(first), grain.period(m.as_of));
            files.push((
                format!("bookings_{}.csv", grain.as_str()),
                bookings::history_csv(&m.org, &m.won, from, to).into_bytes(),
            ));
        }
    }
    for b in &t.backtests {
        let title = format!("leadcast forecast backtest ({}, {} origins)", b.grain.as_str(), b.origins.len());
        for (name, bytes) in report::files(&title, b)? {
            if name != "rows.csv" {
                files.push((format!("report/{}/{name}", b.grain.as_str()), bytes));
            }
        }
    }
    registry.save("forecast", &files)
}

/// JSON of any serialisable value (pretty or compact), with errors as library errors.
fn to_json<T: Serialize>(v: &T, pretty: bool) -> Result<Vec<u8>> {
    let r = if pretty { serde_json::to_vec_pretty(v) } else { serde_json::to_vec(v) };
    r.map_err(|e| Error::InvalidArgument(format!("cannot serialise: {e}")))
}
