//! Prefilling a public booking page from its URL's query parameters, as OnceHub documents it
//! for both products: booking calendars (`name`, `email`, `mobile_phone`, `host`, `co_hosts`,
//! `iana_time_zone`, `duration_minutes`, mapped custom fields) and classic booking pages (`name`,
//! `email`, `company`, `mobile`, `phone`, `note`, `customerGuests`, custom fields by name), plus
//! `skip` and the UTM tags. Keys are case-insensitive, values are not (except the options of a
//! select, matched case-insensitively). A malformed value is not prefilled: the question is shown
//! empty, as OnceHub does; an email with a bad format is kept so that the form can say why.

use std::collections::BTreeMap;

use crate::{email, phone, settings::Question, timezone};

/// Which product's parameter names apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    BookingCalendar,
    BookingPage,
}

pub const UTM_KEYS: [&str; 5] = ["source", "medium", "campaign", "term", "content"];

/// What a page URL asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefill {
    /// Form values under the booking form's own keys: `name`, `email`, `phone`, `mobile_phone`,
    /// `company`, `note`, `guests` (emails separated by commas) and each question's name. A
    /// multi-select's values are separated by commas.
    pub fields: BTreeMap<String, String>,
    /// Booking calendars: a specific host (email) instead of the distribution.
    pub host: Option<String>,
    /// Booking calendars: co-hosts by email (unknown ones are dropped by the caller).
    pub co_hosts: Vec<String>,
    pub time_zone: Option<String>,
    pub duration: Option<u32>,
    /// `skip=1`: book without showing the form when it is complete.
    pub skip: bool,
    /// `utm_source` … `utm_content`, by the part after `utm_`.
    pub utm: BTreeMap<String, String>,
    /// Classic pages: the meeting's subject, in place of the page's.
    pub subject: Option<String>,
    /// Classic pages: where the guest is (an address or a phone number), for a location the
    /// guest fills in.
    pub location: Option<String>,
}

/// Recommended maximum lengths of classic parameters; longer values are not prefilled.
fn classic_max(key: &str) -> usize {
    match key {
        "mobile" => 20,
        "note" | "subject" | "customerguests" => 200,
        _ => 100,
    }
}

/// Calendar values have no published limit; this keeps a page from echoing megabytes.
const MAX_VALUE: usize = 1000;

impl Prefill {
    /// Reads `pairs` (already URL-decoded) for a page asking `questions`. Of a key given twice,
    /// the first value wins.
    pub fn parse(product: Product, pairs: &[(String, String)], questions: &[Question]) -> Prefill {
        let mut out = Prefill::default();
        let mut seen = std::collections::HashSet::new();
        for (raw_key, value) in pairs {
            let key = raw_key.to_ascii_lowercase();
            if !seen.insert(key.clone()) || value.len() > MAX_VALUE {
                continue;
            }
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if let Some(tag) = key.strip_prefix("utm_").filter(|t| UTM_KEYS.contains(t)) {
                out.utm.insert(tag.to_string(), value.to_string());
                continue;
            }
            if key == "skip" {
                out.skip = value == "1";
                continue;
            }
            match product {
                Product::BookingCalendar => out.calendar_param(&key, value, questions),
                Product::BookingPage => out.classic_param(&key, value, questions),
            }
        }
        out
    }

    fn calendar_param(&mut self, key: &str, value: &str, questions: &[Question]) {
        match key {
            "name" | "email" | "company" | "note" => self.set(key, value),
            "mobile_phone" | "phone" => {
                if let Some(number) = phone::parse(value) {
                    self.set(key, &number);
                }
            }
            "guests" => self.guests(value),
            "host" => {
                if email::is_valid(value) {
                    self.host = Some(value.to_string());
                }
            }
            "co_hosts" => {
                self.co_hosts = value
                    .split(',')
                    .map(str::trim)
                    .filter(|e| email::is_valid(e))
                    .map(str::to_string)
                    .collect();
            }
            "iana_time_zone" => {
                if timezone::is_valid(value) {
                    self.time_zone = Some(value.to_string());
                }
            }
            "duration_minutes" => self.duration = value.parse().ok().filter(|d| *d > 0),
            _ => self.question(key, value, questions),
        }
    }

    fn classic_param(&mut self, key: &str, value: &str, questions: &[Question]) {
        if value.len() > classic_max(key) {
            return;
        }
        match key {
            "name" | "email" | "company" | "phone" | "note" => self.set(key, value),
            // Digits only, country code first, no `+`.
            "mobile" => {
                if value.chars().all(|c| c.is_ascii_digit()) {
                    if let Some(number) = phone::parse(&format!("+{value}")) {
                        self.set("mobile_phone", &number);
                    }
                }
            }
            "customerguests" => self.guests(value),
            "subject" => self.subject = Some(value.trim().to_string()).filter(|s| !s.is_empty()),
            "location" => self.location = Some(value.trim().to_string()).filter(|s| !s.is_empty()),
            _ => self.question(key, value, questions),
        }
    }

