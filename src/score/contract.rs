//! Scoring tables made from a contract data directory. Lead scoring uses what the CRM knows
//! about a lead when it arrives; leads too young to have had their chance to convert are left
//! out of training (right-censoring), with the cut-off said in the summary.

use super::table::{ColumnInfo, Kind, Role, Table};
use super::train::TrainSpec;
use crate::domain::Dataset;
use crate::{Error, Result};

/// A training table and how to train on it.
pub struct Prepared {
    pub table: Table,
    pub spec: TrainSpec,
    pub notes: Vec<String>,
}

/// The lead columns of the contract used as features, and their kinds.
pub const LEAD_FEATURES: [(&str, Kind); 12] = [
    ("created_at", Kind::DateParts),
    ("source", Kind::Categorical),
    ("industry", Kind::Categorical),
    ("company_size", Kind::Categorical),
    ("region", Kind::Categorical),
    ("persona", Kind::Categorical),
    ("owner_id", Kind::Categorical),
    ("product_interest", Kind::Categorical),
    ("email_opens", Kind::Numeric),
    ("web_visits", Kind::Numeric),
    ("calls", Kind::Numeric),
    ("meetings", Kind::Numeric),
];

fn fixed(name: &str, kind: Kind) -> ColumnInfo {
    ColumnInfo {
        name: name.into(),
        role: Role::Feature,
        kind: Some(kind),
        missing: 0,
        distinct: 0,
        note: "contract column".into(),
        date_order: Default::default(),
        decimal: Default::default(),
    }
}

/// The leads of a dataset as a table with the contract's columns. Training excludes
/// `converted_at` (only known after the outcome).
pub fn leads_table(ds: &Dataset) -> Table {
    let names: Vec<String> = crate::domain::LEADS.columns().map(String::from).collect();
    let mut columns = vec![Vec::with_capacity(ds.leads.len()); names.len()];
    for l in &ds.leads {
        for (c, v) in columns.iter_mut().zip(crate::data::write::lead_record(l)) {
            c.push(v);
        }
    }
    Table { file: "leads".into(), names, rows: ds.leads.len(), columns }
}

/// The last creation date of a lead whose outcome is known: leads created later have not had
/// the time most conversions take (the 95th percentile of days to convert).
pub fn censor_date(ds: &Dataset) -> Option<(chrono::NaiveDate, i64)> {
    let mut delays: Vec<i64> =
        ds.leads.iter().filter_map(|l| l.converted_at.map(|c| (c - l.created_at).num_days())).collect();
    let last = ds.leads.iter().map(|l| l.created_at).max()?;
    if delays.is_empty() {
        return Some((last, 0));
    }
    delays.sort();
    let d = delays[((delays.len() - 1) as f64 * 0.95) as usize].max(0);
    Some((last - chrono::Duration::days(d), d))
}

/// Lead scoring from a contract data directory.
pub fn leads(ds: &Dataset) -> Result<Prepared> {
    if ds.leads.is_empty() {
        return Err(Error::InvalidArgument("the leads table has no rows: nothing to train lead scoring on".into()));
    }
    if ds.leads.iter().all(|l| l.converted.is_none()) {
        return Err(Error::InvalidArgument(
            "the leads table has no `converted` values: lead scoring needs outcomes".into(),
        ));
    }
    let mut notes = Vec::new();
    let full = leads_table(ds);
    let (cut, days) = censor_date(ds).expect("leads are not empty");
    let keep: Vec<usize> = (0..ds.leads.len()).filter(|&i| ds.leads[i].created_at <= cut).collect();
    notes.push(format!(
        "{} leads created after {cut} are too recent to judge (95% of conversions take ≤ {days} days) and were left out of training",
        ds.leads.len() - keep.len()
    ));
    let table = full.take(&keep);
    let mut spec = TrainSpec::new("converted", "1");
    spec.id = Some("lead_id".into());
    spec.time = Some("created_at".into());
    spec.exclude = vec!["converted_at".into()];
    spec.fixed = LEAD_FEATURES.iter().map(|(c, k)| fixed(c, k.clone())).collect();
    Ok(Prepared { table, spec, notes })
}

