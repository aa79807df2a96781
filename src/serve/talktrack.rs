//! `POST /v1/talk-tracks/recommend` and `POST /v1/talk-tracks/feedback`.
//!
//! A recommendation is a decision: it is stored (context, candidates, the chosen track and the
//! probability it was picked with) before the answer, so any outcome reported for it can be
//! matched and policies can be evaluated off-policy. Feedback is committed to the database
//! before the 202, then applied to the in-memory posterior; other replicas read it from the
//! database every `refresh_secs` and apply it too.
//!
//! Invariant: every stored feedback row is applied at most once per loaded model version
//! (`Live::applied`), whichever replica stored it.

use super::auth::Role;
use super::error::{ApiError, Body, Fields};
use super::state::AppState;
use super::store::{DecisionRow, FeedbackRow};
use crate::domain::{Objection, Outcome, Stage};
use crate::talktrack::{Context, ContextIn, Decision, Feedback, Lang, Policy, TalkTrackModel};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use rand::SeedableRng;
use serde_json::json;
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::{Mutex, RwLock};

/// The served talk-track model: its posterior changes with feedback.
#[derive(Debug)]
pub struct Live {
    pub version: String,
    pub model: RwLock<TalkTrackModel>,
    /// Feedback IDs already applied to this version.
    pub applied: Mutex<Applied>,
}

#[derive(Debug, Default)]
pub struct Applied {
    pub ids: HashSet<i64>,
    /// The highest ID seen; the refresh reads from a little below it (rows can commit out of
    /// ID order on PostgreSQL).
    pub high: i64,
}

impl Live {
    pub fn new(version: String, model: TalkTrackModel) -> Live {
        Live { version, model: RwLock::new(model), applied: Mutex::new(Applied::default()) }
    }

    /// Applies stored rows not yet applied; returns how many were.
    pub fn apply(&self, rows: &[(i64, FeedbackRow)]) -> usize {
        let mut applied = self.applied.lock().unwrap_or_else(|p| p.into_inner());
        let mut model = self.model.write().unwrap_or_else(|p| p.into_inner());
        let mut n = 0;
        for (id, row) in rows {
            applied.high = applied.high.max(*id);
            if !applied.ids.insert(*id) {
                continue;
            }
            match feedback_of(row) {
                Some(fb) if model.update(&fb).is_ok() => n += 1,
                _ => tracing::warn!(feedback_id = id, "stored feedback does not apply to this model; skipped"),
            }
        }
        n
    }
}

/// Every feedback row stored in the database at `url` (the server's `--db`), oldest first,
/// as the feedback `train talktrack` replays; `skipped` counts rows that no longer parse.
pub async fn stored_feedback(url: &str) -> Result<(Vec<Feedback>, usize), crate::Error> {
    let store = super::store::Store::connect(url).await?;
    let (mut out, mut skipped, mut after) = (Vec::new(), 0, 0);
    loop {
        let rows = store.feedback_after(after, 5000).await?;
        for (id, row) in &rows {
            after = after.max(*id);
            match feedback_of(row) {
                Some(f) => out.push(f),
                None => skipped += 1,
            }
        }
        if rows.len() < 5000 {
            return Ok((out, skipped));
        }
    }
}

fn feedback_of(row: &FeedbackRow) -> Option<Feedback> {
    Some(Feedback {
        decision_id: row.decision_id.clone(),
        context: Context {
            stage: Stage::from_str(&row.stage).ok()?,
            persona: row.persona.clone(),
            industry: row.industry.clone(),
            objection: match &row.objection {
                Some(o) => Some(Objection::from_str(o).ok()?),
                None => None,
            },
        },
        talk_track_id: row.talk_track_id.clone(),
        outcome: Outcome::from_str(&row.outcome).ok()?,
        at: chrono::DateTime::parse_from_rfc3339(&row.at).ok()?.with_timezone(&chrono::Utc),
    })
}

/// Reads every stored feedback row above the applied mark and applies those not yet applied.
pub async fn refresh(st: &AppState) -> Result<usize, crate::Error> {
    let Some(live) = st.models.load().talktrack.clone() else { return Ok(0) };
    let mut total = 0;
    loop {
        let from = live.applied.lock().unwrap_or_else(|p| p.into_inner()).high.saturating_sub(1000);
        let rows = st.store.feedback_after(from, 5000).await?;
        let fresh: Vec<(i64, FeedbackRow)> = {
            let a = live.applied.lock().unwrap_or_else(|p| p.into_inner());
            rows.iter().filter(|(id, _)| !a.ids.contains(id)).cloned().collect()
        };
        let more = rows.len() == 5000;
        total += live.apply(&fresh);
        if !more {
            return Ok(total);
        }
    }
}

