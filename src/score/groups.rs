//! Rows that belong together — the snapshots of one deal, which share its id and its outcome —
//! and the seeded splits that keep them on one side: the validation split of `train` and the
//! trees' early-stopping split in `model`. With one row per id every split here is the plain
//! seeded shuffle of the rows, so tables without repeats split as they always did.

use rand::SeedableRng;
use rand::seq::SliceRandom;

/// The rows' groups (dense numbers in order of first appearance) when some id repeats, as
/// the snapshots of one opportunity do; `None` when every id is its own. A row without an id
/// is a group of its own.
pub fn repeated<'a>(ids: impl IntoIterator<Item = &'a str>) -> Option<Vec<u32>> {
    let mut seen: rustc_hash::FxHashMap<&str, u32> = Default::default();
    let mut next = 0u32;
    let mut repeated = false;
    let groups: Vec<u32> = ids
        .into_iter()
        .map(|id| {
            let id = id.trim();
            let g = if id.is_empty() { None } else { seen.get(id).copied() };
            repeated |= g.is_some();
            g.unwrap_or_else(|| {
                next += 1;
                if !id.is_empty() {
                    seen.insert(id, next - 1);
                }
                next - 1
            })
        })
        .collect();
    repeated.then_some(groups)
}

/// A seeded shuffle of `n` rows; with groups, a shuffle of the groups, each group's rows
/// together (in row order).
pub fn shuffled(n: usize, groups: Option<&[u32]>, seed: u64) -> Vec<usize> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    match groups {
        None => order.shuffle(&mut rng),
        Some(g) => {
            let mut by_group: Vec<u32> = (0..=g.iter().copied().max().unwrap_or(0)).collect();
            by_group.shuffle(&mut rng);
            let mut rank = vec![0u32; by_group.len()];
            for (r, &gr) in by_group.iter().enumerate() {
                rank[gr as usize] = r as u32;
            }
            order.sort_by_key(|&k| (rank[g[k] as usize], k));
        }
    }
    order
}

/// `cut` moved forward past the rest of the group it would split (`order` keeps a group's
/// rows together, as [`shuffled`] does).
pub fn cut(order: &[usize], groups: Option<&[u32]>, mut cut: usize) -> usize {
    if let Some(g) = groups {
        while cut > 0 && cut < order.len() && g[order[cut]] == g[order[cut - 1]] {
            cut += 1;
        }
    }
    cut.min(order.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_ids_make_groups_and_unique_ones_none() {
        assert_eq!(repeated(["a", "b", "c"]), None);
        assert_eq!(repeated(["o1", "o2", " o1", "o3", "o2"]), Some(vec![0, 1, 0, 2, 1]));
        // Rows without an id are each their own group, never one big one.
        assert_eq!(repeated(["", "", "x"]), None);
        assert_eq!(repeated(["", "x", "", "x"]), Some(vec![0, 1, 2, 1]));
    }

    #[test]
    fn a_split_keeps_a_groups_rows_together() {
        // 100 groups of 3 rows: the cut that holds back 20% never splits one.
        let g: Vec<u32> = (0..300u32).map(|i| i / 3).collect();
        for seed in 0..20 {
            let order = shuffled(300, Some(&g), seed);
            let at = cut(&order, Some(&g), 241);
            assert!((241..=243).contains(&at));
            let fit: std::collections::HashSet<u32> = order[..at].iter().map(|&k| g[k]).collect();
            assert!(order[at..].iter().all(|&k| !fit.contains(&g[k])), "seed {seed}: a group on both sides");
        }
        // Without groups it is the shuffle of the rows, as before ids were looked at.
        let mut rows: Vec<usize> = (0..300).collect();
        rows.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(42));
        assert_eq!(shuffled(300, None, 42), rows);
        assert_eq!(cut(&rows, None, 241), 241);
        // One row per group: the very shuffle of the rows.
        let own: Vec<u32> = (0..300).collect();
        assert_eq!(shuffled(300, Some(&own), 7), shuffled(300, None, 7));
    }
}
