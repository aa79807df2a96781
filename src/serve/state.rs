//! The state every handler shares: keys, the swappable models, the store, limits, and the
//! sampled prediction log that runs off the hot path.
//!
//! The prediction log is a bounded channel: a request only tries to enqueue (never waits);
//! when the buffer is full the row is dropped and counted (`leadcast_prediction_log_dropped_total`).
//! A background task writes batches to the store and feeds the input-drift statistics.

use super::auth::Keys;
use super::models::{Models, Served};
use super::store::{PredictionRow, Store};
use crate::registry::Registry;
use crate::score::model::{Prediction, ScoringModel};
use crate::score::table::Table;
use arc_swap::ArcSwap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Request limits.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_batch: usize,
    pub timeout_ms: u64,
    pub max_concurrency: usize,
}

/// A sampled scoring request on its way to the log and the drift statistics.
pub struct Sample {
    pub kind: &'static str,
    pub model: Arc<Served<ScoringModel>>,
    pub table: Table,
    pub ids: Vec<Option<String>>,
    pub probabilities: Vec<f64>,
    pub grades: Vec<char>,
}

pub struct Inner {
    pub keys: Keys,
    pub models: ArcSwap<Models>,
    pub registry: Registry,
    pub limits: Limits,
    pub store: Store,
    /// This process's name in the store (replicas skip their own feedback when refreshing).
    pub replica: String,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub log_tx: mpsc::Sender<Sample>,
    /// Requests sampled into the log: one in `log_every` (0 = none).
    pub log_every: u64,
    pub log_counter: AtomicU64,
    pub reload_lock: tokio::sync::Mutex<()>,
    /// The data directory behind the analytics and the dashboard (`--data`).
    pub data: Option<Arc<super::dashboard::DataCtx>>,
    /// Default exploration level of talk-track recommendations.
    pub exploration: f64,
    /// The dashboard's JSON per language, for the model versions it was drawn from.
    pub dashboard_cache: super::dashboard::Cache,
    /// The limits and metric handles of the layer in front of every route.
    pub guards: super::guard::Guards,
    pub grade_counters: GradeCounters,
}

/// `leadcast_scores_total` by kind and grade, made once (the recorder is installed first).
pub struct GradeCounters([[metrics::Counter; 4]; 2]);

impl GradeCounters {
    pub fn new() -> GradeCounters {
        GradeCounters(["scoring", "opportunity"].map(|kind| {
            ["A", "B", "C", "D"].map(|g| metrics::counter!("leadcast_scores_total", "kind" => kind, "grade" => g))
        }))
    }

    fn count(&self, kind: &str, grade: char) {
        let k = (kind != "scoring") as usize;
        let g = match grade {
            'A' => 0,
            'B' => 1,
            'C' => 2,
            _ => 3,
        };
        self.0[k][g].increment(1);
    }
}

impl Default for GradeCounters {
    fn default() -> Self {
        GradeCounters::new()
    }
}

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Counts the scores served by grade and samples the request into the prediction log
    /// (`table` makes the request's rows as a table, only for a sampled request).
    pub fn observe(
        &self,
        kind: &'static str,
        model: &Arc<Served<ScoringModel>>,
        table: &dyn Fn() -> Table,
        ids: &[Option<String>],
        preds: &[Prediction],
    ) {
        for p in preds {
            self.grade_counters.count(kind, p.grade);
        }
        if self.log_every == 0 || !self.log_counter.fetch_add(1, Ordering::Relaxed).is_multiple_of(self.log_every) {
            return;
        }
        let sample = Sample {
            kind,
            model: model.clone(),
            table: table(),
            ids: ids.to_vec(),
            probabilities: preds.iter().map(|p| p.probability).collect(),
            grades: preds.iter().map(|p| p.grade).collect(),
        };
        if self.log_tx.try_send(sample).is_err() {
            metrics::counter!("leadcast_prediction_log_dropped_total").increment(1);
        }
    }
}

/// The rows of a sample as prediction-log rows (inputs as a JSON object per row).
pub fn log_rows(s: &Sample) -> Vec<PredictionRow> {
    let at = chrono::Utc::now().to_rfc3339();
    (0..s.table.rows)
        .map(|i| {
            let input: serde_json::Map<String, serde_json::Value> = s
                .table
                .names
                .iter()
                .zip(&s.table.columns)
                .map(|(n, c)| (n.clone(), serde_json::Value::String(c[i].clone())))
                .collect();
            PredictionRow {
                at: at.clone(),
                kind: s.kind.to_string(),
                model_version: s.model.version.clone(),
                entity_id: s.ids.get(i).cloned().flatten(),
                probability: s.probabilities[i],
                grade: s.grades[i].to_string(),
                input: serde_json::Value::Object(input).to_string(),
            }
        })
        .collect()
}
