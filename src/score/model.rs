//! The scoring model: an encoder, one fitted estimator (L2 logistic regression from linfa,
//! gradient-boosted trees from perpetual, or — as the open-source anchor's method — naive
//! Bayes over the categorical fields from smartcore), a calibrator fitted on held-out rows,
//! and grade thresholds. Predictions come with their top factors: exact contributions to the
//! log-odds for the linear model, tree SHAP values for the trees, log-likelihood ratios for
//! naive Bayes.

use super::calibrate::Calibrator;
use super::features::{Code, Encoded, Encoder};
use super::metrics::Metrics;
use super::table::{ColumnInfo, Table};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which estimator to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelChoice {
    /// Logistic regression and gradient-boosted trees; the better held-out log loss wins.
    Auto,
    Logistic,
    Gbdt,
    NaiveBayes,
}

impl std::str::FromStr for ModelChoice {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "auto" => Ok(ModelChoice::Auto),
            "logistic" => Ok(ModelChoice::Logistic),
            "gbdt" => Ok(ModelChoice::Gbdt),
            "naive-bayes" => Ok(ModelChoice::NaiveBayes),
            _ => Err(format!("unknown model {s:?} (expected auto, logistic, gbdt or naive-bayes)")),
        }
    }
}

/// A fitted estimator. Its output is an uncalibrated probability.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Estimator {
    Logistic {
        alpha: f64,
        intercept: f64,
        weights: Vec<f64>,
        /// Mean of each linear column in training: contributions are measured from it.
        means: Vec<f64>,
    },
    Gbdt {
        budget: f32,
        /// perpetual's own JSON of the booster.
        booster: String,
        #[serde(skip)]
        fitted: Option<Booster>,
    },
    NaiveBayes {
        /// Features used (categorical ones), log prior per class, and per feature a table
        /// [class][code] of log likelihoods.
        features: Vec<usize>,
        log_prior: [f64; 2],
        log_lik: Vec<[Vec<f64>; 2]>,
    },
}

/// The loaded booster (not serialised itself: `booster` holds its JSON), with its trees
/// flattened for fast scoring.
#[derive(Clone)]
pub struct Booster {
    inner: Box<perpetual::PerpetualBooster>,
    /// `None` when the booster uses something the flat form does not cover (categorical
    /// splits, a linear head, a non-NaN missing marker): perpetual's own prediction is used.
    flat: Option<FlatTrees>,
}

impl Booster {
    fn new(b: perpetual::PerpetualBooster) -> Booster {
        let flat = FlatTrees::of(&b);
        Booster { inner: Box::new(b), flat }
    }
}

impl std::fmt::Debug for Booster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PerpetualBooster({} trees)", self.inner.get_prediction_trees().len())
    }
}

impl std::ops::Deref for Booster {
    type Target = perpetual::PerpetualBooster;
    fn deref(&self) -> &perpetual::PerpetualBooster {
        &self.inner
    }
}

/// perpetual's trees in one array, for scoring. perpetual keeps each tree's nodes in a
/// `HashMap` (one SipHash lookup per node visited) and allocates a vector per tree; here a
/// node is 24 bytes in a `Vec`, children are indices, and a row walks every tree with its
/// features gathered once. The sums are formed in perpetual's order (base score, then tree by
/// tree), so the log-odds are bit-for-bit perpetual's (a test checks it).
#[derive(Clone)]
struct FlatTrees {
    base: f64,
    /// Index of each tree's root in `nodes`.
    roots: Vec<u32>,
    nodes: Vec<FlatNode>,
}

#[derive(Clone, Copy)]
struct FlatNode {
    /// Split threshold (go left when the value is below it), or the leaf's value.
    value: f64,
    /// `u32::MAX` for a leaf.
    feature: u32,
    left: u32,
    right: u32,
    missing: u32,
}

