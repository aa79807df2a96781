//! The models being served, swapped whole on reload.
//!
//! Invariant: a request sees one consistent set of models (it takes an `Arc` snapshot at its
//! start), and a reload never leaves the server with less than it had: a kind whose new
//! `CURRENT` fails to load (corrupt, incompatible) keeps serving its previous version, and the
//! failure is logged and returned to the caller of reload.

use crate::forecast::model::ForecastModel;
use crate::registry::Registry;
use crate::score::{self, model::ScoringModel};
use serde::Serialize;
use std::sync::Arc;

/// One loaded model with its version.
#[derive(Debug)]
pub struct Served<T> {
    pub version: String,
    pub model: T,
    /// For scoring models: the input columns and the JSON each accepts, worked out once.
    pub inputs: Vec<(String, super::scoring::Expect)>,
    /// For scoring models: the index in `inputs` of each feature's column.
    pub feature_input: Vec<usize>,
}

/// Everything loaded from the model directory.
#[derive(Debug, Default, Clone)]
pub struct Models {
    pub scoring: Option<Arc<Served<ScoringModel>>>,
    pub opportunity: Option<Arc<Served<ScoringModel>>>,
    pub forecast: Option<Arc<Served<ForecastModel>>>,
    /// The talk-track posterior changes with feedback, so it sits behind a lock.
    pub talktrack: Option<Arc<super::talktrack::Live>>,
}

/// What a reload did to one kind.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KindStatus {
    pub kind: String,
    /// The version served after the reload, if any.
    pub version: Option<String>,
    /// `loaded` (a new version), `unchanged`, `absent` (nothing trained), or `failed`.
    pub status: String,
    /// Why loading failed; the previous version keeps serving.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn version_of<T>(s: &Option<Arc<Served<T>>>) -> Option<String> {
    s.as_ref().map(|s| s.version.clone())
}

/// Loads one scoring-type kind: `(new slot, status)`.
fn reload_scoring(
    registry: &Registry,
    kind: &str,
    old: &Option<Arc<Served<ScoringModel>>>,
) -> (Option<Arc<Served<ScoringModel>>>, KindStatus) {
    let status = |version: Option<String>, status: &str, error: Option<String>| KindStatus {
        kind: kind.to_string(),
        version,
        status: status.to_string(),
        error,
    };
    match registry.current(kind) {
        Ok(None) => (old.clone(), status(version_of(old), if old.is_some() { "unchanged" } else { "absent" }, None)),
        Ok(Some(v)) if Some(&v) == old.as_ref().map(|o| &o.version) => {
            (old.clone(), status(Some(v), "unchanged", None))
        }
        Ok(Some(_)) => match score::load(registry, kind) {
            Ok((version, model)) => {
                let st = status(Some(version.clone()), "loaded", None);
                let inputs = super::scoring::expectations(&model);
                let feature_input = super::scoring::feature_inputs(&model, &inputs);
                (Some(Arc::new(Served { version, model, inputs, feature_input })), st)
            }
            Err(e) => (old.clone(), status(version_of(old), "failed", Some(e.to_string()))),
        },
        Err(e) => (old.clone(), status(version_of(old), "failed", Some(e.to_string()))),
    }
}

/// Loads a kind through `load` when its `CURRENT` changed: `(new slot, status)`.
fn reload_kind<T>(
    registry: &Registry,
    kind: &str,
    old: &Option<Arc<T>>,
    version: impl Fn(&T) -> &str,
    load: impl Fn(&Registry) -> crate::Result<(String, T)>,
) -> (Option<Arc<T>>, KindStatus) {
    let old_version = old.as_ref().map(|o| version(o).to_string());
    let status = |v: Option<String>, st: &str, error: Option<String>| KindStatus {
        kind: kind.to_string(),
        version: v,
        status: st.to_string(),
        error,
    };
    match registry.current(kind) {
        Ok(None) => {
            (old.clone(), status(old_version.clone(), if old.is_some() { "unchanged" } else { "absent" }, None))
        }
        Ok(Some(v)) if Some(&v) == old_version.as_ref() => (old.clone(), status(Some(v), "unchanged", None)),
        Ok(Some(_)) => match load(registry) {
            Ok((v, m)) => (Some(Arc::new(m)), status(Some(v), "loaded", None)),
            Err(e) => (old.clone(), status(old_version, "failed", Some(e.to_string()))),
        },
        Err(e) => (old.clone(), status(old_version, "failed", Some(e.to_string()))),
    }
}

impl Models {
    /// Loads the current version of every kind, keeping `self`'s where loading fails.
    pub fn reload(&self, registry: &Registry) -> (Models, Vec<KindStatus>) {
        let (scoring, s1) = reload_scoring(registry, "scoring", &self.scoring);
        let (opportunity, s2) = reload_scoring(registry, "opportunity", &self.opportunity);
        let (forecast, s3) = reload_kind(
            registry,
            "forecast",
            &self.forecast,
            |s| &s.version,
            |r| {
                let (version, bytes) = r.read_current("forecast", "model.json")?;
                let model: ForecastModel = serde_json::from_slice(&bytes).map_err(|e| {
                    crate::Error::InvalidArgument(format!("forecast model {version} does not load: {e}"))
                })?;
                Ok((version.clone(), Served { version, model, inputs: Vec::new(), feature_input: Vec::new() }))
            },
        );
        let (talktrack, s4) = reload_kind(
            registry,
            "talktrack",
            &self.talktrack,
            |l| &l.version,
            |r| {
                let (version, model) = crate::talktrack::load(r)?;
                Ok((version.clone(), super::talktrack::Live::new(version, model)))
            },
        );
        (Models { scoring, opportunity, forecast, talktrack }, vec![s1, s2, s3, s4])
    }

    /// `(kind, version)` of everything loaded.
    pub fn versions(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if let Some(s) = &self.scoring {
            v.push(("scoring", s.version.clone()));
        }
        if let Some(s) = &self.opportunity {
            v.push(("opportunity", s.version.clone()));
        }
        if let Some(s) = &self.forecast {
            v.push(("forecast", s.version.clone()));
        }
        if let Some(s) = &self.talktrack {
            v.push(("talktrack", s.version.clone()));
        }
        v
    }
}
