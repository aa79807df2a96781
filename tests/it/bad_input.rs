//! One fixture per kind of bad input: a valid small world with one thing broken. Each asserts
//! that `validate` exits 1 and that its message names the file, the row (and line) and the
//! column, and says what is wrong.

use crate::util::*;
use std::path::Path;

/// Runs validate and asserts exit 1 with a message containing every part of `expect`.
fn check(dir: &Path, expect: &[&str]) {
    let r = leadcast(&["validate", "--data", dir.to_str().unwrap(), "--max-per-kind", "0"]);
    assert_eq!(r.code, 1, "validate should fail\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
    let hit = r.stderr.lines().any(|l| l.starts_with("error:") && expect.iter().all(|e| l.contains(e)));
    assert!(hit, "no error line contains all of {expect:?}:\n{}", r.stderr);
}

/// `check` for a cell edit: the message names `file`, the row and line, and the column.
fn check_cell(table: &str, row_of: impl Fn(&Path) -> usize, column: &str, value: &str, cause: &str) {
    let w = small_world(11);
    let path = w.path().join(format!("{table}.csv"));
    let row = row_of(&path);
    set_cell(&path, row, column, value);
    let loc = format!("{table}.csv, row {row} (line {}), column {column}", row + 1);
    check(w.path(), &[&loc, cause]);
}

fn first(_: &Path) -> usize {
    1
}

#[test]
fn missing_table() {
    let w = small_world(11);
    std::fs::remove_file(w.path().join("activities.csv")).unwrap();
    check(w.path(), &["activities.csv", "missing table"]);
}

#[test]
fn missing_column() {
    let w = small_world(11);
    let p = w.path().join("leads.csv");
    let (h, rows) = read_csv(&p);
    let c = h.iter().position(|x| x == "source").unwrap();
    let h2: Vec<String> = h.iter().enumerate().filter(|(i, _)| *i != c).map(|(_, x)| x.clone()).collect();
    let rows2: Vec<Vec<String>> =
        rows.iter().map(|r| r.iter().enumerate().filter(|(i, _)| *i != c).map(|(_, x)| x.clone()).collect()).collect();
    write_csv(&p, &h2, &rows2);
    check(w.path(), &["leads.csv", "column source", "missing column"]);
}

#[test]
fn unparsable_number() {
    check_cell("opportunities", |_| 4, "amount", "12k", "cannot parse \"12k\" as a number");
}

#[test]
fn unparsable_date() {
    check_cell("leads", |_| 7, "created_at", "2024-13-40", "as a date");
}

#[test]
fn unparsable_count() {
    check_cell("leads", |_| 2, "web_visits", "many", "as a count");
}

#[test]
fn unknown_stage() {
    check_cell("opportunities", first, "stage", "closing", "unknown stage \"closing\"");
}

#[test]
fn unknown_status() {
    check_cell("opportunities", first, "status", "Closed Won", "unknown status \"Closed Won\"");
}

#[test]
fn unknown_outcome() {
    check_cell("activities", |_| 3, "outcome", "advance", "unknown outcome \"advance\"");
}

#[test]
fn unknown_period() {
    check_cell("quotas", |_| 2, "period", "2026Q5", "as a period");
}

#[test]
fn duplicate_id() {
    let w = small_world(11);
    let p = w.path().join("leads.csv");
    let id = cell(&p, 2, "lead_id");
    set_cell(&p, 5, "lead_id", &id);
    check(w.path(), &["leads.csv, row 5 (line 6), column lead_id", "duplicate lead_id", "first at row 2"]);
}

#[test]
fn dangling_owner() {
    check_cell("leads", |_| 9, "owner_id", "R999", "owner \"R999\" is not in reps");
}

#[test]
fn activity_of_unknown_opportunity() {
    check_cell("activities", |_| 5, "opportunity_id", "O999999", "opportunity \"O999999\" is not in opportunities");
}

#[test]
fn unknown_talk_track() {
    check_cell("activities", |_| 6, "talk_track_id", "NEG-MAGIC-99", "unknown talk track \"NEG-MAGIC-99\"");
}

#[test]
fn won_without_closed_at() {
    check_cell(
        "opportunities",
        |p| find_row(p, "status", |s| s == "won"),
        "closed_at",
        "",
        "a won opportunity must have closed_at",
    );
}

#[test]
fn negative_amount() {
    check_cell("opportunities", |_| 3, "amount", "-500", "amount must be > 0");
}

#[test]
fn negative_quota() {
    check_cell("quotas", |_| 1, "quota", "-1", "quota must be ≥ 0");
}

#[test]
fn closed_before_created() {
    check_cell(
        "opportunities",
        |p| find_row(p, "status", |s| s == "lost"),
        "closed_at",
        "2001-01-01",
        "dates out of order",
    );
}

#[test]
fn converted_before_created() {
    check_cell("leads", |p| find_row(p, "converted", |s| s == "1"), "converted_at", "2001-01-01", "dates out of order");
}

#[test]
fn non_utf8_file() {
    let w = small_world(11);
    let p = w.path().join("reps.csv");
    let mut bytes = std::fs::read(&p).unwrap();
    // Break the third data row's name with Latin-1 bytes.
    let line_start = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(2).unwrap().0 + 1;
    let comma = line_start + bytes[line_start..].iter().position(|b| *b == b',').unwrap();
    bytes.splice(comma + 1..comma + 1, [0xE9, 0xFF]);
    std::fs::write(&p, bytes).unwrap();
    check(w.path(), &["reps.csv, row 3 (line 4), column name", "not valid UTF-8"]);
}

#[test]
fn empty_file() {
    let w = small_world(11);
    std::fs::write(w.path().join("reps.csv"), "").unwrap();
    check(w.path(), &["reps.csv", "empty"]);
}

#[test]
fn truncated_file() {
    let w = small_world(11);
    let p = w.path().join("activities.csv");
    let bytes = std::fs::read(&p).unwrap();
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    // Cut the file in the middle of its last row (after its second field).
    let last_start = bytes[..bytes.len() - 1].iter().rposition(|b| *b == b'\n').unwrap() + 1;
    let cut = last_start + bytes[last_start..].iter().enumerate().filter(|(_, b)| **b == b',').nth(1).unwrap().0;
    std::fs::write(&p, &bytes[..cut]).unwrap();
    check(w.path(), &[&format!("activities.csv, row {} (line {})", lines - 1, lines), "fields but the header has"]);
}

#[test]
fn ragged_row() {
    let w = small_world(11);
    let p = w.path().join("opportunities.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[3].push_str(",extra");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    check(w.path(), &["opportunities.csv, row 3 (line 4)", "fields but the header has"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let w = small_world(11);
    set_cell(&w.path().join("leads.csv"), 1, "created_at", "nope");
    set_cell(&w.path().join("opportunities.csv"), 2, "status", "done");
    set_cell(&w.path().join("quotas.csv"), 3, "quota", "-5");
    let r = leadcast(&["validate", "--data", w.path().to_str().unwrap()]);
    assert_eq!(r.code, 1);
    for needle in ["leads.csv, row 1", "opportunities.csv, row 2", "quotas.csv, row 3"] {
        assert!(r.stderr.contains(needle), "{needle} missing:\n{}", r.stderr);
    }
    // The same for a pipeline: one JSON document on stdout, every problem with its place.
    let r = leadcast(&["validate", "--data", w.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(v["errors"].as_u64().unwrap() as usize, problems.iter().filter(|p| p["severity"] == "error").count());
    for (file, row, column) in
        [("leads.csv", 1, "created_at"), ("opportunities.csv", 2, "status"), ("quotas.csv", 3, "quota")]
    {
        let hit = problems.iter().any(|p| {
            p["file"] == file
                && p["row"] == row
                && p["line"] == row + 1
                && p["column"] == column
                && p["severity"] == "error"
        });
        assert!(hit, "no error at {file} row {row} column {column}: {}", r.stdout);
    }
    assert!(v["rows"]["reps"].as_u64().unwrap() > 0, "{}", r.stdout);
}

#[test]
fn parquet_tables_load_like_csv() {
    use polars::prelude::*;
    let w = small_world(11);
    let csv_path = w.path().join("reps.csv");
    let (h, rows) = read_csv(&csv_path);
    let cols: Vec<Column> = h
        .iter()
        .enumerate()
        .map(|(i, name)| Column::new(name.as_str().into(), rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>()))
        .collect();
    let mut df = DataFrame::new(rows.len(), cols).unwrap();
    let f = std::fs::File::create(w.path().join("reps.parquet")).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
    std::fs::remove_file(&csv_path).unwrap();
    let r = leadcast(&["validate", "--data", w.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A corrupt Parquet file is an error, not a crash.
    std::fs::write(w.path().join("reps.parquet"), b"PAR1 this is not parquet PAR1").unwrap();
    check(w.path(), &["reps.parquet", "cannot read the Parquet file"]);
}

#[test]
fn spreadsheet_encodings_are_read_and_named() {
    // Excel saves "CSV" as GBK on a Chinese Windows and "Unicode text" as UTF-16; the same
    // table in either reads as the UTF-8 one, and a problem in it names the encoding.
    let w = small_world(11);
    let reps = w.path().join("reps.csv");
    let text = std::fs::read_to_string(&reps).unwrap();
    let (name, team) = (cell(&reps, 1, "name"), cell(&reps, 1, "team"));
    assert!(!name.is_ascii(), "the simulator names reps in Chinese: {name}");
    let scorecard = |dir: &Path| {
        let r = leadcast(&["analytics", "scorecard", "--data", dir.to_str().unwrap(), "--format", "csv"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let utf8 = scorecard(w.path());
    assert!(utf8.contains(&name), "{utf8}");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    assert!(std::str::from_utf8(&gbk).is_err(), "the fixture must not be UTF-8");
    std::fs::write(&reps, &gbk).unwrap();
    assert_eq!(scorecard(w.path()), utf8);
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
    std::fs::write(&reps, &utf16).unwrap();
    assert_eq!(scorecard(w.path()), utf8);
    // A problem in the GBK file: located, with the encoding in the file's name.
    let broken = text.replacen(&format!(",{team},"), ",,", 1);
    std::fs::write(&reps, encoding_rs::GBK.encode(&broken).0).unwrap();
    check(w.path(), &["reps.csv (GBK), row 1 (line 2), column team"]);
    // UTF-8 with one damaged byte is not taken for another encoding (which would garble every
    // name): the row with the bad byte is the error.
    let mut damaged = text.into_bytes();
    let at = damaged.len() - 2;
    damaged[at] = 0xFF;
    std::fs::write(&reps, &damaged).unwrap();
    check(w.path(), &["reps.csv, row", "not valid UTF-8"]);
}

#[test]
fn spreadsheet_separators_and_dates_read_like_the_contracts() {
    // Excel in a European locale saves "CSV" with semicolons, and in a Chinese one writes dates
    // as 2023/5/21; the separator is taken from the header line and a year-first date is never
    // ambiguous, so such tables read as their originals.
    let w = small_world(11);
    let scorecard = |dir: &Path| {
        let r = leadcast(&["analytics", "scorecard", "--data", dir.to_str().unwrap(), "--format", "csv"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let comma = scorecard(w.path());
    let spreadsheet_date = |v: &str| match v.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] if v.len() == 10 => format!("{y}/{}/{}", m.trim_start_matches('0'), d.trim_start_matches('0')),
        _ => v.to_string(),
    };
    for table in ["reps", "opportunities"] {
        let path = w.path().join(format!("{table}.csv"));
        let (h, rows) = read_csv(&path);
        let mut out = csv::WriterBuilder::new().delimiter(b';').from_path(&path).unwrap();
        out.write_record(&h).unwrap();
        rows.iter().for_each(|r| out.write_record(r.iter().map(|v| spreadsheet_date(v))).unwrap());
        out.flush().unwrap();
    }
    assert!(std::fs::read_to_string(w.path().join("reps.csv")).unwrap().starts_with("rep_id;name;"));
    let opps = std::fs::read_to_string(w.path().join("opportunities.csv")).unwrap();
    let first = opps.lines().nth(1).unwrap();
    assert!(first.split(';').any(|f| f.starts_with("20") && f.contains('/') && !f.contains("/0")), "{first}");
    assert_eq!(scorecard(w.path()), comma);
    // A problem in it is located like any other.
    set_semicolon_cell(&w.path().join("reps.csv"), 2, "team", "");
    check(w.path(), &["reps.csv, row 2 (line 3), column team", "missing value"]);
}

/// `set_cell` for a semicolon-separated file.
fn set_semicolon_cell(path: &Path, row: usize, column: &str, value: &str) {
    let mut r = csv::ReaderBuilder::new().delimiter(b';').from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut rows: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    rows[row - 1][h.iter().position(|x| x == column).unwrap()] = value.to_string();
    let mut out = csv::WriterBuilder::new().delimiter(b';').from_path(path).unwrap();
    out.write_record(&h).unwrap();
    rows.iter().for_each(|r| out.write_record(r).unwrap());
}

#[test]
fn references_to_rows_with_errors_are_reported_once() {
    // An opportunity row with a spreadsheet-formatted amount is left out; its activities and
    // stage entries then point at nothing. That is one problem, not one per referring row.
    let w = small_world(11);
    let opps = w.path().join("opportunities.csv");
    let id = cell(&opps, 1, "opportunity_id");
    set_cell(&opps, 1, "amount", "12.500,00");
    let (h, rows) = read_csv(&w.path().join("activities.csv"));
    let c = h.iter().position(|x| x == "opportunity_id").unwrap();
    let n = rows.iter().filter(|r| r[c] == id).count();
    assert!(n > 1, "the fixture's first opportunity should have activities");
    let r = leadcast(&["validate", "--data", w.path().to_str().unwrap(), "--max-per-kind", "0"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let errors: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    // The row's own error says what the value is and how to import such a column.
    assert!(
        errors.iter().any(|l| l.contains("opportunities.csv, row 1 (line 2), column amount")
            && l.contains("numbers = \"thousands-comma\", \"decimal-comma\"")),
        "{}",
        r.stderr
    );
    let summary = format!(
        "activities.csv, column opportunity_id: {n} rows refer to opportunities left out for their own errors (\"{id}\")"
    );
    assert!(errors.iter().any(|l| l.contains(&summary)), "no {summary:?} in\n{}", r.stderr);
    assert!(errors.iter().any(|l| l.starts_with("error: stage_history.csv, column opportunity_id:")), "{}", r.stderr);
    assert!(!errors.iter().any(|l| l.contains("is not in opportunities")), "{}", r.stderr);
    // A reference to an ID that no row has is still reported row by row.
    set_cell(&w.path().join("activities.csv"), 3, "opportunity_id", "O999999");
    check(w.path(), &["activities.csv, row 3 (line 4), column opportunity_id", "\"O999999\" is not in opportunities"]);
}
