//! Exponential smoothing state-space models (ETS) and their automatic selection.
//!
//! The innovations state-space form of Hyndman, Koehler, Ord & Snyder (2008), *Forecasting
//! with Exponential Smoothing: The State Space Approach* (Springer), chapter 2 (Tables 2.2–2.3):
//! error additive or multiplicative, trend none / additive / additive damped, season none /
//! additive / multiplicative. With `r = y − μ` the one-step residual on the data's scale, every
//! member of the family updates its states by the same recursions
//!
//! ```text
//! T = ℓ + φb;   μ = T ⊕ s_{t−m}
//! ℓ ← T + α r / s̃;   b ← φb + β r / s̃;   s ← s + γ r / T̃
//! ```
//!
//! where `s̃ = s_{t−m}` and `T̃ = T` for a multiplicative season (1 otherwise); the error type
//! changes the likelihood only: `n ln Σε² + 2 Σ ln|k(x)|` with `ε = r`, `k = 1` (additive) or
//! `ε = r/μ`, `k = μ` (multiplicative) — §5.2. Parameters are estimated by maximum likelihood
//! with a Nelder–Mead search ([`super::optim`]) over the "usual" region (0 < β < α < 1,
//! 0 < γ < 1 − α, 0.8 ≤ φ ≤ 0.98), reached through logistic transforms so the search is
//! unconstrained. The initial level and slope are estimated too; the initial seasonal states
//! come from a classical decomposition of the first years (the heuristic of §2.6.1) and are
//! held fixed — fewer parameters make the fit several times faster than a search over all
//! `m` seasonal states, at a small cost in fit (they are still counted in AICc).
//!
//! [`auto_ets`] fits every admissible model and keeps the one with the lowest AICc (Hyndman &
//! Khandakar 2008, *Automatic time series forecasting: the forecast package for R*, JSS 27(3)),
//! with the restrictions of R's `ets` and statsforecast's `AutoETS`: no additive error with a
//! multiplicative season (infinite-variance forecasts), no multiplicative trend, and nothing
//! multiplicative when a value is ≤ 0. augurs-ets covers the non-seasonal half of this family;
//! the seasonal half is the reason this module exists (a unit test checks the non-seasonal
//! fits against augurs).
//!
//! Forecast variances: exact for the linear class (additive error and components, §6.3),
//! and the same expression on the relative scale for the multiplicative classes (a first-order
//! approximation; the intervals are calibrated on rolling-origin errors anyway, see
//! [`super::intervals`]).

use super::optim::nelder_mead;

/// Error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Additive,
    Multiplicative,
}

/// Trend type (multiplicative trends are not offered, as in statsforecast's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendKind {
    None,
    Additive,
    Damped,
}

/// Season type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeasonKind {
    None,
    Additive,
    Multiplicative,
}

/// One member of the family, e.g. ETS(M,Ad,M) with season length 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub error: ErrorKind,
    pub trend: TrendKind,
    pub season: SeasonKind,
    /// Season length (1 when `season` is `None`).
    pub m: usize,
}

impl Spec {
    /// The usual name, e.g. `ETS(M,Ad,M)`.
    pub fn name(&self) -> String {
        let e = match self.error {
            ErrorKind::Additive => "A",
            ErrorKind::Multiplicative => "M",
        };
        let t = match self.trend {
            TrendKind::None => "N",
            TrendKind::Additive => "A",
            TrendKind::Damped => "Ad",
        };
        let s = match self.season {
            SeasonKind::None => "N",
            SeasonKind::Additive => "A",
            SeasonKind::Multiplicative => "M",
        };
        format!("ETS({e},{t},{s})")
    }

    fn has_trend(&self) -> bool {
        self.trend != TrendKind::None
    }

    fn has_season(&self) -> bool {
        self.season != SeasonKind::None
    }

    fn multiplicative(&self) -> bool {
        self.error == ErrorKind::Multiplicative || self.season == SeasonKind::Multiplicative
    }

