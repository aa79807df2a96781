//! Customer tiers: ABC classes by cumulative revenue share, and RFM scores and segments, per
//! account, from the deals won up to the end of the period (and the payments, when present).
//!
//! **Who counts.** Accounts with at least one deal won on or before the reference date (the
//! period's last day, or the as-of date when the period is still running). Deals without an
//! account are left out.
//!
//! **ABC** (Pareto / ABC analysis): accounts sorted by revenue (won amount), largest first.
//! An account is **A** when the accounts ranked before it make less than 80% of all revenue, **B**
//! when they make less than 95%, **C** otherwise — so the account that crosses 80% is still A,
//! and A is the smallest set of top accounts making at least 80% of revenue. Accounts with equal
//! revenue share one class, the one of the first of them (ties never split a class). When total
//! revenue is zero every account is C.
//!
//! **RFM** (Hughes, *Strategic Database Marketing*, 1994): recency = days from the account's
//! last purchase to the reference date, where a purchase is a won deal or, when the data has
//! payments, a payment received; frequency = won deals; monetary = won amount. Each is scored
//! 1–5 by quintile of its percentile rank among the accounts, ties sharing the mid rank
//! (`kind="mean"` of scipy's `percentileofscore`): with `below` accounts strictly worse and
//! `equal` accounts equal (itself included) among `n`, the score is ⌈5·(below + equal/2)/n⌉. So
//! distinct values split into fifths, a single account (or all tied) scores 3, and a value shared
//! by most accounts gets the score of the middle of its block. Recent is better for recency.
//!
//! **Segments**, first rule that matches (R, F, M are the scores):
//!
//! | segment | rule |
//! |---|---|
//! | `champions` | R ≥ 4, F ≥ 4, M ≥ 4 |
//! | `loyal` | R ≥ 3, F ≥ 4 |
//! | `potential_loyalists` | R ≥ 4, M ≥ 4 |
//! | `recent` | R ≥ 4 |
//! | `at_risk` | R ≤ 2 and (F ≥ 4 or M ≥ 4) |
//! | `need_attention` | R = 3 |
//! | `hibernating` | R = 2 |
//! | `lost` | R = 1 |

use super::{Analytics, SortKey, Sortable, Window, ratio};
use crate::domain::{Period, Status};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// An ABC class.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub enum AbcClass {
    A,
    B,
    C,
}

impl AbcClass {
    pub fn as_str(self) -> &'static str {
        match self {
            AbcClass::A => "A",
            AbcClass::B => "B",
            AbcClass::C => "C",
        }
    }
}

/// The share of revenue the accounts before an A account make less than.
pub const A_SHARE: f64 = 0.80;
/// The share of revenue the accounts before a B account make less than.
pub const B_SHARE: f64 = 0.95;

/// The order of accounts by revenue: largest first, ties by position.
fn revenue_order(revenue: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..revenue.len()).collect();
    order.sort_by(|&a, &b| revenue[b].total_cmp(&revenue[a]).then(a.cmp(&b)));
    order
}

/// The ABC class of each account, given its revenue (same order as the input).
pub fn abc_classes(revenue: &[f64]) -> Vec<AbcClass> {
    let total: f64 = revenue.iter().sum();
    let mut out = vec![AbcClass::C; revenue.len()];
    if total <= 0.0 || !total.is_finite() {
        return out;
    }
    let mut before = 0.0;
    let mut class = AbcClass::A;
    let mut prev: Option<f64> = None;
    for i in revenue_order(revenue) {
        if prev != Some(revenue[i]) {
            class = if before < A_SHARE * total {
                AbcClass::A
            } else if before < B_SHARE * total {
                AbcClass::B
            } else {
                AbcClass::C
            };
        }
        out[i] = class;
        before += revenue[i];
        prev = Some(revenue[i]);
    }
    out
}

