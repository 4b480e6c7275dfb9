//! Email addresses as OnceHub accepts them: `local@domain.tld`, no spaces, a real top-level domain.

/// True when `s` is a plausible deliverable address. `john.doe@invalid` is refused: no TLD.
pub fn is_valid(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if local.is_empty()
        || local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return false;
    }
    let local_ok = local.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~.".contains(c)
            || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    });
    if !local_ok {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| {
                c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
            })
    };
    let tld = labels[labels.len() - 1];
    labels.iter().all(label_ok) && tld.len() >= 2 && tld.chars().all(|c| c.is_alphabetic())
}

/// The form used to compare addresses: OnceHub treats them case-insensitively.
pub fn normalize(s: &str) -> String {
    s.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "carrie.customer@gmail.com",
            "a+tag@sub.example.co.uk",
            "O'Brien@example.ie",
            "x@bücher.de",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
    }

    #[test]
    fn refuses_what_onehub_refuses() {
        for bad in [
            "john.doe@invalid",
            "invalid-email",
            "@example.com",
            "a@",
            "a b@example.com",
            "a@ex ample.com",
            "a@.com",
            "a..b@example.com",
            "a@example.c0m",
            "a@-example.com",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
