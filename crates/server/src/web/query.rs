//! The query a public page carries from step to step: prefill, source tags, the embedding
//! origin, and Slotline's own state under keys starting with `sl.` (no field name can).

/// The page URL's query, in order. Keys starting with `sl.` are Slotline's own.
#[derive(Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// This query with `key` set to `value` (or removed when None).
    pub fn with(&self, key: &str, value: Option<&str>) -> Query {
        let mut q: Vec<(String, String)> = self
            .0
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(key))
            .cloned()
            .collect();
        if let Some(v) = value {
            q.push((key.to_string(), v.to_string()));
        }
        Query(q)
    }

    pub fn encode(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.0.iter())
            .finish()
    }

    /// `path?query`.
    pub fn href(&self, path: &str) -> String {
        let q = self.encode();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }
}
