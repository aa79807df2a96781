//! Quota planning (目标分解): split a company target region → team → rep in proportion to
//! forecast capacity, within optional floors and caps per level.
//!
//! The split at each level is a proportional allocation with bounds, solved by "water filling":
//! allocate in proportion to capacity, pin the units that break a bound at that bound, and share
//! what is left among the others, until no bound is broken. A unit's bounds are its level's
//! floor and cap within what its members can take together ([`Range`]: a team of five reps with
//! floors of 100,000 takes at least 500,000), so a split at one level never leaves a unit a
//! quota that cannot be split below it. Invariants: the quotas of a level's children add up to
//! their parent's quota exactly (up to float rounding), every quota lies within its bounds, and
//! an infeasible request (floors above the target, caps below it, a unit's cap below its
//! members' floors) is an error that says which unit and by how much. Written here: it is
//! twenty lines and no crate offers it.

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

/// The range a unit's quota may take: at least `lo`, at most `hi` (infinite without a cap).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
}

impl Range {
    /// Any amount from 0 up.
    pub const ANY: Range = Range { lo: 0.0, hi: f64::INFINITY };

    /// The sum of `parts`: a unit whose quota is split among them can take no less than their
    /// floors together and no more than their caps.
    pub fn sum(parts: &[Range]) -> Range {
        parts.iter().fold(Range { lo: 0.0, hi: 0.0 }, |a, r| Range { lo: a.lo + r.lo, hi: a.hi + r.hi })
    }

    /// This range within `bound`; `what` names the unit in the error when nothing is left (its
    /// own cap below what its members' floors need, or its floor above their caps).
    pub fn within(self, bound: Bound, what: &str) -> Result<Range> {
        let r =
            Range { lo: self.lo.max(bound.floor.unwrap_or(0.0)), hi: self.hi.min(bound.cap.unwrap_or(f64::INFINITY)) };
        if r.lo > r.hi * (1.0 + 1e-12) {
            return Err(Error::InvalidArgument(match (bound.cap, bound.floor) {
                (Some(c), _) if c < self.lo => {
                    format!("{what}: its members' floors add up to {:.0}, above its cap {c:.0}", self.lo)
                }
                (_, Some(f)) => format!("{what}: its floor {f:.0} is above its members' caps, {:.0} together", self.hi),
                _ => format!("{what}: no quota from {:.0} to {:.0}", r.lo, r.hi),
            }));
        }
        Ok(r)
    }
}

impl Bound {
    /// The range of a unit with this bound and no members below it (a floor above its cap is
    /// refused earlier, by [`PlanLimits::check`]).
    pub fn range(self) -> Range {
        Range { lo: self.floor.unwrap_or(0.0), hi: self.cap.unwrap_or(f64::INFINITY) }
    }
}

