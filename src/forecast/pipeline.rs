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
//!    the period" for past periods: the same season's mean count, grown with the deal flow,
//!    times the product mix's size ([`new_business`]; a series forecast by
//!    [`crate::forecast::ts`] when the season has been seen fewer than twice). It is shared
//!    among reps by their deal flow and win rate ([`rep_flow`]), with counts drawn as a
//!    Poisson–gamma mixture (rep-level over-dispersion) scaled by a company-wide factor per
//!    draw for what is not known of the expectation, and amounts resampled from recent new
//!    deals.
//!
//! Draws are kept per cell (rep × product) so that every level — rep, team, region, product,
//! company — is a sum of the same draws: roll-ups are coherent and joint probabilities are
//! right. Written here because no crate does sales-pipeline simulation; the time-to-close model
//! is the empirical (Kaplan–Meier-free) conditional distribution, restricted to snapshots old
//! enough for their outcome to be known, which removes most of the right-censoring bias.

use super::Note;
use super::bookings::{Grain, RepInfo, Won, steps_between};
use crate::domain::{Dataset, Period, Stage, Status};
use crate::{Error, Result};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Normal, Poisson};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// The seasonal time-to-close distribution sees the deals that were open on the fitting date's
/// calendar day in earlier years, and every [`SEASON_STEP`] days up to [`SEASON_DAYS`] either
/// side of it: a cell uses them when it has [`MIN_CELL`] won ones.
///
/// Seen on that date, a deal has the calendar ahead of it that an open deal has now (the
/// year-end signing, the quarter-end push, January's lull). Snapshots taken at creation and
/// every 30 days after, filtered to a window of the day of the year, did not: on the simulated
/// worlds they gave the wins of the open pipeline due by the end of March 0.86 inside Q4 where
/// 0.92 closed there (and the history's own earlier years show 0.91–0.95).
const SEASON_DAYS: i64 = 14;
const SEASON_STEP: usize = 7;
/// A date is seen only when the history has run this long before it, counted from its first
/// recorded close: before, a CRM holds what was imported at go-live (deals open for months that
/// all close on the first days), and the deals open on a date just after it are those survivors.
const SEASON_SETTLED_DAYS: i64 = 90;

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
                let stage = stage_on(hist, t);
                let won = (o.status == Status::Won).then(|| ((closed - t).num_days()).max(1) as f64);
                snaps.push((cell(stage, k * EVERY), t, won));
            }
        }
        let mature = as_of - chrono::Duration::days(MATURE_DAYS);
        let seasonal = seasonal_snapshots(ds, &stages, as_of);
        let mut remaining = Vec::with_capacity(CELLS);
        let mut evidence = Vec::with_capacity(CELLS);
        let per_stage = AGE_BOUNDS.len() + 1;
        for c in 0..CELLS {
            let all: Vec<(NaiveDate, f64)> =
                snaps.iter().filter(|s| s.0 == c).filter_map(|s| s.2.map(|d| (s.1, d))).collect();
            let old: Vec<(NaiveDate, f64)> = all.iter().copied().filter(|s| s.0 <= mature).collect();
            // Deals move at the pace of the calendar ahead of them: the deals open at this
            // time of year in earlier years, when there are enough of them.
            let season: Vec<f64> = seasonal.iter().filter(|s| s.0 == c).map(|s| s.1).collect();
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

/// The stage of a deal on `t`, from its sorted stage history (discovery before the first entry).
fn stage_on(hist: Option<&Vec<(NaiveDate, Stage)>>, t: NaiveDate) -> Stage {
    hist.and_then(|h| h.iter().rev().find(|(d, _)| *d <= t).map(|x| x.1)).unwrap_or(Stage::Discovery)
}

/// (cell, days to the win) of the deals closed by `as_of` that were open on the dates around
/// `as_of`'s calendar day in earlier years (see [`SEASON_DAYS`]) and were won.
fn seasonal_snapshots(
    ds: &Dataset,
    stages: &FxHashMap<&str, Vec<(NaiveDate, Stage)>>,
    as_of: NaiveDate,
) -> Vec<(usize, f64)> {
    let closes = ds.opportunities.iter().filter(|o| o.status.is_closed()).filter_map(|o| o.closed_at);
    let Some(known_from) = closes.min().max(ds.opportunities.iter().map(|o| o.created_at).min()) else {
        return Vec::new();
    };
    let settled = known_from + chrono::Duration::days(SEASON_SETTLED_DAYS);
    let mut dates = Vec::new();
    for years in 1u32.. {
        let Some(centre) = as_of.checked_sub_months(chrono::Months::new(12 * years)) else { break };
        if centre + chrono::Duration::days(SEASON_DAYS) < settled {
            break;
        }
        for delta in (-SEASON_DAYS..=SEASON_DAYS).step_by(SEASON_STEP) {
            let t = centre + chrono::Duration::days(delta);
            if t >= settled && t <= as_of - chrono::Duration::days(MATURE_DAYS) {
                dates.push(t);
            }
        }
    }
    let mut out = Vec::new();
    for o in &ds.opportunities {
        let (Status::Won, Some(closed)) = (o.status, o.closed_at) else { continue };
        if closed > as_of {
            continue;
        }
        for &t in dates.iter().filter(|&&t| o.created_at <= t && t < closed) {
            let stage = stage_on(stages.get(o.opportunity_id.as_str()), t);
            out.push((cell(stage, (t - o.created_at).num_days()), (closed - t).num_days().max(1) as f64));
        }
    }
    out
}

/// The quantile of the history's creation-to-win days beyond which an open deal is stale, and
/// how many won deals it takes to say.
const STALE_QUANTILE: f64 = 0.99;
const STALE_MIN_WON: usize = 100;

/// Stale deals: open longer than 99% of the history's wins took from creation to close. A CRM
/// keeps deals open that nobody works any more (the "zombie pipeline"); the opportunity model,
/// trained on deals that closed, has seen no deal that old and would score one like the oldest
/// it knows, and the time-to-close model would close it within weeks. Such a deal counts at
/// most at the rate that deals which stayed open that long were won — the won, the lost and
/// those still open alike. On a CRM export that leaves 1,329 deals open for 130 days to a year
/// (none of its 4,238 wins took longer than 138 days), that rate is 3%; on the simulated worlds
/// hardly any open deal is that old and the rule changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stale {
    /// Days from creation after which an open deal is stale.
    pub after_days: i64,
    /// The share won of the deals that were open after that many days.
    pub win_rate: f64,
    /// How many such deals the history has, and how many of them were won.
    pub deals: usize,
    pub won: usize,
}

impl Stale {
    /// From the deals of `ds` as of `as_of`; `None` under 100 won deals.
    pub fn fit(ds: &Dataset, as_of: NaiveDate) -> Option<Stale> {
        let closed_by = |o: &crate::domain::Opportunity| o.closed_at.filter(|c| o.status.is_closed() && *c <= as_of);
        let mut cycles: Vec<i64> = ds
            .opportunities
            .iter()
            .filter(|o| o.status == Status::Won)
            .filter_map(|o| closed_by(o).map(|c| (c - o.created_at).num_days()))
            .collect();
        if cycles.len() < STALE_MIN_WON {
            return None;
        }
        cycles.sort_unstable();
        let after_days = cycles[((cycles.len() - 1) as f64 * STALE_QUANTILE).round() as usize];
        let (mut deals, mut won) = (0, 0);
        for o in ds.opportunities.iter().filter(|o| o.created_at <= as_of) {
            let end = closed_by(o);
            if (end.unwrap_or(as_of) - o.created_at).num_days() > after_days {
                deals += 1;
                won += (end.is_some() && o.status == Status::Won) as usize;
            }
        }
        Some(Stale { after_days, win_rate: (won as f64 + 0.5) / (deals as f64 + 1.0), deals, won })
    }

    /// The win probability of a deal open for `age` days whose probability is otherwise `p`.
    pub fn cap(&self, age: i64, p: f64) -> f64 {
        if self.is_stale(age) { p.min(self.win_rate) } else { p }
    }

    /// Whether a deal open for `age` days is stale.
    pub fn is_stale(&self, age: i64) -> bool {
        age > self.after_days
    }

