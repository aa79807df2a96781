//! `forecast-series`: forecasts every series of a long CSV (`series,t,value`) or of a wide one
//! (no `series` and `value` columns: t first, one column per series, as spreadsheets keep them)
//! with `leadcast::forecast::ts` and writes `series,step,p10,p50,p90`.
//!
//! Input rules (README "Forecasting any series"): a CSV (separator sniffed), Parquet or
//! spreadsheet file; `t` is an integer index, an ISO date (`2026-07-01`), a date written
//! day-month-year or month-day-year (one order per file) or a period (`2026-07`, `2026Q3`), one
//! kind per series; rows may come in any order; other columns are ignored. Dates on the same day of the
//! month, or all on month ends, are counted in months (the step is the smallest gap: 1
//! monthly, 3 quarterly, 12 yearly), other dates in days.
//! A gap in `t` (a missing step), a duplicate `t`, a missing or non-numeric value stop the
//! command with the file, row and column (or the series and the gap) named: gaps are not
//! filled, because whether a missing month means zero or unknown is the user's call. Output
//! series are sorted by name, so the output does not depend on the row order.

use super::args::ForecastSeriesArgs;
use anyhow::{Context, Result, anyhow, bail};
use chrono::{Datelike, NaiveDate};
use leadcast::data::load::{DateOrder, DecimalMark};
use leadcast::data::raw;
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
    // ISO dates and date-times, and year-first ones as spreadsheets write them (`2024/1/31`).
    if let Ok(d) = leadcast::data::load::parse_date(s) {
        return Some(Time::Date(d));
    }
    s.parse::<Period>().ok().map(|p| Time::Date(p.start()))
}

/// One value as read, before its time and number are parsed.
struct Cell {
    series: String,
    row: usize,
    line: usize,
    t: Option<Time>,
    raw_t: String,
    raw_v: String,
    /// The value's column: `value`, or in a wide table the series' own.
    column: String,
}

struct Row {
    line: usize,
    t: Time,
    raw_t: String,
    value: f64,
}

