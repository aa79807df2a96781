//! Bookings history: closed-won amount per month or quarter for every group of the organisation
//! (the company total, each region, team, rep and product), from the contract tables.
//!
//! Invariants: a won deal counts once, in the period of its `closed_at`, for the group of its
//! owner (or its product); a group's series covers every period from the first to the last asked
//! for, with zeros where nothing closed, so the series have no gaps and the groups of one level
//! add up to the company total in every period.

use crate::domain::{Dataset, Period, Status};
use crate::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A level of the organisation a forecast can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Company,
    Region,
    Team,
    Rep,
    Product,
}

impl Level {
    pub const ALL: [Level; 5] = [Level::Company, Level::Region, Level::Team, Level::Rep, Level::Product];
    /// The levels of the sales organisation (quotas exist for them).
    pub const ORG: [Level; 4] = [Level::Company, Level::Region, Level::Team, Level::Rep];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Company => "company",
            Level::Region => "region",
            Level::Team => "team",
            Level::Rep => "rep",
            Level::Product => "product",
        }
    }

    /// The level's name in Chinese, for tables shown in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            Level::Company => "公司",
            Level::Region => "大区",
            Level::Team => "团队",
            Level::Rep => "销售",
            Level::Product => "产品",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Level {
    type Err = Error;
    fn from_str(s: &str) -> Result<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "company" | "total" => Ok(Level::Company),
            "region" => Ok(Level::Region),
            "team" => Ok(Level::Team),
            "rep" => Ok(Level::Rep),
            "product" => Ok(Level::Product),
            other => Err(Error::InvalidArgument(format!(
                "unknown level {other:?} (expected one of: company, region, team, rep, product)"
            ))),
        }
    }
}

/// Months or quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Month,
    Quarter,
}

impl Grain {
    /// The grain of a period.
    pub fn of_period(p: Period) -> Grain {
        match p {
            Period::Month { .. } => Grain::Month,
            Period::Quarter { .. } => Grain::Quarter,
        }
    }

    /// The period of this grain containing `d`.
    pub fn period(self, d: NaiveDate) -> Period {
        match self {
            Grain::Month => Period::month_of(d),
            Grain::Quarter => Period::quarter_of(d),
        }
    }

    /// Periods in a year: the season length of the series.
    pub fn season(self) -> usize {
        match self {
            Grain::Month => 12,
            Grain::Quarter => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Month => "month",
            Grain::Quarter => "quarter",
        }
    }
}

impl FromStr for Grain {
    type Err = Error;
    fn from_str(s: &str) -> Result<Grain> {
        match s.trim().to_ascii_lowercase().as_str() {
            "month" | "monthly" => Ok(Grain::Month),
            "quarter" | "quarterly" => Ok(Grain::Quarter),
            other => Err(Error::InvalidArgument(format!("unknown grain {other:?} (expected month or quarter)"))),
        }
    }
}

/// Number of periods from `a` to `b` (same grain; negative when `b` is before `a`).
pub fn steps_between(a: Period, b: Period) -> i64 {
    let idx = |p: Period| match p {
        Period::Quarter { year, quarter } => year as i64 * 4 + quarter as i64,
        Period::Month { year, month } => year as i64 * 12 + month as i64,
    };
    idx(b) - idx(a)
}

/// A rep and where they sit, as the forecast keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepInfo {
    pub rep_id: String,
    pub name: String,
    pub team: String,
    pub region: String,
    pub hired_at: Option<NaiveDate>,
}

/// A won deal, reduced to what forecasting needs. `rep` indexes the organisation's reps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Won {
    pub rep: usize,
    pub product: String,
    pub amount: f64,
    pub created: NaiveDate,
    pub closed: NaiveDate,
}

/// The reps of a dataset, in file order.
pub fn org(ds: &Dataset) -> Vec<RepInfo> {
    ds.reps
        .iter()
        .map(|r| RepInfo {
            rep_id: r.rep_id.clone(),
            name: r.name.clone(),
            team: r.team.clone(),
            region: r.region.clone(),
            hired_at: r.hired_at,
        })
        .collect()
}

