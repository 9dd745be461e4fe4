//! Signed tree heads, the public key that checks them, and the signing key's file.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::{AuditError, Hash};

/// The first line of every signed message: names the format so that a signature over
/// something else can never be taken for a tree head, and so a later format can coexist.
pub const SIGNED_HEAD_DOMAIN: &str = "vigil-audit-sth-v1";

/// The name of the signing key's file inside the key directory.
pub const KEY_FILE_NAME: &str = "audit-signing.key";

/// A signed tree head: the log's size and root at one moment, signed by the log's key.
///
/// Whoever keeps a copy (an operator, a monitoring job) can later prove that the log still
/// holds exactly those records: [`verify`](crate::verify) compares it with the tree
/// recomputed from the stored records. The fields are strings where they are signed as
/// strings, so a head read back from JSON checks against exactly the bytes that were signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    /// How many records the tree covers.
    pub tree_size: u64,
    /// The tree's root, lowercase hex.
    pub root_hash: String,
    /// When it was signed, RFC 3339, as signed.
    pub timestamp: String,
    /// Ed25519 over [`SignedHead::signed_message`], lowercase hex.
    pub signature: String,
}

impl SignedHead {
    /// The exact bytes the signature covers, UTF-8 with `\n` between lines and none at the
    /// end: `vigil-audit-sth-v1\n{tree_size}\n{root_hash}\n{timestamp}`.
    pub fn signed_message(&self) -> String {
        signed_message(self.tree_size, &self.root_hash, &self.timestamp)
    }

    /// The root as bytes, or `None` when `root_hash` is not 64 hex digits.
    pub fn root(&self) -> Option<Hash> {
        let mut root = [0u8; 32];
        hex::decode_to_slice(&self.root_hash, &mut root).ok()?;
        Some(root)
    }

    /// Signs `root` at `tree_size` with `key`.
    pub(crate) fn sign(key: &SigningKey, tree_size: u64, root: &Hash, timestamp: String) -> SignedHead {
        let root_hash = hex::encode(root);
        let signature = key.sign(signed_message(tree_size, &root_hash, &timestamp).as_bytes());
        SignedHead { tree_size, root_hash, timestamp, signature: hex::encode(signature.to_bytes()) }
    }
}

fn signed_message(tree_size: u64, root_hex: &str, timestamp: &str) -> String {
    format!("{SIGNED_HEAD_DOMAIN}\n{tree_size}\n{root_hex}\n{timestamp}")
}

/// Checks that `head` was signed by the key whose public half is `public_key`.
///
/// The root must be 64 lowercase hex digits, as the log writes it: accepting other
/// spellings would let one signed head be shown in several textual forms.
pub fn verify_head_signature(head: &SignedHead, public_key: &PublicKey) -> bool {
    let well_formed =
        head.root_hash.len() == 64 && head.root_hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !well_formed {
        return false;
    }
    let mut signature = [0u8; 64];
    if hex::decode_to_slice(&head.signature, &mut signature).is_err() {
        return false;
    }
    public_key.0.verify_strict(head.signed_message().as_bytes(), &Signature::from_bytes(&signature)).is_ok()
}

/// The public half of the log's signing key: what a verifier needs, and all it needs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410) up to the 32 key bytes.
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

impl PublicKey {
    /// The raw 32 key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Reads raw key bytes, refusing points that are not valid Ed25519 keys.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, AuditError> {
        VerifyingKey::from_bytes(bytes).map(PublicKey).map_err(|e| AuditError::InvalidPublicKey(e.to_string()))
    }

    /// The raw key as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Reads 64 hex digits.
    pub fn from_hex(text: &str) -> Result<PublicKey, AuditError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes)
            .map_err(|e| AuditError::InvalidPublicKey(format!("not 64 hex digits: {e}")))?;
        PublicKey::from_bytes(&bytes)
    }

    /// The key as a `PUBLIC KEY` PEM block (SubjectPublicKeyInfo, RFC 8410), which OpenSSL
    /// and most tools read.
    pub fn to_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.to_bytes());
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", base64_encode(&der))
    }

    /// Reads a `PUBLIC KEY` PEM block holding an Ed25519 key.
    pub fn from_pem(text: &str) -> Result<PublicKey, AuditError> {
        let invalid = |why: &str| AuditError::InvalidPublicKey(format!("not an Ed25519 PEM public key: {why}"));
        let body = text
            .trim()
            .strip_prefix("-----BEGIN PUBLIC KEY-----")
            .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
            .ok_or_else(|| invalid("missing BEGIN/END PUBLIC KEY lines"))?;
        let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64_decode(&base64).ok_or_else(|| invalid("bad base64"))?;
        let key = der
            .strip_prefix(&SPKI_PREFIX[..])
            .and_then(|key| <&[u8; 32]>::try_from(key).ok())
            .ok_or_else(|| invalid("not an Ed25519 SubjectPublicKeyInfo"))?;
        PublicKey::from_bytes(key)
    }
}

