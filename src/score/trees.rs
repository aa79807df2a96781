//! forust's boosted trees in one flat array, for scoring and for explanations.
//!
//! forust keeps each tree as a vector of nodes and predicts tree by tree over a column-major
//! matrix; its Shapley values recompute every tree's expected value for every row and clone
//! the path at every node (about 800 rows/s on 80 trees of depth 6). Here a node is 32 bytes
//! in one `Vec`, children are indices into it, the trees' expected values are computed once,
//! and TreeSHAP runs on one preallocated path buffer.
//!
//! TreeSHAP is Lundberg, Erion & Lee, "Consistent individualized feature attribution for tree
//! ensembles" (2018), Algorithm 2, in the form of XGBoost's `TreeShap` (one buffer, each level's
//! path copied after its parent's), with node covers = forust's hessian sums, as forust's own
//! implementation uses. The log-odds are formed in forust's order (base score, then tree by
//! tree), so they are bit-for-bit forust's; the Shapley values agree with forust's up to its
//! `f32` arithmetic, and add up to the log-odds minus the expected value (tests check all three).

/// The prediction trees of a booster, flattened.
#[derive(Clone)]
pub struct FlatTrees {
    base: f64,
    /// Index of each tree's root in `nodes`.
    roots: Vec<u32>,
    /// Each tree's expected value over the training rows (cover-weighted mean of its leaves).
    expected: Vec<f64>,
    nodes: Vec<FlatNode>,
    /// Hessian sum of the training rows that reached each node (TreeSHAP's cover).
    covers: Vec<f64>,
    /// Deepest leaf of any tree (root = 0).
    max_depth: usize,
    /// Per node: the position of its split's feature among the distinct features on the path
    /// from the root to it (shared by every leaf below it).
    bits: Vec<u8>,
    /// Per node: its entry in `leaves` (leaves only).
    leaf_of: Vec<u32>,
    leaves: Vec<LeafShap>,
    /// Every leaf's table: for each subset of its path's features that a row follows, the
    /// Shapley value of each of them. Empty when a path has more than `MAX_TABLE_FEATURES`.
    tables: Vec<f64>,
    /// The path features of every leaf, in `bits` order.
    leaf_features: Vec<u32>,
}

/// A leaf's slice of `tables` (2^k × k values) and of `leaf_features` (k features).
#[derive(Clone, Copy)]
struct LeafShap {
    table: u32,
    features: u32,
    k: u8,
}

/// Paths with more distinct features than this get no table (2^k × k values a leaf) and
/// are explained by the recursive TreeSHAP.
const MAX_TABLE_FEATURES: usize = 10;

#[derive(Clone, Copy)]
struct FlatNode {
    /// Split threshold (go left when the value is below it), or the leaf's value.
    value: f64,
    /// `u32::MAX` for a leaf.
    feature: u32,
    left: u32,
    right: u32,
    missing: u32,
}

impl FlatNode {
    fn is_leaf(&self) -> bool {
        self.feature == u32::MAX
    }

    /// The child a value goes to: NaN fails both comparisons and takes the missing branch.
    fn child(&self, v: f64) -> u32 {
        if v < self.value {
            self.left
        } else if v >= self.value {
            self.right
        } else {
            self.missing
        }
    }
}

/// The trees forust predicts with: up to the best iteration when early stopping chose one.
pub fn prediction_trees(b: &forust_ml::GradientBooster) -> &[forust_ml::tree::Tree] {
    &b.trees[..b.prediction_iteration.unwrap_or(b.trees.len()).min(b.trees.len())]
}

