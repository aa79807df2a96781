//! Lead and opportunity scoring: read a table (`table`), encode it (`features`), fit and pick
//! an estimator (`model`, `train`), calibrate it (`calibrate`), measure it (`metrics`,
//! `report`), and save and load versions through the registry. Models know no HTTP and do no
//! I/O; this module's `save`/`load` are the only places that touch files.

pub mod calibrate;
pub mod contract;
pub mod features;
pub mod groups;
pub mod metrics;
pub mod model;
pub mod report;
pub mod table;
pub mod train;
pub mod trees;

use crate::registry::Registry;
use crate::{Error, Result};
use model::ScoringModel;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use train::TrainReport;

/// SHA-256 over the bytes of the given files, in order: the training data's fingerprint.
pub fn fingerprint(paths: &[PathBuf]) -> Result<String> {
    let mut h = Sha256::new();
    for p in paths {
        let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        h.update(p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default().as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The metadata written beside every model version.
#[derive(Debug, Serialize)]
pub struct Metadata<'a> {
    pub kind: &'a str,
    pub leadcast_version: &'static str,
    pub created_at: String,
    pub data: String,
    pub data_fingerprint: String,
    pub model: &'a str,
    pub calibration: &'a str,
    pub target: &'a str,
    pub positive: &'a str,
    pub rows: usize,
    pub features: usize,
    pub split: &'a str,
    pub validation: &'a metrics::Metrics,
    pub candidates: &'a [train::Candidate],
    pub warnings: &'a [String],
    pub grade_thresholds: [f64; 3],
}

/// Writes a trained model as a new version of `kind` and makes it current. Returns the version.
pub fn save(
    registry: &Registry,
    kind: &str,
    model: &ScoringModel,
    rep: &TrainReport,
    data: &str,
    fingerprint: &str,
) -> Result<String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let created = chrono::DateTime::from_timestamp(now as i64, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
    let meta = Metadata {
        kind,
        leadcast_version: env!("CARGO_PKG_VERSION"),
        created_at: created,
        data: data.to_string(),
        data_fingerprint: fingerprint.to_string(),
        model: &rep.chosen,
        calibration: &rep.calibration,
        target: &model.target,
        positive: &model.positive,
        rows: rep.rows,
        features: rep.features,
        split: &rep.split,
        validation: &model.validation,
        candidates: &rep.candidates,
        warnings: &rep.warnings,
        grade_thresholds: model.grades.thresholds,
    };
    let mut files = vec![
        ("model.json".to_string(), json(model)?),
        ("schema.json".to_string(), json(&model.schema)?),
        ("feature_stats.json".to_string(), json(&rep.feature_stats)?),
        ("metrics.json".to_string(), json(&model.validation)?),
        ("metadata.json".to_string(), json(&meta)?),
    ];
    let extra = serde_json::json!({ "model": rep.chosen, "calibration": rep.calibration, "split": rep.split, "candidates": rep.candidates, "warnings": rep.warnings, "data": data });
    for (name, bytes) in
        report::files(&format!("leadcast {kind} model: held-out evaluation"), &rep.holdout_p, &rep.holdout_y, &extra)?
    {
        files.push((format!("report/{name}"), bytes));
    }
    registry.save(kind, &files)
}

/// Loads the current version of `kind`.
pub fn load(registry: &Registry, kind: &str) -> Result<(String, ScoringModel)> {
    let (version, bytes) = registry.read_current(kind, "model.json")?;
    let mut m: ScoringModel = serde_json::from_slice(&bytes)
        .map_err(|e| Error::InvalidArgument(format!("{kind} model {version} does not load: {e}")))?;
    m.rebuild()?;
    Ok((version, m))
}

/// Pretty JSON, with serialisation errors as library errors.
fn json<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(v).map_err(|e| Error::InvalidArgument(format!("cannot serialise: {e}")))
}

/// Paths of a data directory's contract tables (for the fingerprint), sorted.
pub fn table_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        crate::domain::TABLES.iter().filter_map(|t| crate::data::raw::find_table(dir, t.name).ok().flatten()).collect();
    v.sort();
    v
}
