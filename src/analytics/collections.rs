//! Collection (回款): receivables ageing, overdue amount, DSO and collection rate per team, from
//! the `payments` table. Without one, the report says so and holds no figures.
//!
//! An invoice is **issued** when its deal is won (`closed_at`; its due date when the deal has no
//! close date) and belongs to the deal owner's team. It is **outstanding** at a date when it was
//! issued on or before it and not paid by it.
//!
//! - *Ageing* (as of the data's as-of date): outstanding invoices by days past due —
//!   `current` (not yet due), `1-30`, `31-60`, `61-90`, `90+`; *overdue* is everything past due.
//! - *DSO* (days sales outstanding) for the period = receivables outstanding at the period's
//!   last counted day / amount invoiced in the period × days in the period.
//! - *Collection rate* for the period = of the invoices falling due in the period, the share of
//!   their amount paid by its last counted day. *cash_collected* is every payment received in
//!   the period, whatever its due date.

use super::{Analytics, SortKey, Sortable, Window, ratio};
use crate::domain::Period;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The ageing buckets, in order.
pub const BUCKETS: [&str; 5] = ["current", "1-30", "31-60", "61-90", "90+"];

/// The bucket index for days past due.
fn bucket(days_overdue: i64) -> usize {
    match days_overdue {
        ..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// Outstanding invoices in one ageing bucket.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AgeingBucket {
    pub bucket: String,
    pub invoices: u64,
    pub amount: f64,
}

/// One team's collection figures (or the total).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CollectionRow {
    pub team: String,
    /// Outstanding at the as-of date.
    pub outstanding_invoices: u64,
    pub receivables: f64,
    pub ageing: Vec<AgeingBucket>,
    /// Outstanding and past due at the as-of date.
    pub overdue: f64,
    /// overdue / receivables.
    pub overdue_share: Option<f64>,
    /// Invoiced in the period (deals won in it).
    pub invoiced: f64,
    /// Outstanding at the period's last counted day.
    pub receivables_at_end: f64,
    pub dso: Option<f64>,
    /// Amount of invoices falling due in the period.
    pub due: f64,
    /// Of `due`, the amount paid by the period's last counted day.
    pub collected_of_due: f64,
    pub collection_rate: Option<f64>,
    /// Payments received in the period.
    pub cash_collected: f64,
}

/// Collection for a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Collections {
    pub window: Window,
    /// Whether the data has a `payments` table; when not, `message` says so and there are no rows.
    pub available: bool,
    pub message: Option<String>,
    pub teams: Vec<CollectionRow>,
    pub total: Option<CollectionRow>,
}

#[derive(Default)]
struct Acc {
    outstanding: u64,
    receivables: f64,
    ageing: [(u64, f64); 5],
    invoiced: f64,
    receivables_at_end: f64,
    due: f64,
    collected_of_due: f64,
    cash: f64,
}

impl Acc {
    fn row(&self, team: &str, days_in_period: f64) -> CollectionRow {
        let overdue: f64 = self.ageing[1..].iter().map(|b| b.1).sum();
        CollectionRow {
            team: team.to_string(),
            outstanding_invoices: self.outstanding,
            receivables: self.receivables,
            ageing: BUCKETS
                .iter()
                .zip(&self.ageing)
                .map(|(b, &(k, a))| AgeingBucket { bucket: b.to_string(), invoices: k, amount: a })
                .collect(),
            overdue,
            overdue_share: ratio(overdue, self.receivables),
            invoiced: self.invoiced,
            receivables_at_end: self.receivables_at_end,
            dso: ratio(self.receivables_at_end, self.invoiced).map(|r| r * days_in_period),
            due: self.due,
            collected_of_due: self.collected_of_due,
            collection_rate: ratio(self.collected_of_due, self.due),
            cash_collected: self.cash,
        }
    }
}

