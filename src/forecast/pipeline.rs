//! The pipeline view of a period's bookings, as a Monte Carlo over three parts:
//!
//! 1. **closed to date** — won deals already closed inside the period (known, no uncertainty);
//! 2. **the open pipeline** — each open deal is won with its win probability (from the
//!    opportunity model, or from the empirical win rate of its stage and age) and, if won,
//!    closes after a delay drawn from the time-to-close model of its stage and age: the
//!    empirical distribution of the remaining days of deals that were in the same stage at the
//!    same age, at the same time of year, and were won (year-end signing and the quarter-end
//!    push make a September pipeline close faster than a January one). Deals whose drawn
//!    close falls after the period slip out of it;
//! 3. **new business** — deals not created yet that will be created and won inside the period.
//!    Their expected amount comes from the history of "created after the same point and won in
//!    the period" for past periods (a series forecast by [`crate::forecast::ts`], so its season
//!    and level carry over), shared among reps by their recent share (shrunk towards an equal
//!    share), with counts drawn as a Poisson–gamma mixture (rep-level over-dispersion) scaled by
//!    a company-wide factor drawn from the series forecast's interval, and amounts resampled
//!    from recent new deals.
//!
//! Draws are kept per cell (rep × product) so that every level — rep, team, region, product,
//! company — is a sum of the same draws: roll-ups are coherent and joint probabilities are
//! right. Written here because no crate does sales-pipeline simulation; the time-to-close model
//! is the empirical (Kaplan–Meier-free) conditional distribution, restricted to snapshots old
//! enough for their outcome to be known, which removes most of the right-censoring bias.

use super::bookings::{Grain, RepInfo, Won, steps_between};
use crate::domain::{Dataset, Period, Stage, Status};
use crate::{Error, Result};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The pipeline stages of an open deal, in order (indexes of the time-to-close cells).
pub const STAGES: [Stage; 4] = [Stage::Discovery, Stage::Qualification, Stage::Negotiation, Stage::Contract];
/// Upper bounds (days, exclusive) of the age buckets; the last bucket is open-ended.
pub const AGE_BOUNDS: [i64; 3] = [30, 90, 180];
/// Quantiles kept per cell of the time-to-close model.
const GRID: usize = 41;
/// Days between training snapshots of a deal, and at most how many per deal.
const EVERY: i64 = 30;
const MAX_SNAPSHOTS: i64 = 8;
/// Snapshots younger than this (before the fitting date) are left out of the time-to-close
/// distribution when a cell has enough older ones: their slow deals have not closed yet.
const MATURE_DAYS: i64 = 180;
const MIN_CELL: usize = 30;

/// Snapshots within this many days of the fitting date's day of the year (in any earlier year)
/// give the time-to-close distribution of a cell when it has [`MIN_CELL`] of them and the
/// history reaches back over that time of year.
const SEASON_DAYS: i64 = 45;

/// Whether `a` falls within [`SEASON_DAYS`] of `b`'s day of the year (across the new year too).
fn same_time_of_year(a: NaiveDate, b: NaiveDate) -> bool {
    use chrono::Datelike;
    let d = (a.ordinal() as i64 - b.ordinal() as i64).rem_euclid(365);
    d.min(365 - d) <= SEASON_DAYS
}

fn stage_index(s: Stage) -> usize {
    match s {
        Stage::Lead | Stage::Discovery => 0,
        Stage::Qualification => 1,
        Stage::Negotiation => 2,
        Stage::Contract | Stage::Collection => 3,
    }
}

fn age_bucket(age: i64) -> usize {
    AGE_BOUNDS.iter().position(|&b| age < b).unwrap_or(AGE_BOUNDS.len())
}

fn cell(stage: Stage, age: i64) -> usize {
    stage_index(stage) * (AGE_BOUNDS.len() + 1) + age_bucket(age)
}

const CELLS: usize = STAGES.len() * (AGE_BOUNDS.len() + 1);

