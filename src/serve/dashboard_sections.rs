//! The dashboard's sections built from the analytics and forecasting libraries.

use super::dashboard::{DataCtx, Lang, Section};
use super::state::AppState;
use std::sync::Arc;

pub fn all(_st: &AppState, _data: Option<&Arc<DataCtx>>, _lang: Lang) -> Vec<Section> {
    Vec::new()
}

pub fn rep(_st: &AppState, _data: &Arc<DataCtx>, _rep_id: &str, _lang: Lang) -> Vec<Section> {
    Vec::new()
}
