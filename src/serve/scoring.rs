//! `POST /v1/leads/score` and `POST /v1/opportunities/score`: JSON in, the library's
//! `ScoringModel::predict_encoded` (behind `ScoringModel::predict`, the call `leadcast score`
//! makes), JSON out. Lead scoring first tries the typed fast path (`typed.rs`); what it
//! declines comes through the general path here.
//!
//! The translation is strict about types and lenient about values: a field of the wrong JSON
//! type is a 422 naming its path (`leads[3].email_opens`); an unknown category, a missing
//! field or a placeholder such as `"NA"` is scored (as "other" or missing) with a warning.

use super::auth::{Authorization, Role};
use super::error::{ApiError, Body, Fields, JsonBytes, parse};
use super::models::Served;
use super::state::AppState;
use crate::data::load::parse_date;
use crate::score::features::Code;
use crate::score::model::{Prediction, ScoringModel};
use crate::score::table::{DateOrder, DecimalMark, Table, is_missing};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::ToSchema;

/// What JSON a model input column accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    /// A JSON number, or a string written as the model's training column wrote numbers.
    Number(DecimalMark),
    Text,
    /// A date, written as the model's training column wrote them.
    Date(DateOrder),
    Flag,
}

/// The input columns of a model with what each accepts (a column read by several features,
/// such as a date's month and weekday, appears once).
pub fn expectations(model: &ScoringModel) -> Vec<(String, Expect)> {
    let mut out: Vec<(String, Expect)> = Vec::new();
    for f in &model.encoder.features {
        if out.iter().any(|(c, _)| *c == f.column) {
            continue;
        }
        let e = match f.code {
            Code::Numeric { decimal, .. } => Expect::Number(decimal),
            Code::Boolean { .. } => Expect::Flag,
            Code::Categorical { .. } => Expect::Text,
            Code::DateAge { order, .. } | Code::DateMonth { order, .. } | Code::DateWeekday { order, .. } => {
                Expect::Date(order)
            }
        };
        out.push((f.column.clone(), e));
    }
    out
}

/// One JSON value as the text the library reads, or a 422 naming `path`.
fn cell(v: Option<&Value>, expect: Expect, path: impl Fn() -> String) -> Result<String, ApiError> {
    let bad = |what: &str| Err(ApiError::field(path(), format!("{} must be {what}", path())));
    match (v, expect) {
        (None | Some(Value::Null), _) => Ok(String::new()),
        // A JSON number is that number: in a decimal-comma column `1.234` would read as 1234,
        // so its point is written as the comma the column reads (the typed path takes the f64).
        (Some(Value::Number(n)), Expect::Number(DecimalMark::Comma)) => {
            let s = n.to_string();
            Ok(if s.contains(['e', 'E']) { s } else { s.replace('.', ",") })
        }
        (Some(Value::Number(n)), Expect::Number(_) | Expect::Text | Expect::Flag) => Ok(n.to_string()),
        (Some(Value::Bool(b)), Expect::Flag | Expect::Text) => Ok(if *b { "1".into() } else { "0".into() }),
        (Some(Value::String(s)), Expect::Text | Expect::Flag) => Ok(s.clone()),
        (Some(Value::String(s)), Expect::Number(decimal)) => {
            if is_missing(s) || decimal.read(s).is_some() {
                Ok(s.clone())
            } else {
                match decimal {
                    DecimalMark::Comma => bad("a number (1234.5, or 1.234,5 as the model was trained on)"),
                    DecimalMark::ThousandsComma => bad("a number (1234.5, or 1,234.5 as the model was trained on)"),
                    DecimalMark::Point => bad("a number"),
                }
            }
        }
        (Some(Value::String(s)), Expect::Date(order)) => {
            if is_missing(s) || order.parse(s).is_some() {
                Ok(s.clone())
            } else {
                bad(date_words(order))
            }
        }
        (Some(_), Expect::Number(_)) => bad("a number"),
        (Some(_), Expect::Date(order)) => bad(&format!("{} string", date_words(order))),
        (Some(_), Expect::Text | Expect::Flag) => bad("a string"),
    }
}

