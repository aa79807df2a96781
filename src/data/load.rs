//! Raw rows → typed records. Every field of every row is checked, and every failure is a
//! [`Problem`] naming the file, row, line and column; a row with any error is left out of the
//! dataset (and the directory as a whole is then invalid).

use super::mapping::Mapping;
use super::problem::{Problem, Problems};
use super::raw::{self, RawRow, RawTable};
use crate::domain::*;
use chrono::NaiveDate;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// Where a record came from, for cross-table problems.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<str>,
    pub row: usize,
    pub line: Option<u64>,
}

impl Origin {
    /// A problem located at this record.
    pub fn error(&self, column: &str, message: impl Into<String>) -> Problem {
        Problem::error(&*self.file, message).at_row(self.row, self.line).in_column(column)
    }

    pub fn warning(&self, column: &str, message: impl Into<String>) -> Problem {
        Problem::warning(&*self.file, message).at_row(self.row, self.line).in_column(column)
    }
}

/// A loaded dataset with the origin of every record (same order as the records).
#[derive(Debug, Default)]
pub struct Loaded {
    pub dataset: Dataset,
    pub origins: HashMap<&'static str, Vec<Origin>>,
    /// Tables that were present (loaded, possibly with row errors).
    pub present: Vec<&'static str>,
    /// Per referenced table, the IDs of rows left out for their own errors: a reference to one
    /// of them is not dangling, and `validate` reports such references once, not per row.
    pub rejected: HashMap<&'static str, HashSet<String>>,
}

impl Loaded {
    pub fn origin(&self, table: &str, i: usize) -> &Origin {
        &self.origins[table][i]
    }
}

/// Loads every contract table of `dir` (through `mapping` for the tables it defines).
pub fn load_dir(dir: &Path, mapping: Option<&Mapping>, problems: &mut Problems) -> Loaded {
    let mut out = Loaded::default();
    if !dir.is_dir() {
        problems.push(Problem::error(
            dir.display().to_string(),
            "not a directory (expected a data directory with reps.csv, leads.csv, …)",
        ));
        return out;
    }
    for spec in TABLES {
        let table = match mapping.and_then(|m| m.table(spec.name)) {
            Some(rule) => match rule.apply(dir, spec, problems) {
                Some(t) => t,
                None => continue,
            },
            None => match raw::find_table(dir, spec.name) {
                Ok(Some(path)) => match raw::open(&path, &raw::ReadOptions::default()) {
                    Ok(t) => t,
                    Err(p) => {
                        problems.push(p);
                        out.present.push(spec.name);
                        continue;
                    }
                },
                Ok(None) => {
                    if spec.mandatory {
                        problems.push(Problem::error(
                            format!("{}.csv", spec.name),
                            format!(
                                "missing table: {} has no {}.csv or {}.parquet",
                                dir.display(),
                                spec.name,
                                spec.name
                            ),
                        ));
                    }
                    continue;
                }
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            },
        };
        out.present.push(spec.name);
        load_table(spec, table, &mut out, problems);
    }
    out
}

