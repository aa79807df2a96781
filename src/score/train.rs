//! Training a scoring model on one table: target → labels, schema inference, a held-out split
//! (random, or by time), candidates fitted and compared by held-out log loss after
//! calibration, the winner calibrated, graded and checked for leakage.

use super::calibrate::{Calibrator, ISOTONIC_MIN_ROWS, Method};
use super::features::Encoder;
use super::groups;
use super::metrics::{self, Metrics};
use super::model::{Estimator, Grades, ModelChoice, ScoringModel};
use super::table::{ColumnInfo, DateOrder, Role, Table, infer, is_missing};
use crate::data::load::plain_number;
use crate::{Error, Result};
use chrono::Datelike;
use serde::{Deserialize, Serialize};

/// What to train.
#[derive(Debug, Clone)]
pub struct TrainSpec {
    pub target: String,
    pub positive: String,
    pub id: Option<String>,
    /// Split by this date column (the latest rows are held out) instead of at random.
    pub time: Option<String>,
    pub exclude: Vec<String>,
    pub model: ModelChoice,
    pub seed: u64,
    /// Share of rows held out for calibration and validation.
    pub holdout: f64,
    /// Kinds fixed by the caller (contract tables); other columns are inferred.
    pub fixed: Vec<ColumnInfo>,
    /// Refit the chosen estimator on all rows (held-out ones too) after choosing and
    /// calibrating it.
    pub refit: bool,
}

impl TrainSpec {
    pub fn new(target: &str, positive: &str) -> TrainSpec {
        TrainSpec {
            target: target.into(),
            positive: positive.into(),
            id: None,
            time: None,
            exclude: Vec::new(),
            model: ModelChoice::Auto,
            seed: 42,
            holdout: 0.2,
            fixed: Vec::new(),
            refit: true,
        }
    }
}

/// A candidate estimator's held-out result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Candidate {
    pub model: String,
    pub log_loss: f64,
    pub auc: f64,
    pub fit_seconds: f64,
}

/// What training produced besides the model: for the summary and the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainReport {
    pub rows: usize,
    pub rows_dropped_no_target: usize,
    pub train_rows: usize,
    pub holdout_rows: usize,
    pub split: String,
    pub features: usize,
    pub candidates: Vec<Candidate>,
    pub chosen: String,
    pub calibration: String,
    pub warnings: Vec<String>,
    /// Training distributions of the features, for drift checks.
    pub feature_stats: Vec<super::features::FeatureStats>,
    /// Held-out calibrated probabilities (cross-fitted) and outcomes, for the report's curves.
    #[serde(skip)]
    pub holdout_p: Vec<f64>,
    #[serde(skip)]
    pub holdout_y: Vec<bool>,
}

/// The schema of `table` for `spec`: roles first, then fixed or inferred kinds.
pub fn schema(table: &Table, spec: &TrainSpec) -> Result<Vec<ColumnInfo>> {
    for c in spec.exclude.iter().chain(spec.id.iter()).chain(spec.time.iter()) {
        if table.index(c).is_none() {
            return Err(Error::InvalidArgument(format!(
                "{}: no column {c:?} (the file has: {})",
                table.file,
                table.names.join(", ")
            )));
        }
    }
    Ok(table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(name, col)| {
            let role = if *name == spec.target {
                Some(Role::Target)
            } else if spec.id.as_deref() == Some(name) {
                Some(Role::Id)
            } else if spec.exclude.contains(name) {
                Some(Role::Excluded)
            } else {
                None
            };
            match (role, spec.fixed.iter().find(|c| &c.name == name)) {
                (Some(role), _) => ColumnInfo {
                    name: name.clone(),
                    role,
                    kind: None,
                    // Counted like a feature's, for the printed schema.
                    missing: col.iter().filter(|v| is_missing(v)).count(),
                    distinct: col
                        .iter()
                        .filter(|v| !is_missing(v))
                        .map(|v| v.trim())
                        .collect::<rustc_hash::FxHashSet<_>>()
                        .len(),
                    note: String::new(),
                    date_order: Default::default(),
                    decimal: Default::default(),
                },
                (None, Some(fixed)) => fixed.clone(),
                (None, None) => infer(name, col),
            }
        })
        .collect())
}