impl FlatTrees {
    /// The flat form of a booster, or `None` when it uses what the flat form does not cover
    /// (a missing marker other than NaN, an empty tree).
    pub fn of(b: &forust_ml::GradientBooster) -> Option<FlatTrees> {
        if !b.missing.is_nan() {
            return None;
        }
        let mut flat = FlatTrees {
            base: b.base_score,
            roots: Vec::new(),
            expected: Vec::new(),
            nodes: Vec::new(),
            covers: Vec::new(),
            max_depth: 0,
            bits: Vec::new(),
            leaf_of: Vec::new(),
            leaves: Vec::new(),
            tables: Vec::new(),
            leaf_features: Vec::new(),
        };
        for tree in prediction_trees(b) {
            if tree.nodes.is_empty() {
                return None;
            }
            // Children always come after their parent in forust's numbering; check it (the
            // walks below would loop forever on a cycle) and measure the depth on the way.
            let mut depth = vec![0usize; tree.nodes.len()];
            for (i, n) in tree.nodes.iter().enumerate().filter(|(_, n)| !n.is_leaf) {
                for c in [n.left_child, n.right_child, n.missing_node] {
                    if c <= i || c >= tree.nodes.len() {
                        return None;
                    }
                    depth[c] = depth[i] + 1;
                }
            }
            flat.max_depth = flat.max_depth.max(depth.iter().copied().max().unwrap_or(0));
            // forust numbers a tree's nodes by their position in its vector.
            let start = flat.nodes.len() as u32;
            let pos = |i: usize| (i < tree.nodes.len()).then(|| start + i as u32);
            flat.roots.push(start);
            for n in &tree.nodes {
                flat.covers.push(n.hessian_sum as f64);
                flat.nodes.push(if n.is_leaf {
                    FlatNode { value: n.weight_value as f64, feature: u32::MAX, left: 0, right: 0, missing: 0 }
                } else {
                    FlatNode {
                        value: n.split_value,
                        feature: u32::try_from(n.split_feature).ok()?,
                        left: pos(n.left_child)?,
                        right: pos(n.right_child)?,
                        missing: pos(n.missing_node)?,
                    }
                });
            }
            let e = flat.expected_value(start);
            flat.expected.push(e);
        }
        flat.bits = vec![0; flat.nodes.len()];
        flat.leaf_of = vec![u32::MAX; flat.nodes.len()];
        let tabled = flat.roots.clone().into_iter().all(|r| flat.build_tables(r, &mut Vec::new()));
        if !tabled {
            flat.leaves.clear();
            flat.tables.clear();
        }
        Some(flat)
    }

    /// Walks a tree from `node` carrying the distinct features met on the way, each with the
    /// share of training rows (cover) that went the path's way at its splits; at each leaf
    /// tabulates the Shapley values for every subset of them a row can follow. `false` when a
    /// path has too many distinct features for a table.
    fn build_tables(&mut self, node: u32, path: &mut Vec<(u32, f64)>) -> bool {
        let n = self.nodes[node as usize];
        if n.is_leaf() {
            let k = path.len();
            if k > MAX_TABLE_FEATURES {
                return false;
            }
            self.leaf_of[node as usize] = self.leaves.len() as u32;
            self.leaves.push(LeafShap {
                table: self.tables.len() as u32,
                features: self.leaf_features.len() as u32,
                k: k as u8,
            });
            self.leaf_features.extend(path.iter().map(|p| p.0));
            let mut elems = vec![PathElement::default(); k + 1];
            for mask in 0..1usize << k {
                // The same path TreeSHAP has at this leaf: the root's dummy, then each feature
                // with its zero fraction and whether the row follows it (the mask's bit).
                extend(&mut elems, 0, 1.0, 1.0, u32::MAX);
                for (j, &(f, z)) in path.iter().enumerate() {
                    extend(&mut elems, j + 1, z, (mask >> j & 1) as f64, f);
                }
                for i in 1..=k {
                    let w = unwound_sum(&elems, k, i);
                    self.tables.push(w * (elems[i].one - elems[i].zero) * n.value);
                }
            }
            return true;
        }
        let met = path.iter().position(|p| p.0 == n.feature);
        let bit = met.unwrap_or_else(|| {
            path.push((n.feature, 1.0));
            path.len() - 1
        });
        let Ok(b8) = u8::try_from(bit) else { return false };
        self.bits[node as usize] = b8;
        let cover = self.covers[node as usize];
        let before = path[bit].1;
        for c in Self::children(&n).collect::<Vec<_>>() {
            let share = if cover > 0.0 { self.covers[c as usize] / cover } else { 0.0 };
            path[bit].1 = before * share;
            if !self.build_tables(c, path) {
                return false;
            }
        }
        path[bit].1 = before;
        if met.is_none() {
            // First met here: the feature leaves the path with this node.
            path.pop();
        }
        true
    }

