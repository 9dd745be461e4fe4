//! The audit log's proof verifiers on any sizes, indices and hashes: three u64s (index,
//! tree size, old tree size), then 32-byte hashes (leaf, root, old root, the proof). They
//! must answer true or false, never panic (no overflow on sizes near u64::MAX), and never
//! accept an index outside the tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_audit::{Hash, verify_consistency, verify_inclusion};

fuzz_target!(|data: &[u8]| {
    if data.len() < 24 + 3 * 32 {
        return;
    }
    let number = |i: usize| u64::from_le_bytes(data[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let (index, size, old_size) = (number(0), number(1), number(2));
    let hashes: Vec<Hash> = data[24..].chunks_exact(32).map(|c| c.try_into().expect("32 bytes")).collect();
    let (leaf, root, old_root, proof) = (&hashes[0], &hashes[1], &hashes[2], &hashes[3..]);
    let included = verify_inclusion(leaf, index, size, proof, root);
    assert!(!(included && index >= size), "inclusion of {index} accepted in a tree of {size}");
    let _ = verify_consistency(old_size, size, old_root, root, proof);
});
