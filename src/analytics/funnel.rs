//! The funnel from lead to cash: stage-to-stage conversion and median days in stage for a
//! period, overall and by channel, team or rep.
//!
//! Stages: lead → discovery → qualification → negotiation → contract → won, then collection
//! (fully paid) when the data has a `payments` table.
//!
//! Each stage's row is a cohort: the leads or deals that **entered the stage during the
//! period**, and what became of them by the as-of date.
//!
//! - *entered*: a lead enters `lead` when created; a deal enters a pipeline stage at its
//!   earliest `stage_history` entry (discovery falls back to the deal's creation date), `won` at
//!   `closed_at`, `collection` on the date its last invoice was paid (every invoice paid).
//! - *advanced*: of those, how many reached the next stage (a lead converted; a deal reached a
//!   later stage, or was won). A deal's `stage` field counts as reached, and so does every stage
//!   before a reached one, so a skipped stage still counts as passed.
//! - *lost*: of those, deals closed lost while in that stage (pipeline stages only).
//! - *median days in stage*: over those that left the stage (advanced, or were lost in it), from
//!   entering it to entering the next reached stage (or to `closed_at` when lost). For `won` it
//!   is the days from closing to the last payment.
//!
//! A stage reached without a known date (no `stage_history` row) counts as reached for the
//! stage before it, but enters no period.

use super::{Analytics, GroupBy, Window, days, median, ratio};
use crate::domain::{Period, Stage, Status};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// A step of the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FunnelStage {
    Lead,
    Discovery,
    Qualification,
    Negotiation,
    Contract,
    Won,
    Collection,
}

impl FunnelStage {
    pub const ALL: [FunnelStage; 7] = [
        FunnelStage::Lead,
        FunnelStage::Discovery,
        FunnelStage::Qualification,
        FunnelStage::Negotiation,
        FunnelStage::Contract,
        FunnelStage::Won,
        FunnelStage::Collection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FunnelStage::Lead => "lead",
            FunnelStage::Discovery => "discovery",
            FunnelStage::Qualification => "qualification",
            FunnelStage::Negotiation => "negotiation",
            FunnelStage::Contract => "contract",
            FunnelStage::Won => "won",
            FunnelStage::Collection => "collection",
        }
    }

    /// The name a sales director uses: the contract stage's (declared with `Stage`), and 赢单
    /// for the step the contract has no stage for.
    pub fn name_zh(self) -> &'static str {
        let stage = match self {
            FunnelStage::Lead => Stage::Lead,
            FunnelStage::Discovery => Stage::Discovery,
            FunnelStage::Qualification => Stage::Qualification,
            FunnelStage::Negotiation => Stage::Negotiation,
            FunnelStage::Contract => Stage::Contract,
            FunnelStage::Won => return "赢单",
            FunnelStage::Collection => Stage::Collection,
        };
        stage.name_zh()
    }
}

/// One stage of a funnel.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StageRow {
    pub stage: FunnelStage,
    /// Leads or deals that entered the stage in the period.
    pub entered: u64,
    /// Of those, how many reached the next stage by the as-of date (`None` for the last stage).
    pub advanced: Option<u64>,
    /// Of those, deals lost while in this stage (`None` where a stage has no loss: lead, won, collection).
    pub lost: Option<u64>,
    /// advanced / entered.
    pub conversion: Option<f64>,
    /// Median days from entering the stage to leaving it, over those that left it.
    pub median_days: Option<f64>,
    /// How many left the stage (the sample behind `median_days`).
    pub left: u64,
}

/// The funnel of one group (a channel, team or rep).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FunnelGroup {
    pub key: String,
    pub stages: Vec<StageRow>,
}

/// The funnel for a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Funnel {
    pub window: Window,
    /// Whether the `collection` stage is present (the data has payments).
    pub has_collection: bool,
    pub overall: Vec<StageRow>,
    /// The grouping of `groups`, when one was asked for.
    pub by: Option<GroupBy>,
    pub groups: Vec<FunnelGroup>,
}

#[derive(Default, Clone)]
struct Acc {
    entered: u64,
    advanced: u64,
    lost: u64,
    days: Vec<f64>,
}

/// One lead's or deal's path: per funnel stage, whether it was reached and when. A lead's path
/// counts toward the `lead` stage only (its conversion is the deal's `discovery`).
#[derive(Default)]
struct Path {
    /// The stages this path counts toward.
    counts: std::ops::Range<usize>,
    reached: [bool; 7],
    entered: [Option<NaiveDate>; 7],
    /// The funnel stage (1..=4) a lost deal was lost in, and when.
    lost: Option<(usize, NaiveDate)>,
}