/// How an error names the dates a column takes.
fn date_words(order: DateOrder) -> &'static str {
    match order {
        DateOrder::Iso => "an ISO date (YYYY-MM-DD)",
        DateOrder::DayFirst => "a date (DD-MM-YYYY, as the model was trained on)",
        DateOrder::MonthFirst => "a date (MM/DD/YYYY, as the model was trained on)",
    }
}

/// The index in `inputs` of each feature's input column.
pub fn feature_inputs(model: &ScoringModel, inputs: &[(String, Expect)]) -> Vec<usize> {
    let at = |c: &str| inputs.iter().position(|(n, _)| n == c).expect("every feature's column is an input");
    model.encoder.features.iter().map(|f| at(&f.column)).collect()
}

/// Adds derived input columns to a request row.
type Derive = dyn Fn(&Fields, &mut Vec<(String, String)>) -> Result<(), ApiError>;

/// The rows of a request as a table of the model's input columns, plus each row's ID.
fn rows_table(
    expect: &[(String, Expect)],
    items: &[&Value],
    list: &str,
    id_field: &str,
    derive: &Derive,
) -> Result<(Table, Vec<Option<String>>), ApiError> {
    let mut columns: Vec<Vec<String>> = vec![Vec::with_capacity(items.len()); expect.len()];
    let mut ids = Vec::with_capacity(items.len());
    let mut derived = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let f = Fields::of(item, format!("{list}[{i}]"))?;
        ids.push(match f.get(id_field) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                return Err(ApiError::field(f.path_of(id_field), format!("{} must be a string", f.path_of(id_field))));
            }
        });
        derived.clear();
        derive(&f, &mut derived)?;
        for ((col, e), out) in expect.iter().zip(columns.iter_mut()) {
            let v = match (f.get(col), derived.iter().find(|(c, _)| c == col)) {
                (None, Some((_, d))) => d.clone(),
                (v, _) => cell(v, *e, || f.path_of(col))?,
            };
            out.push(v);
        }
    }
    let names = expect.iter().map(|(c, _)| c.clone()).collect();
    Ok((Table { file: list.to_string(), names, columns, rows: items.len() }, ids))
}

/// The items of a scoring body: `{"<list>": [...]}` or `{"<one>": {...}}`, and `explain`.
fn items<'a>(body: &'a Value, list: &str, one: &str, max: usize) -> Result<(Vec<&'a Value>, bool), ApiError> {
    let f = Fields::of(body, "")?;
    let explain = f.opt_bool("explain")?.unwrap_or(true);
    let items: Vec<&Value> = match (f.get(list), f.get(one)) {
        (Some(_), _) => f.array(list)?.iter().collect(),
        (None, Some(v)) => vec![v],
        (None, None) => {
            return Err(ApiError::field(list, format!("send `{list}`: an array of objects (or `{one}`: one object)")));
        }
    };
    if items.is_empty() {
        return Err(ApiError::field(list, format!("{list} is empty")));
    }
    if items.len() > max {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_too_large",
            format!("{} {list} in one request; the limit is {max} (see `limits.max_batch`)", items.len()),
        )
        .with_details(json!({ "path": list, "limit": max, "got": items.len() })));
    }
    Ok((items, explain))
}

/// A factor behind a score: positive impacts raise the log-odds.
#[derive(Serialize, ToSchema)]
pub struct FactorOut {
    pub feature: String,
    /// The input value, as a number when it is one.
    #[schema(schema_with = factor_value)]
    pub value: Value,
    /// Signed impact on the log-odds (exact for the linear model, SHAP values for trees).
    pub impact: f64,
}

/// A string or a number.
fn factor_value() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Number])).build()
}

#[derive(Serialize, ToSchema)]
pub struct ModelRef<'a> {
    pub kind: &'a str,
    pub version: &'a str,
}

