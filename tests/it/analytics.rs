//! `leadcast analytics`: every report on `data/sample` (and on a world cut mid-quarter, and on
//! one without payments) is recomputed by `analytics_check.py` — the contract CSVs read with
//! Python's standard library and each figure computed from the documented definitions — and
//! compared figure by figure. Plus bad input, sorting and the output formats.

use crate::util::{cell, leadcast, repo};
use std::path::{Path, PathBuf};
use std::process::Command;

fn sample() -> PathBuf {
    repo().join("data/sample")
}

fn json(args: &[&str]) -> serde_json::Value {
    let r = leadcast(args);
    assert_eq!(r.code, 0, "leadcast {args:?} failed: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", r.stdout))
}

/// Runs one report as JSON and has the independent Python computation check it.
fn cross_check(data: &Path, report: &str, period: &str, by: Option<&str>) {
    let d = data.to_str().unwrap();
    let mut args = vec!["analytics", report, "--data", d, "--period", period, "--format", "json"];
    if let Some(b) = by {
        args.extend(["--by", b]);
    }
    let r = leadcast(&args);
    assert_eq!(r.code, 0, "leadcast {args:?} failed: {}", r.stderr);
    assert!(!r.stdout.contains("NaN") && !r.stdout.contains("inf"), "{report}: NaN or inf in the output");
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), &r.stdout).unwrap();
    let script = repo().join("tests/it/analytics_check.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&script).arg(data).arg(report).arg(period).arg(tmp.path());
    if let Some(b) = by {
        cmd.arg(b);
    }
    let out = cmd.output().expect("python3 runs (the independent check needs it)");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{report} {period} {by:?} disagrees with the direct computation:\n{said}");
}

#[test]
fn funnel_matches_a_direct_computation() {
    let s = sample();
    cross_check(&s, "funnel", "2026Q3", Some("source"));
    cross_check(&s, "funnel", "2025Q4", Some("rep"));
    cross_check(&s, "funnel", "2026-08", Some("team"));
}

#[test]
fn channels_match_a_direct_computation() {
    let s = sample();
    cross_check(&s, "channels", "2026Q3", None);
    cross_check(&s, "channels", "2025-11", None);
}

#[test]
fn teams_match_a_direct_computation() {
    let s = sample();
    cross_check(&s, "teams", "2026Q3", None);
    cross_check(&s, "teams", "2025Q4", None);
    cross_check(&s, "teams", "2026-08", None);
    // The CRM export, whose pipeline is a third stale (deals left open for up to a year).
    let dir = tempfile::tempdir().unwrap();
    let crm = dir.path().join("crm");
    let r = crate::util::import_crm(&crate::util::crm_mapping(), &crm);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let teams =
        json(&["analytics", "teams", "--data", crm.to_str().unwrap(), "--period", "2017Q4", "--format", "json"]);
    let stale = teams["total"]["stale_pipeline"].as_f64().unwrap();
    let open = teams["total"]["open_pipeline"].as_f64().unwrap();
    assert!(stale > 0.2 * open && stale < open, "{stale} of {open}");
    cross_check(&crm, "teams", "2017Q4", None);
    cross_check(&crm, "teams", "2017-06", None);
}

#[test]
fn scorecard_matches_a_direct_computation() {
    let s = sample();
    cross_check(&s, "scorecard", "2026Q3", None);
    cross_check(&s, "scorecard", "2025Q2", None);
}

#[test]
fn tiers_match_a_direct_computation() {
    let s = sample();
    cross_check(&s, "tiers", "2026Q3", None);
    cross_check(&s, "tiers", "2024Q4", None);
}

#[test]
fn collections_match_a_direct_computation() {
    let s = sample();
    cross_check(&s, "collections", "2026Q3", None);
    cross_check(&s, "collections", "2026-01", None);
}

