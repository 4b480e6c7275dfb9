//! Slugs: the readable last part of a public page URL.

use rand::{distributions::Alphanumeric, Rng};

/// A slug from a name: lowercase ASCII letters and digits joined by single hyphens, at most 40
/// characters, followed by a short random suffix so that names need not be unique.
pub fn from_name(name: &str) -> String {
    let base = readable(name);
    let suffix: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(6)
        .map(|b| (b as char).to_ascii_lowercase())
        .collect();
    if base.is_empty() {
        suffix
    } else {
        format!("{base}-{suffix}")
    }
}

/// The name as an address without the random part: lowercase letters and digits, other runs
/// of characters as one hyphen, at most 40 characters; may be empty or too short to be a slug.
pub fn readable(name: &str) -> String {
    let mut base = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            base.push(c);
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
        if base.len() >= 40 {
            break;
        }
    }
    base.trim_end_matches('-').to_string()
}

/// A slug a client chooses: 3 to 64 of lowercase letters, digits and inner hyphens.
pub fn is_valid(s: &str) -> bool {
    (3..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_names_are_url_safe_and_distinct() {
        let a = from_name("Andrea Hartie — Intro call!");
        assert!(a.starts_with("andrea-hartie-intro-call-"), "{a}");
        assert!(is_valid(&a));
        assert_ne!(from_name("Same"), from_name("Same"));
        assert!(is_valid(&from_name("日本")));
    }

    #[test]
    fn chosen_slugs_are_checked() {
        assert!(is_valid("andrea-hartie"));
        for bad in ["ab", "Andrea", "a--b", "-ab", "ab-", "a b c", "a/b/c"] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