/// Parses one raw table into the dataset.
pub fn load_table(spec: &TableSpec, table: RawTable, out: &mut Loaded, problems: &mut Problems) {
    let file: Arc<str> = Arc::from(table.file.as_str());
    let declared_empty = table.declared_empty;
    let mut missing = Vec::new();
    let mut index = HashMap::default();
    for col in spec.columns() {
        match table.column_index(col) {
            Some(i) => {
                index.insert(col, i);
            }
            None if spec.required.contains(&col) => missing.push(col),
            None => {}
        }
    }
    if !missing.is_empty() {
        for col in &missing {
            problems.push(
                Problem::error(
                    &*file,
                    format!("missing column {col:?} (the header has: {})", table.headers.join(", ")),
                )
                .at_row(0, Some(1))
                .in_column(*col),
            );
        }
        return;
    }
    let mut origins = Vec::new();
    let mut n_rows = 0usize;
    for item in table.rows {
        let row = match item {
            Ok(r) => r,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        n_rows += 1;
        let mut f = Fields { file: &file, row: &row, index: &index, problems, ok: true };
        let ds = &mut out.dataset;
        let kept = match spec.name {
            "reps" => f.rep().map(|r| ds.reps.push(r)),
            "quotas" => f.quota().map(|r| ds.quotas.push(r)),
            "leads" => f.lead().map(|r| ds.leads.push(r)),
            "opportunities" => f.opportunity().map(|r| ds.opportunities.push(r)),
            "stage_history" => f.stage_entry().map(|r| ds.stage_history.push(r)),
            "activities" => f.activity().map(|r| ds.activities.push(r)),
            "accounts" => f.account().map(|r| ds.accounts.get_or_insert_with(Vec::new).push(r)),
            "payments" => f.payment().map(|r| ds.payments.get_or_insert_with(Vec::new).push(r)),
            other => unreachable!("no loader for table {other}"),
        };
        if kept.is_some() {
            origins.push(Origin { file: file.clone(), row: row.row, line: row.line });
        } else if let Some(&i) = key_column(spec.name).and_then(|k| index.get(k)) {
            match row.fields.get(i).map(|v| v.trim()) {
                Some(id) if !id.is_empty() => {
                    out.rejected.entry(spec.name).or_default().insert(id.to_string());
                }
                _ => {}
            }
        }
    }
    match spec.name {
        "accounts" => drop(out.dataset.accounts.get_or_insert_with(Vec::new)),
        "payments" => drop(out.dataset.payments.get_or_insert_with(Vec::new)),
        _ => {}
    }
    if n_rows == 0 && !declared_empty {
        problems.push(Problem::warning(&*file, format!("table {} has no rows", spec.name)));
    }
    out.origins.insert(spec.name, origins);
}

/// The column other tables refer to a table's rows by (tables no other table refers to have
/// none here).
fn key_column(table: &str) -> Option<&'static str> {
    match table {
        "reps" => Some("rep_id"),
        "leads" => Some("lead_id"),
        "opportunities" => Some("opportunity_id"),
        "accounts" => Some("account_id"),
        _ => None,
    }
}

/// The fields of one row, parsed with problems recorded in place.
struct Fields<'a> {
    file: &'a str,
    row: &'a RawRow,
    index: &'a HashMap<&'static str, usize>,
    problems: &'a mut Problems,
    ok: bool,
}