    /// Parameters counted by AICc: smoothing parameters, φ, the initial states, σ².
    fn n_params(&self) -> usize {
        let mut k = 1 + 1 + 1; // alpha, level, sigma
        if self.has_trend() {
            k += 2;
        }
        if self.trend == TrendKind::Damped {
            k += 1;
        }
        if self.has_season() {
            k += 1 + self.m - 1;
        }
        k
    }
}

/// Smoothing parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub phi: f64,
}

/// The states after some observation: level, slope and the last `m` seasonal states, where
/// `season[t % m]` is the one used at time `t`.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub level: f64,
    pub slope: f64,
    pub season: Vec<f64>,
}

/// A fitted model.
#[derive(Debug, Clone)]
pub struct Fit {
    pub spec: Spec,
    pub params: Params,
    /// States before the first observation.
    pub initial: State,
    /// States after the last observation.
    pub last: State,
    /// Number of observations fitted.
    pub n: usize,
    /// Innovation variance (of `r` for additive error, of `r/μ` for multiplicative).
    pub sigma2: f64,
    pub log_likelihood: f64,
    pub aicc: f64,
    /// The optimiser's coordinates of the solution (to restart from).
    raw: Vec<f64>,
}

/// Nelder–Mead budget per parameter and relative tolerance on −2 log L while comparing models
/// (on the tourism training data, 25 and 1e-5 gave the same accuracy as 80 and 1e-8 in 40% of
/// the time; the chosen model is then refined with a longer search).
pub const NM_EVALS: usize = 25;
pub const NM_TOL: f64 = 1e-5;
const ALPHA_LO: f64 = 1e-4;
const ALPHA_HI: f64 = 0.9999;
const PHI_LO: f64 = 0.8;
const PHI_HI: f64 = 0.98;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

/// The trend part `ℓ + φb` and the one-step forecast `μ` from `st`, with seasonal slot `j`.
#[inline(always)]
fn one_step(spec: &Spec, p: &Params, st: &State, j: usize) -> (f64, f64) {
    let trend = match spec.trend {
        TrendKind::None => st.level,
        TrendKind::Additive => st.level + st.slope,
        TrendKind::Damped => st.level + p.phi * st.slope,
    };
    let mu = match spec.season {
        SeasonKind::None => trend,
        SeasonKind::Additive => trend + st.season[j],
        SeasonKind::Multiplicative => trend * st.season[j],
    };
    (trend, mu)
}

/// Updates the states with observation `y` using seasonal slot `j` (= t mod m); returns
/// `(μ, r)` or `None` when a multiplicative model leaves the positive region.
#[inline(always)]
fn update(spec: &Spec, p: &Params, st: &mut State, j: usize, y: f64) -> Option<(f64, f64)> {
    let (trend, mu) = one_step(spec, p, st, j);
    let r = y - mu;
    let phi_b = match spec.trend {
        TrendKind::None => 0.0,
        TrendKind::Additive => st.slope,
        TrendKind::Damped => p.phi * st.slope,
    };
    match spec.season {
        SeasonKind::None => {
            st.level = trend + p.alpha * r;
            st.slope = phi_b + p.beta * r;
        }
        SeasonKind::Additive => {
            st.level = trend + p.alpha * r;
            st.slope = phi_b + p.beta * r;
            st.season[j] += p.gamma * r;
        }
        SeasonKind::Multiplicative => {
            let s = st.season[j];
            if trend <= 0.0 || s <= 0.0 {
                return None;
            }
            st.level = trend + p.alpha * r / s;
            st.slope = phi_b + p.beta * r / s;
            st.season[j] = s + p.gamma * r / trend;
        }
    }
    Some((mu, r))
}