/// A world cut in the middle of a quarter: the running quarter is partial (figures to date,
/// pipeline coverage against what is left), and the default period is the quarter before.
#[test]
fn a_period_still_running_is_cut_at_the_as_of_date() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let r = leadcast(&[
        "generate",
        "--out",
        d,
        "--seed",
        "3",
        "--leads",
        "4000",
        "--reps",
        "8",
        "--quarters",
        "4",
        "--as-of",
        "2026-08-15",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for report in ["funnel", "channels", "teams", "scorecard", "tiers", "collections"] {
        cross_check(dir.path(), report, "2026Q3", if report == "funnel" { Some("team") } else { None });
    }
    let teams = json(&["analytics", "teams", "--data", d, "--period", "2026Q3", "--format", "json"]);
    assert_eq!(teams["window"]["partial"], true);
    // The default is the last whole quarter before the as-of date.
    let default = json(&["analytics", "channels", "--data", d, "--format", "json"]);
    let as_of: chrono::NaiveDate = default["window"]["as_of"].as_str().unwrap().parse().unwrap();
    let q = leadcast::domain::Period::quarter_of(as_of);
    let expected = if as_of == q.last_day() { q } else { q.offset(-1) };
    assert_eq!(default["window"]["period"], expected.to_string());
}

#[test]
fn the_default_period_is_the_last_whole_quarter() {
    let s = sample();
    let d = s.to_str().unwrap();
    let default = json(&["analytics", "scorecard", "--data", d, "--format", "json"]);
    // The sample's latest event, read directly from its files.
    let mut latest = String::new();
    for (file, col) in [("leads.csv", "created_at"), ("opportunities.csv", "closed_at"), ("activities.csv", "at")] {
        let (h, rows) = crate::util::read_csv(&s.join(file));
        let c = h.iter().position(|x| x == col).unwrap();
        for r in &rows {
            if r[c] > latest {
                latest = r[c].clone();
            }
        }
    }
    let as_of: chrono::NaiveDate = latest.parse().unwrap();
    let q = leadcast::domain::Period::quarter_of(as_of);
    let expected = if as_of == q.last_day() { q } else { q.offset(-1) };
    assert_eq!(default["window"]["period"], expected.to_string());
    let explicit =
        json(&["analytics", "scorecard", "--data", d, "--period", &expected.to_string(), "--format", "json"]);
    assert_eq!(default, explicit);
}

#[test]
fn without_payments_collection_says_so_and_the_funnel_stops_at_won() {
    let dir = crate::util::small_world(5);
    std::fs::remove_file(dir.path().join("payments.csv")).unwrap();
    let d = dir.path().to_str().unwrap();
    let c = json(&["analytics", "collections", "--data", d, "--format", "json"]);
    assert_eq!(c["available"], false);
    let period = c["window"]["period"].as_str().unwrap().to_string();
    cross_check(dir.path(), "collections", &period, None);
    cross_check(dir.path(), "funnel", &period, Some("source"));
    cross_check(dir.path(), "tiers", &period, None);
    let f = json(&["analytics", "funnel", "--data", d, "--format", "json"]);
    let stages: Vec<&str> = f["overall"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
    assert_eq!(stages.last(), Some(&"won"));
    let table = leadcast(&["analytics", "collections", "--data", d]);
    assert_eq!(table.code, 0);
    assert!(table.stdout.contains("no payments table"), "{}", table.stdout);
}

#[test]
fn bad_input_is_a_clear_error() {
    let s = sample();
    let d = s.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["analytics", "funnel", "--data", d, "--period", "2026Q5"], "expected a quarter like 2026Q3"),
        (&["analytics", "teams", "--data", d, "--period", "July"], "expected a quarter like 2026Q3"),
        (&["analytics", "teams", "--data", d, "--period", "2031Q1"], "outside the data"),
        (&["analytics", "scorecard", "--data", d, "--sort", "charisma"], "unknown sort column \"charisma\""),
        (&["analytics", "scorecard", "--data", d, "--sort", "bookings:up"], "unknown sort direction"),
        (&["analytics", "channels", "--data", d, "--sort", "quota"], "unknown sort column"),
        (&["analytics", "teams", "--data", d, "--by", "source"], "does not apply"),
        (&["analytics", "funnel", "--data", d, "--sort", "entered"], "does not apply to the funnel"),
        (&["analytics", "funnel", "--data", "/nonexistent/leadcast"], "error"),
    ];
    for (args, needle) in cases {
        let r = leadcast(args);
        assert_ne!(r.code, 0, "{args:?} should fail");
        assert!(r.stderr.contains(needle), "{args:?}: stderr lacks {needle:?}:\n{}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?} printed a report despite the error");
    }
    // The unknown sort column error lists the valid ones.
    let r = leadcast(&["analytics", "scorecard", "--data", d, "--sort", "charisma"]);
    assert!(r.stderr.contains("completion") && r.stderr.contains("customers_lost"), "{}", r.stderr);
}

