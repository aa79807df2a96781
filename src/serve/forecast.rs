//! `GET/POST /v1/forecasts/revenue`, `GET /v1/forecasts/quota`, `POST /v1/quotas/plan`: the
//! forecasting library's answers as JSON. The Monte Carlo runs off the async threads
//! (`spawn_blocking`), so a forecast never stalls the scoring requests beside it.

use super::auth::Role;
use super::error::Query;
use super::error::{ApiError, Body, Fields};
use super::models::Served;
use super::state::AppState;
use crate::domain::Period;
use crate::forecast::bookings::Level;
use crate::forecast::model::{
    ForecastModel, OpenOpportunity, QuotaForecast, QuotaPlan, QuotaRow, RevenueForecast, RevenueRow,
};
use crate::forecast::note::Note;
use crate::forecast::plan::{Bound, PlanLimits};
use crate::talktrack::Lang;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::str::FromStr;
use std::sync::Arc;

fn served(st: &AppState) -> Result<Arc<Served<ForecastModel>>, ApiError> {
    st.models.load().forecast.clone().ok_or_else(|| {
        ApiError::unavailable("no forecast model is loaded: train one (`leadcast train forecast`) and reload")
    })
}

/// A period that parses (else 422) and that the model can forecast (else 404).
fn period(m: &ForecastModel, text: Option<&str>) -> Result<String, ApiError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(ApiError::field("period", "period is required, e.g. period=2026Q4 or period=2026-11"));
    };
    Period::from_str(text).map_err(|e| ApiError::field("period", format!("period {text:?}: {e}")))?;
    m.period(text).map_err(|e| ApiError::not_found(e.to_string()).with_details(json!({"path": "period"})))?;
    Ok(text.to_string())
}

fn level(text: Option<&str>, default: Level, path: &str) -> Result<Level, ApiError> {
    match text {
        None => Ok(default),
        Some(t) => Level::from_str(t).map_err(|e| ApiError::field(path, e.to_string())),
    }
}

fn library(e: crate::Error) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", e.to_string())
}

/// The language of a response's notes: `en` (the default) or `zh`; anything else is a 422.
fn language(text: Option<&str>) -> Result<Lang, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Lang::En),
        Some(t) => Lang::from_str(t).map_err(|e| ApiError::field("lang", e)),
    }
}

/// The answer as JSON, its `notes` in `lang` (a note keeps both texts; on the wire, and in
/// saved models, it is one string, English unless asked otherwise).
fn answer<T: Serialize>(body: &T, notes: &[Note], lang: Lang) -> Result<Json<Value>, ApiError> {
    let mut v = serde_json::to_value(body).map_err(|e| ApiError::internal(e.to_string()))?;
    if lang == Lang::Zh {
        v["notes"] = notes.iter().map(|n| Value::from(n.zh.as_str())).collect();
    }
    Ok(Json(v))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(e.to_string()))?
}

/// Keeps the rows of `key` (404 when no row has it).
fn only<T>(rows: &mut Vec<T>, key: Option<&str>, is: impl Fn(&T, &str) -> bool) -> Result<(), ApiError> {
    if let Some(k) = key {
        rows.retain(|r| is(r, k.trim()));
        if rows.is_empty() {
            return Err(
                ApiError::not_found(format!("no group {k:?} at this level")).with_details(json!({"path": "key"}))
            );
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RevenueQuery {
    /// The period: a quarter `2026Q4` or a month `2026-11`.
    pub period: Option<String>,
    /// company (default), region, team, rep or product.
    pub by: Option<String>,
    /// Only this group (a rep_id or a rep's name, a team, region or product).
    pub key: Option<String>,
    /// The language of the notes: en (default) or zh.
    pub lang: Option<String>,
}

/// The saved pipeline's revenue forecast for a period.
#[utoipa::path(get, path = "/v1/forecasts/revenue", tag = "forecasts", params(RevenueQuery),
    responses(
        (status = 200, description = "Per group: closed to date, P10/P50/P90, mean, method; and the company's distribution (percentiles 1–99)", body = RevenueForecast,
            example = json!({"period": "2026Q4", "as_of": "2026-09-30", "level": "region", "rows": [{"key": "east", "closed_to_date": 0.0, "p10": 1.9e6, "p50": 2.3e6, "p90": 2.8e6, "mean": 2.35e6, "pipeline": 3.1e6, "method": "pipeline Monte Carlo + AutoETS blend"}]})),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 404, description = "A period the model cannot forecast, or an unknown key", body = super::error::ErrorBody),
        (status = 422, description = "A malformed period or level", body = super::error::ErrorBody),
        (status = 503, description = "No forecast model loaded", body = super::error::ErrorBody)),
    security(("api_key" = [])))]
