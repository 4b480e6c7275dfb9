//! Slotline's integration tests, one module per capability, in one binary so that the suite
//! links the server once. Each test starts a server of its own (`common::TestApp`) on SQLite or
//! PostgreSQL, and talks to it over HTTP as a client would.

#[macro_use]
mod common;

mod architecture;
mod auth;
mod bookings;
mod browser;
mod calendars;
mod chatbots;
mod cli;
mod connections;
mod console;
mod console_browser;
mod contacts;
mod conventions;
mod deliveries;
mod delivery_processes;
mod destinations;
mod group_commit;
mod hosts_app;
mod hosts_browser;
mod idempotency;
mod meetings;
mod migrations;
mod notifications;
mod one_time_links;
mod openapi;
mod overload;
mod public_pages;
mod retention;
mod setup;
mod single_sign_on;
mod teams;
mod users;
mod webhooks;