    /// The distinct children of a split: left, right, and the missing branch when it is a
    /// node of its own.
    fn children(n: &FlatNode) -> impl Iterator<Item = u32> {
        let missing = (n.missing != n.left && n.missing != n.right).then_some(n.missing);
        [n.left, n.right].into_iter().chain(missing)
    }

    /// The cover-weighted mean of the leaves under `node`.
    fn expected_value(&self, node: u32) -> f64 {
        let n = &self.nodes[node as usize];
        if n.is_leaf() {
            return n.value;
        }
        let cover = self.covers[node as usize];
        if cover <= 0.0 {
            return 0.0;
        }
        Self::children(n).map(|c| self.covers[c as usize] * self.expected_value(c)).sum::<f64>() / cover
    }

    /// The base score plus every tree's expected value: what the Shapley values of a row add
    /// to, to make its log-odds.
    pub fn bias(&self) -> f64 {
        self.expected.iter().fold(self.base, |acc, e| acc + e)
    }

    /// Log-odds of every row of a column-major matrix with `d` features. Rows go through in
    /// blocks: a block's features are gathered row by row, then each tree is walked for every
    /// row of the block while its nodes are in cache (row by row through all the trees was
    /// slower on 80 trees of depth 6: they do not fit in L2).
    pub fn predict(&self, x: &[f64], rows: usize, d: usize) -> Vec<f64> {
        const BLOCK: usize = 64;
        let mut out = vec![self.base; rows];
        let mut buf = vec![0.0; BLOCK * d];
        for start in (0..rows).step_by(BLOCK) {
            let len = BLOCK.min(rows - start);
            for k in 0..d {
                for (r, &v) in x[k * rows + start..k * rows + start + len].iter().enumerate() {
                    buf[r * d + k] = v;
                }
            }
            let acc = &mut out[start..start + len];
            for &root in &self.roots {
                for (r, sum) in acc.iter_mut().enumerate() {
                    let row = &buf[r * d..(r + 1) * d];
                    let mut n = &self.nodes[root as usize];
                    while !n.is_leaf() {
                        n = &self.nodes[n.child(row[n.feature as usize]) as usize];
                    }
                    // Per row: base, then tree by tree in order (forust's own order).
                    *sum += n.value;
                }
            }
        }
        out
    }

    /// Per row, the Shapley value of each of the `d` features for the log-odds (TreeSHAP, from
    /// the leaves' tables when every path has one).
    pub fn shap(&self, x: &[f64], rows: usize, d: usize) -> Vec<Vec<f64>> {
        if self.leaves.is_empty() {
            return self.shap_recursive(x, rows, d);
        }
        // Blocks of rows, tree by tree, like `predict`: one tree's tables stay in cache while
        // the block's rows walk it (row by row through every tree was 2× slower).
        const BLOCK: usize = 64;
        let mut out = Vec::with_capacity(rows);
        let mut buf = vec![0.0; BLOCK * d];
        for start in (0..rows).step_by(BLOCK) {
            let len = BLOCK.min(rows - start);
            for k in 0..d {
                for (r, &v) in x[k * rows + start..k * rows + start + len].iter().enumerate() {
                    buf[r * d + k] = v;
                }
            }
            let mut phi = vec![vec![0.0; d]; len];
            for &root in &self.roots {
                for (r, p) in phi.iter_mut().enumerate() {
                    self.tabled_shap(&buf[r * d..(r + 1) * d], p, root, u32::MAX);
                }
            }
            out.extend(phi);
        }
        out
    }