    /// A stale deal's warning, as `score --data` and the opportunity API give it.
    pub fn warning(&self) -> String {
        format!(
            "stale: open for more than {} days, longer than 99% of the history's wins took; the forecast counts it \
             at a win probability of at most {:.0}%",
            self.after_days,
            100.0 * self.win_rate
        )
    }

    /// What the rule does to `open` (as of `as_of`), for the forecast's notes; `None` when no
    /// deal of it is stale.
    pub fn note(&self, open: &[OpenDeal], as_of: NaiveDate) -> Option<Note> {
        let stale: Vec<&OpenDeal> = open.iter().filter(|d| self.is_stale((as_of - d.created_at).num_days())).collect();
        if stale.is_empty() {
            return None;
        }
        let amount: f64 = stale.iter().map(|d| d.amount).sum();
        let (n, days, rate) = (stale.len(), self.after_days, 100.0 * self.win_rate);
        let (won, deals) = (self.won, self.deals);
        Some(Note::new(
            format!(
                "open pipeline: {n} deals worth {amount:.0} have been open for more than {days} days, longer than 99% \
                 of the history's wins took: as stale deals they count at most at the win rate of the {deals} deals \
                 that stayed open that long, {rate:.0}% ({won} won)"
            ),
            format!(
                "在途商机：{n} 个商机（金额 {amount:.0}）已在途超过 {days} 天，比历史上 99% 的赢单用时都长：视为停滞商机，\
                 赢单概率至多按历史上在途这么久的 {deals} 个商机的赢单率 {rate:.0}%（赢单 {won} 个）计"
            ),
        ))
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
    /// The share of `amount` a win is expected to book: below 1 when no discount is recorded
    /// yet and the won deals of the history were discounted ([`Discounts`]); absent in older
    /// models (1).
    #[serde(default = "full_amount")]
    pub booking_share: f64,
}

fn full_amount() -> f64 {
    1.0
}

/// What the history's won deals were discounted, for the open deals that have not been yet.
///
/// A CRM's amount is usually the list price until the price is negotiated, and the won deals'
/// amounts are what was signed: left as it is, the open pipeline before negotiation is counted
/// at list price against a history booked net (on the simulated worlds about two thirds of the
/// open pipeline won inside the next quarter had no discount yet, and won deals were discounted
/// 9.5% on average). When the history records a discount on nearly every won deal
/// ([`DISCOUNTS_RECORDED`]), an open deal without one is expected to book its amount less the
/// mean discount of its product's won deals (the overall mean for a product with fewer than
/// [`MIN_DISCOUNTED`]). A history that does not record discounts changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Discounts {
    /// Mean discount of the won deals, in percent (0: not applied).
    pub overall: f64,
    pub by_product: std::collections::BTreeMap<String, f64>,
}

/// Share of the won deals that must carry a discount for open deals without one to get one.
pub const DISCOUNTS_RECORDED: f64 = 0.9;
/// Won deals with a discount needed for a product's own mean (and, overall, at all).
pub const MIN_DISCOUNTED: usize = 20;

