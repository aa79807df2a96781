//! The dashboard (数据看板) at `GET /`: one page (HTML + a little JavaScript, bundled in the
//! binary, nothing from the internet) that asks for a planner key, then fetches
//! `GET /v1/dashboard?lang=zh|en` — every section with its chart already drawn as SVG on the
//! server (`svg.rs`) or as a table — and `GET /v1/dashboard/reps/{rep_id}` for a rep's
//! drill-down. Switching language re-fetches; all text comes from the server.
//!
//! Invariant: a section is present even when its source is missing (no data directory, no
//! forecast model): it then says so instead of disappearing, so the page's layout is stable.

use super::auth::Role;
use super::error::ApiError;
use super::error::Query;
use super::state::AppState;
use super::svg;
use crate::domain::Dataset;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const PAGE: &str = include_str!("dashboard.html");

/// The data directory the analytics and the dashboard read, loaded at start.
#[derive(Debug)]
pub struct DataCtx {
    pub dir: std::path::PathBuf,
    pub dataset: Dataset,
    /// The last date in the data (the analytics' "today").
    pub as_of: chrono::NaiveDate,
}

impl DataCtx {
    /// Loads and checks `dir`; any error in the data is refused with the first problems.
    pub fn load(dir: &std::path::Path) -> crate::Result<DataCtx> {
        let checked = crate::data::check_dir(dir, None);
        if checked.problems.has_errors() {
            let lines = checked.problems.summarize(3);
            return Err(crate::Error::InvalidData { errors: checked.problems.error_count(), first: lines.join("; ") });
        }
        let ds = checked.dataset;
        let as_of = ds
            .opportunities
            .iter()
            .flat_map(|o| [Some(o.created_at), o.closed_at])
            .flatten()
            .chain(ds.leads.iter().map(|l| l.created_at))
            .max()
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        Ok(DataCtx { dir: dir.to_path_buf(), dataset: ds, as_of })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

impl LangQuery {
    pub fn lang(&self) -> Lang {
        match self.lang.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// `zh` or `en` text.
pub fn t(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TableOut {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Per row, the key a click drills into (rep tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// A complete `<svg>` element.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub svg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<TableOut>,
    /// What the figures rest on, in the page's language (the forecast's notes: a seasonal
    /// conversion factor, a fallback of the series view), shown under the chart.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub title: String,
    pub as_of_label: String,
    pub sections: Vec<Section>,
}

pub fn pct(x: f64) -> String {
    if x.is_finite() { format!("{:.0}%", x * 100.0) } else { "–".into() }
}

fn no_data(lang: Lang) -> String {
    t(lang, "暂无数据（用 --data 指定数据目录）", "no data (start serve with --data DIR)")
}

/// Lead scores of the leads created in the last 90 days of the data, by grade and by score.
fn score_section(st: &AppState, data: Option<&Arc<DataCtx>>, lang: Lang) -> Section {
    let title = t(lang, "线索评分分布（近 90 天新线索）", "Lead-score distribution (leads of the last 90 days)");
    let models = st.models.load();
    let (Some(d), Some(m)) = (data, models.scoring.as_ref()) else {
        return Section {
            id: "scores".into(),
            title,
            subtitle: None,
            svg: Some(svg::histogram("chart-scores", "", &[], &no_data(lang))),
            table: None,
            notes: Vec::new(),
        };
    };
    let from = d.as_of - chrono::Duration::days(90);
    let table = crate::score::contract::leads_table(&d.dataset);
    let keep: Vec<usize> =
        d.dataset.leads.iter().enumerate().filter(|(_, l)| l.created_at > from).map(|(i, _)| i).collect();
    let preds = m.model.predict(&table.take(&keep), false, 0).unwrap_or_default();
    let mut by_grade = [0usize; 4];
    let mut bins = [0usize; 10];
    for p in &preds {
        by_grade[match p.grade {
            'A' => 0,
            'B' => 1,
            'C' => 2,
            _ => 3,
        }] += 1;
        bins[(p.score as usize / 10).min(9)] += 1;
    }
    let labels: Vec<(String, f64)> = (0..10).map(|i| (format!("{}–{}", i * 10, i * 10 + 9), bins[i] as f64)).collect();
    let n = preds.len().max(1) as f64;
    Section {
        id: "scores".into(),
        title,
        subtitle: Some(format!(
            "A {} · B {} · C {} · D {}  ({} {})",
            by_grade[0],
            by_grade[1],
            by_grade[2],
            by_grade[3],
            preds.len(),
            t(lang, "条线索", "leads")
        )),
        svg: Some(svg::histogram("chart-scores", "scores", &labels, &no_data(lang))),
        table: Some(TableOut {
            columns: vec![t(lang, "等级", "Grade"), t(lang, "线索数", "Leads"), t(lang, "占比", "Share")],
            rows: ["A", "B", "C", "D"]
                .iter()
                .zip(by_grade)
                .map(|(g, c)| vec![g.to_string(), c.to_string(), pct(c as f64 / n)])
                .collect(),
            keys: None,
        }),
        notes: Vec::new(),
    }
}

/// The page itself (open: it asks for a key before fetching anything).
pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// Everything the dashboard shows, charts drawn.
#[utoipa::path(get, path = "/v1/dashboard", tag = "dashboard",
    params(("lang" = Option<String>, Query, description = "zh (default) or en")),
    responses((status = 200, body = Dashboard), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody)),
    security(("api_key" = [])))]
pub async fn dashboard(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    st.keys.check(&headers, Role::Planner)?;
    let lang = q.lang();
    let st2 = st.clone();
    let body =
        tokio::task::spawn_blocking(move || cached(&st2, lang)).await.map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The dashboard's JSON per language, drawn once per set of model versions: the data
/// directory is fixed for the process, so only a reload can change what the page shows.
#[derive(Default)]
pub struct Cache(std::sync::Mutex<Vec<(CacheKey, Bytes)>>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    lang: Lang,
    forecast: Option<String>,
    scoring: Option<String>,
}

impl CacheKey {
    fn current(st: &AppState, lang: Lang) -> CacheKey {
        let m = st.models.load();
        CacheKey {
            lang,
            forecast: m.forecast.as_ref().map(|f| f.version.clone()),
            scoring: m.scoring.as_ref().map(|s| s.version.clone()),
        }
    }
}

/// The cached JSON for `lang`, drawing it when the models changed since it was drawn.
/// Two requests racing on a cold cache may both draw; the result is the same.
fn cached(st: &AppState, lang: Lang) -> Bytes {
    let key = CacheKey::current(st, lang);
    if let Some((_, body)) = lock(&st.dashboard_cache).iter().find(|(k, _)| *k == key) {
        return body.clone();
    }
    let body = Bytes::from(serde_json::to_vec(&draw(st, lang)).unwrap_or_default());
    let mut cache = lock(&st.dashboard_cache);
    // Entries for older model versions can never be served again.
    cache.retain(|(k, _)| k.forecast == key.forecast && k.scoring == key.scoring && k.lang != lang);
    cache.push((key, body.clone()));
    body
}

fn lock(c: &Cache) -> std::sync::MutexGuard<'_, Vec<(CacheKey, Bytes)>> {
    c.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Draws both languages in the background (at start and after a reload), so the first
/// morning visit does not wait for scoring every recent lead.
///
/// On a thread of its own at the lowest priority (nice 19, Linux): for `data/sample` the draw
/// takes about 0.25 s of CPU, and on a one-core server at normal priority it put the scoring
/// requests' p99.9 over the first 4 s after a start at 3.7–4.5 ms; at nice 19 it is 1.1–2.2 ms
/// (README, "Right after a start"). A visit that finds the cache cold draws at normal priority
/// itself.
pub fn warm(st: &AppState) {
    if st.data.is_none() {
        return;
    }
    let st = st.clone();
    let spawned = std::thread::Builder::new().name("dashboard-warm".into()).spawn(move || {
        lower_priority();
        for lang in [Lang::Zh, Lang::En] {
            cached(&st, lang);
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "dashboard not drawn in the background; the first visit draws it");
    }
}

/// Sets the calling thread's nice value to 19. Linux keeps the nice value per thread, so
/// this leaves the runtime's threads as they are; elsewhere `setpriority` applies to the whole
/// process, so nothing is done.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19) {
        tracing::debug!(error = %e, "dashboard draw runs at normal priority");
    }
}

fn draw(st: &AppState, lang: Lang) -> Dashboard {
    let data = st.data.as_ref();
    let mut sections = super::dashboard_sections::all(st, data, lang);
    sections.push(score_section(st, data, lang));
    Dashboard {
        title: t(lang, "leadcast · 销售数据看板", "leadcast · Sales dashboard"),
        as_of_label: data.map(|d| format!("{} {}", t(lang, "数据截至", "data as of"), d.as_of)).unwrap_or_default(),
        sections,
    }
}

/// One rep's drill-down.
#[utoipa::path(get, path = "/v1/dashboard/reps/{rep_id}", tag = "dashboard",
    params(("rep_id" = String, Path, description = "A rep_id"), ("lang" = Option<String>, Query, description = "zh or en")),
    responses((status = 200, body = Dashboard), (status = 404, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody)),
    security(("api_key" = [])))]
pub async fn rep(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(rep_id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Json<Dashboard>, ApiError> {
    st.keys.check(&headers, Role::Planner)?;
    let lang = q.lang();
    let Some(d) = st.data.clone() else { return Err(ApiError::not_found(no_data(lang))) };
    let Some(r) = d.dataset.reps.iter().find(|r| r.rep_id == rep_id) else {
        return Err(
            ApiError::not_found(format!("unknown rep {rep_id:?}")).with_details(serde_json::json!({"path": "rep_id"}))
        );
    };
    let title = format!("{} · {} · {}", r.name, r.team, r.region);
    let sections = super::dashboard_sections::rep(&st, &d, &rep_id, lang);
    Ok(Json(Dashboard { title, as_of_label: d.as_of.to_string(), sections }))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::process::getpriority_process;
    use rustix::thread::gettid;

    #[test]
    fn the_background_draw_lowers_only_its_own_thread() {
        let before = getpriority_process(Some(gettid())).unwrap();
        let drawn = std::thread::spawn(|| {
            super::lower_priority();
            getpriority_process(Some(gettid())).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(drawn, 19);
        assert_eq!(getpriority_process(Some(gettid())).unwrap(), before, "the caller's thread kept its priority");
        let main_thread = rustix::process::getpid();
        assert_eq!(getpriority_process(Some(main_thread)).unwrap(), before, "the main thread kept its priority");
    }
}
