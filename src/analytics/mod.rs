//! Sales analytics over a loaded contract [`Dataset`]: the funnel from lead to cash, channel
//! effectiveness (评估渠道引流效能), team efficiency (团队效能对比), the rep scorecard
//! (绩效考核表), customer tiers (ABC and RFM) and collection (回款).
//!
//! Entry point: [`Analytics::new`] indexes a dataset once (one pass over each table),
//! [`Analytics::period`] resolves the period the user asked for, then one method per analysis
//! returns a plain serde-serialisable report — the CLI prints it, the HTTP layer returns it as
//! JSON. Nothing here reads files, prints or looks at the clock.
//!
//! Conventions every analysis shares (the README's "Analytics" section says the same):
//!
//! - **As-of date.** The data's as-of date is its latest event: a lead created or converted, a
//!   deal created or closed, a stage entered, an activity, a payment made. Due dates and
//!   expected close dates (which lie in the future) do not count.
//! - **Period.** A quarter (`2026Q3`) or a month (`2026-07`). Default: the last whole quarter
//!   of the data (the quarter of the as-of date when the as-of date is its last day, else the
//!   quarter before). A period outside the data (ending before its first event or starting
//!   after its as-of date) is an error. A period still running at the as-of date is cut there.
//! - **Owners and groups.** A lead belongs to its `owner_id`, a deal to its `owner_id`, an
//!   activity to its deal's owner; a rep's team is `reps.team`. A deal's channel is the
//!   `source` of its lead; deals with no lead (pipeline migrated from before the history) form
//!   the group [`NO_LEAD`]. Owners missing from `reps` form the team [`UNKNOWN`].
//! - **Quota of a period.** Quota rows of exactly that period count fully; a quarterly quota
//!   counts one third toward each of its months; monthly quotas are summed into a quarter.
//! - **No NaN.** Every ratio or median whose denominator or sample is empty is `None` (`null`
//!   in JSON). Sums run in table order, so the same data gives the same bytes.
//! - **Deterministic order.** Groups are sorted by key (byte order); rows of a rep table by
//!   rep ID unless sorted on a column with [`sort_rows`].

mod channels;
mod collections;
mod funnel;
mod scorecard;
mod teams;
mod tiers;

pub use channels::{ChannelRow, Channels};
pub use collections::{AgeingBucket, CollectionRow, Collections};
pub use funnel::{Funnel, FunnelGroup, FunnelStage, StageRow};
pub use scorecard::{
    FIGURES as SCORECARD_FIGURES, RepFigures, Scorecard, ScorecardRow, TeamMedians, Touch, touch_kind,
};
pub use teams::{TeamEfficiency, TeamRow};
pub use tiers::{
    AbcClass, AccountTier, ClassSummary, SegmentSummary, Tiers, abc_classes, rfm_scores, rfm_segment, segment_zh,
};

use crate::domain::{Dataset, Period, Stage};
use crate::{Error, Result};
use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::str::FromStr;

/// Channel of deals that have no lead (pipeline migrated from before the history).
pub const NO_LEAD: &str = "(no lead)";
/// Team of an owner that is not in `reps`.
pub const UNKNOWN: &str = "(unknown)";

/// How to break a report down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The lead's source (channel).
    Source,
    /// The owner's team.
    Team,
    /// The owner.
    Rep,
}

impl FromStr for GroupBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "source" | "channel" => Ok(GroupBy::Source),
            "team" => Ok(GroupBy::Team),
            "rep" => Ok(GroupBy::Rep),
            _ => Err(Error::InvalidArgument(format!("unknown grouping {s:?} (expected one of: source, team, rep)"))),
        }
    }
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Source => "source",
            GroupBy::Team => "team",
            GroupBy::Rep => "rep",
        }
    }
}

/// What every report says about itself.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Window {
    /// The period, as given (`2026Q3`, `2026-07`).
    pub period: String,
    /// First day of the period (ISO date).
    pub start: String,
    /// Last day counted: the period's last day, or the as-of date when the period is still running.
    pub end: String,
    /// The data's as-of date (its latest event).
    pub as_of: String,
    /// Whether the period ends after the as-of date (figures are to date).
    pub partial: bool,
}