/// Splits `total` among units in proportion to `weights`, each within its range. `what` names
/// the units in errors (e.g. "the teams of region east").
pub fn allocate(total: f64, weights: &[f64], ranges: &[Range], what: &str) -> Result<Vec<f64>> {
    let n = weights.len();
    debug_assert_eq!(n, ranges.len());
    if n == 0 {
        return if total == 0.0 {
            Ok(vec![])
        } else {
            Err(Error::InvalidArgument(format!("{what}: nobody to give a quota of {total:.0} to")))
        };
    }
    let all = Range::sum(ranges);
    if all.lo > total * (1.0 + 1e-12) {
        return Err(Error::InvalidArgument(format!(
            "{what}: their floors add up to {:.0}, above the {total:.0} to split",
            all.lo
        )));
    }
    if all.hi < total * (1.0 - 1e-12) {
        return Err(Error::InvalidArgument(format!(
            "{what}: their caps add up to {:.0}, below the {total:.0} to split",
            all.hi
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
            low += (ranges[i].lo - a).max(0.0);
            high += (a - ranges[i].hi).max(0.0);
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
            if low >= high && a < ranges[i].lo {
                fixed[i] = Some(ranges[i].lo);
            } else if high > low && a > ranges[i].hi {
                fixed[i] = Some(ranges[i].hi);
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
        let same = |b: Bound, n: usize| vec![b.range(); n];
        let a = allocate(100.0, &[1.0, 1.0, 2.0], &same(Bound::default(), 3), "t").unwrap();
        assert_eq!(a, vec![25.0, 25.0, 50.0]);
        let b = allocate(100.0, &[1.0, 1.0, 8.0], &same(Bound { floor: Some(20.0), cap: None }, 3), "t").unwrap();
        assert!((b.iter().sum::<f64>() - 100.0).abs() < 1e-9);
        assert_eq!(&b[..2], &[20.0, 20.0]);
        let c = allocate(100.0, &[1.0, 1.0, 8.0], &same(Bound { floor: None, cap: Some(45.0) }, 3), "t").unwrap();
        assert!((c[2] - 45.0).abs() < 1e-9 && (c[0] - 27.5).abs() < 1e-9);
        assert!(allocate(100.0, &[1.0, 1.0], &same(Bound { floor: Some(60.0), cap: None }, 2), "t").is_err());
        assert!(allocate(100.0, &[1.0, 1.0], &same(Bound { floor: None, cap: Some(40.0) }, 2), "t").is_err());
        assert_eq!(allocate(10.0, &[0.0, 0.0], &same(Bound::default(), 2), "t").unwrap(), vec![5.0, 5.0]);
    }

    #[test]
    fn units_of_different_ranges_are_filled_within_each() {
        // A unit's range is its bound within its members' floors and caps together.
        let team = Range::sum(&[Bound { floor: Some(10.0), cap: Some(50.0) }.range(); 3]);
        assert_eq!(team, Range { lo: 30.0, hi: 150.0 });
        assert_eq!(team.within(Bound { floor: Some(40.0), cap: None }, "t").unwrap(), Range { lo: 40.0, hi: 150.0 });
        let e = team.within(Bound { floor: None, cap: Some(20.0) }, "team t").unwrap_err().to_string();
        assert!(e.contains("team t: its members' floors add up to 30, above its cap 20"), "{e}");
        let e = team.within(Bound { floor: Some(200.0), cap: None }, "team t").unwrap_err().to_string();
        assert!(e.contains("team t: its floor 200 is above its members' caps, 150 together"), "{e}");
        // Proportional 10 : 80 : 10 of 100 breaks the first unit's floor of 30 and the second's
        // cap of 60: both pinned, the third takes the rest.
        let ranges = [Range { lo: 30.0, hi: 100.0 }, Range { lo: 0.0, hi: 60.0 }, Range::ANY];
        let a = allocate(100.0, &[1.0, 8.0, 1.0], &ranges, "t").unwrap();
        assert_eq!(a, vec![30.0, 60.0, 10.0]);
        let a = allocate(200.0, &[1.0, 8.0, 1.0], &ranges, "t").unwrap();
        assert!((a[1] - 60.0).abs() < 1e-9 && (a[0] - 70.0).abs() < 1e-9 && (a[2] - 70.0).abs() < 1e-9, "{a:?}");
        assert!(
            allocate(20.0, &[1.0, 1.0, 1.0], &ranges, "t").unwrap_err().to_string().contains("floors add up to 30")
        );
    }

    proptest::proptest! {
        /// Whatever the weights and the units' ranges, a total within their sum is split
        /// exactly, every part within its range; units not pinned at a bound keep the
        /// proportions of their weights.
        #[test]
        fn any_feasible_split_is_exact_and_within_every_range(
            units in proptest::collection::vec((0.0f64..10.0, 0.0f64..50.0, 0.0f64..100.0, proptest::bool::ANY), 1..12),
            at in 0.0f64..=1.0,
        ) {
            let weights: Vec<f64> = units.iter().map(|u| u.0).collect();
            let ranges: Vec<Range> = units
                .iter()
                .map(|&(_, lo, width, capped)| Range { lo, hi: if capped { lo + width } else { f64::INFINITY } })
                .collect();
            let all = Range::sum(&ranges);
            let top = if all.hi.is_finite() { all.hi } else { all.lo + 500.0 };
            let total = all.lo + at * (top - all.lo);
            let a = allocate(total, &weights, &ranges, "t").unwrap();
            proptest::prop_assert!((a.iter().sum::<f64>() - total).abs() <= 1e-6 * total.max(1.0));
            for (q, r) in a.iter().zip(&ranges) {
                proptest::prop_assert!(*q >= r.lo - 1e-6 && *q <= r.hi + 1e-6, "{q} outside {r:?}");
            }
            let free: Vec<usize> = (0..a.len())
                .filter(|&i| (a[i] - ranges[i].lo).abs() > 1e-6 && (a[i] - ranges[i].hi).abs() > 1e-6 && weights[i] > 1e-3)
                .collect();
            for w in free.windows(2) {
                let (i, j) = (w[0], w[1]);
                proptest::prop_assert!((a[i] / weights[i] - a[j] / weights[j]).abs() <= 1e-6 * (a[i] / weights[i]).max(1.0));
            }
        }
    }
}
