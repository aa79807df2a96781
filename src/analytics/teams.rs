//! Team efficiency (团队效能对比): per team and per rep, bookings, win rate, cycle time, pipeline
//! coverage and quota attainment for a period.
//!
//! - *bookings*: amount of deals won with `closed_at` in the period; *won*/*lost* count the
//!   deals closed in the period; *win_rate* = won / (won + lost).
//! - *median_cycle_days*: over the deals won in the period, days from creation to `closed_at`.
//! - *quota*: see the module docs of `analytics`; *attainment* = bookings / quota.
//! - *pipeline coverage* = open pipeline / remaining quota, measured at the **snapshot**: the
//!   start of the period for a period that is over (the pipeline a team entered it with, against
//!   its whole quota), the end of the as-of date for a period still running (today's pipeline
//!   against what is left to book). The open pipeline is the amount of every deal created
//!   before the snapshot and not closed before it (all open deals, whatever their expected
//!   close). The remaining quota is the quota minus bookings before the snapshot, at least 0;
//!   coverage is `None` when nothing remains.
//! - *stale pipeline*: the part of that open pipeline that had been open, at the snapshot,
//!   longer than 99% of the wins before it took ([`crate::forecast::pipeline::Stale`], the
//!   rule the forecast caps such deals by): pipeline that inflates coverage but that nobody is
//!   likely to close. `None` under 100 wins before the snapshot.
//!
//! A rep appears when they have a quota for the period, a deal closed in it, or open pipeline
//! at the snapshot; a team sums its reps (its quota is `None` when none of them has one).

use super::{Analytics, SortKey, Sortable, Window, days, median, ratio};
use crate::domain::{Period, Status};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// One team's or rep's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TeamRow {
    /// The team, the rep ID, or `total`.
    pub key: String,
    /// The rep's name (rep rows only).
    pub name: Option<String>,
    /// The team (for a team row, itself).
    pub team: String,
    /// Reps counted in the row.
    pub reps: u64,
    pub quota: Option<f64>,
    pub bookings: f64,
    pub won: u64,
    pub lost: u64,
    pub win_rate: Option<f64>,
    pub median_cycle_days: Option<f64>,
    pub open_deals: u64,
    pub open_pipeline: f64,
    /// The part of `open_pipeline` open longer than 99% of the wins took (see the module docs).
    pub stale_pipeline: Option<f64>,
    /// Quota minus bookings before the snapshot, at least 0.
    pub remaining_quota: Option<f64>,
    /// open_pipeline / remaining_quota.
    pub pipeline_coverage: Option<f64>,
    /// bookings / quota.
    pub attainment: Option<f64>,
}

/// Team efficiency for a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TeamEfficiency {
    pub window: Window,
    /// The day at whose start the open pipeline is measured.
    pub snapshot: String,
    pub teams: Vec<TeamRow>,
    pub reps: Vec<TeamRow>,
    pub total: TeamRow,
}

#[derive(Default)]
struct Acc {
    reps: u64,
    quota: Option<f64>,
    bookings: f64,
    booked_before_snapshot: f64,
    won: u64,
    lost: u64,
    cycle: Vec<f64>,
    open_deals: u64,
    open_pipeline: f64,
    /// `None` when there is no stale rule.
    stale_pipeline: Option<f64>,
}

impl Acc {
    fn add(&mut self, o: &Acc) {
        self.reps += o.reps;
        if let Some(q) = o.quota {
            self.quota = Some(self.quota.unwrap_or(0.0) + q);
        }
        self.bookings += o.bookings;
        self.booked_before_snapshot += o.booked_before_snapshot;
        self.won += o.won;
        self.lost += o.lost;
        self.cycle.extend_from_slice(&o.cycle);
        self.open_deals += o.open_deals;
        self.open_pipeline += o.open_pipeline;
        if let Some(x) = o.stale_pipeline {
            self.stale_pipeline = Some(self.stale_pipeline.unwrap_or(0.0) + x);
        }
    }

    fn row(&self, key: &str, name: Option<&str>, team: &str) -> TeamRow {
        let remaining = self.quota.map(|q| (q - self.booked_before_snapshot).max(0.0));
        TeamRow {
            key: key.to_string(),
            name: name.map(String::from),
            team: team.to_string(),
            reps: self.reps,
            quota: self.quota,
            bookings: self.bookings,
            won: self.won,
            lost: self.lost,
            win_rate: ratio(self.won as f64, (self.won + self.lost) as f64),
            median_cycle_days: median(&mut self.cycle.clone()),
            open_deals: self.open_deals,
            open_pipeline: self.open_pipeline,
            stale_pipeline: self.stale_pipeline,
            remaining_quota: remaining,
            pipeline_coverage: remaining.and_then(|r| ratio(self.open_pipeline, r)),
            attainment: self.quota.and_then(|q| ratio(self.bookings, q)),
        }
    }
}

