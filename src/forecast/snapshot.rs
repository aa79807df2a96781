//! The data as it was on a past day: every contract table cut at an origin date, for backtests
//! that must not peek at later data.
//!
//! Invariant: nothing in the returned dataset is dated after the origin. Leads and deals created
//! later are gone; a deal that closed later is open again, in the stage it had reached on the
//! origin (rebuilt from `stage_history`); stage entries, activities and invoices after the
//! origin are dropped; a lead that converted later is unconverted. Reps and quotas are kept
//! (quotas are set ahead of their period).

use crate::domain::{Dataset, Stage, Status};
use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};

/// The last day anything happened in the data: its export date, as far as the data can tell.
pub fn data_end(ds: &Dataset) -> Option<NaiveDate> {
    let opp = ds.opportunities.iter().flat_map(|o| [Some(o.created_at), o.closed_at]).flatten();
    let stages = ds.stage_history.iter().map(|s| s.entered_at);
    let acts = ds.activities.iter().map(|a| a.at);
    let leads = ds.leads.iter().map(|l| l.created_at);
    opp.chain(stages).chain(acts).chain(leads).max()
}

/// The dataset as it stood at the end of day `t`.
pub fn as_of(ds: &Dataset, t: NaiveDate) -> Dataset {
    let mut out = Dataset { reps: ds.reps.clone(), quotas: ds.quotas.clone(), ..Default::default() };
    out.leads = ds
        .leads
        .iter()
        .filter(|l| l.created_at <= t)
        .map(|l| {
            let mut l = l.clone();
            if l.converted_at.is_some_and(|c| c > t) {
                l.converted = Some(false);
                l.converted_at = None;
            }
            l
        })
        .collect();
    let mut stages: FxHashMap<&str, Vec<(NaiveDate, Stage)>> = FxHashMap::default();
    for s in ds.stage_history.iter().filter(|s| s.entered_at <= t) {
        stages.entry(s.opportunity_id.as_str()).or_default().push((s.entered_at, s.stage));
    }
    let mut kept: FxHashSet<&str> = FxHashSet::default();
    let mut won_by_t: FxHashSet<&str> = FxHashSet::default();
    for o in ds.opportunities.iter().filter(|o| o.created_at <= t) {
        kept.insert(o.opportunity_id.as_str());
        let mut o2 = o.clone();
        if o.closed_at.is_none_or(|c| c > t) {
            o2.status = Status::Open;
            o2.closed_at = None;
            o2.stage = stages
                .get(o.opportunity_id.as_str())
                .and_then(|v| v.iter().max().map(|x| x.1))
                .unwrap_or(Stage::Discovery);
        } else if o.status == Status::Won {
            won_by_t.insert(o.opportunity_id.as_str());
        }
        out.opportunities.push(o2);
    }
    out.stage_history = ds
        .stage_history
        .iter()
        .filter(|s| s.entered_at <= t && kept.contains(s.opportunity_id.as_str()))
        .cloned()
        .collect();
    out.activities = ds
        .activities
        .iter()
        .filter(|a| a.at <= t && (a.opportunity_id.is_empty() || kept.contains(a.opportunity_id.as_str())))
        .cloned()
        .collect();
    out.accounts = ds.accounts.clone();
    out.payments = ds.payments.as_ref().map(|v| {
        v.iter()
            .filter(|p| won_by_t.contains(p.opportunity_id.as_str()))
            .map(|p| {
                let mut p = p.clone();
                if p.paid_at.is_some_and(|d| d > t) {
                    p.paid_at = None;
                }
                p
            })
            .collect()
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimConfig, simulate};

    #[test]
    fn nothing_after_the_origin_survives() {
        let cfg = SimConfig { seed: 3, leads: 1500, reps: 8, quarters: 4, ..Default::default() };
        let ds = simulate(&cfg).unwrap().dataset;
        let t: NaiveDate = "2026-05-15".parse().unwrap();
        let s = as_of(&ds, t);
        assert!(data_end(&s).unwrap() <= t);
        assert!(s.opportunities.iter().all(|o| o.created_at <= t && o.closed_at.is_none_or(|c| c <= t)));
        assert!(s.stage_history.iter().all(|x| x.entered_at <= t));
        assert!(s.activities.iter().all(|a| a.at <= t));
        // Deals that closed later are open again, at the stage they had on the origin.
        let reopened = s
            .opportunities
            .iter()
            .zip(ds.opportunities.iter().filter(|o| o.created_at <= t))
            .filter(|(a, b)| a.status == Status::Open && b.status.is_closed())
            .count();
        assert!(reopened > 0);
        assert!(s.opportunities.len() < ds.opportunities.len());
    }
}
