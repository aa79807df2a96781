//! Univariate time-series forecasts with prediction intervals.
//!
//! The contract other modules rely on: [`forecast`] takes a series (oldest first, no gaps),
//! a horizon and a season length, and returns for each step 1..=horizon the P10, P50 and P90
//! of the value, plus the name of the method that produced them and notes (fallbacks taken).
//! It never returns NaN or infinity for finite input, and never panics.
//!
//! This first version is a seasonal naive forecast with intervals from its own rolling-origin
//! errors; the model selection (ETS, Theta, …) replaces the inside, not the signature.

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
    pub notes: Vec<String>,
}

/// Forecasts `horizon` steps of `y` (oldest first) with season length `season` (1 = none).
pub fn forecast(y: &[f64], horizon: usize, season: usize) -> Result<SeriesForecast> {
    if y.is_empty() {
        return Err(Error::InvalidArgument("cannot forecast an empty series".into()));
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument(format!("value {} of the series is not a finite number", i + 1)));
    }
    let mut notes = Vec::new();
    let mut m = season.max(1);
    if y.len() < 2 * m {
        notes.push(format!("{} observations are too few for season {m}: no seasonality used", y.len()));
        m = 1;
    }
    let n = y.len();
    // In-sample one-season-ahead errors scale the intervals; at least one error of zero.
    let errors: Vec<f64> = (m..n).map(|t| y[t] - y[t - m]).collect();
    let sigma =
        if errors.is_empty() { 0.0 } else { (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt() };
    const Z90: f64 = 1.281_551_565_545;
    let steps = (1..=horizon)
        .map(|h| {
            let p50 = y[n - m + (h - 1) % m];
            let k = ((h - 1) / m + 1) as f64;
            let half = Z90 * sigma * k.sqrt();
            Step { p10: p50 - half, p50, p90: p50 + half }
        })
        .collect();
    Ok(SeriesForecast { method: "seasonal-naive".into(), steps, notes })
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9
/// after one refinement is not needed at this use).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
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
    fn seasonal_naive_repeats_the_last_season_and_widens() {
        let y = [1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 4.0, 5.0];
        let f = forecast(&y, 8, 4).unwrap();
        let p50: Vec<f64> = f.steps.iter().map(|s| s.p50).collect();
        assert_eq!(p50, [2.0, 3.0, 4.0, 5.0, 2.0, 3.0, 4.0, 5.0]);
        assert!(f.steps[4].p90 - f.steps[4].p10 > f.steps[0].p90 - f.steps[0].p10);
    }

    #[test]
    fn normal_quantile_matches_known_values() {
        assert!((normal_quantile(0.9) - 1.2815515655).abs() < 1e-8);
        assert!((normal_quantile(0.025) + 1.9599639845).abs() < 1e-8);
        assert!(normal_quantile(0.5).abs() < 1e-12);
    }
}