/// Time to close and empirical win rates by stage and age.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloseModel {
    /// Per cell, `GRID` quantiles (0 to 1) of the days from a snapshot to the win.
    pub remaining_days: Vec<Vec<f64>>,
    /// Per cell, the share of snapshots whose deal was eventually won (shrunk towards the stage).
    pub win_rate: Vec<f64>,
    /// Per cell, how many won snapshots the distribution rests on (before pooling).
    pub evidence: Vec<usize>,
}

fn quantiles(mut v: Vec<f64>) -> Vec<f64> {
    if v.is_empty() {
        return vec![45.0; GRID];
    }
    v.sort_by(f64::total_cmp);
    (0..GRID)
        .map(|k| {
            let x = k as f64 / (GRID - 1) as f64 * (v.len() - 1) as f64;
            let (i, f) = (x.floor() as usize, x.fract());
            v[i] + f * (v[(i + 1).min(v.len() - 1)] - v[i])
        })
        .collect()
}

impl CloseModel {
    /// Fits from the deals closed by `as_of` in `ds`, each seen at creation and every 30 days
    /// until it closed.
    pub fn fit(ds: &Dataset, as_of: NaiveDate) -> CloseModel {
        let mut stages: FxHashMap<&str, Vec<(NaiveDate, Stage)>> = FxHashMap::default();
        for s in &ds.stage_history {
            stages.entry(s.opportunity_id.as_str()).or_default().push((s.entered_at, s.stage));
        }
        for v in stages.values_mut() {
            v.sort();
        }
        // (cell, snapshot date, days to close if won)
        let mut snaps: Vec<(usize, NaiveDate, Option<f64>)> = Vec::new();
        for o in &ds.opportunities {
            let (true, Some(closed)) = (o.status.is_closed(), o.closed_at) else { continue };
            if closed > as_of {
                continue;
            }
            let hist = stages.get(o.opportunity_id.as_str());
            for k in 0..MAX_SNAPSHOTS {
                let t = o.created_at + chrono::Duration::days(k * EVERY);
                if t >= closed && k > 0 {
                    break;
                }
                let stage =
                    hist.and_then(|h| h.iter().rev().find(|(d, _)| *d <= t).map(|x| x.1)).unwrap_or(Stage::Discovery);
                let won = (o.status == Status::Won).then(|| ((closed - t).num_days()).max(1) as f64);
                snaps.push((cell(stage, k * EVERY), t, won));
            }
        }
        let mature = as_of - chrono::Duration::days(MATURE_DAYS);
        // The time of year counts only when the history covers it in an earlier year, from the
        // first recorded close on: before it a CRM holds what was imported at go-live (deals
        // open for months that all close on the first days), not a season's pace.
        let closes = ds.opportunities.iter().filter(|o| o.status.is_closed()).filter_map(|o| o.closed_at);
        let known_from = closes.min().max(ds.opportunities.iter().map(|o| o.created_at).min());
        let seasons = known_from.is_some_and(|d| d <= as_of - chrono::Duration::days(365 + SEASON_DAYS));
        let mut remaining = Vec::with_capacity(CELLS);
        let mut evidence = Vec::with_capacity(CELLS);
        let per_stage = AGE_BOUNDS.len() + 1;
        for c in 0..CELLS {
            let all: Vec<(NaiveDate, f64)> =
                snaps.iter().filter(|s| s.0 == c).filter_map(|s| s.2.map(|d| (s.1, d))).collect();
            let old: Vec<(NaiveDate, f64)> = all.iter().copied().filter(|s| s.0 <= mature).collect();
            // Deals move at the pace of the calendar ahead of them (year-end signing, the
            // quarter-end push, holidays): the snapshots taken at this time of year in earlier
            // years, when there are enough of them.
            let season: Vec<f64> = if seasons {
                old.iter().filter(|s| same_time_of_year(s.0, as_of)).map(|s| s.1).collect()
            } else {
                Vec::new()
            };
            let mut v = if season.len() >= MIN_CELL {
                season
            } else if old.len() >= MIN_CELL {
                old.into_iter().map(|s| s.1).collect()
            } else {
                all.iter().map(|s| s.1).collect()
            };
            evidence.push(v.len());
            if v.len() < MIN_CELL {
                // Pool the stage's ages, then every stage.
                let stage = c / per_stage;
                v = snaps.iter().filter(|s| s.0 / per_stage == stage).filter_map(|s| s.2).collect::<Vec<_>>();
                if v.len() < MIN_CELL {
                    v = snaps.iter().filter_map(|s| s.2).collect();
                }
            }
            remaining.push(quantiles(v));
        }
        let rate = |f: &dyn Fn(usize) -> bool| {
            let (w, n) =
                snaps.iter().filter(|s| f(s.0)).fold((0.0, 0.0), |(w, n), s| (w + s.2.is_some() as u8 as f64, n + 1.0));
            (w, n)
        };
        let (w_all, n_all) = rate(&|_| true);
        let overall = if n_all > 0.0 { w_all / n_all } else { 0.3 };
        let win_rate = (0..CELLS)
            .map(|c| {
                let (ws, ns) = rate(&|x| x / per_stage == c / per_stage);
                let stage_rate = (ws + 20.0 * overall) / (ns + 20.0);
                let (wc, nc) = rate(&|x| x == c);
                (wc + 20.0 * stage_rate) / (nc + 20.0)
            })
            .collect();
        CloseModel { remaining_days: remaining, win_rate, evidence }
    }