/// A dataset indexed for analysis. Cheap to build; borrows the dataset.
pub struct Analytics<'a> {
    pub(crate) ds: &'a Dataset,
    /// The latest event date in the data.
    pub(crate) as_of: NaiveDate,
    /// The earliest event date in the data.
    pub(crate) first: NaiveDate,
    /// Rep index by ID.
    pub(crate) rep_index: FxHashMap<&'a str, usize>,
    /// Per lead: its conversion (converted at all, and the date when known).
    pub(crate) lead_conversion: Vec<(bool, Option<NaiveDate>)>,
    /// Per opportunity: index of its lead, when it has one that exists.
    pub(crate) opp_lead: Vec<Option<usize>>,
    /// Opportunity index by ID.
    pub(crate) opp_index: FxHashMap<&'a str, usize>,
    /// Per opportunity: the earliest entry into each pipeline stage (discovery…contract).
    pub(crate) stage_entered: Vec<[Option<NaiveDate>; 4]>,
    /// Per opportunity: the invoices (indices into payments).
    pub(crate) invoices: Vec<Vec<usize>>,
}

impl<'a> Analytics<'a> {
    /// Indexes a dataset. Fails only when the dataset holds no dated record at all.
    pub fn new(ds: &'a Dataset) -> Result<Self> {
        let mut dates = DateRange::default();
        for l in &ds.leads {
            dates.add(l.created_at);
            dates.add_opt(l.converted_at);
        }
        for o in &ds.opportunities {
            dates.add(o.created_at);
            dates.add_opt(o.closed_at);
        }
        for s in &ds.stage_history {
            dates.add(s.entered_at);
        }
        for a in &ds.activities {
            dates.add(a.at);
        }
        for p in ds.payments.iter().flatten() {
            dates.add_opt(p.paid_at);
        }
        let (Some(first), Some(as_of)) = (dates.min, dates.max) else {
            return Err(Error::InvalidArgument(
                "the data holds no dated record (no leads, deals or activities)".into(),
            ));
        };

        let rep_index = ds.reps.iter().enumerate().map(|(i, r)| (r.rep_id.as_str(), i)).collect();
        let opp_index: FxHashMap<&str, usize> =
            ds.opportunities.iter().enumerate().map(|(i, o)| (o.opportunity_id.as_str(), i)).collect();
        let lead_index: FxHashMap<&str, usize> =
            ds.leads.iter().enumerate().map(|(i, l)| (l.lead_id.as_str(), i)).collect();

        let opp_lead: Vec<Option<usize>> =
            ds.opportunities.iter().map(|o| o.lead_id.as_deref().and_then(|id| lead_index.get(id).copied())).collect();
        // A lead converted when it says so, has a conversion date, or a deal names it; its date is
        // `converted_at`, else the creation of its first deal.
        let mut lead_conversion: Vec<(bool, Option<NaiveDate>)> =
            ds.leads.iter().map(|l| (l.converted == Some(true) || l.converted_at.is_some(), l.converted_at)).collect();
        let mut first_deal: Vec<Option<NaiveDate>> = vec![None; ds.leads.len()];
        for (o, li) in ds.opportunities.iter().zip(&opp_lead) {
            if let Some(li) = *li {
                lead_conversion[li].0 = true;
                first_deal[li] = Some(first_deal[li].map_or(o.created_at, |d: NaiveDate| d.min(o.created_at)));
            }
        }
        for (c, d) in lead_conversion.iter_mut().zip(first_deal) {
            if c.0 && c.1.is_none() {
                c.1 = d;
            }
        }

        let mut stage_entered = vec![[None; 4]; ds.opportunities.len()];
        for s in &ds.stage_history {
            let (Some(&oi), Some(k)) = (opp_index.get(s.opportunity_id.as_str()), pipeline_index(s.stage)) else {
                continue;
            };
            let slot: &mut Option<NaiveDate> = &mut stage_entered[oi][k];
            *slot = Some(slot.map_or(s.entered_at, |d| d.min(s.entered_at)));
        }

        let mut invoices = vec![Vec::new(); ds.opportunities.len()];
        for (i, p) in ds.payments.iter().flatten().enumerate() {
            if let Some(&oi) = opp_index.get(p.opportunity_id.as_str()) {
                invoices[oi].push(i);
            }
        }

        Ok(Analytics { ds, as_of, first, rep_index, lead_conversion, opp_lead, opp_index, stage_entered, invoices })
    }

    /// The data's as-of date (its latest event).
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The data's first event date.
    pub fn first_date(&self) -> NaiveDate {
        self.first
    }

