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

/// Where the proof algorithms find the roots of perfect subtrees: a tree in memory, or one
/// whose lower levels are partly on disk (which may answer "load this chunk first").
pub(crate) trait Nodes {
    /// Why a node is not at hand.
    type Missing;

    /// The root of the perfect subtree of `2^level` leaves starting at leaf
    /// `index << level`; the caller keeps within the tree.
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Missing>;
}

/// MTH(D[start:end]) for a non-empty range of leaves.
fn subtree<N: Nodes + ?Sized>(nodes: &N, start: u64, end: u64) -> Result<Hash, N::Missing> {
    let n = end - start;
    if n.is_power_of_two() && start.is_multiple_of(n) {
        let level = n.trailing_zeros();
        return nodes.node(level, start >> level);
    }
    let k = split_point(n);
    Ok(node_hash(&subtree(nodes, start, start + k)?, &subtree(nodes, start + k, end)?))
}

/// The root of the first `tree_size` leaves.
pub(crate) fn root<N: Nodes + ?Sized>(nodes: &N, tree_size: u64) -> Result<Hash, N::Missing> {
    if tree_size == 0 { Ok(empty_root()) } else { subtree(nodes, 0, tree_size) }
}

/// RFC 6962's PATH(index, D[0:tree_size]); the caller checks `index < tree_size`.
pub(crate) fn inclusion_proof<N: Nodes + ?Sized>(
    nodes: &N,
    index: u64,
    tree_size: u64,
) -> Result<Vec<Hash>, N::Missing> {
    let mut proof = Vec::new();
    path(nodes, index, 0, tree_size, &mut proof)?;
    Ok(proof)
}

/// RFC 6962's PROOF(old_size, D[0:new_size]); the caller checks `0 < old_size <= new_size`.
pub(crate) fn consistency_proof<N: Nodes + ?Sized>(
    nodes: &N,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, N::Missing> {
    let mut proof = Vec::new();
    if old_size < new_size {
        subproof(nodes, old_size, 0, new_size, true, &mut proof)?;
    }
    Ok(proof)
}

fn path<N: Nodes + ?Sized>(
    nodes: &N,
    index: u64,
    start: u64,
    end: u64,
    proof: &mut Vec<Hash>,
) -> Result<(), N::Missing> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split_point(n);
    if index < k {
        path(nodes, index, start, start + k, proof)?;
        proof.push(subtree(nodes, start + k, end)?);
    } else {
        path(nodes, index - k, start + k, end, proof)?;
        proof.push(subtree(nodes, start, start + k)?);
    }
    Ok(())
}

fn subproof<N: Nodes + ?Sized>(
    nodes: &N,
    m: u64,
    start: u64,
    end: u64,
    known: bool,
    proof: &mut Vec<Hash>,
) -> Result<(), N::Missing> {
    let n = end - start;
    if m == n {
        if !known {
            proof.push(subtree(nodes, start, end)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof(nodes, m, start, start + k, known, proof)?;
        proof.push(subtree(nodes, start + k, end)?);
    } else {
        subproof(nodes, m - k, start + k, end, false, proof)?;
        proof.push(subtree(nodes, start, start + k)?);
    }
    Ok(())
}

/// Every leaf hash and every complete inner node of the tree, level by level.
///
/// `levels[k][j]` is the root of the perfect subtree over leaves `j*2^k .. (j+1)*2^k`. This
/// costs about two hashes (64 bytes) per leaf, and buys proofs and roots for any past size
/// in O(log² n). The log keeps one for the roots of its complete chunks and one for the
/// leaves after them ([`ChunkedTree`]).
#[derive(Debug, Default, Clone)]
pub(crate) struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// The tree of `leaves`.
    pub(crate) fn of(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = MerkleTree::default();
        leaves.into_iter().for_each(|leaf| tree.push(leaf));
        tree
    }

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
        let Ok(root) = root(self, tree_size);
        root
    }

    /// RFC 6962's PATH(index, D[0:tree_size]); the caller checks `index < tree_size <= size()`.
    #[cfg(test)]
    pub(crate) fn inclusion_proof(&self, index: u64, tree_size: u64) -> Vec<Hash> {
        let Ok(proof) = inclusion_proof(self, index, tree_size);
        proof
    }

    /// RFC 6962's PROOF(old_size, D[0:new_size]); the caller checks
    /// `0 < old_size <= new_size <= size()`.
    #[cfg(test)]
    pub(crate) fn consistency_proof(&self, old_size: u64, new_size: u64) -> Vec<Hash> {
        let Ok(proof) = consistency_proof(self, old_size, new_size);
        proof
    }

    /// The frontier of the whole tree: its perfect subtrees, largest first, one per set bit
    /// of the size. Lets the root after more leaves be computed without changing the tree.
    #[cfg(test)]
    pub(crate) fn frontier(&self) -> Frontier {
        self.frontier_above(0, 0)
    }

    /// The frontier of this tree taken as the levels from `height` up of a larger one
    /// (every leaf here the root of a perfect subtree of `2^height` leaves there), whose
    /// perfect subtrees start at leaf `offset`.
    fn frontier_above(&self, height: u32, offset: u64) -> Frontier {
        let size = self.size();
        let mut stack = Vec::new();
        let mut start = 0;
        for level in (0..u64::BITS).rev() {
            let width = 1u64 << level;
            if size & width != 0 {
                stack.push((level + height, self.levels[level as usize][(start >> level) as usize]));
                start += width;
            }
        }
        Frontier { stack, size: offset + (size << height) }
    }
}