/// Quintile scores 1–5 by mid-rank percentile (see the module docs); `higher_is_better` says
/// which way is good.
pub fn rfm_scores(values: &[f64], higher_is_better: bool) -> Vec<u8> {
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    values
        .iter()
        .map(|&v| {
            let lt = sorted.partition_point(|&x| x.total_cmp(&v).is_lt());
            let le = sorted.partition_point(|&x| x.total_cmp(&v).is_le());
            let equal = le - lt;
            let below = if higher_is_better { lt } else { n - le };
            // ⌈5·(2·below + equal) / (2n)⌉ in integers.
            let s = (5 * (2 * below + equal)).div_ceil(2 * n);
            s.clamp(1, 5) as u8
        })
        .collect()
}

/// The named segment of RFM scores (see the module docs).
pub fn rfm_segment(r: u8, f: u8, m: u8) -> &'static str {
    match (r, f, m) {
        _ if r >= 4 && f >= 4 && m >= 4 => "champions",
        _ if r >= 3 && f >= 4 => "loyal",
        _ if r >= 4 && m >= 4 => "potential_loyalists",
        _ if r >= 4 => "recent",
        _ if r <= 2 && (f >= 4 || m >= 4) => "at_risk",
        _ if r == 3 => "need_attention",
        _ if r == 2 => "hibernating",
        _ => "lost",
    }
}

/// A segment's Chinese name.
pub fn segment_zh(segment: &str) -> &str {
    match segment {
        "champions" => "重要价值客户",
        "loyal" => "忠诚客户",
        "potential_loyalists" => "潜力客户",
        "recent" => "新客户",
        "at_risk" => "流失风险客户",
        "need_attention" => "需关注客户",
        "hibernating" => "沉睡客户",
        "lost" => "已流失客户",
        other => other,
    }
}

/// Every segment name, in rule order.
pub const SEGMENTS: &[&str] =
    &["champions", "loyal", "potential_loyalists", "recent", "at_risk", "need_attention", "hibernating", "lost"];

/// One account's tier.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AccountTier {
    pub account_id: String,
    /// Won amount up to the reference date.
    pub revenue: f64,
    /// revenue / all accounts' revenue.
    pub share: Option<f64>,
    /// The share of the accounts up to and including this one, in ABC order.
    pub cumulative_share: Option<f64>,
    pub class: AbcClass,
    /// Won deals.
    pub frequency: u64,
    /// The last purchase (won deal or payment), ISO date.
    pub last_purchase: String,
    pub recency_days: i64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    /// The three scores as a code, e.g. `545`.
    pub rfm: String,
    pub segment: String,
    /// Paid on its invoices by the reference date (when the data has payments).
    pub paid: Option<f64>,
    /// Invoiced and not paid by the reference date (when the data has payments).
    pub outstanding: Option<f64>,
}

/// Accounts and revenue per ABC class.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ClassSummary {
    pub class: AbcClass,
    pub accounts: u64,
    pub revenue: f64,
    pub share_of_accounts: Option<f64>,
    pub share_of_revenue: Option<f64>,
}

/// Accounts and revenue per RFM segment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SegmentSummary {
    pub segment: String,
    pub accounts: u64,
    pub revenue: f64,
}

/// Customer tiers at the end of a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Tiers {
    pub window: Window,
    /// The reference date: revenue up to it, recency measured to it.
    pub reference: String,
    pub total_revenue: f64,
    pub classes: Vec<ClassSummary>,
    pub segments: Vec<SegmentSummary>,
    /// Accounts in ABC order (revenue descending, then account ID).
    pub accounts: Vec<AccountTier>,
}

#[derive(Default)]
struct Acc {
    revenue: f64,
    frequency: u64,
    last: Option<NaiveDate>,
    paid: f64,
    outstanding: f64,
}

fn later(a: Option<NaiveDate>, d: NaiveDate) -> Option<NaiveDate> {
    Some(a.map_or(d, |x| x.max(d)))
}

