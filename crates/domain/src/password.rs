//! What a user's password must be: long enough to resist guessing (NIST SP 800-63B: at least
//! 10 characters here, no composition rules), short enough to hash cheaply, and not the user's
//! own email address.

/// Fewest characters a password may have.
pub const MIN_CHARS: usize = 10;
/// Most bytes a password may have: hashing cost grows with it, and nobody types more.
pub const MAX_BYTES: usize = 256;

/// Why a password is refused, in words for the person choosing it.
pub fn check(password: &str, email: &str) -> Result<(), &'static str> {
    if password.len() > MAX_BYTES {
        return Err("The password is too long: at most 256 bytes.");
    }
    if password.chars().count() < MIN_CHARS {
        return Err("The password is too short: at least 10 characters.");
    }
    if password.trim().is_empty() {
        return Err("The password cannot be only spaces.");
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err("The password cannot be your email address.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_long_enough_not_too_long_and_not_the_email() {
        assert!(check("correct horse", "a@b.example").is_ok());
        assert!(
            check("ünïcødé-ok", "a@b.example").is_ok(),
            "10 characters, more bytes"
        );
        assert_eq!(
            check("short", "a@b.example"),
            Err("The password is too short: at least 10 characters.")
        );
        assert!(check(&"x".repeat(257), "a@b.example").is_err());
        assert!(check(&" ".repeat(12), "a@b.example").is_err());
        assert_eq!(
            check("Olive@Test.example", "olive@test.example"),
            Err("The password cannot be your email address.")
        );
    }
}