thread_local! {
    static RNG: std::cell::RefCell<rand_chacha::ChaCha8Rng> =
        std::cell::RefCell::new(rand_chacha::ChaCha8Rng::from_seed(super::auth::random_bytes::<32>()));
}

fn stage_field(f: &Fields, key: &str) -> Result<Stage, ApiError> {
    let s = f.str(key)?;
    Stage::from_str(s.trim()).map_err(|_| {
        ApiError::field(f.path_of(key), format!("unknown stage {s:?}"))
            .with_details(json!({"path": f.path_of(key), "allowed": ["lead", "discovery", "qualification", "negotiation", "contract", "collection"]}))
    })
}

fn live(st: &AppState) -> Result<std::sync::Arc<Live>, ApiError> {
    st.models.load().talktrack.clone().ok_or_else(|| {
        ApiError::unavailable("no talktrack model is loaded: train one (`leadcast train talktrack`) and reload")
    })
}

/// Ranked talk tracks for a context, with a `decision_id` to report the outcome against.
#[utoipa::path(post, path = "/v1/talk-tracks/recommend", tag = "talk tracks",
    request_body(content = super::openapi::RecommendRequest,
        example = json!({"stage": "negotiation", "persona": "finance", "industry": "manufacturing", "objection": "price", "language": "zh", "k": 3})),
    responses(
        (status = 200, description = "decision_id, context_used (unknown persona/industry/objection fall back to the broader context and are listed in fallbacks), recommendations: talk_track_id, title, script, language, expected_advance, interval, uplift, evidence, why", body = Recommended,
            example = json!({"decision_id": "d-7f3a…", "context_used": {"stage": "negotiation", "persona": "finance", "industry": "manufacturing", "objection": "price"}, "fallbacks": [], "recommendations": [{"rank": 1, "talk_track_id": "NEG-PRICE-02", "title": "…", "script": "…", "language": "zh", "expected_advance": 0.41, "interval": [0.36, 0.47], "uplift": 0.09, "evidence": 812, "why": "…"}]})),
        (status = 401, description = "No or invalid API key", body = super::error::ErrorBody),
        (status = 403, description = "Wrong role", body = super::error::ErrorBody),
        (status = 422, description = "Unknown stage or language, k or exploration out of range", body = super::error::ErrorBody),
        (status = 503, description = "No talktrack model loaded, or the database does not answer", body = super::error::ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn recommend(
    State(st): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Recommended>, ApiError> {
    st.keys.check(&headers, Role::Scorer)?;
    let live = live(&st)?;
    let f = Fields::of(&body, "")?;
    stage_field(&f, "stage")?;
    let ctx = ContextIn {
        stage: f.str("stage")?.to_string(),
        persona: f.opt_str("persona")?.map(String::from),
        industry: f.opt_str("industry")?.map(String::from),
        objection: f.opt_str("objection")?.map(String::from),
    };
    let lang = match f.opt_str("language")? {
        None => Lang::Zh,
        Some(l) => Lang::from_str(l).map_err(|e| ApiError::field("language", e))?,
    };
    let k = f.opt_usize("k")?.unwrap_or(3);
    if !(1..=20).contains(&k) {
        return Err(ApiError::field("k", "k must be between 1 and 20"));
    }
    let exploration = f.opt_f64("exploration")?.unwrap_or(st.exploration);
    let policy = Policy { exploration, ..Policy::default() };
    policy.check().map_err(|e| ApiError::field("exploration", e.to_string()))?;
    let recs = {
        let model = live.model.read().unwrap_or_else(|p| p.into_inner());
        RNG.with(|r| model.recommend(&ctx, lang, k, &policy, &live.version, chrono::Utc::now(), &mut *r.borrow_mut()))
    }
    .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_context", e.to_string()))?;
    let d = &recs.decision;
    let row = DecisionRow {
        decision_id: d.decision_id.clone(),
        at: d.at.to_rfc3339(),
        model_version: d.model_version.clone(),
        context: serde_json::to_string(&d.context).unwrap_or_default(),
        payload: serde_json::to_string(d).map_err(|e| ApiError::internal(e.to_string()))?,
    };
    st.store.insert_decision(&row).await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            format!("the decision could not be stored: {e}"),
        )
    })?;
    Ok(Json(Recommended {
        decision_id: recs.decision_id,
        context_used: recs.context_used,
        fallbacks: recs.fallbacks,
        baseline: recs.baseline,
        recommendations: recs.recommendations,
        model: super::ModelInfo { kind: "talktrack".into(), version: live.version.clone() },
    }))
}