impl Analytics<'_> {
    /// ABC classes and RFM segments per account, at the end of the period.
    pub fn tiers(&self, period: Period) -> Tiers {
        let (_, reference) = self.span(period);
        let pays = self.ds.payments.as_ref();
        let mut accounts: BTreeMap<&str, Acc> = BTreeMap::new();
        for (oi, o) in self.ds.opportunities.iter().enumerate() {
            let (Some(acc), Some(c)) = (o.account_id.as_deref(), o.closed_at) else { continue };
            if o.status != Status::Won || c > reference {
                continue;
            }
            let a = accounts.entry(acc).or_default();
            a.revenue += o.amount;
            a.frequency += 1;
            a.last = later(a.last, c);
            let Some(ps) = pays else { continue };
            for &i in &self.invoices[oi] {
                let p = &ps[i];
                match p.paid_at.filter(|&d| d <= reference) {
                    Some(d) => {
                        a.paid += p.amount;
                        a.last = later(a.last, d);
                    }
                    None => a.outstanding += p.amount,
                }
            }
        }
        let ids: Vec<&str> = accounts.keys().copied().collect();
        let accs: Vec<Acc> = accounts.into_values().collect();
        let revenue: Vec<f64> = accs.iter().map(|a| a.revenue).collect();
        let recency: Vec<i64> = accs.iter().map(|a| a.last.map_or(0, |d| (reference - d).num_days())).collect();
        let classes = abc_classes(&revenue);
        let r = rfm_scores(&recency.iter().map(|&d| d as f64).collect::<Vec<_>>(), false);
        let f = rfm_scores(&accs.iter().map(|a| a.frequency as f64).collect::<Vec<_>>(), true);
        let m = rfm_scores(&revenue, true);
        let total: f64 = revenue.iter().sum();

        let mut rows = Vec::with_capacity(ids.len());
        let mut cumulative = 0.0;
        for i in revenue_order(&revenue) {
            let a = &accs[i];
            cumulative += a.revenue;
            rows.push(AccountTier {
                account_id: ids[i].to_string(),
                revenue: a.revenue,
                share: ratio(a.revenue, total),
                cumulative_share: ratio(cumulative, total),
                class: classes[i],
                frequency: a.frequency,
                last_purchase: a.last.map(|d| d.to_string()).unwrap_or_default(),
                recency_days: recency[i],
                r: r[i],
                f: f[i],
                m: m[i],
                rfm: format!("{}{}{}", r[i], f[i], m[i]),
                segment: rfm_segment(r[i], f[i], m[i]).to_string(),
                paid: pays.map(|_| a.paid),
                outstanding: pays.map(|_| a.outstanding),
            });
        }
        let n = rows.len() as f64;
        let class_summary = [AbcClass::A, AbcClass::B, AbcClass::C]
            .into_iter()
            .map(|c| {
                let (k, rev) =
                    rows.iter().filter(|x| x.class == c).fold((0u64, 0.0), |(k, s), x| (k + 1, s + x.revenue));
                ClassSummary {
                    class: c,
                    accounts: k,
                    revenue: rev,
                    share_of_accounts: ratio(k as f64, n),
                    share_of_revenue: ratio(rev, total),
                }
            })
            .collect();
        let segments = SEGMENTS
            .iter()
            .map(|&s| {
                let (k, rev) =
                    rows.iter().filter(|x| x.segment == s).fold((0u64, 0.0), |(k, t), x| (k + 1, t + x.revenue));
                SegmentSummary { segment: s.to_string(), accounts: k, revenue: rev }
            })
            .collect();
        Tiers {
            window: self.window(period),
            reference: reference.to_string(),
            total_revenue: total,
            classes: class_summary,
            segments,
            accounts: rows,
        }
    }
}