/// Runs the model through `y`, calling `visit(t, &state_after_t)`; returns (Σε², Σ ln|k|) or
/// `None` when inadmissible.
fn filter(
    spec: &Spec,
    p: &Params,
    init: &State,
    y: &[f64],
    mut visit: impl FnMut(usize, &State),
) -> Option<(f64, f64)> {
    let mut st = init.clone();
    let (mut sse, mut logk) = (0.0, 0.0);
    let m = spec.m.max(1);
    let mult = spec.multiplicative();
    let mut j = 0;
    let mut prod = 1.0f64;
    for (t, &v) in y.iter().enumerate() {
        let (mu, r) = update(spec, p, &mut st, j, v)?;
        j += 1;
        if j == m {
            j = 0;
        }
        if mult && (mu <= 0.0 || st.level <= 0.0) {
            return None;
        }
        match spec.error {
            ErrorKind::Additive => sse += r * r,
            ErrorKind::Multiplicative => {
                let e = r / mu;
                sse += e * e;
                // Σ ln μ through a running product (one log per ~100 steps, not per step).
                prod *= mu;
                if !(1e-100..=1e100).contains(&prod) {
                    logk += prod.ln();
                    prod = 1.0;
                }
            }
        }
        visit(t, &st);
    }
    logk += prod.ln();
    if sse.is_finite() && logk.is_finite() { Some((sse, logk)) } else { None }
}

/// Initial states by the heuristic of Hyndman et al. (2008, §2.6.1): seasonal indices from a
/// classical decomposition of the first (up to four) whole seasons, then level and slope
/// from a regression on the first deseasonalised values.
pub fn initial_state(spec: &Spec, y: &[f64]) -> State {
    let n = y.len();
    let m = spec.m.max(1);
    let mut season = vec![if spec.season == SeasonKind::Multiplicative { 1.0 } else { 0.0 }; m];
    if spec.has_season() && n >= 2 * m {
        let k = (n / m).min(4) * m;
        let mult = spec.season == SeasonKind::Multiplicative;
        if let Some(idx) = super::theta::classical_indices(&y[..k], m, mult) {
            season = idx;
        }
    }
    let deseason = |t: usize| match spec.season {
        SeasonKind::None => y[t],
        SeasonKind::Additive => y[t] - season[t % m],
        SeasonKind::Multiplicative => y[t] / season[t % m],
    };
    let k = n.min(10usize.max(2 * m)).max(1);
    let (level, slope) = if spec.has_trend() && k >= 2 {
        let xs: Vec<f64> = (1..=k).map(|t| t as f64).collect();
        let ys: Vec<f64> = (0..k).map(deseason).collect();
        let (a, b) = ols(&xs, &ys);
        (a, b)
    } else {
        let kk = n.clamp(1, 10);
        ((0..kk).map(deseason).sum::<f64>() / kk as f64, 0.0)
    };
    let level = if spec.multiplicative() && level <= 0.0 { y[0].max(1e-8) } else { level };
    State { level, slope, season }
}

/// Ordinary least squares `y = a + b x`.
pub fn ols(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - b * mx, b)
}

struct Layout {
    spec: Spec,
    init: State,
    scale: f64,
}

impl Layout {
    fn decode(&self, x: &[f64]) -> (Params, State) {
        let mut i = 0;
        let mut next = || {
            i += 1;
            x[i - 1]
        };
        let alpha = ALPHA_LO + (ALPHA_HI - ALPHA_LO) * sigmoid(next());
        let beta = if self.spec.has_trend() { alpha * sigmoid(next()) } else { 0.0 };
        let gamma = if self.spec.has_season() { (1.0 - alpha) * sigmoid(next()) } else { 0.0 };
        let phi = match self.spec.trend {
            TrendKind::Damped => PHI_LO + (PHI_HI - PHI_LO) * sigmoid(next()),
            _ => 1.0,
        };
        let mut st = self.init.clone();
        st.level += self.scale * next();
        if self.spec.has_trend() {
            st.slope += 0.1 * self.scale * next();
        }
        (Params { alpha, beta, gamma, phi }, st)
    }

    fn start(&self) -> (Vec<f64>, Vec<f64>) {
        let mut x = vec![logit((0.2 - ALPHA_LO) / (ALPHA_HI - ALPHA_LO))];
        if self.spec.has_trend() {
            x.push(logit(0.1));
        }
        if self.spec.has_season() {
            x.push(logit(0.05));
        }
        if self.spec.trend == TrendKind::Damped {
            x.push(logit((0.95 - PHI_LO) / (PHI_HI - PHI_LO)));
        }
        x.push(0.0);
        if self.spec.has_trend() {
            x.push(0.0);
        }
        let step = vec![1.0; x.len()];
        (x, step)
    }
}