impl FlatTrees {
    fn of(b: &perpetual::PerpetualBooster) -> Option<FlatTrees> {
        if b.regression_head.is_some() || !b.cfg.missing.is_nan() {
            return None;
        }
        let mut roots = Vec::new();
        let mut nodes = Vec::new();
        for tree in b.get_prediction_trees() {
            // Node numbers of perpetual → positions here.
            let mut ids: Vec<usize> = tree.nodes.keys().copied().collect();
            ids.sort_unstable();
            let start = nodes.len() as u32;
            let pos = |id: usize| ids.binary_search(&id).ok().map(|p| start + p as u32);
            roots.push(pos(0)?);
            for id in &ids {
                let n = &tree.nodes[id];
                if n.left_cats.is_some() {
                    return None;
                }
                nodes.push(if n.is_leaf {
                    FlatNode { value: n.weight_value as f64, feature: u32::MAX, left: 0, right: 0, missing: 0 }
                } else {
                    FlatNode {
                        value: n.split_value,
                        feature: u32::try_from(n.split_feature).ok()?,
                        left: pos(n.left_child)?,
                        right: pos(n.right_child)?,
                        missing: pos(n.missing_node)?,
                    }
                });
            }
        }
        Some(FlatTrees { base: b.base_score, roots, nodes })
    }

    /// Log-odds of every row of a column-major matrix with `d` features.
    fn predict(&self, x: &[f64], rows: usize, d: usize) -> Vec<f64> {
        let mut row = vec![0.0; d];
        (0..rows)
            .map(|i| {
                for (k, v) in row.iter_mut().enumerate() {
                    *v = x[k * rows + i];
                }
                let mut sum = self.base;
                for &r in &self.roots {
                    let mut n = &self.nodes[r as usize];
                    while n.feature != u32::MAX {
                        let v = row[n.feature as usize];
                        let next = if v.is_nan() {
                            n.missing
                        } else if v < n.value {
                            n.left
                        } else {
                            n.right
                        };
                        n = &self.nodes[next as usize];
                    }
                    sum += n.value;
                }
                sum
            })
            .collect()
    }
}