impl Sortable for AccountTier {
    const COLUMNS: &'static [&'static str] = &[
        "account",
        "revenue",
        "share",
        "cumulative_share",
        "class",
        "frequency",
        "last_purchase",
        "recency_days",
        "r",
        "f",
        "m",
        "segment",
        "paid",
        "outstanding",
    ];

    fn sort_key(&self, column: &str) -> SortKey {
        let n = |x: f64| SortKey::Number(Some(x));
        match column {
            "account" => SortKey::Text(self.account_id.clone()),
            "revenue" => n(self.revenue),
            "share" => SortKey::Number(self.share),
            "cumulative_share" => SortKey::Number(self.cumulative_share),
            // ISO dates: as text they sort by date (oldest first; `last_purchase:desc` for the
            // latest).
            "last_purchase" => SortKey::Text(self.last_purchase.clone()),
            "class" => SortKey::Text(self.class.as_str().to_string()),
            "frequency" => n(self.frequency as f64),
            "recency_days" => n(self.recency_days as f64),
            "r" => n(self.r as f64),
            "f" => n(self.f as f64),
            "m" => n(self.m as f64),
            "segment" => SortKey::Text(self.segment.clone()),
            "paid" => SortKey::Number(self.paid),
            _ => SortKey::Number(self.outstanding),
        }
    }

    fn id(&self) -> &str {
        &self.account_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AbcClass::*;

    #[test]
    fn abc_rule_and_edges() {
        // 50 + 30 = 80%: the account crossing 80% is A; 15% more is B; the rest C.
        assert_eq!(abc_classes(&[50.0, 30.0, 15.0, 5.0]), vec![A, A, B, C]);
        // Order of input does not matter.
        assert_eq!(abc_classes(&[5.0, 15.0, 50.0, 30.0]), vec![C, B, A, A]);
        // One dominant account: A alone, then the crossing of 95% is B.
        assert_eq!(abc_classes(&[90.0, 6.0, 4.0]), vec![A, B, C]);
        // A single account is A.
        assert_eq!(abc_classes(&[7.0]), vec![A]);
        // Ties never split a class: ten equal accounts are all A.
        assert_eq!(abc_classes(&[1.0; 10]), vec![A; 10]);
        // A tie straddling 80%: 70 before, both 20s take the class of the first.
        assert_eq!(abc_classes(&[70.0, 10.0, 10.0, 5.0, 5.0]), vec![A, A, A, B, B]);
        // Zero revenue: all C; zero-revenue accounts beside paying ones are C.
        assert_eq!(abc_classes(&[0.0, 0.0]), vec![C, C]);
        assert_eq!(abc_classes(&[10.0, 0.0]), vec![A, C]);
        assert!(abc_classes(&[]).is_empty());
    }

    #[test]
    fn rfm_quintiles_and_ties() {
        // Ten distinct values split in fifths.
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(rfm_scores(&v, true), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(rfm_scores(&v, false), vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        // A single account and all-tied accounts sit in the middle.
        assert_eq!(rfm_scores(&[42.0], true), vec![3]);
        assert_eq!(rfm_scores(&[0.0, 0.0, 0.0], true), vec![3, 3, 3]);
        // Ties share a score: 8 ones and 2 twos.
        let mut f = vec![1.0; 8];
        f.extend([2.0, 2.0]);
        let s = rfm_scores(&f, true);
        assert!(s[..8].iter().all(|&x| x == 2) && s[8..].iter().all(|&x| x == 5), "{s:?}");
        assert!(rfm_scores(&[], true).is_empty());
    }

    #[test]
    fn segments_cover_every_score() {
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    assert!(SEGMENTS.contains(&rfm_segment(r, f, m)));
                }
            }
        }
        assert_eq!(rfm_segment(5, 5, 5), "champions");
        assert_eq!(rfm_segment(1, 5, 5), "at_risk");
        assert_eq!(rfm_segment(1, 1, 1), "lost");
        assert_eq!(rfm_segment(5, 1, 1), "recent");
    }
}
