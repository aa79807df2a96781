//! Next-best talk track (话术): learn from logged touches which track advances deals in which
//! context, recommend in Chinese or English with honest uncertainty, explore safely, learn
//! from reported outcomes, and measure all of it.
//!
//! - `model` — the hierarchical Beta model of P(advance | track, persona, industry), with
//!   empirical-Bayes prior strengths; `update` learns from feedback online.
//! - `recommend` — context resolution (fallbacks), ranking, Thompson sampling with an
//!   exploration level, the logged `Decision` (context, candidates, propensity) and the
//!   `Feedback` the server stores, with the checks it must pass before it is stored.
//! - `feedback` — the feedback CSV (`train talktrack --feedback FILE` replays it).
//! - `evaluate` — off-policy (IPS, doubly robust), against the simulator's truth, and an online
//!   simulation; `report` — its SVG + HTML.
//! - `stats` — ln Γ, Beta CDF and quantiles, the empirical-Bayes strength fit; `wire` — serde
//!   of the contract enums.
//!
//! Invariants: the model does no I/O (only `save`/`load` here touch the registry); training
//! never reads `truth/`; every number served is finite and every probability is in [0, 1].

pub mod evaluate;
pub mod feedback;
pub mod model;
pub mod recommend;
pub mod report;
pub mod stats;
pub mod wire;

pub use model::TalkTrackModel;
pub use recommend::{Context, ContextIn, Decision, Feedback, Lang, Policy, Recommendations};

use crate::catalog::Catalog;
use crate::domain::{Activity, Dataset};
use crate::registry::Registry;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;

/// The registry kind.
pub const KIND: &str = "talktrack";
/// Touches a context needs in training to count as "supported" in evaluations.
pub const SUPPORTED_TOUCHES: f64 = 200.0;

/// opportunity_id → owner (the rep who logged the touch).
pub fn owners(ds: &Dataset) -> HashMap<String, String> {
    ds.opportunities.iter().map(|o| (o.opportunity_id.clone(), o.owner_id.clone())).collect()
}

/// Splits activities by date: those before the cut (about `train_share` of them) and the rest.
/// Touches on the cut date go to the held-out part, so no day is split.
pub fn split_by_date(activities: &[Activity], train_share: f64) -> (Vec<Activity>, Vec<Activity>) {
    let mut dates: Vec<_> = activities.iter().map(|a| a.at).collect();
    dates.sort();
    if dates.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let k = ((dates.len() as f64 * train_share.clamp(0.0, 1.0)) as usize).min(dates.len() - 1);
    let cut = dates[k];
    activities.iter().cloned().partition(|a| a.at < cut)
}

/// What training did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainSummary {
    pub touches: usize,
    pub skipped: std::collections::BTreeMap<String, usize>,
    pub feedback_replayed: usize,
    pub strengths: model::Strengths,
    pub contexts: usize,
    pub supported_contexts: usize,
    /// Held-out check: a model fitted on the earliest 80% of touches, judged off policy on the
    /// latest 20%.
    pub holdout: Option<evaluate::OffPolicy>,
}

/// Fits on a dataset's activities, then replays feedback in order. Feedback that fails its
/// checks is an error naming its position (nothing is trained).
pub fn train(catalog: &Catalog, ds: &Dataset, feedback: &[Feedback]) -> Result<(TalkTrackModel, TrainSummary)> {
    let mut m = TalkTrackModel::fit(catalog, &ds.activities);
    for (i, f) in feedback.iter().enumerate() {
        m.update(f).map_err(|e| Error::InvalidArgument(format!("feedback row {}: {e}", i + 1)))?;
    }
    let (early, late) = split_by_date(&ds.activities, 0.8);
    let holdout = if early.is_empty() || late.is_empty() {
        None
    } else {
        let mh = TalkTrackModel::fit(catalog, &early);
        let logs = evaluate::logged(&mh, &late, &owners(ds));
        let all = evaluate::logged(&mh, &ds.activities, &owners(ds));
        let pol = evaluate::LoggingPolicy::estimate(&mh, &all);
        evaluate::off_policy(&mh, &logs, &pol, None).ok()
    };
    let mut contexts = 0;
    let mut supported = 0;
    let mut seen = std::collections::BTreeSet::new();
    for (t, s) in m.tracks.iter().zip(&m.stats) {
        for (p, row) in &s.by_cell {
            for i in row.keys() {
                if seen.insert((t.stage, t.objection, p.clone(), i.clone())) {
                    contexts += 1;
                    if m.context_touches(t.stage, t.objection, p, i) >= SUPPORTED_TOUCHES {
                        supported += 1;
                    }
                }
            }
        }
    }
    let summary = TrainSummary {
        touches: m.fit.touches,
        skipped: m.fit.skipped.clone(),
        feedback_replayed: feedback.len(),
        strengths: m.strengths,
        contexts,
        supported_contexts: supported,
        holdout,
    };
    Ok((m, summary))
}

#[derive(Debug, Serialize)]
struct Metadata<'a> {
    kind: &'a str,
    leadcast_version: &'static str,
    created_at: String,
    data: &'a str,
    data_fingerprint: Option<&'a str>,
    feedback_file: Option<&'a str>,
    summary: &'a TrainSummary,
}

fn json<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(v).map_err(|e| Error::InvalidArgument(format!("cannot serialise: {e}")))
}

/// Writes a new version (model.json, metadata.json, metrics.json) and makes it current.
pub fn save(
    registry: &Registry,
    m: &TalkTrackModel,
    s: &TrainSummary,
    data: &str,
    feedback_file: Option<&str>,
) -> Result<String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let created = chrono::DateTime::from_timestamp(now as i64, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
    let meta = Metadata {
        kind: KIND,
        leadcast_version: env!("CARGO_PKG_VERSION"),
        created_at: created,
        data,
        data_fingerprint: m.fit.data_fingerprint.as_deref(),
        feedback_file,
        summary: s,
    };
    registry.save(
        KIND,
        &[
            ("model.json".to_string(), json(m)?),
            ("metadata.json".to_string(), json(&meta)?),
            ("metrics.json".to_string(), json(s)?),
        ],
    )
}

/// Loads the current version: (version, model).
pub fn load(registry: &Registry) -> Result<(String, TalkTrackModel)> {
    let (version, bytes) = registry.read_current(KIND, "model.json")?;
    let mut m: TalkTrackModel = serde_json::from_slice(&bytes)
        .map_err(|e| Error::InvalidArgument(format!("talktrack model {version} does not load: {e}")))?;
    m.rebuild();
    Ok((version, m))
}