/// Fits `spec` to `y` by maximum likelihood; `None` when the series is too short for it or no
/// admissible parameters were found.
pub fn fit(spec: Spec, y: &[f64]) -> Option<Fit> {
    fit_from(spec, y, None, NM_EVALS, NM_TOL)
}

/// [`fit`] followed by a longer search from where it stopped (for a model used on its own).
pub fn fit_precise(spec: Spec, y: &[f64]) -> Option<Fit> {
    let f = fit(spec, y)?;
    match fit_from(spec, y, Some(&f.raw), 4 * NM_EVALS, 1e-10) {
        Some(g) if g.aicc <= f.aicc => Some(g),
        _ => Some(f),
    }
}

/// [`fit`] from a given optimiser start (a previous fit's), with a given budget and tolerance.
fn fit_from(spec: Spec, y: &[f64], start: Option<&[f64]>, evals: usize, tol: f64) -> Option<Fit> {
    let n = y.len();
    let k = spec.n_params();
    if n < k + 2 || (spec.has_season() && n < 2 * spec.m) {
        return None;
    }
    if spec.multiplicative() && y.iter().any(|v| *v <= 0.0) {
        return None;
    }
    let init = initial_state(&spec, y);
    let mean_abs = y.iter().map(|v| v.abs()).sum::<f64>() / n as f64;
    let sd = {
        let mu = y.iter().sum::<f64>() / n as f64;
        (y.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / n as f64).sqrt()
    };
    let scale = (0.2 * sd).max(1e-6 * mean_abs).max(1e-12);
    let layout = Layout { spec, init, scale };
    let nf = n as f64;
    let objective = |x: &[f64]| {
        let (p, st) = layout.decode(x);
        match filter(&spec, &p, &st, y, |_, _| {}) {
            Some((sse, logk)) => nf * (sse.max(1e-300) / nf).ln() + 2.0 * logk,
            None => f64::INFINITY,
        }
    };
    let (mut x0, mut step) = layout.start();
    if let Some(s) = start.filter(|s| s.len() == x0.len()) {
        x0.copy_from_slice(s);
        step.iter_mut().for_each(|v| *v = 0.2);
    }
    let dim = x0.len();
    let best = nelder_mead(objective, &x0, &step, evals * (dim + 1), tol);
    if !best.value.is_finite() {
        return None;
    }
    let (params, initial) = layout.decode(&best.x);
    let mut last = initial.clone();
    let (sse, logk) = filter(&spec, &params, &initial, y, |_, st| last.clone_from(st))?;
    let kf = k as f64;
    let lik = nf * (sse.max(1e-300) / nf).ln() + 2.0 * logk;
    let log_likelihood = -0.5 * (lik + nf * (1.0 + (2.0 * std::f64::consts::PI).ln()));
    let aic = -2.0 * log_likelihood + 2.0 * kf;
    let aicc = aic + 2.0 * kf * (kf + 1.0) / (nf - kf - 1.0);
    let sigma2 = sse / (nf - kf + 1.0).max(1.0);
    if !aicc.is_finite() || !sigma2.is_finite() {
        return None;
    }
    Some(Fit { spec, params, initial, last, n, sigma2, log_likelihood, aicc, raw: best.x })
}

