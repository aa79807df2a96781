//! Metrics of probabilistic binary predictions: ranking (AUC, PR-AUC, lift, gains), accuracy
//! of probabilities (log loss, Brier), and calibration (ECE over 10 equal-width bins).

use serde::{Deserialize, Serialize};

/// The headline figures of a set of predictions against outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub rows: usize,
    pub positives: usize,
    pub base_rate: f64,
    pub auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    pub brier: f64,
    /// Expected calibration error, 10 equal-width probability bins.
    pub ece: f64,
    /// Conversion rate in the top 10% by score over the base rate.
    pub lift_top_decile: f64,
}

impl Metrics {
    /// Computes every metric. `p` and `y` have the same length; probabilities are clipped to
    /// [1e-15, 1 - 1e-15] for the log loss.
    pub fn compute(p: &[f64], y: &[bool]) -> Metrics {
        let rows = y.len();
        let positives = y.iter().filter(|&&b| b).count();
        Metrics {
            rows,
            positives,
            base_rate: positives as f64 / rows.max(1) as f64,
            auc: auc(p, y),
            pr_auc: average_precision(p, y),
            log_loss: log_loss(p, y),
            brier: p.iter().zip(y).map(|(p, &y)| (p - y as u8 as f64).powi(2)).sum::<f64>() / rows.max(1) as f64,
            ece: ece(p, y, 10),
            lift_top_decile: lift_top(p, y, 0.1),
        }
    }
}

/// Indices sorted by descending score (stable, so ties keep input order).
fn order_desc(p: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    idx
}

/// Area under the ROC curve (Mann-Whitney, ties counted half). NaN when one class is absent.
pub fn auc(p: &[f64], y: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += (i..=j).filter(|&k| y[idx[k]]).count() as f64 * avg;
        i = j + 1;
    }
    let pos = y.iter().filter(|&&b| b).count() as f64;
    let neg = y.len() as f64 - pos;
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Average precision (area under the precision-recall curve, step-wise).
pub fn average_precision(p: &[f64], y: &[bool]) -> f64 {
    let pos = y.iter().filter(|&&b| b).count();
    if pos == 0 {
        return f64::NAN;
    }
    let (mut tp, mut ap) = (0usize, 0.0);
    for (k, &i) in order_desc(p).iter().enumerate() {
        if y[i] {
            tp += 1;
            ap += tp as f64 / (k + 1) as f64;
        }
    }
    ap / pos as f64
}