/// Reads the file (CSV with its separator sniffed, Parquet or a spreadsheet's sheet) into series (sorted by name) of
/// rows. `t` values that are neither indices, ISO dates nor periods are dates written
/// day-month-year or month-day-year: one order for the whole file, chosen as the scoring table
/// chooses a column's ([`DateOrder::choose`]), and printed.
fn read(path: &Path, opts: &raw::ReadOptions) -> Result<BTreeMap<String, Vec<Row>>> {
    let t = raw::open(path, opts).map_err(|p| anyhow!(p.located()))?;
    let file = t.file.clone();
    let has = |name: &str| t.headers.iter().any(|h| h.eq_ignore_ascii_case(name));
    let mut read: Vec<Cell> = Vec::new();
    // Wide tables: the cells left empty, as (series, row, line, raw t).
    let mut empty: Vec<(String, usize, usize, String)> = Vec::new();
    let t_col;
    if !has("series") && !has("value") && t.headers.len() >= 2 {
        // A wide table, as spreadsheets keep series: the first column is t, every other column
        // a series named by its header. An empty cell is no value: before a series' first or
        // after its last value it shortens the series; inside it, it is a gap (an error below).
        t_col = t.headers[0].clone();
        eprintln!(
            "note: {file}: no series,t,value columns: read as a wide table, t from column `{t_col}` and one series per other column ({})",
            t.headers[1..].join(", ")
        );
        let names = t.headers.clone();
        for rec in t.rows {
            let rec = rec.map_err(|p| anyhow!(p.located()))?;
            let (row, line) = (rec.row, rec.line.map_or(rec.row + 1, |l| l as usize));
            let field = |c: usize| rec.fields.get(c).unwrap_or("").trim();
            let raw_t = field(0);
            let (values, blanks): (Vec<_>, Vec<_>) =
                (1..names.len()).map(|c| (c, field(c))).partition(|v| !v.1.is_empty());
            if raw_t.is_empty() {
                if values.is_empty() {
                    continue; // a blank row, as spreadsheets leave below a table
                }
                bail!("{file}, row {row} (line {line}), column {t_col}: missing t");
            }
            for (c, raw_v) in values {
                read.push(Cell {
                    series: names[c].clone(),
                    row,
                    line,
                    t: parse_time(raw_t),
                    raw_t: raw_t.to_string(),
                    raw_v: raw_v.to_string(),
                    column: names[c].clone(),
                });
            }
            empty.extend(blanks.into_iter().map(|(c, _)| (names[c].clone(), row, line, raw_t.to_string())));
        }
    } else {
        let col = |name: &str| -> Result<usize> {
            t.headers.iter().position(|h| h.eq_ignore_ascii_case(name)).with_context(|| {
                format!(
                    "{file}: no column `{name}` (the header is {:?}; expected series,t,value, or a wide table: t first, one column per series)",
                    t.headers
                )
            })
        };
        let (cs, ct, cv) = (col("series")?, col("t")?, col("value")?);
        t_col = "t".to_string();
        for rec in t.rows {
            let rec = rec.map_err(|p| anyhow!(p.located()))?;
            let (row, line) = (rec.row, rec.line.map_or(rec.row + 1, |l| l as usize));
            let at = |c: &str| format!("{file}, row {row} (line {line}), column {c}");
            let field = |c: usize| rec.fields.get(c).unwrap_or("").trim();
            let series = field(cs);
            if series.is_empty() {
                bail!("{}: the series name is empty", at("series"));
            }
            let raw_t = field(ct);
            if raw_t.is_empty() {
                bail!("{}: missing t (series {series})", at("t"));
            }
            let raw_v = field(cv);
            if raw_v.is_empty() {
                bail!("{}: missing value (series {series}, t {raw_t})", at("value"));
            }
            read.push(Cell {
                series: series.to_string(),
                row,
                line,
                t: parse_time(raw_t),
                raw_t: raw_t.to_string(),
                raw_v: raw_v.to_string(),
                column: "value".to_string(),
            });
        }
    }
    if read.is_empty() {
        bail!("{file} has no data rows");
    }
    let unread: Vec<&str> = read.iter().filter(|r| r.t.is_none()).map(|r| r.raw_t.as_str()).collect();
    let order = if unread.is_empty() {
        DateOrder::Iso
    } else {
        let (order, _, told) = DateOrder::choose(|o| unread.iter().filter(|v| o.parse(v).is_some()).count());
        // No day above 12: the order under which the dates fall on one day of the month (or
        // on month ends), as monthly and quarterly exports write them, if only one does so.
        let regular = |o: DateOrder| {
            let ds: Option<Vec<NaiveDate>> = unread.iter().map(|v| o.parse(v)).collect();
            ds.is_some_and(|ds| monthly(&ds))
        };
        let (order, why) = match (told, regular(DateOrder::DayFirst), regular(DateOrder::MonthFirst)) {
            (true, _, _) => (order, ""),
            (false, false, true) => (DateOrder::MonthFirst, " (every date on one day of the month that way)"),
            (false, true, false) => (DateOrder::DayFirst, " (every date on one day of the month that way)"),
            _ => (order, " (no value tells: no day above 12)"),
        };
        eprintln!("note: {file}: t {}{why}", order.describe());
        order
    };
    // Values: with a decimal point, unless (nearly) every value reads only with a decimal comma
    // (`1.234,5`, European exports) — the scoring tables' rule, for the whole file.
    let numbers = |d: DecimalMark| read.iter().filter(|r| d.parse(&r.raw_v).is_some()).count();
    let decimal = DecimalMark::choose(read.len(), numbers).map_or(DecimalMark::Point, |c| c.0);
    if !decimal.is_point() {
        eprintln!("note: {file}: value read with {}", decimal.describe());
    }
    let mut out: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for Cell { series, row, line, t, raw_t, raw_v, column: v_col } in read {
        let Some(value) = decimal.parse(&raw_v) else {
            bail!(
                "{file}, row {row} (line {line}), column {v_col}: {raw_v:?} is not a finite number (series {series}, t {raw_t})"
            );
        };
        let Some(t) = t.or_else(|| order.parse(&raw_t).map(Time::Date)) else {
            bail!(
                "{file}, row {row} (line {line}), column {t_col}: {raw_t:?} is not an integer index or a date \
                 (YYYY-MM-DD or YYYY/M/D, YYYY-MM, YYYYQn, or DD-MM-YYYY / MM/DD/YYYY written one way in the whole file)"
            );
        };
        out.entry(series).or_default().push(Row { line, t, raw_t, value });
    }
    // An empty cell between a wide series' first and last values is a gap, named by its cell
    // (the step check below would see only two values further apart, and could take that
    // for the series' step).
    for (series, row, line, raw_t) in empty {
        let (Some(rows), Some(t)) =
            (out.get(&series), parse_time(&raw_t).or_else(|| order.parse(&raw_t).map(Time::Date)))
        else {
            continue;
        };
        if rows.iter().any(|r| r.t < t) && rows.iter().any(|r| r.t > t) {
            bail!(
                "{file}, row {row} (line {line}), column {series}: no value at t {raw_t} inside series {series}; \
                 fill it (0 if nothing happened) or drop the series — gaps are not filled"
            );
        }
    }
    Ok(out)
}

/// Whether dates count in months: all on the same day of the month, or all on the last day of
/// theirs (month-end exports: 2026-01-31, 2026-02-28, …).
fn monthly(ds: &[NaiveDate]) -> bool {
    let month_end = |d: &NaiveDate| d.succ_opt().is_none_or(|n| n.month() != d.month());
    ds.iter().all(|d| d.day() == ds[0].day()) || ds.iter().all(month_end)
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
        if monthly(&ds) {
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
    let all = read(&a.input, &raw::ReadOptions { sheet: a.sheet.clone(), ..Default::default() })?;
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
    // Every series is forecast before anything is written, and the file is written whole
    // (a temporary file renamed into place): a failure leaves no partial output.
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(prepared.len() * a.horizon as usize);
    let mut methods: BTreeMap<String, usize> = BTreeMap::new();
    for (name, y, m) in &prepared {
        let opts = ts::Options { method: a.method, ..ts::Options::new(h, *m) };
        let f = ts::forecast_with(y, &opts).with_context(|| format!("forecasting series {name}"))?;
        for note in &f.notes {
            eprintln!("note: series {name}: {note}");
        }
        *methods.entry(f.method.clone()).or_default() += 1;
        for (j, s) in f.steps.iter().enumerate() {
            rows.push(vec![name.clone(), (j + 1).to_string(), s.p10.to_string(), s.p50.to_string(), s.p90.to_string()]);
        }
    }
    // The error names the file.
    leadcast::data::write::write_csv_with(
        &a.output,
        &["series", "step", "p10", "p50", "p90"],
        rows.into_iter(),
        a.bom,
    )?;
    let summary: Vec<String> = methods.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
    println!(
        "forecast {} series, {h} steps each ({}); wrote {}",
        prepared.len(),
        summary.join(", "),
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
