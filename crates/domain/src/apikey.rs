//! API keys: high-entropy random tokens, stored only as a SHA-256 digest.
//!
//! A key carries 238 bits of randomness, so a fast hash is enough: nothing can be guessed
//! offline from the digest, and checking a key costs one hash and one indexed lookup.

use rand::{distributions::Alphanumeric, Rng};
use sha2::{Digest, Sha256};

/// Every key starts with this, so a leaked key is easy to recognise in logs and scanners.
pub const PREFIX: &str = "slk_";
const RANDOM_LEN: usize = 40;
/// At most this many active keys per account (OnceHub's limit).
pub const MAX_ACTIVE_KEYS: i64 = 25;

/// A freshly generated key: the secret to show once, and what may be stored.
pub struct NewKey {
    pub secret: String,
    pub hash: String,
    /// The first characters, kept to let people tell their keys apart.
    pub hint: String,
}

pub fn generate() -> NewKey {
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(RANDOM_LEN)
        .map(char::from)
        .collect();
    let secret = format!("{PREFIX}{random}");
    NewKey {
        hash: hash(&secret),
        hint: secret[..PREFIX.len() + 6].to_string(),
        secret,
    }
}

/// The digest stored for a key and looked up when a request presents one.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_stored_only_as_their_hash() {
        let a = generate();
        let b = generate();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(PREFIX) && a.secret.len() == PREFIX.len() + 40);
        assert_eq!(a.hash, hash(&a.secret));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.secret[PREFIX.len()..]));
        assert!(a.secret.starts_with(&a.hint));
    }
}
