//! Credentials the server keeps for others (calendar URLs and passwords), sealed at rest with
//! the server key: XChaCha20-Poly1305 with a random nonce per value, bound to the row it
//! belongs to (the associated data), so a sealed value copied to another row does not open.
//!
//! The key is 32 random bytes, hex in a file (`--secret-key-file`); a server without the file
//! makes one (mode 0600) on first start. Losing it makes the stored credentials unreadable: the
//! connections then say so and ask to be entered again.

use std::{io, path::Path};

use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use rand::RngCore;

const VERSION: &str = "v1:";

#[derive(Clone)]
pub struct SecretKey(XChaCha20Poly1305);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "the stored credentials cannot be read with this server's key (was the key file replaced?)"
    )]
    WrongKey,
}

impl SecretKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> SecretKey {
        SecretKey(XChaCha20Poly1305::new(bytes.into()))
    }

    /// A new random key (tests, and the first start).
    pub fn generate() -> (SecretKey, [u8; 32]) {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        (SecretKey::from_bytes(&bytes), bytes)
    }

    /// Reads the key file, or creates it with a new key when there is none.
    pub fn load_or_create(path: &Path) -> io::Result<SecretKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes: [u8; 32] = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("{} must hold 64 hexadecimal digits", path.display()),
                        )
                    })?;
                Ok(SecretKey::from_bytes(&bytes))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let (key, bytes) = SecretKey::generate();
                write_private(path, &hex::encode(bytes))?;
                tracing::info!(path = %path.display(), "created the server's secret key");
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }

    /// `plain` sealed for the row `owner`.
    pub fn seal(&self, plain: &[u8], owner: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: owner.as_bytes(),
                },
            )
            .expect("sealing in memory does not fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("{VERSION}{}", hex::encode(out))
    }

    /// The value `sealed` for the row `owner`.
    pub fn open(&self, sealed: &str, owner: &str) -> Result<Vec<u8>, SecretError> {
        let raw = sealed
            .strip_prefix(VERSION)
            .and_then(|h| hex::decode(h).ok())
            .filter(|r| r.len() > 24)
            .ok_or(SecretError::WrongKey)?;
        let (nonce, body) = raw.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| SecretError::WrongKey)?;
        self.0
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: body,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| SecretError::WrongKey)
    }
}

fn write_private(path: &Path, text: &str) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_for_its_row() {
        let (key, _) = SecretKey::generate();
        let sealed = key.seal(b"app-password", "CCN-1");
        assert!(!sealed.contains("app-password"));
        assert_eq!(key.open(&sealed, "CCN-1").unwrap(), b"app-password");
        assert_eq!(key.open(&sealed, "CCN-2"), Err(SecretError::WrongKey));
        let (other, _) = SecretKey::generate();
        assert_eq!(other.open(&sealed, "CCN-1"), Err(SecretError::WrongKey));
        assert_ne!(
            sealed,
            key.seal(b"app-password", "CCN-1"),
            "a fresh nonce each time"
        );
    }

    #[test]
    fn the_key_file_is_made_once_and_read_after() {
        let dir = std::env::temp_dir().join(format!("slotline-key-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.key");
        let a = SecretKey::load_or_create(&path).unwrap();
        let sealed = a.seal(b"x", "o");
        let b = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(b.open(&sealed, "o").unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "short").unwrap();
        assert!(SecretKey::load_or_create(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
