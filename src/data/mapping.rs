//! Import mappings: how a real CRM export becomes contract tables.
//!
//! A mapping is a TOML file. For each contract table it names a source file and how each
//! contract column is made from the source row: a source column, a constant, a value map
//! (`Won` → `won`), a lookup into another file of the export (an account's sector), values that
//! mean "missing" (`0`), a fallback rule or default used when the value is missing, how the
//! export writes its dates when not ISO (`dates = "day-first"` reads `31/12/2017` and
//! `31.12.2017`, `dates = "month-first"` reads `12/31/2017`; both write `2017-12-31`) and its
//! numbers when not plain (`numbers = "thousands-comma"` reads `$1,234.50`, `numbers =
//! "decimal-comma"` reads `1.234,50 €`, `numbers = "point"` reads `12%`; all write `1234.5`,
//! `12`). A table
//! the export lacks can be declared `empty`. Columns not named are taken from a source column of
//! the same name, if there is one.
//!
//! Nothing is silently dropped or invented: every default or fallback used, every value left
//! empty, is reported as a warning with its count. The mapped rows keep their source file, row
//! and line, so the contract checks of `load` and `validate` point into the real export.
//!
//! ```toml
//! [tables.opportunities]
//! from = "sales_pipeline.csv"
//! [tables.opportunities.columns]
//! owner_id = "sales_agent"
//! status = { from = "deal_stage", map = { Won = "won", Lost = "lost", Engaging = "open" } }
//! amount = { from = "close_value", missing = ["0"], or = { from = "product", lookup = { file = "products.csv", key = "product", value = "sales_price" } } }
//! closed_at = { from = "close_date", dates = "day-first" }
//! ```
//!
//! (The syntax only: a value the export fills in for one outcome, as this `close_value` for
//! won deals, tells the models the outcome; `data/mappings/crm-opportunities.toml` takes the
//! list price for every deal, and the scoring's leakage guard names such a column.)
//!
//! Without `dates`, a date column whose values are not ISO but read day-first or month-first
//! gets a warning that says which, with the line to add; the rows themselves are the contract
//! errors of `load` (a date like `03/04/2017` is never guessed). The same for `numbers`.

use super::load::{DateOrder, DecimalMark, iso_date, plain_number};
use super::problem::{Problem, Problems};
use super::raw::{self, RawRow, RawTable};
use crate::domain::{DATE_COLUMNS, NUMBER_COLUMNS, TABLES, TableSpec};
use crate::{Error, Result};
use csv::StringRecord;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A parsed, checked mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// What export this mapping is for.
    #[serde(default)]
    pub description: Option<String>,
    pub tables: BTreeMap<String, TableRule>,
    #[serde(skip)]
    path: PathBuf,
}

/// How one contract table is made.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRule {
    /// Source file, relative to the data directory.
    pub from: Option<String>,
    /// The export has no such table: write it with its header and no rows.
    #[serde(default)]
    pub empty: bool,
    /// CSV separator of the source (sniffed when absent).
    pub separator: Option<String>,
    /// The source's sheet, when it is a spreadsheet: by name or position (the first when absent).
    pub sheet: Option<String>,
    /// Keep only the first row of each value of the table's first column (its ID).
    #[serde(default)]
    pub distinct: bool,
    /// Contract column → rule.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnSpec>,
    /// Why the table is empty or derived; shown with its warnings.
    pub note: Option<String>,
    #[serde(skip)]
    name: String,
    #[serde(skip)]
    mapping_file: String,
}

/// A column rule: a bare source column name, or a full rule.
#[derive(Debug, Clone)]
// A handful per mapping file, parsed once: boxing the rule would only add indirection.
#[allow(clippy::large_enum_variant)]
pub enum ColumnSpec {
    Column(String),
    Rule(ColumnRule),
}