/// The `--time` column of the kept rows as sortable numbers: dates as days — ISO, or
/// day-month-year or month-day-year, whichever reads the most values (see [`DateOrder`]) — or
/// plain numbers (a period index, a timestamp). A missing time sorts first. A value the chosen
/// reading cannot place is an error naming it: "by time" would otherwise quietly be the file's
/// order for the rows it could not read.
fn time_keys(table: &Table, t: &str, keep: &[usize]) -> Result<Vec<f64>> {
    let col = &table.columns[table.index(t).expect("checked in schema")];
    let day = |o: DateOrder| move |v: &str| o.parse(v).map(|d| d.num_days_from_ce() as f64);
    type Reader = Box<dyn Fn(&str) -> Option<f64>>;
    let readers: [(&str, Reader); 4] = [
        ("ISO dates", Box::new(day(DateOrder::Iso))),
        ("day-month-year dates", Box::new(day(DateOrder::DayFirst))),
        ("month-day-year dates", Box::new(day(DateOrder::MonthFirst))),
        ("numbers", Box::new(|v: &str| plain_number(v.trim()))),
    ];
    let present: Vec<usize> = keep.iter().copied().filter(|&i| !is_missing(&col[i])).collect();
    if present.is_empty() {
        return Err(Error::InvalidArgument(format!("{}: --time {t}: the column has no values", table.file)));
    }
    let reads = |r: &dyn Fn(&str) -> Option<f64>| present.iter().filter(|&&i| r(&col[i]).is_some()).count();
    // The first of the most-reading readers (ISO before day-first before month-first).
    let (name, read) = readers.iter().rev().max_by_key(|(_, r)| reads(r.as_ref())).expect("four readers");
    if let Some(&i) = present.iter().find(|&&i| read(&col[i]).is_none()) {
        return Err(Error::InvalidArgument(format!(
            "{}, row {} (line {}), column {t}: {:?} cannot be ordered by --time {t} (its other values read as {name}; \
             dates must be written one way in every row: YYYY-MM-DD or YYYY/M/D, DD-MM-YYYY or MM/DD/YYYY)",
            table.file,
            i + 1,
            i + 2,
            col[i]
        )));
    }
    Ok(keep
        .iter()
        .map(|&i| if is_missing(&col[i]) { f64::NEG_INFINITY } else { read(&col[i]).unwrap_or(f64::NEG_INFINITY) })
        .collect())
}