    /// Draws the days from now to the close of a deal that will be won.
    fn draw_days(&self, c: usize, u: f64) -> f64 {
        let q = &self.remaining_days[c];
        let x = u.clamp(0.0, 1.0) * (q.len() - 1) as f64;
        let (i, f) = (x.floor() as usize, x.fract());
        let v = q[i] + f * (q[(i + 1).min(q.len() - 1)] - q[i]);
        v.max(1.0)
    }

    /// The empirical win probability of a deal in `stage` at `age` days.
    pub fn win_rate(&self, stage: Stage, age: i64) -> f64 {
        self.win_rate[cell(stage, age)]
    }
}

/// An open deal as the forecast sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenDeal {
    pub opportunity_id: String,
    /// Index of the owner in the organisation's reps.
    pub rep: usize,
    pub product: String,
    pub amount: f64,
    #[serde(with = "super::wire::stage")]
    pub stage: Stage,
    pub created_at: NaiveDate,
    pub win_probability: f64,
}

/// Simulated bookings of one period: per cell (rep × product) the amount closed to date and the
/// uncertain rest in each draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Draws {
    pub cells: Vec<(usize, String)>,
    pub closed: Vec<f64>,
    /// `draws[c][d]`: the uncertain bookings of cell `c` in draw `d` (open pipeline + new).
    pub draws: Vec<Vec<f64>>,
    /// Per cell, the expected amount from the open pipeline (probability-weighted, in period).
    pub pipeline_expected: Vec<f64>,
    /// Per cell, the open pipeline amount (all open deals of the cell).
    pub pipeline_amount: Vec<f64>,
    pub n: usize,
}

impl Draws {
    /// The totals per draw over the cells `pick` keeps (closed to date included).
    pub fn totals(&self, pick: impl Fn(usize, &str) -> bool) -> (f64, Vec<f64>) {
        let mut t = vec![0.0; self.n];
        let mut closed = 0.0;
        for (c, (rep, product)) in self.cells.iter().enumerate() {
            if !pick(*rep, product) {
                continue;
            }
            closed += self.closed[c];
            for (a, b) in t.iter_mut().zip(&self.draws[c]) {
                *a += b;
            }
        }
        for a in t.iter_mut() {
            *a += closed;
        }
        (closed, t)
    }