    /// The last whole quarter of the data (or the as-of date's quarter when the data covers
    /// none whole).
    pub fn default_period(&self) -> Period {
        let q = Period::quarter_of(self.as_of);
        let prev = q.offset(-1);
        if self.as_of == q.last_day() || prev.start() < self.first { q } else { prev }
    }

    /// Resolves a period as typed by a user (`2026Q3`, `2026-07`), or the default when `None`.
    /// Errors name the accepted forms, or the data's range when the period lies outside it.
    pub fn period(&self, text: Option<&str>) -> Result<Period> {
        let Some(text) = text else { return Ok(self.default_period()) };
        let p: Period = text.parse().map_err(Error::InvalidArgument)?;
        if p.start() > self.as_of || p.last_day() < self.first {
            return Err(Error::InvalidArgument(format!(
                "period {p} is outside the data, which runs from {} to {} (e.g. --period {})",
                self.first,
                self.as_of,
                self.default_period()
            )));
        }
        Ok(p)
    }

    /// The days of `p` that the data covers: start..=end (end cut at the as-of date).
    pub(crate) fn span(&self, p: Period) -> (NaiveDate, NaiveDate) {
        (p.start(), p.last_day().min(self.as_of))
    }

    pub(crate) fn window(&self, p: Period) -> Window {
        let (start, end) = self.span(p);
        Window {
            period: p.to_string(),
            start: start.to_string(),
            end: end.to_string(),
            as_of: self.as_of.to_string(),
            partial: p.last_day() > self.as_of,
        }
    }

    pub(crate) fn in_span(&self, p: Period, d: NaiveDate) -> bool {
        let (s, e) = self.span(p);
        s <= d && d <= e
    }

    /// The team of a rep ID ([`UNKNOWN`] when not in `reps`).
    pub(crate) fn team_of(&self, rep_id: &str) -> &'a str {
        self.rep_index.get(rep_id).map_or(UNKNOWN, |&i| self.ds.reps[i].team.as_str())
    }

    /// The channel (lead source) of an opportunity.
    pub(crate) fn opp_source(&self, oi: usize) -> &'a str {
        self.opp_lead[oi].map_or(NO_LEAD, |li| self.ds.leads[li].source.as_str())
    }

    /// The group key of an opportunity.
    pub(crate) fn opp_key(&self, oi: usize, by: GroupBy) -> &'a str {
        let o = &self.ds.opportunities[oi];
        match by {
            GroupBy::Source => self.opp_source(oi),
            GroupBy::Team => self.team_of(&o.owner_id),
            GroupBy::Rep => o.owner_id.as_str(),
        }
    }

    /// The group key of a lead.
    pub(crate) fn lead_key(&self, li: usize, by: GroupBy) -> &'a str {
        let l = &self.ds.leads[li];
        match by {
            GroupBy::Source => l.source.as_str(),
            GroupBy::Team => self.team_of(&l.owner_id),
            GroupBy::Rep => l.owner_id.as_str(),
        }
    }

    /// The date a won deal was fully paid: every invoice paid (none when it has no invoice, or
    /// the data has no payments table).
    pub(crate) fn collected_at(&self, oi: usize) -> Option<NaiveDate> {
        let pays = self.ds.payments.as_ref()?;
        let inv = &self.invoices[oi];
        if inv.is_empty() {
            return None;
        }
        let mut last = None;
        for &i in inv {
            let d = pays[i].paid_at?;
            last = Some(last.map_or(d, |l: NaiveDate| l.max(d)));
        }
        last
    }

    /// A rep's quota for a period (see the module docs), `None` when no quota row covers it.
    pub(crate) fn quota(&self, rep_id: &str, p: Period) -> Option<f64> {
        let mut total = None;
        for q in self.ds.quotas.iter().filter(|q| q.rep_id == rep_id) {
            let part = quota_share(q.period, p);
            if part > 0.0 {
                total = Some(total.unwrap_or(0.0) + q.quota * part);
            }
        }
        total
    }
}

/// The share of quota period `q` that counts toward period `p`.
fn quota_share(q: Period, p: Period) -> f64 {
    match (q, p) {
        _ if q == p => 1.0,
        (Period::Quarter { .. }, Period::Month { .. }) if Period::quarter_of(p.start()) == q => 1.0 / 3.0,
        (Period::Month { .. }, Period::Quarter { .. }) if Period::quarter_of(q.start()) == p => 1.0,
        _ => 0.0,
    }
}

/// Position of a pipeline stage (discovery = 0 … contract = 3).
pub(crate) fn pipeline_index(s: Stage) -> Option<usize> {
    Stage::PIPELINE.iter().position(|&x| x == s)
}