impl Fields<'_> {
    fn raw(&self, col: &str) -> &str {
        self.index.get(col).and_then(|&i| self.row.fields.get(i)).unwrap_or("")
    }

    fn fail(&mut self, col: &str, message: String) {
        self.ok = false;
        self.problems.push(Problem::error(self.file, message).at_row(self.row.row, self.row.line).in_column(col));
    }

    fn done<T>(&self, value: T) -> Option<T> {
        self.ok.then_some(value)
    }

    fn opt_str(&mut self, col: &str) -> Option<String> {
        let v = self.raw(col);
        (!v.is_empty()).then(|| v.to_string())
    }

    fn req_str(&mut self, col: &str) -> String {
        let v = self.raw(col).to_string();
        if v.is_empty() {
            self.fail(col, "missing value (the column is required)".into());
        }
        v
    }

    fn parse_opt<T>(&mut self, col: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let v = self.raw(col);
        if v.is_empty() {
            return None;
        }
        match parse(v) {
            Ok(x) => Some(x),
            Err(msg) => {
                self.fail(col, msg);
                None
            }
        }
    }

    fn parse_req<T>(&mut self, col: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        if self.raw(col).is_empty() {
            self.fail(col, "missing value (the column is required)".into());
            return None;
        }
        self.parse_opt(col, parse)
    }

    fn rep(&mut self) -> Option<Rep> {
        let r = Rep {
            rep_id: self.req_str("rep_id"),
            name: self.req_str("name"),
            team: self.req_str("team"),
            region: self.req_str("region"),
            manager_id: self.opt_str("manager_id"),
            hired_at: self.parse_opt("hired_at", parse_date),
        };
        self.done(r)
    }

    fn quota(&mut self) -> Option<Quota> {
        let rep_id = self.req_str("rep_id");
        let period = self.parse_req("period", Period::from_str);
        let quota = self.parse_req("quota", |s| non_negative(s, "quota"));
        self.done(())?;
        Some(Quota { rep_id, period: period?, quota: quota? })
    }

    fn lead(&mut self) -> Option<Lead> {
        let lead_id = self.req_str("lead_id");
        let created_at = self.parse_req("created_at", parse_date);
        let l = Lead {
            lead_id,
            created_at: created_at.unwrap_or_default(),
            source: self.req_str("source"),
            industry: self.req_str("industry"),
            company_size: self.req_str("company_size"),
            region: self.req_str("region"),
            persona: self.req_str("persona"),
            owner_id: self.req_str("owner_id"),
            product_interest: self.opt_str("product_interest"),
            email_opens: self.parse_opt("email_opens", parse_count),
            web_visits: self.parse_opt("web_visits", parse_count),
            calls: self.parse_opt("calls", parse_count),
            meetings: self.parse_opt("meetings", parse_count),
            converted: self.parse_opt("converted", parse_flag),
            converted_at: self.parse_opt("converted_at", parse_date),
        };
        self.done(l)
    }

    fn opportunity(&mut self) -> Option<Opportunity> {
        let opportunity_id = self.req_str("opportunity_id");
        let owner_id = self.req_str("owner_id");
        let product = self.req_str("product");
        let amount = self.parse_req("amount", |s| positive(s, "amount"));
        let created_at = self.parse_req("created_at", parse_date);
        let stage = self.parse_req("stage", |s| {
            let st = Stage::from_str(s)?;
            if st.is_pipeline() { Ok(st) } else { Err(format!("stage {s:?} is not an opportunity stage (expected one of: discovery, qualification, negotiation, contract)")) }
        });
        let status = self.parse_req("status", Status::from_str);
        let o = Opportunity {
            opportunity_id,
            owner_id,
            product,
            amount: amount.unwrap_or_default(),
            created_at: created_at.unwrap_or_default(),
            stage: stage.unwrap_or(Stage::Discovery),
            status: status.unwrap_or(Status::Open),
            lead_id: self.opt_str("lead_id"),
            account_id: self.opt_str("account_id"),
            industry: self.opt_str("industry"),
            expected_close: self.parse_opt("expected_close", parse_date),
            closed_at: self.parse_opt("closed_at", parse_date),
            discount_pct: self.parse_opt("discount_pct", |s| {
                let d = parse_number(s)?;
                if (0.0..100.0).contains(&d) {
                    Ok(d)
                } else {
                    Err(format!("discount_pct {s} is outside 0 ≤ d < 100 (percent of list price)"))
                }
            }),
        };
        self.done(o)
    }

    fn stage_entry(&mut self) -> Option<StageEntry> {
        let opportunity_id = self.req_str("opportunity_id");
        let stage = self.parse_req("stage", |s| {
            let st = Stage::from_str(s)?;
            if st.is_pipeline() { Ok(st) } else { Err(format!("stage {s:?} is not an opportunity stage (expected one of: discovery, qualification, negotiation, contract)")) }
        });
        let entered_at = self.parse_req("entered_at", parse_date);
        self.done(())?;
        Some(StageEntry { opportunity_id, stage: stage?, entered_at: entered_at? })
    }

    fn activity(&mut self) -> Option<Activity> {
        let activity_id = self.req_str("activity_id");
        let stage = self.parse_req("stage", Stage::from_str);
        // Touches before a lead converts have no opportunity yet: the id may be empty only then.
        let opportunity_id = match stage {
            Some(Stage::Lead) => self.raw("opportunity_id").to_string(),
            _ => self.req_str("opportunity_id"),
        };
        let a = Activity {
            activity_id,
            opportunity_id,
            at: self.parse_req("at", parse_date).unwrap_or_default(),
            stage: stage.unwrap_or(Stage::Lead),
            channel: self.req_str("channel"),
            outcome: self.parse_req("outcome", Outcome::from_str).unwrap_or(Outcome::NoChange),
            talk_track_id: self.opt_str("talk_track_id"),
            persona: self.opt_str("persona"),
            industry: self.opt_str("industry"),
            objection: self.parse_opt("objection", Objection::from_str),
        };
        self.done(a)
    }

    fn account(&mut self) -> Option<Account> {
        let a = Account {
            account_id: self.req_str("account_id"),
            industry: self.req_str("industry"),
            region: self.req_str("region"),
            tier: self.opt_str("tier"),
        };
        self.done(a)
    }

    fn payment(&mut self) -> Option<Payment> {
        let invoice_id = self.req_str("invoice_id");
        let opportunity_id = self.req_str("opportunity_id");
        let amount = self.parse_req("amount", |s| non_negative(s, "amount"));
        let due_at = self.parse_req("due_at", parse_date);
        let paid_at = self.parse_opt("paid_at", parse_date);
        self.done(())?;
        Some(Payment { invoice_id, opportunity_id, amount: amount?, due_at: due_at?, paid_at })
    }
}