    /// Scales every cell's uncertain part in draw `d` by `k[d]` (the blend with the series view).
    pub fn scale(&mut self, k: &[f64]) {
        for row in self.draws.iter_mut() {
            for (v, f) in row.iter_mut().zip(k) {
                *v *= f;
            }
        }
    }
}

/// How new business (deals created after the as-of and won inside the period) behaved.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBusiness {
    /// The series of past periods' new-and-won amounts (same timing relative to the period).
    pub series: Vec<f64>,
    /// Expected amount per rep for the target period.
    pub per_rep: Vec<f64>,
    /// The company-level series forecast step (P10/P50/P90) for the target period.
    pub step: Option<super::ts::Step>,
    /// Recent new deals (product, amount), per rep and pooled.
    pub pool: Vec<(usize, String, f64)>,
    pub notes: Vec<String>,
}

/// Rep-level over-dispersion of new business: the gamma shape of the rate multiplier
/// (coefficient of variation 1/√shape).
pub const NEW_BUSINESS_SHAPE: f64 = 4.0;
/// Weight of an equal share when sharing new business among reps, in periods of history.
const SHARE_PRIOR: f64 = 0.5;

/// Estimates new business for `period` seen from `as_of`.
pub fn new_business(org: &[RepInfo], won: &[Won], as_of: NaiveDate, period: Period) -> Result<NewBusiness> {
    let grain = Grain::of_period(period);
    let lead = (period.start() - as_of).num_days();
    let first = won.iter().map(|w| w.created).min();
    let mut notes = Vec::new();
    let Some(first) = first else {
        return Ok(NewBusiness {
            series: vec![],
            per_rep: vec![0.0; org.len()],
            step: None,
            pool: vec![],
            notes: vec!["no won deals in the history: no new business expected".into()],
        });
    };
    // Past complete periods, oldest first, whose matching origin lies inside the history.
    let last_complete = grain.period(as_of + chrono::Duration::days(1)).offset(-1);
    let mut periods = Vec::new();
    let mut p = last_complete;
    loop {
        let origin = p.start() - chrono::Duration::days(lead);
        if origin < first + chrono::Duration::days(1) || origin > as_of {
            break;
        }
        periods.push((p, origin));
        p = p.offset(-1);
    }
    periods.reverse();
    let mut series = vec![0.0; periods.len()];
    let season = grain.season();
    let recent_from = periods.len().saturating_sub(season);
    let mut by_rep = vec![0.0; org.len()];
    let mut pool = Vec::new();
    for w in won {
        for (i, (p, origin)) in periods.iter().enumerate() {
            if w.created > *origin && p.contains(w.closed) {
                series[i] += w.amount;
                if i >= recent_from {
                    by_rep[w.rep] += w.amount;
                    pool.push((w.rep, w.product.clone(), w.amount));
                }
            }
        }
    }
    let step = if series.is_empty() {
        notes.push("no past period to learn new business from: none expected".into());
        None
    } else {
        let h = steps_between(last_complete, period).max(1) as usize;
        let f = super::ts::forecast(&series, h, season)?;
        notes.extend(f.notes.iter().map(|n| format!("new business: {n}")));
        f.steps.get(h - 1).copied()
    };
    let expected = step.map_or(0.0, |s| s.p50.max(0.0));
    // Reps active by the end of the period share it.
    let active: Vec<bool> = org.iter().map(|r| r.hired_at.is_none_or(|h| h <= period.last_day())).collect();
    let n_active = active.iter().filter(|a| **a).count().max(1) as f64;
    let total: f64 = by_rep.iter().zip(&active).filter(|(_, a)| **a).map(|(v, _)| v).sum();
    let periods_used = (periods.len() - recent_from).max(1) as f64;
    let prior = SHARE_PRIOR / periods_used * (total / n_active).max(1e-9);
    let denom: f64 = by_rep.iter().zip(&active).filter(|(_, a)| **a).map(|(v, _)| v + prior).sum();
    let per_rep = by_rep
        .iter()
        .zip(&active)
        .map(|(v, a)| if *a && denom > 0.0 { expected * (v + prior) / denom } else { 0.0 })
        .collect();
    Ok(NewBusiness { series, per_rep, step, pool, notes })
}

