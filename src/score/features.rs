//! From table columns to model inputs. Fitted on training rows, then applied unchanged to any
//! row: numeric features get a missing indicator and median imputation (and clipping and
//! scaling for the linear model); categorical features keep their frequent levels, pool rare
//! ones as `other`, give missing values their own level, and score a level never seen in
//! training as `other` with a warning; dates become age, month and day of week.
//!
//! Two encodings of the same features: one column per feature for trees (categories as codes,
//! missing as NaN), and one-hot plus scaled numerics for the linear model. Every encoded column
//! belongs to one feature, so explanations add up per feature.

use super::table::{ColumnInfo, DateOrder, DecimalMark, Kind, Role, Table, is_missing, tidy};
use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// A level below this share of training rows (and below 20 rows) is pooled as `other`.
const RARE_SHARE: f64 = 0.005;
const RARE_ROWS: usize = 20;
/// At most this many levels per categorical feature; the rest are `other`.
const MAX_LEVELS: usize = 200;

pub const MISSING_LEVEL: &str = "(missing)";
/// Level names of the date parts, as `u32::to_string` and chrono's `Weekday` display write
/// them (saved models hold these), so scoring needs no allocation per row.
const MONTHS: [&str; 12] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
pub const OTHER_LEVEL: &str = "other";

/// One feature as the model sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Feature {
    /// The name shown in explanations (`created_at:month` for derived date parts).
    pub name: String,
    /// The input column it is read from.
    pub column: String,
    pub code: Code,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Code {
    Numeric {
        median: f64,
        lo: f64,
        hi: f64,
        mean: f64,
        std: f64,
        has_missing: bool,
        /// The linear encoding reads ln(1 + x): a non-negative, right-skewed column (amounts,
        /// counts). `mean` and `std` are then of the logged values. Trees see x itself.
        #[serde(default)]
        log: bool,
        /// How the column writes decimals (absent in the JSON for a point).
        #[serde(default, skip_serializing_if = "DecimalMark::is_point")]
        decimal: DecimalMark,
    },
    /// 1.0 for `positive`, 0.0 for any other present value.
    Boolean {
        positive: String,
        mode: f64,
        has_missing: bool,
    },
    Categorical {
        levels: Vec<String>,
    },
    /// Days between the date and `reference` (the last training date).
    DateAge {
        reference: NaiveDate,
        median: f64,
        mean: f64,
        std: f64,
        has_missing: bool,
        #[serde(default, skip_serializing_if = "DateOrder::is_iso")]
        order: DateOrder,
    },
    DateMonth {
        levels: Vec<String>,
        #[serde(default, skip_serializing_if = "DateOrder::is_iso")]
        order: DateOrder,
    },
    DateWeekday {
        levels: Vec<String>,
        #[serde(default, skip_serializing_if = "DateOrder::is_iso")]
        order: DateOrder,
    },
}

/// The fitted encoder: the features in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Encoder {
    pub features: Vec<Feature>,
    /// Categorical level → code, rebuilt after loading.
    #[serde(skip)]
    lookup: Vec<FxHashMap<String, u32>>,
    /// `linear_offsets`, rebuilt with the lookups (scoring one row must not allocate them).
    #[serde(skip)]
    offsets: Vec<usize>,
}

/// A value of one feature for one row, as read from input text.
fn date_parts(v: &str, order: DateOrder) -> Option<NaiveDate> {
    if is_missing(v) { None } else { order.parse(tidy(v)) }
}

/// A date's age as the linear model reads it: a date after the last training date (age below
/// 0: every new row of a table trained `--time`) reads as that date, not as a trend carried
/// on beyond the training range (as numbers are held to their training range). Trees split
/// on the age itself and put such dates with the most recent.
fn linear_age(age: f64) -> f64 {
    age.max(0.0)
}

fn number(v: &str, decimal: DecimalMark) -> Option<f64> {
    let t = tidy(v);
    // Whole numbers (most cells of CRM exports) without the float parser: exact below 2^53.
    let (neg, digits) = match t.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        b => (false, b),
    };
    if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let n = digits.iter().fold(0i64, |n, &d| n * 10 + (d - b'0') as i64);
        return Some(if neg { -(n as f64) } else { n as f64 });
    }
    if is_missing(v) { None } else { decimal.read(t) }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Skewness above which a non-negative column enters linear models as ln(1 + x): a linear