impl Discounts {
    /// From the deals won by `as_of`.
    pub fn fit(ds: &Dataset, as_of: NaiveDate) -> Discounts {
        let won: Vec<&crate::domain::Opportunity> = ds
            .opportunities
            .iter()
            .filter(|o| o.status == Status::Won && o.closed_at.is_some_and(|c| c <= as_of))
            .collect();
        let with: Vec<(&str, f64)> = won
            .iter()
            .filter_map(|o| o.discount_pct.filter(|d| d.is_finite()).map(|d| (o.product.as_str(), d.clamp(0.0, 100.0))))
            .collect();
        if with.len() < MIN_DISCOUNTED || (with.len() as f64) < DISCOUNTS_RECORDED * won.len() as f64 {
            return Discounts::default();
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let mut per: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
        for (p, d) in &with {
            per.entry(p.to_string()).or_default().push(*d);
        }
        Discounts {
            overall: mean(&with.iter().map(|x| x.1).collect::<Vec<_>>()),
            by_product: per
                .into_iter()
                .filter(|(_, v)| v.len() >= MIN_DISCOUNTED)
                .map(|(p, v)| (p, mean(&v)))
                .collect(),
        }
    }

    /// The share of its amount an open deal of `product` is expected to book.
    pub fn share(&self, product: &str, discount_pct: Option<f64>) -> f64 {
        if discount_pct.is_some() || self.overall <= 0.0 {
            return 1.0;
        }
        let d = self.by_product.get(product).copied().unwrap_or(self.overall);
        (1.0 - d / 100.0).clamp(0.0, 1.0)
    }
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
    /// Whether `per_rep` was counted by season (mean count × recent size) rather than taken
    /// from the series forecast's median.
    pub mean_based: bool,
    /// When counted by season: the relative spread (log-scale standard deviation) of the
    /// period's expected amount, [`new_business_spread`]. `None` when taken from the series,
    /// whose forecast step spreads it instead.
    pub sigma: Option<f64>,
    /// Recent new deals (product, amount), per rep and pooled.
    pub pool: Vec<(usize, String, f64)>,
    pub notes: Vec<Note>,
}

/// Rep-level over-dispersion of new business: the gamma shape of the rate multiplier
/// (coefficient of variation 1/√shape).
pub const NEW_BUSINESS_SHAPE: f64 = 4.0;
/// Weight of an equal share when sharing new business among reps, in periods of history.
const SHARE_PRIOR: f64 = 0.5;

/// Past periods of the target's season needed to count new deals by season (else the amount
/// series is forecast).
pub const SEASON_MEAN_MIN: usize = 2;

/// Estimates new business for `period` seen from `as_of`: deals created after the as-of date
/// and won inside the period. Its expected amount is a count times a size.
///
/// - The count is the mean number of such deals in the past periods of the same season
///   (quarter or month of the year) — a Q4 that brings the year-end rush counts Q4s only —
///   each carried forward by `growth` (the deal flow's growth per year,
///   [`opportunity_growth`]) for every year it lies back. Without it the mean of three past
///   Q4s is a Q4 two years old: on 60 simulated histories growing about 8% a year, new
///   business came out 8% low on average.
/// - The size is the mix of products among the last two years' such deals, at each product's
///   mean size over every deal won in those two years. New deals are few (about 190 a year in
///   the simulator) and their sizes skewed; the mean of the last year's alone moved the
///   expectation by ±15% from one history to the next, while which products close fast is a
///   count and steadier, and a product's size is learned from four times as many deals.
///
/// Measured against futures redrawn from the as-of (`generate --future-seed`, 10 futures of
/// each of 60 histories): mean |error| of the expectation 15.2% → 10.8%, mean error −8.0% →
/// −1.4% (README, "Forecasting revenue and quota").
///
/// A series of amounts is a few large deals a period: forecast from it, one lucky year's
/// season became the next year's forecast (the seasonal naive that the rolling-origin choice
/// usually picks on three years), and its trend and seasonal models, which the short history
/// seldom shows to be seasonal, missed the season. The amount series still gives the forecast,
/// and the spread around it (the company factor of each draw), when the season has fewer than
/// [`SEASON_MEAN_MIN`] past periods; counted by season, the spread is
/// [`new_business_spread`].
pub fn new_business(
    org: &[RepInfo],
    won: &[Won],
    as_of: NaiveDate,
    period: Period,
    growth: f64,
    flow: &[f64],
) -> Result<NewBusiness> {
    let grain = Grain::of_period(period);
    let lead = (period.start() - as_of).num_days();
    let first = won.iter().map(|w| w.created).min();
    let mut notes = Vec::new();
    let Some(first) = first else {
        return Ok(NewBusiness {
            series: vec![],
            per_rep: vec![0.0; org.len()],
            step: None,
            mean_based: false,
            sigma: None,
            pool: vec![],
            notes: vec![Note::new(
                "no won deals in the history: no new business expected",
                "历史中没有赢单：不预计新增商机成交",
            )],
        });
    };
    // Past complete periods, oldest first, whose matching origin lies inside the history and
    // which the history covers: a period that starts over a week before the first recorded win
    // holds only part of its wins (a CRM's go-live, a simulated history's start), not a small
    // one, and would teach the series view a collapse that never happened.
    let first_win = won.iter().map(|w| w.closed).min().unwrap_or(first);
    let last_complete = grain.period(as_of + chrono::Duration::days(1)).offset(-1);
    let mut periods = Vec::new();
    let mut p = last_complete;
    loop {
        let origin = p.start() - chrono::Duration::days(lead);
        if origin < first + chrono::Duration::days(1)
            || origin > as_of
            || first_win > p.start() + chrono::Duration::days(7)
        {
            break;
        }
        periods.push((p, origin));
        p = p.offset(-1);
    }
    periods.reverse();
    let mut series = vec![0.0; periods.len()];
    let mut counts = vec![0usize; periods.len()];
    let season = grain.season();
    let recent_from = periods.len().saturating_sub(season);
    let mut by_rep = vec![0.0; org.len()];
    let mut pool = Vec::new();
    for w in won {
        for (i, (p, origin)) in periods.iter().enumerate() {
            if w.created > *origin && p.contains(w.closed) {
                series[i] += w.amount;
                counts[i] += 1;
                if i >= recent_from {
                    by_rep[w.rep] += w.amount;
                    pool.push((w.rep, w.product.clone(), w.amount));
                }
            }
        }
    }
    let step = if series.is_empty() {
        notes.push(Note::new(
            "no past period to learn new business from: none expected",
            "没有可供学习新增商机的历史期间：不预计新增",
        ));
        None
    } else {
        let h = steps_between(last_complete, period).max(1) as usize;
        let f = super::ts::forecast(&series, h, season)?;
        notes.extend(f.notes.into_iter().map(|n| n.within("new business: ", "新增商机：")));
        f.steps.get(h - 1).copied()
    };
    // The expected amount: the mean count of the same season's past periods (each grown to the
    // target period) times the product-mix size, when the history covers the season at least
    // SEASON_MEAN_MIN times; else the series forecast's median.
    let growth = if growth.is_finite() && growth > 0.0 { growth } else { 1.0 };
    let same: Vec<f64> = periods
        .iter()
        .zip(&counts)
        .filter(|((p, _), _)| season_index(*p) == season_index(period))
        .map(|((p, _), &c)| c as f64 * growth.powf(steps_between(*p, period) as f64 / season as f64))
        .collect();
    let mean_based = same.len() >= SEASON_MEAN_MIN && !pool.is_empty();
    let mut sigma = None;
    let expected = if mean_based {
        if (growth - 1.0).abs() >= 0.005 {
            let pct = 100.0 * (growth - 1.0);
            notes.push(Note::new(
                format!(
                    "new business: past periods' counts carried forward by the growth of deal flow ({pct:+.1}% a year)"
                ),
                format!("新增商机：往年同期的新增商机数按商机流量的增长（每年 {pct:+.1}%）推算到本期"),
            ));
        }
        let (size, size_var) = mix_size(won, &periods, season, as_of);
        sigma = Some(new_business_spread(&same, size_var));
        same.iter().sum::<f64>() / same.len() as f64 * size
    } else {
        step.map_or(0.0, |s| s.p50.max(0.0))
    };
    // Reps active by the end of the period share it.
    let active: Vec<bool> = org.iter().map(|r| r.hired_at.is_none_or(|h| h <= period.last_day())).collect();
    let n_active = active.iter().filter(|a| **a).count().max(1) as f64;
    let flow_total: f64 = flow.iter().zip(&active).filter(|(_, a)| **a).map(|(v, _)| v).sum();
    let per_rep = if flow.len() == org.len() && flow_total > 0.0 {
        flow.iter().zip(&active).map(|(v, a)| if *a { expected * v / flow_total } else { 0.0 }).collect()
    } else {
        // No deal flow measured (a model saved before it was): the reps' recent new-business
        // amounts, shrunk towards an equal share.
        let total: f64 = by_rep.iter().zip(&active).filter(|(_, a)| **a).map(|(v, _)| v).sum();
        let periods_used = (periods.len() - recent_from).max(1) as f64;
        let prior = SHARE_PRIOR / periods_used * (total / n_active).max(1e-9);
        let denom: f64 = by_rep.iter().zip(&active).filter(|(_, a)| **a).map(|(v, _)| v + prior).sum();
        by_rep
            .iter()
            .zip(&active)
            .map(|(v, a)| if *a && denom > 0.0 { expected * (v + prior) / denom } else { 0.0 })
            .collect()
    };
    Ok(NewBusiness { series, per_rep, step, mean_based, sigma, pool, notes })
}

/// Fewest opportunities created in the earlier year for [`opportunity_growth`] to measure.
const GROWTH_MIN_DEALS: usize = 50;

/// The growth of deal flow per year: opportunities created in the year to `as_of` over those
/// created in the year before, in [0.5, 2]; 1 when the history does not cover both years
/// (its first deal less than two years back) or the earlier year has fewer than
/// `GROWTH_MIN_DEALS`. Counted on every opportunity, won or not: about four times the won
/// deals, and not cut short by deals created lately that have not closed yet.
pub fn opportunity_growth(ds: &Dataset, as_of: NaiveDate) -> f64 {
    let year_ago = as_of - chrono::Duration::days(365);
    let two_years_ago = as_of - chrono::Duration::days(730);
    if ds.opportunities.iter().map(|o| o.created_at).min().is_none_or(|first| first > two_years_ago) {
        return 1.0;
    }
    let (mut last, mut before) = (0usize, 0usize);
    for o in &ds.opportunities {
        if o.created_at > year_ago && o.created_at <= as_of {
            last += 1;
        } else if o.created_at > two_years_ago && o.created_at <= year_ago {
            before += 1;
        }
    }
    if before < GROWTH_MIN_DEALS {
        return 1.0;
    }
    (last as f64 / before as f64).clamp(0.5, 2.0)
}

/// Days of opportunity creation that [`rep_flow`] counts, back from the as-of date.
const FLOW_DAYS: i64 = 183;
/// A rep with fewer active days than this in that window is given the reps' median rate.
const FLOW_MIN_DAYS: i64 = 30;
/// Closed deals' weight of the company's win rate in a rep's (pseudo-deals).
const FLOW_WIN_PRIOR: f64 = 20.0;

/// Each rep's expected share of new business, as a weight: opportunities created per active
/// day over the `FLOW_DAYS` to `as_of`, times the rep's win rate over the company's
/// (shrunk towards it by `FLOW_WIN_PRIOR` deals). The win rate counts deals created by the
/// opportunity model's censoring date ([`crate::score::contract::opportunity_censor_date`]):
/// a recent hire's closed deals are the quick losses so far, which would put them far below
/// their eventual rate. A rep with under `FLOW_MIN_DAYS` active days in the window (hired
/// lately, or after `as_of`) gets the median rate of the others.
///
/// It replaced each rep's new-business amount over the last year, a handful of skewed deals
/// per rep that also held a recent hire's empty first months: measured on 40 simulated
/// histories against the mean of 10 futures each, the reps' new business was off by 69% of
/// the total (sum of absolute errors) with that share, 42–43% with this one, and reps hired in
/// the last year got 0.5–0.6 of their new business against 0.9–1.1 now (README, "Reps' share
/// of new business").
pub fn rep_flow(ds: &Dataset, org: &[RepInfo], as_of: NaiveDate) -> Vec<f64> {
    let idx: FxHashMap<&str, usize> = org.iter().enumerate().map(|(i, r)| (r.rep_id.as_str(), i)).collect();
    let from = as_of - chrono::Duration::days(FLOW_DAYS);
    let cut = crate::score::contract::opportunity_censor_date(ds).map(|(c, _)| c);
    let mut created = vec![0usize; org.len()];
    let (mut closed, mut won) = (vec![0usize; org.len()], vec![0usize; org.len()]);
    for o in &ds.opportunities {
        let Some(&r) = idx.get(o.owner_id.as_str()) else { continue };
        if o.created_at > from && o.created_at <= as_of {
            created[r] += 1;
        }
        if o.status.is_closed() && cut.is_some_and(|c| o.created_at <= c) {
            closed[r] += 1;
            won[r] += (o.status == Status::Won) as usize;
        }
    }
    let all_closed: usize = closed.iter().sum();
    let company = if all_closed > 0 { won.iter().sum::<usize>() as f64 / all_closed as f64 } else { 0.0 };
    let days: Vec<i64> = org
        .iter()
        .map(|r| {
            let start = r.hired_at.map_or(from, |h| h.max(from));
            (as_of - start).num_days().clamp(0, FLOW_DAYS)
        })
        .collect();
    let mut rates: Vec<f64> =
        (0..org.len()).filter(|&r| days[r] >= FLOW_MIN_DAYS).map(|r| created[r] as f64 / days[r] as f64).collect();
    rates.sort_by(f64::total_cmp);
    let median = rates.get(rates.len() / 2).copied().unwrap_or(0.0);
    (0..org.len())
        .map(|r| {
            let rate = if days[r] >= FLOW_MIN_DAYS { created[r] as f64 / days[r] as f64 } else { median };
            let skill = if company > 0.0 {
                (won[r] as f64 + FLOW_WIN_PRIOR * company) / (closed[r] as f64 + FLOW_WIN_PRIOR) / company
            } else {
                1.0
            };
            rate * skill
        })
        .collect()
}

/// The mean size of a new deal: the product mix of the new deals (created after their
/// period's origin, won inside it) of the last two years' `periods`, at each product's mean
/// size over every deal won from the start of those periods to `as_of`; with the relative
/// variance of that mean (the new deals' squared coefficient of variation over their number).
/// (0, 0) without new deals.
fn mix_size(won: &[Won], periods: &[(Period, NaiveDate)], season: usize, as_of: NaiveDate) -> (f64, f64) {
    let recent = &periods[periods.len().saturating_sub(2 * season)..];
    let Some(from) = recent.first().map(|(p, _)| p.start()) else { return (0.0, 0.0) };
    let mut mix: BTreeMap<&str, usize> = BTreeMap::new();
    let mut new_sizes = Vec::new();
    for w in won {
        if w.amount.is_finite() && recent.iter().any(|(p, origin)| w.created > *origin && p.contains(w.closed)) {
            *mix.entry(w.product.as_str()).or_default() += 1;
            new_sizes.push(w.amount);
        }
    }
    let mut sizes: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for w in won.iter().filter(|w| w.closed >= from && w.closed <= as_of && w.amount.is_finite()) {
        let e = sizes.entry(w.product.as_str()).or_default();
        e.0 += w.amount;
        e.1 += 1;
    }
    let n: usize = mix.values().sum();
    let size =
        mix.iter().filter_map(|(p, &c)| sizes.get(p).map(|&(sum, k)| c as f64 / n as f64 * sum / k as f64)).sum();
    (size, relative_variance(&new_sizes) / new_sizes.len().max(1) as f64)
}

/// The sample variance of `v` over its squared mean (0 under two values or a zero mean).
fn relative_variance(v: &[f64]) -> f64 {
    let k = v.len() as f64;
    let mean = v.iter().sum::<f64>() / k;
    if v.len() < 2 || mean <= 0.0 {
        return 0.0;
    }
    v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0) / (mean * mean)
}

