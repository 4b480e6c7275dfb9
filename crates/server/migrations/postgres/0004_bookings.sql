-- Bookings, the hosts whose time each booking holds, and the event log (the outbox).

CREATE TABLE bookings (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    status TEXT NOT NULL,
    booking_calendar_id TEXT,
    booking_page_id TEXT,
    master_page_id TEXT,
    event_type_id TEXT,
    owner_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    conversation_id TEXT,
    subject TEXT NOT NULL,
    start_time BIGINT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    customer_timezone TEXT NOT NULL,
    form_submission TEXT NOT NULL,
    location TEXT,
    utm_params TEXT,
    rescheduled_booking_id TEXT,
    cancel_info TEXT,
    token TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX bookings_live ON bookings(account_id, seq) WHERE deleted = 0;
CREATE INDEX bookings_updated ON bookings(account_id, last_updated_time);

-- One row per host a booking occupies (one, or every member of a collective team). `active` is 1
-- while the booking holds the time; the busy range includes the buffers.
CREATE TABLE booking_hosts (
    booking_id TEXT NOT NULL REFERENCES bookings(id),
    user_id TEXT NOT NULL,
    busy_start BIGINT NOT NULL,
    busy_end BIGINT NOT NULL,
    active BIGINT NOT NULL,
    PRIMARY KEY (booking_id, user_id)
);
CREATE INDEX booking_hosts_busy ON booking_hosts(user_id, busy_start) WHERE active = 1;

CREATE TABLE events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    type TEXT NOT NULL,
    booking_id TEXT,
    payload TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX events_live ON events(account_id, seq) WHERE deleted = 0;

-- No double booking, enforced by the database: two active rows of one host never overlap.
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE booking_hosts ADD CONSTRAINT booking_hosts_no_overlap
    EXCLUDE USING gist (user_id WITH =, int8range(busy_start, busy_end) WITH &&) WHERE (active = 1);
