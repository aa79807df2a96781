//! A small Nelder–Mead simplex minimiser (Nelder & Mead 1965, with the adaptive coefficients of
//! Gao & Han 2012 for higher dimensions) for the few-parameter likelihoods of ETS and Theta.
//!
//! Written here because no declared crate offers a derivative-free optimiser that works on a
//! plain closure (augurs-ets keeps its own private); the problems are small (≤ 6 parameters,
//! unconstrained after the caller's transforms), so a textbook simplex is enough.
//!
//! Invariants: the objective may return `f64::INFINITY` (or NaN, treated as infinity) for an
//! inadmissible point; the result is the best finite point seen, or the start when none was.

/// The minimiser's answer: the best point, its value and how many evaluations it took.
#[derive(Debug, Clone)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub evaluations: usize,
}

/// Minimises `f` from `start` with initial steps `step` (one per coordinate), stopping after
/// `max_evals` evaluations or when the simplex values agree to a relative `tol`.
pub fn nelder_mead(
    mut f: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    step: &[f64],
    max_evals: usize,
    tol: f64,
) -> Minimum {
    let d = start.len();
    let mut eval = |x: &[f64], count: &mut usize| {
        *count += 1;
        let v = f(x);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let mut count = 0;
    if d == 0 {
        let v = eval(start, &mut count);
        return Minimum { x: Vec::new(), value: v, evaluations: count };
    }
    let df = d as f64;
    let (alpha, gamma, rho, sigma) = (1.0, 1.0 + 2.0 / df, 0.75 - 1.0 / (2.0 * df), 1.0 - 1.0 / df);
    let mut pts: Vec<Vec<f64>> = Vec::with_capacity(d + 1);
    pts.push(start.to_vec());
    for i in 0..d {
        let mut p = start.to_vec();
        p[i] += if step[i] != 0.0 { step[i] } else { 0.1 };
        pts.push(p);
    }
    let mut vals: Vec<f64> = pts.iter().map(|p| eval(p, &mut count)).collect();
    let mut order: Vec<usize> = (0..=d).collect();
    let mut centroid = vec![0.0; d];
    let mut xr = vec![0.0; d];
    let mut xe = vec![0.0; d];
    let mut xc = vec![0.0; d];
    while count < max_evals {
        order.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        let (best, worst, second) = (order[0], order[d], order[d - 1]);
        let (fb, fw) = (vals[best], vals[worst]);
        if fb.is_finite() && fw.is_finite() && (fw - fb).abs() <= tol * (fb.abs() + tol) {
            break;
        }
        centroid.iter_mut().for_each(|c| *c = 0.0);
        for &i in &order[..d] {
            for (c, x) in centroid.iter_mut().zip(&pts[i]) {
                *c += x / df;
            }
        }
        for k in 0..d {
            xr[k] = centroid[k] + alpha * (centroid[k] - pts[worst][k]);
        }
        let fr = eval(&xr, &mut count);
        if fr < fb {
            for k in 0..d {
                xe[k] = centroid[k] + gamma * (xr[k] - centroid[k]);
            }
            let fe = eval(&xe, &mut count);
            if fe < fr {
                pts[worst].copy_from_slice(&xe);
                vals[worst] = fe;
            } else {
                pts[worst].copy_from_slice(&xr);
                vals[worst] = fr;
            }
            continue;
        }
        if fr < vals[second] {
            pts[worst].copy_from_slice(&xr);
            vals[worst] = fr;
            continue;
        }
        // Contraction: outside when the reflection helped a little, inside otherwise.
        let outside = fr < fw;
        for k in 0..d {
            xc[k] = if outside {
                centroid[k] + rho * (xr[k] - centroid[k])
            } else {
                centroid[k] - rho * (centroid[k] - pts[worst][k])
            };
        }
        let fc = eval(&xc, &mut count);
        if fc < fr.min(fw) {
            pts[worst].copy_from_slice(&xc);
            vals[worst] = fc;
            continue;
        }
        // Shrink towards the best point.
        let bp = pts[best].clone();
        for &i in &order[1..] {
            for k in 0..d {
                pts[i][k] = bp[k] + sigma * (pts[i][k] - bp[k]);
            }
            vals[i] = eval(&pts[i], &mut count);
        }
    }
    let best = (0..=d).min_by(|&a, &b| vals[a].total_cmp(&vals[b])).unwrap_or(0);
    Minimum { x: pts[best].clone(), value: vals[best], evaluations: count }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = nelder_mead(f, &[-1.2, 1.0], &[0.5, 0.5], 5000, 1e-14);
        assert!((m.x[0] - 1.0).abs() < 1e-3 && (m.x[1] - 1.0).abs() < 1e-3, "{m:?}");
    }

    #[test]
    fn infinite_regions_are_avoided() {
        // Minimum of (x-2)^2 restricted to x < 1.5 by an infinite wall: the answer is near the wall.
        let f = |x: &[f64]| if x[0] >= 1.5 { f64::INFINITY } else { (x[0] - 2.0).powi(2) };
        let m = nelder_mead(f, &[0.0], &[0.3], 500, 1e-12);
        assert!(m.x[0] < 1.5 && m.x[0] > 1.4, "{m:?}");
    }
}
