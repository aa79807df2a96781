//! `forecast-series`: forecasts every series of a long CSV (`series,t,value`) with
//! `leadcast::forecast::ts` and writes `series,step,p10,p50,p90`.
//!
//! Input rules (README "Forecasting any series"): `t` is an integer index, an ISO date
//! (`2026-07-01`) or a period (`2026-07`, `2026Q3`), one kind per series; rows may come in any
//! order; other columns are ignored. Dates on the same day of the month are counted in months
//! (the step is the smallest gap: 1 monthly, 3 quarterly, 12 yearly), other dates in days.
//! A gap in `t` (a missing step), a duplicate `t`, a missing or non-numeric value stop the
//! command with the file, row and column (or the series and the gap) named: gaps are not
//! filled, because whether a missing month means zero or unknown is the user's call. Output
//! series are sorted by name, so the output does not depend on the row order.

use super::args::ForecastSeriesArgs;
use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate};
use leadcast::domain::Period;
use leadcast::forecast::ts;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

/// A time coordinate as read from one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Time {
    Index(i64),
    Date(NaiveDate),
}

fn parse_time(s: &str) -> Option<Time> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(Time::Index(i));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Time::Date(d));
    }
    if let Some(date) = s.get(..10).and_then(|p| NaiveDate::parse_from_str(p, "%Y-%m-%d").ok()) {
        if s.len() > 10 && s.as_bytes()[10] == b'T' {
            return Some(Time::Date(date));
        }
    }
    s.parse::<Period>().ok().map(|p| Time::Date(p.start()))
}

struct Row {
    line: usize,
    t: Time,
    raw_t: String,
    value: f64,
}

/// Reads the file into series (sorted by name) of rows.
fn read(path: &Path) -> Result<BTreeMap<String, Vec<Row>>> {
    let file = path.display();
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("opening {file}"))?;
    let header = r.headers().with_context(|| format!("{file}: reading the header"))?.clone();
    let col = |name: &str| -> Result<usize> {
        header.iter().position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name)).with_context(|| {
            format!(
                "{file}: no column `{name}` (the header is {:?}; expected series,t,value)",
                header.iter().collect::<Vec<_>>()
            )
        })
    };
    let (cs, ct, cv) = (col("series")?, col("t")?, col("value")?);
    let mut out: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for (i, rec) in r.records().enumerate() {
        let row = i + 1;
        let rec = rec.with_context(|| format!("{file}, row {row}: unreadable CSV record"))?;
        let line = rec.position().map_or(row + 1, |p| p.line() as usize);
        let at = |c: &str| format!("{file}, row {row} (line {line}), column {c}");
        let series = rec.get(cs).unwrap_or("");
        if series.is_empty() {
            bail!("{}: the series name is empty", at("series"));
        }
        let raw_t = rec.get(ct).unwrap_or("");
        let t = parse_time(raw_t).with_context(|| {
            format!("{}: {raw_t:?} is not an integer index or a date (YYYY-MM-DD, YYYY-MM, YYYYQn)", at("t"))
        })?;
        let raw_v = rec.get(cv).unwrap_or("");
        if raw_v.is_empty() {
            bail!("{}: missing value (series {series}, t {raw_t})", at("value"));
        }
        let value: f64 = match raw_v.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => bail!("{}: {raw_v:?} is not a finite number (series {series}, t {raw_t})", at("value")),
        };
        out.entry(series.to_string()).or_default().push(Row { line, t, raw_t: raw_t.to_string(), value });
    }
    if out.is_empty() {
        bail!("{file} has no data rows");
    }
    Ok(out)
}

