//! The forecast model: everything serving needs to answer "what will we book in this period, per
//! rep, team, region and product, and who will make quota?", fitted from a contract dataset and
//! saved as one JSON document.
//!
//! A forecast is the pipeline Monte Carlo of [`super::pipeline`] blended with the series view
//! (a [`super::ts`] forecast of the company's bookings at the period's grain) by quantile
//! averaging (Vincentization: the blended quantile is the weighted mean of the two views'
//! quantiles; Lichtendahl, Grushka-Cockayne & Winkler 2013, "Is it better to average
//! probabilities or quantiles?"), with the pipeline weight learned in rolling-origin backtests.
//! The blend is applied by scaling every cell's uncertain part draw by draw, so every level
//! stays a sum of the same draws (coherent roll-ups, joint probabilities).
//!
//! Invariants: the same model, period and inputs give the same numbers (seeded draws); no
//! output holds NaN or infinity (undefined ratios are `null`); an unknown period, level, rep or
//! owner is an [`Error::InvalidArgument`] whose message names it.

use super::Note;
use super::bookings::{self, Grain, Level, RepInfo, Won, steps_between};
use super::pipeline::{self, CloseModel, Draws, OpenDeal, SimSettings};
use super::plan::{self, PlanLimits};
use super::ts;
use crate::domain::{Dataset, Period, Stage};
use crate::score::model::ScoringModel;
use crate::{Error, Result};
use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How far ahead a forecast may look: the current period and this many after it.
pub const MAX_AHEAD_QUARTERS: i64 = 3;
pub const MAX_AHEAD_MONTHS: i64 = 11;

/// A rep's quota for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuotaEntry {
    pub rep: usize,
    #[serde(with = "super::wire::period")]
    pub period: Period,
    pub quota: f64,
}

/// Weight of the pipeline view in the blend, per grain (the series view gets the rest).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Blend {
    pub quarter: f64,
    pub month: f64,
}

impl Blend {
    /// Before any backtest: lean on the pipeline.
    pub const DEFAULT: Blend = Blend { quarter: 0.7, month: 0.7 };
    /// The pipeline view alone (what backtests compute before blending).
    pub const PIPELINE_ONLY: Blend = Blend { quarter: 1.0, month: 1.0 };

    pub fn weight(&self, g: Grain) -> f64 {
        match g {
            Grain::Quarter => self.quarter,
            Grain::Month => self.month,
        }
        .clamp(0.0, 1.0)
    }
}

/// Where open deals' win probabilities come from.
pub enum WinSource<'a> {
    /// The opportunity model (scored on the open-pipeline snapshot).
    Model(&'a ScoringModel),
    /// The empirical win rate of the deal's stage and age.
    Empirical,
}

fn no_growth() -> f64 {
    1.0
}

/// The fitted forecast model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastModel {
    /// The day the data ends: closed-to-date and the open pipeline are as of this day.
    pub as_of: NaiveDate,
    pub org: Vec<RepInfo>,
    pub quotas: Vec<QuotaEntry>,
    /// Every won deal of the history.
    pub won: Vec<Won>,
    /// The open pipeline as of `as_of`, with win probabilities.
    pub open: Vec<OpenDeal>,
    pub close: CloseModel,
    /// Seasonal factors on the open pipeline's conversion (absent in older models: none).
    #[serde(default)]
    pub conversion: pipeline::SeasonalConversion,
    /// The recalibration applied to the opportunity model's open-pipeline probabilities
    /// ([`pipeline_calibration`]), if any.
    #[serde(default)]
    pub pipeline_factor: Option<f64>,
    /// The open pipeline's level uncertainty ([`PipelineCalibration::spread`]; absent in
    /// older models: 0).
    #[serde(default)]
    pub pipeline_spread: f64,
    /// The won deals' discounts, expected of open deals without one (absent in older models:
    /// none).
    #[serde(default)]
    pub discounts: pipeline::Discounts,
    /// Stale deals' cap on the win probability ([`pipeline::Stale`]; absent in older models
    /// and under 100 won deals: none).
    #[serde(default)]
    pub stale: Option<pipeline::Stale>,
    /// The deal flow's growth per year ([`pipeline::opportunity_growth`]), carrying past
    /// periods' new-business counts forward (absent in older models: 1).
    #[serde(default = "no_growth")]
    pub growth: f64,
    /// Each rep's share of new business, as a weight ([`pipeline::rep_flow`]; absent in older
    /// models: the reps' recent new-business amounts share it).
    #[serde(default)]
    pub rep_flow: Vec<f64>,
    pub blend: Blend,
    pub settings: SimSettings,
    /// `opportunity model <version>` or `empirical stage × age win rates`.
    pub win_source: String,
    pub notes: Vec<String>,
}

/// One group's revenue forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevenueRow {
    pub key: String,
    /// The rep's name, for rows by rep (absent at other levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub closed_to_date: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    /// The mean of the draws (adds up across groups, unlike P50).
    pub mean: f64,
    /// Open pipeline amount of the group (every open deal, whatever its close date).
    pub pipeline: f64,
    pub method: String,
}