/// term in a heavy-tailed amount gives the largest deals absurd log-odds (on a simulated
/// world the logistic win model put the top third of open deals by amount at 4.2M expected
/// won against 6.2M they went on to win).
const LOG_SKEW: f64 = 2.0;

/// (median, lo, hi, mean, std, has_missing, log) of a numeric column.
fn numeric_stats(values: impl Iterator<Item = Option<f64>>, allow_log: bool) -> (f64, f64, f64, f64, f64, bool, bool) {
    let mut v = Vec::new();
    let mut missing = false;
    for x in values {
        match x {
            Some(x) => v.push(x),
            None => missing = true,
        }
    }
    v.sort_by(f64::total_cmp);
    let (lo, hi, median) = (quantile(&v, 0.01), quantile(&v, 0.99), quantile(&v, 0.5));
    let clipped: Vec<f64> = v.iter().map(|x| x.clamp(lo, hi)).collect();
    let moments = |xs: &[f64]| {
        let n = xs.len().max(1) as f64;
        // Values near the ends of the float range (1e308) are taken in units of the largest, so
        // sums and squares stay finite; any other column is left as it is (divided by 1).
        let top = xs.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let unit = if top > 1e150 { top } else { 1.0 };
        let mean = xs.iter().map(|x| x / unit).sum::<f64>() / n;
        let var = xs.iter().map(|x| (x / unit - mean).powi(2)).sum::<f64>() / n;
        let skew =
            if var > 0.0 { xs.iter().map(|x| (x / unit - mean).powi(3)).sum::<f64>() / n / var.powf(1.5) } else { 0.0 };
        (mean * unit, (var.sqrt() * unit).max(1e-9), skew)
    };
    let (mean, std, skew) = moments(&clipped);
    if allow_log && lo >= 0.0 && skew > LOG_SKEW {
        let logged: Vec<f64> = clipped.iter().map(|x| x.ln_1p()).collect();
        let (mean, std, _) = moments(&logged);
        return (median, lo, hi, mean, std, missing, true);
    }
    (median, lo, hi, mean, std, missing, false)
}

/// `(x − mean) / std`, also when `x − mean` overflows (values near ±1e308).
fn standard(x: f64, mean: f64, std: f64) -> f64 {
    let z = (x - mean) / std;
    if z.is_finite() { z } else { x / std - mean / std }
}

/// A numeric value as the linear encoding reads it (clamped, maybe logged).
fn linear_numeric(x: f64, lo: f64, hi: f64, log: bool) -> f64 {
    let x = x.clamp(lo, hi);
    if log { x.max(0.0).ln_1p() } else { x }
}

fn levels_of(values: impl Iterator<Item = String>, rows: usize) -> Vec<String> {
    let mut counts: FxHashMap<String, usize> = FxHashMap::default();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let min = ((rows as f64 * RARE_SHARE) as usize).clamp(1, RARE_ROWS);
    let mut kept: Vec<(String, usize)> = counts.into_iter().filter(|(_, n)| *n >= min).collect();
    kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    kept.truncate(MAX_LEVELS);
    let mut levels: Vec<String> = kept.into_iter().map(|(l, _)| l).collect();
    if !levels.iter().any(|l| l == OTHER_LEVEL) {
        levels.push(OTHER_LEVEL.into());
    }
    levels
}

fn cat_value(v: &str) -> &str {
    if is_missing(v) { MISSING_LEVEL } else { tidy(v) }
}

