-- The event log by conversation (the console's filter), and the event stream's order.
ALTER TABLE events ADD COLUMN conversation_id TEXT;
UPDATE events SET conversation_id = payload::jsonb -> 'data' ->> 'id' WHERE type LIKE 'conversation.%';
CREATE INDEX events_conversation ON events(conversation_id, seq) WHERE conversation_id IS NOT NULL;
-- Writers commit out of `seq` order here, so a reader that followed `seq` could pass an event
-- whose transaction commits later. Each event keeps the id of the transaction that wrote it; the
-- stream reads in (tx, seq) order and only below the oldest transaction still running, so the
-- part it has read never grows behind it.
ALTER TABLE events ADD COLUMN tx BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX events_stream ON events(tx, seq);
-- Streams in other processes hear of new events at once, with or without webhooks (the same
-- channel as deliveries: PostgreSQL sends one notification per transaction and channel).
CREATE TRIGGER events_notify AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION slotline_outbox_notify();
-- The event log by contact: the contact's bookings and conversations.
CREATE INDEX bookings_contact ON bookings(contact_id);
CREATE INDEX conversations_contact ON conversations(contact_id) WHERE contact_id IS NOT NULL;
