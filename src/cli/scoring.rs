//! `train scoring|opportunity`, `evaluate`, `score` and `models`: argument checks, then library
//! calls, then printing.

use super::args::{self, ModelKind, ModelsAction};
use super::progress::Progress;
use super::text;
use anyhow::{Context, Result, bail};
use leadcast::data;
use leadcast::registry::Registry;
use leadcast::score::{self, contract, metrics::Metrics, model::ModelChoice, table::Table, train};
use std::path::Path;
use std::process::ExitCode;

/// `--sep` and `--sheet` say how to read `--input`: without one they are an error, not ignored.
fn only_with_input(input: &Option<std::path::PathBuf>, sep: &Option<String>, sheet: &Option<String>) -> Result<()> {
    if input.is_none() {
        for (flag, given) in [("--sep", sep.is_some()), ("--sheet", sheet.is_some())] {
            if given {
                bail!("{flag} is for --input (a contract directory's tables are read as they are)");
            }
        }
    }
    Ok(())
}

/// How to read `--input`: its `--sep` and `--sheet`.
fn read_options(sep: &Option<String>, sheet: &Option<String>) -> Result<data::raw::ReadOptions> {
    let separator = match sep.as_deref() {
        None => None,
        Some("\\t") | Some("tab") => Some(b'\t'),
        Some(s) if s.len() == 1 => Some(s.as_bytes()[0]),
        Some(s) => bail!("--sep must be one character (or `tab`), got {s:?}"),
    };
    Ok(data::raw::ReadOptions { separator, sheet: sheet.clone() })
}

/// Loads a data directory and stops with every problem printed when it is invalid.
pub(super) fn checked_data(dir: &Path) -> Result<leadcast::domain::Dataset> {
    let checked = data::check_dir(dir, None);
    if checked.problems.has_errors() {
        for l in checked.problems.summarize(10) {
            eprintln!("{l}");
        }
        bail!(
            "{} has {} error(s); nothing was trained (run `leadcast validate --data {}` for the full list)",
            dir.display(),
            checked.problems.error_count(),
            dir.display()
        );
    }
    Ok(checked.dataset)
}

fn print_schema(schema: &[score::table::ColumnInfo]) {
    println!("inferred schema:");
    let name_width = super::text::column_width(24, "", schema.iter().map(|c| c.name.as_str()));
    for c in schema {
        let kind = c.kind.as_ref().map(|k| {
            serde_json::to_value(k).ok().and_then(|v| v["kind"].as_str().map(String::from)).unwrap_or_default()
        });
        let role = serde_json::to_value(&c.role).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let note = if c.note.is_empty() { String::new() } else { format!(" — {}", c.note) };
        println!(
            "  {} {:<9} {:<12} missing {:>6}, distinct {:>6}{note}",
            super::text::pad(&c.name, name_width),
            role,
            kind.unwrap_or_default(),
            c.missing,
            c.distinct
        );
    }
}

fn summary(kind: &str, version: &str, models: &Path, rep: &train::TrainReport, m: &Metrics) {
    println!("── {kind} model {version} ──");
    println!(
        "rows {} (train {}, held out {}; {}), features {}",
        rep.rows, rep.train_rows, rep.holdout_rows, rep.split, rep.features
    );
    for c in &rep.candidates {
        let mark = if c.model == rep.chosen { "  ← chosen" } else { "" };
        println!(
            "  {:<12} held-out log loss {:.4}, AUC {:.4}, fit {:.2}s{mark}",
            c.model, c.log_loss, c.auc, c.fit_seconds
        );
    }
    println!(
        "held out: AUC {:.4}, PR-AUC {:.4}, log loss {:.4}, Brier {:.4}, ECE {:.4}, top-decile lift {:.2} ({} calibration)",
        m.auc, m.pr_auc, m.log_loss, m.brier, m.ece, m.lift_top_decile, rep.calibration
    );
    for w in &rep.warnings {
        println!("warning: {w}");
    }
    println!("report: {}", models.join(kind).join(version).join("report/index.html").display());
}