    /// One tree's Shapley values from the tables: the row walks every branch, and each bit of
    /// `mask` says whether it follows the path at that distinct feature's splits so far (bits
    /// of features not met yet are 1: a feature's first split sets its bit for the branch the
    /// row takes and clears it for the others; later splits on it can only clear it).
    fn tabled_shap(&self, row: &[f64], phi: &mut [f64], node: u32, mask: u32) {
        let n = &self.nodes[node as usize];
        if n.is_leaf() {
            let leaf = self.leaves[self.leaf_of[node as usize] as usize];
            let k = leaf.k as usize;
            let m = (mask & ((1u32 << k) - 1)) as usize;
            let values = &self.tables[leaf.table as usize + m * k..][..k];
            let features = &self.leaf_features[leaf.features as usize..][..k];
            for (&f, &v) in features.iter().zip(values) {
                phi[f as usize] += v;
            }
            return;
        }
        let hot = n.child(row[n.feature as usize]);
        let cold = mask & !(1u32 << self.bits[node as usize]);
        for c in Self::children(n) {
            self.tabled_shap(row, phi, c, if c == hot { mask } else { cold });
        }
    }

    /// TreeSHAP node by node (the reference the tables are checked against, and what paths
    /// too long for a table use).
    pub fn shap_recursive(&self, x: &[f64], rows: usize, d: usize) -> Vec<Vec<f64>> {
        let mut path = vec![PathElement::default(); (self.max_depth + 2) * (self.max_depth + 3) / 2 + 1];
        let mut row = vec![0.0; d];
        (0..rows)
            .map(|i| {
                for (k, v) in row.iter_mut().enumerate() {
                    *v = x[k * rows + i];
                }
                let mut phi = vec![0.0; d];
                for &root in &self.roots {
                    self.tree_shap(&row, &mut phi, &mut path, root, 0, 0, 1.0, 1.0, u32::MAX);
                }
                phi
            })
            .collect()
    }