/// A revenue forecast for one period, broken down by a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevenueForecast {
    pub period: String,
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    pub level: Level,
    pub rows: Vec<RevenueRow>,
    /// The company total's distribution: its 1st, 2nd, …, 99th percentiles.
    pub distribution: Vec<f64>,
    pub draws: usize,
    #[schema(value_type = Vec<String>)]
    pub notes: Vec<Note>,
}

/// One group's quota forecast. Ratios are `null` when the group has no quota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuotaRow {
    pub key: String,
    /// The rep's name, for rows by rep (absent at other levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub quota: Option<f64>,
    pub closed_to_date: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    /// Expected bookings ÷ quota.
    pub expected_attainment: Option<f64>,
    /// P(bookings ≥ quota), from the joint draws.
    pub p_attain: Option<f64>,
    /// How far the P50 falls short of quota (0 when it reaches it).
    pub gap: Option<f64>,
    /// Open pipeline needed, as a multiple of the quota still to close, at the group's
    /// in-period yield of open pipeline (1 ÷ yield); 0 when nothing is left to close.
    pub coverage_needed: Option<f64>,
    /// Open pipeline held, as a multiple of the quota still to close.
    pub coverage: Option<f64>,
}

impl RevenueRow {
    /// Whether `key` names this row: its key, or the rep's name (managers know reps by name).
    pub fn answers_to(&self, key: &str) -> bool {
        self.key == key || self.name.as_deref() == Some(key)
    }
}

impl QuotaRow {
    /// Whether `key` names this row: its key, or the rep's name.
    pub fn answers_to(&self, key: &str) -> bool {
        self.key == key || self.name.as_deref() == Some(key)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuotaForecast {
    pub period: String,
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    pub level: Level,
    pub rows: Vec<QuotaRow>,
    #[schema(value_type = Vec<String>)]
    pub notes: Vec<Note>,
}

/// One unit of a quota plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanRow {
    pub level: Level,
    pub key: String,
    /// The rep's name, for rep rows (absent at other levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The region of a team, the team of a rep; `null` for regions.
    pub parent: Option<String>,
    /// Expected bookings of the unit in the period (the forecast's mean).
    pub capacity: f64,
    pub quota: f64,
    /// P(bookings ≥ quota) at the planned quota, from the joint draws.
    pub p_attain: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuotaPlan {
    pub period: String,
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    pub target: f64,
    pub capacity: f64,
    /// P(company bookings ≥ target).
    pub p_attain: f64,
    pub limits: PlanLimits,
    pub rows: Vec<PlanRow>,
    #[schema(value_type = Vec<String>)]
    pub notes: Vec<Note>,
}

/// An open deal sent by a client for a what-if forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpenOpportunity {
    pub opportunity_id: String,
    /// A rep the model knows.
    pub owner_id: String,
    pub product: String,
    #[schema(exclusive_minimum = 0)]
    pub amount: f64,
    #[serde(with = "super::wire::stage")]
    pub stage: Stage,
    #[schema(value_type = String, format = Date)]
    pub created_at: NaiveDate,
    /// When absent, the empirical win rate of the stage and age.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1)]
    pub win_probability: Option<f64>,
    /// The discount already agreed, in percent; when absent (not negotiated yet) the won deals'
    /// mean discount is expected, as for the saved pipeline.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub discount_pct: Option<f64>,
}

/// A simulated period: draws (blended) and how they were made.
pub struct Simulated {
    pub period: Period,
    pub draws: Draws,
    pub method: String,
    pub notes: Vec<Note>,
}

/// Totals of one group over the draws.
struct Group {
    closed: f64,
    totals: Vec<f64>,
    pipe_expected: f64,
    pipe_amount: f64,
}

/// The `q` quantile of sorted values (linear interpolation).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let x = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (i, f) = (x.floor() as usize, x.fract());
    sorted[i] + f * (sorted[(i + 1).min(sorted.len() - 1)] - sorted[i])
}

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

fn round2(x: f64) -> f64 {
    if x.is_finite() { (x * 100.0).round() / 100.0 } else { 0.0 }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some((x * 10_000.0).round() / 10_000.0)
}

/// Highest win probability a recalibrated open deal may get.
const MAX_WIN: f64 = 0.99;
/// Past quarter ends the open pipeline is re-scored on.
const CALIBRATION_ORIGINS: i64 = 8;

/// What [`pipeline_calibration`] learned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PipelineCalibration {
    /// Won ÷ expected, by amount, over every origin's deals, in [0.5, 2].
    pub factor: f64,
    /// Deal snapshots re-scored.
    pub deals: usize,
    /// How uncertain the level is, as a relative standard deviation: the factor's own
    /// standard error (from the deals' Bernoulli outcomes, a deal open at several origins
    /// counted once) and how much the origins' won ÷ expected vary beyond their deals' chance
    /// (`level_spread`), added as variances.
    pub spread: f64,
}