pub fn log_loss(p: &[f64], y: &[bool]) -> f64 {
    let n = y.len().max(1) as f64;
    p.iter()
        .zip(y)
        .map(|(&p, &y)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if y { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum::<f64>()
        / n
}

/// Expected calibration error: the row-weighted mean |mean prediction − outcome rate| over
/// `bins` equal-width probability bins.
pub fn ece(p: &[f64], y: &[bool], bins: usize) -> f64 {
    calibration_curve(p, y, bins)
        .iter()
        .map(|b| b.rows as f64 * (b.mean_predicted - b.observed_rate).abs())
        .sum::<f64>()
        / y.len().max(1) as f64
}

/// One bin of a calibration curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub lo: f64,
    pub hi: f64,
    pub rows: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Non-empty equal-width bins of predicted probability with their observed outcome rates.
pub fn calibration_curve(p: &[f64], y: &[bool], bins: usize) -> Vec<CalibrationBin> {
    let mut sum_p = vec![0.0; bins];
    let mut sum_y = vec![0.0; bins];
    let mut n = vec![0usize; bins];
    for (&p, &y) in p.iter().zip(y) {
        let b = ((p * bins as f64) as usize).min(bins - 1);
        sum_p[b] += p;
        sum_y[b] += y as u8 as f64;
        n[b] += 1;
    }
    (0..bins)
        .filter(|&b| n[b] > 0)
        .map(|b| CalibrationBin {
            lo: b as f64 / bins as f64,
            hi: (b + 1) as f64 / bins as f64,
            rows: n[b],
            mean_predicted: sum_p[b] / n[b] as f64,
            observed_rate: sum_y[b] / n[b] as f64,
        })
        .collect()
}

/// Outcome rate among the top `fraction` by score, over the base rate.
pub fn lift_top(p: &[f64], y: &[bool], fraction: f64) -> f64 {
    let n = ((y.len() as f64 * fraction).ceil() as usize).max(1).min(y.len());
    let base = y.iter().filter(|&&b| b).count() as f64 / y.len().max(1) as f64;
    let top = order_desc(p).iter().take(n).filter(|&&i| y[i]).count() as f64 / n as f64;
    top / base
}

/// One decile of a gains table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GainsRow {
    pub decile: usize,
    pub rows: usize,
    pub min_probability: f64,
    pub positives: usize,
    pub rate: f64,
    /// Share of all positives captured by this decile and those above it.
    pub cumulative_gain: f64,
    pub cumulative_lift: f64,
}

/// Deciles by descending score.
pub fn gains_table(p: &[f64], y: &[bool]) -> Vec<GainsRow> {
    let idx = order_desc(p);
    let total_pos = y.iter().filter(|&&b| b).count().max(1) as f64;
    let base = total_pos / y.len().max(1) as f64;
    let (mut cum_rows, mut cum_pos) = (0usize, 0usize);
    (0..10)
        .filter_map(|d| {
            let (a, b) = (d * idx.len() / 10, (d + 1) * idx.len() / 10);
            if a == b {
                return None;
            }
            let slice = &idx[a..b];
            let pos = slice.iter().filter(|&&i| y[i]).count();
            cum_rows += slice.len();
            cum_pos += pos;
            Some(GainsRow {
                decile: d + 1,
                rows: slice.len(),
                min_probability: slice.iter().map(|&i| p[i]).fold(f64::INFINITY, f64::min),
                positives: pos,
                rate: pos as f64 / slice.len() as f64,
                cumulative_gain: cum_pos as f64 / total_pos,
                cumulative_lift: (cum_pos as f64 / cum_rows as f64) / base,
            })
        })
        .collect()
}

/// ROC curve points (false positive rate, true positive rate), thinned to at most `max_points`.
pub fn roc_curve(p: &[f64], y: &[bool], max_points: usize) -> Vec<(f64, f64)> {
    let idx = order_desc(p);
    let pos = y.iter().filter(|&&b| b).count().max(1) as f64;
    let neg = (y.len() as f64 - pos).max(1.0);
    let (mut tp, mut fp) = (0.0, 0.0);
    let step = (idx.len() / max_points.max(1)).max(1);
    let mut out = vec![(0.0, 0.0)];
    for (k, &i) in idx.iter().enumerate() {
        if y[i] {
            tp += 1.0
        } else {
            fp += 1.0
        }
        let last_of_tie = k + 1 == idx.len() || p[idx[k + 1]] != p[i];
        if last_of_tie && (k % step == 0 || k + 1 == idx.len()) {
            out.push((fp / neg, tp / pos));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AUC by counting every (positive, negative) pair: the definition.
    fn auc_by_pairs(p: &[f64], y: &[bool]) -> f64 {
        let (mut wins, mut pairs) = (0.0, 0.0);
        for i in 0..p.len() {
            for j in 0..p.len() {
                if y[i] && !y[j] {
                    pairs += 1.0;
                    wins += if p[i] > p[j] {
                        1.0
                    } else if p[i] == p[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        wins / pairs
    }

    #[test]
    fn auc_matches_its_definition_with_ties() {
        let p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.2, 0.9, 0.4];
        let y = [false, true, false, true, false, false, true, true];
        assert!((auc(&p, &y) - auc_by_pairs(&p, &y)).abs() < 1e-12);
        let perfect = auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]);
        assert_eq!(perfect, 1.0);
    }

    #[test]
    fn calibrated_predictions_have_small_ece_and_constant_ones_none_of_auc() {
        // Outcomes drawn exactly at the predicted rate within each bin.
        let mut p = Vec::new();
        let mut y = Vec::new();
        for b in 0..10 {
            let rate = (b as f64 + 0.5) / 10.0;
            for k in 0..100 {
                p.push(rate);
                y.push(k < (rate * 100.0).round() as usize);
            }
        }
        assert!(ece(&p, &y, 10) < 1e-9);
        // A constant score ranks nothing: AUC one half.
        let m = Metrics::compute(&[0.3; 8], &[true, false, false, true, false, false, false, true]);
        assert_eq!(m.auc, 0.5);
        assert!((m.ece - (0.375f64 - 0.3).abs()).abs() < 1e-12, "{}", m.ece);
    }

    #[test]
    fn log_loss_and_gains() {
        assert!((log_loss(&[0.5, 0.5], &[true, false]) - std::f64::consts::LN_2).abs() < 1e-12);
        let p: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        let y: Vec<bool> = (0..100).map(|i| i >= 80).collect();
        let g = gains_table(&p, &y);
        assert_eq!(g.len(), 10);
        assert_eq!(g[1].cumulative_gain, 1.0);
        assert!((g[0].cumulative_lift - 5.0).abs() < 1e-12);
        assert!((lift_top(&p, &y, 0.1) - 5.0).abs() < 1e-12);
        assert_eq!(average_precision(&p, &y), 1.0);
    }
}
