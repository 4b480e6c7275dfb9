//! Input shared by the setup extensions of event types, master pages, booking pages and
//! booking calendars: their scheduling settings, in and out.

use serde::Serialize;
use serde_json::Value;
use slotline_domain::settings::Settings;
use utoipa::{openapi::schema::Type, ToSchema};

use super::body::{Describe, Members};

pub use crate::services::users::live_owner;

/// `current` with `given` (a body's `settings`, if any) applied over it: one rule for
/// calendars and pages, in the service.
pub use crate::services::booking_calendars::merge_settings;

/// The members of a settings change (`PATCH …/settings`, and `settings` of a page or calendar).
pub struct SettingsMembers;

impl Describe for SettingsMembers {
    const NAME: &'static str = "SettingsChange";
    const ABOUT: &'static str =
        "Scheduling settings to change; absent ones are kept. The answer shows them all.";
    const MEMBERS: &'static [(&'static str, Type, &'static str)] = &[
        ("durations", Type::Array, "1 to 10 meeting lengths in minutes, distinct multiples of 5 from 5 to 720; the first is the default."),
        ("slot_interval_minutes", Type::Integer, "Minutes between offered start times."),
        ("buffer_before_minutes", Type::Integer, "Free time kept before each meeting."),
        ("buffer_after_minutes", Type::Integer, "Free time kept after each meeting."),
        ("minimum_notice_minutes", Type::Integer, "How soon a meeting may start, from now."),
        ("booking_horizon_days", Type::Integer, "How far ahead guests may book."),
        ("max_bookings_per_day", Type::Integer, "At most this many bookings a day per host; null for no cap."),
        ("approval_required", Type::Boolean, "Bookings wait for the host's approval."),
        ("locations", Type::Array, "Where meetings happen: `{type, value, …}` each."),
        ("standard_fields", Type::Array, "`{name, required}` for the form's standard fields."),
        ("questions", Type::Array, "The form's own questions."),
        ("redirect", Type::Object, "Where guests go after booking; null for the confirmation page."),
        ("hide_prefilled_questions", Type::Boolean, "Questions answered by the page's URL are not shown."),
        ("embed_origins", Type::Array, "Origins whose pages may embed the booking page."),
        ("notifications", Type::Object, "What guests and hosts are told: `reminders` (up to 5 of `{minutes_before, to: guest|host, channel: email|sms}`; default one email to the guest 60 minutes before), `follow_up_minutes` (after the end; null for none), `email_hosts`, `sms` (guests with a mobile number also get SMS), `templates` (`{\"guest.scheduled\": {subject, body}, …}` with `{placeholders}`; null restores a default)."),
    ];
}

/// Body of `PATCH …/settings`.
pub type SettingsChange = Members<SettingsMembers>;

/// Extension: a page's or calendar's scheduling settings.
#[derive(Serialize, ToSchema)]
pub struct SettingsOut {
    /// Always `scheduling_settings`.
    pub object: &'static str,
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub settings: SettingsView,
}

/// The settings as JSON: durations, grid, buffers, notice, horizon, daily cap, approval,
/// locations, standard fields, questions, redirect, public-page options, notifications.
#[derive(Serialize)]
pub struct SettingsView {
    pub durations: Vec<u32>,
    pub slot_interval_minutes: u32,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    pub minimum_notice_minutes: u32,
    pub booking_horizon_days: u32,
    pub max_bookings_per_day: Option<u32>,
    pub approval_required: bool,
    pub locations: Vec<slotline_domain::settings::Location>,
    pub standard_fields: Vec<Value>,
    pub questions: Vec<slotline_domain::settings::Question>,
    pub redirect: Option<slotline_domain::settings::Redirect>,
    pub hide_prefilled_questions: bool,
    pub embed_origins: Vec<String>,
    pub notifications: slotline_domain::notifications::Notifications,
}

pub fn settings_out(s: Settings) -> SettingsOut {
    SettingsOut {
        object: "scheduling_settings",
        settings: SettingsView {
            durations: s.durations,
            slot_interval_minutes: s.slot_interval_minutes,
            buffer_before_minutes: s.buffer_before_minutes,
            buffer_after_minutes: s.buffer_after_minutes,
            minimum_notice_minutes: s.minimum_notice_minutes,
            booking_horizon_days: s.booking_horizon_days,
            max_bookings_per_day: s.max_bookings_per_day,
            approval_required: s.approval_required,
            locations: s.locations,
            standard_fields: s
                .standard_fields
                .into_iter()
                .map(|(name, required)| serde_json::json!({"name": name, "required": required}))
                .collect(),
            questions: s.questions,
            redirect: s.redirect,
            hide_prefilled_questions: s.hide_prefilled_questions,
            embed_origins: s.embed_origins,
            notifications: s.notifications,
        },
    }
}