pub async fn revenue(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<RevenueQuery>,
) -> Result<Json<Value>, ApiError> {
    st.keys.check(&headers, Role::Planner)?;
    let s = served(&st)?;
    let p = period(&s.model, q.period.as_deref())?;
    let by = level(q.by.as_deref(), Level::Company, "by")?;
    let lang = language(q.lang.as_deref())?;
    let mut f = blocking(move || s.model.revenue(&p, by).map_err(library)).await?;
    only(&mut f.rows, q.key.as_deref(), RevenueRow::answers_to)?;
    answer(&f, &f.notes, lang)
}

/// A what-if: the revenue forecast with the open pipeline sent in the body.
#[utoipa::path(post, path = "/v1/forecasts/revenue", tag = "forecasts",
    request_body(content = super::openapi::WhatIfRequest,
        example = json!({"period": "2026Q4", "by": "team", "open": [{"opportunity_id": "O-1", "owner_id": "R001", "product": "suite", "amount": 48000, "stage": "negotiation", "created_at": "2026-08-01", "win_probability": 0.45}]})),
    responses(
        (status = 200, description = "As GET, for this pipeline", body = RevenueForecast),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 413, body = super::error::ErrorBody),
        (status = 404, description = "A period the model cannot forecast, or an owner who is not a rep the model knows", body = super::error::ErrorBody),
        (status = 422, description = "A field of the wrong type or out of range (its path)", body = super::error::ErrorBody),
        (status = 503, body = super::error::ErrorBody)),
    security(("api_key" = [])))]
pub async fn revenue_what_if(
    State(st): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    st.keys.check(&headers, Role::Planner)?;
    let s = served(&st)?;
    let f = Fields::of(&body, "")?;
    let p = period(&s.model, f.opt_str("period")?)?;
    let by = level(f.opt_str("by")?, Level::Company, "by")?;
    let lang = language(f.opt_str("lang")?)?;
    let items = f.array("open")?;
    if items.len() > st.limits.max_batch * 10 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_too_large",
            format!("{} open opportunities; the limit is {}", items.len(), st.limits.max_batch * 10),
        ));
    }
    let mut open = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let o = Fields::of(item, format!("open[{i}]"))?;
        for k in ["opportunity_id", "owner_id", "product", "stage", "created_at"] {
            o.str(k)?;
        }
        let amount = o
            .opt_f64("amount")?
            .ok_or_else(|| ApiError::field(o.path_of("amount"), format!("{} is required", o.path_of("amount"))))?;
        if amount <= 0.0 {
            return Err(ApiError::field(o.path_of("amount"), format!("{} must be above 0", o.path_of("amount"))));
        }
        if let Some(w) = o.opt_f64("win_probability")?
            && !(0.0..=1.0).contains(&w)
        {
            return Err(ApiError::field(o.path_of("win_probability"), "win_probability must be between 0 and 1"));
        }
        if let Some(d) = o.opt_f64("discount_pct")?
            && !(0.0..=100.0).contains(&d)
        {
            return Err(ApiError::field(o.path_of("discount_pct"), "discount_pct must be between 0 and 100"));
        }
        let parsed: OpenOpportunity = serde_json::from_value(item.clone())
            .map_err(|e| ApiError::field(format!("open[{i}]"), format!("open[{i}]: {e}")))?;
        open.push(parsed);
    }
    // An owner the model does not know is an unknown entity (404), named with its path.
    if let Some(i) = open.iter().position(|o| !s.model.org.iter().any(|r| r.rep_id == o.owner_id)) {
        let unknown: Vec<&str> = open
            .iter()
            .map(|o| o.owner_id.as_str())
            .filter(|id| !s.model.org.iter().any(|r| r.rep_id == *id))
            .collect();
        return Err(ApiError::not_found(format!(
            "unknown rep(s) as owner: {} (the model knows {} reps)",
            unknown.join(", "),
            s.model.org.len()
        ))
        .with_details(json!({"path": format!("open[{i}].owner_id")})));
    }
    let f = blocking(move || s.model.revenue_for(&p, by, &open).map_err(library)).await?;
    answer(&f, &f.notes, lang)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct QuotaQuery {
    /// The period, e.g. `2026Q4`.
    pub period: Option<String>,
    /// company, region, team or rep (default).
    pub level: Option<String>,
    /// Only this group (a rep_id or a rep's name, a team or region).
    pub key: Option<String>,
    /// The language of the notes: en (default) or zh.
    pub lang: Option<String>,
}

