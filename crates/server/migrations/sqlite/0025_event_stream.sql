-- The event log by conversation (the console's filter), and the event stream's order. On SQLite
-- one writer commits events in `seq` order, so `tx` stays 0 and the stream reads by `seq`.
ALTER TABLE events ADD COLUMN conversation_id TEXT;
UPDATE events SET conversation_id = json_extract(payload, '$.data.id') WHERE type LIKE 'conversation.%';
CREATE INDEX events_conversation ON events(conversation_id, seq) WHERE conversation_id IS NOT NULL;
ALTER TABLE events ADD COLUMN tx BIGINT NOT NULL DEFAULT 0;
-- The event log by contact: the contact's bookings and conversations.
CREATE INDEX bookings_contact ON bookings(contact_id);
CREATE INDEX conversations_contact ON conversations(contact_id) WHERE contact_id IS NOT NULL;
