-- A booking's page in the hosts' app (and `GET /v2/events?booking_id=`) reads its events.
CREATE INDEX events_booking ON events(booking_id, seq) WHERE booking_id IS NOT NULL;
