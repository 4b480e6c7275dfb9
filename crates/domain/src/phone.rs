//! Phone numbers in E.164 (`+12025550195`). A number is accepted when it is *possible* for its
//! country — a known country code and a national number of a length its numbering plan uses —
//! as OnceHub's own examples are (`+15551234567`); whether the range is assigned today is not
//! asked. Spaces, dashes, dots and parentheses between the digits are allowed and dropped.

use phonenumber::metadata::DATABASE;

/// The number in E.164 when it is a possible number for its country, `None` otherwise.
/// `+91999999` is refused: an Indian number has at least eight national digits.
pub fn parse(s: &str) -> Option<String> {
    let s = s.trim();
    let rest = s.strip_prefix('+')?;
    if !rest.starts_with(|c: char| c.is_ascii_digit())
        || !rest.ends_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 || digits.len() > 15 || digits.starts_with('0') {
        return None;
    }
    let e164 = format!("+{digits}");
    let number = phonenumber::parse(None, &e164).ok()?;
    let national = number.national().to_string();
    let plans = DATABASE.by_code(&number.code().value())?;
    // The lengths a plan uses are those of its number types (the general description's list is
    // often left empty in the metadata); a plan that lists none is taken on trust.
    let len = national.len() as u16;
    let possible = plans.iter().any(|plan| {
        let d = plan.descriptors();
        let types = [
            Some(d.general()),
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.shared_cost(),
            d.personal_number(),
            d.voip(),
            d.pager(),
            d.uan(),
            d.voicemail(),
        ];
        let lengths: Vec<u16> = types
            .into_iter()
            .flatten()
            .flat_map(|t| t.possible_length().iter().copied())
            .collect();
        lengths.is_empty() || lengths.contains(&len)
    });
    possible.then_some(e164)
}

/// True when [`parse`] accepts `s`.
pub fn is_possible(s: &str) -> bool {
    parse(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_possible_numbers_of_several_countries() {
        for ok in [
            "+12025550195",
            "+447911123456",
            "+919876543210",
            "+4915112345678",
            "+33612345678",
        ] {
            assert_eq!(parse(ok).as_deref(), Some(ok));
        }
    }

    /// OnceHub's tooling shows +15551234567 as its example: a 555 number is not an assigned
    /// range, but it is a possible US number.
    #[test]
    fn accepts_oncehubs_example_of_an_unassigned_but_possible_number() {
        assert_eq!(parse("+15551234567").as_deref(), Some("+15551234567"));
    }

    #[test]
    fn accepts_spaces_dashes_dots_and_parentheses_and_normalizes_them_away() {
        for written in [
            "+1 555 123 4567",
            "+1-555-123-4567",
            "+1 (555) 123-4567",
            "+1.555.123.4567",
            " +15551234567 ",
        ] {
            assert_eq!(parse(written).as_deref(), Some("+15551234567"), "{written}");
        }
        assert_eq!(parse("+44 7911 123456").as_deref(), Some("+447911123456"));
    }

    #[test]
    fn refuses_short_unformatted_or_impossible_numbers() {
        for bad in [
            "+91999999",          // OnceHub's documented bad number: too short for India
            "12025550195",        // no country code
            "1-2025550195",       //
            "+",                  //
            "+0123456789",        // no country code starts with 0
            "+1202555019512345",  // longer than E.164 allows
            "+1 555 123 456",     // nine national digits in the US
            "+1 555 123 4567 x2", // letters
            "+-15551234567",      // separators only between digits
            "+15551234567-",      //
            "+999 1234567",       // no such country code
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
