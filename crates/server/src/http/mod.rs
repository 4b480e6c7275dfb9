//! Plumbing every HTTP answer shares, API and pages alike: the error type and OnceHub's error
//! shape, request limits, ids in paths, request ids, the connection loop, and the HTML shell of every page.

pub mod connections;
pub mod error;
pub mod layout;
pub mod limits;
pub mod path;
pub mod request_id;