impl Encoder {
    /// Fits on the training rows of `table` for the feature columns of `schema`.
    pub fn fit(table: &Table, schema: &[ColumnInfo]) -> Encoder {
        let mut features = Vec::new();
        for info in schema.iter().filter(|c| c.role == Role::Feature) {
            let Some(ci) = table.index(&info.name) else { continue };
            let col = &table.columns[ci];
            let name = info.name.clone();
            match info.kind.as_ref() {
                Some(Kind::Numeric) => {
                    let (median, lo, hi, mean, std, has_missing, log) =
                        numeric_stats(col.iter().map(|v| number(v, info.decimal)), true);
                    features.push(Feature {
                        name: name.clone(),
                        column: name,
                        code: Code::Numeric { median, lo, hi, mean, std, has_missing, log, decimal: info.decimal },
                    });
                }
                Some(Kind::Boolean { positive }) => {
                    let present: Vec<f64> =
                        col.iter().filter(|v| !is_missing(v)).map(|v| (v.trim() == positive) as u8 as f64).collect();
                    let mode = (present.iter().sum::<f64>() * 2.0 >= present.len() as f64) as u8 as f64;
                    let has_missing = present.len() < col.len();
                    features.push(Feature {
                        name: name.clone(),
                        column: name,
                        code: Code::Boolean { positive: positive.clone(), mode, has_missing },
                    });
                }
                Some(Kind::Categorical) => {
                    let levels = levels_of(col.iter().map(|v| cat_value(v).to_string()), table.rows);
                    features.push(Feature { name: name.clone(), column: name, code: Code::Categorical { levels } });
                }
                Some(kind @ (Kind::Date | Kind::DateParts)) => {
                    let order = info.date_order;
                    let dates: Vec<Option<NaiveDate>> = col.iter().map(|v| date_parts(v, order)).collect();
                    if *kind == Kind::Date {
                        let reference = dates.iter().flatten().max().copied().unwrap_or_default();
                        let (median, _, _, mean, std, has_missing, _) =
                            numeric_stats(dates.iter().map(|d| d.map(|d| (reference - d).num_days() as f64)), false);
                        features.push(Feature {
                            name: format!("{name}:age_days"),
                            column: name.clone(),
                            code: Code::DateAge { reference, median, mean, std, has_missing, order },
                        });
                    }
                    let month = levels_of(
                        dates.iter().map(|d| d.map_or(MISSING_LEVEL.to_string(), |d| d.month().to_string())),
                        table.rows,
                    );
                    features.push(Feature {
                        name: format!("{name}:month"),
                        column: name.clone(),
                        code: Code::DateMonth { levels: month, order },
                    });
                    let dow = levels_of(
                        dates.iter().map(|d| d.map_or(MISSING_LEVEL.to_string(), |d| d.weekday().to_string())),
                        table.rows,
                    );
                    features.push(Feature {
                        name: format!("{name}:weekday"),
                        column: name,
                        code: Code::DateWeekday { levels: dow, order },
                    });
                }
                None => {}
            }
        }
        let mut e = Encoder { features, lookup: Vec::new(), offsets: Vec::new() };
        e.rebuild();
        e
    }

    /// Reorders every categorical feature's levels by their outcome rate in `x` (rows of the
    /// encoding made by this encoder) so that codes are ordered: one tree split then groups
    /// similar levels. Returns a new encoder; re-encode with it.
    pub fn ordered_by_rate(&self, x: &Encoded, y: &[bool]) -> Encoder {
        let mut e = self.clone();
        for (k, f) in e.features.iter_mut().enumerate() {
            if let Code::Categorical { levels } | Code::DateMonth { levels, .. } | Code::DateWeekday { levels, .. } =
                &mut f.code
            {
                let mut sum = vec![(0.0f64, 0.0f64); levels.len()];
                for (v, &t) in x.tree[k * x.rows..(k + 1) * x.rows].iter().zip(y) {
                    let s = &mut sum[*v as usize];
                    s.0 += t as u8 as f64;
                    s.1 += 1.0;
                }
                let prior = y.iter().filter(|&&b| b).count() as f64 / y.len().max(1) as f64;
                // Smoothed toward the overall rate so rare levels sit near the middle.
                let rate: Vec<f64> = sum.iter().map(|(p, n)| (p + 10.0 * prior) / (n + 10.0)).collect();
                let mut idx: Vec<usize> = (0..levels.len()).collect();
                idx.sort_by(|&a, &b| rate[a].total_cmp(&rate[b]).then(a.cmp(&b)));
                *levels = idx.iter().map(|&i| levels[i].clone()).collect();
            }
        }
        e.rebuild();
        e
    }