impl Analytics<'_> {
    /// Collection for a period (ageing as of the data's as-of date).
    pub fn collections(&self, period: Period) -> Collections {
        let window = self.window(period);
        let Some(pays) = self.ds.payments.as_ref() else {
            return Collections {
                window,
                available: false,
                message: Some(
                    "no payments table: the data directory has no payments.csv or payments.parquet, so there is \
                     nothing to age or collect"
                        .into(),
                ),
                teams: Vec::new(),
                total: None,
            };
        };
        let (start, end) = self.span(period);
        let outstanding_at =
            |issued: NaiveDate, paid: Option<NaiveDate>, d: NaiveDate| issued <= d && paid.is_none_or(|p| p > d);
        let mut teams: BTreeMap<&str, Acc> = BTreeMap::new();
        let mut total = Acc::default();
        for p in pays {
            let opp = self.opp_index.get(p.opportunity_id.as_str()).map(|&i| &self.ds.opportunities[i]);
            let issued = opp.and_then(|o| o.closed_at).unwrap_or(p.due_at);
            let team = opp.map_or(super::UNKNOWN, |o| self.team_of(&o.owner_id));
            for a in [teams.entry(team).or_default(), &mut total] {
                if outstanding_at(issued, p.paid_at, self.as_of) {
                    a.outstanding += 1;
                    a.receivables += p.amount;
                    let b = &mut a.ageing[bucket((self.as_of - p.due_at).num_days())];
                    b.0 += 1;
                    b.1 += p.amount;
                }
                if start <= issued && issued <= end {
                    a.invoiced += p.amount;
                }
                if outstanding_at(issued, p.paid_at, end) {
                    a.receivables_at_end += p.amount;
                }
                if start <= p.due_at && p.due_at <= end {
                    a.due += p.amount;
                    if p.paid_at.is_some_and(|d| d <= end) {
                        a.collected_of_due += p.amount;
                    }
                }
                if p.paid_at.is_some_and(|d| start <= d && d <= end) {
                    a.cash += p.amount;
                }
            }
        }
        let days_in_period = ((end - start).num_days() + 1) as f64;
        Collections {
            window,
            available: true,
            message: None,
            teams: teams.iter().map(|(t, a)| a.row(t, days_in_period)).collect(),
            total: Some(total.row("total", days_in_period)),
        }
    }
}

impl Sortable for CollectionRow {
    const COLUMNS: &'static [&'static str] = &[
        "team",
        "outstanding_invoices",
        "receivables",
        "current",
        "1-30",
        "31-60",
        "61-90",
        "90+",
        "overdue",
        "overdue_share",
        "invoiced",
        "receivables_at_end",
        "dso",
        "due",
        "collected_of_due",
        "collection_rate",
        "cash_collected",
    ];

    fn sort_key(&self, column: &str) -> SortKey {
        let n = |x: f64| SortKey::Number(Some(x));
        match column {
            "team" => SortKey::Text(self.team.clone()),
            "outstanding_invoices" => n(self.outstanding_invoices as f64),
            "receivables" => n(self.receivables),
            "current" | "1-30" | "31-60" | "61-90" | "90+" => {
                SortKey::Number(self.ageing.iter().find(|b| b.bucket == column).map(|b| b.amount))
            }
            "overdue" => n(self.overdue),
            "overdue_share" => SortKey::Number(self.overdue_share),
            "invoiced" => n(self.invoiced),
            "receivables_at_end" => n(self.receivables_at_end),
            "dso" => SortKey::Number(self.dso),
            "due" => n(self.due),
            "collected_of_due" => n(self.collected_of_due),
            "collection_rate" => SortKey::Number(self.collection_rate),
            _ => n(self.cash_collected),
        }
    }

    fn id(&self) -> &str {
        &self.team
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_edges() {
        let got: Vec<usize> = [-5, 0, 1, 30, 31, 60, 61, 90, 91, 400].into_iter().map(bucket).collect();
        assert_eq!(got, vec![0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    }
}
