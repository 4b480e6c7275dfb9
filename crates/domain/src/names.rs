//! People's names: letters of any script, with the punctuation real names carry.

/// True for a non-empty name of at most 100 characters made of letters, marks, digits, spaces
/// and `' - . ,`. Markup and wildcard characters such as `fir[/*st_na*/]?me` are refused.
pub fn is_valid_person_name(s: &str) -> bool {
    let trimmed = s.trim();
    !trimmed.is_empty()
        && trimmed.chars().count() <= 100
        && trimmed
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "'’-.,".contains(c) || is_mark(c))
}

fn is_mark(c: char) -> bool {
    // Combining diacritical marks (decomposed accents).
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_names() {
        for ok in [
            "Carrie",
            "Mary-Jane",
            "O'Neil",
            "José",
            "Jose\u{301}",
            "Nguyễn Văn",
            "李",
            "St. John",
            "Jr., III",
        ] {
            assert!(is_valid_person_name(ok), "{ok}");
        }
    }

    #[test]
    fn refuses_markup_wildcards_and_empty() {
        for bad in [
            "fir[/*st_na*/]?me",
            "la[/*st_na*/]?me",
            "",
            "   ",
            "<script>",
            "a;b",
            &"x".repeat(101),
        ] {
            assert!(!is_valid_person_name(bad), "{bad}");
        }
    }
}
