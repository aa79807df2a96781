//! Input drift: the population stability index (PSI) of each feature between the training
//! rows (`feature_stats.json` saved with the model) and the inputs served since the model
//! was loaded, from the sampled prediction log. PSI = Σ (a − e)·ln(a / e) over bins, with
//! shares floored at 1e-4; above 0.25 is the usual "significant shift" threshold.

use crate::registry::Registry;
use crate::score::features::FeatureStats;
use crate::score::model::ScoringModel;
use crate::score::table::Table;
use std::collections::HashMap;

/// Counts of served inputs per bin, for one model version.
#[derive(Debug, Default)]
pub struct Drift {
    kinds: HashMap<&'static str, KindDrift>,
}

#[derive(Debug)]
struct KindDrift {
    version: String,
    stats: Vec<FeatureStats>,
    counts: Vec<Vec<u64>>,
    rows: u64,
}

/// Fewer sampled rows than this give no PSI (it would be noise).
pub const MIN_ROWS: u64 = 100;

pub fn psi(expected: &[f64], counts: &[u64]) -> f64 {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return 0.0;
    }
    expected
        .iter()
        .zip(counts)
        .map(|(&e, &c)| {
            let a = (c as f64 / n as f64).max(1e-4);
            let e = e.max(1e-4);
            (a - e) * (a / e).ln()
        })
        .sum()
}

impl Drift {
    /// Adds the rows of a sampled request.
    pub fn add(&mut self, registry: &Registry, kind: &'static str, version: &str, model: &ScoringModel, table: &Table) {
        let fresh = self.kinds.get(kind).is_none_or(|k| k.version != version);
        if fresh {
            let path = registry.version_dir(kind, version).join("feature_stats.json");
            let Some(stats) =
                std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<Vec<FeatureStats>>(&b).ok())
            else {
                return;
            };
            let counts = stats.iter().map(|s| vec![0; s.shares.len()]).collect();
            self.kinds.insert(kind, KindDrift { version: version.to_string(), stats, counts, rows: 0 });
        }
        let Some(k) = self.kinds.get_mut(kind) else { return };
        let Ok(cols) = model.resolve(table) else { return };
        let x = model.encoder.encode(table, &cols);
        if k.stats.len() != model.encoder.features.len() {
            return;
        }
        for (f, s) in k.stats.iter().enumerate() {
            let col = &x.tree[f * x.rows..(f + 1) * x.rows];
            for &v in col {
                let b = s.bin(v);
                if let Some(c) = k.counts[f].get_mut(b) {
                    *c += 1;
                }
            }
        }
        k.rows += table.rows as u64;
    }

    /// `(kind, feature, psi)` for every kind with enough rows.
    pub fn report(&self) -> Vec<(&'static str, String, f64)> {
        let mut out = Vec::new();
        for (kind, k) in &self.kinds {
            if k.rows < MIN_ROWS {
                continue;
            }
            for (s, c) in k.stats.iter().zip(&k.counts) {
                out.push((*kind, s.name.clone(), psi(&s.shares, c)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_is_zero_for_the_same_distribution_and_grows_with_shift() {
        let e = [0.25, 0.25, 0.5];
        assert!(psi(&e, &[25, 25, 50]).abs() < 1e-12);
        let small = psi(&e, &[30, 25, 45]);
        let large = psi(&e, &[70, 20, 10]);
        assert!(small > 0.0 && large > 0.25 && large > small);
    }
}
