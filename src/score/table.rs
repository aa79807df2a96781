//! Any single table (bring your own), held column by column as text, and the inference of
//! what each column is: numeric, boolean, categorical, date — or dropped (ID-like, free text,
//! constant, excluded). Values that mean "missing" in real exports are recognised here.

pub use crate::data::load::{DateOrder, DecimalMark};
use crate::data::raw;
use crate::{Error, Result};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A table of text, column-major.
#[derive(Debug, Clone)]
pub struct Table {
    pub file: String,
    pub names: Vec<String>,
    pub columns: Vec<Vec<String>>,
    pub rows: usize,
}

/// At most this many unreadable rows are listed in an error.
const MAX_LISTED: usize = 10;

impl Table {
    /// Reads a CSV (separator sniffed unless given), Parquet or spreadsheet file. Unreadable rows (ragged,
    /// not UTF-8) are an error that lists them; an empty table is an error.
    pub fn read(path: &Path, opts: &raw::ReadOptions) -> Result<Table> {
        let invalid = |msg: String| Error::InvalidData { errors: 1, first: msg };
        let t = raw::open(path, opts).map_err(|p| invalid(p.located()))?;
        let mut columns = vec![Vec::new(); t.headers.len()];
        let mut bad = Vec::new();
        for item in t.rows {
            match item {
                Ok(r) => {
                    for (c, v) in columns.iter_mut().zip(r.fields.iter()) {
                        c.push(v.to_string());
                    }
                }
                Err(p) => bad.push(p),
            }
        }
        if !bad.is_empty() {
            let list: Vec<String> = bad.iter().take(MAX_LISTED).map(|p| p.located()).collect();
            return Err(Error::InvalidData { errors: bad.len(), first: list.join("; ") });
        }
        let rows = columns.first().map_or(0, Vec::len);
        if rows == 0 {
            return Err(invalid(format!("{}: the table has a header but no rows", t.file)));
        }
        Ok(Table { file: t.file, names: t.headers, columns, rows })
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The rows at `idx`, as a new table.
    pub fn take(&self, idx: &[usize]) -> Table {
        Table {
            file: self.file.clone(),
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| idx.iter().map(|&i| c[i].clone()).collect()).collect(),
            rows: idx.len(),
        }
    }
}

/// The value without surrounding white space; free when there is none (the usual case: the
/// CSV reader already trims).
pub fn tidy(v: &str) -> &str {
    let b = v.as_bytes();
    if b.first().is_some_and(u8::is_ascii_whitespace) || b.last().is_some_and(u8::is_ascii_whitespace) {
        v.trim()
    } else {
        v
    }
}

/// Whether a value means "missing": empty, the usual NA spellings, `unknown`, and form
/// defaults like `Select`.
pub fn is_missing(v: &str) -> bool {
    let v = tidy(v);
    // Fast path (scoring calls this for every cell): no placeholder is longer than 13 bytes or
    // starts with a digit.
    match v.as_bytes().first() {
        None => return true,
        Some(b) if b.is_ascii_digit() || v.len() > 13 => return false,
        _ => {}
    }
    const MISSING: [&str; 16] = [
        "na",
        "n/a",
        "nan",
        "null",
        "none",
        "nil",
        "unknown",
        "?",
        "-",
        "--",
        "select",
        "please select",
        "(blank)",
        "#n/a",
        "not available",
        "undefined",
    ];
    MISSING.iter().any(|m| v.eq_ignore_ascii_case(m))
}

/// What a column is for the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Kind {
    Numeric,
    /// Two values; `positive` is the one encoded as 1.
    Boolean {
        positive: String,
    },
    Categorical,
    /// ISO dates: becomes age (days before the reference date), month and day of week.
    Date,
    /// ISO dates whose age means nothing at scoring time (a lead's creation date): month and
    /// day of week only.
    DateParts,
}

/// Why a column is not a feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Feature,
    Target,
    Id,
    Excluded,
    Dropped,
}

/// One column of the inferred schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    pub role: Role,
    pub kind: Option<Kind>,
    pub missing: usize,
    pub distinct: usize,
    /// Why it was dropped, or what was noticed.
    pub note: String,
    /// How a date column writes its dates (absent in the JSON for ISO).
    #[serde(default, skip_serializing_if = "DateOrder::is_iso")]
    pub date_order: DateOrder,
    /// How a numeric column writes its decimals (absent in the JSON for a point).
    #[serde(default, skip_serializing_if = "DecimalMark::is_point")]
    pub decimal: DecimalMark,
}