#[derive(Serialize, ToSchema)]
pub struct LeadResult {
    pub lead_id: Option<String>,
    /// Calibrated probability of conversion.
    pub probability: f64,
    /// round(100 × probability).
    pub score: u8,
    /// A, B, C or D: lift over the base rate of at least 2, 1, 0.5, or below.
    #[schema(value_type = String)]
    pub grade: char,
    pub top_factors: Vec<FactorOut>,
    /// Values scored as "other" or missing (unknown categories, unreadable numbers).
    pub warnings: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LeadScores<'a> {
    pub model: ModelRef<'a>,
    pub results: Vec<LeadResult>,
}

fn factor(f: &crate::score::model::Factor) -> FactorOut {
    let value = match f.value.parse::<f64>() {
        Ok(x) if x.is_finite() && !f.value.is_empty() => json!(x),
        _ => Value::String(f.value.clone()),
    };
    FactorOut { feature: f.feature.clone(), value, impact: f.impact }
}

fn served(m: &Option<Arc<Served<ScoringModel>>>, kind: &str) -> Result<Arc<Served<ScoringModel>>, ApiError> {
    m.clone().ok_or_else(|| {
        ApiError::unavailable(format!("no {kind} model is loaded: train one (`leadcast train {kind}`) and reload"))
    })
}

fn predict(s: &Served<ScoringModel>, table: &Table, explain: bool) -> Result<Vec<Prediction>, ApiError> {
    s.model.predict(table, explain, 5).map_err(|e| ApiError::internal(e.to_string()))
}