/// How a column writes its dates: ISO (`2026-07-01`, the contract's way) unless its values
/// only read as day-month-year (`01-07-2026`, `1/7/2026`, `01.07.2026`, as Olist's export and
/// most European ones) or month-day-year (`07/01/2026`, as US ones). A time after the date
/// (`26-02-2018 19:58`) is allowed and ignored. Chosen per column from its values
/// ([`crate::score::table::infer`]) and saved with the model, so scoring reads them the same
/// way; `forecast-series` chooses one per file for `t`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    #[default]
    Iso,
    DayFirst,
    MonthFirst,
}

impl DateOrder {
    pub fn is_iso(&self) -> bool {
        *self == DateOrder::Iso
    }

    /// The date of `s` written this way, if it is one.
    pub fn parse(self, s: &str) -> Option<NaiveDate> {
        let s = s.trim();
        if self == DateOrder::Iso {
            return iso_date(s);
        }
        let (date, time) = match s.find([' ', 'T']) {
            Some(i) => (&s[..i], Some(s[i + 1..].trim())),
            None => (s, None),
        };
        if let Some(t) = time {
            let is_time =
                ["%H:%M", "%H:%M:%S", "%H:%M:%S%.f"].iter().any(|f| chrono::NaiveTime::parse_from_str(t, f).is_ok());
            if !is_time {
                return None;
            }
        }
        let sep = date.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
        let mut parts = date.split(sep);
        let (a, b, y) = (parts.next()?, parts.next()?, parts.next()?);
        let digits = |p: &str, lens: std::ops::RangeInclusive<usize>| {
            lens.contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit())
        };
        if parts.next().is_some() || !digits(a, 1..=2) || !digits(b, 1..=2) || !digits(y, 4..=4) {
            return None;
        }
        let (a, b, y): (u32, u32, i32) = (a.parse().ok()?, b.parse().ok()?, y.parse().ok()?);
        let (d, m) = if self == DateOrder::DayFirst { (a, b) } else { (b, a) };
        NaiveDate::from_ymd_opt(y, m, d)
    }

    /// Day-first or month-first for values that are not ISO dates: the one under which more of
    /// them read (`reads` counts them), and how many; when both read as many (no day above 12
    /// tells), day-first, with `false`: nothing told.
    pub fn choose(reads: impl Fn(DateOrder) -> usize) -> (DateOrder, usize, bool) {
        let (dmy, mdy) = (reads(DateOrder::DayFirst), reads(DateOrder::MonthFirst));
        if mdy > dmy { (DateOrder::MonthFirst, mdy, true) } else { (DateOrder::DayFirst, dmy, dmy > mdy) }
    }

    /// How the schema shows it.
    pub fn describe(self) -> &'static str {
        match self {
            DateOrder::Iso => "ISO dates",
            DateOrder::DayFirst => "dates read as day-month-year",
            DateOrder::MonthFirst => "dates read as month-day-year",
        }
    }
}

/// Parses an ISO-8601 date, or the date part of an ISO-8601 date-time (`2026-07-01T09:30:00`,
/// `2026-07-01 09:30:00`, with optional fraction and offset), or a year-first date as
/// spreadsheets write it (`2026/7/1`, see `year_first`).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    iso_date(s).ok_or_else(|| {
        if [DateOrder::DayFirst, DateOrder::MonthFirst].iter().any(|o| o.parse(s).is_some()) {
            format!(
                "cannot parse {s:?} as a date (expected ISO-8601, e.g. 2026-07-01; an import mapping reads \
                 a column of day-first or month-first dates: dates = \"day-first\" or \"month-first\")"
            )
        } else {
            format!("cannot parse {s:?} as a date (expected ISO-8601, e.g. 2026-07-01)")
        }
    })
}