#[test]
fn every_column_a_report_shows_sorts_its_rows() {
    // Each report's CSV columns, as a user reads them off the table: each is a --sort column
    // (the scorecard's team medians aside: one value per team), numbers descending and text
    // ascending by default, rows without a value last. Before 2026-12-07 the collections
    // table showed `open_invoices` where --sort wanted `outstanding_invoices`, and its ageing
    // buckets, the tiers' `cumulative_share` and `last_purchase` were not sortable.
    let s = sample();
    let d = s.to_str().unwrap();
    for report in ["channels", "teams", "scorecard", "tiers", "collections"] {
        let csv_of = |extra: &[&str]| {
            let mut args = vec!["analytics", report, "--data", d, "--format", "csv"];
            args.extend_from_slice(extra);
            let r = leadcast(&args);
            assert_eq!(r.code, 0, "{report} {extra:?}: {}", r.stderr);
            let mut rd = csv::Reader::from_reader(r.stdout.as_bytes());
            let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
            let rows: Vec<Vec<String>> =
                rd.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
            (header, rows)
        };
        let (header, _) = csv_of(&[]);
        for (i, column) in header.iter().enumerate().filter(|(_, c)| !c.ends_with("_team_median")) {
            let (_, rows) = csv_of(&["--sort", column]);
            // The total row stays last, outside the order.
            let values: Vec<&str> = rows.iter().filter(|r| r[0] != "total").map(|r| r[i].as_str()).collect();
            assert!(values.len() >= 2, "{report}: {rows:?}");
            let set: Vec<&str> = values.iter().copied().filter(|v| !v.is_empty()).collect();
            assert!(values[set.len()..].iter().all(|v| v.is_empty()), "{report} --sort {column}: empty cells not last");
            match set.iter().map(|v| v.parse::<f64>()).collect::<Result<Vec<f64>, _>>() {
                Ok(numbers) => {
                    assert!(numbers.windows(2).all(|w| w[0] >= w[1]), "{report} --sort {column}: {numbers:?}")
                }
                Err(_) => assert!(set.windows(2).all(|w| w[0] <= w[1]), "{report} --sort {column}: {set:?}"),
            }
        }
    }
}