    fn set(&mut self, key: &str, value: &str) {
        self.fields.insert(key.to_string(), value.to_string());
    }

    /// Up to ten valid emails; invalid ones are dropped.
    fn guests(&mut self, value: &str) {
        let list: Vec<&str> = value
            .split([',', ';'])
            .map(str::trim)
            .filter(|e| email::is_valid(e))
            .take(10)
            .collect();
        if !list.is_empty() {
            self.set("guests", &list.join(","));
        }
    }

    /// A custom question, by its mapped name or (classic) its label without spaces.
    fn question(&mut self, key: &str, value: &str, questions: &[Question]) {
        let squash = |s: &str| {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let Some(q) = questions
            .iter()
            .find(|q| q.name == key || squash(&q.label) == squash(key))
        else {
            return;
        };
        let canonical = |v: &str| {
            q.options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(v.trim()))
                .cloned()
        };
        let kept = match q.kind.as_str() {
            "single_select" => canonical(value),
            "multi_select" => {
                let picked: Vec<String> = value.split(',').filter_map(canonical).collect();
                (!picked.is_empty()).then(|| picked.join(","))
            }
            _ => Some(value.to_string()),
        };
        if let Some(v) = kept {
            self.fields.insert(q.name.clone(), v);
        }
    }

    /// Whether the page may book without showing its form: `skip=1`, a name, a valid email, and
    /// every required question answered. `required` lists the required keys besides name and
    /// email (standard fields and questions).
    pub fn can_skip<'a>(&self, required: impl IntoIterator<Item = &'a str>) -> bool {
        let has = |k: &str| self.fields.get(k).is_some_and(|v| !v.is_empty());
        self.skip
            && has("name")
            && self.fields.get("email").is_some_and(|e| email::is_valid(e))
            && required.into_iter().all(has)
    }

    /// The UTM tags as the booking's `utm_params` (`{source, medium, campaign, term, content}`,
    /// absent ones null), or None when there are none.
    pub fn utm_params(&self) -> Option<serde_json::Value> {
        (!self.utm.is_empty()).then(|| {
            let mut m = serde_json::Map::new();
            for k in UTM_KEYS {
                m.insert(
                    k.into(),
                    self.utm
                        .get(k)
                        .map(|v| serde_json::json!(v))
                        .unwrap_or(serde_json::Value::Null),
                );
            }
            serde_json::Value::Object(m)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    }

    fn questions() -> Vec<Question> {
        vec![
            Question {
                name: "meeting_reason".into(),
                label: "Meeting reason".into(),
                kind: "text".into(),
                required: true,
                options: vec![],
            },
            Question {
                name: "team_size".into(),
                label: "Team size".into(),
                kind: "single_select".into(),
                required: false,
                options: vec!["Small".into(), "Large".into()],
            },
        ]
    }

    #[test]
    fn keys_are_case_insensitive_and_values_are_kept_as_given() {
        let p = Prefill::parse(
            Product::BookingCalendar,
            &pairs("NAME=Carrie%20Customer&Email=Carrie@Example.com&Skip=1"),
            &[],
        );
        assert_eq!(p.fields["name"], "Carrie Customer");
        assert_eq!(p.fields["email"], "Carrie@Example.com");
        assert!(p.skip);
    }

    #[test]
    fn calendar_names_host_co_hosts_zone_and_duration() {
        let q = "mobile_phone=%2B17793129776&host=ann@example.com&co_hosts=bob@example.com,nope,cy@example.com&iana_time_zone=Asia/Kolkata&duration_minutes=45";
        let p = Prefill::parse(Product::BookingCalendar, &pairs(q), &[]);
        assert_eq!(p.fields["mobile_phone"], "+17793129776");
        assert_eq!(p.host.as_deref(), Some("ann@example.com"));
        assert_eq!(p.co_hosts, vec!["bob@example.com", "cy@example.com"]);
        assert_eq!(p.time_zone.as_deref(), Some("Asia/Kolkata"));
        assert_eq!(p.duration, Some(45));
    }

    /// The phone rule is the API's: possible numbers, separators dropped, too short refused.
    #[test]
    fn phone_prefill_follows_the_possible_number_rule() {
        let p = Prefill::parse(
            Product::BookingCalendar,
            &pairs("phone=%2B1%20555-123-4567&mobile_phone=%2B91999999"),
            &[],
        );
        assert_eq!(p.fields["phone"], "+15551234567");
        assert!(
            !p.fields.contains_key("mobile_phone"),
            "OnceHub's example of a bad number is not prefilled"
        );
        let p = Prefill::parse(Product::BookingPage, &pairs("mobile=15551234567"), &[]);
        assert_eq!(p.fields["mobile_phone"], "+15551234567");
    }

    #[test]
    fn malformed_values_are_not_prefilled() {
        let q =
            "mobile_phone=12ab&iana_time_zone=Mars/Base&duration_minutes=soon&host=not-an-email";
        let p = Prefill::parse(Product::BookingCalendar, &pairs(q), &[]);
        assert!(
            p.fields.is_empty()
                && p.host.is_none()
                && p.time_zone.is_none()
                && p.duration.is_none()
        );
    }

    #[test]
    fn classic_names_map_onto_the_form() {
        let q = "name=John%20Smith&email=js@example.com&mobile=15152761565&customerGuests=a@example.com;b@example.com,bad&company=Acme";
        let p = Prefill::parse(Product::BookingPage, &pairs(q), &[]);
        assert_eq!(p.fields["mobile_phone"], "+15152761565");
        assert_eq!(p.fields["guests"], "a@example.com,b@example.com");
        assert_eq!(p.fields["company"], "Acme");
    }

    #[test]
    fn classic_subject_and_location_are_prefilled_within_their_lengths() {
        let p = Prefill::parse(
            Product::BookingPage,
            &pairs("Subject=Quarterly%20review&LOCATION=12%20Main%20St"),
            &[],
        );
        assert_eq!(p.subject.as_deref(), Some("Quarterly review"));
        assert_eq!(p.location.as_deref(), Some("12 Main St"));
        let long = |n: usize| "x".repeat(n);
        let p = Prefill::parse(
            Product::BookingPage,
            &pairs(&format!("subject={}&location={}", long(201), long(101))),
            &[],
        );
        assert!(
            p.subject.is_none() && p.location.is_none(),
            "over OnceHub's recommended lengths: not prefilled"
        );
        let p = Prefill::parse(
            Product::BookingCalendar,
            &pairs("subject=Hi&location=Here"),
            &[],
        );
        assert!(
            p.subject.is_none() && p.location.is_none(),
            "classic parameters only"
        );
    }

    #[test]
    fn classic_mobile_takes_digits_only_and_lengths_are_bounded() {
        let long = "x".repeat(101);
        let p = Prefill::parse(
            Product::BookingPage,
            &pairs(&format!("mobile=%2B15152761565&name={long}")),
            &[],
        );
        assert!(!p.fields.contains_key("mobile_phone"));
        assert!(!p.fields.contains_key("name"));
    }

    #[test]
    fn custom_questions_by_mapped_name_or_classic_label_and_selects_case_insensitive() {
        let p = Prefill::parse(
            Product::BookingCalendar,
            &pairs("meeting_reason=Demo&team_size=large"),
            &questions(),
        );
        assert_eq!(p.fields["meeting_reason"], "Demo");
        assert_eq!(p.fields["team_size"], "Large");
        let p = Prefill::parse(
            Product::BookingPage,
            &pairs("MeetingReason=Demo&team_size=huge"),
            &questions(),
        );
        assert_eq!(p.fields["meeting_reason"], "Demo");
        assert!(
            !p.fields.contains_key("team_size"),
            "a value that is not an option is not prefilled"
        );
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        let p = Prefill::parse(
            Product::BookingPage,
            &pairs("thm=dark&bc=fff&whatever=1"),
            &questions(),
        );
        assert_eq!(p, Prefill::default());
    }

    #[test]
    fn skip_needs_name_valid_email_and_every_required_answer() {
        let qs = questions();
        let full = Prefill::parse(
            Product::BookingCalendar,
            &pairs("skip=1&name=A&email=a@example.com&meeting_reason=x"),
            &qs,
        );
        assert!(full.can_skip(["meeting_reason"]));
        let missing = Prefill::parse(
            Product::BookingCalendar,
            &pairs("skip=1&name=A&email=a@example.com"),
            &qs,
        );
        assert!(!missing.can_skip(["meeting_reason"]));
        let bad_email = Prefill::parse(
            Product::BookingCalendar,
            &pairs("skip=1&name=A&email=nope"),
            &qs,
        );
        assert_eq!(
            bad_email.fields["email"], "nope",
            "kept so the form can show the format error"
        );
        assert!(!bad_email.can_skip([]));
        let not_asked = Prefill::parse(
            Product::BookingCalendar,
            &pairs("skip=0&name=A&email=a@example.com"),
            &qs,
        );
        assert!(!not_asked.can_skip([]));
    }

    #[test]
    fn utm_tags_become_utm_params() {
        let p = Prefill::parse(
            Product::BookingPage,
            &pairs("UTM_Source=news&utm_campaign=fall&utm_other=x"),
            &[],
        );
        let v = p.utm_params().unwrap();
        assert_eq!(v["source"], "news");
        assert_eq!(v["campaign"], "fall");
        assert!(v["medium"].is_null());
        assert_eq!(Prefill::default().utm_params(), None);
    }

    #[test]
    fn the_first_of_a_repeated_key_wins() {
        let p = Prefill::parse(
            Product::BookingCalendar,
            &pairs("name=First&Name=Second"),
            &[],
        );
        assert_eq!(p.fields["name"], "First");
    }
}
