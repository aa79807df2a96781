//! What the OpenAPI document (`GET /openapi.json`) says beyond the handlers' own annotations:
//! the request bodies' schemas, and the parts every operation shares (the statuses of a JSON
//! body, the period format, the allowed values of `by`, `level` and `sort`).
//!
//! The handlers read their bodies field by field ([`super::error::Fields`]), so that an error
//! names the JSON path of the bad field; the request types below therefore only describe those
//! bodies and are never deserialised into. What keeps them true is the conformance run of
//! `tests/it/serve.rs::the_api_keeps_to_its_openapi_document` (schemathesis against a live
//! server): a request the document allows must not be refused with a 422, a response must
//! match the document's schema for its status, and no status may be undocumented.

// The request types are read by the OpenAPI derive only: never built, so neither their unread
// fields nor their variants' sizes matter.
#![allow(dead_code, clippy::large_enum_variant)]

use crate::analytics::{AccountTier, ChannelRow, CollectionRow, ScorecardRow, Sortable, TeamRow};
use crate::domain::{Objection, Outcome, Stage};
use crate::forecast::{Level, PlanLimits};
use crate::talktrack::Lang;

use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, Parameter};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, Required, ResponseBuilder};

/// A period: a quarter (`2026Q4`) or a month (`2026-11`).
pub const PERIOD_PATTERN: &str = "^[1-9][0-9]{3}(Q[1-4]|-(0[1-9]|1[0-2]))$";

/// A lead as the data contract's `leads` table has it. Every field may be missing or `null`
/// (scored as missing); a category the model never saw is scored as "other" with a warning.
/// Other fields are ignored — unless the served model was trained on a table of your own
/// (`train scoring --input`), whose columns are sent here by their names.
#[derive(ToSchema)]
#[schema(as = Lead)]
pub struct LeadIn {
    /// Echoed in the result (a string or a number).
    pub lead_id: Option<String>,
    #[schema(format = Date)]
    pub created_at: Option<String>,
    pub source: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub region: Option<String>,
    pub persona: Option<String>,
    pub owner_id: Option<String>,
    pub product_interest: Option<String>,
    pub email_opens: Option<f64>,
    pub web_visits: Option<f64>,
    pub calls: Option<f64>,
    pub meetings: Option<f64>,
}

/// `{"leads": [...]}` (at most `limits.max_batch`, default 1,000) or `{"lead": {...}}`.
/// `explain` (default true) adds each lead's top factors.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum LeadsRequest {
    Batch {
        #[schema(min_items = 1)]
        leads: Vec<LeadIn>,
        explain: Option<bool>,
    },
    One {
        lead: LeadIn,
        explain: Option<bool>,
    },
}

/// An open opportunity: the snapshot features the opportunity model reads, or the dates it
/// derives them from (ages in days as of `as_of`, default today). Every field may be missing
/// or `null`; unknown categories are scored as "other" with a warning; other fields are ignored.
#[derive(ToSchema)]
#[schema(as = Opportunity)]
pub struct OpportunityIn {
    pub opportunity_id: Option<String>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub discount_pct: Option<f64>,
    pub product: Option<String>,
    pub industry: Option<String>,
    pub owner_id: Option<String>,
    pub lead_source: Option<String>,
    pub company_size: Option<String>,
    pub persona: Option<String>,
    /// Activities logged on the deal so far.
    pub activities: Option<f64>,
    /// Activities that advanced the deal so far.
    pub advanced: Option<f64>,
    pub no_change: Option<f64>,
    pub objections: Option<f64>,
    /// The owner's win rate on deals closed before `as_of`.
    pub owner_win_rate: Option<f64>,
    pub owner_closed_deals: Option<f64>,
    #[schema(format = Date)]
    pub created_at: Option<String>,
    #[schema(format = Date)]
    pub stage_entered_at: Option<String>,
    #[schema(format = Date)]
    pub last_activity_at: Option<String>,
    /// Also gives the result's `expected_close_period`.
    #[schema(format = Date)]
    pub expected_close: Option<String>,
    /// The date the deal is scored as of (default today).
    #[schema(format = Date)]
    pub as_of: Option<String>,
}

/// `{"opportunities": [...]}` (at most `limits.max_batch`) or `{"opportunity": {...}}`.
/// `explain` (default true) adds each deal's top factors; risk factors always come.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum OpportunitiesRequest {
    Batch {
        #[schema(min_items = 1)]
        opportunities: Vec<OpportunityIn>,
        explain: Option<bool>,
    },
    One {
        opportunity: OpportunityIn,
        explain: Option<bool>,
    },
}

/// The context to recommend talk tracks for. A persona, industry or objection the model does
/// not know falls back to the broader context and is listed in the answer's `fallbacks`.
#[derive(ToSchema)]
pub struct RecommendRequest {
    pub stage: Stage,
    pub persona: Option<String>,
    pub industry: Option<String>,
    pub objection: Option<String>,
    /// The language of titles, scripts and explanations (default zh).
    pub language: Option<Lang>,
    /// How many tracks to rank (default 3).
    #[schema(minimum = 1, maximum = 20)]
    pub k: Option<u32>,
    /// 0 = always the best estimate; 1 = Thompson sampling; default from the configuration.
    #[schema(minimum = 0, maximum = 5)]
    pub exploration: Option<f64>,
}

/// The outcome of a talk track: for a decision (`decision_id` from recommend), or for a
/// context and track with no decision.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum FeedbackRequest {
    ForDecision {
        decision_id: String,
        /// Default: the track the decision showed first; otherwise one of its candidates.
        talk_track_id: Option<String>,
        outcome: Outcome,
    },
    ForContext {
        stage: Stage,
        persona: Option<String>,
        industry: Option<String>,
        objection: Option<Objection>,
        talk_track_id: String,
        outcome: Outcome,
    },
}