/// Scores one lead or a batch.
#[utoipa::path(post, path = "/v1/leads/score", tag = "scoring",
    request_body(content = super::openapi::LeadsRequest, example = json!({"leads": [{"lead_id": "L-1", "source": "referral", "industry": "manufacturing", "company_size": "201-1000", "region": "east", "persona": "finance", "email_opens": 4, "web_visits": 2, "calls": 1, "meetings": 0}], "explain": true})),
    responses(
        (status = 200, description = "One result per lead, in order", body = LeadScores),
        (status = 400, description = "Malformed JSON", body = super::error::ErrorBody),
        (status = 401, description = "No or invalid API key", body = super::error::ErrorBody),
        (status = 403, description = "The key's role is not scorer or admin", body = super::error::ErrorBody),
        (status = 413, description = "Body too large", body = super::error::ErrorBody),
        (status = 422, description = "A field of the wrong type (its JSON path in details.path) or a batch over the limit", body = super::error::ErrorBody),
        (status = 429, description = "Overloaded", body = super::error::ErrorBody),
        (status = 503, description = "No scoring model loaded", body = super::error::ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn score_leads(
    State(st): State<AppState>,
    Authorization(auth): Authorization,
    JsonBytes(bytes): JsonBytes,
) -> Result<Response, ApiError> {
    st.keys.check_header(auth.as_ref(), Role::Scorer)?;
    let s = served(&st.models.load().scoring, "scoring")?;
    let id_field = s.model.id.as_deref().unwrap_or("lead_id");
    let typed = super::typed::read(&bytes, &s.inputs, id_field, "leads", "lead")
        .filter(|rows| rows.len() <= st.limits.max_batch);
    let (preds, ids) = match typed {
        // The fast path: typed cells straight from the body.
        Some(rows) => {
            let x = rows.encode(&s.model.encoder, &s.feature_input);
            let raw = |k: usize, i: usize| rows.cell(i, s.feature_input[k]).text();
            let preds = s.model.predict_encoded(&x, rows.explain.unwrap_or(true), 5, &raw);
            let ids: Vec<Option<String>> = rows.ids.iter().map(|id| id.as_deref().map(str::to_string)).collect();
            st.observe("scoring", &s, &|| rows.table(&s.inputs, "leads"), &ids, &preds);
            (preds, ids)
        }
        // Anything unusual: the general path, which names what is wrong.
        None => {
            metrics::counter!("leadcast_scoring_general_path_total").increment(1);
            let body = parse(&bytes)?;
            let (items, explain) = items(&body, "leads", "lead", st.limits.max_batch)?;
            let (table, ids) = rows_table(&s.inputs, &items, "leads", id_field, &|_, _| Ok(()))?;
            let preds = predict(&s, &table, explain)?;
            st.observe("scoring", &s, &|| table.clone(), &ids, &preds);
            (preds, ids)
        }
    };
    let results = preds
        .into_iter()
        .zip(ids)
        .map(|(p, lead_id)| LeadResult {
            lead_id,
            probability: p.probability,
            score: p.score,
            grade: p.grade,
            top_factors: p.factors.iter().map(factor).collect(),
            warnings: p.warnings,
        })
        .collect();
    json_response(&LeadScores { model: ModelRef { kind: "scoring", version: &s.version }, results })
}

/// A JSON response serialised straight into its body.
fn json_response(body: &impl Serialize) -> Result<Response, ApiError> {
    let mut buf = Vec::with_capacity(256);
    serde_json::to_writer(&mut buf, body).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], buf).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct OpportunityResult {
    pub opportunity_id: Option<String>,
    /// Calibrated probability that the deal is won.
    pub probability: f64,
    pub score: u8,
    pub grade: String,
    /// The quarter the deal is expected to close (`2026Q4`), from `expected_close` when given.
    pub expected_close_period: Option<String>,
    /// The factors that lower the win probability most.
    pub risk_factors: Vec<FactorOut>,
    pub top_factors: Vec<FactorOut>,
    pub warnings: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OpportunityScores<'a> {
    pub model: ModelRef<'a>,
    pub results: Vec<OpportunityResult>,
}

/// Fields a CRM has (dates) turned into the snapshot features the model reads (ages in days as
/// of `as_of`, default today), unless the caller sent the features themselves.
fn derive_opportunity(f: &Fields, out: &mut Vec<(String, String)>) -> Result<(), ApiError> {
    let date = |k: &str| -> Result<Option<chrono::NaiveDate>, ApiError> {
        match f.opt_str(k)? {
            // A placeholder such as "" or "NA" means missing, as in any other field.
            None => Ok(None),
            Some(s) if is_missing(s) => Ok(None),
            Some(s) => parse_date(s.trim()).map(Some).map_err(|_| {
                ApiError::field(f.path_of(k), format!("{} must be an ISO date (YYYY-MM-DD)", f.path_of(k)))
            }),
        }
    };
    let as_of = date("as_of")?.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let days = |d: chrono::NaiveDate| (as_of - d).num_days().to_string();
    if let Some(c) = date("created_at")? {
        out.push(("age_days".into(), days(c)));
    }
    if let Some(s) = date("stage_entered_at")? {
        out.push(("days_in_stage".into(), days(s)));
    }
    if let Some(a) = date("last_activity_at")? {
        out.push(("days_since_activity".into(), days(a)));
    }
    if let Some(e) = date("expected_close")? {
        out.push(("days_to_expected_close".into(), (e - as_of).num_days().to_string()));
    }
    out.push(("snapshot_month".into(), chrono::Datelike::month(&as_of).to_string()));
    Ok(())
}

/// A deal's age in days as the request gives it: `age_days`, or `created_at` to `as_of`
/// (default today), as [`derive_opportunity`] reads them; `None` when neither reads.
fn age_days(item: &Value) -> Option<i64> {
    if let Some(a) = item.get("age_days").and_then(Value::as_f64) {
        return Some(a as i64);
    }
    let date = |k: &str| item.get(k).and_then(Value::as_str).and_then(|s| parse_date(s.trim()).ok());
    let as_of = date("as_of").unwrap_or_else(|| chrono::Utc::now().date_naive());
    date("created_at").map(|c| (as_of - c).num_days())
}

fn quarter_of(s: &str) -> Option<String> {
    let d = crate::data::load::iso_date(s.trim())?;
    Some(format!("{}Q{}", chrono::Datelike::year(&d), (chrono::Datelike::month(&d) - 1) / 3 + 1))
}

/// Scores open opportunities: win probability, expected close period, risk factors.
#[utoipa::path(post, path = "/v1/opportunities/score", tag = "scoring",
    request_body(content = super::openapi::OpportunitiesRequest, example = json!({"opportunities": [{"opportunity_id": "O-1", "stage": "negotiation", "amount": 48000, "discount_pct": 5, "product": "suite", "industry": "manufacturing", "owner_id": "R001", "created_at": "2026-08-01", "stage_entered_at": "2026-09-10", "expected_close": "2026-11-15", "activities": 6, "as_of": "2026-09-30"}]})),
    responses(
        (status = 200, description = "One result per opportunity", body = OpportunityScores),
        (status = 400, description = "Malformed JSON", body = super::error::ErrorBody),
        (status = 401, description = "No or invalid API key", body = super::error::ErrorBody),
        (status = 403, description = "Wrong role", body = super::error::ErrorBody),
        (status = 413, description = "Body too large", body = super::error::ErrorBody),
        (status = 422, description = "A field of the wrong type, or too many items", body = super::error::ErrorBody),
        (status = 503, description = "No opportunity model loaded", body = super::error::ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn score_opportunities(
    State(st): State<AppState>,
    Authorization(auth): Authorization,
    Body(body): Body,
) -> Result<Response, ApiError> {
    st.keys.check_header(auth.as_ref(), Role::Scorer)?;
    let models = st.models.load();
    let s = served(&models.opportunity, "opportunity")?;
    // The served forecast's rule for stale deals (a forecast model trained before 2026-12-08
    // has none).
    let stale = models.forecast.as_ref().and_then(|f| f.model.stale);
    let (items, explain) = items(&body, "opportunities", "opportunity", st.limits.max_batch)?;
    let (table, ids) = rows_table(&s.inputs, &items, "opportunities", "opportunity_id", &derive_opportunity)?;
    // Risk factors need the explanations, whatever `explain` says.
    let preds = predict(&s, &table, true)?;
    st.observe("opportunity", &s, &|| table.clone(), &ids, &preds);
    let results = preds
        .into_iter()
        .zip(ids)
        .zip(&items)
        .map(|((p, opportunity_id), item)| {
            let expected_close_period = item.get("expected_close").and_then(Value::as_str).and_then(quarter_of);
            let mut warnings = p.warnings;
            if let Some(s) = stale
                && age_days(item).is_some_and(|age| s.is_stale(age))
            {
                warnings.push(s.warning());
            }
            OpportunityResult {
                opportunity_id,
                probability: p.probability,
                score: p.score,
                grade: p.grade.to_string(),
                expected_close_period,
                risk_factors: p.factors.iter().filter(|f| f.impact < 0.0).take(3).map(factor).collect(),
                top_factors: if explain { p.factors.iter().map(factor).collect() } else { Vec::new() },
                warnings,
            }
        })
        .collect();
    json_response(&OpportunityScores { model: ModelRef { kind: "opportunity", version: &s.version }, results })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_string_must_read_as_the_model_column_wrote_numbers() {
        let v = Value::String("1.234,5".into());
        let path = || "lead.calls".to_string();
        let e = cell(Some(&v), Expect::Number(DecimalMark::Point), path).unwrap_err();
        assert_eq!((e.status.as_u16(), e.message.as_str()), (422, "lead.calls must be a number"));
        assert_eq!(cell(Some(&v), Expect::Number(DecimalMark::Comma), path).unwrap(), "1.234,5");
        let e = cell(Some(&Value::String("lots".into())), Expect::Number(DecimalMark::Comma), path).unwrap_err();
        assert!(e.message.contains("1.234,5 as the model was trained on"), "{}", e.message);
        let e =
            cell(Some(&Value::String("lots".into())), Expect::Number(DecimalMark::ThousandsComma), path).unwrap_err();
        assert!(e.message.contains("1,234.5 as the model was trained on"), "{}", e.message);
        // A JSON number is that number in every column: 1.234 in a decimal-comma column is
        // not a thousand two hundred and thirty-four.
        for (n, mark) in [(1.234, DecimalMark::Comma), (1.234, DecimalMark::ThousandsComma), (1e21, DecimalMark::Comma)]
        {
            let text = cell(Some(&serde_json::json!(n)), Expect::Number(mark), path).unwrap();
            assert_eq!(mark.parse(&text), Some(n), "{text:?} in {mark:?}");
        }
    }
}
