//! Quota planning (目标分解): split a company target region → team → rep in proportion to
//! forecast capacity, within optional floors and caps per level.
//!
//! The split at each level is a proportional allocation with bounds, solved by "water filling":
//! allocate in proportion to capacity, pin the units that break a bound at that bound, and share
//! what is left among the others, until no bound is broken. Invariants: the quotas of a level's
//! children add up to their parent's quota exactly (up to float rounding), every quota lies
//! within its bounds, and an infeasible request (floors above the target, caps below it) is an
//! error that says which level and by how much. Written here: it is twenty lines and no crate
//! offers it.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Optional floor and cap of the quota of every unit of a level (amounts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bound {
    pub floor: Option<f64>,
    pub cap: Option<f64>,
}

/// Bounds per level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanLimits {
    #[serde(default)]
    pub region: Bound,
    #[serde(default)]
    pub team: Bound,
    #[serde(default)]
    pub rep: Bound,
}

impl Bound {
    fn check(&self, level: &str) -> Result<()> {
        for (name, v) in [("floor", self.floor), ("cap", self.cap)] {
            if let Some(v) = v
                && (!v.is_finite() || v < 0.0)
            {
                return Err(Error::InvalidArgument(format!(
                    "the {level} {name} must be a non-negative amount, got {v}"
                )));
            }
        }
        if let (Some(f), Some(c)) = (self.floor, self.cap)
            && f > c
        {
            return Err(Error::InvalidArgument(format!("the {level} floor {f} is above its cap {c}")));
        }
        Ok(())
    }
}

impl PlanLimits {
    pub fn check(&self) -> Result<()> {
        self.region.check("region")?;
        self.team.check("team")?;
        self.rep.check("rep")
    }
}

/// Splits `total` among units in proportion to `weights`, each within `bound`. `what` names the
/// units in errors (e.g. "the teams of region east").
pub fn allocate(total: f64, weights: &[f64], bound: Bound, what: &str) -> Result<Vec<f64>> {
    let n = weights.len();
    if n == 0 {
        return if total == 0.0 {
            Ok(vec![])
        } else {
            Err(Error::InvalidArgument(format!("{what}: nobody to give a quota of {total:.0} to")))
        };
    }
    let lo = bound.floor.unwrap_or(0.0);
    let hi = bound.cap.unwrap_or(f64::INFINITY);
    if lo * n as f64 > total * (1.0 + 1e-12) {
        return Err(Error::InvalidArgument(format!(
            "{what}: {n} floors of {lo:.0} add up to {:.0}, above the {total:.0} to split",
            lo * n as f64
        )));
    }
    if hi * (n as f64) < total * (1.0 - 1e-12) {
        return Err(Error::InvalidArgument(format!(
            "{what}: {n} caps of {hi:.0} add up to {:.0}, below the {total:.0} to split",
            hi * n as f64
        )));
    }
    // Units without capacity share equally when nobody has any.
    let w: Vec<f64> = if weights.iter().all(|w| *w <= 0.0 || !w.is_finite()) {
        vec![1.0; n]
    } else {
        weights.iter().map(|w| if w.is_finite() { w.max(0.0) } else { 0.0 }).collect()
    };
    let mut fixed: Vec<Option<f64>> = vec![None; n];
    for _ in 0..=n {
        let rest = total - fixed.iter().flatten().sum::<f64>();
        let free: Vec<usize> = (0..n).filter(|&i| fixed[i].is_none()).collect();
        let wsum: f64 = free.iter().map(|&i| w[i]).sum();
        let share = |i: usize| if wsum > 0.0 { rest * w[i] / wsum } else { rest / free.len() as f64 };
        let (mut low, mut high) = (0.0, 0.0);
        for &i in &free {
            let a = share(i);
            low += (lo - a).max(0.0);
            high += (a - hi).max(0.0);
        }
        if low <= 1e-9 * total.abs().max(1.0) && high <= 1e-9 * total.abs().max(1.0) {
            let mut out: Vec<f64> = (0..n).map(|i| fixed[i].unwrap_or_else(|| share(i))).collect();
            // The last free unit takes the rounding, so the parts add up to the total.
            let diff = total - out.iter().sum::<f64>();
            if let Some(&i) = free.last() {
                out[i] += diff;
            }
            return Ok(out);
        }
        for &i in &free {
            let a = share(i);
            if low >= high && a < lo {
                fixed[i] = Some(lo);
            } else if high > low && a > hi {
                fixed[i] = Some(hi);
            }
        }
        if fixed.iter().all(Option::is_some) {
            let sum: f64 = fixed.iter().flatten().sum();
            if (sum - total).abs() <= 1e-6 * total.abs().max(1.0) {
                return Ok(fixed.into_iter().flatten().collect());
            }
            break;
        }
    }
    Err(Error::InvalidArgument(format!("{what}: no split of {total:.0} respects the floors and caps")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_within_bounds_and_exact_sum() {
        let a = allocate(100.0, &[1.0, 1.0, 2.0], Bound::default(), "t").unwrap();
        assert_eq!(a, vec![25.0, 25.0, 50.0]);
        let b = allocate(100.0, &[1.0, 1.0, 8.0], Bound { floor: Some(20.0), cap: None }, "t").unwrap();
        assert!((b.iter().sum::<f64>() - 100.0).abs() < 1e-9);
        assert_eq!(&b[..2], &[20.0, 20.0]);
        let c = allocate(100.0, &[1.0, 1.0, 8.0], Bound { floor: None, cap: Some(45.0) }, "t").unwrap();
        assert!((c[2] - 45.0).abs() < 1e-9 && (c[0] - 27.5).abs() < 1e-9);
        assert!(allocate(100.0, &[1.0, 1.0], Bound { floor: Some(60.0), cap: None }, "t").is_err());
        assert!(allocate(100.0, &[1.0, 1.0], Bound { floor: None, cap: Some(40.0) }, "t").is_err());
        assert_eq!(allocate(10.0, &[0.0, 0.0], Bound::default(), "t").unwrap(), vec![5.0, 5.0]);
    }
}