/// The opportunity features, as known at a snapshot date, and their kinds.
pub const OPPORTUNITY_FEATURES: [(&str, Kind); 20] = [
    ("stage", Kind::Categorical),
    ("lead_source", Kind::Categorical),
    ("company_size", Kind::Categorical),
    ("persona", Kind::Categorical),
    ("age_days", Kind::Numeric),
    ("days_in_stage", Kind::Numeric),
    ("amount", Kind::Numeric),
    ("discount_pct", Kind::Numeric),
    ("product", Kind::Categorical),
    ("industry", Kind::Categorical),
    ("owner_id", Kind::Categorical),
    ("owner_win_rate", Kind::Numeric),
    ("owner_closed_deals", Kind::Numeric),
    ("activities", Kind::Numeric),
    ("advanced", Kind::Numeric),
    ("no_change", Kind::Numeric),
    ("objections", Kind::Numeric),
    ("days_since_activity", Kind::Numeric),
    ("days_to_expected_close", Kind::Numeric),
    ("snapshot_month", Kind::Categorical),
];

/// Days between snapshots of one deal in training, and at most how many per deal.
pub const SNAPSHOT_EVERY_DAYS: i64 = 30;
pub const MAX_SNAPSHOTS: usize = 8;

/// Per opportunity, what happened to it, sorted by date: for rebuilding any past state.
struct History<'a> {
    stages: Vec<(chrono::NaiveDate, crate::domain::Stage)>,
    touches: Vec<&'a crate::domain::Activity>,
}

