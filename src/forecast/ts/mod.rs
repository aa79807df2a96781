//! Univariate time-series forecasts with prediction intervals.
//!
//! The contract other modules rely on: [`forecast`] takes a series (oldest first, no gaps),
//! a horizon and a season length, and returns for each step 1..=horizon the P10, P50 and P90
//! of the value, plus the name of the method that produced them and notes (fallbacks taken).
//! It never returns NaN or infinity for finite input, and never panics.
//!
//! Inside ([`forecast_with`] for the options): seasonal naive ([`naive`]), AutoETS over the
//! additive and multiplicative, damped and seasonal state-space models ([`ets`], Hyndman et
//! al. 2008), standard and optimised Theta ([`theta`], Assimakopoulos & Nikolopoulos 2000;
//! Fiorucci et al. 2016) and their equal-weight combination (with the seasonal naive, for a
//! seasonal series of at least [`FIXED_COMBINATION_SEASONS`] seasons). Such a series gets the
//! combination; any other the candidate chosen by rolling-origin validation ([`select`]).
//! Intervals come from the larger of the model's own spread and its rolling-origin errors
//! ([`intervals`]). Fallbacks, each recorded in `notes`: a series shorter than two seasons is
//! forecast without seasonality; a constant series is forecast as its value with no spread; a
//! series too short for any model (fewer than 5 values) gets the naive forecast; values ≤ 0
//! exclude the multiplicative models.

pub mod ets;
pub mod intervals;
pub mod naive;
pub mod optim;
pub mod select;
pub mod theta;

use crate::forecast::Note;
use crate::{Error, Result};

/// The 10%, 50% and 90% quantiles of one forecast step.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

impl Step {
    /// The `q` quantile (0 < q < 1), interpolated through the three stored quantiles on the
    /// normal scale (a normal below/above the median with the spread each side implies).
    pub fn quantile(&self, q: f64) -> f64 {
        const Z90: f64 = 1.281_551_565_545;
        let z = normal_quantile(q.clamp(1e-6, 1.0 - 1e-6));
        let spread = if z < 0.0 { self.p50 - self.p10 } else { self.p90 - self.p50 };
        self.p50 + z / Z90 * spread.max(0.0)
    }
}

/// A forecast of one series.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeriesForecast {
    /// Which method (or combination) produced it, e.g. `seasonal-naive`.
    pub method: String,
    /// Steps 1..=horizon.
    pub steps: Vec<Step>,
    /// Human-readable notes, e.g. a fallback taken because the series is short.
    pub notes: Vec<Note>,
}

/// Which forecaster to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// The default: for a seasonal series of at least [`FIXED_COMBINATION_SEASONS`] seasons
    /// the combination; otherwise rolling-origin selection among all of the below.
    #[default]
    Auto,
    SeasonalNaive,
    /// AutoETS by AICc.
    Ets,
    /// Standard Theta (θ = 2).
    Theta,
    /// Optimised Theta (θ, α and the initial level fitted).
    OptimizedTheta,
    /// The equal-weight mean of AutoETS, Theta and optimised Theta, and of the seasonal naive
    /// for a seasonal series.
    Combination,
}

impl std::str::FromStr for Method {
    type Err = String;
    /// The kebab-case names of the serde form (what `forecast-series --method` takes).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| {
            format!("unknown method {s:?} (expected auto, seasonal-naive, ets, theta, optimized-theta or combination)")
        })
    }
}

/// Options of [`forecast_with`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub horizon: usize,
    /// Season length (1 = none).
    pub season: usize,
    pub method: Method,
    /// Widening of the rolling-origin spread (see [`intervals::WIDEN`]).
    pub widen: f64,
}

impl Options {
    pub fn new(horizon: usize, season: usize) -> Self {
        Options { horizon, season, method: Method::Auto, widen: intervals::WIDEN }
    }
}

