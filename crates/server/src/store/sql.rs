//! A small builder for queries whose filters depend on the request: text plus bound values,
//! with `?` in fragments turned into the numbered placeholders both backends accept.

use sqlx::{any::AnyArguments, query::Query, Any};

#[derive(Debug, Clone)]
pub enum Arg {
    Str(String),
    OptStr(Option<String>),
    I64(i64),
    OptI64(Option<i64>),
}

impl Arg {
    /// The text of a string argument.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Arg::Str(s) => Some(s),
            Arg::OptStr(s) => s.as_deref(),
            _ => None,
        }
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}
impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        Arg::OptStr(s)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptI64(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::I64(v as i64)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql { text: text.to_string(), args: Vec::new() }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends `fragment`, binding `args` in order to its `?` marks.
    pub fn push_with(&mut self, fragment: &str, args: impl IntoIterator<Item = Arg>) -> &mut Sql {
        let mut args = args.into_iter();
        for ch in fragment.chars() {
            if ch == '?' {
                let arg = args.next().expect("one argument per `?`");
                self.args.push(arg);
                self.text.push('$');
                self.text.push_str(&self.args.len().to_string());
            } else {
                self.text.push(ch);
            }
        }
        debug_assert!(args.next().is_none(), "more arguments than `?` in {fragment}");
        self
    }

    /// Appends `(?, ?, …)` binding each value; callers guarantee at least one.
    pub fn push_in<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) -> &mut Sql {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            self.push_with(if i == 0 { "?" } else { ", ?" }, [Arg::from(v)]);
        }
        self.push(")")
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Str(s) => q.bind(s.as_str()),
                Arg::OptStr(s) => q.bind(s.as_deref()),
                Arg::I64(v) => q.bind(*v),
                Arg::OptI64(v) => q.bind(*v),
            };
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_marks_become_numbered_placeholders_in_order() {
        let mut s = Sql::new("SELECT 1 FROM t WHERE a = ?".replace('?', "$1").as_str());
        s.args.push(Arg::I64(1));
        s.push_with(" AND b = ? AND c > ?", [Arg::from("x"), Arg::from(3i64)]);
        assert_eq!(s.text(), "SELECT 1 FROM t WHERE a = $1 AND b = $2 AND c > $3");
        assert_eq!(s.args.len(), 3);
        s.push(" AND d IN ").push_in(["x", "y"]);
        assert!(s.text().ends_with("AND d IN ($4, $5)"));
    }
}