/// Trains on `table`. `progress` is told what is happening.
pub fn train(table: &Table, spec: &TrainSpec, progress: &dyn Fn(&str)) -> Result<(ScoringModel, TrainReport)> {
    let ti = table.index(&spec.target).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "{}: no target column {:?} (the file has: {})",
            table.file,
            spec.target,
            table.names.join(", ")
        ))
    })?;
    let target = &table.columns[ti];
    let keep: Vec<usize> = (0..table.rows).filter(|&i| !is_missing(&target[i])).collect();
    let dropped = table.rows - keep.len();
    let y_all: Vec<bool> = keep.iter().map(|&i| target[i].trim() == spec.positive).collect();
    let pos = y_all.iter().filter(|&&b| b).count();
    if pos == 0 {
        let mut seen: Vec<&str> = keep.iter().map(|&i| target[i].trim()).collect();
        seen.sort();
        seen.dedup();
        seen.truncate(10);
        return Err(Error::InvalidArgument(format!(
            "target value {:?} does not occur in column {:?} (values seen: {})",
            spec.positive,
            spec.target,
            seen.join(", ")
        )));
    }
    if pos == y_all.len() {
        return Err(Error::InvalidArgument(format!(
            "column {:?} has one class only (every row is {:?}): a model needs both outcomes",
            spec.target, spec.positive
        )));
    }
    if keep.len() < 50 || pos < 10 || y_all.len() - pos < 10 {
        return Err(Error::InvalidArgument(format!(
            "too little data to train: {} rows with a target, {} positive (need at least 50 rows and 10 of each class)",
            keep.len(),
            pos
        )));
    }
    let schema = schema(table, spec)?;
    let n_features = schema.iter().filter(|c| c.role == Role::Feature).count();
    if n_features == 0 {
        return Err(Error::InvalidArgument("no usable feature columns (all were dropped or excluded)".into()));
    }

    // Split: the latest rows by time, or a seeded random share, are held out.
    let mut order: Vec<usize> = (0..keep.len()).collect();
    // At random, rows that share an id (the snapshots of one deal) go to the same side: whole
    // ids are shuffled, and the cut moves to the next id. (By time, a deal's snapshots share
    // its creation date; only a deal on the cut's date may straddle it.)
    let mut shared: Option<Vec<u32>> = None;
    let split = match &spec.time {
        Some(t) => {
            let key = time_keys(table, t, &keep)?;
            order.sort_by(|&a, &b| key[a].total_cmp(&key[b]));
            format!("by time ({t}): the latest {:.0}% held out", spec.holdout * 100.0)
        }
        None => {
            let ids = spec.id.as_ref().and_then(|id| table.index(id)).map(|c| &table.columns[c]);
            shared = ids.and_then(|col| groups::repeated(keep.iter().map(|&i| col[i].as_str())));
            order = groups::shuffled(keep.len(), shared.as_deref(), spec.seed);
            let whole = if shared.is_some() { ", whole ids" } else { "" };
            format!("random (seed {}): {:.0}% held out{whole}", spec.seed, spec.holdout * 100.0)
        }
    };
    let n_hold = ((keep.len() as f64) * spec.holdout).round() as usize;
    let (fit_k, hold_k) = order.split_at(groups::cut(&order, shared.as_deref(), keep.len() - n_hold));
    let fit_rows: Vec<usize> = fit_k.iter().map(|&k| keep[k]).collect();
    let hold_rows: Vec<usize> = hold_k.iter().map(|&k| keep[k]).collect();
    let y_fit: Vec<bool> = fit_k.iter().map(|&k| y_all[k]).collect();
    let y_hold: Vec<bool> = hold_k.iter().map(|&k| y_all[k]).collect();
    let (fit_t, hold_t) = (table.take(&fit_rows), table.take(&hold_rows));

    progress("encoding features");
    let first = Encoder::fit(&fit_t, &schema);
    let cols: Vec<usize> = first.features.iter().map(|f| fit_t.index(&f.column).expect("a feature column")).collect();
    let encoder = first.ordered_by_rate(&first.encode(&fit_t, &cols), &y_fit);
    let x_fit = encoder.encode(&fit_t, &cols);
    let x_hold = encoder.encode(&hold_t, &cols);
    let groups =
        spec.id.as_ref().and_then(|id| groups::repeated(fit_t.columns[fit_t.index(id)?].iter().map(String::as_str)));
    let mut warnings = leakage(&encoder, &x_fit, &y_fit);
    let feature_stats = encoder.stats(&x_fit);

    let choices = match spec.model {
        ModelChoice::Auto => vec![ModelChoice::Logistic, ModelChoice::Gbdt],
        c => vec![c],
    };
    let mut candidates = Vec::new();
    #[allow(clippy::type_complexity)] // the best candidate so far, local to this loop
    let mut best: Option<(f64, Estimator, Vec<f64>, Vec<f64>, Method, ModelChoice)> = None;
    for choice in choices {
        progress(&format!(
            "fitting {}",
            serde_json::to_value(choice).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
        ));
        let started = std::time::Instant::now();
        let est = Estimator::fit(choice, &encoder, &x_fit, &y_fit, groups.as_deref(), spec.seed)?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let raw: Vec<f64> = est.log_odds(&encoder, &x_hold).into_iter().map(|l| 1.0 / (1.0 + (-l).exp())).collect();
        // The calibration method is chosen like the estimator: by cross-fitted log loss.
        let mut methods = vec![Method::Platt];
        if raw.len() >= ISOTONIC_MIN_ROWS {
            methods.push(Method::Isotonic);
        }
        let (ll, method, cross) = methods
            .into_iter()
            .map(|m| {
                let c = cross_calibrated(m, &raw, &y_hold);
                (metrics::log_loss(&c, &y_hold), m, c)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("a method");
        candidates.push(Candidate {
            model: est.name().into(),
            log_loss: ll,
            auc: metrics::auc(&cross, &y_hold),
            fit_seconds,
        });
        if best.as_ref().is_none_or(|b| ll < b.0) {
            best = Some((ll, est, raw, cross, method, choice));
        }
    }
    let (_, held_out_model, raw, cross, method, _) = best.expect("at least one candidate");
    let calibrator = Calibrator::fit_with(method, &raw, &y_hold);
    // The chosen estimator is refitted on every training row; the calibration learned from
    // the held-out rows carries over.
    let estimator = if spec.refit {
        progress("refitting on all rows");
        let all: Vec<usize> = fit_rows.iter().chain(&hold_rows).copied().collect();
        let all_t = table.take(&all);
        let x_all = encoder.encode(&all_t, &cols);
        let y_all_rows: Vec<bool> = y_fit.iter().chain(&y_hold).copied().collect();
        held_out_model.refit(&encoder, &x_all, &y_all_rows, spec.seed)?
    } else {
        held_out_model
    };
    let validation = Metrics::compute(&cross, &y_hold);
    let base_rate = pos as f64 / y_all.len() as f64;
    if dropped > 0 {
        warnings.push(format!("{dropped} rows have no value in {:?} and were left out", spec.target));
    }
    let report = TrainReport {
        rows: table.rows,
        rows_dropped_no_target: dropped,
        train_rows: fit_rows.len(),
        holdout_rows: hold_rows.len(),
        split,
        features: encoder.features.len(),
        chosen: estimator.name().into(),
        calibration: calibrator.name().into(),
        candidates,
        warnings,
        feature_stats,
        holdout_p: cross,
        holdout_y: y_hold,
    };
    let model = ScoringModel {
        target: spec.target.clone(),
        positive: spec.positive.clone(),
        id: spec.id.clone(),
        schema,
        encoder,
        estimator,
        calibrator,
        grades: Grades::from_base_rate(base_rate),
        validation,
    };
    Ok((model, report))
}

/// Held-out probabilities calibrated without seeing themselves: a calibrator fitted on one
/// half of the rows is applied to the other, and the other way round.
fn cross_calibrated(method: Method, raw: &[f64], y: &[bool]) -> Vec<f64> {
    let half = |parity: usize| -> (Vec<f64>, Vec<bool>) {
        (0..raw.len()).filter(|i| i % 2 == parity).map(|i| (raw[i], y[i])).unzip()
    };
    let (r0, y0) = half(0);
    let (r1, y1) = half(1);
    let (c0, c1) = (Calibrator::fit_with(method, &r0, &y0), Calibrator::fit_with(method, &r1, &y1));
    raw.iter().enumerate().map(|(i, &r)| if i % 2 == 0 { c1.apply(r) } else { c0.apply(r) }).collect()
}

/// The leakage guard: a feature that alone nearly separates the classes (AUC ≥ 0.95), or
/// alone ranks far better than every other (AUC ≥ 0.75 and 0.10 above the next), is probably
/// known only after the outcome.
fn leakage(enc: &Encoder, x: &super::features::Encoded, y: &[bool]) -> Vec<String> {
    let n = x.rows;
    let mut aucs: Vec<(f64, usize)> = (0..enc.features.len())
        .map(|k| {
            let col = &x.tree[k * n..(k + 1) * n];
            let score: Vec<f64> = if enc.categorical().contains(&k) {
                let mut sums: rustc_hash::FxHashMap<u64, (f64, f64)> = Default::default();
                for (v, &t) in col.iter().zip(y) {
                    let e = sums.entry(v.to_bits()).or_default();
                    e.0 += t as u8 as f64;
                    e.1 += 1.0;
                }
                col.iter().map(|v| sums[&v.to_bits()].0 / sums[&v.to_bits()].1).collect()
            } else {
                col.iter().map(|v| if v.is_nan() { f64::MIN } else { *v }).collect()
            };
            let a = metrics::auc(&score, y);
            let mut a = a.max(1.0 - a);
            if !enc.categorical().contains(&k) {
                a = a.max(exact_values_auc(col, y));
            }
            (a, k)
        })
        .collect();
    aucs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = Vec::new();
    let next = aucs.get(1).map_or(0.5, |a| a.0);
    for (i, &(a, k)) in aucs.iter().enumerate() {
        let dominant = i == 0 && a >= 0.75 && a - next >= 0.10;
        if a >= 0.95 || dominant {
            out.push(format!(
                "possible leakage: {:?} alone ranks the outcome with AUC {a:.3} (next best feature {next:.3}); if it is only known after the outcome, retrain with --exclude {}",
                enc.features[k].name, enc.features[k].column
            ));
        }
    }
    out
}

/// How well a number's exact values tell the classes apart, whatever their order: each row is
/// scored by the outcome rate of the same value among the other half of the rows (even rows
/// by the odd ones, odd by the even; a value the other half lacks scores the overall rate).
/// It finds what ranking misses: an export that writes the real amount only for won deals and
/// the list price for the others (a won deal's amount is the one off the list) ranks won
/// against lost with AUC 0.49 by size and 0.997 by exact value. A continuous number, whose
/// values seldom repeat, scores near 0.5 this way; out-of-half rates keep a row's own outcome
/// out of its score.
fn exact_values_auc(col: &[f64], y: &[bool]) -> f64 {
    let mut half: [rustc_hash::FxHashMap<u64, (f64, f64)>; 2] = Default::default();
    for (i, (v, &t)) in col.iter().zip(y).enumerate() {
        let e = half[i % 2].entry(v.to_bits()).or_default();
        e.0 += t as u8 as f64;
        e.1 += 1.0;
    }
    let overall = y.iter().filter(|&&t| t).count() as f64 / y.len().max(1) as f64;
    let score: Vec<f64> = col
        .iter()
        .enumerate()
        .map(|(i, v)| half[1 - i % 2].get(&v.to_bits()).map_or(overall, |&(w, n)| (w + overall) / (n + 1.0)))
        .collect();
    let a = metrics::auc(&score, y);
    a.max(1.0 - a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An amount that is the list price for every lost deal and the real, varying price for
    /// every won one: by size it tells nothing, by exact value everything. A continuous
    /// number with no signal stays near 0.5.
    #[test]
    fn exact_values_find_a_number_written_differently_for_one_class() {
        let mut s = 11u64;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let lists = [550.0, 1096.0, 4821.0, 26768.0];
        let (mut amount, mut noise, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..4000 {
            let list = lists[(rnd() * 4.0) as usize];
            let won = rnd() < 0.6;
            amount.push(if won { (list * (0.7 + 0.6 * rnd())).round() } else { list });
            noise.push(rnd() * 1000.0);
            y.push(won);
        }
        let by_size = metrics::auc(&amount, &y);
        assert!((by_size - 0.5).abs() < 0.06, "{by_size}");
        assert!(exact_values_auc(&amount, &y) > 0.95, "{}", exact_values_auc(&amount, &y));
        assert!((exact_values_auc(&noise, &y) - 0.5).abs() < 0.03, "{}", exact_values_auc(&noise, &y));
    }

    fn table(v: &[&str]) -> Table {
        Table {
            file: "t.csv".into(),
            names: vec!["t".into()],
            columns: vec![v.iter().map(|s| s.to_string()).collect()],
            rows: v.len(),
        }
    }

    #[test]
    fn time_orders_rows_by_the_dates_as_written_or_says_why_it_cannot() {
        let all: Vec<usize> = (0..4).collect();
        let order = |v: &[&str]| -> Vec<usize> {
            let key = time_keys(&table(v), "t", &all).unwrap();
            let mut o = all.clone();
            o.sort_by(|&a, &b| key[a].total_cmp(&key[b]));
            o
        };
        // Day-first dates whose text order is not their time order (as Olist's export).
        assert_eq!(order(&["01-02-2018", "20-10-2017", "15-01-2018", "02-01-2018"]), vec![1, 3, 2, 0]);
        assert_eq!(order(&["2018-02-01", "2017-10-20", "", "2018-01-02"]), vec![2, 1, 3, 0]);
        assert_eq!(order(&["10", "9", "100", "-1"]), vec![3, 1, 0, 2]);
        // Neither dates nor numbers, or one row written another way: an error naming it.
        let e = time_keys(&table(&["soon", "later", "never", "now"]), "t", &all).unwrap_err().to_string();
        assert!(e.contains("row 1 (line 2), column t") && e.contains("\"soon\""), "{e}");
        let e = time_keys(&table(&["26-02-2018", "27-02-2018", "2018-02-28", "01-03-2018"]), "t", &all)
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 3") && e.contains("day-month-year"), "{e}");
        assert!(time_keys(&table(&["", "NA", "", ""]), "t", &all).is_err());
    }
}