/// Snapshots of opportunities: `(opportunity index, date)` pairs → one row each, with every
/// feature as it was known on that date. The owner's record counts only deals closed before.
pub fn opportunity_snapshots(ds: &Dataset, at: &[(usize, chrono::NaiveDate)]) -> Table {
    use crate::domain::{Stage, Status};
    use rustc_hash::FxHashMap;
    let mut hist: FxHashMap<&str, History> = FxHashMap::default();
    for s in &ds.stage_history {
        hist.entry(s.opportunity_id.as_str())
            .or_insert_with(|| History { stages: Vec::new(), touches: Vec::new() })
            .stages
            .push((s.entered_at, s.stage));
    }
    for a in &ds.activities {
        if !a.opportunity_id.is_empty() {
            hist.entry(a.opportunity_id.as_str())
                .or_insert_with(|| History { stages: Vec::new(), touches: Vec::new() })
                .touches
                .push(a);
        }
    }
    for h in hist.values_mut() {
        h.stages.sort();
        h.touches.sort_by_key(|a| a.at);
    }
    // Each owner's closed deals by close date, to count those closed before a date.
    let mut closed: FxHashMap<&str, Vec<(chrono::NaiveDate, bool)>> = FxHashMap::default();
    for o in &ds.opportunities {
        if let (true, Some(c)) = (o.status.is_closed(), o.closed_at) {
            closed.entry(o.owner_id.as_str()).or_default().push((c, o.status == Status::Won));
        }
    }
    for v in closed.values_mut() {
        v.sort();
    }
    // What the deal's lead said about the buyer (empty for deals without a lead).
    let leads: FxHashMap<&str, &crate::domain::Lead> = ds.leads.iter().map(|l| (l.lead_id.as_str(), l)).collect();
    let mut names: Vec<String> = vec!["opportunity_id".into(), "snapshot_at".into(), "created_at".into()];
    names.extend(OPPORTUNITY_FEATURES.iter().map(|(c, _)| c.to_string()));
    names.push("won".into());
    let mut columns = vec![Vec::with_capacity(at.len()); names.len()];
    let empty = History { stages: Vec::new(), touches: Vec::new() };
    for &(oi, t) in at {
        let o = &ds.opportunities[oi];
        let h = hist.get(o.opportunity_id.as_str()).unwrap_or(&empty);
        let (entered, stage) =
            h.stages.iter().rev().find(|(d, _)| *d <= t).copied().unwrap_or((o.created_at, Stage::Discovery));
        let so_far: Vec<&&crate::domain::Activity> = h.touches.iter().filter(|a| a.at <= t).collect();
        let count = |f: &dyn Fn(&crate::domain::Activity) -> bool| so_far.iter().filter(|a| f(a)).count().to_string();
        let owner = closed.get(o.owner_id.as_str()).map(|v| &v[..v.partition_point(|(d, _)| *d < t)]).unwrap_or(&[]);
        let won_before = owner.iter().filter(|(_, w)| *w).count();
        let discount = if stage >= Stage::Negotiation {
            o.discount_pct.map(|d| d.to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        let outcome = match (o.status, o.closed_at) {
            (Status::Won, _) => "1",
            (Status::Lost, _) => "0",
            _ => "",
        };
        let lead = o.lead_id.as_deref().and_then(|l| leads.get(l));
        let row = [
            o.opportunity_id.clone(),
            t.to_string(),
            o.created_at.to_string(),
            stage.to_string(),
            lead.map(|l| l.source.clone()).unwrap_or_default(),
            lead.map(|l| l.company_size.clone()).unwrap_or_default(),
            lead.map(|l| l.persona.clone()).unwrap_or_default(),
            (t - o.created_at).num_days().to_string(),
            (t - entered).num_days().to_string(),
            o.amount.to_string(),
            discount,
            o.product.clone(),
            o.industry.clone().unwrap_or_default(),
            o.owner_id.clone(),
            if owner.is_empty() { String::new() } else { format!("{:.4}", won_before as f64 / owner.len() as f64) },
            owner.len().to_string(),
            so_far.len().to_string(),
            count(&|a| a.outcome == crate::domain::Outcome::Advanced),
            count(&|a| a.outcome == crate::domain::Outcome::NoChange),
            count(&|a| a.objection.is_some()),
            so_far.last().map(|a| (t - a.at).num_days().to_string()).unwrap_or_default(),
            o.expected_close.map(|e| (e - t).num_days().to_string()).unwrap_or_default(),
            chrono::Datelike::month(&t).to_string(),
            outcome.to_string(),
        ];
        for (c, v) in columns.iter_mut().zip(row) {
            c.push(v);
        }
    }
    Table { file: "opportunity snapshots".into(), names, rows: at.len(), columns }
}

/// The last creation date of a deal whose outcome is known: among deals created later, those
/// still open are left out of training, and the ones already closed are mostly the quick
/// losses, so their win rate is biased low (in a simulated world the last quarter's closed
/// deals won 16% against 34% eventually). The cut is the data's last deal creation minus the
/// 95th percentile of days from creation to close.
pub fn opportunity_censor_date(ds: &Dataset) -> Option<(chrono::NaiveDate, i64)> {
    let last = ds.opportunities.iter().map(|o| o.created_at).max()?;
    let mut days: Vec<i64> = ds
        .opportunities
        .iter()
        .filter(|o| o.status.is_closed())
        .filter_map(|o| o.closed_at.map(|c| (c - o.created_at).num_days()))
        .collect();
    if days.is_empty() {
        return Some((last, 0));
    }
    days.sort();
    let d = days[((days.len() - 1) as f64 * 0.95) as usize].max(0);
    Some((last - chrono::Duration::days(d), d))
}

/// Opportunity win probability from a contract data directory: every closed deal created by
/// the censoring date (`opportunity_censor_date`) is seen at its creation and every 30 days
/// after (up to 8 times) until it closed.
pub fn opportunities(ds: &Dataset) -> Result<Prepared> {
    let mut at = Vec::new();
    let (cut, days) = opportunity_censor_date(ds).unwrap_or_default();
    let mut recent = 0;
    for (i, o) in ds.opportunities.iter().enumerate() {
        let Some(closed) = o.closed_at.filter(|_| o.status.is_closed()) else { continue };
        if o.created_at > cut {
            recent += 1;
            continue;
        }
        let mut t = o.created_at;
        for _ in 0..MAX_SNAPSHOTS {
            if t >= closed && t != o.created_at {
                break;
            }
            at.push((i, t));
            t += chrono::Duration::days(SNAPSHOT_EVERY_DAYS);
        }
    }
    if at.is_empty() {
        return Err(Error::InvalidArgument(
            "no won or lost opportunities: the opportunity model needs closed deals".into(),
        ));
    }
    let deals = ds.opportunities.iter().filter(|o| o.status.is_closed() && o.created_at <= cut).count();
    let table = opportunity_snapshots(ds, &at);
    let mut spec = TrainSpec::new("won", "1");
    spec.id = Some("opportunity_id".into());
    spec.time = Some("created_at".into());
    spec.exclude = vec!["snapshot_at".into(), "created_at".into()];
    spec.fixed = OPPORTUNITY_FEATURES.iter().map(|(c, k)| fixed(c, k.clone())).collect();
    let notes = vec![
        format!(
            "{} snapshots of {deals} closed opportunities (at creation and every {SNAPSHOT_EVERY_DAYS} days until closed)",
            at.len()
        ),
        format!(
            "{recent} closed opportunities created after {cut} are too recent to judge (95% of deals close within {days} days; the quick ones are mostly lost) and were left out of training"
        ),
    ];
    Ok(Prepared { table, spec, notes })
}

/// Snapshots of every open opportunity as of `as_of`, for scoring the pipeline.
pub fn open_pipeline(ds: &Dataset, as_of: chrono::NaiveDate) -> Table {
    let at: Vec<(usize, chrono::NaiveDate)> =
        ds.opportunities.iter().enumerate().filter(|(_, o)| !o.status.is_closed()).map(|(i, _)| (i, as_of)).collect();
    opportunity_snapshots(ds, &at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_training_deals_win_as_often_as_their_cohort_eventually_does() {
        // The latest deals by creation are the held-out rows that calibrate the model. Among
        // recent deals the closed ones are the quick losses; the censoring date must keep them
        // out, so these rows win as often as every deal created in the same window eventually
        // does (the simulator's truth, which training never sees).
        let sim = crate::sim::simulate(&crate::sim::SimConfig { leads: 20_000, ..Default::default() }).unwrap();
        let p = opportunities(&sim.dataset).unwrap();
        let col = |n: &str| &p.table.columns[p.table.index(n).unwrap()];
        let (age, created, won) = (col("age_days"), col("created_at"), col("won"));
        let mut deals: Vec<(&str, bool)> =
            (0..p.table.rows).filter(|&i| age[i] == "0").map(|i| (created[i].as_str(), won[i] == "1")).collect();
        deals.sort();
        let latest = &deals[deals.len() * 4 / 5..];
        let (from, to) = (latest[0].0, latest[latest.len() - 1].0);
        let observed = latest.iter().filter(|d| d.1).count() as f64 / latest.len() as f64;
        let (mut n, mut w) = (0.0, 0.0);
        let truth: std::collections::HashMap<&str, _> =
            sim.truth.opportunities.iter().map(|t| (t.opportunity_id.as_str(), t)).collect();
        for o in &sim.dataset.opportunities {
            let t = truth[o.opportunity_id.as_str()];
            let c = o.created_at.to_string();
            if c.as_str() >= from && c.as_str() <= to && t.final_status.is_closed() {
                n += 1.0;
                w += (t.final_status == crate::domain::Status::Won) as u8 as f64;
            }
        }
        let eventual = w / n;
        assert!(
            (observed - eventual).abs() < 0.03,
            "latest training deals win {observed:.3}, eventually {eventual:.3}"
        );
    }
}
