//! The Theta method: standard (Assimakopoulos & Nikolopoulos 2000, *The theta model: a
//! decomposition approach to forecasting*, IJF 16(4)) and optimised (Fiorucci, Pellegrini,
//! Louzada, Petropoulos & Koehler 2016, *Models for optimising the theta method and their
//! relationship to state space models*, IJF 32(4)).
//!
//! The (deseasonalised) series `x` is split into theta lines: the linear regression line
//! `L_t = A + B t` (θ = 0) and `Z_t = θ x_t + (1 − θ) L_t`. `Z` is extrapolated by simple
//! exponential smoothing, `L` by its line, and the forecast is `(1 − 1/θ) L + (1/θ) SES(Z)`.
//! The standard method fixes θ = 2 (Hyndman & Billah 2003, *Unmasking the Theta method*, IJF
//! 19(2), show it is then SES with drift B/2 — a unit test checks it); the optimised model
//! (OTM) also chooses θ ≥ 1. α ∈ (0.01, 0.99), the initial SES level and θ minimise the
//! in-sample one-step mean squared error (Nelder–Mead, [`super::optim`]).
//!
//! Seasonality: the 90% autocorrelation test of the original method (`|r_m|` against
//! `1.645 √((1 + 2 Σ_{k<m} r_k²)/n)`); when it says seasonal, a classical decomposition
//! (centred moving average; multiplicative for positive series, additive otherwise) removes the
//! season before the lines are fitted and puts it back on the forecasts.

use super::ets::ols;
use super::optim::nelder_mead;

