//! Slotline's own OpenAPI document, assembled from the API's handlers and body types. Operations OnceHub does not
//! publish carry `x-slotline-extension: true`.

use std::sync::OnceLock;

use utoipa::{
    openapi::{
        extensions::ExtensionsBuilder,
        security::{ApiKey, ApiKeyValue, SecurityScheme},
        OpenApi as Doc,
    },
    Modify, OpenApi,
};

use crate::api::{
    booking_calendars, booking_pages, bookings, calendar_connections, chatbots, contacts,
    conversations, custom_fields, deliveries, event_types, events, list, master_pages,
    meeting_links, notifications, one_time_links, scheduling, teams, test_key, users, webhooks,
};
use crate::http::error::ErrorBody;

/// Operation ids that are Slotline extensions rather than OnceHub operations.
pub const EXTENSIONS: &[&str] = &[
    "update-a-webhook",
    "disable-a-webhook",
    "rotate-a-webhook-secret",
    "get-webhook-health",
    "stream-events",
    "create-a-website",
    "list-all-websites",
    "get-a-website",
    "delete-a-website",
    "create-a-bot",
    "update-a-bot",
    "list-all-bots",
    "get-a-bot",
    "delete-a-bot",
    "create-an-audience",
    "list-all-audiences",
    "get-an-audience",
    "delete-an-audience",
    "list-all-conversations",
    "get-a-single-conversation",
    "create-a-team",
    "update-a-team",
    "delete-a-team",
    "list-all-custom-fields",
    "create-a-custom-field",
    "delete-a-custom-field",
    "create-an-event-type",
    "update-an-event-type",
    "delete-an-event-type",
    "create-a-master-page",
    "update-a-master-page",
    "delete-a-master-page",
    "create-a-booking-page",
    "update-a-booking-page",
    "delete-a-booking-page",
    "get-booking-page-settings",
    "update-booking-page-settings",
    "create-a-booking-calendar",
    "update-a-booking-calendar",
    "delete-a-booking-calendar",
    "get-booking-calendar-settings",
    "update-booking-calendar-settings",
    "approve-booking",
    "decline-booking",
    "customer-cancel-booking",
    "customer-reschedule-booking",
    "get-a-one-time-link",
    "get-available-time-slots-for-booking-page",
    "book-a-time-slot-for-a-booking-page",
    "list-all-events",
    "list-webhook-deliveries",
    "redeliver-an-event",
    "recover-webhook-deliveries",
    "send-a-test-event",
    "enable-a-webhook",
    "get-a-single-event",
    "list-booking-notifications",
    "resend-a-notification",
    "create-a-calendar-connection",
    "list-a-users-calendar-connections",
    "get-a-calendar-connection",
    "update-a-calendar-connection",
    "delete-a-calendar-connection",
    "sync-a-calendar-connection",
    "discover-caldav-calendars",
    "get-a-users-meeting-link",
    "set-a-users-meeting-link",
];

#[derive(OpenApi)]
#[openapi(
    info(title = "Slotline API", description = "OnceHub API v2 compatible scheduling server. Operations marked `x-slotline-extension` are Slotline's own."),
    servers((url = "/", description = "This server")),
    paths(
        test_key::validate,
        users::list_users, users::create_user, users::get_user, users::update_user, users::delete_user,
        users::get_availability, users::patch_availability,
        teams::list_teams, teams::get_team, teams::create_team, teams::update_team, teams::delete_team,
        contacts::list_contacts, contacts::create_contact, contacts::get_contact, contacts::update_contact, contacts::delete_contact,
        custom_fields::list_fields, custom_fields::create_field, custom_fields::delete_field,
        webhooks::create_webhook, webhooks::list_webhooks, webhooks::get_webhook, webhooks::delete_webhook,
        webhooks::update_webhook, webhooks::disable_webhook, webhooks::rotate_secret,
        event_types::list_event_types, event_types::get_event_type, event_types::create_event_type, event_types::update_event_type, event_types::delete_event_type,
        master_pages::list_master_pages, master_pages::get_master_page, master_pages::create_master_page, master_pages::update_master_page, master_pages::delete_master_page,
        booking_pages::list_pages, booking_pages::get_page, booking_pages::create_page, booking_pages::update_page, booking_pages::delete_page,
        booking_pages::get_settings, booking_pages::patch_settings,
        booking_calendars::list_calendars, booking_calendars::get_calendar, booking_calendars::create_calendar, booking_calendars::update_calendar,
        booking_calendars::delete_calendar, booking_calendars::get_settings, booking_calendars::patch_settings,
        scheduling::time_slots, scheduling::schedule, scheduling::page_time_slots, scheduling::page_schedule,
        bookings::list_bookings, bookings::get_booking, bookings::cancel, bookings::request_reschedule, bookings::no_show, bookings::reassign,
        bookings::approve, bookings::decline, bookings::customer_cancel, bookings::customer_reschedule,
        events::list_events, events::get_event, events::stream_events,
        deliveries::list_deliveries, deliveries::redeliver, deliveries::recover, deliveries::send_test, deliveries::enable, deliveries::health,
        one_time_links::for_calendar, one_time_links::for_master_page, one_time_links::get_link,
        chatbots::create_website, chatbots::list_websites, chatbots::get_website, chatbots::delete_website,
        chatbots::create_bot, chatbots::update_bot, chatbots::list_bots, chatbots::get_bot, chatbots::delete_bot,
        chatbots::create_audience, chatbots::list_audiences, chatbots::get_audience, chatbots::delete_audience,
        conversations::list_conversations, conversations::get_conversation,
        notifications::list_sms, notifications::of_booking, notifications::resend,
        calendar_connections::create_connection, calendar_connections::list_connections, calendar_connections::get_connection,
        calendar_connections::update_connection, calendar_connections::delete_connection, calendar_connections::sync_connection,
        calendar_connections::discover_calendars,
        meeting_links::get_meeting_link, meeting_links::set_meeting_link,
    ),
    components(schemas(ErrorBody, list::DeletedObject, list::Redacted)),
    modifiers(&Security, &MarkExtensions),
    security(("ApiKey" = [])),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Doc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "ApiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("API-Key"))),
        );
    }
}

struct MarkExtensions;

impl Modify for MarkExtensions {
    fn modify(&self, doc: &mut Doc) {
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
                &mut item.put,
            ]
            .into_iter()
            .flatten()
            {
                if op
                    .operation_id
                    .as_deref()
                    .is_some_and(|id| EXTENSIONS.contains(&id))
                {
                    let ext = ExtensionsBuilder::new()
                        .add("x-slotline-extension", true)
                        .build();
                    match &mut op.extensions {
                        Some(e) => e.merge(ext),
                        None => op.extensions = Some(ext),
                    }
                }
            }
        }
    }
}

pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .expect("the OpenAPI document serializes")
    })
}