/// The admissible candidates for a series (see the module docs for the restrictions).
pub fn candidates(m: usize, positive: bool, seasonal: bool) -> Vec<Spec> {
    let mut out = Vec::new();
    let errors: &[ErrorKind] =
        if positive { &[ErrorKind::Additive, ErrorKind::Multiplicative] } else { &[ErrorKind::Additive] };
    let seasons: &[SeasonKind] = match (seasonal && m > 1, positive) {
        (false, _) => &[SeasonKind::None],
        (true, true) => &[SeasonKind::None, SeasonKind::Additive, SeasonKind::Multiplicative],
        (true, false) => &[SeasonKind::None, SeasonKind::Additive],
    };
    for &error in errors {
        for trend in [TrendKind::None, TrendKind::Additive, TrendKind::Damped] {
            for &season in seasons {
                if error == ErrorKind::Additive && season == SeasonKind::Multiplicative {
                    continue;
                }
                let m = if season == SeasonKind::None { 1 } else { m };
                out.push(Spec { error, trend, season, m });
            }
        }
    }
    out
}

/// Fits every admissible model (with a short search) and returns the one with the lowest AICc,
/// its fit then refined by a longer search from where the short one stopped.
pub fn auto_ets(y: &[f64], m: usize) -> Option<Fit> {
    let positive = y.iter().all(|v| *v > 0.0);
    let seasonal = m > 1 && y.len() >= 2 * m;
    let best = candidates(m, positive, seasonal)
        .into_iter()
        .filter_map(|s| fit(s, y))
        .min_by(|a, b| a.aicc.total_cmp(&b.aicc))?;
    match fit_from(best.spec, y, Some(&best.raw), 4 * NM_EVALS, 1e-10) {
        Some(f) if f.aicc <= best.aicc => Some(f),
        _ => Some(best),
    }
}

impl Fit {
    /// Point forecasts `h` steps after a state `st` reached after time `t0 − 1` (so the first
    /// forecast is for time `t0`).
    pub fn mean_from(&self, st: &State, t0: usize, h: usize, out: &mut Vec<f64>) {
        out.clear();
        let p = &self.params;
        let mut damp = 0.0;
        let mut phik = 1.0;
        for j in 0..h {
            phik *= p.phi;
            damp += match self.spec.trend {
                TrendKind::None => 0.0,
                TrendKind::Additive => 1.0,
                TrendKind::Damped => phik,
            };
            let trend = st.level + damp * st.slope;
            let t = t0 + j;
            let mu = match self.spec.season {
                SeasonKind::None => trend,
                SeasonKind::Additive => trend + st.season[t % self.spec.m],
                SeasonKind::Multiplicative => trend * st.season[t % self.spec.m],
            };
            out.push(mu);
        }
    }

    /// Point forecasts and standard deviations for steps 1..=h after the data.
    pub fn forecast(&self, h: usize) -> (Vec<f64>, Vec<f64>) {
        let mut mean = Vec::with_capacity(h);
        self.mean_from(&self.last, self.n, h, &mut mean);
        let p = &self.params;
        let mut sds = Vec::with_capacity(h);
        let mut acc = 1.0;
        let mut damp = 0.0;
        let mut phik = 1.0;
        for (j, mu) in mean.iter().enumerate() {
            // v_h = σ²(1 + Σ_{i<h} c_i²), c_i = α + β Σ_{k≤i} φ^k + γ 1{i mod m = 0}.
            let sd_rel = (self.sigma2 * acc).sqrt();
            sds.push(match self.spec.error {
                ErrorKind::Additive => sd_rel,
                ErrorKind::Multiplicative => sd_rel * mu.abs(),
            });
            let i = j + 1;
            phik *= p.phi;
            damp += match self.spec.trend {
                TrendKind::None => 0.0,
                TrendKind::Additive => 1.0,
                TrendKind::Damped => phik,
            };
            let seas = if self.spec.has_season() && i % self.spec.m == 0 { p.gamma } else { 0.0 };
            let c = p.alpha + p.beta * damp + seas;
            acc += c * c;
        }
        (mean, sds)
    }

    /// Runs the fitted model through `y` (the data it was fitted on) and calls
    /// `visit(t, state)` with the states after each observation `t`.
    pub fn replay(&self, y: &[f64], visit: impl FnMut(usize, &State)) {
        let _ = filter(&self.spec, &self.params, &self.initial, y, visit);
    }