    /// One node of TreeSHAP. The node's path lives at `path[at..]`, right after its parent's
    /// (which starts at `parent` and has `depth` elements before this node extends it).
    #[allow(clippy::too_many_arguments)]
    fn tree_shap(
        &self,
        row: &[f64],
        phi: &mut [f64],
        path: &mut [PathElement],
        node: u32,
        parent: usize,
        mut depth: usize,
        zero: f64,
        one: f64,
        feature: u32,
    ) {
        let at = parent + depth + 1;
        path.copy_within(parent..parent + depth + 1, at);
        let p = &mut path[at..];
        extend(p, depth, zero, one, feature);
        let n = self.nodes[node as usize];
        if n.is_leaf() {
            for i in 1..=depth {
                let w = unwound_sum(p, depth, i);
                let e = p[i];
                phi[e.feature as usize] += w * (e.one - e.zero) * n.value;
            }
            return;
        }
        let hot = n.child(row[n.feature as usize]);
        // A feature met before on the path: undo its earlier split and carry its fractions.
        let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
        if let Some(k) = (0..=depth).find(|&k| p[k].feature == n.feature) {
            incoming_zero = p[k].zero;
            incoming_one = p[k].one;
            unwind(p, depth, k);
            depth -= 1;
        }
        let cover = self.covers[node as usize];
        for c in Self::children(&n) {
            let share = if cover > 0.0 { self.covers[c as usize] / cover } else { 0.0 };
            let one = if c == hot { incoming_one } else { 0.0 };
            self.tree_shap(row, phi, path, c, at, depth + 1, share * incoming_zero, one, n.feature);
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct PathElement {
    feature: u32,
    /// Share of the training rows that follow the path through this feature's split.
    zero: f64,
    /// 1 when this row follows it, else 0.
    one: f64,
    /// Permutation weight.
    pweight: f64,
}

fn extend(p: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: u32) {
    p[depth] = PathElement { feature, zero, one, pweight: if depth == 0 { 1.0 } else { 0.0 } };
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        p[i + 1].pweight += one * p[i].pweight * (i + 1) as f64 / d1;
        p[i].pweight = zero * p[i].pweight * (depth - i) as f64 / d1;
    }
}

fn unwind(p: &mut [PathElement], depth: usize, index: usize) {
    let (one, zero) = (p[index].one, p[index].zero);
    let d1 = (depth + 1) as f64;
    let mut next = p[depth].pweight;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = p[i].pweight;
            p[i].pweight = next * d1 / ((i + 1) as f64 * one);
            next = tmp - p[i].pweight * zero * (depth - i) as f64 / d1;
        } else {
            p[i].pweight = p[i].pweight * d1 / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        p[i].feature = p[i + 1].feature;
        p[i].zero = p[i + 1].zero;
        p[i].one = p[i + 1].one;
    }
}

fn unwound_sum(p: &[PathElement], depth: usize, index: usize) -> f64 {
    let (one, zero) = (p[index].one, p[index].zero);
    let d1 = (depth + 1) as f64;
    let mut next = p[depth].pweight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = next * d1 / ((i + 1) as f64 * one);
            total += tmp;
            next = p[i].pweight - tmp * zero * (depth - i) as f64 / d1;
        } else if zero != 0.0 {
            total += p[i].pweight / zero / ((depth - i) as f64 / d1);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A forust model on 6 features (one with missing values), with interactions, so that
    /// paths meet up to 6 distinct features and features repeat along them.
    fn model() -> (forust_ml::GradientBooster, Vec<f64>, usize, usize) {
        let (rows, d) = (2000, 6);
        let mut s = 11u64;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut x = vec![0.0; rows * d];
        let mut y = vec![0.0; rows];
        for i in 0..rows {
            let r: Vec<f64> = (0..d).map(|_| rnd()).collect();
            let l = 2.0 * r[0] - 1.5 * r[1] * r[2] + if r[3] > 0.5 { 1.0 } else { -0.5 } + r[4] * r[5] - 0.5;
            y[i] = (rnd() < 1.0 / (1.0 + (-l).exp())) as u8 as f64;
            for k in 0..d {
                x[k * rows + i] = if k == 4 && i % 9 == 0 { f64::NAN } else { r[k] };
            }
        }
        let mut b = forust_ml::GradientBooster::default().set_iterations(30).set_learning_rate(0.2).set_max_depth(6);
        b.fit(&forust_ml::Matrix::new(&x, rows, d), &y, &vec![1.0; rows], None).unwrap();
        (b, x, rows, d)
    }

    #[test]
    fn flat_predictions_are_forusts() {
        let (b, x, rows, d) = model();
        let flat = FlatTrees::of(&b).expect("a flat form");
        assert_eq!(flat.predict(&x, rows, d), b.predict(&forust_ml::Matrix::new(&x, rows, d), false));
    }

    #[test]
    fn tabled_shap_is_treeshap_and_adds_up() {
        let (b, x, rows, d) = model();
        let flat = FlatTrees::of(&b).expect("a flat form");
        assert!(!flat.leaves.is_empty(), "every path has a table");
        assert!(flat.leaves.iter().any(|l| l.k >= 4), "some paths meet several features");
        let tabled = flat.shap(&x, rows, d);
        let recursive = flat.shap_recursive(&x, rows, d);
        let theirs = b.predict_contributions(
            &forust_ml::Matrix::new(&x, rows, d),
            forust_ml::gradientbooster::ContributionsMethod::Shapley,
            false,
        );
        let log_odds = flat.predict(&x, rows, d);
        for i in 0..rows {
            let sum: f64 = tabled[i].iter().sum();
            assert!((flat.bias() + sum - log_odds[i]).abs() < 1e-9, "row {i}");
            for k in 0..d {
                assert!((tabled[i][k] - recursive[i][k]).abs() < 1e-9, "row {i} feature {k}");
                let t = theirs[i * (d + 1) + k];
                assert!(
                    (tabled[i][k] - t).abs() < 1e-4 * (1.0 + t.abs()),
                    "row {i} feature {k}: {} vs {t}",
                    tabled[i][k]
                );
            }
        }
    }
}