/// The opportunity model learns from snapshots at creation and every 30 days; an open pipeline
/// is a snapshot at one date, of deals of every age that have survived so far, and the model
/// under-scores it (on `data/sample` its open deals were expected to win 5.9M and won 8.2M).
/// This re-scores the pipelines that were open at the ends of the last 8 quarters far enough
/// back that nearly every deal has closed (before `as_of` minus the 95th percentile of days to
/// close), with features as of those dates, and returns won ÷ expected by amount, in
/// [0.5, 2], with the number of deals; `None` with fewer than 100 deals. The model has seen
/// these deals in training (as snapshots at other ages), so this corrects the level the
/// model gives a pipeline, not its ranking.
///
/// The level is itself an estimate, and the model's error on one date's deals moves
/// together. Measured on 10 simulated histories against futures redrawn from the as-of, the
/// recalibrated level of the open pipeline was off by 7.6% (root mean square), while the
/// simulation drew every deal independently and spread the open part by 2–3% only. The
/// factor's standard error (4–5% there) and the origins' variation beyond their deals' chance
/// (none there, nor on `data/sample`) are the level's uncertainty that the data show; the
/// simulation draws it once per draw (README, "Open-pipeline level").
pub fn pipeline_calibration(
    ds: &Dataset,
    as_of: NaiveDate,
    m: &ScoringModel,
    discounts: &pipeline::Discounts,
) -> Option<PipelineCalibration> {
    let (_, p95) = crate::score::contract::opportunity_censor_date(ds)?;
    let mut at = Vec::new();
    let mut outcome = Vec::new();
    let mut origin_of = Vec::new();
    let last = Period::quarter_of(as_of - chrono::Duration::days(p95)).offset(-1);
    for k in 0..CALIBRATION_ORIGINS {
        let origin = last.offset(-(k as i32)).last_day();
        for (i, o) in ds.opportunities.iter().enumerate() {
            let open_then = o.created_at <= origin && o.closed_at.is_none_or(|c| c > origin);
            // Deals still open now are left out: their outcome is not known yet.
            if open_then && o.status.is_closed() && o.amount.is_finite() {
                at.push((i, origin));
                // Expected at what it would book, as the forecast counts an open deal (a deal lost
                // before its price was negotiated carries no discount).
                let booked = o.amount * discounts.share(&o.product, o.discount_pct);
                outcome.push((o.status == crate::domain::Status::Won, o.amount, booked));
                origin_of.push(k as usize);
            }
        }
    }
    if at.len() < 100 {
        return None;
    }
    let table = crate::score::contract::opportunity_snapshots(ds, &at);
    let preds = m.predict(&table, false, 0).ok()?;
    let expected: f64 = preds.iter().zip(&outcome).map(|(p, (_, _, b))| p.probability * b).sum();
    let won: f64 = outcome.iter().filter(|x| x.0).map(|x| x.1).sum();
    if expected <= 0.0 {
        return None;
    }
    let factor = (won / expected).clamp(0.5, 2.0);
    // Per origin: won ÷ expected relative to the factor, and the relative variance of its won
    // amount from the deals' own chance at the recalibrated probabilities.
    let k = CALIBRATION_ORIGINS as usize;
    let (mut e, mut w, mut v) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    // Per deal: its amount summed over the origins it was open at, and its mean probability
    // there (one outcome counts at every such origin).
    let mut per_deal: FxHashMap<usize, (f64, f64, usize)> = FxHashMap::default();
    for (((p, (is_won, amount, booked)), &o), &(i, _)) in preds.iter().zip(&outcome).zip(&origin_of).zip(&at) {
        let q = (p.probability * factor).min(MAX_WIN);
        e[o] += q * booked;
        v[o] += amount * amount * q * (1.0 - q);
        if *is_won {
            w[o] += amount;
        }
        let d = per_deal.entry(i).or_default();
        d.0 += amount;
        d.1 += q;
        d.2 += 1;
    }
    let per_origin: Vec<(f64, f64)> =
        (0..k).filter(|&o| e[o] > 0.0).map(|o| (w[o] / e[o], v[o] / (e[o] * e[o]))).collect();
    // The factor's own standard error: the variance of the won amount over all origins from
    // the deals' outcomes, relative to the expectation.
    let chance: f64 = per_deal
        .values()
        .map(|&(a, q, n)| {
            let q = q / n as f64;
            a * a * q * (1.0 - q)
        })
        .sum();
    let total: f64 = e.iter().sum();
    let factor_var = if total > 0.0 { chance / (total * total) } else { 0.0 };
    let spread = (level_spread(&per_origin).powi(2) + factor_var).sqrt();
    Some(PipelineCalibration { factor, deals: at.len(), spread })
}