    /// Simple exponential smoothing fitted values are this model's one-step forecasts: the
    /// one-step forecast made after observation `t − 1` for time `t`.
    pub fn one_step_ahead(&self, st: &State, t: usize) -> f64 {
        one_step(&self.spec, &self.params, st, t % self.spec.m.max(1)).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simple exponential smoothing written from its textbook definition (Brown 1959):
    /// ℓ_t = α y_t + (1 − α) ℓ_{t−1}, forecast ℓ_n.
    fn ses(y: &[f64], alpha: f64, l0: f64) -> (f64, f64) {
        let mut l = l0;
        let mut sse = 0.0;
        for v in y {
            sse += (v - l) * (v - l);
            l = alpha * v + (1.0 - alpha) * l;
        }
        (l, sse)
    }

    const OIL: [f64; 18] = [
        111.0091, 130.8284, 141.2871, 154.2278, 162.7409, 192.1665, 240.7997, 304.2174, 384.0046, 429.6622, 359.3169,
        437.2519, 468.4008, 424.4353, 487.9794, 509.8284, 506.3473, 340.1842,
    ];

    #[test]
    fn ses_is_ets_ann() {
        let spec = Spec { error: ErrorKind::Additive, trend: TrendKind::None, season: SeasonKind::None, m: 1 };
        let f = fit(spec, &OIL).unwrap();
        let (l, sse) = ses(&OIL, f.params.alpha, f.initial.level);
        assert!((f.last.level - l).abs() < 1e-9 * l.abs());
        let (mean, _) = f.forecast(3);
        assert!(mean.iter().all(|m| (m - l).abs() < 1e-9 * l.abs()));
        // The fit minimises the SSE: no grid point of (α, ℓ0) does better.
        for a in 1..100 {
            for d in -20..=20 {
                let (_, s) = ses(&OIL, a as f64 / 100.0, f.initial.level + d as f64);
                assert!(s >= sse * (1.0 - 1e-6), "α={} ℓ0 shift {d}: {s} < {sse}", a as f64 / 100.0);
            }
        }
    }

    #[test]
    fn additive_seasonal_model_recovers_a_clean_pattern() {
        let pattern = [10.0, -5.0, 3.0, -8.0];
        let y: Vec<f64> = (0..40).map(|t| 100.0 + 0.5 * t as f64 + pattern[t % 4]).collect();
        let spec = Spec { error: ErrorKind::Additive, trend: TrendKind::Additive, season: SeasonKind::Additive, m: 4 };
        let f = fit(spec, &y).unwrap();
        let (mean, _) = f.forecast(8);
        for (h, m) in mean.iter().enumerate() {
            let t = 40 + h;
            let truth = 100.0 + 0.5 * t as f64 + pattern[t % 4];
            assert!((m - truth).abs() < 0.5, "step {}: {m} vs {truth}", h + 1);
        }
    }

    #[test]
    fn auto_ets_prefers_multiplicative_season_when_amplitude_grows() {
        let pattern = [1.3, 0.8, 1.1, 0.8];
        let y: Vec<f64> = (0..48)
            .map(|t| (50.0 + 3.0 * t as f64) * pattern[t % 4] * (1.0 + 0.01 * ((t * 7 % 5) as f64 - 2.0)))
            .collect();
        let f = auto_ets(&y, 4).unwrap();
        assert_eq!(f.spec.season, SeasonKind::Multiplicative, "{}", f.spec.name());
    }

    #[test]
    fn non_seasonal_auto_ets_agrees_with_augurs() {
        use augurs::{Fit as _, Predict as _};
        let ours = auto_ets(&OIL, 1).unwrap();
        let theirs = augurs::ets::AutoETS::non_seasonal().fit(&OIL).unwrap();
        let (mean, _) = ours.forecast(4);
        let p = theirs.predict(4, None::<f64>).unwrap();
        // Both select by AICc over the same non-seasonal family; forecasts agree within 5%.
        for (a, b) in mean.iter().zip(&p.point) {
            assert!((a - b).abs() < 0.05 * b.abs(), "ours {mean:?} augurs {:?}", p.point);
        }
    }
}