/// Infers the kind of one column from its values.
pub fn infer(name: &str, values: &[String]) -> ColumnInfo {
    let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
    let mut missing = 0;
    for v in values {
        if is_missing(v) {
            missing += 1;
        } else {
            *counts.entry(v.trim()).or_default() += 1;
        }
    }
    let present = values.len() - missing;
    let distinct = counts.len();
    let info = |role, kind, note: String| ColumnInfo {
        name: name.to_string(),
        role,
        kind,
        missing,
        distinct,
        note,
        date_order: DateOrder::Iso,
        decimal: DecimalMark::Point,
    };
    if distinct <= 1 {
        return info(Role::Dropped, None, "constant".into());
    }
    let share = |ok: usize| ok as f64 / present.max(1) as f64;
    if distinct == 2 {
        let mut vals: Vec<&str> = counts.keys().copied().collect();
        vals.sort();
        let truthy = ["1", "yes", "y", "true", "t", "won", "positive"];
        let positive = vals.iter().find(|v| truthy.iter().any(|t| v.eq_ignore_ascii_case(t))).unwrap_or(&vals[1]);
        return info(Role::Feature, Some(Kind::Boolean { positive: positive.to_string() }), String::new());
    }
    // Numbers, with a decimal point or (European exports) a decimal comma.
    let numbers = |d: DecimalMark| counts.iter().filter(|(v, _)| d.parse(v).is_some()).map(|(_, n)| n).sum();
    if let Some((decimal, numeric_ok)) = DecimalMark::choose(present, numbers) {
        let ints = counts.keys().all(|v| v.parse::<i64>().is_ok());
        let lname = name.to_ascii_lowercase();
        if ints
            && distinct as f64 > 0.95 * present as f64
            && (lname == "id" || lname.ends_with("_id") || lname.ends_with("id"))
        {
            return info(Role::Dropped, None, "ID-like (unique integers)".into());
        }
        let mut notes = Vec::new();
        if !decimal.is_point() {
            notes.push(decimal.describe().to_string());
        }
        if counts.keys().any(|v| crate::data::load::bare(v).len() != v.len()) {
            notes.push("currency and percent signs ignored ($12 and 12% read as 12)".to_string());
        }
        if numeric_ok < present {
            notes.push(format!("{} non-numeric values treated as missing", present - numeric_ok));
        }
        let mut c = info(Role::Feature, Some(Kind::Numeric), notes.join("; "));
        c.decimal = decimal;
        return c;
    }
    // Dates: ISO, else the order under which (nearly) every value reads as a date. When both
    // orders read them all (no day above 12), day-month-year is assumed and the note says so.
    let read = |o: DateOrder| -> usize { counts.iter().filter(|(v, _)| o.parse(v).is_some()).map(|(_, n)| n).sum() };
    let iso = read(DateOrder::Iso);
    let (order, ok, note) = if share(iso) >= 0.95 {
        (DateOrder::Iso, iso, String::new())
    } else {
        match DateOrder::choose(read) {
            (order, ok, true) => (order, ok, order.describe().to_string()),
            (order, ok, false) => (order, ok, format!("{} (no value tells: no day above 12)", order.describe())),
        }
    };
    if share(ok) >= 0.95 {
        let mut c = info(Role::Feature, Some(Kind::Date), note);
        c.date_order = order;
        if ok < present {
            let sep = if c.note.is_empty() { "" } else { "; " };
            c.note = format!("{}{sep}{} values that are not dates treated as missing", c.note, present - ok);
        }
        return c;
    }
    if distinct as f64 > 0.9 * present as f64 && present > 50 {
        return info(Role::Dropped, None, "ID-like (nearly every value unique)".into());
    }
    let mean_len = counts.iter().map(|(v, n)| v.chars().count() * n).sum::<usize>() as f64 / present.max(1) as f64;
    if mean_len > 40.0 && distinct as f64 > 0.5 * present as f64 {
        return info(Role::Dropped, None, "free text".into());
    }
    info(Role::Feature, Some(Kind::Categorical), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn col(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn kinds() {
        let k = |v: &[&str]| infer("x", &col(v)).kind;
        assert_eq!(k(&["1", "2.5", "3", "NA", "4"]), Some(Kind::Numeric));
        assert_eq!(k(&["yes", "no", "no", "unknown"]), Some(Kind::Boolean { positive: "yes".into() }));
        assert_eq!(k(&["a", "b", "c", "a"]), Some(Kind::Categorical));
        assert_eq!(k(&["2024-01-01", "2024-02-03", "2024-05-06"]), Some(Kind::Date));
        assert_eq!(infer("x", &col(&["a", "a", "Select", ""])).note, "constant");
        let ids: Vec<String> = (0..100).map(|i| format!("L-{i}")).collect();
        assert_eq!(infer("x", &ids).role, Role::Dropped);
        let nums: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        assert_eq!(infer("lead_id", &nums).role, Role::Dropped);
        assert_eq!(infer("balance", &nums).kind, Some(Kind::Numeric));
        // Decimal commas: numeric, saved as such; a column of points stays one.
        let c = infer("x", &col(&["1,5", "2.143,00", "-3", "NA", "0,25"]));
        assert_eq!((c.kind, c.decimal), (Some(Kind::Numeric), DecimalMark::Comma));
        assert!(c.note.contains("decimal commas"), "{}", c.note);
        assert_eq!(infer("x", &col(&["1.5", "2143", "-3", "0.25"])).decimal, DecimalMark::Point);
        assert_eq!(k(&["1,2,3", "4,5,6", "1,2,3", "7,8,9"]), Some(Kind::Categorical));
        // Thousands grouped with dots, no decimals: numbers too.
        let c = infer("x", &col(&["1.234.567", "2.000.000", "999", "12.500.000"]));
        assert_eq!((c.kind, c.decimal), (Some(Kind::Numeric), DecimalMark::Comma));
        // Commas between thousands (US and UK spreadsheets), with or without decimals or a
        // currency symbol; a comma followed by other than three digits is a decimal comma.
        for v in [
            &["$1,234.56", "$12.00", "-$5,000,000.10", "$999"][..],
            &["11,974", "500", "1,000,000", "7"],
            &["1,234", "2,500", "12"],
        ] {
            let c = infer("x", &col(v));
            assert_eq!((c.kind, c.decimal), (Some(Kind::Numeric), DecimalMark::ThousandsComma), "{v:?}");
        }
        assert_eq!(infer("x", &col(&["1,5", "1,234", "12"])).decimal, DecimalMark::Comma);
        let c = infer("x", &col(&["12%", "7.5%", "100%", "0%"]));
        assert_eq!((c.kind, c.decimal), (Some(Kind::Numeric), DecimalMark::Point));
        assert!(c.note.contains("percent"), "{}", c.note);
        let json = serde_json::to_value(infer("x", &col(&["1.5", "2143", "-3", "0.25"]))).unwrap();
        assert!(json.get("decimal").is_none(), "{json}");
    }

    #[test]
    fn dates_are_read_in_the_order_their_column_writes_them() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(DateOrder::DayFirst.parse("26-02-2018"), d(2018, 2, 26));
        assert_eq!(DateOrder::DayFirst.parse("1/7/2026"), d(2026, 7, 1));
        assert_eq!(DateOrder::DayFirst.parse("01.07.2026 19:58"), d(2026, 7, 1));
        assert_eq!(DateOrder::MonthFirst.parse("02/26/2018"), d(2018, 2, 26));
        assert_eq!(DateOrder::Iso.parse("2018-02-26"), d(2018, 2, 26));
        for bad in ["26-02-18", "2018-02-26", "26-13-2018", "+1-02-2018", "26-02-2018 soon", "26/02-2018x", ""] {
            assert_eq!(DateOrder::DayFirst.parse(bad), None, "{bad:?}");
        }
        let kind = |v: &[&str]| {
            let c = infer("x", &col(v));
            (c.kind, c.date_order)
        };
        // A day above 12 tells the order; ISO stays ISO.
        assert_eq!(kind(&["26-02-2018", "01-03-2018", "15-03-2018"]), (Some(Kind::Date), DateOrder::DayFirst));
        assert_eq!(kind(&["02/26/2018", "03/01/2018", "03/15/2018"]), (Some(Kind::Date), DateOrder::MonthFirst));
        assert_eq!(kind(&["2024-01-01", "2024-02-03", "2024-05-06"]), (Some(Kind::Date), DateOrder::Iso));
        // When nothing tells, day-month-year, and the note says it was assumed.
        let c = infer("x", &col(&["01-02-2018", "03-04-2018", "05-06-2018"]));
        assert_eq!(c.date_order, DateOrder::DayFirst);
        assert!(c.note.contains("no value tells"), "{}", c.note);
        // The order is saved only when it is not ISO (older models read as before).
        let json = serde_json::to_value(infer("x", &col(&["2024-01-01", "2024-02-03", "2024-05-06"]))).unwrap();
        assert!(json.get("date_order").is_none(), "{json}");
    }

    #[test]
    fn placeholders_are_missing() {
        for v in ["", " ", "NA", "n/a", "NULL", "unknown", "Unknown", "Select", "?"] {
            assert!(is_missing(v), "{v:?}");
        }
        assert!(!is_missing("0") && !is_missing("no"));
    }
}