/// Every won deal of a dataset (deals whose owner is not a rep are skipped: validation
/// rejects them before this is called).
pub fn won_deals(ds: &Dataset, org: &[RepInfo]) -> Vec<Won> {
    let idx: BTreeMap<&str, usize> = org.iter().enumerate().map(|(i, r)| (r.rep_id.as_str(), i)).collect();
    let mut v: Vec<Won> = ds
        .opportunities
        .iter()
        .filter(|o| o.status == Status::Won)
        .filter_map(|o| {
            Some(Won {
                rep: *idx.get(o.owner_id.as_str())?,
                product: o.product.clone(),
                amount: o.amount,
                created: o.created_at,
                closed: o.closed_at?,
            })
        })
        .collect();
    v.sort_by(|a, b| (a.closed, a.rep, &a.product).cmp(&(b.closed, b.rep, &b.product)));
    v
}

/// The key of the group a rep's (or a product's) bookings belong to at `level`.
pub fn key<'a>(level: Level, org: &'a [RepInfo], rep: usize, product: &'a str) -> &'a str {
    match level {
        Level::Company => "total",
        Level::Region => &org[rep].region,
        Level::Team => &org[rep].team,
        Level::Rep => &org[rep].rep_id,
        Level::Product => product,
    }
}

/// One group's bookings, a value per period from `start` on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub key: String,
    #[serde(with = "super::wire::period")]
    pub start: Period,
    pub values: Vec<f64>,
}

/// Bookings per period of `grain` from `from` to `to` (inclusive) for every group at `level`,
/// sorted by key. Groups with no bookings in the window are absent, except the company.
pub fn history(org: &[RepInfo], won: &[Won], level: Level, from: Period, to: Period) -> Vec<Series> {
    let grain = Grain::of_period(from);
    let n = (steps_between(from, to) + 1).max(0) as usize;
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    if level == Level::Company {
        out.insert("total".into(), vec![0.0; n]);
    }
    for w in won {
        let i = steps_between(from, grain.period(w.closed));
        if i < 0 || i as usize >= n {
            continue;
        }
        let k = key(level, org, w.rep, &w.product);
        out.entry(k.to_string()).or_insert_with(|| vec![0.0; n])[i as usize] += w.amount;
    }
    out.into_iter().map(|(key, values)| Series { key, start: from, values }).collect()
}

/// The bookings history of every level at one grain as long-format CSV rows
/// (`level,key,period,amount`), for the model artifact.
pub fn history_csv(org: &[RepInfo], won: &[Won], from: Period, to: Period) -> String {
    let mut s = String::from("level,key,period,amount\n");
    for level in Level::ALL {
        for series in history(org, won, level, from, to) {
            for (i, v) in series.values.iter().enumerate() {
                let p = from.offset(i as i32);
                s.push_str(&format!("{level},{},{p},{}\n", csv_field(&series.key), crate::data::write::money(*v)));
            }
        }
    }
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn levels_add_up_to_the_company_in_every_period() {
        let org: Vec<RepInfo> = [("a", "t1", "r1"), ("b", "t1", "r1"), ("c", "t2", "r2")]
            .iter()
            .map(|(r, t, g)| RepInfo {
                rep_id: r.to_string(),
                name: r.to_string(),
                team: t.to_string(),
                region: g.to_string(),
                hired_at: None,
            })
            .collect();
        let won: Vec<Won> = [(0, "x", 10.0, "2026-01-05"), (1, "y", 5.0, "2026-02-01"), (2, "x", 7.0, "2026-04-30")]
            .iter()
            .map(|(r, p, a, c)| Won {
                rep: *r,
                product: p.to_string(),
                amount: *a,
                created: d("2025-12-01"),
                closed: d(c),
            })
            .collect();
        let (q1, q2): (Period, Period) = ("2026Q1".parse().unwrap(), "2026Q2".parse().unwrap());
        let total = history(&org, &won, Level::Company, q1, q2);
        assert_eq!(total[0].values, vec![15.0, 7.0]);
        for level in [Level::Region, Level::Team, Level::Rep, Level::Product] {
            let h = history(&org, &won, level, q1, q2);
            for i in 0..2 {
                assert_eq!(h.iter().map(|s| s.values[i]).sum::<f64>(), total[0].values[i], "{level}");
            }
        }
        let months = history(&org, &won, Level::Company, "2026-01".parse().unwrap(), "2026-04".parse().unwrap());
        assert_eq!(months[0].values, vec![10.0, 5.0, 0.0, 7.0]);
        assert_eq!(steps_between(q1, q2), 1);
        assert!("bogus".parse::<Level>().is_err());
    }
}