/// Forecasts `horizon` steps of `y` (oldest first) with season length `season` (1 = none).
pub fn forecast(y: &[f64], horizon: usize, season: usize) -> Result<SeriesForecast> {
    forecast_with(y, &Options::new(horizon, season))
}

/// Forecasts with explicit options.
pub fn forecast_with(y: &[f64], opts: &Options) -> Result<SeriesForecast> {
    if y.is_empty() {
        return Err(Error::InvalidArgument("cannot forecast an empty series".into()));
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument(format!("value {} of the series is not a finite number", i + 1)));
    }
    if !(opts.widen.is_finite() && opts.widen > 0.0) {
        return Err(Error::InvalidArgument(format!("the interval widening must be positive, got {}", opts.widen)));
    }
    let h = opts.horizon;
    let n = y.len();
    let mut notes = Vec::new();
    let mut m = opts.season.max(1);
    let (lo, hi) = y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    if hi - lo <= 1e-12 * hi.abs().max(lo.abs()) {
        notes.push(Note::new(
            format!("constant series (every value is {}): forecast is that value", y[0]),
            format!("常数序列（每个值都是 {}）：预测即为该值", y[0]),
        ));
        let s = Step { p10: y[0], p50: y[0], p90: y[0] };
        return Ok(SeriesForecast { method: "constant".into(), steps: vec![s; h], notes });
    }
    if let Some(scale) = extreme_scale(lo, hi) {
        // Fitted at a power-of-two scale, which is exact in floating point: squared errors of
        // values near 1e300 overflow (the spread came out 0) and of values near 1e-300 vanish.
        let scaled: Vec<f64> = y.iter().map(|v| v * scale).collect();
        let mut f = forecast_with(&scaled, opts)?;
        for s in &mut f.steps {
            for v in [&mut s.p10, &mut s.p50, &mut s.p90] {
                *v = (*v / scale).clamp(f64::MIN, f64::MAX);
            }
        }
        return Ok(f);
    }
    if m > 1 && n < 2 * m {
        notes.push(Note::new(
            format!(
                "{n} observations are too few for season {m} (at least {} needed): forecast without seasonality",
                2 * m
            ),
            format!("{n} 个观测值不足以估计周期为 {m} 的季节性（至少需要 {} 个）：按无季节性预测", 2 * m),
        ));
        m = 1;
    }
    let positive = lo > 0.0;
    if !positive && opts.method != Method::SeasonalNaive {
        notes.push(Note::new(
            "values ≤ 0: multiplicative models excluded, additive intervals",
            "有 ≤ 0 的值：不用乘法模型，区间按加法计算",
        ));
    }
    if h == 0 {
        return Ok(SeriesForecast { method: "none".into(), steps: Vec::new(), notes });
    }
    if n < 5 && opts.method != Method::SeasonalNaive {
        notes.push(Note::new(
            format!("{n} observations are too few for a model: naive forecast"),
            format!("{n} 个观测值不足以拟合模型：用朴素预测（沿用最后一个值）"),
        ));
        return Ok(naive_forecast(y, 1, h, notes, opts.widen));
    }
    let chosen = choose(y, m, h, opts.method, positive);
    let Some(sel) = chosen else {
        notes.push(Note::new(
            format!("no model could be fitted ({:?}): seasonal naive forecast", opts.method),
            format!("无法拟合模型（{:?}）：用季节性朴素预测", opts.method),
        ));
        return Ok(naive_forecast(y, m, h, notes, opts.widen));
    };
    let rms = sel.bank.rms();
    let steps = intervals::steps(&sel.mean, &sel.sd, rms.as_deref(), sel.bank.log_scale, opts.widen);
    if steps.iter().any(|s| !(s.p10.is_finite() && s.p50.is_finite() && s.p90.is_finite())) {
        notes.push(Note::new(
            format!("{} gave a non-finite forecast: seasonal naive forecast", sel.name),
            format!("{} 的预测值不是有限数：改用季节性朴素预测", sel.name),
        ));
        return Ok(naive_forecast(y, m, h, notes, opts.widen));
    }
    Ok(SeriesForecast { method: sel.name, steps, notes })
}

