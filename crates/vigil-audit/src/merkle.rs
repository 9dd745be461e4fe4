//! RFC 6962 hashing, the in-memory tree the log keeps, and the proof algorithms.
//!
//! Everything here is pure: no I/O, no clock, so proofs can be checked by anyone who has
//! the hashes, and the tree can be tested without a database.

use sha2::{Digest, Sha256};

/// A SHA-256 hash: of a leaf, of an inner node or of a whole tree.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of no bytes (RFC 6962 section 2.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The hash of one record as a leaf: SHA-256(0x00 ‖ record).
///
/// The 0x00 prefix keeps a leaf from ever being taken for an inner node (second-preimage
/// protection, RFC 6962 section 2.1).
pub fn leaf_hash(record: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(record);
    hasher.finalize().into()
}

/// The hash of an inner node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Checks that `proof` shows the leaf `leaf_hash` at `index` in the tree of `tree_size`
/// leaves whose root is `root` (RFC 9162 section 2.1.3.2, which verifies RFC 6962's paths).
pub fn verify_inclusion(leaf_hash: &Hash, index: u64, tree_size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= tree_size {
        return false;
    }
    let mut f_n = index;
    let mut s_n = tree_size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// Checks that `proof` shows the tree of `old_size` leaves with root `old_root` to be a
/// prefix of the tree of `new_size` leaves with root `new_root` (RFC 9162 section 2.1.4.2,
/// which verifies RFC 6962's consistency proofs).
///
/// Equal sizes are consistent when the roots are equal and the proof is empty. A size of
/// zero is refused: RFC 6962 defines no proof from the empty tree.
pub fn verify_consistency(old_size: u64, new_size: u64, old_root: &Hash, new_root: &Hash, proof: &[Hash]) -> bool {
    if old_size == 0 || old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    // When the old tree is a perfect subtree, its root is the proof's implicit first node.
    let mut nodes: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        nodes.push(*old_root);
    }
    nodes.extend_from_slice(proof);
    let Some((first, rest)) = nodes.split_first() else {
        return false;
    };
    let mut f_n = old_size - 1;
    let mut s_n = new_size - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut f_r = *first;
    let mut s_r = *first;
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && f_r == *old_root && s_r == *new_root
}

/// The largest power of two strictly smaller than `n` (for `n >= 2`): where RFC 6962 splits
/// a tree of `n` leaves into its left and right subtrees.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Every leaf hash and every complete inner node of the tree, level by level.
///
/// `levels[k][j]` is the root of the perfect subtree over leaves `j*2^k .. (j+1)*2^k`. This
/// costs about two hashes (64 bytes) per record, and buys proofs and roots for any past
/// size in O(log² n) without touching the database.
#[derive(Debug, Default, Clone)]
pub(crate) struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// The number of leaves.
    pub(crate) fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Adds a leaf, completing the perfect subtrees it closes.
    pub(crate) fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut hash = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let nodes = &mut self.levels[level];
            nodes.push(hash);
            if nodes.len() % 2 == 1 {
                return;
            }
            hash = node_hash(&nodes[nodes.len() - 2], &nodes[nodes.len() - 1]);
            level += 1;
        }
    }

    /// The root of the first `tree_size` leaves; the caller checks `tree_size <= size()`.
    pub(crate) fn root(&self, tree_size: u64) -> Hash {
        if tree_size == 0 { empty_root() } else { self.subtree(0, tree_size) }
    }

    /// RFC 6962's PATH(index, D[0:tree_size]); the caller checks `index < tree_size <= size()`.
    pub(crate) fn inclusion_proof(&self, index: u64, tree_size: u64) -> Vec<Hash> {
        let mut proof = Vec::new();
        self.path(index, 0, tree_size, &mut proof);
        proof
    }

    /// RFC 6962's PROOF(old_size, D[0:new_size]); the caller checks
    /// `0 < old_size <= new_size <= size()`.
    pub(crate) fn consistency_proof(&self, old_size: u64, new_size: u64) -> Vec<Hash> {
        let mut proof = Vec::new();
        if old_size < new_size {
            self.subproof(old_size, 0, new_size, true, &mut proof);
        }
        proof
    }

    /// The frontier of the whole tree: its perfect subtrees, largest first, one per set bit
    /// of the size. Lets the root after more leaves be computed without changing the tree.
    pub(crate) fn frontier(&self) -> Frontier {
        let size = self.size();
        let mut stack = Vec::new();
        let mut start = 0;
        for height in (0..u64::BITS).rev() {
            let width = 1u64 << height;
            if size & width != 0 {
                stack.push((height, self.levels[height as usize][(start >> height) as usize]));
                start += width;
            }
        }
        Frontier { stack, size }
    }

    /// MTH(D[start:end]) for a non-empty range of stored leaves.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][(start >> level) as usize];
        }
        let k = split_point(n);
        node_hash(&self.subtree(start, start + k), &self.subtree(start + k, end))
    }

    fn path(&self, index: u64, start: u64, end: u64, proof: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if index < k {
            self.path(index, start, start + k, proof);
            proof.push(self.subtree(start + k, end));
        } else {
            self.path(index - k, start + k, end, proof);
            proof.push(self.subtree(start, start + k));
        }
    }

    fn subproof(&self, m: u64, start: u64, end: u64, known: bool, proof: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !known {
                proof.push(self.subtree(start, end));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, known, proof);
            proof.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, proof);
            proof.push(self.subtree(start, start + k));
        }
    }
}