/// The relative spread of new business counted by season, from the same season's past counts
/// (grown to the target period) and the size's relative variance: the standard error of the
/// mean count, the counts' year-to-year variation beyond Poisson (a season that may bring a
/// rush or not), and the size's standard error, added as variances. This is what is not known
/// about the period's expected amount; the deal-by-deal chance (Poisson counts, resampled
/// sizes, rep multipliers) is drawn on top of it.
///
/// It replaced the amount series' forecast spread, which counts that chance a second time and,
/// on a log scale around a few large deals, was skewed: on a simulated history with one
/// quarter of 0.04M new business among quarters of 0.65–2.4M, the company's P10–P90 ran from
/// 5.4M to 18.1M around a P50 of 8.6M, pulled up by the factors' mean (README, "New business:
/// growth, product mix and spread").
pub fn new_business_spread(same: &[f64], size_var: f64) -> f64 {
    let k = same.len() as f64;
    let mean = same.iter().sum::<f64>() / k.max(1.0);
    let count_var = relative_variance(same);
    let beyond_poisson = if mean > 0.0 { (count_var - 1.0 / mean).max(0.0) } else { 0.0 };
    (count_var / k.max(1.0) + beyond_poisson + size_var).sqrt()
}

/// The most a draw's company factor may scale new business: four times its median. A series
/// whose median is near zero next to its spread (a month that seldom brings new business)
/// would otherwise give factors in the thousands, and the Poisson counts drawn from them
/// would not finish. The open pipeline's level factor is bounded by it too.
pub const NEW_BUSINESS_FACTOR_MAX: f64 = 4.0;

/// `n` factors with median 1 and log-scale standard deviation `sigma` (0 when it is not a
/// positive finite number), at most [`NEW_BUSINESS_FACTOR_MAX`]: the per-draw levels of new
/// business counted by season and of the open pipeline.
fn lognormal_factors(sigma: f64, n: usize, rng: &mut ChaCha8Rng) -> Result<Vec<f64>> {
    let sigma = if sigma.is_finite() && sigma > 0.0 { sigma } else { 0.0 };
    let z = Normal::new(0.0, sigma).map_err(|e| Error::InvalidArgument(format!("normal: {e}")))?;
    Ok((0..n).map(|_| z.sample(rng).exp().min(NEW_BUSINESS_FACTOR_MAX)).collect())
}

/// `n` company factors for the new business of one period, from the amount series' forecast
/// step: its quantile at a uniform draw over its median, in [0, [`NEW_BUSINESS_FACTOR_MAX`]].
///
/// The factors have a median of 1: they spread the draws around the expectation without
/// moving their centre. The amount series' spread is skewed (its intervals are
/// multiplicative), so the factors' mean is above 1: 1.06 in the unit test of
/// [`new_business`], up to 2.4 where the series is erratic. Scaled to a mean of 1 instead,
/// their median fell to 0.41–0.90, and the company P50 sat 2–4% below its futures' median on
/// average (README, "How close a forecast can get").
fn company_factors(step: &super::ts::Step, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    (0..n).map(|_| (step.quantile(rng.random::<f64>()) / step.p50).clamp(0.0, NEW_BUSINESS_FACTOR_MAX)).collect()
}

/// How much of the open pipeline converts in each season of the year, relative to the average
/// period: the deals open on a past period's eve, and the share of them won inside the period
/// (a year-end push shows as a Q4 factor above 1). Learned from the history alone; the
/// simulation multiplies every open deal's win probability by its target period's factor,
/// so the per-deal probabilities (the opportunity model's, which has no notion of the calendar
/// beyond a month feature) keep their ranking and the level follows the season.
///
/// The share is counted in deals, not amounts. Weighted by amount, a few large deals won or
/// not in one of the two or three past periods of a season moved the factor: on 20 simulated
/// histories (the same laws, other noise) the Q4 factor ran 1.00–1.21 (sd 0.059) and, with it,
/// the open pipeline's expected Q4 wins against the mean of 10 futures each (sd 9.4% across
/// the histories; 5.8% without any factor, but 8% low). Counted, the factor is 1.08–1.15 (sd
/// 0.018) around the same mean, and the open pipeline's error sd 7.3% (README, "Seasonal
/// conversion counted in deals").
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

    /// What the factor does to `period`, for the forecast's notes; `None` when it is 1 to two
    /// decimals.
    pub fn note(&self, period: Period) -> Option<Note> {
        let f = self.factor(period);
        if (f - 1.0).abs() < 0.005 {
            return None;
        }
        let (season, grain, season_zh, grain_zh) = match period {
            Period::Quarter { quarter, .. } => (format!("Q{quarter}"), "quarter", format!("第{quarter}季度"), "季度"),
            Period::Month { month, .. } => (
                chrono::Month::try_from(month).map_or_else(|_| format!("month {month}"), |m| m.name().to_string()),
                "month",
                format!("{month}月"),
                "月份",
            ),
        };
        Some(Note::new(
            format!(
                "open pipeline: win probabilities × {f:.2} for {season}: of the deals open on the eve of past {season}s, \
                 {f:.2}× the average {grain}'s share was won inside them (seasonal conversion)"
            ),
            format!(
                "在途商机：{season_zh}的赢单概率 × {f:.2}：往年{season_zh}开始前夕在途的商机，在该期内赢单的比例是\
                 平均{grain_zh}的 {f:.2} 倍（季节性转化）"
            ),
        ))
    }
}

fn season_index(p: Period) -> usize {
    match p {
        Period::Quarter { quarter, .. } => quarter as usize - 1,
        Period::Month { month, .. } => month as usize - 1,
    }
}

