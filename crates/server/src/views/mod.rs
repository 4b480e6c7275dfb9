//! Stored rows as OnceHub's JSON objects: what the API answers and what webhook events carry,
//! so both show the same object the same way.

pub mod booking;
pub mod contact;
pub mod conversation;
pub mod event;
pub mod user;