    /// Rebuilds lookups after deserialising.
    pub fn rebuild(&mut self) {
        self.lookup = self
            .features
            .iter()
            .map(|f| match &f.code {
                Code::Categorical { levels } | Code::DateMonth { levels, .. } | Code::DateWeekday { levels, .. } => {
                    levels.iter().enumerate().map(|(i, l)| (l.clone(), i as u32)).collect()
                }
                _ => FxHashMap::default(),
            })
            .collect();
        self.offsets = self.compute_offsets();
    }

    /// The input columns the encoder reads, each once, in feature order.
    pub fn input_columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in &self.features {
            if !out.contains(&f.column) {
                out.push(f.column.clone());
            }
        }
        out
    }

    /// Indices of the categorical features (for the tree model).
    pub fn categorical(&self) -> Vec<usize> {
        self.features
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                matches!(f.code, Code::Categorical { .. } | Code::DateMonth { .. } | Code::DateWeekday { .. })
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The category code of a text value: its level, `(missing)`, or `other` (with `unseen`
    /// set when the value was never seen in training).
    fn code(&self, k: usize, level: &str) -> (u32, bool) {
        let m = &self.lookup[k];
        match m.get(level) {
            Some(&c) => (c, false),
            None => {
                let other = m.get(OTHER_LEVEL).copied().unwrap_or(0);
                (other, level != MISSING_LEVEL)
            }
        }
    }

    /// The tree encoding of one feature from its input text: a number, a category code, or NaN.
    /// `unseen` is set for a category level never seen in training, and for a value of the
    /// wrong type (text in a numeric column, a date that does not parse), which is scored as
    /// missing.
    pub fn tree_value(&self, k: usize, raw: &str, unseen: &mut bool) -> f64 {
        let f = &self.features[k];
        let wrong = |unseen: &mut bool| {
            *unseen |= !is_missing(raw);
            f64::NAN
        };
        match &f.code {
            Code::Numeric { decimal, .. } => number(raw, *decimal).unwrap_or_else(|| wrong(unseen)),
            Code::Boolean { positive, .. } => {
                if is_missing(raw) {
                    f64::NAN
                } else {
                    (tidy(raw) == positive) as u8 as f64
                }
            }
            Code::Categorical { .. } => {
                // A level seen in training first: levels are never placeholders (training
                // mapped those to `(missing)`), so only a miss needs the placeholder check.
                if let Some(&c) = self.lookup[k].get(tidy(raw)) {
                    return c as f64;
                }
                let (c, u) = self.code(k, cat_value(raw));
                *unseen |= u;
                c as f64
            }
            Code::DateAge { reference, order, .. } => {
                date_parts(raw, *order).map_or_else(|| wrong(unseen), |d| (*reference - d).num_days() as f64)
            }
            Code::DateMonth { order, .. } => {
                let lvl = date_parts(raw, *order).map_or(MISSING_LEVEL, |d| MONTHS[d.month0() as usize]);
                self.code(k, lvl).0 as f64
            }
            Code::DateWeekday { order, .. } => {
                let lvl = date_parts(raw, *order)
                    .map_or(MISSING_LEVEL, |d| WEEKDAYS[d.weekday().num_days_from_monday() as usize]);
                self.code(k, lvl).0 as f64
            }
        }
    }

    /// Width of the linear encoding of feature `k`.
    pub fn linear_width(&self, k: usize) -> usize {
        match &self.features[k].code {
            Code::Numeric { has_missing, .. }
            | Code::Boolean { has_missing, .. }
            | Code::DateAge { has_missing, .. } => 1 + *has_missing as usize,
            Code::Categorical { levels } | Code::DateMonth { levels, .. } | Code::DateWeekday { levels, .. } => {
                levels.len()
            }
        }
    }

    /// Writes the linear encoding of feature `k` (given its tree value) into `out`.
    pub fn linear_values(&self, k: usize, tree_value: f64, out: &mut [f64]) {
        match &self.features[k].code {
            Code::Numeric { median, lo, hi, mean, std, has_missing, log, .. } => {
                let miss = tree_value.is_nan();
                let x = linear_numeric(if miss { *median } else { tree_value }, *lo, *hi, *log);
                out[0] = standard(x, *mean, *std);
                if *has_missing {
                    out[1] = miss as u8 as f64;
                }
            }
            Code::DateAge { median, mean, std, has_missing, .. } => {
                let miss = tree_value.is_nan();
                let x = if miss { *median } else { linear_age(tree_value) };
                out[0] = standard(x, *mean, *std);
                if *has_missing {
                    out[1] = miss as u8 as f64;
                }
            }
            Code::Boolean { mode, has_missing, .. } => {
                let miss = tree_value.is_nan();
                out[0] = if miss { *mode } else { tree_value };
                if *has_missing {
                    out[1] = miss as u8 as f64;
                }
            }
            Code::Categorical { .. } | Code::DateMonth { .. } | Code::DateWeekday { .. } => {
                out.iter_mut().for_each(|x| *x = 0.0);
                out[tree_value as usize] = 1.0;
            }
        }
    }

    /// Σ w·x over feature `k`'s linear columns, from its tree value, without building them:
    /// `w` is the feature's slice of the weights.
    pub fn linear_dot(&self, k: usize, tree_value: f64, w: &[f64]) -> f64 {
        match &self.features[k].code {
            Code::Numeric { median, lo, hi, mean, std, has_missing, log, .. } => {
                let miss = tree_value.is_nan();
                let x = linear_numeric(if miss { *median } else { tree_value }, *lo, *hi, *log);
                w[0] * standard(x, *mean, *std) + if *has_missing && miss { w[1] } else { 0.0 }
            }
            Code::DateAge { median, mean, std, has_missing, .. } => {
                let miss = tree_value.is_nan();
                let x = if miss { *median } else { linear_age(tree_value) };
                w[0] * standard(x, *mean, *std) + if *has_missing && miss { w[1] } else { 0.0 }
            }
            Code::Boolean { mode, has_missing, .. } => {
                let miss = tree_value.is_nan();
                w[0] * if miss { *mode } else { tree_value } + if *has_missing && miss { w[1] } else { 0.0 }
            }
            Code::Categorical { .. } | Code::DateMonth { .. } | Code::DateWeekday { .. } => w[tree_value as usize],
        }
    }

    /// Start of each feature's block in the linear encoding, and the total width at the end.
    pub fn linear_offsets(&self) -> std::borrow::Cow<'_, [usize]> {
        if self.offsets.len() == self.features.len() + 1 {
            std::borrow::Cow::Borrowed(&self.offsets)
        } else {
            std::borrow::Cow::Owned(self.compute_offsets())
        }
    }

    fn compute_offsets(&self) -> Vec<usize> {
        let mut off = Vec::with_capacity(self.features.len() + 1);
        off.push(0);
        for k in 0..self.features.len() {
            off.push(off[k] + self.linear_width(k));
        }
        off
    }

    /// The readable value of feature `k` for an explanation: the input text, or the derived
    /// date part.
    pub fn display_value(&self, k: usize, raw: &str) -> String {
        match &self.features[k].code {
            Code::Categorical { .. } | Code::Numeric { .. } | Code::Boolean { .. } => {
                if is_missing(raw) {
                    MISSING_LEVEL.into()
                } else {
                    raw.trim().to_string()
                }
            }
            Code::DateAge { reference, order, .. } => {
                date_parts(raw, *order).map_or(MISSING_LEVEL.into(), |d| (*reference - d).num_days().to_string())
            }
            Code::DateMonth { order, .. } => {
                date_parts(raw, *order).map_or(MISSING_LEVEL.into(), |d| d.month().to_string())
            }
            Code::DateWeekday { order, .. } => {
                date_parts(raw, *order).map_or(MISSING_LEVEL.into(), |d| d.weekday().to_string())
            }
        }
    }
}

