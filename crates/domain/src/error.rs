//! A rejected input, described the way OnceHub describes it: a message and the parameter at fault.

use std::fmt;

/// How serious a rejection is; the HTTP layer maps it to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// Malformed or out-of-range input (400).
    BadRequest,
    /// Well-formed but not acceptable in combination (422).
    Unprocessable,
}

/// An input the domain refuses, with OnceHub's message text and the offending parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub kind: InvalidKind,
    pub message: String,
    pub param: Option<String>,
}

impl Invalid {
    pub fn new(message: impl Into<String>, param: impl Into<String>) -> Self {
        Invalid {
            kind: InvalidKind::BadRequest,
            message: message.into(),
            param: Some(param.into()),
        }
    }

    pub fn unprocessable(message: impl Into<String>, param: impl Into<String>) -> Self {
        Invalid {
            kind: InvalidKind::Unprocessable,
            message: message.into(),
            param: Some(param.into()),
        }
    }

    pub fn without_param(message: impl Into<String>) -> Self {
        Invalid {
            kind: InvalidKind::BadRequest,
            message: message.into(),
            param: None,
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.param {
            Some(p) => write!(f, "{} (param {p})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Invalid {}