/// [`parse_date`] without the message, for callers that only ask whether a value reads
/// (inference tries every value of a column; the mapping checks every value of a date column).
pub(crate) fn iso_date(s: &str) -> Option<NaiveDate> {
    if s.len() < 10 || !s.is_char_boundary(10) {
        return year_first(s);
    }
    let Some(date) = parse_ymd(&s.as_bytes()[..10]) else {
        return year_first(s);
    };
    if s.len() == 10 {
        return Some(date);
    }
    let ok = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").is_ok()
        || chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z").is_ok();
    if ok { Some(date) } else { year_first(s) }
}

/// A year-first date as spreadsheets write them outside ISO: `2026/7/1` (Excel in a Chinese or
/// Japanese locale), `2026.07.01`, `2026-7-1`, `2026年7月1日`, optionally followed by a time
/// (`2026/7/1 9:30`). Year-first is never ambiguous, so these read as the date they are.
fn year_first(s: &str) -> Option<NaiveDate> {
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    };
    if let Some(t) = time
        && !["%H:%M", "%H:%M:%S", "%H:%M:%S%.f"].iter().any(|f| chrono::NaiveTime::parse_from_str(t, f).is_ok())
    {
        return None;
    }
    let parts: Vec<&str> = match date.strip_suffix('日') {
        Some(d) => d.split(['年', '月']).collect(),
        None => {
            let sep = date.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
            date.split(sep).collect()
        }
    };
    let digits = |p: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit())
    };
    match parts[..] {
        [y, m, d] if digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2) => {
            NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
        }
        _ => None,
    }
}

/// `YYYY-MM-DD` without going through a format-string parser (it is the hot path of loading).
fn parse_ymd(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: &[u8]| r.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32));
    NaiveDate::from_ymd_opt(num(&b[0..4])? as i32, num(&b[5..7])?, num(&b[8..10])?)
}

/// How a column writes its numbers: with a decimal point (`1234.5`, the contract's way); with
/// a point and commas between thousands (`1,234.5`, as US and UK spreadsheets format them);
/// or, as most European exports do, with a decimal comma and `.` or a space between thousands
/// (`1234,5`, `1.234,5`, `1 234,5`). Any of them may carry a currency symbol or a percent sign
/// (`$1,234.50`, `1.234,50 €`, `12%`), which is ignored. Chosen per column when a model is
/// trained ([`crate::score::table::infer`]) and saved with it, so scoring reads them the same
/// way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalMark {
    #[default]
    Point,
    Comma,
    /// A point, with commas between thousands.
    ThousandsComma,
}

impl DecimalMark {
    pub fn is_point(&self) -> bool {
        *self == DecimalMark::Point
    }

    /// How `present` values write their numbers, `reads` counting how many read each way: the
    /// first of point, thousands commas and decimal comma under which nearly all (95%) read (the
    /// point is asked first, so a column of points never changes its reading); `None` when
    /// they are not numbers. With the count read.
    ///
    /// Thousands commas come before the decimal comma: a column whose only commas are followed
    /// by three digits (`11,974`) is read as thousands, the way spreadsheets group them. A
    /// European column in which every value has exactly three decimals (`1,500`, `2,750`) would
    /// be read so too; any other decimal comma (`1,5`, `1.234,56`) tells them apart.
    pub fn choose(present: usize, reads: impl Fn(DecimalMark) -> usize) -> Option<(DecimalMark, usize)> {
        let nearly_all = |n: usize| n as f64 >= 0.95 * present as f64 && n > 0;
        [DecimalMark::Point, DecimalMark::ThousandsComma, DecimalMark::Comma]
            .into_iter()
            .map(|d| (d, reads(d)))
            .find(|&(_, n)| nearly_all(n))
    }

    /// The finite number `s` is, written this way (a currency symbol or percent sign aside). With
    /// a decimal comma, `1.234` is a thousand two hundred and thirty-four (three digits after a
    /// dot are a thousands group); with either comma, a value that only reads with a plain point
    /// (`1.5`, as a JSON number prints) reads so.
    pub fn parse(self, s: &str) -> Option<f64> {
        let s = bare(s.trim());
        let s = s.as_ref();
        match self {
            DecimalMark::Point => {}
            DecimalMark::Comma => {
                if let Some(x) = decimal_comma(s) {
                    return Some(x);
                }
            }
            DecimalMark::ThousandsComma => {
                if s.contains(',') {
                    return thousands_comma(s);
                }
            }
        }
        plain_number(s)
    }

