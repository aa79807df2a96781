//! Probability calibration on held-out data: isotonic regression (pool-adjacent-violators,
//! interpolated between blocks) when there is enough data, Platt scaling otherwise.
//!
//! Written here because no maintained Rust crate offers isotonic calibration; both algorithms
//! are short and tested below against their defining properties.

use serde::{Deserialize, Serialize};

/// A fitted map from a raw model probability to a calibrated one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Calibrator {
    /// Piecewise-linear, non-decreasing: knots (raw score, calibrated probability).
    Isotonic { x: Vec<f64>, y: Vec<f64> },
    /// p = sigmoid(a · logit(raw) + b).
    Platt { a: f64, b: f64 },
}

/// Below this many held-out rows, isotonic regression overfits; Platt is used.
pub const ISOTONIC_MIN_ROWS: usize = 1000;

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Which calibration method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Isotonic,
    Platt,
}

impl Calibrator {
    /// Fits on raw scores and outcomes: isotonic with enough rows, Platt below.
    pub fn fit(raw: &[f64], y: &[bool]) -> Calibrator {
        if raw.len() >= ISOTONIC_MIN_ROWS { isotonic(raw, y) } else { platt(raw, y) }
    }

    /// Fits with a given method.
    pub fn fit_with(method: Method, raw: &[f64], y: &[bool]) -> Calibrator {
        match method {
            Method::Isotonic => isotonic(raw, y),
            Method::Platt => platt(raw, y),
        }
    }

    pub fn apply(&self, raw: f64) -> f64 {
        match self {
            Calibrator::Platt { a, b } => sigmoid(a * logit(raw) + b),
            Calibrator::Isotonic { x, y } => {
                let p = match x.partition_point(|&k| k < raw) {
                    0 => y[0],
                    i if i == x.len() => y[x.len() - 1],
                    i => {
                        let t = (raw - x[i - 1]) / (x[i] - x[i - 1]);
                        y[i - 1] + t * (y[i] - y[i - 1])
                    }
                };
                // Never exactly 0 or 1: a calibrated probability admits doubt.
                p.clamp(1e-4, 1.0 - 1e-4)
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Calibrator::Isotonic { .. } => "isotonic",
            Calibrator::Platt { .. } => "platt",
        }
    }
}

fn isotonic(raw: &[f64], y: &[bool]) -> Calibrator {
    let mut idx: Vec<usize> = (0..raw.len()).collect();
    idx.sort_by(|&a, &b| raw[a].total_cmp(&raw[b]));
    // Blocks of (sum of raw, sum of y, count), merged while they violate monotonicity.
    let mut blocks: Vec<(f64, f64, f64)> = Vec::with_capacity(raw.len());
    for &i in &idx {
        blocks.push((raw[i], y[i] as u8 as f64, 1.0));
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.1 / a.2 >= b.1 / b.2 {
                blocks.pop();
                let last = blocks.last_mut().expect("two blocks");
                *last = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
            } else {
                break;
            }
        }
    }
    let x = blocks.iter().map(|b| b.0 / b.2).collect();
    let y = blocks.iter().map(|b| b.1 / b.2).collect();
    Calibrator::Isotonic { x, y }
}

fn platt(raw: &[f64], y: &[bool]) -> Calibrator {
    // Newton's method on the log loss of sigmoid(a·z + b), with Platt's smoothed targets.
    let z: Vec<f64> = raw.iter().map(|&p| logit(p)).collect();
    let pos = y.iter().filter(|&&b| b).count() as f64;
    let neg = y.len() as f64 - pos;
    let (t1, t0) = ((pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0));
    let t: Vec<f64> = y.iter().map(|&b| if b { t1 } else { t0 }).collect();
    let (mut a, mut b) = (1.0, 0.0);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (zi, ti) in z.iter().zip(&t) {
            let p = sigmoid(a * zi + b);
            let (d, w) = (p - ti, p * (1.0 - p));
            ga += d * zi;
            gb += d;
            haa += w * zi * zi;
            hab += w * zi;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
        a -= da;
        b -= db;
        if da.abs() + db.abs() < 1e-10 {
            break;
        }
    }
    Calibrator::Platt { a, b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_is_monotone_and_fixes_a_distorted_score() {
        // Raw scores are the true probability squared: badly calibrated, perfectly ranked.
        let n = 5000;
        let mut raw = Vec::new();
        let mut y = Vec::new();
        let mut state = 12345u64;
        for i in 0..n {
            let p = (i as f64 + 0.5) / n as f64;
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            raw.push(p * p);
            y.push(u < p);
        }
        let c = Calibrator::fit(&raw, &y);
        assert_eq!(c.name(), "isotonic");
        let grid: Vec<f64> = (0..=100).map(|i| i as f64 / 100.0).collect();
        let out: Vec<f64> = grid.iter().map(|&r| c.apply(r)).collect();
        assert!(out.windows(2).all(|w| w[0] <= w[1] + 1e-12), "not monotone");
        // raw 0.25 is true probability 0.5.
        assert!((c.apply(0.25) - 0.5).abs() < 0.06, "{}", c.apply(0.25));
    }

    #[test]
    fn platt_recovers_a_known_logistic_distortion() {
        // y ~ Bernoulli(sigmoid(2·logit(raw) − 1)).
        let mut raw = Vec::new();
        let mut y = Vec::new();
        let mut state = 99u64;
        for i in 0..900 {
            let r = 0.02 + 0.96 * (i as f64 / 900.0);
            let p = sigmoid(2.0 * logit(r) - 1.0);
            for _ in 0..1 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                raw.push(r);
                y.push(u < p);
            }
        }
        let c = Calibrator::fit(&raw, &y);
        let Calibrator::Platt { a, b } = c else { panic!("expected Platt below {ISOTONIC_MIN_ROWS} rows") };
        assert!((a - 2.0).abs() < 0.5 && (b + 1.0).abs() < 0.4, "a={a} b={b}");
    }
}