/// Rows encoded for the models: tree matrix (column-major, one column per feature).
pub struct Encoded {
    pub rows: usize,
    pub tree: Vec<f64>,
    /// Per row: the features whose value was never seen in training (a new category) or could
    /// not be read (a wrong type); each is scored as `other` or as missing.
    pub unseen: Vec<Vec<usize>>,
}

impl Encoder {
    /// Encodes every row of `table`; `cols[k]` is the table column of feature `k`.
    pub fn encode(&self, table: &Table, cols: &[usize]) -> Encoded {
        let n = table.rows;
        let d = self.features.len();
        let mut tree = vec![0.0; n * d];
        let mut unseen = vec![Vec::new(); n];
        for k in 0..d {
            let col = &table.columns[cols[k]];
            for i in 0..n {
                let mut u = false;
                tree[k * n + i] = self.tree_value(k, &col[i], &mut u);
                if u {
                    unseen[i].push(k);
                }
            }
        }
        Encoded { rows: n, tree, unseen }
    }

    /// The linear design matrix (row-major) from a tree matrix.
    pub fn linear_matrix(&self, enc: &Encoded) -> (Vec<f64>, usize) {
        let widths: Vec<usize> = (0..self.features.len()).map(|k| self.linear_width(k)).collect();
        let w: usize = widths.iter().sum();
        let mut out = vec![0.0; enc.rows * w];
        for i in 0..enc.rows {
            let row = &mut out[i * w..(i + 1) * w];
            let mut off = 0;
            for (k, &wk) in widths.iter().enumerate() {
                self.linear_values(k, enc.tree[k * enc.rows + i], &mut row[off..off + wk]);
                off += wk;
            }
        }
        (out, w)
    }
}