/// Orders one series, checks for duplicates and gaps, and returns its values and the season
/// its time step suggests (12 for months, 4 for quarters, 7 for days, else 1).
fn arrange(file: &str, name: &str, mut rows: Vec<Row>) -> Result<(Vec<f64>, usize)> {
    let dates = rows.iter().filter(|r| matches!(r.t, Time::Date(_))).count();
    if dates != 0 && dates != rows.len() {
        bail!("{file}: series {name} mixes integer and date values of t; use one kind per series");
    }
    rows.sort_by_key(|r| r.t);
    for w in rows.windows(2) {
        if w[0].t == w[1].t {
            bail!(
                "{file}: series {name} has two values for t = {} (lines {} and {}); keep one row per time",
                w[1].raw_t,
                w[0].line,
                w[1].line
            );
        }
    }
    // Integer coordinates of every row, and the unit of the step.
    let (coords, unit): (Vec<i64>, &str) = if dates == 0 {
        (rows.iter().map(|r| if let Time::Index(i) = r.t { i } else { 0 }).collect(), "")
    } else {
        let ds: Vec<NaiveDate> =
            rows.iter().map(|r| if let Time::Date(d) = r.t { d } else { NaiveDate::MIN }).collect();
        if ds.iter().all(|d| d.day() == ds[0].day()) {
            (ds.iter().map(|d| d.year() as i64 * 12 + d.month0() as i64).collect(), "month")
        } else {
            (ds.iter().map(|d| d.num_days_from_ce() as i64).collect(), "day")
        }
    };
    let step = if unit.is_empty() { 1 } else { coords.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(1).max(1) };
    for (i, w) in coords.windows(2).enumerate() {
        let d = w[1] - w[0];
        if d != step {
            let missing = d / step - 1;
            let what = if unit.is_empty() { String::from("step of 1") } else { format!("step of {step} {unit}(s)") };
            bail!(
                "{file}: series {name} has a gap between t = {} and t = {} ({} missing with a {what}); \
                 fill the missing values (0 if nothing happened) or drop the series",
                rows[i].raw_t,
                rows[i + 1].raw_t,
                if d % step == 0 { missing.to_string() } else { "an irregular interval, values".to_string() }
            );
        }
    }
    let season = match (unit, step) {
        ("month", 1) => 12,
        ("month", 3) => 4,
        ("day", 1) => 7,
        _ => 1,
    };
    Ok((rows.into_iter().map(|r| r.value).collect(), season))
}

pub fn forecast_series(a: ForecastSeriesArgs) -> Result<ExitCode> {
    if a.horizon == 0 {
        bail!("--horizon must be at least 1");
    }
    if a.season == Some(0) {
        bail!("--season must be at least 1 (1 = no seasonality)");
    }
    let file = a.input.display().to_string();
    let all = read(&a.input)?;
    let mut prepared = Vec::with_capacity(all.len());
    for (name, rows) in all {
        let (y, inferred) = arrange(&file, &name, rows)?;
        prepared.push((name, y, a.season.map_or(inferred, |s| s as usize)));
    }
    if a.season.is_none() {
        let mut seasons: Vec<usize> = prepared.iter().map(|p| p.2).collect();
        seasons.sort_unstable();
        seasons.dedup();
        eprintln!("note: no --season given; season {seasons:?} inferred from the step of t (1 for integer t)");
    }
    let h = a.horizon as usize;
    let mut out = csv::Writer::from_path(&a.output).with_context(|| format!("creating {}", a.output.display()))?;
    out.write_record(["series", "step", "p10", "p50", "p90"])?;
    let mut methods: BTreeMap<String, usize> = BTreeMap::new();
    for (name, y, m) in &prepared {
        let opts = ts::Options { method: a.method, ..ts::Options::new(h, *m) };
        let f = ts::forecast_with(y, &opts).with_context(|| format!("forecasting series {name}"))?;
        for note in &f.notes {
            eprintln!("note: series {name}: {note}");
        }
        *methods.entry(f.method.clone()).or_default() += 1;
        for (j, s) in f.steps.iter().enumerate() {
            out.write_record([
                name.clone(),
                (j + 1).to_string(),
                s.p10.to_string(),
                s.p50.to_string(),
                s.p90.to_string(),
            ])?;
        }
    }
    out.flush().with_context(|| format!("writing {}", a.output.display()))?;
    let summary: Vec<String> = methods.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
    println!(
        "forecast {} series, {h} steps each ({}); wrote {}",
        prepared.len(),
        summary.join(", "),
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