/// Whether `y` shows seasonality of period `m` at the 90% level (needs `n ≥ 3m`, as in
/// statsforecast and R's `thetaf`: with less, no test is made and the answer is no).
pub fn seasonality_test(y: &[f64], m: usize) -> bool {
    let n = y.len();
    if m < 2 || n < 3 * m {
        return false;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let c0: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    if c0 <= 0.0 {
        return false;
    }
    let acf = |k: usize| (k..n).map(|t| (y[t] - mean) * (y[t - k] - mean)).sum::<f64>() / c0;
    let r: Vec<f64> = (1..=m).map(acf).collect();
    let s: f64 = r[..m - 1].iter().map(|x| x * x).sum();
    let limit = 1.645 * ((1.0 + 2.0 * s) / n as f64).sqrt();
    r[m - 1].abs() > limit
}

/// Classical decomposition seasonal indices of `y` (at least two whole seasons), indexed by
/// `t % m` for `t` counted from the start of `y`: centred moving average of order m (2×m when
/// m is even), ratios (or differences) averaged per position, normalised to mean 1 (or 0).
pub fn classical_indices(y: &[f64], m: usize, multiplicative: bool) -> Option<Vec<f64>> {
    let n = y.len();
    if m < 2 || n < 2 * m {
        return None;
    }
    let half = m / 2;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for t in half..n.saturating_sub(half) {
        let ma = if m.is_multiple_of(2) {
            if t + half >= n {
                continue;
            }
            let inner: f64 = y[t + 1 - half..t + half].iter().sum();
            (inner + 0.5 * (y[t - half] + y[t + half])) / m as f64
        } else {
            y[t - half..=t + half].iter().sum::<f64>() / m as f64
        };
        let d = if multiplicative {
            if ma <= 0.0 {
                return None;
            }
            y[t] / ma
        } else {
            y[t] - ma
        };
        sums[t % m] += d;
        counts[t % m] += 1;
    }
    if counts.contains(&0) {
        return None;
    }
    let mut idx: Vec<f64> = sums.iter().zip(&counts).map(|(s, c)| s / *c as f64).collect();
    let mean = idx.iter().sum::<f64>() / m as f64;
    if multiplicative {
        if mean <= 0.0 || idx.iter().any(|v| *v <= 0.0) {
            return None;
        }
        idx.iter_mut().for_each(|v| *v /= mean);
    } else {
        idx.iter_mut().for_each(|v| *v -= mean);
    }
    Some(idx)
}

/// A seasonal adjustment: indices by `t % m` and whether they multiply.
#[derive(Debug, Clone)]
pub struct Seasonal {
    pub m: usize,
    pub index: Vec<f64>,
    pub multiplicative: bool,
}

impl Seasonal {
    pub fn remove(&self, t: usize, v: f64) -> f64 {
        if self.multiplicative { v / self.index[t % self.m] } else { v - self.index[t % self.m] }
    }
    pub fn apply(&self, t: usize, v: f64) -> f64 {
        if self.multiplicative { v * self.index[t % self.m] } else { v + self.index[t % self.m] }
    }
}

/// A fitted Theta model.
#[derive(Debug, Clone)]
pub struct ThetaFit {
    pub theta: f64,
    pub alpha: f64,
    /// Initial SES level of the θ line `Z`.
    pub l0: f64,
    /// The regression line `A + B t` of the deseasonalised series (t from 0).
    pub a: f64,
    pub b: f64,
    pub season: Option<Seasonal>,
    /// SES level of `Z` after the last observation.
    pub last: f64,
    pub n: usize,
    /// In-sample one-step mean squared error (deseasonalised scale).
    pub mse: f64,
}

/// The one-step SSE of the theta combination and the last SES level of `Z`.
fn run(x: &[f64], theta: f64, alpha: f64, l0: f64, a: f64, b: f64) -> (f64, f64) {
    let w = 1.0 / theta;
    let mut l = l0;
    let mut sse = 0.0;
    for (t, &v) in x.iter().enumerate() {
        let line = a + b * t as f64;
        let fit = (1.0 - w) * line + w * l;
        sse += (v - fit) * (v - fit);
        let z = theta * v + (1.0 - theta) * line;
        l = alpha * z + (1.0 - alpha) * l;
    }
    (sse, l)
}

/// Seasonal adjustment for `y` with season `m`, when the seasonality test says so.
pub fn seasonal_adjustment(y: &[f64], m: usize) -> Option<Seasonal> {
    if !seasonality_test(y, m) {
        return None;
    }
    let positive = y.iter().all(|v| *v > 0.0);
    classical_indices(y, m, positive).map(|index| Seasonal { m, index, multiplicative: positive })
}

/// Fits the standard (`optimise = false`, θ = 2) or optimised Theta model.
pub fn fit(y: &[f64], m: usize, optimise: bool) -> Option<ThetaFit> {
    let season = seasonal_adjustment(y, m);
    fit_with(y, season, optimise)
}

/// Fits with a given seasonal adjustment (or none).
pub fn fit_with(y: &[f64], season: Option<Seasonal>, optimise: bool) -> Option<ThetaFit> {
    let n = y.len();
    if n < 3 {
        return None;
    }
    let x: Vec<f64> = match &season {
        Some(s) => y.iter().enumerate().map(|(t, v)| s.remove(t, *v)).collect(),
        None => y.to_vec(),
    };
    let ts: Vec<f64> = (0..n).map(|t| t as f64).collect();
    let (a, b) = ols(&ts, &x);
    let mean = x.iter().sum::<f64>() / n as f64;
    let sd = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
    let scale = (0.2 * sd).max(1e-6 * mean.abs()).max(1e-12);
    let z0 = |theta: f64| theta * x[0] + (1.0 - theta) * a;
    let decode = |p: &[f64]| {
        let alpha = 0.01 + 0.98 / (1.0 + (-p[0]).exp());
        let theta = if optimise { 1.0 + p[2].exp() } else { 2.0 };
        let l0 = z0(theta) + scale * p[1];
        (alpha, theta, l0)
    };
    let obj = |p: &[f64]| {
        let (alpha, theta, l0) = decode(p);
        run(&x, theta, alpha, l0, a, b).0
    };
    let (start, step): (Vec<f64>, Vec<f64>) =
        if optimise { (vec![-1.0, 0.0, 0.0], vec![1.0, 1.0, 0.7]) } else { (vec![-1.0, 0.0], vec![1.0, 1.0]) };
    let best = nelder_mead(obj, &start, &step, 150 * (start.len() + 1), 1e-9);
    if !best.value.is_finite() {
        return None;
    }
    let (alpha, theta, l0) = decode(&best.x);
    let (sse, last) = run(&x, theta, alpha, l0, a, b);
    Some(ThetaFit { theta, alpha, l0, a, b, season, last, n, mse: sse / n as f64 })
}

impl ThetaFit {
    /// Point forecasts and standard deviations for steps 1..=h after the data (variance of
    /// SES, σ²(1 + (h − 1)α²), on the deseasonalised scale, reseasonalised).
    pub fn forecast(&self, h: usize) -> (Vec<f64>, Vec<f64>) {
        let w = 1.0 / self.theta;
        let mut mean = Vec::with_capacity(h);
        let mut sd = Vec::with_capacity(h);
        for j in 1..=h {
            let t = self.n - 1 + j;
            let x = (1.0 - w) * (self.a + self.b * t as f64) + w * self.last;
            let s = (self.mse * (1.0 + (j as f64 - 1.0) * self.alpha * self.alpha)).sqrt();
            match &self.season {
                Some(se) => {
                    mean.push(se.apply(t, x));
                    sd.push(if se.multiplicative { s * se.index[t % se.m] } else { s });
                }
                None => {
                    mean.push(x);
                    sd.push(s);
                }
            }
        }
        (mean, sd)
    }

    /// Rolling-origin forecasts with the fitted α, θ and initial level: for every origin `o`
    /// in `first..n` (the model has seen `y[..o]`, the regression line refitted on them),
    /// calls `visit(o, forecasts for times o..o+h)`.
    pub fn rolling(&self, y: &[f64], first: usize, h: usize, mut visit: impl FnMut(usize, &[f64])) {
        let n = y.len();
        let x: Vec<f64> = match &self.season {
            Some(s) => y.iter().enumerate().map(|(t, v)| s.remove(t, *v)).collect(),
            None => y.to_vec(),
        };
        let (alpha, theta) = (self.alpha, self.theta);
        let q = 1.0 - alpha;
        let w = 1.0 / theta;
        // SES of x, of the constant 1 and of t, all from level 0; q^o for the initial level.
        let (mut sx, mut s1, mut st, mut qo) = (0.0, 0.0, 0.0, 1.0);
        // Running sums for the regression on the prefix.
        let (mut n0, mut sum_t, mut sum_tt, mut sum_x, mut sum_tx) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut out = Vec::with_capacity(h);
        for o in 1..=n {
            let t = (o - 1) as f64;
            let v = x[o - 1];
            sx = q * sx + alpha * v;
            s1 = q * s1 + alpha;
            st = q * st + alpha * t;
            qo *= q;
            n0 += 1.0;
            sum_t += t;
            sum_tt += t * t;
            sum_x += v;
            sum_tx += t * v;
            if o < first.max(3) || o >= n {
                continue;
            }
            let den = n0 * sum_tt - sum_t * sum_t;
            let b = if den > 0.0 { (n0 * sum_tx - sum_t * sum_x) / den } else { 0.0 };
            let a = (sum_x - b * sum_t) / n0;
            let level = qo * self.l0 + theta * sx + (1.0 - theta) * (a * s1 + b * st);
            out.clear();
            for j in 1..=h {
                let tt = o - 1 + j;
                let f = (1.0 - w) * (a + b * tt as f64) + w * level;
                out.push(match &self.season {
                    Some(se) => se.apply(tt, f),
                    None => f,
                });
            }
            visit(o, &out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_theta_is_ses_with_half_the_drift() {
        // Hyndman & Billah (2003): forecast = SES(x) + (B/2)(h − 1 + (1 − (1−α)^n)/α).
        let n = 200;
        let x: Vec<f64> = (0..n).map(|t| 50.0 + 0.8 * t as f64 + 6.0 * ((t * 37 % 11) as f64 - 5.0)).collect();
        let ts: Vec<f64> = (0..n).map(|t| t as f64).collect();
        let (a, b) = ols(&ts, &x);
        let (alpha, lx) = (0.3, 47.0);
        let l0 = 2.0 * lx - a; // the Z line's initial level matching SES's ℓ0 on x
        let (_, last) = run(&x, 2.0, alpha, l0, a, b);
        let fit = ThetaFit { theta: 2.0, alpha, l0, a, b, season: None, last, n, mse: 1.0 };
        let (mean, _) = fit.forecast(10);
        let mut l = lx;
        for v in &x {
            l = alpha * v + (1.0 - alpha) * l;
        }
        let q: f64 = 1.0 - alpha;
        for (h, f) in mean.iter().enumerate() {
            let hb = l + b / 2.0 * (h as f64 + (1.0 - q.powi(n as i32)) / alpha);
            assert!((f - hb).abs() < 1e-9 * hb.abs(), "step {}: {f} vs {hb}", h + 1);
        }
    }

    #[test]
    fn rolling_forecasts_at_the_end_match_a_refit_line() {
        let y: Vec<f64> = (0..40).map(|t| 20.0 + t as f64 + ((t * 13 % 7) as f64)).collect();
        let f = fit(&y, 1, true).unwrap();
        // At origin n−1, the rolling forecast equals a model with the same α, θ, ℓ0 on y[..n−1].
        let o = y.len() - 1;
        let ts: Vec<f64> = (0..o).map(|t| t as f64).collect();
        let (a, b) = ols(&ts, &y[..o]);
        let (_, last) = run(&y[..o], f.theta, f.alpha, f.l0, a, b);
        let g = ThetaFit { a, b, last, n: o, ..f.clone() };
        let (want, _) = g.forecast(1);
        let mut got = None;
        f.rolling(&y, o, 1, |origin, fc| {
            if origin == o {
                got = Some(fc[0]);
            }
        });
        let got = got.unwrap();
        assert!((got - want[0]).abs() < 1e-9 * want[0].abs(), "{got} vs {}", want[0]);
    }

    #[test]
    fn classical_decomposition_recovers_a_multiplicative_pattern() {
        let pattern = [1.2, 0.9, 1.05, 0.85];
        let mean = pattern.iter().sum::<f64>() / 4.0;
        let y: Vec<f64> = (0..24).map(|t| 100.0 * pattern[t % 4]).collect();
        let idx = classical_indices(&y, 4, true).unwrap();
        for (i, p) in pattern.iter().enumerate() {
            assert!((idx[i] - p / mean).abs() < 1e-12);
        }
        assert!(seasonality_test(&y, 4));
        let trend: Vec<f64> = (0..24).map(|t| t as f64).collect();
        assert!(!seasonality_test(&trend, 4) || classical_indices(&trend, 4, false).is_some());
    }
}