impl Estimator {
    pub fn name(&self) -> &'static str {
        match self {
            Estimator::Logistic { .. } => "logistic",
            Estimator::Gbdt { .. } => "gbdt",
            Estimator::NaiveBayes { .. } => "naive-bayes",
        }
    }

    /// Loads what serde cannot (the booster) after deserialising.
    pub fn rebuild(&mut self) -> Result<()> {
        if let Estimator::Gbdt { booster, fitted, .. } = self {
            use perpetual::booster::config::BoosterIO;
            let b = perpetual::PerpetualBooster::from_json(booster)
                .map_err(|e| Error::InvalidArgument(format!("the saved tree model does not load: {e}")))?;
            *fitted = Some(Booster::new(b));
        }
        Ok(())
    }

    /// Fits on encoded rows.
    pub fn fit(choice: ModelChoice, enc: &Encoder, x: &Encoded, y: &[bool], seed: u64) -> Result<Estimator> {
        match choice {
            ModelChoice::Logistic => fit_logistic(enc, x, y),
            ModelChoice::Gbdt => fit_gbdt(enc, x, y, seed),
            ModelChoice::NaiveBayes => fit_naive_bayes(enc, x, y),
            ModelChoice::Auto => Err(Error::InvalidArgument("auto is a choice between estimators, not one".into())),
        }
    }

    /// Uncalibrated log-odds of every row.
    pub fn log_odds(&self, enc: &Encoder, x: &Encoded) -> Vec<f64> {
        match self {
            Estimator::Logistic { intercept, weights, .. } => {
                // Feature by feature over the column-major tree matrix, without building the
                // one-hot design matrix: a category costs one weight lookup.
                let off = enc.linear_offsets();
                let mut out = vec![*intercept; x.rows];
                for k in 0..enc.features.len() {
                    let w = &weights[off[k]..off[k + 1]];
                    let col = &x.tree[k * x.rows..(k + 1) * x.rows];
                    for (o, &v) in out.iter_mut().zip(col) {
                        *o += enc.linear_dot(k, v, w);
                    }
                }
                out
            }
            Estimator::Gbdt { fitted, .. } => {
                let b = fitted.as_ref().expect("a loaded tree model is rebuilt");
                let d = enc.features.len();
                match &b.flat {
                    Some(flat) => flat.predict(&x.tree, x.rows, d),
                    None => b.predict(&perpetual::Matrix::new(&x.tree, x.rows, d), false),
                }
            }
            Estimator::NaiveBayes { features, log_prior, log_lik } => (0..x.rows)
                .map(|i| {
                    let mut l = log_prior[1] - log_prior[0];
                    for (f, ll) in features.iter().zip(log_lik) {
                        let c = x.tree[f * x.rows + i] as usize;
                        if let (Some(a), Some(b)) = (ll[1].get(c), ll[0].get(c)) {
                            l += a - b;
                        }
                    }
                    l
                })
                .collect(),
        }
    }

    /// Per row, the signed contribution of each feature to the log-odds.
    pub fn contributions(&self, enc: &Encoder, x: &Encoded) -> Vec<Vec<f64>> {
        let d = enc.features.len();
        match self {
            Estimator::Logistic { weights, means, .. } => {
                // Σ w(x − mean) per feature = its block's dot product minus a constant.
                let off = enc.linear_offsets();
                let centre: Vec<f64> =
                    (0..d).map(|k| (off[k]..off[k + 1]).map(|j| weights[j] * means[j]).sum()).collect();
                (0..x.rows)
                    .map(|i| {
                        (0..d)
                            .map(|k| {
                                enc.linear_dot(k, x.tree[k * x.rows + i], &weights[off[k]..off[k + 1]]) - centre[k]
                            })
                            .collect()
                    })
                    .collect()
            }
            Estimator::Gbdt { fitted, .. } => {
                let b = fitted.as_ref().expect("a loaded tree model is rebuilt");
                let m = perpetual::Matrix::new(&x.tree, x.rows, d);
                let flat = b.predict_contributions(&m, perpetual::booster::config::ContributionsMethod::Shapley, false);
                flat.chunks(d + 1).map(|r| r[..d].to_vec()).collect()
            }
            Estimator::NaiveBayes { features, log_lik, .. } => (0..x.rows)
                .map(|i| {
                    let mut c = vec![0.0; d];
                    for (&f, ll) in features.iter().zip(log_lik) {
                        let code = x.tree[f * x.rows + i] as usize;
                        if let (Some(a), Some(b)) = (ll[1].get(code), ll[0].get(code)) {
                            c[f] = a - b;
                        }
                    }
                    c
                })
                .collect(),
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn fit_logistic(enc: &Encoder, x: &Encoded, y: &[bool]) -> Result<Estimator> {
    use linfa::prelude::*;
    let (m, w) = enc.linear_matrix(x);
    let means: Vec<f64> =
        (0..w).map(|j| (0..x.rows).map(|i| m[i * w + j]).sum::<f64>() / x.rows.max(1) as f64).collect();
    let xs =
        ndarray::Array2::from_shape_vec((x.rows, w), m).map_err(|e| crate::Error::InvalidArgument(e.to_string()))?;
    let ys = ndarray::Array1::from_vec(y.to_vec());
    let ds = linfa::Dataset::new(xs, ys);
    // The penalty is per row in linfa's objective; scale it with the data so the prior's
    // strength stays the same whatever the row count.
    let alpha = 1.0;
    let fitted = linfa_logistic::LogisticRegression::default()
        .alpha(alpha)
        // 60 quasi-Newton steps reach the optimum on every data set tried (bank marketing,
        // the simulator); each costs a pass over the data.
        .max_iterations(60)
        .fit(&ds)
        .map_err(|e| crate::Error::InvalidArgument(format!("logistic regression did not fit: {e}")))?;
    // linfa models the probability of its *more frequent* class; turn it into P(true).
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let weights = fitted.params().iter().map(|w| sign * w).collect();
    Ok(Estimator::Logistic { alpha, intercept: sign * fitted.intercept(), weights, means })
}

/// perpetual's budget: its one hyperparameter (higher fits more trees). 1.0 was the better of
/// 0.5, 1.0 and 2.0 on the simulator's held-out leads; bank marketing prefers 2.0 (see README).
pub const GBDT_BUDGET: f32 = 1.0;

fn fit_gbdt(enc: &Encoder, x: &Encoded, y: &[bool], seed: u64) -> Result<Estimator> {
    use perpetual::booster::config::BoosterIO;
    let d = enc.features.len();
    // Categories go in as codes ordered by their training outcome rate (see
    // `Encoder::ordered_by_rate`), not through perpetual's categorical mode: on bank marketing
    // that mode was 20× slower and 0.08 AUC worse.
    let mut b = perpetual::PerpetualBooster::default()
        .set_objective(perpetual::objective::Objective::LogLoss)
        .set_budget(GBDT_BUDGET)
        .set_seed(seed);
    // Class re-weighting would bias the probabilities; calibration expects honest ones.
    b.cfg.auto_class_weights = false;
    let m = perpetual::Matrix::new(&x.tree, x.rows, d);
    let yf: Vec<f64> = y.iter().map(|&b| b as u8 as f64).collect();
    b.fit(&m, &yf, None, None).map_err(|e| Error::InvalidArgument(format!("gradient boosting did not fit: {e}")))?;
    let booster =
        b.json_dump().map_err(|e| Error::InvalidArgument(format!("the tree model does not serialise: {e}")))?;
    Ok(Estimator::Gbdt { budget: GBDT_BUDGET, booster, fitted: Some(Booster::new(b)) })
}

fn fit_naive_bayes(enc: &Encoder, x: &Encoded, y: &[bool]) -> Result<Estimator> {
    use smartcore::linalg::basic::matrix::DenseMatrix;
    use smartcore::naive_bayes::categorical::{CategoricalNB, CategoricalNBParameters};
    let features = enc.categorical();
    if features.is_empty() {
        return Err(Error::InvalidArgument("naive Bayes needs at least one categorical field".into()));
    }
    let rows: Vec<Vec<u32>> =
        (0..x.rows).map(|i| features.iter().map(|&f| x.tree[f * x.rows + i] as u32).collect()).collect();
    let xm = DenseMatrix::from_2d_vec(&rows).map_err(|e| Error::InvalidArgument(format!("naive Bayes input: {e}")))?;
    let ys: Vec<u32> = y.iter().map(|&b| b as u32).collect();
    let nb = CategoricalNB::fit(&xm, &ys, CategoricalNBParameters::default().with_alpha(1.0))
        .map_err(|e| Error::InvalidArgument(format!("naive Bayes did not fit: {e}")))?;
    let classes = nb.classes();
    let pos = classes
        .iter()
        .position(|&c| c == 1)
        .ok_or_else(|| Error::InvalidArgument("naive Bayes saw one class".into()))?;
    let neg = 1 - pos;
    let counts = nb.class_count();
    let n: usize = counts.iter().sum();
    let log_prior = [(counts[neg] as f64 / n as f64).ln(), (counts[pos] as f64 / n as f64).ln()];
    let flp = nb.feature_log_prob();
    let log_lik = (0..features.len()).map(|j| [flp[j][neg].clone(), flp[j][pos].clone()]).collect();
    Ok(Estimator::NaiveBayes { features, log_prior, log_lik })
}

/// Grade thresholds on the calibrated probability: lift (probability over the base rate) of at
/// least 2 is A, at least 1 is B, at least 0.5 is C, below that D.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grades {
    pub base_rate: f64,
    /// Minimum probability for A, B and C.
    pub thresholds: [f64; 3],
}

pub const GRADE_LIFTS: [f64; 3] = [2.0, 1.0, 0.5];

impl Grades {
    pub fn from_base_rate(base_rate: f64) -> Grades {
        let t = GRADE_LIFTS.map(|l| (l * base_rate).min(0.999));
        Grades { base_rate, thresholds: t }
    }

    pub fn grade(&self, p: f64) -> char {
        match self.thresholds.iter().position(|&t| p >= t) {
            Some(0) => 'A',
            Some(1) => 'B',
            Some(2) => 'C',
            _ => 'D',
        }
    }
}

/// A factor behind a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    pub feature: String,
    pub value: String,
    /// Signed impact on the model's log-odds.
    pub impact: f64,
}