/// Per season, (mean ratio of the season's periods + prior) / overall mean ratio, in
/// [0.5, 2], a period's ratio being the deals open on its eve that were won inside it over
/// those open deals; empty unless every season has at least one complete period of history.
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
            open += 1.0;
            if o.status == Status::Won && o.closed_at.is_some_and(|c| p.contains(c)) {
                won += 1.0;
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

/// What the history says beyond the deals themselves, applied by the simulation: the levels
/// on the open pipeline and on new business, and the reps' shares of new business.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levels<'a> {
    /// The target period's season factor on open deals' win probabilities
    /// ([`SeasonalConversion::factor`]).
    pub conversion: f64,
    /// The deal flow's growth per year ([`opportunity_growth`]).
    pub growth: f64,
    /// The open pipeline's level uncertainty: the log-scale standard deviation of a factor on
    /// every open deal's win probability, drawn once per draw (0: none).
    pub pipeline_spread: f64,
    /// Each rep's share of new business, as a weight ([`rep_flow`]; empty: the reps' recent
    /// new-business amounts).
    pub rep_flow: &'a [f64],
}

impl Default for Levels<'_> {
    fn default() -> Self {
        Levels { conversion: 1.0, growth: 1.0, pipeline_spread: 0.0, rep_flow: &[] }
    }
}

