//! IANA time zone names, checked against the tz database bundled into the binary.

/// True when `name` is a zone of the IANA database (`America/New_York`, `UTC`).
pub fn is_valid(name: &str) -> bool {
    !name.is_empty() && jiff::tz::db().get(name).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn knows_iana_zones_and_refuses_others() {
        assert!(super::is_valid("America/New_York"));
        assert!(super::is_valid("Asia/Kolkata"));
        assert!(super::is_valid("UTC"));
        assert!(!super::is_valid("Invalid/Timezone"));
        assert!(!super::is_valid(""));
        assert!(!super::is_valid("../../etc/passwd"));
    }
}