impl Analytics<'_> {
    /// The day at whose start a period's open pipeline is measured (see the module docs).
    pub(crate) fn snapshot(&self, period: Period) -> NaiveDate {
        if period.last_day() <= self.as_of { period.start() } else { self.as_of.succ_opt().unwrap_or(self.as_of) }
    }

    /// Team efficiency for a period, per team and per rep.
    pub fn teams(&self, period: Period) -> TeamEfficiency {
        let snap = self.snapshot(period);
        let day_before = snap.pred_opt().unwrap_or(snap);
        let stale = crate::forecast::pipeline::Stale::fit(self.ds, day_before);
        let mut reps: BTreeMap<&str, Acc> = BTreeMap::new();
        for q in &self.ds.quotas {
            if let std::collections::btree_map::Entry::Vacant(e) = reps.entry(q.rep_id.as_str())
                && let Some(quota) = self.quota(&q.rep_id, period)
            {
                e.insert(Acc { quota: Some(quota), ..Acc::default() });
            }
        }
        for o in &self.ds.opportunities {
            let closed = o.closed_at.filter(|_| o.status.is_closed());
            let in_period = closed.filter(|&d| self.in_span(period, d));
            let open_at_snap = o.created_at < snap && closed.is_none_or(|d| d >= snap);
            if in_period.is_none() && !open_at_snap {
                continue;
            }
            let a = reps.entry(o.owner_id.as_str()).or_default();
            if let Some(c) = in_period {
                if o.status == Status::Won {
                    a.won += 1;
                    a.bookings += o.amount;
                    a.cycle.push(days(o.created_at, c));
                    if c < snap {
                        a.booked_before_snapshot += o.amount;
                    }
                } else {
                    a.lost += 1;
                }
            }
            if open_at_snap {
                a.open_deals += 1;
                a.open_pipeline += o.amount;
            }
            if let Some(s) = &stale {
                let old = open_at_snap && (day_before - o.created_at).num_days() > s.after_days;
                a.stale_pipeline = Some(a.stale_pipeline.unwrap_or(0.0) + if old { o.amount } else { 0.0 });
            }
        }
        let mut teams: BTreeMap<&str, Acc> = BTreeMap::new();
        let mut total = Acc::default();
        let mut rep_rows = Vec::with_capacity(reps.len());
        for (id, a) in &mut reps {
            a.reps = 1;
            // A rep with a quota but no deal in the loop above still has a stale figure.
            if stale.is_some() && a.stale_pipeline.is_none() {
                a.stale_pipeline = Some(0.0);
            }
            let team = self.team_of(id);
            teams.entry(team).or_default().add(a);
            total.add(a);
            let name = self.rep_index.get(id).map(|&i| self.ds.reps[i].name.as_str());
            rep_rows.push(a.row(id, name, team));
        }
        TeamEfficiency {
            window: self.window(period),
            snapshot: snap.to_string(),
            teams: teams.iter().map(|(t, a)| a.row(t, None, t)).collect(),
            reps: rep_rows,
            total: total.row("total", None, "total"),
        }
    }
}

impl Sortable for TeamRow {
    const COLUMNS: &'static [&'static str] = &[
        "key",
        "name",
        "team",
        "reps",
        "quota",
        "bookings",
        "won",
        "lost",
        "win_rate",
        "median_cycle_days",
        "open_deals",
        "open_pipeline",
        "stale_pipeline",
        "remaining_quota",
        "pipeline_coverage",
        "attainment",
    ];

    fn sort_key(&self, column: &str) -> SortKey {
        let n = |x: f64| SortKey::Number(Some(x));
        match column {
            "key" => SortKey::Text(self.key.clone()),
            "name" => SortKey::Text(self.name.clone().unwrap_or_default()),
            "team" => SortKey::Text(self.team.clone()),
            "reps" => n(self.reps as f64),
            "quota" => SortKey::Number(self.quota),
            "bookings" => n(self.bookings),
            "won" => n(self.won as f64),
            "lost" => n(self.lost as f64),
            "win_rate" => SortKey::Number(self.win_rate),
            "median_cycle_days" => SortKey::Number(self.median_cycle_days),
            "open_deals" => n(self.open_deals as f64),
            "open_pipeline" => n(self.open_pipeline),
            "stale_pipeline" => SortKey::Number(self.stale_pipeline),
            "remaining_quota" => SortKey::Number(self.remaining_quota),
            "pipeline_coverage" => SortKey::Number(self.pipeline_coverage),
            _ => SortKey::Number(self.attainment),
        }
    }

    fn id(&self) -> &str {
        &self.key
    }
}