impl Path {
    fn left(&self, s: usize) -> Option<NaiveDate> {
        let next = (s + 1..7).filter(|&t| self.reached[t]).find_map(|t| self.entered[t]);
        next.or(match self.lost {
            Some((ls, d)) if ls == s => Some(d),
            _ => None,
        })
    }
}

impl Analytics<'_> {
    fn lead_path(&self, li: usize) -> Path {
        let l = &self.ds.leads[li];
        let (converted, at) = self.lead_conversion[li];
        let mut p = Path { counts: 0..1, ..Path::default() };
        p.reached[0] = true;
        p.entered[0] = Some(l.created_at);
        p.reached[1] = converted;
        p.entered[1] = at;
        p
    }

    fn opp_path(&self, oi: usize) -> Path {
        let o = &self.ds.opportunities[oi];
        let se = &self.stage_entered[oi];
        let won = o.status == Status::Won;
        let k = super::pipeline_index(o.stage).unwrap_or(0) + 1;
        let mut p = Path { counts: 1..7, ..Path::default() };
        for s in 1..=4 {
            p.reached[s] = s <= k || se[s - 1].is_some() || won;
            p.entered[s] = se[s - 1];
        }
        p.entered[1] = p.entered[1].or(Some(o.created_at));
        p.reached[5] = won;
        p.entered[5] = if won { o.closed_at } else { None };
        if won {
            p.entered[6] = self.collected_at(oi);
            p.reached[6] = p.entered[6].is_some();
        }
        for s in (1..4).rev() {
            p.reached[s] |= p.reached[s + 1];
        }
        if o.status == Status::Lost {
            let ls = (1..=4).rev().find(|&s| p.reached[s]).unwrap_or(1);
            p.lost = o.closed_at.map(|d| (ls, d));
        }
        p
    }

    fn add_path(&self, acc: &mut [Acc; 7], p: &Path, period: Period) {
        for s in p.counts.clone() {
            let Some(e) = p.entered[s].filter(|&d| p.reached[s] && self.in_span(period, d)) else { continue };
            let a = &mut acc[s];
            a.entered += 1;
            if s < 6 && p.reached[s + 1] {
                a.advanced += 1;
            }
            if matches!(p.lost, Some((ls, _)) if ls == s) {
                a.lost += 1;
            }
            if let Some(l) = p.left(s) {
                a.days.push(days(e, l));
            }
        }
    }

    /// The funnel for a period, overall and, with `by`, per group.
    pub fn funnel(&self, period: Period, by: Option<GroupBy>) -> Funnel {
        let has_collection = self.ds.payments.is_some();
        let mut overall: [Acc; 7] = Default::default();
        let mut groups: BTreeMap<&str, [Acc; 7]> = BTreeMap::new();
        for li in 0..self.ds.leads.len() {
            let p = self.lead_path(li);
            self.add_path(&mut overall, &p, period);
            if let Some(by) = by {
                self.add_path(groups.entry(self.lead_key(li, by)).or_default(), &p, period);
            }
        }
        for oi in 0..self.ds.opportunities.len() {
            let p = self.opp_path(oi);
            self.add_path(&mut overall, &p, period);
            if let Some(by) = by {
                self.add_path(groups.entry(self.opp_key(oi, by)).or_default(), &p, period);
            }
        }
        let rows = |acc: [Acc; 7]| -> Vec<StageRow> {
            let last = if has_collection { 6 } else { 5 };
            acc.into_iter()
                .enumerate()
                .take(last + 1)
                .map(|(s, mut a)| StageRow {
                    stage: FunnelStage::ALL[s],
                    entered: a.entered,
                    advanced: (s < last).then_some(a.advanced),
                    lost: (1..=4).contains(&s).then_some(a.lost),
                    conversion: if s < last { ratio(a.advanced as f64, a.entered as f64) } else { None },
                    left: a.days.len() as u64,
                    median_days: median(&mut a.days),
                })
                .collect()
        };
        Funnel {
            window: self.window(period),
            has_collection,
            overall: rows(overall),
            by,
            groups: groups
                .into_iter()
                .filter(|(_, acc)| acc.iter().any(|a| a.entered > 0))
                .map(|(k, acc)| FunnelGroup { key: k.to_string(), stages: rows(acc) })
                .collect(),
        }
    }
}
