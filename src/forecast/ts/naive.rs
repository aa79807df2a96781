//! The seasonal naive method: each step repeats the value one season earlier (the last value
//! when `m = 1`). The benchmark every other method must beat, and the fallback for series too
//! short for anything else. Its own standard deviation for step h is `σ √k` with `σ` the RMS of
//! the in-sample seasonal differences and `k = ⌈h/m⌉` (Hyndman & Athanasopoulos, *Forecasting:
//! Principles and Practice*, §5.5).

/// Point forecasts and standard deviations for steps 1..=h; `y` non-empty.
pub fn forecast(y: &[f64], m: usize, h: usize) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    let m = m.clamp(1, n.max(1));
    let diffs: Vec<f64> = (m..n).map(|t| y[t] - y[t - m]).collect();
    let sigma =
        if diffs.is_empty() { 0.0 } else { (diffs.iter().map(|e| e * e).sum::<f64>() / diffs.len() as f64).sqrt() };
    let mut mean = Vec::with_capacity(h);
    let mut sd = Vec::with_capacity(h);
    for j in 1..=h {
        mean.push(y[n - m + (j - 1) % m]);
        sd.push(sigma * (((j - 1) / m + 1) as f64).sqrt());
    }
    (mean, sd)
}

/// Rolling-origin forecasts: for each origin `o` in `first..n`, `visit(o, forecasts for o..o+h)`.
pub fn rolling(y: &[f64], m: usize, first: usize, h: usize, mut visit: impl FnMut(usize, &[f64])) {
    let n = y.len();
    let mut out = Vec::with_capacity(h);
    for o in first.max(m)..n {
        out.clear();
        out.extend((1..=h).map(|j| y[o - m + (j - 1) % m]));
        visit(o, &out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_the_last_season() {
        let y = [1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 4.0, 5.0];
        let (mean, sd) = forecast(&y, 4, 6);
        assert_eq!(mean, [2.0, 3.0, 4.0, 5.0, 2.0, 3.0]);
        assert!((sd[0] - 1.0).abs() < 1e-12 && (sd[4] - 2f64.sqrt()).abs() < 1e-12);
    }
}
