-- The bookings kept as events in the hosts' "add bookings to" calendars: one row per calendar
-- and event (the UID of the booking's first booking, so a reschedule moves the event). A booking
-- change marks the rows of its hosts' calendars, before and after, pending in its own
-- transaction; the calendar worker makes each calendar match the booking as it is then (put
-- the event, or delete it for a host who no longer has it) under a lease, with retries.

CREATE TABLE calendar_writes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_seq BIGINT NOT NULL,
    uid TEXT NOT NULL,
    account_id TEXT NOT NULL,
    booking_id TEXT NOT NULL,            -- the latest booking of the chain, as of the last change
    user_id TEXT NOT NULL,               -- the connection's user
    status TEXT NOT NULL,                -- pending | done | failed
    present BIGINT NOT NULL DEFAULT 0,   -- the event is in the calendar
    version BIGINT NOT NULL DEFAULT 0,   -- rises with each change, so a write that raced one is redone
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_time BIGINT,
    claimed_time BIGINT,
    claimed_by TEXT,
    last_attempt_time BIGINT,
    last_error TEXT,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL
);
CREATE UNIQUE INDEX calendar_writes_event ON calendar_writes(connection_seq, uid);
CREATE INDEX calendar_writes_due ON calendar_writes(next_attempt_time) WHERE status = 'pending';
CREATE INDEX calendar_writes_booking ON calendar_writes(booking_id);

-- Where the booking was last put as an event (OnceHub's `external_calendar`: type, name, id,
-- event_id), set by the worker once the calendar has it.
ALTER TABLE bookings ADD COLUMN external_calendar TEXT;
