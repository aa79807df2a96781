//! Cross-table checks on a loaded dataset: duplicate IDs, dangling references, closed deals
//! without a close date, dates out of order, unknown talk tracks.

use super::load::Loaded;
use super::problem::Problems;
use crate::catalog::Catalog;
use crate::domain::Stage;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// Adds every cross-table problem of `loaded` to `problems`.
pub fn validate(loaded: &Loaded, catalog: &Catalog, problems: &mut Problems) {
    let ds = &loaded.dataset;
    let present = |t: &str| loaded.present.contains(&t);

    let reps = unique(loaded, "reps", "rep_id", ds.reps.iter().map(|r| r.rep_id.as_str()), problems);
    let leads = unique(loaded, "leads", "lead_id", ds.leads.iter().map(|r| r.lead_id.as_str()), problems);
    unique(
        loaded,
        "opportunities",
        "opportunity_id",
        ds.opportunities.iter().map(|r| r.opportunity_id.as_str()),
        problems,
    );
    unique(loaded, "activities", "activity_id", ds.activities.iter().map(|r| r.activity_id.as_str()), problems);
    let accounts = ds
        .accounts
        .as_ref()
        .map(|a| unique(loaded, "accounts", "account_id", a.iter().map(|r| r.account_id.as_str()), problems));
    if let Some(p) = &ds.payments {
        unique(loaded, "payments", "invoice_id", p.iter().map(|r| r.invoice_id.as_str()), problems);
    }
    let quota_keys: Vec<String> = ds.quotas.iter().map(|q| format!("{} {}", q.rep_id, q.period)).collect();
    unique(loaded, "quotas", "period", quota_keys.iter().map(String::as_str), problems);

    // A reference into a table that failed to load entirely is not reported again per row.
    let check_reps = present("reps") && loaded.origins.contains_key("reps");

    for (i, q) in ds.quotas.iter().enumerate() {
        if check_reps && !reps.contains(q.rep_id.as_str()) {
            problems.push(loaded.origin("quotas", i).error("rep_id", format!("rep {:?} is not in reps", q.rep_id)));
        }
    }
    for (i, l) in ds.leads.iter().enumerate() {
        let o = loaded.origin("leads", i);
        if check_reps && !reps.contains(l.owner_id.as_str()) {
            problems.push(o.error("owner_id", format!("owner {:?} is not in reps", l.owner_id)));
        }
        if let Some(c) = l.converted_at {
            if c < l.created_at {
                problems.push(o.error(
                    "converted_at",
                    format!("dates out of order: converted_at {c} is before created_at {}", l.created_at),
                ));
            }
            if l.converted == Some(false) {
                problems.push(o.warning("converted_at", "converted_at is set but converted is 0"));
            }
        }
    }
    let check_leads = loaded.origins.contains_key("leads");
    let mut created = HashMap::with_capacity_and_hasher(ds.opportunities.len(), Default::default());
    for (i, op) in ds.opportunities.iter().enumerate() {
        let o = loaded.origin("opportunities", i);
        created.insert(op.opportunity_id.as_str(), (op.created_at, op.closed_at.filter(|_| op.status.is_closed())));
        if check_reps && !reps.contains(op.owner_id.as_str()) {
            problems.push(o.error("owner_id", format!("owner {:?} is not in reps", op.owner_id)));
        }
        if let Some(l) = &op.lead_id {
            if check_leads && !leads.contains(l.as_str()) {
                problems.push(o.error("lead_id", format!("lead {l:?} is not in leads")));
            }
        }
        if let (Some(a), Some(accounts)) = (&op.account_id, &accounts) {
            if !accounts.contains(a.as_str()) {
                problems.push(o.error("account_id", format!("account {a:?} is not in accounts")));
            }
        }
        match (op.status.is_closed(), op.closed_at) {
            (true, None) => {
                problems.push(o.error("closed_at", format!("a {} opportunity must have closed_at", op.status)))
            }
            (true, Some(c)) if c < op.created_at => problems.push(o.error(
                "closed_at",
                format!("dates out of order: closed_at {c} is before created_at {}", op.created_at),
            )),
            (false, Some(_)) => {
                problems.push(o.warning("closed_at", "an open opportunity has closed_at; it is ignored"))
            }
            _ => {}
        }
    }
    let check_opps = loaded.origins.contains_key("opportunities");
    for (i, s) in ds.stage_history.iter().enumerate() {
        let o = loaded.origin("stage_history", i);
        match created.get(s.opportunity_id.as_str()) {
            None if check_opps => problems
                .push(o.error("opportunity_id", format!("opportunity {:?} is not in opportunities", s.opportunity_id))),
            Some((c, _)) if s.entered_at < *c => problems.push(o.error(
                "entered_at",
                format!("dates out of order: entered_at {} is before the opportunity's created_at {c}", s.entered_at),
            )),
            Some((_, Some(closed))) if s.entered_at > *closed => problems.push(o.error(
                "entered_at",
                format!(
                    "dates out of order: entered_at {} is after the opportunity's closed_at {closed}",
                    s.entered_at
                ),
            )),
            _ => {}
        }
    }
    let mut before_creation = 0usize;
    for (i, a) in ds.activities.iter().enumerate() {
        let o = loaded.origin("activities", i);
        if !a.opportunity_id.is_empty() {
            match created.get(a.opportunity_id.as_str()) {
                None if check_opps => problems.push(
                    o.error("opportunity_id", format!("opportunity {:?} is not in opportunities", a.opportunity_id)),
                ),
                Some((c, _)) if a.at < *c && a.stage != Stage::Lead => before_creation += 1,
                _ => {}
            }
        }
        if let Some(t) = &a.talk_track_id {
            match catalog.get(t) {
                None => problems.push(
                    o.error("talk_track_id", format!("unknown talk track {t:?} (not in the talk-track catalog)")),
                ),
                Some(track) if track.stage != a.stage => problems.push(o.warning(
                    "talk_track_id",
                    format!("talk track {t:?} is for stage {}, used at stage {}", track.stage, a.stage),
                )),
                _ => {}
            }
        }
    }
    if before_creation > 0 {
        problems.push(super::Problem::warning(
            "activities",
            format!(
                "{before_creation} activities (after the lead stage) are dated before their opportunity was created"
            ),
        ));
    }
    if let Some(payments) = &ds.payments {
        for (i, p) in payments.iter().enumerate() {
            if check_opps && !created.contains_key(p.opportunity_id.as_str()) {
                problems.push(
                    loaded
                        .origin("payments", i)
                        .error("opportunity_id", format!("opportunity {:?} is not in opportunities", p.opportunity_id)),
                );
            }
        }
    }
}

/// Reports every duplicate of `column` in `table`; returns the set of values.
fn unique<'a>(
    loaded: &Loaded,
    table: &str,
    column: &str,
    values: impl Iterator<Item = &'a str>,
    problems: &mut Problems,
) -> HashSet<&'a str> {
    let mut first: HashMap<&str, usize> = HashMap::default();
    for (i, v) in values.enumerate() {
        if let Some(&j) = first.get(v) {
            let what = if table == "quotas" {
                format!("duplicate quota for rep and period {v:?}")
            } else {
                format!("duplicate {column} {v:?}")
            };
            let o = loaded.origin(table, i);
            let prev = loaded.origin(table, j);
            problems.push(o.error(column, format!("{what} (first at row {})", prev.row)));
        } else {
            first.insert(v, i);
        }
    }
    first.into_keys().collect()
}