/// The training distribution of one feature, for input-drift checks (population stability
/// index): bins and the share of training rows in each. Numeric features use decile edges
/// plus a bin for missing values; categorical ones use their levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStats {
    pub name: String,
    /// Upper edges of numeric bins (a value goes in the first bin whose edge is ≥ it; the last
    /// bin is open); empty for categorical features.
    pub edges: Vec<f64>,
    /// Bin labels: numeric ranges then `(missing)`, or the levels.
    pub labels: Vec<String>,
    pub shares: Vec<f64>,
}

impl FeatureStats {
    /// The bin of a tree-encoded value.
    pub fn bin(&self, v: f64) -> usize {
        if self.edges.is_empty() {
            return (v as usize).min(self.shares.len().saturating_sub(1));
        }
        if v.is_nan() {
            return self.labels.len() - 1;
        }
        self.edges.partition_point(|&e| e < v).min(self.edges.len())
    }
}

impl Encoder {
    /// Training distributions of every feature, from the tree encoding of the training rows.
    pub fn stats(&self, x: &Encoded) -> Vec<FeatureStats> {
        let n = x.rows.max(1);
        self.features
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let col = &x.tree[k * x.rows..(k + 1) * x.rows];
                match &f.code {
                    Code::Categorical { levels }
                    | Code::DateMonth { levels, .. }
                    | Code::DateWeekday { levels, .. } => {
                        let mut counts = vec![0usize; levels.len()];
                        for v in col {
                            counts[(*v as usize).min(levels.len() - 1)] += 1;
                        }
                        FeatureStats {
                            name: f.name.clone(),
                            edges: Vec::new(),
                            labels: levels.clone(),
                            shares: counts.iter().map(|&c| c as f64 / n as f64).collect(),
                        }
                    }
                    _ => {
                        let mut present: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
                        present.sort_by(f64::total_cmp);
                        let mut edges: Vec<f64> = (1..10).map(|q| quantile(&present, q as f64 / 10.0)).collect();
                        edges.dedup();
                        let mut labels: Vec<String> = Vec::new();
                        let mut lo = f64::NEG_INFINITY;
                        for e in &edges {
                            labels.push(format!("({lo}, {e}]"));
                            lo = *e;
                        }
                        labels.push(format!("({lo}, inf)"));
                        labels.push(MISSING_LEVEL.into());
                        let mut s = FeatureStats { name: f.name.clone(), edges, labels, shares: Vec::new() };
                        let mut counts = vec![0usize; s.labels.len()];
                        for &v in col {
                            counts[s.bin(v)] += 1;
                        }
                        s.shares = counts.iter().map(|&c| c as f64 / n as f64).collect();
                        s
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_parse_like_the_float_parser() {
        for v in ["0", "7", "-1", "2143", " 58 ", "-0", "123456789012345", "007"] {
            assert_eq!(number(v, DecimalMark::Point), v.trim().parse::<f64>().ok(), "{v:?}");
        }
        for v in ["1.5", "-2.25e3", "1e400", "", "NA", "-", "--1", "12a", "1234567890123456789"] {
            let float = v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
            assert_eq!(number(v, DecimalMark::Point), float.filter(|_| !is_missing(v)), "{v:?}");
        }
    }

    #[test]
    fn decimal_commas_are_read_in_a_column_that_writes_them() {
        let comma = |v: &str| number(v, DecimalMark::Comma);
        assert_eq!(comma("1,5"), Some(1.5));
        assert_eq!(comma("-1.234,56"), Some(-1234.56));
        assert_eq!(comma("1 234,5"), Some(1234.5));
        assert_eq!(comma("1\u{a0}234"), Some(1234.0));
        // Three digits after a dot are a thousands group there; other dots are points.
        assert_eq!(comma("1.234"), Some(1234.0));
        assert_eq!(comma("1.5"), Some(1.5));
        // A group never starts with 0: `0.123` is a point there too.
        assert_eq!(comma("0.123"), Some(0.123));
        assert_eq!(comma("42"), Some(42.0));
        for v in ["1,2,3", "1,", ",5", "12.34,5", "1.2345,6", "abc", "NA", ""] {
            assert_eq!(comma(v), None, "{v:?}");
        }
        // A column of points never reads a decimal comma, nor a comma that could be one; a
        // number whose commas can only be thousands reads (a spreadsheet's `$1,234.50`).
        assert_eq!(number("1,5", DecimalMark::Point), None);
        assert_eq!(number("1,234", DecimalMark::Point), None);
        assert_eq!(number("$1,234.50", DecimalMark::Point), Some(1234.5));
        assert_eq!(number("-1,234,567", DecimalMark::Point), Some(-1_234_567.0));
        for v in ["1,23.5", "1,2345.6", "12,34,567", "1,234,5", "1.234,5"] {
            assert_eq!(number(v, DecimalMark::Point), None, "{v:?}");
        }
        // Commas between thousands; currency symbols and percent signs aside, in every reading.
        let us = |v: &str| number(v, DecimalMark::ThousandsComma);
        assert_eq!(us("1,234"), Some(1234.0));
        assert_eq!(us("-12,345,678.5"), Some(-12_345_678.5));
        assert_eq!(us("$1,234.50"), Some(1234.5));
        assert_eq!(us("1.5"), Some(1.5));
        for v in ["1,5", "1,2345", "0,123", "1,234,5", "12,34.5", "1.234,5", ",123", "$", "%"] {
            assert_eq!(us(v), None, "{v:?}");
        }
        assert_eq!(number("-$5", DecimalMark::Point), Some(-5.0));
        assert_eq!(number("$-5", DecimalMark::Point), Some(-5.0));
        assert_eq!(number("12 €", DecimalMark::Point), Some(12.0));
        assert_eq!(number("54.4%", DecimalMark::Point), Some(54.4));
        assert_eq!(comma("1.234,50 €"), Some(1234.5));
        assert_eq!(number("¥1,000", DecimalMark::ThousandsComma), Some(1000.0));
        for v in ["--$5", "-$-5", "$$5", "5$$", "USD 5", "1%%"] {
            assert_eq!(number(v, DecimalMark::Point), None, "{v:?}");
        }
    }

    #[test]
    fn date_part_level_names_are_what_training_writes() {
        // Saved models hold levels written by `to_string`; scoring looks them up by these.
        for m in 1..=12u32 {
            assert_eq!(MONTHS[m as usize - 1], m.to_string());
        }
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        for d in 0..7 {
            let day = monday + chrono::Duration::days(d);
            assert_eq!(WEEKDAYS[day.weekday().num_days_from_monday() as usize], day.weekday().to_string());
        }
    }

    #[test]
    fn day_first_dates_are_encoded_and_later_dates_read_as_the_last_for_linear_models() {
        let dates = ["03-01-2018", "15-01-2018", "28-02-2018", "10-03-2018", "31-03-2018"];
        let table = |v: &[&str]| Table {
            file: "t.csv".into(),
            names: vec!["d".into()],
            columns: vec![v.iter().map(|s| s.to_string()).collect()],
            rows: v.len(),
        };
        let train = table(&dates);
        let schema = vec![super::super::table::infer("d", &train.columns[0])];
        assert_eq!(schema[0].date_order, DateOrder::DayFirst);
        let e = Encoder::fit(&train, &schema);
        let age = e.features.iter().position(|f| matches!(f.code, Code::DateAge { .. })).expect("an age feature");
        let month = e.features.iter().position(|f| matches!(f.code, Code::DateMonth { .. })).expect("a month");
        // The last training date is the reference; a later one (a new lead) is younger still.
        let later = table(&["31-03-2018", "20-05-2018", "no date"]);
        let x = e.encode(&later, &vec![0; e.features.len()]);
        assert_eq!((x.tree[age * 3], x.tree[age * 3 + 1]), (0.0, -50.0));
        assert!(x.tree[age * 3 + 2].is_nan() && x.unseen[2].contains(&age));
        assert_eq!(e.display_value(month, "20-05-2018"), "5");
        // Linear models read the later date as the last one, not as a trend carried on.
        let (lin, w) = e.linear_matrix(&x);
        let off = e.linear_offsets()[age];
        assert_eq!(lin[off], lin[w + off]);
    }

    #[test]
    fn values_near_the_ends_of_the_float_range_standardise_finitely() {
        // Before, the sum of squares overflowed and the logistic fit stopped on "not finite".
        let xs = [1e308, -1e308, 0.0, 1e-320].iter().cycle().take(400).map(|x| Some(*x));
        let (_, lo, hi, mean, std, _, log) = numeric_stats(xs, true);
        assert!(mean.is_finite() && std.is_finite() && std > 1e307 && !log, "{mean} {std}");
        for x in [1e308, -1e308, 0.0, f64::MAX] {
            let z = standard(linear_numeric(x, lo, hi, log), mean, std);
            assert!(z.is_finite() && z.abs() < 3.0, "{x}: {z}");
        }
        // An ordinary column is read exactly as before (no rescaling).
        assert_eq!(standard(5.0, 2.0, 1.5), (5.0 - 2.0) / 1.5);
    }

    #[test]
    fn skewed_non_negative_columns_enter_linear_models_logged() {
        let some = |v: Vec<f64>| v.into_iter().map(Some).collect::<Vec<_>>();
        // Amount-like: most small, a long right tail.
        let amounts: Vec<f64> =
            (0..1000).map(|i| if i % 50 == 0 { 200_000.0 + i as f64 } else { 1_000.0 + i as f64 }).collect();
        let (_, lo, hi, mean, std, _, log) = numeric_stats(some(amounts.clone()).into_iter(), true);
        assert!(log);
        let logged: Vec<f64> = amounts.iter().map(|x| x.clamp(lo, hi).ln_1p()).collect();
        let m = logged.iter().sum::<f64>() / logged.len() as f64;
        assert!((mean - m).abs() < 1e-9 && std > 0.0);
        assert_eq!(linear_numeric(1e9, lo, hi, log), hi.ln_1p(), "clamped, then logged");
        // Symmetric, or with negative values, or dates: left linear.
        let sym: Vec<f64> = (0..1000).map(|i| (i % 100) as f64).collect();
        assert!(!numeric_stats(some(sym).into_iter(), true).6);
        let neg: Vec<f64> = amounts.iter().map(|x| x - 5_000.0).collect();
        assert!(!numeric_stats(some(neg).into_iter(), true).6);
        assert!(!numeric_stats(some(amounts).into_iter(), false).6);
    }
}