/// The answer to a recommendation request.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Recommended {
    /// Report the outcome against this (`POST /v1/talk-tracks/feedback`).
    pub decision_id: String,
    /// The context answered: values the model does not know are left out.
    pub context_used: Context,
    /// The values of the request not used as given.
    pub fallbacks: Vec<crate::talktrack::recommend::Fallback>,
    /// What the logged mix of tracks achieves in this context.
    pub baseline: f64,
    pub recommendations: Vec<crate::talktrack::recommend::Recommendation>,
    pub model: super::ModelInfo,
}

/// Records the outcome of a talk track: for a `decision_id`, or for a bare context + track.
#[utoipa::path(post, path = "/v1/talk-tracks/feedback", tag = "talk tracks",
    request_body(content = super::openapi::FeedbackRequest,
        example = json!({"decision_id": "d-7f3a…", "talk_track_id": "NEG-PRICE-02", "outcome": "advanced"})),
    responses(
        (status = 202, description = "Stored (committed) and applied", body = super::openapi::FeedbackStored, example = json!({"stored": true, "feedback_id": 42})),
        (status = 401, description = "No or invalid API key", body = super::error::ErrorBody),
        (status = 403, description = "Wrong role", body = super::error::ErrorBody),
        (status = 404, description = "Unknown decision_id; nothing stored", body = super::error::ErrorBody),
        (status = 422, description = "Unknown outcome, or a track that was not a candidate / does not apply to the stage", body = super::error::ErrorBody),
        (status = 503, description = "No talktrack model, or the database does not answer; nothing acknowledged", body = super::error::ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn feedback(
    State(st): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<super::openapi::FeedbackStored>), ApiError> {
    st.keys.check(&headers, Role::Scorer)?;
    let live = live(&st)?;
    let f = Fields::of(&body, "")?;
    let outcome_text = f.str("outcome")?;
    let outcome = Outcome::from_str(outcome_text.trim()).map_err(|_| {
        ApiError::field("outcome", format!("unknown outcome {outcome_text:?} (expected advanced, no_change or lost)"))
    })?;
    let now = chrono::Utc::now();
    let track = f.opt_str("talk_track_id")?;
    let invalid = |e: crate::Error| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_feedback", e.to_string());
    let fb = match f.opt_str("decision_id")? {
        Some(id) => {
            let stored = st
                .store
                .decision(id)
                .await
                .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", e.to_string()))?;
            let Some(row) = stored else {
                return Err(ApiError::not_found(format!(
                    "unknown decision_id {id:?}: no such decision was logged; nothing stored"
                ))
                .with_details(json!({"path": "decision_id"})));
            };
            let d: Decision = serde_json::from_str(&row.payload).map_err(|e| ApiError::internal(e.to_string()))?;
            let fb = Feedback::for_decision(&d, track, outcome, now).map_err(invalid)?;
            live.model.read().unwrap_or_else(|p| p.into_inner()).check_feedback(&fb, Some(&d)).map_err(invalid)?;
            fb
        }
        None => {
            let stage = stage_field(&f, "stage")?;
            let objection = match f.opt_str("objection")?.map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(o) => Some(
                    Objection::from_str(o)
                        .map_err(|_| ApiError::field("objection", format!("unknown objection {o:?}")))?,
                ),
            };
            let Some(track) = track else {
                return Err(ApiError::field("talk_track_id", "talk_track_id is required without a decision_id"));
            };
            let fb = Feedback {
                decision_id: None,
                context: Context {
                    stage,
                    persona: f.opt_str("persona")?.map(String::from),
                    industry: f.opt_str("industry")?.map(String::from),
                    objection,
                },
                talk_track_id: track.to_string(),
                outcome,
                at: now,
            };
            live.model.read().unwrap_or_else(|p| p.into_inner()).check_feedback(&fb, None).map_err(invalid)?;
            fb
        }
    };
    let row = FeedbackRow {
        decision_id: fb.decision_id.clone(),
        at: fb.at.to_rfc3339(),
        stage: fb.context.stage.as_str().to_string(),
        persona: fb.context.persona.clone(),
        industry: fb.context.industry.clone(),
        objection: fb.context.objection.map(|o| o.as_str().to_string()),
        talk_track_id: fb.talk_track_id.clone(),
        outcome: fb.outcome.as_str().to_string(),
        replica: st.replica.clone(),
    };
    let id = st.store.insert_feedback(&row).await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            format!("the feedback could not be stored: {e}"),
        )
    })?;
    live.apply(&[(id, row)]);
    metrics::counter!("leadcast_talktrack_feedback_total", "outcome" => fb.outcome.as_str()).increment(1);
    Ok((StatusCode::ACCEPTED, Json(super::openapi::FeedbackStored { stored: true, feedback_id: id })))
}
