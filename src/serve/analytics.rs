//! `GET /v1/analytics/{funnel,channels,teams,scorecard,tiers,collections}`: the analytics
//! library on the data directory the server was started with (`--data`), as JSON — the same
//! reports `leadcast analytics` prints.

use super::auth::Role;
use super::error::ApiError;
use super::error::Query;
use super::state::AppState;
use crate::analytics::{Analytics, GroupBy, SortSpec, sort_rows};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AnalyticsQuery {
    /// A quarter (`2026Q3`) or a month (`2026-07`); default: the last whole quarter of the data.
    pub period: Option<String>,
    /// Funnel only: break down by source, team or rep.
    pub by: Option<String>,
    /// `COLUMN`, `COLUMN:asc` or `COLUMN:desc` (not for the funnel).
    pub sort: Option<String>,
}

fn invalid(path: &str) -> impl Fn(crate::Error) -> ApiError + '_ {
    move |e| ApiError::field(path, e.to_string())
}

async fn report(
    st: AppState,
    headers: HeaderMap,
    q: AnalyticsQuery,
    kind: &'static str,
) -> Result<Json<Value>, ApiError> {
    st.keys.check(&headers, Role::Planner)?;
    let Some(data) = st.data.clone() else {
        return Err(ApiError::unavailable("no data directory: start `leadcast serve` with --data DIR for analytics"));
    };
    let out = tokio::task::spawn_blocking(move || -> Result<Value, ApiError> {
        let an = Analytics::new(&data.dataset).map_err(|e| ApiError::internal(e.to_string()))?;
        let period = match q.period.as_deref() {
            None => an.default_period(),
            Some(p) => an.period(Some(p)).map_err(|e| {
                if p.trim().parse::<crate::domain::Period>().is_ok() {
                    ApiError::not_found(e.to_string()).with_details(json!({"path": "period"}))
                } else {
                    ApiError::field("period", e.to_string())
                }
            })?,
        };
        let sort: Option<SortSpec> = q.sort.as_deref().map(str::parse).transpose().map_err(invalid("sort"))?;
        let by: Option<GroupBy> = q.by.as_deref().map(str::parse).transpose().map_err(invalid("by"))?;
        if by.is_some() && kind != "funnel" {
            return Err(ApiError::field("by", "`by` applies to the funnel only"));
        }
        let ser = |v: &dyn erased::Ser| v.to_value();
        let v = match kind {
            "funnel" => {
                if sort.is_some() {
                    return Err(ApiError::field(
                        "sort",
                        "the funnel's rows follow the stages; sort applies to the other reports",
                    ));
                }
                ser(&an.funnel(period, by))
            }
            "channels" => {
                let mut c = an.channels(period);
                if let Some(s) = &sort {
                    sort_rows(&mut c.rows, s).map_err(invalid("sort"))?;
                }
                ser(&c)
            }
            "teams" => {
                let mut t = an.teams(period);
                if let Some(s) = &sort {
                    sort_rows(&mut t.teams, s).map_err(invalid("sort"))?;
                    sort_rows(&mut t.reps, s).map_err(invalid("sort"))?;
                }
                ser(&t)
            }
            "scorecard" => {
                let mut c = an.scorecard(period);
                if let Some(s) = &sort {
                    sort_rows(&mut c.rows, s).map_err(invalid("sort"))?;
                }
                ser(&c)
            }
            "tiers" => {
                let mut t = an.tiers(period);
                if let Some(s) = &sort {
                    sort_rows(&mut t.accounts, s).map_err(invalid("sort"))?;
                }
                ser(&t)
            }
            _ => {
                let mut c = an.collections(period);
                if let Some(s) = &sort {
                    sort_rows(&mut c.teams, s).map_err(invalid("sort"))?;
                }
                ser(&c)
            }
        };
        v.map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    Ok(Json(out))
}

mod erased {
    pub trait Ser {
        fn to_value(&self) -> serde_json::Result<serde_json::Value>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_value(&self) -> serde_json::Result<serde_json::Value> {
            serde_json::to_value(self)
        }
    }
}

macro_rules! route {
    ($name:ident, $kind:literal, $path:literal, $body:ty, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(get, path = $path, tag = "analytics", params(AnalyticsQuery),
            responses(
                (status = 200, description = $what, body = $body),
                (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
                (status = 404, description = "A period outside the data", body = super::error::ErrorBody),
                (status = 422, description = "A malformed period, an unknown grouping or sort column", body = super::error::ErrorBody),
                (status = 503, description = "The server has no data directory (--data)", body = super::error::ErrorBody)),
            security(("api_key" = [])))]
        pub async fn $name(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<AnalyticsQuery>) -> Result<Json<Value>, ApiError> {
            report(st, headers, q, $kind).await
        }
    };
}

route!(
    funnel,
    "funnel",
    "/v1/analytics/funnel",
    crate::analytics::Funnel,
    "Stage-to-stage conversion and median days in stage, overall or by source, team or rep"
);
route!(
    channels,
    "channels",
    "/v1/analytics/channels",
    crate::analytics::Channels,
    "Channel effectiveness per lead source: leads, conversion, won revenue per lead, average deal, time to close"
);
route!(
    teams,
    "teams",
    "/v1/analytics/teams",
    crate::analytics::TeamEfficiency,
    "Team efficiency per team and rep: bookings, win rate, cycle time, pipeline coverage, attainment"
);
route!(
    scorecard,
    "scorecard",
    "/v1/analytics/scorecard",
    crate::analytics::Scorecard,
    "The rep scorecard (绩效考核表) with the team median beside each figure"
);
route!(
    tiers,
    "tiers",
    "/v1/analytics/tiers",
    crate::analytics::Tiers,
    "ABC customer tiers by cumulative revenue share, RFM scores and segments per account"
);
route!(
    collections,
    "collections",
    "/v1/analytics/collections",
    crate::analytics::Collections,
    "Receivables ageing, overdue amount, DSO and collection rate per team (when payments exist)"
);