/// Parses either form [`PublicKey`] writes: 64 hex digits or a PEM block.
impl FromStr for PublicKey {
    type Err = AuditError;
    fn from_str(text: &str) -> Result<PublicKey, AuditError> {
        if text.trim_start().starts_with("-----BEGIN") { PublicKey::from_pem(text) } else { PublicKey::from_hex(text) }
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl PublicKey {
    pub(crate) fn of(key: &SigningKey) -> PublicKey {
        PublicKey(key.verifying_key())
    }
}

/// The public key of the signing key stored in `dir`, without creating one.
pub fn read_public_key(dir: &Path) -> Result<PublicKey, AuditError> {
    let path = dir.join(KEY_FILE_NAME);
    let text = std::fs::read_to_string(&path).map_err(|e| key_error(&path, format!("cannot read: {e}")))?;
    Ok(PublicKey::of(&parse_key(&path, &text)?))
}

/// Loads the signing key from `dir`, or makes one and stores it there on first start.
///
/// The file holds the 32-byte seed as hex, mode 0600. A new key is written to a temporary
/// file, synced, then hard-linked into place: a crash leaves either no key or a whole one,
/// and two processes starting at once cannot overwrite each other's key.
pub(crate) fn load_or_create_key(dir: &Path) -> Result<SigningKey, AuditError> {
    let path = dir.join(KEY_FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => return parse_key(&path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(key_error(&path, format!("cannot read: {e}"))),
    }
    std::fs::create_dir_all(dir).map_err(|e| key_error(dir, format!("cannot create the key directory: {e}")))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| key_error(&path, format!("no randomness for a new key: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    let temporary = dir.join(format!(".{KEY_FILE_NAME}.{}.tmp", std::process::id()));
    write_private_file(&temporary, format!("{}\n", hex::encode(seed)).as_bytes())
        .map_err(|e| key_error(&temporary, format!("cannot write: {e}")))?;
    seed.fill(0);
    let linked = std::fs::hard_link(&temporary, &path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            sync_dir(dir);
            tracing::info!(path = %path.display(), public_key = %PublicKey::of(&key), "created the audit signing key");
            Ok(key)
        }
        // Another process made the key first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path).map_err(|e| key_error(&path, format!("cannot read: {e}")))?;
            parse_key(&path, &text)
        }
        Err(e) => Err(key_error(&path, format!("cannot store: {e}"))),
    }
}

fn parse_key(path: &Path, text: &str) -> Result<SigningKey, AuditError> {
    warn_if_readable_by_others(path);
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| key_error(path, "is not 64 hex digits".into()))?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    Ok(key)
}

fn key_error(path: &Path, message: String) -> AuditError {
    AuditError::Key { path: PathBuf::from(path), message }
}

#[cfg(unix)]
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Makes the new directory entry durable; failing here only weakens crash safety, so it
/// is not an error.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path) {
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "the audit signing key is readable by others; it should be mode 600"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

const BASE64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding: written by hand because PEM of one 44-byte key is its only use.
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64_ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let chunks: Vec<&[u8]> = text.as_bytes().chunks(4).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let padding = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if padding > 2 || (padding > 0 && i + 1 != chunks.len()) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - padding] {
            let value = BASE64_ALPHABET.iter().position(|&a| a == c)?;
            n = n << 6 | value as u32;
        }
        n <<= 6 * padding as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - padding]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example key of RFC 8410 section 10.1, so the PEM is checked against the standard.
    const RFC8410_KEY: &str = "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1";
    const RFC8410_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

    #[test]
    fn pem_matches_rfc_8410_and_reads_back() {
        let key = PublicKey::from_hex(RFC8410_KEY).expect("valid key");
        assert_eq!(key.to_pem(), RFC8410_PEM);
        assert_eq!(PublicKey::from_pem(RFC8410_PEM).expect("valid pem"), key);
        assert_eq!(RFC8410_PEM.parse::<PublicKey>().expect("pem"), key);
        assert_eq!(RFC8410_KEY.parse::<PublicKey>().expect("hex"), key);
    }

    #[test]
    fn base64_round_trips_every_length() {
        for n in 0..10u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(97)).collect();
            assert_eq!(base64_decode(&base64_encode(&bytes)), Some(bytes));
        }
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
        assert_eq!(base64_decode("Zm9v!g=="), None);
    }

    #[test]
    fn a_head_verifies_and_any_changed_field_does_not() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public_key = PublicKey::of(&key);
        let head = SignedHead::sign(&key, 5, &[0xab; 32], "2025-03-01T12:00:00Z".into());
        assert_eq!(head.signed_message(), format!("vigil-audit-sth-v1\n5\n{}\n2025-03-01T12:00:00Z", "ab".repeat(32)));
        assert!(verify_head_signature(&head, &public_key));
        let changed = [
            SignedHead { tree_size: 6, ..head.clone() },
            SignedHead { root_hash: "08".repeat(32), ..head.clone() },
            SignedHead { root_hash: "09".repeat(32).to_uppercase(), ..head.clone() },
            SignedHead { timestamp: "2025-03-01T12:00:01Z".into(), ..head.clone() },
            SignedHead { signature: "00".repeat(64), ..head.clone() },
        ];
        for head in changed {
            assert!(!verify_head_signature(&head, &public_key), "{head:?}");
        }
        let other = PublicKey::of(&SigningKey::from_bytes(&[8; 32]));
        assert!(!verify_head_signature(&head, &other));
    }
}