/// How much of the open pipeline converts in each season of the year, relative to the average
/// period: the open pipeline of a past period's eve, and the part of it won inside the period
/// (a year-end push shows as a Q4 factor above 1). Learned from the history alone; the
/// simulation multiplies every open deal's win probability by its target period's factor,
/// so the per-deal probabilities (the opportunity model's, which has no notion of the calendar
/// beyond a month feature) keep their ranking and the level follows the season.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeasonalConversion {
    /// Per quarter of the year (Q1..Q4), empty when the history is too short.
    pub quarter: Vec<f64>,
    /// Per month of the year.
    pub month: Vec<f64>,
}

/// Pseudo-periods at the average ratio that shrink a season's factor towards 1.
const SEASON_PRIOR: f64 = 1.0;

impl SeasonalConversion {
    pub fn fit(ds: &Dataset, as_of: NaiveDate) -> SeasonalConversion {
        SeasonalConversion {
            quarter: season_factors(ds, as_of, Grain::Quarter),
            month: season_factors(ds, as_of, Grain::Month),
        }
    }

    /// The factor of `period`'s season (1 without history).
    pub fn factor(&self, period: Period) -> f64 {
        let (v, i) = match period {
            Period::Quarter { quarter, .. } => (&self.quarter, quarter as usize - 1),
            Period::Month { month, .. } => (&self.month, month as usize - 1),
        };
        v.get(i).copied().unwrap_or(1.0)
    }
}

fn season_index(p: Period) -> usize {
    match p {
        Period::Quarter { quarter, .. } => quarter as usize - 1,
        Period::Month { month, .. } => month as usize - 1,
    }
}

/// Per season, (mean ratio of the season's periods + prior) / overall mean ratio, in
/// [0.5, 2]; empty unless every season has at least one complete period of history.
fn season_factors(ds: &Dataset, as_of: NaiveDate, grain: Grain) -> Vec<f64> {
    let Some(first) = ds.opportunities.iter().map(|o| o.created_at).min() else { return Vec::new() };
    // The pipeline needs time to fill: origins from one quarter after the first deal.
    let earliest = first + chrono::Duration::days(91);
    let mut ratios: Vec<(usize, f64)> = Vec::new();
    let mut p = grain.period(as_of + chrono::Duration::days(1)).offset(-1);
    while p.last_day() <= as_of {
        let origin = p.start() - chrono::Duration::days(1);
        if origin < earliest {
            break;
        }
        let (mut open, mut won) = (0.0, 0.0);
        for o in &ds.opportunities {
            if o.created_at > origin || o.closed_at.is_some_and(|c| c <= origin) || !o.amount.is_finite() {
                continue;
            }
            open += o.amount;
            if o.status == Status::Won && o.closed_at.is_some_and(|c| p.contains(c)) {
                won += o.amount;
            }
        }
        if open > 0.0 {
            ratios.push((season_index(p), won / open));
        }
        p = p.offset(-1);
    }
    let season = grain.season();
    if ratios.is_empty() {
        return Vec::new();
    }
    let mean = ratios.iter().map(|r| r.1).sum::<f64>() / ratios.len() as f64;
    if mean <= 0.0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(season);
    for s in 0..season {
        let of: Vec<f64> = ratios.iter().filter(|r| r.0 == s).map(|r| r.1).collect();
        if of.is_empty() {
            return Vec::new();
        }
        let m = (of.iter().sum::<f64>() + SEASON_PRIOR * mean) / (of.len() as f64 + SEASON_PRIOR);
        out.push((m / mean).clamp(0.5, 2.0));
    }
    out
}

