//! The rep scorecard (绩效考核表) a sales director reviews each period: per rep, target vs
//! actual and the activity behind it, with the median of the rep's team beside every figure.
//!
//! Definitions (a period cut at the as-of date counts only its days up to it):
//!
//! - *quota*, *bookings*, *completion* = bookings / quota (see `teams` for bookings and quota);
//! - *new_customers*: distinct accounts the rep won a deal from in the period that had no won
//!   deal (by anyone) before the period;
//! - *visits*, *calls*: the rep's activities in the period on deals of **existing customers**
//!   — accounts with a deal won before the activity's date — whose channel is a visit (`visit`,
//!   `onsite`, `拜访`) or a call (`phone`, `call`, `电话`); channel names are matched without
//!   case; other channels (email, video, meeting, WeChat) count in neither;
//! - *orders*: deals won in the period; *orders_per_week* = orders / (days in the period / 7);
//! - *previous_bookings*: bookings of the period before; *growth* = bookings / previous − 1;
//! - *customers_lost*: distinct existing customers (a deal won before the period) with a deal
//!   of the rep's lost in the period and no deal won in the period.
//!
//! Deals without an account count toward bookings and orders but toward no customer figure. A
//! rep appears when they have a quota for the period, a deal closed in it or an activity in it.
//! The team median of a figure is over the team's reps on the scorecard that have the figure.

use super::{Analytics, SortKey, Sortable, Window, median, ratio};
use crate::domain::{Period, Status};
use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;

/// One rep's figures.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RepFigures {
    pub quota: Option<f64>,
    pub bookings: f64,
    pub completion: Option<f64>,
    pub new_customers: u64,
    pub visits: u64,
    pub calls: u64,
    pub orders: u64,
    pub orders_per_week: f64,
    pub previous_bookings: f64,
    pub growth: Option<f64>,
    pub customers_lost: u64,
}

/// The team's median of each figure (`None` when no rep of the team has it).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TeamMedians {
    pub quota: Option<f64>,
    pub bookings: Option<f64>,
    pub completion: Option<f64>,
    pub new_customers: Option<f64>,
    pub visits: Option<f64>,
    pub calls: Option<f64>,
    pub orders: Option<f64>,
    pub orders_per_week: Option<f64>,
    pub previous_bookings: Option<f64>,
    pub growth: Option<f64>,
    pub customers_lost: Option<f64>,
}

/// A rep's line on the scorecard.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ScorecardRow {
    pub rep_id: String,
    pub name: String,
    pub team: String,
    pub figures: RepFigures,
    pub team_median: TeamMedians,
}

/// The scorecard for a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Scorecard {
    pub window: Window,
    pub previous_period: String,
    /// Days of the period counted, over 7.
    pub weeks: f64,
    pub rows: Vec<ScorecardRow>,
}

/// The figure columns, in display order (also the numeric sort columns).
pub const FIGURES: &[&str] = &[
    "quota",
    "bookings",
    "completion",
    "new_customers",
    "visits",
    "calls",
    "orders",
    "orders_per_week",
    "previous_bookings",
    "growth",
    "customers_lost",
];

impl RepFigures {
    /// A figure by column name (one of [`FIGURES`]).
    pub fn get(&self, column: &str) -> Option<f64> {
        match column {
            "quota" => self.quota,
            "bookings" => Some(self.bookings),
            "completion" => self.completion,
            "new_customers" => Some(self.new_customers as f64),
            "visits" => Some(self.visits as f64),
            "calls" => Some(self.calls as f64),
            "orders" => Some(self.orders as f64),
            "orders_per_week" => Some(self.orders_per_week),
            "previous_bookings" => Some(self.previous_bookings),
            "growth" => self.growth,
            "customers_lost" => Some(self.customers_lost as f64),
            _ => None,
        }
    }
}

impl TeamMedians {
    /// A median by column name (one of [`FIGURES`]).
    pub fn get(&self, column: &str) -> Option<f64> {
        match column {
            "quota" => self.quota,
            "bookings" => self.bookings,
            "completion" => self.completion,
            "new_customers" => self.new_customers,
            "visits" => self.visits,
            "calls" => self.calls,
            "orders" => self.orders,
            "orders_per_week" => self.orders_per_week,
            "previous_bookings" => self.previous_bookings,
            "growth" => self.growth,
            "customers_lost" => self.customers_lost,
            _ => None,
        }
    }

    fn of(figures: &[&RepFigures]) -> TeamMedians {
        let m = |c: &str| median(&mut figures.iter().filter_map(|f| f.get(c)).collect::<Vec<_>>());
        TeamMedians {
            quota: m("quota"),
            bookings: m("bookings"),
            completion: m("completion"),
            new_customers: m("new_customers"),
            visits: m("visits"),
            calls: m("calls"),
            orders: m("orders"),
            orders_per_week: m("orders_per_week"),
            previous_bookings: m("previous_bookings"),
            growth: m("growth"),
            customers_lost: m("customers_lost"),
        }
    }
}

/// What kind of touch a channel name is, for the scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touch {
    Visit,
    Call,
    Other,
}

/// Classifies an activity channel (case-insensitive).
pub fn touch_kind(channel: &str) -> Touch {
    match channel.trim().to_lowercase().as_str() {
        "visit" | "visits" | "onsite" | "on-site" | "拜访" | "上门拜访" => Touch::Visit,
        "phone" | "call" | "calls" | "phone call" | "电话" => Touch::Call,
        _ => Touch::Other,
    }
}

