//! Slotline's domain: the rules, free of I/O.
//!
//! Everything here is pure: parsing and validating what comes in at the edge, generating
//! identifiers and secrets, and the scheduling rules. The server crate does the I/O.

pub mod apikey;
pub mod availability;
pub mod bot;
pub mod calendar_events;
pub mod destination;
pub mod email;
pub mod error;
pub mod html;
pub mod ics;
pub mod id;
pub mod lifecycle;
pub mod limits;
pub mod meeting;
pub mod names;
pub mod notice;
pub mod notifications;
pub mod password;
pub mod phone;
pub mod prefill;
pub mod retry;
pub mod role;
pub mod schedule;
pub mod settings;
pub mod slug;
pub mod time;
pub mod timezone;
pub mod webhook;

pub use error::{Invalid, InvalidKind};