impl Nodes for MerkleTree {
    type Missing = std::convert::Infallible;

    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Missing> {
        Ok(self.levels[level as usize][index as usize])
    }
}

/// A chunk the caller must load (the leaf hashes of chunk `.0`) before asking again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MissingChunk(pub(crate) u64);

/// The log's tree with its lower levels left on disk: the leaves are cut into chunks of
/// `2^bits`, and memory holds the tree over the roots of the complete chunks plus the
/// leaves after them. That is two hashes per chunk instead of per leaf, and what a log of
/// any length needs to be opened: the stored chunk roots and one chunk of leaves.
///
/// A root or proof that needs a node inside a complete chunk names the chunk
/// ([`MissingChunk`]); the caller loads its leaves and asks again ([`ChunkedTree::nodes`]).
#[derive(Debug, Clone)]
pub(crate) struct ChunkedTree {
    bits: u32,
    /// One leaf per complete chunk: its root.
    chunks: MerkleTree,
    /// The leaves after the last complete chunk (fewer than a chunk).
    tail: MerkleTree,
}

impl ChunkedTree {
    /// The tree of complete chunks with roots `chunk_roots`, followed by `tail` leaves
    /// (fewer than `2^bits`).
    pub(crate) fn new(
        bits: u32,
        chunk_roots: impl IntoIterator<Item = Hash>,
        tail: impl IntoIterator<Item = Hash>,
    ) -> Self {
        let tree = ChunkedTree { bits, chunks: MerkleTree::of(chunk_roots), tail: MerkleTree::of(tail) };
        debug_assert!(tree.tail.size() < tree.chunk_size());
        tree
    }

    /// Leaves per chunk.
    pub(crate) fn chunk_size(&self) -> u64 {
        1 << self.bits
    }

    /// The number of leaves.
    pub(crate) fn size(&self) -> u64 {
        (self.chunks.size() << self.bits) + self.tail.size()
    }

    /// Adds a leaf; returns the number and root of the chunk it completes, if it does.
    pub(crate) fn push(&mut self, leaf: Hash) -> Option<(u64, Hash)> {
        self.tail.push(leaf);
        if self.tail.size() < self.chunk_size() {
            return None;
        }
        let root = self.tail.root(self.chunk_size());
        let chunk = self.chunks.size();
        self.chunks.push(root);
        self.tail = MerkleTree::default();
        Some((chunk, root))
    }

    /// The chunks that `leaves`, appended, would complete, with their roots (the tree
    /// itself does not change: the caller stores them with the leaves, then pushes).
    pub(crate) fn chunks_completed_by(&self, leaves: &[Hash]) -> Vec<(u64, Hash)> {
        let mut tail = self.tail.clone();
        let mut chunk = self.chunks.size();
        let mut completed = Vec::new();
        for leaf in leaves {
            tail.push(*leaf);
            if tail.size() == self.chunk_size() {
                completed.push((chunk, tail.root(self.chunk_size())));
                tail = MerkleTree::default();
                chunk += 1;
            }
        }
        completed
    }