impl Analytics<'_> {
    /// The scorecard for a period, one row per rep in rep-ID order.
    pub fn scorecard(&self, period: Period) -> Scorecard {
        let (start, end) = self.span(period);
        let prev = period.offset(-1);
        let ds = self.ds;

        // Per account: its first win, and whether it won a deal in the period.
        let mut first_win: FxHashMap<&str, NaiveDate> = FxHashMap::default();
        let mut won_in_period: FxHashSet<&str> = FxHashSet::default();
        for o in ds.opportunities.iter().filter(|o| o.status == Status::Won) {
            let (Some(acc), Some(c)) = (o.account_id.as_deref(), o.closed_at) else { continue };
            let e = first_win.entry(acc).or_insert(c);
            *e = (*e).min(c);
            if self.in_span(period, c) {
                won_in_period.insert(acc);
            }
        }

        #[derive(Default)]
        struct Acc<'s> {
            present: bool,
            bookings: f64,
            previous: f64,
            orders: u64,
            visits: u64,
            calls: u64,
            new: FxHashSet<&'s str>,
            lost: FxHashSet<&'s str>,
        }
        let mut reps: BTreeMap<&str, Acc> = BTreeMap::new();
        for q in &ds.quotas {
            if self.quota(&q.rep_id, period).is_some() {
                reps.entry(q.rep_id.as_str()).or_default().present = true;
            }
        }
        for o in &ds.opportunities {
            let Some(c) = o.closed_at.filter(|_| o.status.is_closed()) else { continue };
            let this = self.in_span(period, c);
            if o.status == Status::Won && prev.contains(c) {
                reps.entry(o.owner_id.as_str()).or_default().previous += o.amount;
            }
            if !this {
                continue;
            }
            let a = reps.entry(o.owner_id.as_str()).or_default();
            a.present = true;
            let acc = o.account_id.as_deref();
            if o.status == Status::Won {
                a.bookings += o.amount;
                a.orders += 1;
                if let Some(acc) = acc.filter(|x| first_win.get(x).is_some_and(|&f| f >= start)) {
                    a.new.insert(acc);
                }
            } else if let Some(acc) =
                acc.filter(|x| first_win.get(x).is_some_and(|&f| f < start) && !won_in_period.contains(x))
            {
                a.lost.insert(acc);
            }
        }
        for t in &ds.activities {
            if !self.in_span(period, t.at) {
                continue;
            }
            let Some(&oi) = self.opp_index.get(t.opportunity_id.as_str()) else { continue };
            let o = &ds.opportunities[oi];
            let a = reps.entry(o.owner_id.as_str()).or_default();
            a.present = true;
            let existing = o.account_id.as_deref().and_then(|x| first_win.get(x)).is_some_and(|&f| f < t.at);
            if existing {
                match touch_kind(&t.channel) {
                    Touch::Visit => a.visits += 1,
                    Touch::Call => a.calls += 1,
                    Touch::Other => {}
                }
            }
        }

        let weeks = ((end - start).num_days() + 1) as f64 / 7.0;
        let mut rows: Vec<ScorecardRow> = reps
            .into_iter()
            .filter(|(_, a)| a.present)
            .map(|(id, a)| {
                let quota = self.quota(id, period);
                let (name, team) = match self.rep_index.get(id) {
                    Some(&i) => (ds.reps[i].name.clone(), ds.reps[i].team.clone()),
                    None => (String::new(), super::UNKNOWN.to_string()),
                };
                let figures = RepFigures {
                    quota,
                    bookings: a.bookings,
                    completion: quota.and_then(|q| ratio(a.bookings, q)),
                    new_customers: a.new.len() as u64,
                    visits: a.visits,
                    calls: a.calls,
                    orders: a.orders,
                    orders_per_week: a.orders as f64 / weeks,
                    previous_bookings: a.previous,
                    growth: ratio(a.bookings - a.previous, a.previous),
                    customers_lost: a.lost.len() as u64,
                };
                ScorecardRow { rep_id: id.to_string(), name, team, figures, team_median: TeamMedians::default() }
            })
            .collect();
        let mut by_team: BTreeMap<&str, Vec<&RepFigures>> = BTreeMap::new();
        for r in &rows {
            by_team.entry(r.team.as_str()).or_default().push(&r.figures);
        }
        let medians: BTreeMap<String, TeamMedians> =
            by_team.into_iter().map(|(t, f)| (t.to_string(), TeamMedians::of(&f))).collect();
        for r in &mut rows {
            r.team_median = medians.get(&r.team).cloned().unwrap_or_default();
        }
        Scorecard { window: self.window(period), previous_period: prev.to_string(), weeks, rows }
    }
}

impl Sortable for ScorecardRow {
    const COLUMNS: &'static [&'static str] = &[
        "rep",
        "name",
        "team",
        "quota",
        "bookings",
        "completion",
        "new_customers",
        "visits",
        "calls",
        "orders",
        "orders_per_week",
        "previous_bookings",
        "growth",
        "customers_lost",
    ];

    fn sort_key(&self, column: &str) -> SortKey {
        match column {
            "rep" => SortKey::Text(self.rep_id.clone()),
            "name" => SortKey::Text(self.name.clone()),
            "team" => SortKey::Text(self.team.clone()),
            c => SortKey::Number(self.figures.get(c)),
        }
    }

    fn id(&self) -> &str {
        &self.rep_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_classified() {
        assert_eq!(touch_kind("Visit"), Touch::Visit);
        assert_eq!(touch_kind("电话"), Touch::Call);
        assert_eq!(touch_kind("phone"), Touch::Call);
        assert_eq!(touch_kind("email"), Touch::Other);
        assert_eq!(touch_kind("meeting"), Touch::Other);
    }
}