    /// How a model reads a value of a column it was trained on with this mark: [`Self::parse`],
    /// and in a column of plain points also a number no one could read another way — commas
    /// between thousands with a decimal point after them (`$1,234.50`) or in more than one
    /// place (`1,234,567`), as a spreadsheet formats a value the training export wrote
    /// plainly. `1,234` alone stays unread there (a thousand, or one point two three four?).
    /// Not used to choose the mark, which [`Self::choose`] does with `parse`.
    pub fn read(self, s: &str) -> Option<f64> {
        self.parse(s).or_else(|| {
            if self != DecimalMark::Point {
                return None;
            }
            let b = bare(s.trim());
            let t = b.as_ref();
            if t.contains('.') || t.matches(',').count() > 1 { thousands_comma(t) } else { None }
        })
    }

    /// How the schema describes it (empty for a point).
    pub fn describe(self) -> &'static str {
        match self {
            DecimalMark::Point => "",
            DecimalMark::Comma => "decimal commas (1,5 = 1.5)",
            DecimalMark::ThousandsComma => "commas between thousands (1,234.5 = 1234.5)",
        }
    }
}

/// Currency symbols a spreadsheet may put before or after a number.
const CURRENCY: [char; 7] = ['$', '€', '£', '¥', '￥', '₹', '₩'];

/// `s` without a currency symbol (`$12`, `12 €`, `-$5`, `$-5`) or a trailing percent sign
/// (`12%`), the way spreadsheets format numbers; anything else unchanged.
pub fn bare(s: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let t = s.strip_suffix('%').map_or(s, str::trim_end);
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => ("-", rest.trim_start()),
        None => ("", t),
    };
    let unsymboled = body
        .strip_prefix(CURRENCY)
        .map(str::trim_start)
        .or_else(|| body.strip_suffix(CURRENCY).map(str::trim_end))
        .unwrap_or(body);
    let unsymboled = match (sign, unsymboled.strip_prefix('-')) {
        // `$-5`: the sign after the symbol.
        ("", Some(rest)) if unsymboled.len() < body.len() => return Cow::Owned(format!("-{rest}")),
        _ => unsymboled,
    };
    if unsymboled.is_empty() || (t.len() == s.len() && unsymboled.len() == body.len()) {
        return Cow::Borrowed(s);
    }
    if sign.is_empty() { Cow::Borrowed(unsymboled) } else { Cow::Owned(format!("-{unsymboled}")) }
}

/// `1,234`, `-12,345,678.5` as numbers (commas between thousands, a decimal point); `None`
/// for anything else.
fn thousands_comma(s: &str) -> Option<f64> {
    grouped_number(s, '.', &[','], false)
}

/// `1234,5`, `-1.234,56`, `1 234`, `1.234` as numbers (a decimal comma; `.`, a space or a
/// no-break space between thousands); `None` for anything else.
fn decimal_comma(s: &str) -> Option<f64> {
    grouped_number(s, ',', &['.', ' ', '\u{a0}'], true)
}