    /// The frontier of the whole tree, to hash a batch of appends ahead of storing it.
    pub(crate) fn frontier(&self) -> Frontier {
        let mut frontier = self.chunks.frontier_above(self.bits, 0);
        let tail = self.tail.frontier_above(0, frontier.size);
        frontier.stack.extend(tail.stack);
        frontier.size = tail.size;
        frontier
    }

    /// The tree's nodes, with the leaves of the complete chunks in `loaded` at hand.
    pub(crate) fn nodes<'a>(&'a self, loaded: &'a std::collections::HashMap<u64, MerkleTree>) -> ChunkNodes<'a> {
        ChunkNodes { tree: self, loaded }
    }
}

/// A [`ChunkedTree`] with some chunks' leaves loaded.
pub(crate) struct ChunkNodes<'a> {
    tree: &'a ChunkedTree,
    loaded: &'a std::collections::HashMap<u64, MerkleTree>,
}

impl Nodes for ChunkNodes<'_> {
    type Missing = MissingChunk;

    fn node(&self, level: u32, index: u64) -> Result<Hash, MissingChunk> {
        let bits = self.tree.bits;
        if level >= bits {
            let Ok(node) = self.tree.chunks.node(level - bits, index);
            return Ok(node);
        }
        let chunk = index >> (bits - level);
        let within = index - (chunk << (bits - level));
        let leaves = if chunk == self.tree.chunks.size() {
            &self.tree.tail
        } else {
            self.loaded.get(&chunk).ok_or(MissingChunk(chunk))?
        };
        let Ok(node) = leaves.node(level, within);
        Ok(node)
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

    /// A chunked tree answers every root and proof like the whole tree, once the chunks it
    /// names are loaded.
    #[test]
    fn a_chunked_tree_agrees_with_the_whole_tree() {
        let all = leaves(45);
        let bits = 3;
        let mut whole = MerkleTree::default();
        let mut chunked = ChunkedTree::new(bits, [], []);
        let mut stored: std::collections::HashMap<u64, MerkleTree> = Default::default();
        for (i, leaf) in all.iter().enumerate() {
            assert_eq!(
                chunked.chunks_completed_by(&[*leaf]),
                chunked.clone().push(*leaf).into_iter().collect::<Vec<_>>()
            );
            if let Some((chunk, root)) = chunked.push(*leaf) {
                let leaves = &all[(chunk as usize) << bits..((chunk as usize) + 1) << bits];
                assert_eq!(root, reference_root(leaves), "chunk {chunk}");
                stored.insert(chunk, MerkleTree::of(leaves.iter().copied()));
            }
            whole.push(*leaf);
            assert_eq!(chunked.size(), i as u64 + 1);
            assert_eq!(chunked.frontier().root(), reference_root(&all[..=i]), "frontier at {}", i + 1);
        }
        // Asks for chunks one at a time, as the log does, until the answer comes.
        let answer = |f: &dyn Fn(&ChunkNodes<'_>) -> Result<Vec<Hash>, MissingChunk>| {
            let mut loaded = std::collections::HashMap::new();
            loop {
                match f(&chunked.nodes(&loaded)) {
                    Ok(answer) => return (answer, loaded.len()),
                    Err(MissingChunk(chunk)) => {
                        assert!(loaded.insert(chunk, stored[&chunk].clone()).is_none(), "asked twice for {chunk}");
                    }
                }
            }
        };
        for size in 0..=45u64 {
            let (root_hash, _) = answer(&|nodes| root(nodes, size).map(|r| vec![r]));
            assert_eq!(root_hash, vec![whole.root(size)], "root at {size}");
            for index in 0..size {
                let (proof, n_loaded) = answer(&|nodes| inclusion_proof(nodes, index, size));
                assert_eq!(proof, whole.inclusion_proof(index, size), "inclusion ({index}, {size})");
                assert!(n_loaded <= 2, "({index}, {size}) loaded {n_loaded} chunks");
            }
            for old in 1..=size {
                let (proof, n_loaded) = answer(&|nodes| consistency_proof(nodes, old, size));
                assert_eq!(proof, whole.consistency_proof(old, size), "consistency ({old}, {size})");
                assert!(n_loaded <= 2, "({old}, {size}) loaded {n_loaded} chunks");
            }
        }
    }
}