/// Simulation settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimSettings {
    pub draws: usize,
    pub seed: u64,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings { draws: 2000, seed: 42 }
    }
}

/// Simulates the bookings of `period` seen from `as_of`.
pub fn simulate(
    org: &[RepInfo],
    won: &[Won],
    open: &[OpenDeal],
    close: &CloseModel,
    as_of: NaiveDate,
    period: Period,
    settings: SimSettings,
    conversion: f64,
) -> Result<(Draws, NewBusiness)> {
    if settings.draws == 0 {
        return Err(Error::InvalidArgument("the number of draws must be positive".into()));
    }
    let n = settings.draws;
    let nb = new_business(org, won, as_of, period)?;
    let mut cell_of: FxHashMap<(usize, String), usize> = FxHashMap::default();
    let mut cells: Vec<(usize, String)> = Vec::new();
    let mut idx = |rep: usize, product: &str, cells: &mut Vec<(usize, String)>| -> usize {
        *cell_of.entry((rep, product.to_string())).or_insert_with(|| {
            cells.push((rep, product.to_string()));
            cells.len() - 1
        })
    };
    // Cells in a fixed order: closed deals, then open deals, then the new-business pool.
    let closed_in: Vec<&Won> = won.iter().filter(|w| period.contains(w.closed) && w.closed <= as_of).collect();
    for w in &closed_in {
        idx(w.rep, &w.product, &mut cells);
    }
    for o in open {
        idx(o.rep, &o.product, &mut cells);
    }
    for (r, p, _) in &nb.pool {
        idx(*r, p, &mut cells);
    }
    let mut closed = vec![0.0; cells.len()];
    for w in &closed_in {
        closed[idx(w.rep, &w.product, &mut cells)] += w.amount;
    }
    let m = cells.len();
    let mut draws = vec![vec![0.0; n]; m];
    let mut pipeline_expected = vec![0.0; m];
    let mut pipeline_amount = vec![0.0; m];
    let mut seed = settings.seed ^ 0x9E37_79B9_7F4A_7C15;
    for b in period.to_string().bytes() {
        seed = seed.rotate_left(7) ^ b as u64;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // The open pipeline, deal by deal.
    let start_gap = (period.start() - as_of).num_days() as f64;
    let end_gap = (period.end_exclusive() - as_of).num_days() as f64;
    for o in open {
        let c = idx(o.rep, &o.product, &mut cells);
        let age = (as_of - o.created_at).num_days().max(0);
        let tc = cell(o.stage, age);
        let p = (o.win_probability * conversion).clamp(0.0, 1.0);
        pipeline_amount[c] += o.amount;
        let mut hits = 0usize;
        for d in 0..n {
            if rng.random::<f64>() >= p {
                continue;
            }
            let days = close.draw_days(tc, rng.random::<f64>());
            if days >= start_gap && days < end_gap {
                draws[c][d] += o.amount;
                hits += 1;
            }
        }
        pipeline_expected[c] += o.amount * hits as f64 / n as f64;
    }
    // New business: a company factor per draw, a rep multiplier, Poisson counts, resampled sizes.
    let mut pools: FxHashMap<usize, Vec<(usize, f64)>> = FxHashMap::default();
    let mut all_pool: Vec<(usize, f64)> = Vec::new();
    for (r, p, a) in &nb.pool {
        let c = idx(*r, p, &mut cells);
        pools.entry(*r).or_default().push((c, *a));
        all_pool.push((c, *a));
    }
    if let Some(step) = nb.step.filter(|s| s.p50 > 0.0 && !all_pool.is_empty()) {
        let factors: Vec<f64> = (0..n).map(|_| (step.quantile(rng.random::<f64>()) / step.p50).max(0.0)).collect();
        let gamma = Gamma::new(NEW_BUSINESS_SHAPE, 1.0 / NEW_BUSINESS_SHAPE)
            .map_err(|e| Error::InvalidArgument(format!("gamma: {e}")))?;
        for (r, &mu) in nb.per_rep.iter().enumerate() {
            if mu <= 0.0 {
                continue;
            }
            let own = pools.get(&r).filter(|v| v.len() >= 10);
            let pool: Vec<(usize, f64)> = match own {
                Some(v) => v.clone(),
                // Too few deals of their own: the company's sizes, booked to the rep's cells.
                None => all_pool.iter().map(|(c, a)| (idx(r, &cells[*c].1.clone(), &mut cells), *a)).collect(),
            };
            let mean = pool.iter().map(|x| x.1).sum::<f64>() / pool.len() as f64;
            let lambda = mu / mean.max(1e-9);
            for (d, f) in factors.iter().enumerate() {
                let rate = lambda * f * gamma.sample(&mut rng);
                if rate <= 0.0 {
                    continue;
                }
                let k = Poisson::new(rate).map(|p| p.sample(&mut rng) as usize).unwrap_or(0);
                for _ in 0..k {
                    let (c, a) = pool[rng.random_range(0..pool.len())];
                    if c >= draws.len() {
                        draws.resize(c + 1, vec![0.0; n]);
                        closed.resize(c + 1, 0.0);
                        pipeline_expected.resize(c + 1, 0.0);
                        pipeline_amount.resize(c + 1, 0.0);
                    }
                    draws[c][d] += a;
                }
            }
        }
    }
    let m = cells.len();
    draws.resize(m, vec![0.0; n]);
    closed.resize(m, 0.0);
    pipeline_expected.resize(m, 0.0);
    pipeline_amount.resize(m, 0.0);
    Ok((Draws { cells, closed, draws, pipeline_expected, pipeline_amount, n }, nb))
}

/// The open deals of `ds` as of `as_of` (status open, created by then), with the stage of the
/// data. Win probabilities come from `p` (one per deal, in the order of the open deals), or the
/// empirical rates of `close` when `p` is `None`.
pub fn open_deals(
    ds: &Dataset,
    org: &[RepInfo],
    as_of: NaiveDate,
    close: &CloseModel,
    p: Option<&[f64]>,
) -> Vec<OpenDeal> {
    let idx: FxHashMap<&str, usize> = org.iter().enumerate().map(|(i, r)| (r.rep_id.as_str(), i)).collect();
    ds.opportunities
        .iter()
        .filter(|o| !o.status.is_closed())
        .enumerate()
        .filter_map(|(k, o)| {
            let rep = *idx.get(o.owner_id.as_str())?;
            let age = (as_of - o.created_at).num_days().max(0);
            let prob = p.and_then(|p| p.get(k).copied()).unwrap_or_else(|| close.win_rate(o.stage, age));
            Some(OpenDeal {
                opportunity_id: o.opportunity_id.clone(),
                rep,
                product: o.product.clone(),
                amount: o.amount,
                stage: o.stage,
                created_at: o.created_at,
                win_probability: if prob.is_finite() { prob } else { 0.0 },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_quantiles() {
        assert_eq!(age_bucket(0), 0);
        assert_eq!(age_bucket(30), 1);
        assert_eq!(age_bucket(500), 3);
        assert_eq!(cell(Stage::Contract, 10), 12);
        let q = quantiles(vec![1.0, 2.0, 3.0]);
        assert_eq!(q.len(), GRID);
        assert_eq!((q[0], q[20], q[40]), (1.0, 2.0, 3.0));
    }

    #[test]
    fn the_time_of_year_wraps_around_the_new_year() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(same_time_of_year(d("2024-12-20"), d("2026-01-15")));
        assert!(same_time_of_year(d("2023-09-01"), d("2026-09-30")));
        assert!(!same_time_of_year(d("2025-03-01"), d("2026-09-30")));
        assert!(!same_time_of_year(d("2025-08-10"), d("2026-09-30")));
    }

    /// Deals created from August to October close in 10 days, the others in 60: seen from the
    /// end of September the time to close is the autumn's, from the end of March the spring's.
    #[test]
    fn time_to_close_follows_the_time_of_year() {
        use crate::domain::Opportunity;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut ds = Dataset::default();
        let mut day = d("2023-01-01");
        while day < d("2026-09-30") {
            use chrono::Datelike;
            let fast = (8..=10).contains(&day.month());
            ds.opportunities.push(Opportunity {
                opportunity_id: format!("O{day}"),
                owner_id: "R1".into(),
                product: "suite".into(),
                amount: 10.0,
                created_at: day,
                stage: Stage::Discovery,
                status: Status::Won,
                lead_id: None,
                account_id: None,
                industry: None,
                expected_close: None,
                closed_at: Some(day + chrono::Duration::days(if fast { 10 } else { 60 })),
                discount_pct: None,
            });
            day += chrono::Duration::days(1);
        }
        let median = |ds: &Dataset, as_of: &str| {
            CloseModel::fit(ds, d(as_of)).remaining_days[cell(Stage::Discovery, 0)][GRID / 2]
        };
        assert_eq!(median(&ds, "2026-09-30"), 10.0);
        assert_eq!(median(&ds, "2026-03-31"), 60.0);
        // A history that starts inside last year's window (here in September) has not seen
        // that time of year whole: every season's snapshots count.
        ds.opportunities.retain(|o| o.created_at >= d("2025-09-01"));
        assert_eq!(median(&ds, "2026-09-30"), 60.0);
    }

    /// Every quarter-eve holds 100 of pipeline; Q4 wins 40 of it, the other quarters 20.
    #[test]
    fn seasonal_conversion_sees_a_year_end_push() {
        use crate::domain::Opportunity;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut ds = Dataset::default();
        let mut p = Period::quarter_of(d("2024-01-01"));
        let mut n = 0;
        while p.last_day() <= d("2026-09-30") {
            let eve = p.start() - chrono::Duration::days(1);
            let won = if matches!(p, Period::Quarter { quarter: 4, .. }) { 2 } else { 1 };
            for k in 0..5 {
                n += 1;
                let (status, closed_at) = if k < won {
                    (Status::Won, Some(p.start() + chrono::Duration::days(20)))
                } else {
                    (Status::Lost, Some(p.start() + chrono::Duration::days(10)))
                };
                ds.opportunities.push(Opportunity {
                    opportunity_id: format!("O{n}"),
                    owner_id: "R1".into(),
                    product: "suite".into(),
                    amount: 20.0,
                    created_at: eve - chrono::Duration::days(5),
                    stage: Stage::Negotiation,
                    status,
                    lead_id: None,
                    account_id: None,
                    industry: None,
                    expected_close: None,
                    closed_at,
                    discount_pct: None,
                });
            }
            p = p.next();
        }
        let c = SeasonalConversion::fit(&ds, d("2026-09-30"));
        assert_eq!(c.quarter.len(), 4);
        // Ratios: Q4 0.4 (2 periods), others 0.2 (2–3 periods); mean ≈ 0.244. Q4 shrunk by
        // one pseudo-period at the mean: (0.8 + 0.244) / 3 / 0.244 ≈ 1.43.
        let q4 = c.factor(Period::quarter_of(d("2026-12-01")));
        let q1 = c.factor(Period::quarter_of(d("2027-02-01")));
        assert!(q4 > 1.3 && q4 < 1.6, "{c:?}");
        assert!(q1 < 1.0 && q1 > 0.7, "{c:?}");
        // Months: a month without its own history gives no factors at all, never a guess.
        assert!(c.month.is_empty() || c.month.len() == 12);
        assert_eq!(SeasonalConversion::default().factor(Period::quarter_of(d("2026-12-01"))), 1.0);
    }
}