#[test]
fn scorecard_sorts_by_any_column() {
    let s = sample();
    let d = s.to_str().unwrap();
    for (col, desc) in [("completion", true), ("bookings:asc", false), ("growth", true), ("visits:desc", true)] {
        let v = json(&["analytics", "scorecard", "--data", d, "--sort", col, "--format", "json"]);
        let name = col.split(':').next().unwrap();
        let vals: Vec<Option<f64>> =
            v["rows"].as_array().unwrap().iter().map(|r| r["figures"][name].as_f64()).collect();
        assert!(vals.len() >= 2);
        let defined: Vec<f64> = vals.iter().flatten().copied().collect();
        // Undefined values come last; the rest is ordered.
        assert!(vals.iter().skip_while(|x| x.is_some()).all(Option::is_none), "{col}: undefined not last");
        for w in defined.windows(2) {
            assert!(if desc { w[0] >= w[1] } else { w[0] <= w[1] }, "{col}: {w:?} out of order");
        }
    }
    let v = json(&["analytics", "scorecard", "--data", d, "--sort", "name:asc", "--format", "json"]);
    let names: Vec<String> = v["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().into()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn csv_and_table_show_the_same_rows_as_json() {
    let s = sample();
    let d = s.to_str().unwrap();
    let v = json(&["analytics", "scorecard", "--data", d, "--format", "json"]);
    let n = v["rows"].as_array().unwrap().len();
    let r = leadcast(&["analytics", "scorecard", "--data", d, "--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut rd = csv::Reader::from_reader(r.stdout.as_bytes());
    let headers = rd.headers().unwrap().clone();
    assert!(headers.iter().any(|h| h == "bookings_team_median"), "{headers:?}");
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), n);
    let b = headers.iter().position(|h| h == "bookings").unwrap();
    for (row, j) in rows.iter().zip(v["rows"].as_array().unwrap()) {
        let x: f64 = row[b].parse().unwrap();
        // Amounts to the cent in CSV; JSON keeps the sum as computed.
        assert!((x - j["figures"]["bookings"].as_f64().unwrap()).abs() < 0.005, "{x} vs {}", j["figures"]["bookings"]);
    }
    let t = leadcast(&["analytics", "scorecard", "--data", d]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    for r in v["rows"].as_array().unwrap() {
        assert!(t.stdout.contains(r["rep_id"].as_str().unwrap()));
    }
    for report in ["funnel", "channels", "teams", "tiers", "collections"] {
        let t = leadcast(&["analytics", report, "--data", d]);
        assert_eq!(t.code, 0, "{report}: {}", t.stderr);
        assert!(t.stdout.lines().count() >= 4, "{report}: {}", t.stdout);
        let c = leadcast(&["analytics", report, "--data", d, "--format", "csv"]);
        assert_eq!(c.code, 0, "{report}: {}", c.stderr);
        assert!(c.stdout.lines().count() >= 3, "{report}: {}", c.stdout);
    }
    // Teams by team: the team is the key (no empty name column); by rep: the rep's ID, name and
    // team. Amounts to the cent, as JSON's rounded.
    let teams = json(&["analytics", "teams", "--data", d, "--format", "json"]);
    let csv_of = |args: &[&str]| {
        let r = leadcast(args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut rd = csv::Reader::from_reader(r.stdout.as_bytes());
        let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
        (h, rd.records().map(Result::unwrap).collect::<Vec<_>>())
    };
    let (h, rows) = csv_of(&["analytics", "teams", "--data", d, "--format", "csv"]);
    assert_eq!(h[..3], ["team", "reps", "quota"]);
    for (row, j) in rows.iter().zip(teams["teams"].as_array().unwrap()) {
        assert_eq!(&row[0], j["key"].as_str().unwrap());
        let b: f64 = row[3].parse().unwrap();
        assert!((b - j["bookings"].as_f64().unwrap()).abs() < 0.005, "{row:?}");
        assert!(row[3].split('.').nth(1).is_none_or(|cents| cents.len() <= 2), "{row:?}");
    }
    let (h, rows) = csv_of(&["analytics", "teams", "--data", d, "--by", "rep", "--format", "csv"]);
    assert_eq!(h[..4], ["rep", "name", "team", "quota"]);
    let reps = s.join("reps.csv");
    let (id, name, team) = (cell(&reps, 1, "rep_id"), cell(&reps, 1, "name"), cell(&reps, 1, "team"));
    assert!(rows.iter().any(|r| r[0] == id && r[1] == name && r[2] == team), "{rows:?}");
    let total = rows.last().unwrap();
    assert_eq!((&total[0], &total[2]), ("total", ""));
}

#[test]
fn tables_in_chinese_for_a_sales_director() {
    let s = sample();
    let d = s.to_str().unwrap();
    let zh = |args: &[&str]| {
        let mut all = vec!["analytics"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data", d, "--lang", "zh"]);
        let r = leadcast(&all);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
    };
    let latin = |line: &str| line.chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>();
    for (report, title) in [
        ("funnel", "销售漏斗 — "),
        ("channels", "渠道引流效能 — "),
        ("teams", "团队效能对比 — "),
        ("scorecard", "绩效考核表 — "),
        ("tiers", "客户分级 — "),
        ("collections", "回款管理 — "),
    ] {
        let out = zh(&[report]);
        assert!(out.starts_with(title), "{report}: {out}");
        // Column names in Chinese (RFM's R, F, M and DSO are what Chinese reports write too).
        for header in out.lines().skip(1).filter(|l| l.contains("  ") && !l.starts_with(char::is_numeric)).take(1) {
            let left = latin(header).replace("DSO", "");
            assert!(left.is_empty(), "{report}: Latin letters {left:?} in {header:?}");
        }
        // Lined up: every line of a table as wide as its header, in terminal columns.
        let table: Vec<&str> = out.lines().skip(1).take_while(|l| !l.is_empty()).collect();
        let widths: Vec<usize> = table.iter().map(|l| unicode_width::UnicodeWidthStr::width(l.trim_end())).collect();
        assert!(widths.iter().all(|&w| w <= widths[0]) && table.len() > 2, "{report}: ragged\n{out}");
    }
    // The words the data does not write are Chinese; names the data writes stay as written.
    let channels = zh(&["channels"]);
    assert!(channels.contains("转介绍") && channels.contains("合计") && !channels.contains("referral"), "{channels}");
    let funnel = zh(&["funnel", "--by", "source"]);
    assert!(funnel.lines().any(|l| l.starts_with("全部 ") && l.contains("线索获取")), "{funnel}");
    assert!(funnel.lines().any(|l| l.starts_with("转介绍 ") && l.contains("需求挖掘")), "{funnel}");
    assert!(funnel.contains("，按渠道") && !funnel.contains("discovery"), "{funnel}");
    let tiers = zh(&["tiers"]);
    assert!(tiers.contains("重要价值客户") && !tiers.contains("champions"), "{tiers}");
    let teams = zh(&["teams", "--by", "rep"]);
    let reps = s.join("reps.csv");
    let (id, name, team) = (cell(&reps, 1, "rep_id"), cell(&reps, 1, "name"), cell(&reps, 1, "team"));
    assert!(teams.lines().any(|l| l.starts_with(&id) && l.contains(&name) && l.contains(&team)), "{teams}");
    // English stays the default, and machines keep the API's keys.
    let en = leadcast(&["analytics", "channels", "--data", d]);
    assert!(en.stdout.starts_with("channels — ") && en.stdout.contains("referral"), "{}", en.stdout);
    for (args, message) in [
        (vec!["--format", "csv", "--lang", "zh"], "--lang zh is for tables"),
        (vec!["--format", "json", "--lang", "zh"], "--lang zh is for tables"),
        (vec!["--lang", "fr"], "--lang must be zh or en"),
    ] {
        let mut all = vec!["analytics", "channels", "--data", d];
        all.extend_from_slice(&args);
        let r = leadcast(&all);
        assert_eq!(r.code, 1, "{args:?}");
        assert!(r.stderr.contains(message), "{args:?}: {}", r.stderr);
    }
}