#[derive(Default)]
struct DateRange {
    min: Option<NaiveDate>,
    max: Option<NaiveDate>,
}

impl DateRange {
    fn add(&mut self, d: NaiveDate) {
        self.min = Some(self.min.map_or(d, |m| m.min(d)));
        self.max = Some(self.max.map_or(d, |m| m.max(d)));
    }

    fn add_opt(&mut self, d: Option<NaiveDate>) {
        if let Some(d) = d {
            self.add(d);
        }
    }
}

/// `num / den`, or `None` when the denominator is zero or the result is not finite.
pub fn ratio(num: f64, den: f64) -> Option<f64> {
    let r = num / den;
    (den != 0.0 && r.is_finite()).then_some(r)
}

/// The median (mean of the two middle values for an even count), `None` for no values.
pub fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// Days from `a` to `b`.
pub(crate) fn days(a: NaiveDate, b: NaiveDate) -> f64 {
    (b - a).num_days() as f64
}

// ---------------------------------------------------------------------------------------------
// Sorting report rows by a named column.

/// A cell's value for sorting.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Text(String),
    Number(Option<f64>),
}

/// Rows that can be sorted by a named column.
pub trait Sortable {
    /// Every sortable column name.
    const COLUMNS: &'static [&'static str];
    /// The row's value in `column` (one of `COLUMNS`).
    fn sort_key(&self, column: &str) -> SortKey;
    /// The tie-break: the row's identity.
    fn id(&self) -> &str;
}

/// A parsed `--sort` value: `COL` (numbers descending, text ascending), `COL:asc` or `COL:desc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortSpec {
    pub column: String,
    /// `None`: the column's natural order (numbers descending, text ascending).
    pub descending: Option<bool>,
}

impl FromStr for SortSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (column, dir) = match s.rsplit_once(':') {
            Some((c, "asc")) => (c, Some(false)),
            Some((c, "desc")) => (c, Some(true)),
            Some((_, d)) => {
                return Err(Error::InvalidArgument(format!(
                    "unknown sort direction {d:?} in {s:?} (expected asc or desc)"
                )));
            }
            None => (s, None),
        };
        Ok(SortSpec { column: column.trim().to_string(), descending: dir })
    }
}

/// Sorts rows by a column. Undefined numbers sort last in either direction; ties keep ID
/// order. An unknown column is an error naming the valid ones.
pub fn sort_rows<T: Sortable>(rows: &mut [T], spec: &SortSpec) -> Result<()> {
    if !T::COLUMNS.contains(&spec.column.as_str()) {
        return Err(Error::InvalidArgument(format!(
            "unknown sort column {:?} (expected one of: {})",
            spec.column,
            T::COLUMNS.join(", ")
        )));
    }
    let col = spec.column.as_str();
    rows.sort_by(|a, b| {
        let ord = match (a.sort_key(col), b.sort_key(col)) {
            (SortKey::Text(x), SortKey::Text(y)) => {
                let o = x.cmp(&y);
                if spec.descending == Some(true) { o.reverse() } else { o }
            }
            (SortKey::Number(x), SortKey::Number(y)) => match (x, y) {
                (Some(x), Some(y)) => {
                    let o = x.total_cmp(&y);
                    if spec.descending.unwrap_or(true) { o.reverse() } else { o }
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            _ => Ordering::Equal,
        };
        ord.then_with(|| a.id().cmp(b.id()))
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_ratio() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(ratio(0.0, 0.0), None);
        assert_eq!(ratio(1.0, 4.0), Some(0.25));
    }

    #[test]
    fn quota_shares() {
        let q: Period = "2026Q3".parse().unwrap();
        let m: Period = "2026-08".parse().unwrap();
        assert_eq!(quota_share(q, q), 1.0);
        assert_eq!(quota_share(q, m), 1.0 / 3.0);
        assert_eq!(quota_share(m, q), 1.0);
        assert_eq!(quota_share("2026-10".parse().unwrap(), q), 0.0);
        assert_eq!(quota_share("2026Q2".parse().unwrap(), m), 0.0);
    }

    #[test]
    fn sort_specs() {
        assert_eq!("bookings".parse::<SortSpec>().unwrap().descending, None);
        assert_eq!("bookings:asc".parse::<SortSpec>().unwrap().descending, Some(false));
        assert!("bookings:up".parse::<SortSpec>().is_err());
    }
}
