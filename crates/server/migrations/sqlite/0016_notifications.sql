-- Messages to people (email and SMS): written in the transaction of the booking change that
-- causes them, rendered then (the words, the HTML and the invitation are kept as sent), and sent
-- by the worker like webhook deliveries: due at `next_attempt_time`, claimed under a lease
-- (`claimed_time`, `claimed_by`), retried with backoff, every attempt logged. A reminder is
-- a message due later; when its booking changes it is dropped and, if still wanted, written anew.

CREATE TABLE notifications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,             -- NTF-… (email) or SMS-… (OnceHub's SMS notification)
    account_id TEXT NOT NULL,
    booking_id TEXT,
    channel TEXT NOT NULL,               -- email | sms
    kind TEXT NOT NULL,                  -- guest.scheduled, host.reminder, … (domain::notice)
    recipient_type TEXT NOT NULL,        -- contact | user
    recipient_id TEXT,                   -- the contact's or the user's id
    recipient_name TEXT NOT NULL,
    address TEXT NOT NULL,               -- an email address or a mobile number
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    ics TEXT,                            -- the invitation attached (METHOD:REQUEST or CANCEL)
    status TEXT NOT NULL,                -- pending | sent | delivered | failed | rejected | dropped | expired
    attempts BIGINT NOT NULL DEFAULT 0,
    due_time BIGINT NOT NULL,            -- when it was meant to go
    expire_time BIGINT,                  -- not sent after this (a reminder the server was down for)
    next_attempt_time BIGINT,            -- while pending
    claimed_time BIGINT,
    claimed_by TEXT,
    last_attempt_time BIGINT,
    last_error TEXT,
    provider_id TEXT,                    -- the SMTP Message-ID, or the SMS provider's id
    segment_count BIGINT,                -- SMS: parts the provider billed
    sent_time BIGINT,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0    -- never set; lists share one cursor scheme
);
CREATE INDEX notifications_due ON notifications(next_attempt_time, seq) WHERE status = 'pending' AND claimed_time IS NULL;
CREATE INDEX notifications_claimed ON notifications(next_attempt_time) WHERE status = 'pending' AND claimed_time IS NOT NULL;
CREATE INDEX notifications_booking ON notifications(booking_id, seq);
CREATE INDEX notifications_sms ON notifications(account_id, seq) WHERE channel = 'sms' AND status <> 'pending' AND status <> 'dropped' AND status <> 'expired';
CREATE INDEX notifications_provider ON notifications(provider_id) WHERE provider_id IS NOT NULL;

CREATE TABLE notification_attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_seq BIGINT NOT NULL,
    attempt_time BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    outcome TEXT NOT NULL,               -- sent | retry | failed | interrupted
    error TEXT,                          -- the server's answer or the connection error
    worker TEXT
);
CREATE INDEX notification_attempts_notification ON notification_attempts(notification_seq, seq);

-- Changes since a meeting was first booked, across reschedules: the SEQUENCE of its calendar
-- invitations, which must rise with every update even within one second.
ALTER TABLE bookings ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
