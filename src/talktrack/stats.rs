//! The few special functions the talk-track model needs: `ln Γ` (Lanczos), the regularised
//! incomplete beta function (continued fraction, modified Lentz), Beta quantiles (bisection on
//! it), and an empirical-Bayes fit of a Beta prior's strength by maximising the beta-binomial
//! marginal likelihood over a log-spaced grid.
//!
//! Written here because none of the declared crates exposes them (`rand_distr` samples Beta
//! variates but has no CDF or quantile, and `statrs` is not a dependency); each is a textbook
//! algorithm (Press et al., *Numerical Recipes*, 3rd ed., §6.1 and §6.4; Lanczos 1964) with
//! unit tests against known values. Invariants: every function returns a finite number for
//! finite positive arguments.

/// `ln Γ(x)` for `x > 0` (Lanczos approximation, g = 7, 9 terms; relative error < 1e-13).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `ln B(a, b)`.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-14 {
            break;
        }
    }
    h
}

/// The regularised incomplete beta function `I_x(a, b)`: the CDF of Beta(a, b) at `x`.
pub fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (a * x.ln() + b * (1.0 - x).ln() - ln_beta(a, b)).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        (front * beta_cf(a, b, x) / a).clamp(0.0, 1.0)
    } else {
        (1.0 - front * beta_cf(b, a, 1.0 - x) / b).clamp(0.0, 1.0)
    }
}

/// The `q`-quantile of Beta(a, b), by bisection on the CDF (accurate to 1e-10).
pub fn beta_quantile(q: f64, a: f64, b: f64) -> f64 {
    let q = q.clamp(0.0, 1.0);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if beta_cdf(mid, a, b) < q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Log marginal likelihood of `s` successes in `n` trials under a Beta(κm, κ(1−m)) prior
/// (the binomial coefficient left out: it does not depend on the prior).
pub fn beta_binomial_ll(s: f64, n: f64, m: f64, kappa: f64) -> f64 {
    let m = m.clamp(1e-6, 1.0 - 1e-6);
    let (a, b) = (kappa * m, kappa * (1.0 - m));
    ln_beta(s + a, n - s + b) - ln_beta(a, b)
}

/// The grid of prior strengths searched by [`fit_strength`]: 1 to 10,000, 10 per decade.
pub fn strength_grid() -> Vec<f64> {
    (0..=40).map(|i| 10f64.powf(i as f64 / 10.0)).collect()
}

/// Empirical Bayes: the prior strength κ that maximises the beta-binomial marginal
/// likelihood of the nodes `(successes, trials, prior mean)`. Returns `None` when fewer than
/// three nodes carry data (too little to estimate a spread).
pub fn fit_strength(nodes: &[(f64, f64, f64)]) -> Option<f64> {
    let nodes: Vec<&(f64, f64, f64)> = nodes.iter().filter(|x| x.1 > 0.0).collect();
    if nodes.len() < 3 {
        return None;
    }
    let mut best = (f64::NEG_INFINITY, 1.0);
    for k in strength_grid() {
        let ll: f64 = nodes.iter().map(|&&(s, n, m)| beta_binomial_ll(s, n, m, k)).sum();
        if ll.is_finite() && ll > best.0 {
            best = (ll, k);
        }
    }
    Some(best.1)
}

pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials_and_sqrt_pi() {
        // Γ(n) = (n−1)!, Γ(1/2) = √π: independent closed forms.
        let mut f = 1.0f64;
        for n in 1..20 {
            assert!((ln_gamma(n as f64) - f.ln()).abs() < 1e-10, "n = {n}");
            f *= n as f64;
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(0.1) - 2.252_712_651_734_206).abs() < 1e-10);
    }

    #[test]
    fn beta_cdf_closed_forms() {
        // Beta(1, 1) is uniform; Beta(a, 1) has CDF x^a; Beta(1, b) has CDF 1 − (1−x)^b.
        for &x in &[0.01, 0.2, 0.5, 0.77, 0.99] {
            assert!((beta_cdf(x, 1.0, 1.0) - x).abs() < 1e-12);
            assert!((beta_cdf(x, 3.5, 1.0) - x.powf(3.5)).abs() < 1e-10);
            assert!((beta_cdf(x, 1.0, 4.0) - (1.0 - (1.0 - x).powi(4))).abs() < 1e-10);
        }
        // Symmetry: I_x(a, b) = 1 − I_{1−x}(b, a).
        assert!((beta_cdf(0.3, 20.0, 55.0) + beta_cdf(0.7, 55.0, 20.0) - 1.0).abs() < 1e-10);
    }

    #[test]
    fn beta_quantile_inverts_the_cdf() {
        for &(a, b) in &[(2.0, 5.0), (40.0, 120.0), (0.7, 0.9), (300.0, 900.0)] {
            for &q in &[0.025, 0.5, 0.975] {
                let x = beta_quantile(q, a, b);
                assert!((beta_cdf(x, a, b) - q).abs() < 1e-8, "a {a} b {b} q {q}");
            }
        }
        // The median of Beta(a, 1) is 0.5^(1/a).
        assert!((beta_quantile(0.5, 3.0, 1.0) - 0.5f64.powf(1.0 / 3.0)).abs() < 1e-9);
    }

    #[test]
    fn strength_recovers_the_spread_of_simulated_rates() {
        use rand::{Rng, SeedableRng};
        use rand_distr::{Beta, Distribution};
        // Rates drawn from Beta(κm, κ(1−m)) with κ = 50; 400 nodes of 200 trials each.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let (m, k) = (0.3, 50.0);
        let prior = Beta::new(k * m, k * (1.0 - m)).unwrap();
        let nodes: Vec<(f64, f64, f64)> = (0..400)
            .map(|_| {
                let p = prior.sample(&mut rng);
                let s = (0..200).filter(|_| rng.random::<f64>() < p).count() as f64;
                (s, 200.0, m)
            })
            .collect();
        let est = fit_strength(&nodes).unwrap();
        assert!((25.0..=100.0).contains(&est), "estimated κ = {est}");
        assert_eq!(fit_strength(&nodes[..2]), None);
    }
}