// By hand rather than `#[serde(untagged)]`, which answers every mistake inside a rule (a
// misspelt key, an unknown `dates`) with "data did not match any variant"; this way the
// rule's own error says which key or value is wrong.
impl<'de> Deserialize<'de> for ColumnSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ColumnSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a source column name or a rule table ({ from = \"COLUMN\", ... })")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<ColumnSpec, E> {
                Ok(ColumnSpec::Column(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> std::result::Result<ColumnSpec, A::Error> {
                ColumnRule::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(ColumnSpec::Rule)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// How a mapping says an export writes its dates (`dates = "day-first"`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dates {
    /// `31/12/2017`, `31.12.2017`, `31-12-2017`.
    DayFirst,
    /// `12/31/2017`.
    MonthFirst,
}

impl Dates {
    fn order(self) -> DateOrder {
        match self {
            Dates::DayFirst => DateOrder::DayFirst,
            Dates::MonthFirst => DateOrder::MonthFirst,
        }
    }
}

/// How a mapping says an export writes its numbers (`numbers = "thousands-comma"`); a currency
/// symbol or percent sign is dropped in each.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Numbers {
    /// `1234.5`, `$12`, `12%`.
    Point,
    /// `1,234.5`, `$1,234.50`.
    ThousandsComma,
    /// `1234,5`, `1.234,50 €`, `1 234,5`.
    DecimalComma,
}

impl Numbers {
    const ALL: [(Numbers, &'static str); 3] = [
        (Numbers::Point, "point"),
        (Numbers::ThousandsComma, "thousands-comma"),
        (Numbers::DecimalComma, "decimal-comma"),
    ];

    fn mark(self) -> DecimalMark {
        match self {
            Numbers::Point => DecimalMark::Point,
            Numbers::ThousandsComma => DecimalMark::ThousandsComma,
            Numbers::DecimalComma => DecimalMark::Comma,
        }
    }
}

/// Values of a date or number column that the contract would not read but a `dates` or
/// `numbers` option would: how many each reading reads (day-first, month-first; or point,
/// thousands comma, decimal comma), how many in all, and the first.
#[derive(Debug, Clone, Default)]
struct Foreign {
    reads: [usize; 3],
    total: usize,
    example: Option<String>,
}

/// How one contract column is made from a source row.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRule {
    /// Source column.
    pub from: Option<String>,
    /// Constant value.
    pub value: Option<String>,
    /// Source values that mean "missing" (the empty value always does).
    #[serde(default)]
    pub missing: Vec<String>,
    /// Value map; values not in it pass through unchanged.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
    /// Replace the value by a column of another file, found by key.
    pub lookup: Option<Lookup>,
    /// Rule to use when this one yields nothing.
    pub or: Option<Box<ColumnRule>>,
    /// Value to use when this rule (and `or`) yield nothing.
    pub default: Option<String>,
    /// Why; shown with the warning that counts fill-ins.
    pub note: Option<String>,
    /// How the export writes this column's dates, when not ISO: `day-first` or `month-first`.
    /// Values read that way are written as ISO dates; ISO values pass unchanged.
    pub dates: Option<Dates>,
    /// How the export writes this column's numbers, when not plain: `point` (only a currency
    /// symbol or percent sign to drop), `thousands-comma` or `decimal-comma`. Values read that
    /// way are written as plain numbers; plain ones pass unchanged.
    pub numbers: Option<Numbers>,
}

/// A lookup into another file of the export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    pub file: String,
    /// The file's sheet, when it is a spreadsheet (the first when absent).
    pub sheet: Option<String>,
    pub key: String,
    pub value: String,
    /// Value map applied to the looked-up value.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
}

impl Mapping {
    /// Reads and checks a mapping file: known tables, known columns, one source per rule.
    pub fn load(path: &Path) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Mapping::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Mapping> {
        let cfg = |message: String| Error::Config { path: path.to_path_buf(), message };
        let mut m: Mapping = toml::from_str(text).map_err(|e| cfg(e.to_string()))?;
        m.path = path.to_path_buf();
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        for (name, rule) in m.tables.iter_mut() {
            let spec = TABLES.iter().find(|s| s.name == name).ok_or_else(|| {
                cfg(format!(
                    "tables.{name}: not a contract table (expected one of: {})",
                    TABLES.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
                ))
            })?;
            rule.name = name.clone();
            rule.mapping_file = file.clone();
            match (&rule.from, rule.empty) {
                (None, false) => return Err(cfg(format!("tables.{name}: needs `from = \"FILE\"` or `empty = true`"))),
                (Some(_), true) => return Err(cfg(format!("tables.{name}: `from` and `empty` exclude each other"))),
                _ => {}
            }
            if let Some(sep) = &rule.separator
                && sep.len() != 1
            {
                return Err(cfg(format!("tables.{name}.separator: must be one character, got {sep:?}")));
            }
            for (col, spec_col) in &rule.columns {
                if !spec.columns().any(|c| c == col) {
                    return Err(cfg(format!(
                        "tables.{name}.columns.{col}: not a column of {name} (expected one of: {})",
                        spec.columns().collect::<Vec<_>>().join(", ")
                    )));
                }
                if let ColumnSpec::Rule(r) = spec_col {
                    r.check(&format!("tables.{name}.columns.{col}")).map_err(cfg)?;
                }
            }
        }
        Ok(m)
    }

    /// The rule for a contract table, if the mapping defines it.
    pub fn table(&self, name: &str) -> Option<&TableRule> {
        self.tables.get(name)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl ColumnRule {
    fn check(&self, at: &str) -> std::result::Result<(), String> {
        match (&self.from, &self.value) {
            (Some(_), Some(_)) => return Err(format!("{at}: `from` and `value` exclude each other")),
            (None, None) => return Err(format!("{at}: needs `from = \"COLUMN\"` or `value = \"CONSTANT\"`")),
            _ => {}
        }
        if let Some(or) = &self.or {
            or.check(&format!("{at}.or"))?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        let base = match (&self.from, &self.value) {
            (Some(f), _) => format!("column {f}"),
            (_, Some(v)) => format!("the constant {v:?}"),
            _ => String::new(),
        };
        match &self.lookup {
            Some(l) => format!("{}:{} (by {})", l.file, l.value, base.trim_start_matches("column ")),
            None => base,
        }
    }
}

/// A column rule resolved against a source header, ready to run on rows.
struct Compiled {
    source: Source,
    missing: HashSet<String>,
    map: BTreeMap<String, String>,
    lookup: Option<(HashMap<String, String>, BTreeMap<String, String>)>,
    or: Option<Box<Compiled>>,
    default: Option<String>,
    dates: Option<DateOrder>,
    numbers: Option<DecimalMark>,
    described: String,
}

enum Source {
    Column(usize),
    Constant(String),
}

impl Compiled {
    /// The value for a row, and whether a fallback (`or` or `default`) supplied it.
    fn eval(&self, fields: &StringRecord) -> (Option<String>, bool) {
        let (value, fallback) = self.eval_source(fields);
        let value = match (value, self.dates) {
            (Some(v), Some(order)) if iso_date(&v).is_none() => Some(order.parse(&v).map_or(v, |d| d.to_string())),
            (value, _) => value,
        };
        // A number as the shortest text that reads back as it (`1234.5`, `1000`).
        let value = match (value, self.numbers) {
            (Some(v), Some(mark)) if plain_number(&v).is_none() => Some(mark.parse(&v).map_or(v, |x| x.to_string())),
            (value, _) => value,
        };
        (value, fallback)
    }

    /// [`Compiled::eval`] before the dates are rewritten.
    fn eval_source(&self, fields: &StringRecord) -> (Option<String>, bool) {
        let raw = match &self.source {
            Source::Column(i) => fields.get(*i).unwrap_or(""),
            Source::Constant(v) => v.as_str(),
        };
        let mut value = (!raw.is_empty() && !self.missing.contains(raw))
            .then(|| self.map.get(raw).map_or(raw, String::as_str).to_string());
        if let (Some(v), Some((table, map))) = (&value, &self.lookup) {
            value = table.get(v).filter(|s| !s.is_empty()).map(|s| map.get(s).cloned().unwrap_or_else(|| s.clone()));
        }
        if value.is_some() {
            return (value, false);
        }
        if let Some(or) = &self.or {
            let (v, _) = or.eval(fields);
            if v.is_some() {
                return (v, true);
            }
        }
        (self.default.clone(), self.default.is_some())
    }
}

impl TableRule {
    /// Builds the contract table from the export in `dir`. Problems (missing source file or
    /// column) are reported; `None` means the table could not be built at all.
    pub fn apply(&self, dir: &Path, spec: &TableSpec, problems: &mut Problems) -> Option<RawTable> {
        let headers: Vec<String> = spec.columns().map(String::from).collect();
        if self.empty {
            let why = self.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            problems.push(Problem::warning(
                &self.mapping_file,
                format!("table {}: not in this export, left empty{why}", self.name),
            ));
            let mut t = RawTable::in_memory(format!("{} (mapped, empty)", self.name), headers, Vec::new());
            t.declared_empty = true;
            return Some(t);
        }
        let from = self.from.as_deref()?;
        let opts =
            raw::ReadOptions { separator: self.separator.as_ref().map(|s| s.as_bytes()[0]), sheet: self.sheet.clone() };
        let src = match raw::open(&dir.join(from), &opts) {
            Ok(t) => t,
            Err(p) => {
                problems.push(p);
                return None;
            }
        };
        let mut cols: Vec<(String, Compiled)> = Vec::new();
        let mut ok = true;
        for col in spec.columns() {
            let rule = match self.columns.get(col) {
                Some(ColumnSpec::Column(c)) => ColumnRule { from: Some(c.clone()), ..Default::default() },
                Some(ColumnSpec::Rule(r)) => r.clone(),
                None if src.column_index(col).is_some() => {
                    ColumnRule { from: Some(col.to_string()), ..Default::default() }
                }
                None => continue,
            };
            match self.compile(&rule, &src, dir, col) {
                Ok(c) => cols.push((col.to_string(), c)),
                Err(p) => {
                    problems.push(p);
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        let out_headers: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
        let mut filled = vec![0usize; cols.len()];
        let mut empty = vec![0usize; cols.len()];
        // Per date column without `dates`, values that are not ISO but read day-first or
        // month-first; per number column without `numbers`, values that are not plain numbers
        // but read with a currency or percent sign, thousands commas or a decimal comma.
        let mut foreign = vec![Foreign::default(); cols.len()];
        let date_col: Vec<bool> =
            cols.iter().map(|(col, c)| c.dates.is_none() && DATE_COLUMNS.contains(&col.as_str())).collect();
        let number_col: Vec<bool> =
            cols.iter().map(|(col, c)| c.numbers.is_none() && NUMBER_COLUMNS.contains(&col.as_str())).collect();
        let mut seen = HashSet::new();
        let mut duplicates = 0usize;
        let mut rows = Vec::new();
        let mut n = 0usize;
        for item in src.rows {
            let row = match item {
                Ok(r) => r,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            n += 1;
            let mut fields = StringRecord::with_capacity(128, cols.len());
            for (k, (_, c)) in cols.iter().enumerate() {
                let (v, fallback) = c.eval(&row.fields);
                filled[k] += fallback as usize;
                empty[k] += v.is_none() as usize;
                let reads: Option<[bool; 3]> = match v.as_deref() {
                    Some(v) if date_col[k] && iso_date(v).is_none() => {
                        Some([DateOrder::DayFirst.parse(v).is_some(), DateOrder::MonthFirst.parse(v).is_some(), false])
                    }
                    Some(v) if number_col[k] && plain_number(v).is_none() => {
                        Some(Numbers::ALL.map(|(n, _)| n.mark().parse(v).is_some()))
                    }
                    _ => None,
                };
                if let Some(reads) = reads.filter(|r| r.iter().any(|&b| b)) {
                    let f = &mut foreign[k];
                    for (n, read) in f.reads.iter_mut().zip(reads) {
                        *n += read as usize;
                    }
                    f.total += 1;
                    f.example.get_or_insert_with(|| v.clone().unwrap_or_default());
                }
                fields.push_field(v.as_deref().unwrap_or(""));
            }
            if self.distinct && !seen.insert(fields.get(0).unwrap_or("").to_string()) {
                duplicates += 1;
                continue;
            }
            rows.push(RawRow { row: row.row, line: row.line, fields });
        }
        for (k, (col, c)) in cols.iter().enumerate() {
            let note = match self.columns.get(col) {
                Some(ColumnSpec::Rule(r)) => r.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default(),
                _ => String::new(),
            };
            if filled[k] > 0 {
                let with = match (&c.or, &c.default) {
                    (Some(or), _) if filled[k] > 0 => format!("filled from {}", or.described),
                    (_, Some(d)) => format!("filled with {d:?}"),
                    _ => "filled".into(),
                };
                problems.push(
                    Problem::warning(
                        &src.file,
                        format!(
                            "{}.{col}: {} of {n} rows had no value in {}; {with}{note}",
                            self.name, filled[k], c.described
                        ),
                    )
                    .in_column(col.clone()),
                );
            }
            if empty[k] > 0 {
                let required = spec.required.contains(&col.as_str());
                let what = if required {
                    "left empty (a required column: each such row is an error below)"
                } else {
                    "left empty"
                };
                problems.push(
                    Problem::warning(
                        &src.file,
                        format!(
                            "{}.{col}: {} of {n} rows have no value from {}; {what}{note}",
                            self.name, empty[k], c.described
                        ),
                    )
                    .in_column(col.clone()),
                );
            }
        }
        for (k, (col, _)) in cols.iter().enumerate() {
            let Foreign { reads, total, example: Some(example) } = &foreign[k] else { continue };
            let (key, word, other, what, why) = if date_col[k] {
                let (order, _, told) = DateOrder::choose(|o| reads[(o == DateOrder::MonthFirst) as usize]);
                let (word, other) = match order {
                    DateOrder::MonthFirst => ("month-first", "day-first"),
                    _ => ("day-first", "month-first"),
                };
                let why = if told {
                    format!("they read as {word}")
                } else {
                    "no day above 12 tells day-first from month-first: check which the export means".to_string()
                };
                ("dates", word, format!(" (or \"{other}\")"), "dates written like", format!("not ISO ({why})"))
            } else {
                // As `DecimalMark::choose`: the first reading (in `Numbers::ALL`'s order) that reads
                // nearly all of them, else the one that reads most.
                let i = (0..3)
                    .find(|&i| reads[i] as f64 >= 0.95 * *total as f64)
                    .unwrap_or_else(|| (0..3).max_by_key(|&i| reads[i]).unwrap_or(0));
                let (numbers, word) = Numbers::ALL[i];
                let how = match numbers.mark().describe() {
                    "" => "with a currency or percent sign".to_string(),
                    d => format!("with {d}"),
                };
                ("numbers", word, String::new(), "numbers written like", format!("not plain (they read {how})"))
            };
            let fix = match self.columns.get(col) {
                Some(ColumnSpec::Rule(_)) => format!("add `{key} = \"{word}\"`{other} to its rule"),
                Some(ColumnSpec::Column(from)) => {
                    format!("write it `{col} = {{ from = {from:?}, {key} = \"{word}\" }}`")
                }
                None => format!("add `{col} = {{ from = {col:?}, {key} = \"{word}\" }}`"),
            };
            problems.push(
                Problem::warning(
                    &src.file,
                    format!(
                        "{}.{col}: {total} of {n} values are {what} {example:?}, {why}; in {}, tables.{}.columns: {fix}",
                        self.name, self.mapping_file, self.name
                    ),
                )
                .in_column(col.clone()),
            );
        }
        if duplicates > 0 {
            problems.push(Problem::warning(
                &src.file,
                format!(
                    "{}: {duplicates} rows repeat an earlier {} and were merged (distinct)",
                    self.name, out_headers[0]
                ),
            ));
        }
        Some(RawTable::in_memory(format!("{} (as {})", src.file, self.name), out_headers, rows))
    }

    fn compile(
        &self,
        rule: &ColumnRule,
        src: &RawTable,
        dir: &Path,
        col: &str,
    ) -> std::result::Result<Compiled, Problem> {
        let at = || format!("tables.{}.columns.{col}", self.name);
        let source = match (&rule.from, &rule.value) {
            (Some(f), _) => Source::Column(src.column_index(f).ok_or_else(|| {
                Problem::error(
                    &self.mapping_file,
                    format!(
                        "{}: source column {f:?} is not in {} (it has: {})",
                        at(),
                        src.file,
                        src.headers.join(", ")
                    ),
                )
            })?),
            (_, Some(v)) => Source::Constant(v.clone()),
            (None, None) => return Err(Problem::error(&self.mapping_file, format!("{}: no source", at()))),
        };
        let lookup = match &rule.lookup {
            Some(l) => Some((load_lookup(dir, l, &self.mapping_file, &at())?, l.map.clone())),
            None => None,
        };
        let or = match &rule.or {
            Some(r) => Some(Box::new(self.compile(r, src, dir, col)?)),
            None => None,
        };
        Ok(Compiled {
            source,
            missing: rule.missing.iter().cloned().collect(),
            map: rule.map.clone(),
            lookup,
            or,
            default: rule.default.clone(),
            dates: rule.dates.map(Dates::order),
            numbers: rule.numbers.map(Numbers::mark),
            described: rule.describe(),
        })
    }
}

fn load_lookup(
    dir: &Path,
    l: &Lookup,
    mapping_file: &str,
    at: &str,
) -> std::result::Result<HashMap<String, String>, Problem> {
    let opts = raw::ReadOptions { sheet: l.sheet.clone(), ..Default::default() };
    let t = raw::open(&dir.join(&l.file), &opts)?;
    let find = |c: &str| {
        t.column_index(c).ok_or_else(|| {
            Problem::error(
                mapping_file,
                format!("{at}.lookup: column {c:?} is not in {} (it has: {})", l.file, t.headers.join(", ")),
            )
        })
    };
    let (k, v) = (find(&l.key)?, find(&l.value)?);
    let mut out = HashMap::new();
    for r in t.rows.flatten() {
        let key = r.fields.get(k).unwrap_or("").to_string();
        out.entry(key).or_insert_with(|| r.fields.get(v).unwrap_or("").to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_tables_columns_and_ambiguous_rules() {
        let p = Path::new("m.toml");
        let e = Mapping::parse("[tables.deals]\nfrom = \"x.csv\"", p).unwrap_err().to_string();
        assert!(e.contains("not a contract table"), "{e}");
        let e = Mapping::parse("[tables.reps]\nfrom = \"x.csv\"\n[tables.reps.columns]\nfoo = \"a\"", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a column of reps"), "{e}");
        let e = Mapping::parse(
            "[tables.reps]\nfrom = \"x.csv\"\n[tables.reps.columns]\nname = { from = \"a\", value = \"b\" }",
            p,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("exclude each other"), "{e}");
        let e = Mapping::parse("[tables.reps]\n", p).unwrap_err().to_string();
        assert!(e.contains("needs `from"), "{e}");
        // A mistake inside a rule is named, not "did not match any variant".
        let e = Mapping::parse("[tables.reps]\nfrom = \"x.csv\"\n[tables.reps.columns]\nname = { form = \"a\" }", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `form`, expected one of `from`"), "{e}");
        let e = Mapping::parse("[tables.reps]\nfrom = \"x.csv\"\n[tables.reps.columns]\nname = 3", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a source column name or a rule table"), "{e}");
    }

    #[test]
    fn date_and_number_columns_are_contract_columns() {
        for c in DATE_COLUMNS.iter().chain(NUMBER_COLUMNS) {
            assert!(TABLES.iter().any(|t| t.columns().any(|x| x == *c)), "{c} is in no table");
        }
    }

    #[test]
    fn a_source_in_a_workbook_is_read_from_its_sheet() {
        // tests/fixtures/series_book.xlsx: notes on the first sheet, the table on `季度收入`.
        let dir = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/series_book.xlsx");
        std::fs::copy(&fixture, dir.path().join("book.xlsx")).unwrap();
        let toml = "[tables.reps]\nfrom = \"book.xlsx\"\nsheet = \"季度收入\"\n\
                    [tables.reps.columns]\nrep_id = \"季度\"\nname = \"华东\"\nteam = \"华北\"\nregion = \"华北\"\n";
        let m = Mapping::parse(toml, Path::new("m.toml")).unwrap();
        let mut problems = Problems::default();
        let t = m.tables["reps"].apply(dir.path(), &crate::domain::REPS, &mut problems).unwrap();
        assert!(!problems.has_errors(), "{problems:?}");
        let rows: Vec<_> = t.rows.map(Result::unwrap).collect();
        assert_eq!(rows.len(), 16);
        assert_eq!((&rows[0].fields[0], &rows[0].fields[1]), ("2022Q1", "1000"));
        // Without `sheet`, the first sheet (notes, no such columns): an error.
        let m = Mapping::parse(&toml.replace("sheet = \"季度收入\"\n", ""), Path::new("m.toml")).unwrap();
        let mut problems = Problems::default();
        assert!(m.tables["reps"].apply(dir.path(), &crate::domain::REPS, &mut problems).is_none());
        assert!(problems.has_errors());
    }

    #[test]
    fn rules_map_look_up_and_fall_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("prices.csv"), "product,price\nGTX Pro,4821\n").unwrap();
        let rule = ColumnRule {
            from: Some("v".into()),
            missing: vec!["0".into()],
            or: Some(Box::new(ColumnRule {
                from: Some("p".into()),
                map: [("GTXPro".to_string(), "GTX Pro".to_string())].into(),
                lookup: Some(Lookup {
                    file: "prices.csv".into(),
                    sheet: None,
                    key: "product".into(),
                    value: "price".into(),
                    map: BTreeMap::new(),
                }),
                ..Default::default()
            })),
            default: Some("1".into()),
            ..Default::default()
        };
        let src = RawTable::in_memory("s.csv", vec!["v".into(), "p".into()], vec![]);
        let table = TableRule {
            from: Some("s.csv".into()),
            empty: false,
            separator: None,
            sheet: None,
            distinct: false,
            columns: BTreeMap::new(),
            note: None,
            name: "opportunities".into(),
            mapping_file: "m.toml".into(),
        };
        let c = table.compile(&rule, &src, dir.path(), "amount").unwrap();
        let rec = |a: &str, b: &str| StringRecord::from(vec![a, b]);
        assert_eq!(c.eval(&rec("12", "x")), (Some("12".into()), false));
        assert_eq!(c.eval(&rec("0", "GTXPro")), (Some("4821".into()), true));
        assert_eq!(c.eval(&rec("", "unknown")), (Some("1".into()), true));

        // Dates: rewritten as ISO when they read the declared way, ISO kept (the default
        // too), anything else left for the contract check to name.
        let rule = ColumnRule {
            from: Some("v".into()),
            dates: Some(Dates::DayFirst),
            default: Some("2017-12-31".into()),
            ..Default::default()
        };
        let c = table.compile(&rule, &src, dir.path(), "closed_at").unwrap();
        for (raw, want) in [
            ("31.12.2017", "2017-12-31"),
            ("1/3/2017", "2017-03-01"),
            ("01-03-2017 09:30", "2017-03-01"),
            ("2017-03-01", "2017-03-01"),
            ("", "2017-12-31"),
            ("12/31/2017", "12/31/2017"),
            ("soon", "soon"),
        ] {
            assert_eq!(c.eval(&rec(raw, "")).0.as_deref(), Some(want), "{raw:?}");
        }

        // Numbers: plain ones kept as written, formatted ones as the shortest plain text.
        let number = |numbers: Numbers, raw: &str| {
            let rule = ColumnRule { from: Some("v".into()), numbers: Some(numbers), ..Default::default() };
            table.compile(&rule, &src, dir.path(), "amount").unwrap().eval(&rec(raw, "")).0
        };
        for (numbers, raw, want) in [
            (Numbers::ThousandsComma, "$1,054.00", "1054"),
            (Numbers::ThousandsComma, "1,234.5", "1234.5"),
            (Numbers::ThousandsComma, "1054.00", "1054.00"),
            (Numbers::DecimalComma, "1.234,50 €", "1234.5"),
            (Numbers::DecimalComma, "0,125", "0.125"),
            (Numbers::Point, "12%", "12"),
            (Numbers::Point, "-$5", "-5"),
            (Numbers::ThousandsComma, "lots", "lots"),
        ] {
            assert_eq!(number(numbers, raw).as_deref(), Some(want), "{raw:?} as {numbers:?}");
        }
    }
}