/// A power of two that brings a series whose largest magnitude lies outside [1e-100, 1e100]
/// to about 1; `None` for any other series (left as it is, bit for bit).
fn extreme_scale(lo: f64, hi: f64) -> Option<f64> {
    let top = lo.abs().max(hi.abs());
    if (1e-100..=1e100).contains(&top) || top == 0.0 || !top.is_finite() {
        return None;
    }
    // 2^k for k in [-1022, 1023] is a normal number; a series' exponent stays inside that.
    Some(2f64.powi((-top.log2().round() as i32).clamp(-1022, 1023)))
}

/// Seasons of data from which a seasonal series is forecast by the fixed combination.
pub const FIXED_COMBINATION_SEASONS: usize = 4;

fn choose(y: &[f64], m: usize, h: usize, method: Method, positive: bool) -> Option<select::Selected> {
    let want = |x: Method| method == Method::Auto || method == x;
    let combo = method == Method::Auto || method == Method::Combination;
    let mut cands = Vec::new();
    if want(Method::SeasonalNaive) {
        cands.push(select::snaive(y, m, h));
    }
    let e =
        if want(Method::Ets) || combo { ets::auto_ets(y, m).map(|f| select::ets_candidate(&f, y, m, h)) } else { None };
    let season = theta::seasonal_adjustment(y, m);
    let t = if want(Method::Theta) || combo {
        theta::fit_with(y, season.clone(), false).map(|f| select::theta_candidate(&f, y, m, h, "theta"))
    } else {
        None
    };
    let o = if want(Method::OptimizedTheta) || combo {
        theta::fit_with(y, season, true).map(|f| select::theta_candidate(&f, y, m, h, "optimized-theta"))
    } else {
        None
    };
    let mut default = 0;
    if combo {
        // A seasonal series with at least FIXED_COMBINATION_SEASONS seasons: the seasonal naive
        // joins the combination, and the combination is the forecast (no per-series choice).
        // On the tourism training data (last horizon held out) that gave MASE 1.871 quarterly
        // and 1.815 monthly against 1.893 and 1.818 for the per-series choice: choosing adds
        // noise that averaging does not (the "forecast combination puzzle", Claeskens et al.
        // 2016, IJF 32(3)). Shorter series keep the choice: there AutoETS is rarely seasonal
        // and its mean drags the season out of the combination (the simulator's 12 quarters).
        let fixed = m > 1 && (y.len() >= FIXED_COMBINATION_SEASONS * m || method == Method::Combination);
        let n = fixed.then(|| select::snaive(y, m, h));
        let parts: Vec<&select::Candidate> = [&e, &t, &o, &n].into_iter().flatten().collect();
        if parts.len() >= 2 {
            let c = select::combine(&parts);
            if fixed {
                return pick(vec![c], 0, y, m, h, positive);
            }
            default = cands.len();
            cands.push(c);
        }
    }
    for (c, k) in [(e, Method::Ets), (t, Method::Theta), (o, Method::OptimizedTheta)] {
        if let Some(c) = c.filter(|_| want(k)) {
            cands.push(c);
        }
    }
    pick(cands, default, y, m, h, positive)
}

/// [`select::pick`], on the log scale when the series and every candidate's forecast are
/// positive. A lone candidate is picked too: its rolling-origin errors calibrate its intervals.
fn pick(
    cands: Vec<select::Candidate>,
    default: usize,
    y: &[f64],
    m: usize,
    h: usize,
    positive: bool,
) -> Option<select::Selected> {
    let log_scale = positive && cands.iter().all(|c| c.mean.iter().all(|v| *v > 0.0));
    select::pick(cands, default, y, m, h, log_scale)
}

