//! Cross-table checks on a loaded dataset: duplicate IDs, dangling references, closed deals
//! without a close date, dates out of order, unknown talk tracks.

use super::load::Loaded;
use super::problem::Problems;
use crate::catalog::Catalog;
use crate::domain::Stage;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::{BTreeMap, BTreeSet};

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
    let mut unloaded = Unloaded::default();

    for (i, q) in ds.quotas.iter().enumerate() {
        if check_reps && !reps.contains(q.rep_id.as_str()) {
            let id = q.rep_id.as_str();
            unloaded.dangling(loaded, ("quotas", i), "rep_id", "reps", id, problems);
        }
    }
    for (i, l) in ds.leads.iter().enumerate() {
        let o = loaded.origin("leads", i);
        if check_reps && !reps.contains(l.owner_id.as_str()) {
            let id = l.owner_id.as_str();
            unloaded.dangling(loaded, ("leads", i), "owner_id", "reps", id, problems);
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
            let id = op.owner_id.as_str();
            unloaded.dangling(loaded, ("opportunities", i), "owner_id", "reps", id, problems);
        }
        if let Some(l) = &op.lead_id
            && check_leads
            && !leads.contains(l.as_str())
        {
            unloaded.dangling(loaded, ("opportunities", i), "lead_id", "leads", l, problems);
        }
        if let (Some(a), Some(accounts)) = (&op.account_id, &accounts)
            && !accounts.contains(a.as_str())
        {
            unloaded.dangling(loaded, ("opportunities", i), "account_id", "accounts", a, problems);
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
            None if check_opps => {
                let id = s.opportunity_id.as_str();
                unloaded.dangling(loaded, ("stage_history", i), "opportunity_id", "opportunities", id, problems)
            }
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
                None if check_opps => {
                    let id = a.opportunity_id.as_str();
                    unloaded.dangling(loaded, ("activities", i), "opportunity_id", "opportunities", id, problems)
                }
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
                let id = p.opportunity_id.as_str();
                unloaded.dangling(loaded, ("payments", i), "opportunity_id", "opportunities", id, problems);
            }
        }
    }
    unloaded.report(loaded, problems);
}

/// References from `(table, column)` to rows of `target` that were left out for their own
/// errors (`Loaded::rejected`): counted here and reported once per referring column by
/// [`Unloaded::report`], so one bad opportunity row does not come back as a "not in
/// opportunities" error on each of its activities.
#[derive(Default)]
struct Unloaded<'a> {
    refs: BTreeMap<(&'static str, &'static str, &'static str), (usize, BTreeSet<&'a str>)>,
}

impl<'a> Unloaded<'a> {
    /// A reference in `column` of row `i` of `table` to `id`, which `target` does not hold:
    /// counted when `target` left a row with that ID out, else reported as dangling ("owner
    /// \"R9\" is not in reps", the noun from the column's name).
    fn dangling(
        &mut self,
        loaded: &Loaded,
        (table, i): (&'static str, usize),
        column: &'static str,
        target: &'static str,
        id: &'a str,
        problems: &mut Problems,
    ) {
        if loaded.rejected.get(target).is_some_and(|r| r.contains(id)) {
            let (n, ids) = self.refs.entry((table, column, target)).or_default();
            *n += 1;
            ids.insert(id);
        } else {
            let noun = column.strip_suffix("_id").unwrap_or(column);
            problems.push(loaded.origin(table, i).error(column, format!("{noun} {id:?} is not in {target}")));
        }
    }

    fn report(self, loaded: &Loaded, problems: &mut Problems) {
        const SHOWN: usize = 5;
        for ((table, column, target), (n, ids)) in self.refs {
            let file = &loaded.origin(table, 0).file;
            let mut list: Vec<String> = ids.iter().take(SHOWN).map(|id| format!("{id:?}")).collect();
            if ids.len() > SHOWN {
                list.push(format!("… {} more", ids.len() - SHOWN));
            }
            let rows = if n == 1 { "1 row refers" } else { &format!("{n} rows refer") };
            problems.push(
                super::Problem::error(
                    &**file,
                    format!(
                        "{rows} to {target} left out for their own errors ({}); fixing those rows fixes these",
                        list.join(", ")
                    ),
                )
                .in_column(column),
            );
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