/// A number with `decimal` as its decimal mark and one of `thousands` between groups of three
/// digits (the first group 1–3 digits, not starting with 0), with or without decimals; with
/// `plain`, also digits without groups when they have decimals. `None` for anything else.
fn grouped_number(s: &str, decimal: char, thousands: &[char], plain: bool) -> Option<f64> {
    let (sign, body) = match s.as_bytes().first()? {
        b'-' => ("-", &s[1..]),
        b'+' => ("", &s[1..]),
        _ => ("", s),
    };
    let (int, frac) = match body.split_once(decimal) {
        Some((i, f)) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => (i, Some(f)),
        Some(_) => return None,
        None => (body, None),
    };
    let groups: Vec<&str> = int.split(thousands).collect();
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|c| c.is_ascii_digit());
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && !groups[0].starts_with('0')
        && groups.iter().all(|g| digits(g))
        && groups[1..].iter().all(|g| g.len() == 3);
    if !(grouped || (plain && groups.len() == 1 && digits(int) && frac.is_some())) {
        return None;
    }
    let text = format!("{sign}{}.{}", groups.concat(), frac.unwrap_or("0"));
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A finite number written plainly (`1234.5`, `-3`, `1e3`): [`parse_number`] without the
/// message, for callers that only ask whether a value reads.
pub(crate) fn plain_number(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Parses a finite number written plainly, as the contract writes them. A number a spreadsheet
/// formatted (`$1,234.50`, `1.234,5`, `12%`) is an error that says so and how to import it.
pub fn parse_number(s: &str) -> Result<f64, String> {
    plain_number(s).ok_or_else(|| {
        let marks = [DecimalMark::Point, DecimalMark::ThousandsComma, DecimalMark::Comma];
        if marks.iter().any(|m| m.parse(s).is_some()) {
            format!(
                "cannot parse {s:?} as a number: the contract's numbers are plain (1234.5), without a \
                 currency or percent sign or a thousands separator; an import mapping reads such a \
                 column (numbers = \"thousands-comma\", \"decimal-comma\" or \"point\")"
            )
        } else {
            format!("cannot parse {s:?} as a number")
        }
    })
}

fn positive(s: &str, what: &str) -> Result<f64, String> {
    let x = parse_number(s)?;
    if x > 0.0 { Ok(x) } else { Err(format!("{what} must be > 0 (got {s})")) }
}

fn non_negative(s: &str, what: &str) -> Result<f64, String> {
    let x = parse_number(s)?;
    if x >= 0.0 { Ok(x) } else { Err(format!("{what} must be ≥ 0 (got {s})")) }
}

/// Parses a non-negative whole count (`3`, or `3.0` as Parquet floats print).
pub fn parse_count(s: &str) -> Result<u32, String> {
    if let Ok(n) = s.parse::<u32>() {
        return Ok(n);
    }
    match s.parse::<f64>() {
        Ok(x) if x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64 => Ok(x as u32),
        _ => Err(format!("cannot parse {s:?} as a count (expected a whole number ≥ 0)")),
    }
}

/// Parses a 0/1 flag; `true`/`false`, `yes`/`no` (any letter case) and `是`/`否`, as exports
/// write them, too.
pub fn parse_flag(s: &str) -> Result<bool, String> {
    const YES: [&str; 4] = ["1", "true", "yes", "是"];
    const NO: [&str; 4] = ["0", "false", "no", "否"];
    if YES.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        Ok(true)
    } else if NO.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        Ok(false)
    } else {
        Err(format!("cannot parse {s:?} as 0/1 (or true/false, yes/no, 是/否)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        for s in [
            "2026-07-01",
            "2026-07-01T09:30:00",
            "2026-07-01 09:30:00",
            "2026-07-01T09:30:00Z",
            "2026-07-01T09:30:00.123+08:00",
            // Year-first as spreadsheets write it: never ambiguous.
            "2026/7/1",
            "2026/07/01",
            "2026.07.01",
            "2026-7-1",
            "2026/7/1 9:30",
            "2026/7/1 09:30:15",
            "2026年7月1日",
            "2026年07月01日 9:30",
        ] {
            assert_eq!(parse_date(s), Ok(d), "{s}");
        }
        for s in [
            "2026-13-01",
            "01/07/2026",
            "2026-07-01x",
            "",
            "2026-07-0",
            "二〇二六年",
            "2026/13/1",
            "2026/2/30",
            "2026/7/1/2",
            "2026/7-1",
            "26/7/1",
            "2026/7/1 noon",
            "2026/007/1",
            "2026年7月",
            "2026年7月1",
        ] {
            assert!(parse_date(s).is_err(), "{s}");
        }
    }

    #[test]
    fn numbers_counts_flags() {
        assert!(parse_number("NaN").is_err() && parse_number("inf").is_err() && parse_number("1e3").is_ok());
        assert_eq!(parse_count("3.0"), Ok(3));
        assert!(parse_count("-1").is_err() && parse_count("2.5").is_err());
        assert_eq!(parse_flag("1"), Ok(true));
        for (s, b) in [("Yes", true), ("TRUE", true), ("是", true), ("no", false), ("否", false), ("False", false)] {
            assert_eq!(parse_flag(s), Ok(b), "{s}");
        }
        assert!(parse_flag("maybe").is_err() && parse_flag("2").is_err() && parse_flag("y").is_err());
    }
}