fn naive_forecast(y: &[f64], m: usize, h: usize, notes: Vec<Note>, widen: f64) -> SeriesForecast {
    let (mean, sd) = naive::forecast(y, m, h);
    let steps = intervals::steps(&mean, &sd, None, false, widen);
    SeriesForecast { method: if m > 1 { "seasonal-naive".into() } else { "naive".into() }, steps, notes }
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9
/// after one refinement is not needed at this use).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549671010115819,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    let p_low = 0.02425;
    if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_near_the_ends_of_the_float_range_keep_their_spread() {
        let base: Vec<f64> =
            (0..40).map(|i| 100.0 + 10.0 * (i % 4) as f64 + 5.0 * (i as f64 * 0.7).sin() + i as f64).collect();
        let f = forecast(&base, 8, 4).unwrap();
        for k in [1e300, 1e-300] {
            let y: Vec<f64> = base.iter().map(|v| v * k).collect();
            let g = forecast(&y, 8, 4).unwrap();
            assert_eq!(g.method, f.method);
            // The same fit up to the optimiser's stopping tolerance (the series at scale 1 and
            // at about 1/150 differ by some 1e-5 in relative terms).
            for (a, b) in f.steps.iter().zip(&g.steps) {
                assert!(b.p10 < b.p50 && b.p50 < b.p90, "×{k:e}: {b:?}");
                assert!((b.p50 / k / a.p50 - 1.0).abs() < 1e-3, "×{k:e}: {b:?} against {a:?}");
                let width = |s: &Step| (s.p90 - s.p10) / s.p50;
                assert!((width(b) / width(a) - 1.0).abs() < 1e-3, "×{k:e}: {b:?} against {a:?}");
            }
        }
        // Ordinary magnitudes are not rescaled.
        assert_eq!(extreme_scale(-5e99, 3.0), None);
        assert_eq!(extreme_scale(1e-99, 1e-99), None);
        assert_eq!(extreme_scale(0.0, 0.0), None);
    }

    #[test]
    fn fallbacks_are_noted_in_english_and_chinese() {
        let zh = |y: &[f64], h: usize, m: usize| -> Vec<String> {
            let f = forecast(y, h, m).unwrap();
            assert!(f.notes.iter().all(|n| n.zh != n.en && !n.en.is_empty()), "{:?}", f.notes);
            f.notes.into_iter().map(|n| n.zh).collect()
        };
        assert_eq!(zh(&[3.0; 6], 2, 1), ["常数序列（每个值都是 3）：预测即为该值"]);
        let short: Vec<f64> = (1..=6).map(f64::from).collect();
        assert_eq!(zh(&short, 2, 4), ["6 个观测值不足以估计周期为 4 的季节性（至少需要 8 个）：按无季节性预测"]);
        assert_eq!(
            zh(&[0.0, 1.0, 2.0], 2, 1),
            ["有 ≤ 0 的值：不用乘法模型，区间按加法计算", "3 个观测值不足以拟合模型：用朴素预测（沿用最后一个值）"]
        );
    }

    #[test]
    fn seasonal_naive_repeats_the_last_season_and_widens() {
        let y = [1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 4.0, 5.0];
        let f = forecast_with(&y, &Options { method: Method::SeasonalNaive, ..Options::new(8, 4) }).unwrap();
        let p50: Vec<f64> = f.steps.iter().map(|s| s.p50).collect();
        assert_eq!(p50, [2.0, 3.0, 4.0, 5.0, 2.0, 3.0, 4.0, 5.0]);
        assert!(f.steps[4].p90 - f.steps[4].p10 > f.steps[0].p90 - f.steps[0].p10);
    }

    #[test]
    fn long_seasonal_series_get_the_fixed_combination_short_ones_the_choice() {
        // A monthly pattern with growth and a little deterministic noise.
        let y: Vec<f64> = (0..60)
            .map(|t| {
                let season = [0.8, 0.7, 1.0, 1.1, 1.2, 1.0, 0.9, 0.9, 1.1, 1.3, 1.2, 0.8][t % 12];
                (100.0 + 2.0 * t as f64) * season + ((t * 7919) % 13) as f64
            })
            .collect();
        let long = forecast(&y[..FIXED_COMBINATION_SEASONS * 12], 12, 12).unwrap();
        assert!(long.method.starts_with("mean(") && long.method.contains("seasonal-naive"), "{}", long.method);
        let short = forecast(&y[..FIXED_COMBINATION_SEASONS * 12 - 1], 12, 12).unwrap();
        assert!(!(short.method.starts_with("mean(") && short.method.contains("seasonal-naive")), "{}", short.method);
        let forced = forecast_with(&y[..30], &Options { method: Method::Combination, ..Options::new(12, 12) }).unwrap();
        assert!(forced.method.contains("seasonal-naive"), "{}", forced.method);
    }

    #[test]
    fn methods_parse_from_their_names() {
        let all = [
            ("auto", Method::Auto),
            ("seasonal-naive", Method::SeasonalNaive),
            ("ets", Method::Ets),
            ("theta", Method::Theta),
            ("optimized-theta", Method::OptimizedTheta),
            ("combination", Method::Combination),
        ];
        for (name, m) in all {
            assert_eq!(name.parse::<Method>(), Ok(m));
        }
        let e = "arima".parse::<Method>().unwrap_err();
        assert!(e.contains("\"arima\"") && e.contains("optimized-theta"), "{e}");
    }

    #[test]
    fn normal_quantile_matches_known_values() {
        assert!((normal_quantile(0.9) - 1.2815515655).abs() < 1e-8);
        assert!((normal_quantile(0.025) + 1.9599639845).abs() < 1e-8);
        assert!(normal_quantile(0.5).abs() < 1e-12);
    }

    /// AirPassengers (Box & Jenkins 1976, monthly airline passengers 1949–1960, thousands), as
    /// shipped in `statsforecast.utils.AirPassengers`.
    const AIR: [f64; 144] = [
        112., 118., 132., 129., 121., 135., 148., 148., 136., 119., 104., 118., 115., 126., 141., 135., 125., 149.,
        170., 170., 158., 133., 114., 140., 145., 150., 178., 163., 172., 178., 199., 199., 184., 162., 146., 166.,
        171., 180., 193., 181., 183., 218., 230., 242., 209., 191., 172., 194., 196., 196., 236., 235., 229., 243.,
        264., 272., 237., 211., 180., 201., 204., 188., 235., 227., 234., 264., 302., 293., 259., 229., 203., 229.,
        242., 233., 267., 269., 270., 315., 364., 347., 312., 274., 237., 278., 284., 277., 317., 313., 318., 374.,
        413., 405., 355., 306., 271., 306., 315., 301., 356., 348., 355., 422., 465., 467., 404., 347., 305., 336.,
        340., 318., 362., 348., 363., 435., 491., 505., 404., 359., 310., 337., 360., 342., 406., 396., 420., 472.,
        548., 559., 463., 407., 362., 405., 417., 391., 419., 461., 472., 535., 622., 606., 508., 461., 390., 432.,
    ];

    /// Forecasts of statsforecast 2.1.1 on AirPassengers, h = 12, season 12:
    /// `Theta(season_length=12)`, `OptimizedTheta(season_length=12)`, `AutoETS(season_length=12)`.
    const SF_THETA: [f64; 12] = [
        440.9692, 429.2492, 490.6932, 476.6599, 480.631, 546.4555, 603.9526, 602.2949, 524.9896, 457.5294, 398.738,
        448.5247,
    ];
    const SF_OTM: [f64; 12] = [
        442.9425, 432.231, 495.3079, 482.308, 487.4948, 555.5809, 615.491, 615.2426, 537.5248, 469.5369, 410.1413,
        462.4023,
    ];
    const SF_ETS: [f64; 12] = [
        442.3572, 428.2674, 492.9748, 477.37, 477.6028, 535.858, 600.832, 594.7683, 513.7032, 448.2226, 390.3163,
        435.738,
    ];

    fn close(ours: &[f64], theirs: &[f64], rel: f64) {
        for (h, (a, b)) in ours.iter().zip(theirs).enumerate() {
            assert!((a - b).abs() <= rel * b.abs(), "step {}: ours {a} vs statsforecast {b}\n{ours:?}", h + 1);
        }
    }

    #[test]
    fn theta_matches_statsforecast_on_air_passengers() {
        let f = theta::fit(&AIR, 12, false).unwrap();
        assert!(f.season.as_ref().is_some_and(|s| s.multiplicative));
        close(&f.forecast(12).0, &SF_THETA, 0.005);
    }

    #[test]
    fn optimized_theta_matches_statsforecast_on_air_passengers() {
        let f = theta::fit(&AIR, 12, true).unwrap();
        close(&f.forecast(12).0, &SF_OTM, 0.02);
    }

    #[test]
    fn auto_ets_is_close_to_statsforecast_on_air_passengers() {
        // statsforecast also estimates the 12 initial seasonal states; ours come from a
        // decomposition of the first years and stay fixed (see ets.rs), which AirPassengers'
        // changing pattern punishes with a larger γ: the same family (multiplicative error and
        // season, ETS(M,A,M) in statsforecast) and forecasts within 15%, not exactly the same.
        let f = ets::auto_ets(&AIR, 12).unwrap();
        assert_eq!(f.spec.season, ets::SeasonKind::Multiplicative, "{}", f.spec.name());
        assert_eq!(f.spec.error, ets::ErrorKind::Multiplicative, "{}", f.spec.name());
        close(&f.forecast(12).0, &SF_ETS, 0.15);
    }

    #[test]
    fn ses_matches_statsforecast_ann() {
        // statsforecast AutoETS(model="ANN") on these 18 values: α = 0.9999, forecast 340.2008.
        let y = [
            111.0091, 130.8284, 141.2871, 154.2278, 162.7409, 192.1665, 240.7997, 304.2174, 384.0046, 429.6622,
            359.3169, 437.2519, 468.4008, 424.4353, 487.9794, 509.8284, 506.3473, 340.1842,
        ];
        let spec = ets::Spec {
            error: ets::ErrorKind::Additive,
            trend: ets::TrendKind::None,
            season: ets::SeasonKind::None,
            m: 1,
        };
        let f = ets::fit_precise(spec, &y).unwrap();
        assert!(f.params.alpha > 0.99, "{:?}", f.params);
        close(&f.forecast(3).0, &[340.2008; 3], 1e-4);
    }

    #[test]
    fn every_output_is_finite_and_ordered() {
        let cases: Vec<(Vec<f64>, usize)> = vec![
            (AIR.to_vec(), 12),
            (AIR[..20].to_vec(), 12),
            (vec![0.0; 30], 4),
            (vec![5.0; 3], 4),
            ((0..40).map(|t| (t as f64 * 0.7).sin() * 10.0 - 3.0).collect(), 4),
            ((0..30).map(|t| if t % 3 == 0 { 0.0 } else { t as f64 }).collect(), 4),
            (vec![1.0, 1e12, 1.0, 1e-12, 1.0, 1e12], 2),
            (vec![7.0], 1),
        ];
        for (y, m) in cases {
            let f = forecast(&y, 9, m).unwrap();
            assert_eq!(f.steps.len(), 9);
            for s in &f.steps {
                assert!(s.p10.is_finite() && s.p50.is_finite() && s.p90.is_finite(), "{y:?}: {f:?}");
                assert!(s.p10 <= s.p50 && s.p50 <= s.p90, "{y:?}: {f:?}");
            }
        }
    }
}