/// Quota, P10/P50/P90, expected attainment, P(attain ≥ 100%), gap and the pipeline coverage
/// needed, per rep, team or region (roll-ups sum the same draws).
#[utoipa::path(get, path = "/v1/forecasts/quota", tag = "forecasts", params(QuotaQuery),
    responses(
        (status = 200, body = QuotaForecast, example = json!({"period": "2026Q4", "as_of": "2026-09-30", "level": "team", "rows": [{"key": "east-1", "quota": 1200000, "closed_to_date": 310000, "p10": 880000, "p50": 1090000, "p90": 1310000, "expected_attainment": 0.91, "p_attain": 0.27, "gap": 110000, "coverage_needed": 2.4}]})),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 404, description = "Unknown period or key (rep, team, region)", body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody), (status = 503, body = super::error::ErrorBody)),
    security(("api_key" = [])))]
pub async fn quota(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<QuotaQuery>,
) -> Result<Json<Value>, ApiError> {
    st.keys.check(&headers, Role::Planner)?;
    let s = served(&st)?;
    let p = period(&s.model, q.period.as_deref())?;
    let lvl = level(q.level.as_deref(), Level::Rep, "level")?;
    let lang = language(q.lang.as_deref())?;
    if lvl == Level::Product {
        return Err(ApiError::field("level", "quotas exist for company, region, team and rep, not product"));
    }
    let mut f = blocking(move || s.model.quota(&p, lvl).map_err(library)).await?;
    only(&mut f.rows, q.key.as_deref(), QuotaRow::answers_to)?;
    answer(&f, &f.notes, lang)
}

fn bound(f: &Fields, key: &str) -> Result<Bound, ApiError> {
    match f.get(key) {
        None => Ok(Bound::default()),
        Some(v) => {
            let b = Fields::of(v, f.path_of(key))?;
            Ok(Bound { floor: b.opt_f64("floor")?, cap: b.opt_f64("cap")? })
        }
    }
}

/// Splits a company target into region → team → rep quotas in proportion to forecast
/// capacity, within optional floors and caps per level; each unit's planned P(attain).
#[utoipa::path(post, path = "/v1/quotas/plan", tag = "forecasts",
    request_body(content = super::openapi::PlanRequest,
        example = json!({"period": "2026Q4", "target": 9000000, "limits": {"rep": {"floor": 50000, "cap": 600000}}})),
    responses(
        (status = 200, description = "target, capacity, P(company attains), and rows: level, key, parent, capacity, quota, p_attain", body = QuotaPlan),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
        (status = 422, description = "A bad target or limits (a floor above its cap, floors that exceed the target)", body = super::error::ErrorBody),
        (status = 503, body = super::error::ErrorBody)),
    security(("api_key" = [])))]
pub async fn plan(State(st): State<AppState>, headers: HeaderMap, Body(body): Body) -> Result<Json<Value>, ApiError> {
    st.keys.check(&headers, Role::Planner)?;
    let s = served(&st)?;
    let f = Fields::of(&body, "")?;
    let p = period(&s.model, f.opt_str("period")?)?;
    let lang = language(f.opt_str("lang")?)?;
    let target = f.opt_f64("target")?.ok_or_else(|| ApiError::field("target", "target is required (an amount > 0)"))?;
    if target <= 0.0 {
        return Err(ApiError::field("target", "target must be above 0"));
    }
    let limits = match f.get("limits") {
        None => PlanLimits::default(),
        Some(v) => {
            let l = Fields::of(v, "limits")?;
            PlanLimits { region: bound(&l, "region")?, team: bound(&l, "team")?, rep: bound(&l, "rep")? }
        }
    };
    limits.check().map_err(|e| ApiError::field("limits", e.to_string()))?;
    let plan = blocking(move || s.model.plan(&p, target, &limits).map_err(library)).await?;
    answer(&plan, &plan.notes, lang)
}