/// The standard deviation of origins' won ÷ expected ratios (each with the relative variance
/// its deals' Bernoulli outcomes give it) beyond that chance; 0 under 3 origins.
fn level_spread(per_origin: &[(f64, f64)]) -> f64 {
    if per_origin.len() < 3 {
        return 0.0;
    }
    let n = per_origin.len() as f64;
    let mean = per_origin.iter().map(|r| r.0).sum::<f64>() / n;
    let var = per_origin.iter().map(|r| (r.0 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (var - per_origin.iter().map(|r| r.1).sum::<f64>() / n).max(0.0).sqrt()
}

/// Scales each draw's uncertain part so that the company total becomes the quantile average of
/// the pipeline draws and the series view (comonotone pairing by rank).
pub fn blend_draws(draws: &mut Draws, step: &ts::Step, w: f64) {
    let (c, totals) = draws.totals(|_, _| true);
    let n = totals.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| totals[a].total_cmp(&totals[b]).then(a.cmp(&b)));
    let mut k = vec![1.0; n];
    for (rank, &d) in order.iter().enumerate() {
        let u = (rank as f64 + 0.5) / n as f64;
        let t = step.quantile(u).max(c);
        let b = w * totals[d] + (1.0 - w) * t;
        let unc = totals[d] - c;
        if unc > 1e-9 {
            k[d] = ((b - c) / unc).clamp(0.0, 10.0);
        }
    }
    draws.scale(&k);
}

impl ForecastModel {
    /// Fits from `ds` as of `as_of` (normally the data's last day). Nothing after `as_of` may
    /// be in `ds` (backtests cut it with [`super::snapshot::as_of`]).
    pub fn fit(ds: &Dataset, as_of: NaiveDate, win: WinSource, blend: Blend) -> Result<ForecastModel> {
        let org = bookings::org(ds);
        if org.is_empty() {
            return Err(Error::InvalidArgument("the reps table has no rows: nothing to forecast".into()));
        }
        let won = bookings::won_deals(ds, &org);
        let rep_flow = pipeline::rep_flow(ds, &org, as_of);
        let close = CloseModel::fit(ds, as_of);
        let discounts = pipeline::Discounts::fit(ds, as_of);
        let mut notes = Vec::new();
        let mut pipeline_factor = None;
        let mut pipeline_spread = 0.0;
        let (p, win_source) = match win {
            WinSource::Model(m) => {
                let t = crate::score::contract::open_pipeline(ds, as_of);
                let mut p: Vec<f64> = if t.rows == 0 {
                    Vec::new()
                } else {
                    m.predict(&t, false, 0)?.into_iter().map(|r| r.probability).collect()
                };
                if let Some(PipelineCalibration { factor: k, deals, spread }) =
                    pipeline_calibration(ds, as_of, m, &discounts)
                {
                    p.iter_mut().for_each(|x| *x = (*x * k).min(MAX_WIN));
                    notes.push(format!(
                        "open-pipeline win probabilities × {k:.2}: what {deals} deals open at past quarter ends won, by amount, over what the opportunity model expected of them"
                    ));
                    pipeline_factor = Some(k);
                    if spread > 0.0 {
                        notes.push(format!(
                            "open-pipeline level known to ±{:.1}% (the recalibration's standard error, and its variation between quarter ends beyond chance): each draw scales the open deals' win probabilities by a factor of that spread",
                            100.0 * spread
                        ));
                    }
                    pipeline_spread = spread;
                }
                (Some(p), "opportunity model".to_string())
            }
            WinSource::Empirical => (None, "empirical win rates by stage and age".to_string()),
        };
        if discounts.overall > 0.0 {
            notes.push(format!(
                "open deals without a discount are expected to book their amount less the won deals' mean discount ({:.1}% overall)",
                discounts.overall
            ));
        }
        let stale = pipeline::Stale::fit(ds, as_of);
        let open = pipeline::open_deals(ds, &org, as_of, &close, p.as_deref(), &discounts, stale.as_ref());
        if let Some(n) = stale.and_then(|s| s.note(&open, as_of)) {
            notes.push(n.en);
        }
        if won.is_empty() {
            notes.push("the history has no won deals: new business and the series view are empty".into());
        }
        let idx: BTreeMap<&str, usize> = org.iter().enumerate().map(|(i, r)| (r.rep_id.as_str(), i)).collect();
        let quotas = ds
            .quotas
            .iter()
            .filter_map(|q| Some(QuotaEntry { rep: *idx.get(q.rep_id.as_str())?, period: q.period, quota: q.quota }))
            .collect();
        Ok(ForecastModel {
            as_of,
            org,
            quotas,
            won,
            open,
            close,
            conversion: pipeline::SeasonalConversion::fit(ds, as_of),
            pipeline_factor,
            pipeline_spread,
            discounts,
            stale,
            growth: pipeline::opportunity_growth(ds, as_of),
            rep_flow,
            blend,
            settings: SimSettings::default(),
            win_source,
            notes,
        })
    }

    /// The periods a forecast may be asked for, at a grain: the current one and those after it.
    pub fn periods(&self, grain: Grain) -> (Period, Period) {
        let current = grain.period(self.as_of + chrono::Duration::days(1));
        let ahead = match grain {
            Grain::Quarter => MAX_AHEAD_QUARTERS,
            Grain::Month => MAX_AHEAD_MONTHS,
        };
        (current, current.offset(ahead as i32))
    }

    /// Parses and checks a period: it must not be over and not too far ahead.
    pub fn period(&self, text: &str) -> Result<Period> {
        let p: Period = text.parse().map_err(|e| {
            let ((q0, q1), (m0, m1)) = (self.periods(Grain::Quarter), self.periods(Grain::Month));
            Error::InvalidArgument(format!("{e}; forecasts cover {q0} through {q1}, or {m0} through {m1}"))
        })?;
        let (first, last) = self.periods(Grain::of_period(p));
        if p < first {
            return Err(Error::InvalidArgument(format!(
                "unknown period {p}: it is over (the data runs to {}); forecasts cover {first} through {last}",
                self.as_of
            )));
        }
        if p > last {
            return Err(Error::InvalidArgument(format!(
                "unknown period {p}: too far ahead of the data (as of {}); forecasts cover {first} through {last}",
                self.as_of
            )));
        }
        Ok(p)
    }

    /// The keys of a level's groups (reps, teams, regions, products; `total` for the company).
    pub fn keys(&self, level: Level) -> Vec<String> {
        let mut v: Vec<String> = match level {
            Level::Company => vec!["total".into()],
            Level::Product => {
                self.won.iter().map(|w| w.product.clone()).chain(self.open.iter().map(|o| o.product.clone())).collect()
            }
            _ => (0..self.org.len()).map(|r| bookings::key(level, &self.org, r, "").to_string()).collect(),
        };
        v.sort();
        v.dedup();
        v
    }

    /// The company's bookings series at `grain`, complete periods only: (first period, values).
    pub fn company_series(&self, grain: Grain) -> Option<(Period, Vec<f64>)> {
        let last = grain.period(self.as_of + chrono::Duration::days(1)).offset(-1);
        let first = grain.period(self.won.iter().map(|w| w.closed).min()?);
        if first > last {
            return None;
        }
        let h = bookings::history(&self.org, &self.won, Level::Company, first, last);
        Some((first, h.into_iter().next()?.values))
    }

    /// The series view of `period`: the company series forecast at the period's step.
    pub fn series_view(&self, period: Period) -> Result<Option<(ts::Step, String, Vec<Note>)>> {
        let grain = Grain::of_period(period);
        let Some((first, y)) = self.company_series(grain) else { return Ok(None) };
        if y.len() < 2 {
            return Ok(None);
        }
        let last = first.offset(y.len() as i32 - 1);
        let h = steps_between(last, period).max(1) as usize;
        let f = ts::forecast(&y, h, grain.season())?;
        Ok(f.steps.get(h - 1).map(|s| (*s, f.method.clone(), f.notes.clone())))
    }

    /// Simulates `period` with the given open pipeline, blended with the series view.
    pub fn simulate(&self, period: Period, open: &[OpenDeal]) -> Result<Simulated> {
        let (mut draws, nb) = pipeline::simulate(
            &self.org,
            &self.won,
            open,
            &self.close,
            self.as_of,
            period,
            self.settings,
            pipeline::Levels {
                conversion: self.conversion.factor(period),
                growth: self.growth,
                pipeline_spread: self.pipeline_spread,
                rep_flow: &self.rep_flow,
            },
        )?;
        let mut notes = nb.notes;
        if !open.is_empty() {
            notes.extend(self.conversion.note(period));
            notes.extend(self.stale.and_then(|s| s.note(open, self.as_of)));
        }
        let w = self.blend.weight(Grain::of_period(period));
        let mut method = format!("pipeline-mc ({})", self.win_source);
        if w < 1.0 {
            match self.series_view(period)? {
                Some((step, m, n)) => {
                    blend_draws(&mut draws, &step, w);
                    method = format!("{w:.2} × pipeline-mc ({}) + {:.2} × {m}", self.win_source, 1.0 - w);
                    notes.extend(n.into_iter().map(|n| n.within("series view: ", "时间序列视角：")));
                }
                None => notes.push(Note::new(
                    "too little history for the series view: pipeline alone",
                    "历史太短，没有时间序列视角：只用商机管道",
                )),
            }
        }
        Ok(Simulated { period, draws, method, notes })
    }

    fn groups(&self, draws: &Draws, level: Level, period: Period) -> BTreeMap<String, Group> {
        let n = draws.n;
        let mut out: BTreeMap<String, Group> = BTreeMap::new();
        let blank = || Group { closed: 0.0, totals: vec![0.0; n], pipe_expected: 0.0, pipe_amount: 0.0 };
        if level != Level::Product {
            for (r, info) in self.org.iter().enumerate() {
                if info.hired_at.is_none_or(|h| h <= period.last_day()) || self.quota_of(r, period).is_some() {
                    out.entry(bookings::key(level, &self.org, r, "").to_string()).or_insert_with(blank);
                }
            }
        }
        for (c, (rep, product)) in draws.cells.iter().enumerate() {
            let g = out.entry(bookings::key(level, &self.org, *rep, product).to_string()).or_insert_with(blank);
            g.closed += draws.closed[c];
            g.pipe_expected += draws.pipeline_expected[c];
            g.pipe_amount += draws.pipeline_amount[c];
            for (t, v) in g.totals.iter_mut().zip(&draws.draws[c]) {
                *t += v + draws.closed[c];
            }
        }
        out
    }

    fn quota_of(&self, rep: usize, period: Period) -> Option<f64> {
        match period {
            Period::Quarter { .. } => self.quotas.iter().find(|q| q.rep == rep && q.period == period).map(|q| q.quota),
            Period::Month { .. } => {
                let q = Period::quarter_of(period.start());
                self.quotas.iter().find(|e| e.rep == rep && e.period == q).map(|e| e.quota / 3.0)
            }
        }
    }

    /// Converts deals sent by a client; unknown owners are one error naming them all.
    pub fn open_from(&self, open: &[OpenOpportunity]) -> Result<Vec<OpenDeal>> {
        let idx: BTreeMap<&str, usize> = self.org.iter().enumerate().map(|(i, r)| (r.rep_id.as_str(), i)).collect();
        let unknown: Vec<&str> =
            open.iter().filter(|o| !idx.contains_key(o.owner_id.as_str())).map(|o| o.owner_id.as_str()).collect();
        if !unknown.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "unknown rep(s) as owner: {} (the model knows {} reps)",
                unknown.join(", "),
                self.org.len()
            )));
        }
        open.iter()
            .enumerate()
            .map(|(i, o)| {
                if !(o.amount.is_finite() && o.amount > 0.0) {
                    return Err(Error::InvalidArgument(format!("open[{i}].amount must be a positive number")));
                }
                if let Some(p) = o.win_probability.filter(|p| !(0.0..=1.0).contains(p)) {
                    return Err(Error::InvalidArgument(format!("open[{i}].win_probability {p} is not in [0, 1]")));
                }
                let age = (self.as_of - o.created_at).num_days().max(0);
                Ok(OpenDeal {
                    opportunity_id: o.opportunity_id.clone(),
                    rep: idx[o.owner_id.as_str()],
                    product: o.product.clone(),
                    amount: o.amount,
                    stage: o.stage,
                    created_at: o.created_at.min(self.as_of),
                    win_probability: o.win_probability.unwrap_or_else(|| {
                        let p = self.close.win_rate(o.stage, age);
                        self.stale.map_or(p, |s| s.cap(age, p))
                    }),
                    booking_share: self.discounts.share(&o.product, o.discount_pct),
                })
            })
            .collect()
    }

    /// Revenue forecast of `period` by `by`, on the saved open pipeline.
    pub fn revenue(&self, period: &str, by: Level) -> Result<RevenueForecast> {
        let p = self.period(period)?;
        let sim = self.simulate(p, &self.open)?;
        Ok(self.revenue_rows(&sim, by))
    }

    /// Revenue forecast with a client's open pipeline in place of the saved one (what-if).
    pub fn revenue_for(&self, period: &str, by: Level, open: &[OpenOpportunity]) -> Result<RevenueForecast> {
        let p = self.period(period)?;
        let deals = self.open_from(open)?;
        let sim = self.simulate(p, &deals)?;
        Ok(self.revenue_rows(&sim, by))
    }

    /// The name of rep `key` when `level` is the rep level and the data names them.
    pub fn rep_name(&self, level: Level, key: &str) -> Option<String> {
        if level != Level::Rep {
            return None;
        }
        self.org.iter().find(|r| r.rep_id == key && !r.name.is_empty()).map(|r| r.name.clone())
    }

    /// Revenue rows of a simulated period.
    pub fn revenue_rows(&self, sim: &Simulated, by: Level) -> RevenueForecast {
        let rows = self
            .groups(&sim.draws, by, sim.period)
            .into_iter()
            .map(|(key, g)| {
                let s = sorted(&g.totals);
                RevenueRow {
                    name: self.rep_name(by, &key),
                    key,
                    closed_to_date: round2(g.closed),
                    p10: round2(quantile(&s, 0.1)),
                    p50: round2(quantile(&s, 0.5)),
                    p90: round2(quantile(&s, 0.9)),
                    mean: round2(s.iter().sum::<f64>() / s.len().max(1) as f64),
                    pipeline: round2(g.pipe_amount),
                    method: sim.method.clone(),
                }
            })
            .collect();
        let (_, total) = sim.draws.totals(|_, _| true);
        let s = sorted(&total);
        RevenueForecast {
            period: sim.period.to_string(),
            as_of: self.as_of,
            level: by,
            rows,
            distribution: (1..100).map(|k| round2(quantile(&s, k as f64 / 100.0))).collect(),
            draws: sim.draws.n,
            notes: sim.notes.clone(),
        }
    }

    /// Quota forecast of `period` at an organisation level.
    pub fn quota(&self, period: &str, level: Level) -> Result<QuotaForecast> {
        if level == Level::Product {
            return Err(Error::InvalidArgument(
                "quotas exist per rep, team, region and company, not per product".into(),
            ));
        }
        let p = self.period(period)?;
        let sim = self.simulate(p, &self.open)?;
        Ok(self.quota_rows(&sim, level))
    }

    /// Quota rows of a simulated period.
    pub fn quota_rows(&self, sim: &Simulated, level: Level) -> QuotaForecast {
        let p = sim.period;
        let mut quota: BTreeMap<String, f64> = BTreeMap::new();
        for r in 0..self.org.len() {
            if let Some(q) = self.quota_of(r, p) {
                *quota.entry(bookings::key(level, &self.org, r, "").to_string()).or_default() += q;
            }
        }
        let groups = self.groups(&sim.draws, level, p);
        let all_yield = {
            let (e, a) = groups.values().fold((0.0, 0.0), |(e, a), g| (e + g.pipe_expected, a + g.pipe_amount));
            if a > 0.0 { e / a } else { 0.0 }
        };
        let mut notes = sim.notes.clone();
        if quota.is_empty() {
            notes.push(Note::new(
                format!("no quotas for {p} in the data: attainment figures are null"),
                format!("数据中没有 {p} 的目标：达成率等各项为空"),
            ));
        }
        if matches!(p, Period::Month { .. }) {
            notes.push(Note::new("monthly quotas are a third of the quarter's", "月度目标取季度目标的三分之一"));
        }
        let rows = groups
            .into_iter()
            .map(|(key, g)| {
                let s = sorted(&g.totals);
                let p50 = quantile(&s, 0.5);
                let mean = s.iter().sum::<f64>() / s.len().max(1) as f64;
                let q = quota.get(&key).copied();
                let remaining = q.map(|q| (q - g.closed).max(0.0));
                let yld = if g.pipe_amount > 0.0 { g.pipe_expected / g.pipe_amount } else { all_yield };
                QuotaRow {
                    closed_to_date: round2(g.closed),
                    p10: round2(quantile(&s, 0.1)),
                    p50: round2(p50),
                    p90: round2(quantile(&s, 0.9)),
                    expected_attainment: q.filter(|q| *q > 0.0).and_then(|q| finite(mean / q)),
                    p_attain: q.map(|q| {
                        let hit = s.len() - s.partition_point(|v| *v < q);
                        finite(hit as f64 / s.len().max(1) as f64).unwrap_or(0.0)
                    }),
                    gap: q.map(|q| round2((q - p50).max(0.0))),
                    coverage_needed: remaining.and_then(|r| {
                        if r <= 0.0 {
                            Some(0.0)
                        } else if yld > 0.0 {
                            finite(1.0 / yld)
                        } else {
                            None
                        }
                    }),
                    coverage: remaining.filter(|r| *r > 0.0).and_then(|r| finite(g.pipe_amount / r)),
                    quota: q,
                    name: self.rep_name(level, &key),
                    key,
                }
            })
            .collect();
        QuotaForecast { period: p.to_string(), as_of: self.as_of, level, rows, notes }
    }

    /// Splits a company `target` for `period` into region, team and rep quotas in proportion to
    /// forecast capacity (expected bookings), within `limits`.
    pub fn plan(&self, period: &str, target: f64, limits: &PlanLimits) -> Result<QuotaPlan> {
        if !(target.is_finite() && target > 0.0) {
            return Err(Error::InvalidArgument(format!("the target must be a positive amount, got {target}")));
        }
        limits.check()?;
        let p = self.period(period)?;
        let sim = self.simulate(p, &self.open)?;
        let reps = self.groups(&sim.draws, Level::Rep, p);
        let idx: BTreeMap<&str, usize> = self.org.iter().enumerate().map(|(i, r)| (r.rep_id.as_str(), i)).collect();
        // Planned units: reps on board by the period's end.
        let members: Vec<(usize, &Group)> = reps
            .iter()
            .filter_map(|(k, g)| {
                let r = *idx.get(k.as_str())?;
                self.org[r].hired_at.is_none_or(|h| h <= p.last_day()).then_some((r, g))
            })
            .collect();
        let mean = |g: &Group| g.totals.iter().sum::<f64>() / g.totals.len().max(1) as f64;
        let n = sim.draws.n;
        let p_hit = |totals: &[f64], q: f64| totals.iter().filter(|t| **t >= q - 1e-9).count() as f64 / n.max(1) as f64;
        let add = |acc: &mut Vec<f64>, t: &[f64]| acc.iter_mut().zip(t).for_each(|(a, b)| *a += b);
        #[allow(clippy::type_complexity)] // region -> team -> members, local to this roll-up
        let mut regions: BTreeMap<&str, BTreeMap<&str, Vec<(usize, &Group)>>> = BTreeMap::new();
        for &(r, g) in &members {
            regions
                .entry(self.org[r].region.as_str())
                .or_default()
                .entry(self.org[r].team.as_str())
                .or_default()
                .push((r, g));
        }
        let mut rows = Vec::new();
        let region_tot: Vec<Vec<f64>> = regions
            .values()
            .map(|teams| {
                let mut t = vec![0.0; n];
                teams.values().flatten().for_each(|(_, g)| add(&mut t, &g.totals));
                t
            })
            .collect();
        let region_cap: Vec<f64> = region_tot.iter().map(|t| t.iter().sum::<f64>() / n as f64).collect();
        // Each unit's range: its level's floor and cap, within what its members can take
        // together (their floors add up to its least quota, their caps to its most). Without
        // it a region's proportional share could leave a team less than its reps' floors.
        let rep_range = limits.rep.range();
        let team_ranges: Vec<Vec<plan::Range>> = regions
            .values()
            .map(|teams| {
                teams
                    .iter()
                    .map(|(team, m)| {
                        plan::Range::sum(&vec![rep_range; m.len()]).within(limits.team, &format!("team {team}"))
                    })
                    .collect::<Result<_>>()
            })
            .collect::<Result<_>>()?;
        let region_ranges: Vec<plan::Range> = regions
            .keys()
            .zip(&team_ranges)
            .map(|(region, teams)| plan::Range::sum(teams).within(limits.region, &format!("region {region}")))
            .collect::<Result<_>>()?;
        let company_range = plan::Range::sum(&region_ranges);
        if company_range.lo > target * (1.0 + 1e-12) {
            return Err(Error::InvalidArgument(format!(
                "the floors need at least {:.0} in all (every region, team and rep at least at its floor, \
                 and at least at its members' floors together), above the target {target:.0}",
                company_range.lo
            )));
        }
        if company_range.hi < target * (1.0 - 1e-12) {
            return Err(Error::InvalidArgument(format!(
                "the caps allow at most {:.0} in all (every region, team and rep at most at its cap, \
                 and at most at its members' caps together), below the target {target:.0}",
                company_range.hi
            )));
        }
        let region_q = plan::allocate(target, &region_cap, &region_ranges, "the regions")?;
        let mut company = vec![0.0; n];
        for ((((region, teams), rq), (rt, rc)), team_ranges) in
            regions.iter().zip(&region_q).zip(region_tot.iter().zip(&region_cap)).zip(&team_ranges)
        {
            add(&mut company, rt);
            rows.push(PlanRow {
                level: Level::Region,
                key: region.to_string(),
                name: None,
                parent: None,
                capacity: round2(*rc),
                quota: round2(*rq),
                p_attain: p_hit(rt, *rq),
            });
            let team_tot: Vec<Vec<f64>> = teams
                .values()
                .map(|m| {
                    let mut t = vec![0.0; n];
                    m.iter().for_each(|(_, g)| add(&mut t, &g.totals));
                    t
                })
                .collect();
            let team_cap: Vec<f64> = team_tot.iter().map(|t| t.iter().sum::<f64>() / n as f64).collect();
            let team_q = plan::allocate(*rq, &team_cap, team_ranges, &format!("the teams of region {region}"))?;
            for (((team, m), tq), (tt, tc)) in teams.iter().zip(&team_q).zip(team_tot.iter().zip(&team_cap)) {
                rows.push(PlanRow {
                    level: Level::Team,
                    key: team.to_string(),
                    name: None,
                    parent: Some(region.to_string()),
                    capacity: round2(*tc),
                    quota: round2(*tq),
                    p_attain: p_hit(tt, *tq),
                });
                let caps: Vec<f64> = m.iter().map(|(_, g)| mean(g)).collect();
                let rep_q = plan::allocate(*tq, &caps, &vec![rep_range; m.len()], &format!("the reps of team {team}"))?;
                for ((r, g), q) in m.iter().zip(&rep_q) {
                    rows.push(PlanRow {
                        level: Level::Rep,
                        key: self.org[*r].rep_id.clone(),
                        name: Some(self.org[*r].name.clone()).filter(|n| !n.is_empty()),
                        parent: Some(team.to_string()),
                        capacity: round2(mean(g)),
                        quota: round2(*q),
                        p_attain: p_hit(&g.totals, *q),
                    });
                }
            }
        }
        let capacity = company.iter().sum::<f64>() / n as f64;
        Ok(QuotaPlan {
            period: p.to_string(),
            as_of: self.as_of,
            target,
            capacity: round2(capacity),
            p_attain: p_hit(&company, target),
            limits: *limits,
            rows,
            notes: sim.notes,
        })
    }

    /// Loads the current forecast model of a registry.
    pub fn load(registry: &crate::registry::Registry) -> Result<ForecastModel> {
        let (version, bytes) = registry.read_current("forecast", "model.json")?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::InvalidArgument(format!("forecast model {version} does not load: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ratios 0.8, 1.0, 1.2 vary by 0.04 (sample variance); their deals' chance explains 0.01 of
    /// it: the level spreads by √0.03. Chance that explains it all, or fewer than 3 origins,
    /// leaves none.
    #[test]
    fn the_level_spreads_by_what_chance_does_not_explain() {
        assert!((level_spread(&[(0.8, 0.01), (1.0, 0.01), (1.2, 0.01)]) - 0.03f64.sqrt()).abs() < 1e-12);
        assert_eq!(level_spread(&[(0.8, 0.05), (1.0, 0.05), (1.2, 0.05)]), 0.0);
        assert_eq!(level_spread(&[(0.5, 0.0), (1.5, 0.0)]), 0.0);
    }
}
