//! Phone numbers in E.164 (`+12025550195`), checked against the numbering plan of the country code.

/// True when `s` is `+` followed by digits and is a valid number for its country.
/// `+91999999` is refused: an Indian number has ten national digits.
pub fn is_valid_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else { return false };
    if digits.len() < 7 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return false;
    }
    match phonenumber::parse(None, s) {
        Ok(n) => phonenumber::is_valid(&n),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_numbers_of_several_countries() {
        for ok in ["+12025550195", "+447911123456", "+919876543210", "+4915112345678", "+33612345678"] {
            assert!(is_valid_e164(ok), "{ok}");
        }
    }

    #[test]
    fn refuses_short_unformatted_or_unknown_numbers() {
        for bad in
            ["+91999999", "12025550195", "+1 202 555 0195", "+1-202-555-0195", "+", "+0123456789", "+1202555019512345", "1-2025550195"]
        {
            assert!(!is_valid_e164(bad), "{bad}");
        }
    }
}
