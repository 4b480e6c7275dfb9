//! The longest text each field takes, in characters. Checked on the server wherever text comes
//! in (the API, the public booking forms, the chat), whatever a browser's `maxlength` allowed,
//! and refused naming the field. The README's table lists them.

use crate::Invalid;

/// Email addresses (RFC 5321's path limit).
pub const EMAIL: usize = 254;
/// Phone numbers as typed, separators included.
pub const PHONE: usize = 32;
/// Names, labels, titles and the parts of an address.
pub const SHORT: usize = 255;
/// A street address.
pub const ADDRESS: usize = 500;
/// URLs.
pub const URL: usize = 2048;
/// Notes, reasons, descriptions and answers to questions.
pub const LONG: usize = 5000;

/// The maximum for a field by its name; text fields not named here take [`LONG`].
pub fn max_chars(field: &str) -> usize {
    match field {
        "email" | "new_host" | "owner" | "host" => EMAIL,
        "phone" | "mobile_phone" => PHONE,
        "street_address" => ADDRESS,
        "url" | "website" => URL,
        "first_name" | "last_name" | "name" | "label" | "company" | "company_size"
        | "job_title" | "city" | "state" | "country" | "post_code" | "salutation" | "subject"
        | "slug" | "timezone" | "guest_time_zone" | "status" | "role_name" | "title" => SHORT,
        _ => LONG,
    }
}

/// `value` if it is within `field`'s maximum; otherwise why not, naming `param`.
pub fn check(field: &str, param: &str, value: &str) -> Result<(), Invalid> {
    let max = max_chars(field);
    // Bytes first: no count of characters for a megabyte that is obviously too long.
    if value.len() > max && (value.len() > 4 * max || value.chars().count() > max) {
        return Err(Invalid::new(
            format!("{param} must be at most {max} characters."),
            param,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_has_its_maximum_and_the_refusal_names_the_parameter() {
        assert!(check("city", "city", &"x".repeat(255)).is_ok());
        let e = check("city", "city", &"x".repeat(256)).unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.param.as_deref()),
            ("city must be at most 255 characters.", Some("city"))
        );
        assert!(check("note", "booking_form.note", &"x".repeat(5000)).is_ok());
        assert_eq!(
            check("note", "booking_form.note", &"x".repeat(5001))
                .unwrap_err()
                .param
                .as_deref(),
            Some("booking_form.note")
        );
        assert!(
            check("anything_else", "x", &"x".repeat(1_000_000)).is_err(),
            "a megabyte is refused everywhere"
        );
    }

    #[test]
    fn characters_are_counted_not_bytes() {
        assert!(
            check("city", "city", &"é".repeat(255)).is_ok(),
            "510 bytes, 255 characters"
        );
        assert!(check("city", "city", &"é".repeat(256)).is_err());
    }
}