/// Simulates the bookings of `period` seen from `as_of`.
#[allow(clippy::too_many_arguments)] // public API kept as is; the inputs are distinct
pub fn simulate(
    org: &[RepInfo],
    won: &[Won],
    open: &[OpenDeal],
    close: &CloseModel,
    as_of: NaiveDate,
    period: Period,
    settings: SimSettings,
    levels: Levels<'_>,
) -> Result<(Draws, NewBusiness)> {
    if settings.draws == 0 {
        return Err(Error::InvalidArgument("the number of draws must be positive".into()));
    }
    let n = settings.draws;
    let nb = new_business(org, won, as_of, period, levels.growth, levels.rep_flow)?;
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
    // The open pipeline, deal by deal, at a level drawn once per draw.
    let level: Vec<f64> = if levels.pipeline_spread > 0.0 && !open.is_empty() {
        lognormal_factors(levels.pipeline_spread, n, &mut rng)?
    } else {
        vec![1.0; n]
    };
    let start_gap = (period.start() - as_of).num_days() as f64;
    let end_gap = (period.end_exclusive() - as_of).num_days() as f64;
    for o in open {
        let c = idx(o.rep, &o.product, &mut cells);
        let age = (as_of - o.created_at).num_days().max(0);
        let tc = cell(o.stage, age);
        let p = (o.win_probability * levels.conversion).clamp(0.0, 1.0);
        pipeline_amount[c] += o.amount;
        let booked = o.amount * o.booking_share;
        let mut hits = 0usize;
        for (slot, l) in draws[c].iter_mut().zip(&level) {
            if rng.random::<f64>() >= (p * l).min(1.0) {
                continue;
            }
            let days = close.draw_days(tc, rng.random::<f64>());
            if days >= start_gap && days < end_gap {
                *slot += booked;
                hits += 1;
            }
        }
        pipeline_expected[c] += booked * hits as f64 / n as f64;
    }
    // New business: a company factor per draw, a rep multiplier, Poisson counts, resampled sizes.
    let mut pools: FxHashMap<usize, Vec<(usize, f64)>> = FxHashMap::default();
    let mut all_pool: Vec<(usize, f64)> = Vec::new();
    for (r, p, a) in &nb.pool {
        let c = idx(*r, p, &mut cells);
        pools.entry(*r).or_default().push((c, *a));
        all_pool.push((c, *a));
    }
    let factors = match (nb.sigma, nb.step) {
        _ if all_pool.is_empty() => None,
        (Some(sigma), _) => Some(lognormal_factors(sigma, n, &mut rng)?),
        (None, Some(step)) if step.p50 > 0.0 => Some(company_factors(&step, n, &mut rng)),
        (None, _) => None,
    };
    if let Some(factors) = factors {
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
/// empirical rates of `close` when `p` is `None`; booking shares from `discounts`.
pub fn open_deals(
    ds: &Dataset,
    org: &[RepInfo],
    as_of: NaiveDate,
    close: &CloseModel,
    p: Option<&[f64]>,
    discounts: &Discounts,
    stale: Option<&Stale>,
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
            let prob = stale.map_or(prob, |s| s.cap(age, prob));
            Some(OpenDeal {
                opportunity_id: o.opportunity_id.clone(),
                rep,
                product: o.product.clone(),
                amount: o.amount,
                stage: o.stage,
                created_at: o.created_at,
                win_probability: if prob.is_finite() { prob } else { 0.0 },
                booking_share: discounts.share(&o.product, o.discount_pct),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Opportunity;

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
    fn company_factors_are_centred_and_bounded() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut sorted = |step: super::super::ts::Step| {
            let mut f = company_factors(&step, 10_001, &mut rng);
            f.sort_by(f64::total_cmp);
            f
        };
        // A skewed step: median 1, the upper side three times wider than the lower.
        let f = sorted(super::super::ts::Step { p10: 80.0, p50: 100.0, p90: 160.0 });
        assert!((f[5000] - 1.0).abs() < 0.01, "median {}", f[5000]);
        assert!((f[9000] - 1.6).abs() < 0.03 && (f[1000] - 0.8).abs() < 0.01, "{} {}", f[1000], f[9000]);
        // A median near zero beside a wide spread (a month that seldom brings new business):
        // unbounded, the factors would reach the hundred thousands.
        let f = sorted(super::super::ts::Step { p10: 0.0, p50: 0.01, p90: 500.0 });
        assert!(f[10_000] <= NEW_BUSINESS_FACTOR_MAX && f[0] >= 0.0, "{} {}", f[0], f[10_000]);
        assert!(f[4000] <= 1.0 && f[6000] >= 1.0, "the centre moved: {} {}", f[4000], f[6000]);
    }

    /// A spread that is not a positive finite number gives factors of 1; a huge one stays
    /// within the cap, with its median at 1.
    #[test]
    fn lognormal_factors_are_bounded_and_centred() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for bad in [f64::NAN, -1.0, 0.0, f64::INFINITY] {
            assert!(lognormal_factors(bad, 100, &mut rng).unwrap().iter().all(|&f| f == 1.0), "{bad}");
        }
        let mut f = lognormal_factors(50.0, 10_001, &mut rng).unwrap();
        f.sort_by(f64::total_cmp);
        assert!(f[10_000] <= NEW_BUSINESS_FACTOR_MAX && f[0] >= 0.0);
        assert!(f[4500] < 1.0 && f[5500] > 1.0, "{} {}", f[4500], f[5500]);
    }

    /// An opportunity of R1 for the "suite" product worth 10, in discovery: the tests change
    /// what they need with struct update syntax.
    fn deal(id: impl Into<String>, created: NaiveDate, status: Status, closed: Option<NaiveDate>) -> Opportunity {
        Opportunity {
            opportunity_id: id.into(),
            owner_id: "R1".into(),
            product: "suite".into(),
            amount: 10.0,
            created_at: created,
            stage: Stage::Discovery,
            status,
            lead_id: None,
            account_id: None,
            industry: None,
            expected_close: None,
            closed_at: closed,
            discount_pct: None,
        }
    }

    /// Deals open far longer than any win took are stale: 200 wins after 10–59 days, 100 losses,
    /// and 41 deals created 300 days before the as-of date: 38 still open, 2 won late and one
    /// won after the date. The threshold is the 99th percentile of the wins' days, the rate
    /// that of the deals that stayed open past it; only deals older than that are capped,
    /// never raised.
    #[test]
    fn deals_open_longer_than_the_wins_took_are_stale() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let as_of = d("2026-09-30");
        let start = d("2025-06-01");
        let mut ds = Dataset::default();
        // Deal `i` of a kind, created `i` days after the start, closed after `days(i)`.
        let mut closed = |kind: &str, n: i64, status: Status, days: &dyn Fn(i64) -> i64| {
            for i in 0..n {
                let created = start + chrono::Duration::days(i);
                let at = Some(created + chrono::Duration::days(days(i)));
                ds.opportunities.push(deal(format!("{kind}{i}"), created, status, at));
            }
        };
        closed("W", 200, Status::Won, &|i| 10 + i % 50);
        closed("L", 100, Status::Lost, &|_| 20);
        let old = as_of - chrono::Duration::days(300);
        for i in 0..40 {
            let (status, closed) =
                if i < 2 { (Status::Won, Some(as_of - chrono::Duration::days(5))) } else { (Status::Open, None) };
            ds.opportunities.push(deal(format!("Z{i}"), old, status, closed));
        }
        // A deal closed after the as-of date is open as of it.
        ds.opportunities.push(deal("F", old, Status::Won, Some(as_of + chrono::Duration::days(3))));
        let s = Stale::fit(&ds, as_of).unwrap();
        let mut cycles: Vec<i64> = (0..200).map(|i| 10 + i % 50).chain([295, 295]).collect();
        cycles.sort_unstable();
        assert_eq!(s.after_days, cycles[(201.0 * 0.99_f64).round() as usize]);
        assert_eq!(s.after_days, 59);
        // The 2 late wins, the 38 still open and the one won after the date stayed open past 59
        // days.
        assert_eq!((s.deals, s.won), (41, 2));
        assert!((s.win_rate - 2.5 / 42.0).abs() < 1e-12, "{}", s.win_rate);
        assert_eq!(s.cap(59, 0.4), 0.4);
        assert_eq!(s.cap(60, 0.4), s.win_rate);
        assert_eq!(s.cap(300, 0.01), 0.01);
        // Open deals: the stale ones are named in the note, in both languages.
        let org = one_rep();
        let close = CloseModel::fit(&ds, as_of);
        let open = open_deals(&ds, &org, as_of, &close, None, &Discounts::default(), Some(&s));
        assert_eq!(open.len(), 38);
        assert!(open.iter().all(|o| o.win_probability <= s.win_rate));
        let n = s.note(&open, as_of).unwrap();
        assert!(n.en.contains("38 deals worth 380 have been open for more than 59 days"), "{}", n.en);
        assert!(n.zh.contains("38 个商机（金额 380）已在途超过 59 天"), "{}", n.zh);
        assert!(s.note(&open[..0], as_of).is_none());
        // Under 100 wins there is no rule.
        ds.opportunities.retain(|o| !o.opportunity_id.starts_with('W'));
        assert!(Stale::fit(&ds, as_of).is_none());
    }

    /// An organisation of one rep, R1.
    fn one_rep() -> Vec<RepInfo> {
        vec![RepInfo { rep_id: "R1".into(), name: "R1".into(), team: "t".into(), region: "r".into(), hired_at: None }]
    }

    /// New business counts the season's deals: every Q4 brings 30 quick deals and every other
    /// quarter 5, each worth 100 except last Q4's, which were 1,000 apiece (one lucky year).
    /// From 2026-09-30, Q4 expects the mean Q4 count (30, or each past Q4's count grown by 10%
    /// a year) times the last two years' mean size; a quarter whose season the history covers
    /// once is forecast from the amount series.
    #[test]
    fn new_business_counts_the_seasons_deals() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let org = one_rep();
        let mut won = Vec::new();
        for year in 2023..=2026 {
            for q in 0..4u32 {
                let start = NaiveDate::from_ymd_opt(year, 3 * q + 1, 1).unwrap();
                if start < d("2023-10-01") || start > d("2026-07-01") {
                    continue;
                }
                let n = if q == 3 { 30 } else { 5 };
                let amount = if q == 3 && year == 2025 { 1000.0 } else { 100.0 };
                for k in 0..n {
                    let created = start + chrono::Duration::days(k % 20);
                    won.push(Won {
                        rep: 0,
                        product: "p".into(),
                        amount,
                        created,
                        closed: created + chrono::Duration::days(10),
                    });
                }
            }
        }
        let q4_2026 = Period::Quarter { year: 2026, quarter: 4 };
        let q4 = new_business(&org, &won, d("2026-09-30"), q4_2026, 1.0, &[]).unwrap();
        // 2023Q4 starts with the history (its origin precedes the first deal): left out.
        assert!(q4.mean_based);
        assert_eq!(q4.series.len(), 11);
        // The last two years' deals (2024Q4 to 2026Q3): 30 at 1,000 and 60 at 100.
        let size = (30.0 * 1000.0 + 60.0 * 100.0) / 90.0;
        assert!((q4.per_rep[0] - 30.0 * size).abs() < 1e-6, "{} vs {}", q4.per_rep[0], 30.0 * size);
        // Growing 10% a year: 2025Q4's 30 deals count 33 and 2024Q4's 36.3.
        let grown = new_business(&org, &won, d("2026-09-30"), q4_2026, 1.1, &[]).unwrap();
        let count = (30.0 * 1.1 + 30.0 * 1.21) / 2.0;
        assert!((grown.per_rep[0] - count * size).abs() < 1e-6, "{} vs {}", grown.per_rep[0], count * size);
        assert!(grown.notes.iter().any(|n| n.en.contains("+10.0% a year")), "{:?}", grown.notes);
        // Seen from 2026-06-30, Q3 has two past Q3s (2024, 2025): counted; seen from
        // 2024-09-30, Q4 has none (2023Q4 is left out): the series view.
        let q3 =
            new_business(&org, &won, d("2026-06-30"), Period::Quarter { year: 2026, quarter: 3 }, 1.0, &[]).unwrap();
        // 2024Q3 to 2026Q2: 30 at 1,000 and 60 at 100.
        let size = (30.0 * 1000.0 + 60.0 * 100.0) / 90.0;
        assert!(q3.mean_based && (q3.per_rep[0] - 5.0 * size).abs() < 1e-6, "{} vs {}", q3.per_rep[0], 5.0 * size);
        let early =
            new_business(&org, &won, d("2024-09-30"), Period::Quarter { year: 2024, quarter: 4 }, 1.0, &[]).unwrap();
        assert!(!early.mean_based && early.sigma.is_none());
        assert!((early.per_rep[0] - early.step.unwrap().p50).abs() < 1e-6);
        // Counted by season, the company factors spread what is not known of the expectation:
        // the two Q4 counts agree, so only the size's standard error (the 90 new deals of the
        // two years: 30 at 1,000 and 60 at 100) — σ = 0.11, a mean factor of e^(σ²/2) = 1.006.
        let sizes: Vec<f64> = [1000.0; 30].into_iter().chain([100.0; 60]).collect();
        let sigma = (relative_variance(&sizes) / 90.0).sqrt();
        assert!((q4.sigma.unwrap() - sigma).abs() < 1e-12, "{:?} vs {sigma}", q4.sigma);
        // With one rep, the rep's own gamma multiplier (median 0.92 of its mean) and the Poisson
        // counts also act on the company total: the draws' median is below the expectation and
        // their mean on it.
        let close =
            CloseModel { remaining_days: vec![vec![10.0; GRID]; 16], win_rate: vec![0.5; 16], evidence: vec![0; 16] };
        let settings = SimSettings { draws: 20_000, seed: 7 };
        let period = Period::Quarter { year: 2026, quarter: 4 };
        let (draws, nb) =
            simulate(&org, &won, &[], &close, d("2026-09-30"), period, settings, Levels::default()).unwrap();
        let mut totals: Vec<f64> = (0..draws.n).map(|k| draws.draws.iter().map(|c| c[k]).sum::<f64>()).collect();
        totals.sort_by(f64::total_cmp);
        let (median, mean) = (totals[draws.n / 2], totals.iter().sum::<f64>() / draws.n as f64);
        let e = nb.per_rep[0];
        assert!((0.85..0.99).contains(&(median / e)), "draws' median {median}, expected {e}");
        assert!((0.99..1.02).contains(&(mean / e)), "draws' mean {mean}, expected {e}");
    }

    /// 400 open deals of 100 at 30%, all closing inside the quarter: drawn independently their
    /// total spreads by the binomial's 7.6% (sd over mean); with a level spread of 0.2 drawn
    /// once per draw it spreads by about √(0.076² + 0.2²) = 21%, around the same median.
    #[test]
    fn the_open_pipeline_level_is_drawn_once_per_draw() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let org = one_rep();
        let open: Vec<OpenDeal> = (0..400)
            .map(|i| OpenDeal {
                opportunity_id: format!("O{i}"),
                rep: 0,
                product: "p".into(),
                amount: 100.0,
                stage: Stage::Negotiation,
                created_at: d("2026-09-01"),
                win_probability: 0.3,
                booking_share: 1.0,
            })
            .collect();
        let close =
            CloseModel { remaining_days: vec![vec![10.0; GRID]; 16], win_rate: vec![0.5; 16], evidence: vec![0; 16] };
        let settings = SimSettings { draws: 20_000, seed: 11 };
        let period = Period::Quarter { year: 2026, quarter: 4 };
        let stats = |spread: f64| {
            let levels = Levels { pipeline_spread: spread, ..Levels::default() };
            let (draws, _) = simulate(&org, &[], &open, &close, d("2026-09-30"), period, settings, levels).unwrap();
            let mut t: Vec<f64> = (0..draws.n).map(|k| draws.draws.iter().map(|c| c[k]).sum::<f64>()).collect();
            t.sort_by(f64::total_cmp);
            let mean = t.iter().sum::<f64>() / t.len() as f64;
            let sd = (t.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / t.len() as f64).sqrt();
            (t[t.len() / 2], sd / mean)
        };
        let (median, cv) = stats(0.0);
        assert!((median - 12_000.0).abs() <= 200.0 && (cv - 0.076).abs() < 0.005, "{median} {cv}");
        let (wide_median, wide_cv) = stats(0.2);
        assert!((wide_median / median - 1.0).abs() < 0.02, "{wide_median} vs {median}");
        assert!((wide_cv - 0.215).abs() < 0.015, "{wide_cv}");
    }

    /// New deals were 3 of "a" to 1 of "b"; every won deal of "a" (the slow ones too) averaged
    /// 100 and of "b" 1,000: a new deal is expected at 0.75 × 100 + 0.25 × 1,000. Deals won
    /// before the two years, or after the as-of, do not count.
    #[test]
    fn a_new_deal_is_sized_by_the_new_deals_product_mix() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let deal = |product: &str, amount: f64, created: &str, closed: &str| Won {
            rep: 0,
            product: product.into(),
            amount,
            created: d(created),
            closed: d(closed),
        };
        let won = vec![
            // New in 2026Q3 (created after 2026-06-30, won inside the quarter).
            deal("a", 50.0, "2026-07-02", "2026-07-20"),
            deal("a", 50.0, "2026-07-05", "2026-08-01"),
            deal("a", 50.0, "2026-08-01", "2026-09-01"),
            deal("b", 400.0, "2026-07-10", "2026-09-10"),
            // Slow deals: they set sizes, not the mix.
            deal("a", 250.0, "2025-11-01", "2026-02-01"),
            deal("b", 1600.0, "2025-11-01", "2026-05-01"),
            // Outside the window: won before it, and after the as-of.
            deal("a", 99_999.0, "2022-01-01", "2022-06-01"),
            deal("b", 99_999.0, "2026-09-01", "2026-10-15"),
        ];
        let q = |y, q| Period::Quarter { year: y, quarter: q };
        let periods: Vec<(Period, NaiveDate)> = [q(2026, 1), q(2026, 2), q(2026, 3)]
            .into_iter()
            .map(|p| (p, p.start() - chrono::Duration::days(1)))
            .collect();
        let (size, size_var) = mix_size(&won, &periods, 4, d("2026-09-30"));
        assert!((size - (0.75 * 100.0 + 0.25 * 1000.0)).abs() < 1e-9, "{size}");
        // The new deals' sizes 50, 50, 50, 400: mean 137.5, sample variance 30,625.
        assert!((size_var - 30_625.0 / (137.5 * 137.5) / 4.0).abs() < 1e-12, "{size_var}");
        assert_eq!(mix_size(&won, &[], 4, d("2026-09-30")), (0.0, 0.0));
    }

    /// Past counts of 80 and 120 (mean 100): relative variance 0.08, of which Poisson explains
    /// 0.01 (0.07 beyond it); the mean's own error adds 0.04, the size 0.01: √0.12. Counts as
    /// steady as Poisson or steadier leave the mean's error and the size's.
    #[test]
    fn new_business_spread_adds_what_is_not_known() {
        assert!((new_business_spread(&[80.0, 120.0], 0.01) - 0.12f64.sqrt()).abs() < 1e-12);
        assert!((new_business_spread(&[100.0, 100.0], 0.01) - 0.1).abs() < 1e-12);
        assert!((new_business_spread(&[96.0, 104.0], 0.0) - (0.0032f64 / 2.0).sqrt()).abs() < 1e-12);
        assert_eq!(new_business_spread(&[], 0.0), 0.0);
        assert_eq!(relative_variance(&[1.0, 3.0]), 0.5);
    }

    /// 120 deals created in the year to the as-of against 100 the year before: growth 1.2. A
    /// history under two years old, or a thin earlier year, measures none.
    #[test]
    fn deal_flow_growth_compares_the_last_two_years() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let deal = |i: usize, created: NaiveDate| deal(format!("O{i}"), created, Status::Open, None);
        let as_of = d("2026-09-30");
        let mut ds = Dataset::default();
        ds.opportunities.push(deal(0, d("2024-01-01")));
        ds.opportunities.extend((0..100).map(|i| deal(1 + i, d("2024-10-01") + chrono::Duration::days(3 * i as i64))));
        ds.opportunities
            .extend((0..120).map(|i| deal(200 + i, d("2025-10-01") + chrono::Duration::days(3 * i as i64))));
        assert!((opportunity_growth(&ds, as_of) - 1.2).abs() < 1e-9, "{}", opportunity_growth(&ds, as_of));
        // Deals after the as-of are not history.
        ds.opportunities.extend((0..500).map(|i| deal(400 + i, d("2026-10-01"))));
        assert!((opportunity_growth(&ds, as_of) - 1.2).abs() < 1e-9);
        // The history's first deal less than two years back: no growth measured.
        ds.opportunities.remove(0);
        assert_eq!(opportunity_growth(&ds, as_of), 1.0);
        ds.opportunities.push(deal(0, d("2024-01-01")));
        // Fewer than GROWTH_MIN_DEALS in the earlier year.
        ds.opportunities.retain(|o| {
            o.created_at < d("2024-10-01") || o.created_at >= d("2024-10-01") + chrono::Duration::days(3 * 60)
        });
        assert_eq!(opportunity_growth(&ds, as_of), 1.0);
    }

    /// Two reps of a year's standing create 18 deals each in the last 183 days, one winning
    /// half its earlier deals and one a quarter; a rep hired 120 days ago created 12, with no
    /// deal old enough to judge; one hired 10 days ago none yet.
    #[test]
    fn reps_share_new_business_by_deal_flow_and_win_rate() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let deal = |i: usize, owner: &str, created: NaiveDate, status: Status| Opportunity {
            owner_id: owner.into(),
            ..deal(format!("O{i}"), created, status, status.is_closed().then(|| created + chrono::Duration::days(30)))
        };
        let rep = |id: &str, hired: Option<&str>| RepInfo {
            rep_id: id.into(),
            name: id.into(),
            team: "t".into(),
            region: "r".into(),
            hired_at: hired.map(d),
        };
        let org = vec![rep("R1", None), rep("R2", None), rep("R3", Some("2026-06-02")), rep("R4", Some("2026-09-20"))];
        let as_of = d("2026-09-30");
        let mut ds = Dataset::default();
        let mut i = 0;
        let mut push = |ds: &mut Dataset, owner: &str, created: NaiveDate, status: Status| {
            ds.opportunities.push(deal(i, owner, created, status));
            i += 1;
        };
        for (owner, wins) in [("R1", 20), ("R2", 10)] {
            for k in 0..40 {
                let status = if k < wins { Status::Won } else { Status::Lost };
                push(&mut ds, owner, d("2025-01-01") + chrono::Duration::days(k), status);
            }
            for k in 0..18 {
                push(&mut ds, owner, d("2026-04-01") + chrono::Duration::days(10 * k), Status::Open);
            }
        }
        for k in 0..12 {
            push(&mut ds, "R3", d("2026-06-05") + chrono::Duration::days(10 * k), Status::Open);
        }
        // R3 lost a deal lately: too recent to count against its win rate (created after the
        // censoring date, 30 days before the last creation).
        push(&mut ds, "R3", d("2026-08-28"), Status::Lost);
        let flow = rep_flow(&ds, &org, as_of);
        // The company won 30 of 80: R1's rate (20 + 20 × 0.375) / 60 is 1.22 of it, R2's 0.78.
        let company = 30.0 / 80.0;
        let r1 = 18.0 / 183.0 * (20.0 + 20.0 * company) / 60.0 / company;
        let r2 = 18.0 / 183.0 * (10.0 + 20.0 * company) / 60.0 / company;
        let r3 = 13.0 / 120.0;
        let median = 18.0 / 183.0;
        let want = [r1, r2, r3, median];
        for (got, want) in flow.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{flow:?} vs {want}");
        }
        // New business is shared in proportion: R1 gets r1 / (r1 + r2 + r3 + median) of it.
        let won: Vec<Won> = (0..40)
            .map(|k| Won {
                rep: k % 2,
                product: "suite".into(),
                amount: 10.0,
                created: d("2025-01-01") + chrono::Duration::days(k as i64 * 15),
                closed: d("2025-01-01") + chrono::Duration::days(k as i64 * 15 + 5),
            })
            .collect();
        let nb = new_business(&org, &won, as_of, Period::Quarter { year: 2026, quarter: 4 }, 1.0, &flow).unwrap();
        let total: f64 = nb.per_rep.iter().sum();
        assert!(total > 0.0);
        let sum: f64 = want.iter().sum();
        for (got, w) in nb.per_rep.iter().zip(want) {
            assert!((got / total - w / sum).abs() < 1e-9, "{:?}", nb.per_rep);
        }
    }

    /// 30 won "suite" deals discounted 10% and 10 "addon" deals discounted 30%: an open suite
    /// deal without a discount books 90%, an addon (too few of its own) the overall 15%'s 85%,
    /// a deal with a discount its amount; a history that leaves discounts out changes nothing.
    #[test]
    fn open_deals_without_a_discount_expect_the_won_deals_one() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let won = |i: usize, product: &str, discount: Option<f64>| Opportunity {
            product: product.into(),
            amount: 100.0,
            stage: Stage::Contract,
            discount_pct: discount,
            ..deal(format!("O{i}"), d("2026-01-01"), Status::Won, Some(d("2026-03-01")))
        };
        let mut ds = Dataset::default();
        ds.opportunities.extend((0..30).map(|i| won(i, "suite", Some(10.0))));
        ds.opportunities.extend((30..40).map(|i| won(i, "addon", Some(30.0))));
        let k = Discounts::fit(&ds, d("2026-09-30"));
        assert!((k.overall - 15.0).abs() < 1e-9, "{k:?}");
        assert!((k.share("suite", None) - 0.9).abs() < 1e-9);
        assert!((k.share("addon", None) - 0.85).abs() < 1e-9);
        assert_eq!(k.share("suite", Some(5.0)), 1.0);
        // Won after the as-of: not history yet.
        assert_eq!(Discounts::fit(&ds, d("2026-02-01")), Discounts::default());
        // Discounts on fewer than 90% of the won deals: a missing one may mean none.
        ds.opportunities.extend((40..45).map(|i| won(i, "suite", None)));
        assert_eq!(Discounts::fit(&ds, d("2026-09-30")).share("suite", None), 1.0);
    }

    /// A deal open through January 2025 is seen on the five dates around 15 January of that
    /// year, across the new year (as of 15 January 2026); 2023 is before the history settled.
    #[test]
    fn seasonal_snapshots_see_the_same_calendar_days_in_earlier_years() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let deal =
            |id: &str, created: &str, status: Status, closed: &str| deal(id, d(created), status, Some(d(closed)));
        let mut ds = Dataset::default();
        ds.opportunities.push(deal("O1", "2023-06-01", Status::Lost, "2023-07-01"));
        ds.opportunities.push(deal("O2", "2024-12-20", Status::Won, "2025-02-01"));
        // Open on 15 January 2023, when the history (first close 1 February 2023) had not settled.
        ds.opportunities.push(deal("O3", "2022-12-01", Status::Won, "2023-02-01"));
        let stages = FxHashMap::default();
        let mut got = seasonal_snapshots(&ds, &stages, d("2026-01-15"));
        got.sort_by(|a, b| a.1.total_cmp(&b.1));
        let days: Vec<f64> = got.iter().map(|s| s.1).collect();
        assert_eq!(days, vec![3.0, 10.0, 17.0, 24.0, 31.0]);
        // Seen on 1 January it was 12 days old, on 29 January 40.
        assert_eq!(got[4].0, cell(Stage::Discovery, 12));
        assert_eq!(got[0].0, cell(Stage::Discovery, 40));
        // A history that starts later sees no earlier year at all.
        assert!(seasonal_snapshots(&ds, &stages, d("2025-03-01")).is_empty());
    }

    /// Deals created from August to October close in 10 days, the others in 60: seen from the
    /// end of September the time to close is the autumn's, from the end of March the spring's.
    #[test]
    fn time_to_close_follows_the_time_of_year() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut ds = Dataset::default();
        let mut day = d("2023-01-01");
        while day < d("2026-09-30") {
            use chrono::Datelike;
            let fast = (8..=10).contains(&day.month());
            let closed = day + chrono::Duration::days(if fast { 10 } else { 60 });
            ds.opportunities.push(deal(format!("O{day}"), day, Status::Won, Some(closed)));
            day += chrono::Duration::days(1);
        }
        let median = |ds: &Dataset, as_of: &str| {
            CloseModel::fit(ds, d(as_of)).remaining_days[cell(Stage::Discovery, 0)][GRID / 2]
        };
        // Seen on the dates around 30 September, the young deals are autumn ones with at most
        // 10 days to go; around 31 March spring ones with 30 to 60.
        assert!(median(&ds, "2026-09-30") <= 10.0, "{}", median(&ds, "2026-09-30"));
        let spring = median(&ds, "2026-03-31");
        assert!((30.0..=60.0).contains(&spring), "{spring}");
        // A history that starts in September 2025 had not settled by last year's dates: every
        // season's snapshots (the deals at creation, 10 or 60 days to go) count.
        ds.opportunities.retain(|o| o.created_at >= d("2025-09-01"));
        assert_eq!(median(&ds, "2026-09-30"), 60.0);
    }

    /// Every quarter-eve holds 100 of pipeline; Q4 wins 40 of it, the other quarters 20.
    #[test]
    fn seasonal_conversion_sees_a_year_end_push() {
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
                    amount: 20.0,
                    stage: Stage::Negotiation,
                    ..deal(format!("O{n}"), eve - chrono::Duration::days(5), status, closed_at)
                });
            }
            p = p.next();
        }
        let c = SeasonalConversion::fit(&ds, d("2026-09-30"));
        assert_eq!(c.quarter.len(), 4);
        let note = c.note(Period::quarter_of(d("2026-12-01"))).unwrap();
        assert!(note.en.contains(&format!("× {:.2} for Q4", c.quarter[3])), "{note}");
        assert!(note.zh.contains(&format!("第4季度的赢单概率 × {:.2}", c.quarter[3])), "{}", note.zh);
        assert_eq!(SeasonalConversion::default().note(Period::quarter_of(d("2026-12-01"))), None);
        // Ratios: Q4 0.4 (2 periods), others 0.2 (2–3 periods); mean ≈ 0.244. Q4 shrunk by
        // one pseudo-period at the mean: (0.8 + 0.244) / 3 / 0.244 ≈ 1.43.
        let q4 = c.factor(Period::quarter_of(d("2026-12-01")));
        let q1 = c.factor(Period::quarter_of(d("2027-02-01")));
        assert!(q4 > 1.3 && q4 < 1.6, "{c:?}");
        assert!(q1 < 1.0 && q1 > 0.7, "{c:?}");
        // Months: a month without its own history gives no factors at all, never a guess.
        assert!(c.month.is_empty() || c.month.len() == 12);
        assert_eq!(SeasonalConversion::default().factor(Period::quarter_of(d("2026-12-01"))), 1.0);
        // Counted in deals: one large win in a past Q2 does not make Q2 a season of its own.
        let big = ds
            .opportunities
            .iter_mut()
            .find(|o| o.status == Status::Won && o.closed_at.is_some_and(|c| chrono::Datelike::month(&c) == 4))
            .unwrap();
        big.amount = 2000.0;
        assert_eq!(SeasonalConversion::fit(&ds, d("2026-09-30")), c);
    }
}