/// The answer to stored feedback.
#[derive(serde::Serialize, ToSchema)]
pub struct FeedbackStored {
    pub stored: bool,
    pub feedback_id: i64,
}

/// A revenue forecast for an open pipeline of your own (what-if).
#[derive(ToSchema)]
pub struct WhatIfRequest {
    /// A quarter (`2026Q4`) or a month (`2026-11`).
    pub period: String,
    /// The level to break the forecast down by (default company).
    pub by: Option<Level>,
    /// The open opportunities (at most ten times `limits.max_batch`); owners must be reps the
    /// model knows.
    pub open: Vec<crate::forecast::OpenOpportunity>,
    /// The language of the notes: `en` (default) or `zh`.
    #[schema(example = "zh")]
    pub lang: Option<String>,
}

/// A company target to split into region, team and rep quotas.
#[derive(ToSchema)]
pub struct PlanRequest {
    /// A quarter (`2026Q4`) or a month (`2026-11`).
    pub period: String,
    #[schema(exclusive_minimum = 0)]
    pub target: f64,
    /// Floors and caps per level; a floor above its cap, or floors that add up to more than
    /// the target, are refused (422).
    pub limits: Option<PlanLimits>,
    /// The language of the notes: `en` (default) or `zh`.
    #[schema(example = "zh")]
    pub lang: Option<String>,
}

/// Adds what every operation shares (see the module doc).
pub struct Contract;

impl utoipa::Modify for Contract {
    fn modify(&self, doc: &mut OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                shared_statuses(op);
                if path.starts_with("/v1/") {
                    guarded_statuses(op);
                }
                for p in op.parameters.iter_mut().flatten() {
                    if let utoipa::openapi::RefOr::T(p) = p {
                        parameter(path, p);
                    }
                }
                if path.starts_with("/v1/analytics/") {
                    // `by` is the funnel's only; the funnel's rows follow the stages (no `sort`).
                    let drop = if path.ends_with("/funnel") { "sort" } else { "by" };
                    if let Some(ps) = op.parameters.as_mut() {
                        ps.retain(|p| !matches!(p, utoipa::openapi::RefOr::T(p) if p.name == drop));
                    }
                }
            }
        }
        // The request bodies' `period` (the derive takes a pattern as a literal only).
        let schemas = doc.components.iter_mut().flat_map(|c| c.schemas.iter_mut());
        for (name, schema) in schemas {
            if let (true, utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(o))) =
                (name.ends_with("Request"), schema)
                && let Some(utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(p))) =
                    o.properties.get_mut("period")
            {
                p.pattern = Some(PERIOD_PATTERN.into());
            }
        }
    }
}

fn error(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .into()
}

/// The statuses of reading a JSON body, and of the API key, where the handler's annotation
/// leaves them out.
fn shared_statuses(op: &mut Operation) {
    let r = &mut op.responses.responses;
    if op.request_body.is_some() {
        r.entry("400".into()).or_insert_with(|| error("Malformed JSON"));
        r.entry("413".into()).or_insert_with(|| error("Body too large (`limits.max_body_bytes`)"));
        r.entry("415".into()).or_insert_with(|| error("The body is not sent as `Content-Type: application/json`"));
    }
    if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        r.entry("400".into()).or_insert_with(|| error("Malformed query string (a parameter given twice, say)"));
    }
    if op.security.is_some() {
        r.entry("401".into()).or_insert_with(|| error("No or unknown API key"));
    }
}

/// The guard's answers (`guard.rs`), on every `/v1/` route.
fn guarded_statuses(op: &mut Operation) {
    let r = &mut op.responses.responses;
    r.entry("413".into()).or_insert_with(|| error("A body announced larger than `limits.max_body_bytes`"));
    r.entry("429".into()).or_insert_with(|| error("Overloaded: more requests in flight than `limits.max_concurrency`"));
    r.entry("503".into()).or_insert_with(|| error("Over the time limit (`limits.timeout_ms`)"));
}

fn strings(values: impl IntoIterator<Item = String>) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).into()
}

/// `COLUMN`, `COLUMN:asc` and `COLUMN:desc` for each column of `T`.
fn sort_values<T: Sortable>() -> Vec<String> {
    T::COLUMNS.iter().flat_map(|c| [c.to_string(), format!("{c}:asc"), format!("{c}:desc")]).collect()
}

fn parameter(path: &str, p: &mut Parameter) {
    let schema = match p.name.as_str() {
        "period" => {
            // A forecast needs its period; the analytics default to the last whole quarter.
            if path.starts_with("/v1/forecasts/") {
                p.required = Required::True;
            }
            Some(ObjectBuilder::new().schema_type(Type::String).pattern(Some(PERIOD_PATTERN)).into())
        }
        "by" if path == "/v1/analytics/funnel" => Some(strings(["source", "team", "rep"].map(String::from))),
        "by" => Some(strings(Level::ALL.iter().map(|l| l.as_str().to_string()))),
        "level" => Some(strings(Level::ORG.iter().map(|l| l.as_str().to_string()))),
        "lang" => Some(strings(["zh", "en"].map(String::from))),
        "sort" => match path.rsplit('/').next() {
            Some("channels") => Some(strings(sort_values::<ChannelRow>())),
            Some("teams") => Some(strings(sort_values::<TeamRow>())),
            Some("scorecard") => Some(strings(sort_values::<ScorecardRow>())),
            Some("tiers") => Some(strings(sort_values::<AccountTier>())),
            Some("collections") => Some(strings(sort_values::<CollectionRow>())),
            _ => None,
        },
        _ => None,
    };
    if let Some(s) = schema {
        p.schema = Some(s);
    }
}