/// One scored row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub probability: f64,
    pub score: u8,
    pub grade: char,
    pub factors: Vec<Factor>,
    pub warnings: Vec<String>,
}

/// Everything needed to score a row, as saved in a model version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScoringModel {
    pub target: String,
    pub positive: String,
    /// The column that names rows in outputs, if any.
    pub id: Option<String>,
    pub schema: Vec<ColumnInfo>,
    pub encoder: Encoder,
    pub estimator: Estimator,
    pub calibrator: Calibrator,
    pub grades: Grades,
    /// Held-out metrics of the calibrated model.
    pub validation: Metrics,
}

impl ScoringModel {
    /// After deserialising: rebuild lookups and the booster.
    pub fn rebuild(&mut self) -> Result<()> {
        self.encoder.rebuild();
        self.estimator.rebuild()
    }

    /// The table columns of each feature; an error lists every missing input column.
    pub fn resolve(&self, table: &Table) -> Result<Vec<usize>> {
        let missing: Vec<String> =
            self.encoder.input_columns().into_iter().filter(|c| table.index(c).is_none()).collect();
        if !missing.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{}: missing column(s) the model needs: {} (the file has: {})",
                table.file,
                missing.join(", "),
                table.names.join(", ")
            )));
        }
        Ok(self.encoder.features.iter().map(|f| table.index(&f.column).expect("resolved above")).collect())
    }

    /// Calibrated probabilities of every row (no explanations).
    pub fn probabilities(&self, x: &Encoded) -> Vec<f64> {
        self.estimator.log_odds(&self.encoder, x).into_iter().map(|l| self.calibrator.apply(sigmoid(l))).collect()
    }

    /// Scores every row of `table`; `top` factors per row when `explain`.
    pub fn predict(&self, table: &Table, explain: bool, top: usize) -> Result<Vec<Prediction>> {
        let cols = self.resolve(table)?;
        let x = self.encoder.encode(table, &cols);
        Ok(self.predict_encoded(&x, explain, top, &|k, i| std::borrow::Cow::Borrowed(&table.columns[cols[k]][i])))
    }

    /// Scores encoded rows; `raw(k, i)` is the input text of feature `k` in row `i` (read only
    /// for the explanations and warnings that show it). The server's typed path encodes JSON
    /// values directly and comes here too, so both give the same numbers.
    pub fn predict_encoded<'r>(
        &self,
        x: &Encoded,
        explain: bool,
        top: usize,
        raw: &dyn Fn(usize, usize) -> std::borrow::Cow<'r, str>,
    ) -> Vec<Prediction> {
        let p = self.probabilities(x);
        let contrib = explain.then(|| self.estimator.contributions(&self.encoder, x));
        (0..x.rows)
            .map(|i| {
                let probability = p[i];
                let factors = match &contrib {
                    Some(c) => {
                        let mut f: Vec<(usize, f64)> =
                            c[i].iter().copied().enumerate().filter(|(_, v)| *v != 0.0).collect();
                        f.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                        f.truncate(top);
                        f.into_iter()
                            .map(|(k, impact)| Factor {
                                feature: self.encoder.features[k].name.clone(),
                                value: self.encoder.display_value(k, &raw(k, i)),
                                impact: (impact * 1e4).round() / 1e4,
                            })
                            .collect()
                    }
                    None => Vec::new(),
                };
                let warnings = x.unseen[i]
                    .iter()
                    .map(|&k| {
                        let f = &self.encoder.features[k];
                        let text = raw(k, i);
                        let v = text.trim();
                        match f.code {
                            Code::Numeric { .. } => format!("{}: {v:?} is not a number; scored as missing", f.column),
                            Code::DateAge { .. } => format!("{}: {v:?} is not a date; scored as missing", f.column),
                            _ => format!("{}: {v:?} was not seen in training; scored as \"other\"", f.column),
                        }
                    })
                    .collect();
                Prediction {
                    probability,
                    score: (probability * 100.0).round() as u8,
                    grade: self.grades.grade(probability),
                    factors,
                    warnings,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::table::{Table, infer};

    /// A table where y depends on a number and a category, 600 rows.
    fn table() -> (Table, Vec<bool>) {
        let mut s = 7u64;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut a, mut b, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..600 {
            let x = rnd() * 10.0;
            let c = ["red", "green", "blue"][(rnd() * 3.0) as usize];
            let p = sigmoid(x - 5.0 + if c == "red" { 1.5 } else { 0.0 });
            a.push(format!("{x:.3}"));
            b.push(c.to_string());
            y.push(rnd() < p);
        }
        (Table { file: "t".into(), names: vec!["x".into(), "c".into()], columns: vec![a, b], rows: 600 }, y)
    }

    /// The table's schema inferred, an encoder fitted, the rows encoded.
    fn encoded() -> (Encoder, Encoded, Vec<bool>) {
        let (t, y) = table();
        let schema: Vec<_> = t.names.iter().zip(&t.columns).map(|(n, c)| infer(n, c)).collect();
        let enc = Encoder::fit(&t, &schema);
        let x = enc.encode(&t, &[0, 1]);
        (enc, x, y)
    }

    #[test]
    fn saved_tree_models_reload_to_identical_predictions() {
        // perpetual is a pre-release pin: an upgrade must not silently change scores.
        let (enc, x, y) = encoded();
        for choice in [ModelChoice::Gbdt, ModelChoice::Logistic, ModelChoice::NaiveBayes] {
            let est = Estimator::fit(choice, &enc, &x, &y, 1).unwrap();
            let before = est.log_odds(&enc, &x);
            let mut back: Estimator = serde_json::from_str(&serde_json::to_string(&est).unwrap()).unwrap();
            back.rebuild().unwrap();
            assert_eq!(before, back.log_odds(&enc, &x), "{choice:?} changed on reload");
        }
    }

    #[test]
    fn linear_contributions_add_up_to_the_log_odds() {
        let (enc, x, y) = encoded();
        let est = Estimator::fit(ModelChoice::Logistic, &enc, &x, &y, 1).unwrap();
        let Estimator::Logistic { intercept, weights, means, .. } = &est else { unreachable!() };
        let base = intercept + weights.iter().zip(means).map(|(w, m)| w * m).sum::<f64>();
        let lo = est.log_odds(&enc, &x);
        for (c, l) in est.contributions(&enc, &x).iter().zip(&lo) {
            assert!((base + c.iter().sum::<f64>() - l).abs() < 1e-9);
        }
        // The number matters more than the colour, and a larger number pushes the score up.
        let contrib = est.contributions(&enc, &x);
        assert!(contrib.iter().all(|c| c.len() == 2));
        let mean_abs = |k: usize| contrib.iter().map(|c| c[k].abs()).sum::<f64>() / contrib.len() as f64;
        assert!(mean_abs(0) > mean_abs(1), "x {} vs colour {}", mean_abs(0), mean_abs(1));
        let (lo, hi) = (0..x.rows).fold((0, 0), |(lo, hi), i| {
            let v = x.tree[i];
            (if v < x.tree[lo] { i } else { lo }, if v > x.tree[hi] { i } else { hi })
        });
        assert!(contrib[lo][0] < 0.0 && contrib[hi][0] > 0.0);
    }

    #[test]
    fn linear_scoring_without_the_matrix_matches_the_matrix() {
        let (enc, x, y) = encoded();
        let est = Estimator::fit(ModelChoice::Logistic, &enc, &x, &y, 1).unwrap();
        let Estimator::Logistic { intercept, weights, .. } = &est else { unreachable!() };
        let (m, w) = enc.linear_matrix(&x);
        for (i, l) in est.log_odds(&enc, &x).iter().enumerate() {
            let direct = intercept + m[i * w..(i + 1) * w].iter().zip(weights).map(|(a, b)| a * b).sum::<f64>();
            assert!((direct - l).abs() < 1e-9, "row {i}: {direct} vs {l}");
        }
    }

    #[test]
    fn flat_trees_score_exactly_as_perpetual() {
        let (enc, mut x, y) = encoded();
        let est = Estimator::fit(ModelChoice::Gbdt, &enc, &x, &y, 1).unwrap();
        let Estimator::Gbdt { fitted, .. } = &est else { unreachable!() };
        let b = fitted.as_ref().unwrap();
        assert!(b.flat.is_some(), "the flat form covers this model");
        // Missing values too: they take each split's missing branch.
        for i in (0..x.rows).step_by(7) {
            x.tree[i] = f64::NAN;
        }
        let theirs = b.predict(&perpetual::Matrix::new(&x.tree, x.rows, 2), false);
        assert_eq!(est.log_odds(&enc, &x), theirs);
    }

    #[test]
    fn tree_contributions_add_up_to_the_log_odds() {
        let (enc, x, y) = encoded();
        let est = Estimator::fit(ModelChoice::Gbdt, &enc, &x, &y, 1).unwrap();
        let lo = est.log_odds(&enc, &x);
        let Estimator::Gbdt { fitted, .. } = &est else { unreachable!() };
        let m = perpetual::Matrix::new(&x.tree, x.rows, 2);
        let full = fitted.as_ref().unwrap().predict_contributions(
            &m,
            perpetual::booster::config::ContributionsMethod::Shapley,
            false,
        );
        for (i, l) in lo.iter().enumerate() {
            let row = &full[i * 3..i * 3 + 3];
            assert!((row.iter().sum::<f64>() - l).abs() < 1e-6, "SHAP values + bias must equal the log-odds");
        }
    }
}