pub fn train(a: args::TrainArgs) -> Result<ExitCode> {
    only_with_input(&a.input, &a.sep, &a.sheet)?;
    let choice: ModelChoice = a.model.parse().map_err(anyhow::Error::msg)?;
    let registry = Registry::new(&a.models);
    match (a.kind, &a.data, &a.input) {
        (ModelKind::Talktrack, Some(dir), None) => {
            super::talktrack::train(&a, dir, None, None).map(|_| ExitCode::SUCCESS)
        }
        (ModelKind::Talktrack, _, _) => bail!("train talktrack needs --data DIR (a contract directory)"),
        (ModelKind::Scoring, None, Some(input)) => {
            let Some(target) = &a.target else {
                bail!("--input needs --target COL and --positive VALUE (e.g. --target y --positive yes)");
            };
            let Some(positive) = &a.positive else {
                // Say which values there are to choose from.
                let table = Table::read(input, &read_options(&a.sep, &a.sheet)?)?;
                let Some(ti) = table.index(target) else {
                    bail!("{}: no target column {target:?} (the file has: {})", table.file, table.names.join(", "));
                };
                let all: Vec<usize> = (0..table.rows).collect();
                bail!(
                    "--input needs --positive VALUE, the value of {target:?} that counts as converted (the column holds {})",
                    value_counts(&table, ti, &all)
                );
            };
            let p = Progress::start(format!("reading {}", input.display()));
            let table = Table::read(input, &read_options(&a.sep, &a.sheet)?)
                .with_context(|| format!("reading {}", input.display()))?;
            let mut spec = train::TrainSpec::new(target, positive);
            spec.id = a.id.clone();
            spec.time = a.time.clone();
            spec.exclude = a.exclude.clone();
            spec.model = choice;
            spec.seed = a.seed;
            let (model, rep) = train::train(&table, &spec, &|s| p.step(s.to_string()))?;
            p.finish();
            print_schema(&model.schema);
            let fp = score::fingerprint(std::slice::from_ref(input))?;
            let version = score::save(&registry, "scoring", &model, &rep, &input.display().to_string(), &fp)?;
            summary("scoring", &version, &a.models, &rep, &model.validation);
            Ok(ExitCode::SUCCESS)
        }
        (ModelKind::Scoring | ModelKind::Opportunity | ModelKind::All, Some(dir), None) => {
            let p = Progress::start(format!("checking {}", dir.display()));
            let ds = checked_data(dir)?;
            // `train all` on an export that starts at the opportunity (no leads, as many CRM
            // exports do) trains the rest; the lead model stays what it was, if any.
            let no_leads = matches!(a.kind, ModelKind::All) && ds.leads.is_empty();
            let kinds: &[&str] = match a.kind {
                ModelKind::Scoring => &["scoring"],
                ModelKind::Opportunity => &["opportunity"],
                _ if no_leads => &["opportunity"],
                _ => &["scoring", "opportunity"],
            };
            let fp = score::fingerprint(&score::table_files(dir))?;
            // The talk-track model's own inputs first: a bad feedback file stops the run here,
            // not after the other models have trained.
            let mut talktrack_inputs = match a.kind {
                ModelKind::All => Some(super::talktrack::inputs(&a, dir, &p)?),
                _ => None,
            };
            // `train all` keeps all of its models or none: the versions saved before a step
            // fails are withdrawn, so what is served stays one consistent set.
            let mut saved: Vec<(&str, String)> = Vec::new();
            let trained = (|| -> Result<()> {
                let mut done = Vec::new();
                for kind in kinds {
                    p.step(format!("preparing the {kind} table"));
                    let prepared =
                        if *kind == "scoring" { contract::leads(&ds)? } else { contract::opportunities(&ds)? };
                    let mut spec = prepared.spec;
                    spec.model = choice;
                    spec.seed = a.seed;
                    let (model, rep) = train::train(&prepared.table, &spec, &|s| p.step(format!("{kind}: {s}")))
                        .with_context(|| format!("training the {kind} model"))?;
                    let version = score::save(&registry, kind, &model, &rep, &dir.display().to_string(), &fp)?;
                    saved.push((kind, version.clone()));
                    done.push((kind, version, prepared.notes, model, rep));
                }
                p.finish();
                if no_leads {
                    let current = registry.current("scoring").ok().flatten();
                    println!(
                        "note: lead scoring skipped: the leads table of {} has no rows ({})",
                        dir.display(),
                        current.map_or("no lead model is served".to_string(), |v| format!(
                            "the current lead model, {v}, stays as it was"
                        ))
                    );
                }
                for (kind, version, notes, model, rep) in &done {
                    for n in notes {
                        println!("note: {n}");
                    }
                    summary(kind, version, &a.models, rep, &model.validation);
                }
                if matches!(a.kind, ModelKind::All) {
                    let v = super::talktrack::train(&a, dir, Some(&ds), talktrack_inputs.take())
                        .context("training the talk-track model")?;
                    saved.push(("talktrack", v));
                    super::forecast::train(&ds, dir, &a.models).context("training the forecast model")?;
                }
                Ok(())
            })();
            if let Err(e) = trained {
                let mut withdrawn = Vec::new();
                for (kind, version) in saved.iter().rev() {
                    registry.withdraw(kind, version).with_context(|| {
                        format!("{e:#}; and withdrawing the {kind} model {version} saved before it")
                    })?;
                    withdrawn.push(format!("{kind} {version}"));
                }
                if withdrawn.is_empty() {
                    return Err(e);
                }
                withdrawn.reverse();
                bail!(
                    "{e:#}\nnote: nothing kept: the models this run had saved were withdrawn ({}); what was current before is current again",
                    withdrawn.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        (ModelKind::Forecast, Some(dir), None) => super::forecast::train_cmd(dir, &a.models),
        (ModelKind::Scoring, None, None) => bail!("give --data DIR (a contract directory) or --input FILE (any table)"),
        (ModelKind::Opportunity | ModelKind::All | ModelKind::Forecast, _, _) => {
            bail!("train {:?} needs --data DIR (a contract directory)", a.kind)
        }
        (ModelKind::Scoring, Some(_), Some(_)) => bail!("give --data or --input, not both"),
    }
}

/// The values of column `ti` in `rows`, most frequent first, with their counts (`"no" (39922),
/// "yes" (5289)`; the first ten).
fn value_counts(table: &Table, ti: usize, rows: &[usize]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for &i in rows {
        *counts.entry(table.columns[ti][i].trim()).or_default() += 1;
    }
    let mut seen: Vec<(&str, usize)> = counts.into_iter().collect();
    seen.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut list: Vec<String> = seen.iter().take(10).map(|(v, n)| format!("{v:?} ({n})")).collect();
    if seen.len() > 10 {
        list.push(format!("… {} more", seen.len() - 10));
    }
    list.join(", ")
}

/// Outcomes of `table` for the model's target; rows without one are skipped.
fn labels(table: &Table, model: &score::model::ScoringModel) -> Result<(Table, Vec<bool>)> {
    let ti = table
        .index(&model.target)
        .with_context(|| format!("{}: no target column {:?} to evaluate against", table.file, model.target))?;
    let keep: Vec<usize> = (0..table.rows).filter(|&i| !score::table::is_missing(&table.columns[ti][i])).collect();
    let y: Vec<bool> = keep.iter().map(|&i| table.columns[ti][i].trim() == model.positive).collect();
    let positives = y.iter().filter(|&&b| b).count();
    if !keep.is_empty() && (positives == 0 || positives == y.len()) {
        // Say what the column holds: a relabelled export (`YES`, `1`) is the usual cause.
        let what = if positives == 0 { "none" } else { "every one" };
        bail!(
            "{}: {what} of the {} labelled rows has {} = {:?}, the model's positive value, so there is one class \
             only and AUC and calibration need both (the column holds {})",
            table.file,
            y.len(),
            model.target,
            model.positive,
            value_counts(table, ti, &keep)
        );
    }
    Ok((table.take(&keep), y))
}

pub fn evaluate(a: args::EvaluateArgs) -> Result<ExitCode> {
    only_with_input(&a.input, &a.sep, &a.sheet)?;
    let kind = match a.kind {
        ModelKind::Talktrack => return super::talktrack::evaluate(a),
        ModelKind::Scoring => "scoring",
        ModelKind::Opportunity => "opportunity",
        other => {
            eprintln!(
                "leadcast evaluate {}: not built yet; `evaluate scoring|opportunity` work today",
                format!("{other:?}").to_lowercase()
            );
            return Ok(ExitCode::from(2));
        }
    };
    let registry = Registry::new(&a.models);
    let (version, model) = score::load(&registry, kind)?;
    let (table, y, oracle) = match (&a.input, &a.data) {
        (None, Some(dir)) if kind == "opportunity" => evaluate_opportunities(dir)?,
        (Some(input), None) => {
            let t = Table::read(input, &read_options(&a.sep, &a.sheet)?)
                .with_context(|| format!("reading {}", input.display()))?;
            let (t, y) = labels(&t, &model)?;
            (t, y, None)
        }
        (None, Some(dir)) => {
            let ds = checked_data(dir)?;
            let truth = dir.join("truth/leads.csv");
            if truth.is_file() {
                // A simulated world: judge against what eventually happened, beside the oracle.
                let t = Table::read(&truth, &Default::default())?;
                let col = |n: &str| {
                    t.index(n).map(|i| &t.columns[i]).with_context(|| format!("{}: no column {n}", truth.display()))
                };
                let (ids, p, ev) = (col("lead_id")?, col("true_probability")?, col("converted_eventually")?);
                let by_id: std::collections::HashMap<&str, (f64, bool)> = ids
                    .iter()
                    .zip(p)
                    .zip(ev)
                    .map(|((i, p), e)| (i.as_str(), (p.parse().unwrap_or(f64::NAN), e == "1")))
                    .collect();
                let table = contract::leads_table(&ds);
                let (mut y, mut po) = (Vec::new(), Vec::new());
                for l in &ds.leads {
                    let (p, e) = by_id
                        .get(l.lead_id.as_str())
                        .copied()
                        .with_context(|| format!("{}: no truth for lead {}", truth.display(), l.lead_id))?;
                    y.push(e);
                    po.push(p);
                }
                (table, y, Some(po))
            } else {
                let full = contract::leads_table(&ds);
                let (cut, _) = contract::censor_date(&ds).context("no leads")?;
                let keep: Vec<usize> = (0..ds.leads.len()).filter(|&i| ds.leads[i].created_at <= cut).collect();
                let (t, y) = labels(&full.take(&keep), &model)?;
                (t, y, None)
            }
        }
        _ => bail!("give --input FILE (a labelled table) or --data DIR"),
    };
    if y.iter().all(|&b| b) || !y.iter().any(|&b| b) {
        bail!("the evaluation data has one class only; AUC and calibration need both outcomes");
    }
    let preds = model.predict(&table, false, 0)?;
    let p: Vec<f64> = preds.iter().map(|r| r.probability).collect();
    let mut extra = serde_json::json!({ "model_version": version, "model": model.estimator.name() });
    if let Some(po) = &oracle {
        let om = Metrics::compute(po, &y);
        extra["oracle"] = serde_json::to_value(&om)?;
    }
    let m = Metrics::compute(&p, &y);
    if let Some(dir) = &a.report {
        score::report::write(dir, &format!("leadcast {kind} model {version}: evaluation"), &p, &y, &extra)?;
    }
    println!(
        "{kind} {version} ({}) on {} rows: AUC {:.4}, PR-AUC {:.4}, log loss {:.4}, Brier {:.4}, ECE {:.4}, top-decile lift {:.2}",
        model.estimator.name(),
        m.rows,
        m.auc,
        m.pr_auc,
        m.log_loss,
        m.brier,
        m.ece,
        m.lift_top_decile
    );
    if let Some(o) = extra.get("oracle") {
        let oa = o["auc"].as_f64().unwrap_or(f64::NAN);
        println!(
            "oracle (true probabilities): AUC {oa:.4}, log loss {:.4}; model AUC gap {:+.4}",
            o["log_loss"].as_f64().unwrap_or(f64::NAN),
            m.auc - oa
        );
    }
    if let Some(dir) = &a.report {
        println!("report: {}", dir.join("index.html").display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Every opportunity of a directory seen at its creation, against how it ended (from `truth/`
/// when the directory is simulated, with the oracle's probabilities beside).
type Labelled = (Table, Vec<bool>, Option<Vec<f64>>);

fn evaluate_opportunities(dir: &Path) -> Result<Labelled> {
    let ds = checked_data(dir)?;
    let truth = dir.join("truth/opportunities.csv");
    let mut ended: std::collections::HashMap<String, (bool, f64)> = Default::default();
    if truth.is_file() {
        let t = Table::read(&truth, &Default::default())?;
        let col =
            |n: &str| t.index(n).map(|i| &t.columns[i]).with_context(|| format!("{}: no column {n}", truth.display()));
        for ((id, p), st) in col("opportunity_id")?.iter().zip(col("true_win_probability")?).zip(col("final_status")?) {
            if st == "won" || st == "lost" {
                ended.insert(id.clone(), (st == "won", p.parse().unwrap_or(f64::NAN)));
            }
        }
    } else {
        for o in ds.opportunities.iter().filter(|o| o.status.is_closed()) {
            ended.insert(o.opportunity_id.clone(), (o.status == leadcast::domain::Status::Won, f64::NAN));
        }
    }
    let at: Vec<(usize, chrono::NaiveDate)> = ds
        .opportunities
        .iter()
        .enumerate()
        .filter(|(_, o)| ended.contains_key(&o.opportunity_id))
        .map(|(i, o)| (i, o.created_at))
        .collect();
    let table = contract::opportunity_snapshots(&ds, &at);
    let y = at.iter().map(|&(i, _)| ended[&ds.opportunities[i].opportunity_id].0).collect();
    let oracle =
        truth.is_file().then(|| at.iter().map(|&(i, _)| ended[&ds.opportunities[i].opportunity_id].1).collect());
    Ok((table, y, oracle))
}

pub fn score(a: args::ScoreArgs) -> Result<ExitCode> {
    let kind = match a.kind.as_str() {
        "scoring" | "opportunity" => a.kind.as_str(),
        other => bail!("--kind must be scoring or opportunity, got {other:?}"),
    };
    let registry = Registry::new(&a.models);
    let (_, model) = score::load(&registry, kind)?;
    let (table, open) = match (&a.input, &a.data) {
        (Some(input), _) => {
            let t = Table::read(input, &read_options(&a.sep, &a.sheet)?)
                .with_context(|| format!("reading {}", input.display()))?;
            (t, None)
        }
        (None, Some(dir)) => {
            if kind != "opportunity" {
                bail!(
                    "--data scores a contract directory's open opportunities (--kind opportunity); score leads with --input {}",
                    dir.join("leads.csv").display()
                );
            }
            only_with_input(&a.input, &a.sep, &a.sheet)?;
            let (t, deals) = open_deals(dir)?;
            (t, Some(deals))
        }
        (None, None) => bail!("give --input FILE (or, with --kind opportunity, --data DIR)"),
    };
    let mut preds = model.predict(&table, a.explain, a.top)?;
    if let Some(deals) = &open {
        deals.flag_stale(&mut preds);
    }
    let id_col = model.id.as_ref().and_then(|c| table.index(c).map(|i| (c.clone(), i)));
    let mut header = vec![
        id_col.as_ref().map_or("row".to_string(), |c| c.0.clone()),
        "probability".into(),
        "score".into(),
        "grade".into(),
    ];
    if open.is_some() {
        header.extend(["owner_id", "stage", "amount", "expected_amount"].map(String::from));
    }
    if a.explain {
        for k in 1..=a.top {
            header.extend([format!("factor_{k}"), format!("value_{k}"), format!("impact_{k}")]);
        }
    }
    header.push("warnings".into());
    let rows = preds.iter().enumerate().map(|(i, p)| {
        let mut r = vec![
            id_col.as_ref().map_or(i.to_string(), |c| table.columns[c.1][i].clone()),
            format!("{:.6}", p.probability),
            p.score.to_string(),
            p.grade.to_string(),
        ];
        if let Some(deals) = &open {
            let d = &deals.deals[i];
            r.extend([
                d.owner_id.clone(),
                d.stage.as_str().to_string(),
                format!("{:.2}", d.amount),
                format!("{:.2}", d.amount * p.probability),
            ]);
        }
        if a.explain {
            for k in 0..a.top {
                match p.factors.get(k) {
                    Some(f) => r.extend([f.feature.clone(), f.value.clone(), format!("{:.4}", f.impact)]),
                    None => r.extend([String::new(), String::new(), String::new()]),
                }
            }
        }
        r.push(p.warnings.join(" | "));
        r
    });
    write_table(&a.output, &header, rows, a.bom)?;
    match &open {
        None => println!("scored {} rows into {}", preds.len(), a.output.display()),
        Some(deals) => {
            let amount: f64 = deals.deals.iter().map(|d| d.amount).sum();
            let expected: f64 = deals.deals.iter().zip(&preds).map(|(d, p)| d.amount * p.probability).sum();
            println!(
                "scored {} open opportunities as of {} into {}: pipeline {}, amount × win probability {} \
                 (`leadcast forecast` adds close timing, new business and the pipeline's recalibration)",
                preds.len(),
                deals.as_of,
                a.output.display(),
                text::thousands(amount),
                text::thousands(expected)
            );
            if let Some(s) = deals.stale {
                let old: Vec<_> =
                    deals.deals.iter().filter(|d| s.is_stale((deals.as_of - d.created_at).num_days())).collect();
                if !old.is_empty() {
                    println!(
                        "{} of them ({} of the pipeline) are stale: open for more than {} days, longer than 99% of the \
                         history's wins took",
                        old.len(),
                        text::thousands(old.iter().map(|d| d.amount).sum()),
                        s.after_days
                    );
                }
            }
        }
    }
    // One line per distinct warning (an unknown level in 500 rows is one fact, not 500), with
    // the rows or deals it was found in; each row's own warnings are in the output's column.
    // Data rows count from 1, as in `validate`, with the CSV line beside them: the output's
    // `row` column counts from 0, and the line is what an editor shows.
    let is_csv = a.input.as_ref().is_some_and(|i| {
        !i.extension().is_some_and(|e| ["parquet", "pq"].iter().any(|x| e.eq_ignore_ascii_case(x)))
            && !data::raw::SPREADSHEETS.iter().any(|x| i.extension().is_some_and(|e| e.eq_ignore_ascii_case(x)))
    });
    let place = |i: usize| match &open {
        Some(deals) => deals.deals[i].opportunity_id.clone(),
        None if is_csv => format!("{} (line {})", i + 1, i + 2),
        None => (i + 1).to_string(),
    };
    let groups = group_warnings(&preds);
    const SHOWN: usize = 10;
    for (w, rows) in groups.iter().take(SHOWN) {
        let (one, many) = if open.is_some() { ("opportunity", "opportunities") } else { ("row", "rows") };
        let at: Vec<String> = rows.iter().take(3).map(|&i| place(i)).collect();
        let more = if rows.len() > 3 { format!(" and {} more", rows.len() - 3) } else { String::new() };
        let whose = if open.is_some() { String::new() } else { format!("{}, ", table.file) };
        match rows.len() {
            1 => eprintln!("warning: {whose}{one} {}: {w}", at[0]),
            n => eprintln!("warning: {whose}{n} {many} ({}{more}): {w}", at.join(", ")),
        }
    }
    if groups.len() > SHOWN {
        eprintln!(
            "  … and {} more kinds of warning (see the warnings column of {})",
            groups.len() - SHOWN,
            a.output.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Each distinct warning with the rows it was given to, in the order they first appear.
fn group_warnings(preds: &[score::model::Prediction]) -> Vec<(&str, Vec<usize>)> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, p) in preds.iter().enumerate() {
        for w in &p.warnings {
            let g = *index.entry(w.as_str()).or_insert_with(|| {
                groups.push((w.as_str(), Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
    }
    groups
}

/// A contract directory's open opportunities, as the opportunity model sees them at the data's
/// latest date (the snapshot the forecast scores), with what a manager reads beside a score.
struct OpenDeals {
    as_of: chrono::NaiveDate,
    deals: Vec<leadcast::domain::Opportunity>,
    /// The history's rule for stale deals, which the forecast applies ([`Stale`]).
    ///
    /// [`Stale`]: leadcast::forecast::pipeline::Stale
    stale: Option<leadcast::forecast::pipeline::Stale>,
}

impl OpenDeals {
    /// Flags the deals open longer than the history's wins took, as the forecast counts them.
    fn flag_stale(&self, preds: &mut [score::model::Prediction]) {
        let Some(s) = self.stale else { return };
        for (d, p) in self.deals.iter().zip(preds) {
            if s.is_stale((self.as_of - d.created_at).num_days()) {
                p.warnings.push(s.warning());
            }
        }
    }
}

fn open_deals(dir: &Path) -> Result<(Table, OpenDeals)> {
    let ds = checked_data(dir)?;
    let Some(as_of) = leadcast::forecast::snapshot::data_end(&ds) else {
        bail!("{}: the data has no dated rows", dir.display());
    };
    let table = contract::open_pipeline(&ds, as_of);
    if table.rows == 0 {
        bail!("{}: no open opportunities as of {as_of}", dir.display());
    }
    // Each snapshot row's deal, by its id.
    let by_id: std::collections::HashMap<&str, &leadcast::domain::Opportunity> =
        ds.opportunities.iter().map(|o| (o.opportunity_id.as_str(), o)).collect();
    let ids = &table.columns[table.index("opportunity_id").context("the snapshot names its deals")?];
    let deals = ids
        .iter()
        .map(|id| by_id.get(id.as_str()).map(|o| (*o).clone()).context("a snapshot of a known deal"))
        .collect::<Result<Vec<_>>>()?;
    let stale = leadcast::forecast::pipeline::Stale::fit(&ds, as_of);
    Ok((table, OpenDeals { as_of, deals, stale }))
}

/// Writes CSV, or Parquet when the path ends in `.parquet`; either whole or not at all.
fn write_table(path: &Path, header: &[String], rows: impl Iterator<Item = Vec<String>>, bom: bool) -> Result<()> {
    let is_parquet = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if !is_parquet {
        let h: Vec<&str> = header.iter().map(String::as_str).collect();
        leadcast::data::write::write_csv_with(path, &h, rows, bom)?;
        return Ok(());
    }
    use polars::prelude::*;
    let rows: Vec<Vec<String>> = rows.collect();
    let cols: Vec<Column> = header
        .iter()
        .enumerate()
        .map(|(k, name)| match name.as_str() {
            "probability" => Column::new(
                name.as_str().into(),
                rows.iter().map(|r| r[k].parse::<f64>().unwrap_or(f64::NAN)).collect::<Vec<_>>(),
            ),
            "score" => Column::new(
                name.as_str().into(),
                rows.iter().map(|r| r[k].parse::<u32>().unwrap_or(0)).collect::<Vec<_>>(),
            ),
            n if n.starts_with("impact_") => {
                Column::new(name.as_str().into(), rows.iter().map(|r| r[k].parse::<f64>().ok()).collect::<Vec<_>>())
            }
            _ => Column::new(name.as_str().into(), rows.iter().map(|r| r[k].clone()).collect::<Vec<_>>()),
        })
        .collect();
    let mut df = DataFrame::new(rows.len(), cols)?;
    // Like the CSV: a temporary file renamed into place, so a failure leaves no partial file.
    let tmp = path.with_extension("parquet.tmp");
    let written = std::fs::File::create(&tmp)
        .map_err(anyhow::Error::from)
        .and_then(|f| ParquetWriter::new(f).finish(&mut df).map_err(anyhow::Error::from))
        .and_then(|_| std::fs::rename(&tmp, path).map_err(anyhow::Error::from));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("writing {}", path.display())).map(|_| ())
}

/// One line on a model version for `models list`, from its metadata: what each kind is judged
/// by (held-out AUC and log loss; backtest WAPE; the hold-out policy value). A figure the
/// metadata lacks is left out, never printed as NaN.
fn version_summary(m: &serde_json::Value) -> String {
    let num = |v: &serde_json::Value| v.as_f64().filter(|x| x.is_finite());
    let count = |v: &serde_json::Value| v.as_u64().map(|n| text::thousands(n as f64));
    let mut parts: Vec<String> = Vec::new();
    match m["kind"].as_str() {
        Some("forecast") => {
            if let Some(d) = m["as_of"].as_str() {
                parts.push(format!("as of {d}"));
            }
            if let Some(n) = count(&m["open_deals"]) {
                parts.push(format!("{n} open deals"));
            }
            if let Some(w) = m["win_source"].as_str() {
                parts.push(format!("win probabilities from the {w}"));
            }
            let wapes: Vec<String> = m["backtests"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|bt| {
                    let company = bt["levels"].as_array()?.iter().find(|l| l["level"] == "company")?;
                    Some(format!("{:.1}% by {}", num(&company["wape"])? * 100.0, bt["grain"].as_str()?))
                })
                .collect();
            if !wapes.is_empty() {
                parts.push(format!("company backtest WAPE {}", wapes.join(", ")));
            }
        }
        Some("talktrack") => {
            let s = &m["summary"];
            if let Some(n) = count(&s["touches"]) {
                parts.push(format!("{n} touches"));
            }
            if let (Some(dr), Some(logged)) =
                (num(&s["holdout"]["dr"]["value"]), num(&s["holdout"]["logging"]["value"]))
            {
                parts.push(format!(
                    "hold-out advance rate of its picks {:.1}% (doubly robust) against {:.1}% as logged",
                    dr * 100.0,
                    logged * 100.0
                ));
            }
        }
        _ => {
            if let Some(model) = m["model"].as_str() {
                parts.push(match count(&m["rows"]) {
                    Some(n) => format!("{model} on {n} rows"),
                    None => model.to_string(),
                });
            }
            if let (Some(auc), Some(ll)) = (num(&m["validation"]["auc"]), num(&m["validation"]["log_loss"])) {
                parts.push(format!("held-out AUC {auc:.4}, log loss {ll:.4}"));
            }
        }
    }
    parts.join(", ")
}

pub fn models(a: args::ModelsArgs) -> Result<ExitCode> {
    match a.action {
        ModelsAction::List { models } => {
            let r = Registry::new(&models);
            for kind in leadcast::registry::KINDS {
                let versions = r.versions(kind)?;
                if versions.is_empty() {
                    continue;
                }
                let current = r.current(kind)?;
                println!("{kind}:");
                for v in versions {
                    let mark = if current.as_deref() == Some(v.as_str()) { "*" } else { " " };
                    let meta = std::fs::read(r.version_dir(kind, &v).join("metadata.json")).ok();
                    let info = meta
                        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                        .map(|m| version_summary(&m))
                        .unwrap_or_else(|| "(no readable metadata.json)".into());
                    println!(" {mark} {v}  {info}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsAction::Show { kind, version, models } => {
            let r = Registry::new(&models);
            let v = match version {
                // Only a listed version: the name is joined to a path.
                Some(v) if !r.versions(&kind)?.contains(&v) => {
                    bail!("no version {v:?} of {kind} in {} (`leadcast models list` shows them)", models.display())
                }
                Some(v) => v,
                None => {
                    r.current(&kind)?.with_context(|| format!("no current {kind} model in {}", models.display()))?
                }
            };
            let p = r.version_dir(&kind, &v).join("metadata.json");
            let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        ModelsAction::Promote { kind, version, models } => {
            Registry::new(&models).promote(&kind, &version)?;
            println!("{kind}: {version} is now current");
            Ok(ExitCode::SUCCESS)
        }
        ModelsAction::Rollback { kind, models } => {
            let v = Registry::new(&models).rollback(&kind)?;
            println!("{kind}: rolled back to {v}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