/// The roots of the perfect subtrees that make up the tree so far: enough to know the root
/// of a growing tree in O(log n) memory, which is what a full verification pass needs.
#[derive(Debug, Default, Clone)]
pub(crate) struct Frontier {
    /// (height, hash), heights strictly decreasing from the bottom of the stack.
    stack: Vec<(u32, Hash)>,
    size: u64,
}

impl Frontier {
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn push(&mut self, leaf: Hash) {
        let mut height = 0;
        let mut hash = leaf;
        while let Some(&(top_height, top_hash)) = self.stack.last() {
            if top_height != height {
                break;
            }
            self.stack.pop();
            hash = node_hash(&top_hash, &hash);
            height += 1;
        }
        self.stack.push((height, hash));
        self.size += 1;
    }

    /// The root of the leaves pushed so far. The perfect subtrees are RFC 6962's splits in
    /// order (the largest power of two first), so the root folds them from the right.
    pub(crate) fn root(&self) -> Hash {
        let mut nodes = self.stack.iter().rev();
        let Some(&(_, mut root)) = nodes.next() else {
            return empty_root();
        };
        for (_, left) in nodes {
            root = node_hash(left, &root);
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MTH written straight from RFC 6962, over a slice of leaf hashes.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn split_point_is_the_largest_power_of_two_below_n() {
        let cases = [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1 << 40, 1 << 39), ((1 << 40) + 1, 1 << 40)];
        for (n, k) in cases {
            assert_eq!(split_point(n), k, "n = {n}");
        }
    }

    #[test]
    fn the_empty_tree_hashes_to_sha256_of_nothing() {
        assert_eq!(hex::encode(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn tree_and_frontier_agree_with_the_rfc_definition_for_every_size() {
        let all = leaves(70);
        let mut tree = MerkleTree::default();
        let mut frontier = Frontier::default();
        assert_eq!(tree.root(0), empty_root());
        assert_eq!(frontier.root(), empty_root());
        for (i, leaf) in all.iter().enumerate() {
            tree.push(*leaf);
            frontier.push(*leaf);
            let expected = reference_root(&all[..=i]);
            assert_eq!(frontier.root(), expected, "frontier at size {}", i + 1);
            let mut from_tree = tree.frontier();
            assert_eq!(from_tree.root(), expected, "the tree's frontier at size {}", i + 1);
            from_tree.push(all[0]);
            let mut longer = all[..=i].to_vec();
            longer.push(all[0]);
            assert_eq!(from_tree.root(), reference_root(&longer), "the tree's frontier grown past {}", i + 1);
            for size in 0..=i + 1 {
                assert_eq!(tree.root(size as u64), reference_root(&all[..size]), "tree root at {size}");
            }
        }
        assert_eq!(frontier.size(), 70);
    }

    #[test]
    fn proofs_round_trip_through_the_verifiers() {
        let all = leaves(40);
        let mut tree = MerkleTree::default();
        all.iter().for_each(|leaf| tree.push(*leaf));
        for size in 1..=40 {
            let root = tree.root(size);
            for index in 0..size {
                let proof = tree.inclusion_proof(index, size);
                assert!(verify_inclusion(&all[index as usize], index, size, &proof, &root), "({index}, {size})");
                assert!(!verify_inclusion(&all[index as usize], index + 1, size, &proof, &root));
            }
            for old in 1..=size {
                let proof = tree.consistency_proof(old, size);
                assert!(verify_consistency(old, size, &tree.root(old), &root, &proof), "({old}, {size})");
                if old < size {
                    assert!(!verify_consistency(old, size, &tree.root(old), &tree.root(size - 1), &proof));
                }
            }
        }
    }
}
