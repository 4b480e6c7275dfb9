-- A user's own calendars, read as busy time (and, for one CalDAV calendar, written with their
-- bookings). What lets the server reach a calendar (the feed URL, which for most providers is
-- itself a secret, a CalDAV server's URL, username and password) is kept encrypted with the
-- server key in `secret`; `url_shown` is the URL with its path hidden, for people to recognize.
-- The worker syncs each connection when due (`next_sync_time`), under a lease like deliveries.

CREATE TABLE calendar_connections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,             -- CCN-…
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- ics | caldav
    name TEXT NOT NULL,
    url_shown TEXT NOT NULL,
    username TEXT,
    secret TEXT NOT NULL,                -- sealed with the server key (crate::secrets)
    check_conflicts BIGINT NOT NULL,     -- its events block the user's availability
    add_bookings BIGINT NOT NULL,        -- bookings are written to it (one per user)
    tentative_busy BIGINT NOT NULL,      -- tentative events block time
    sync_state TEXT,                     -- what makes the next sync incremental (ETag, Last-Modified, sync token)
    next_sync_time BIGINT NOT NULL,
    claimed_time BIGINT,
    claimed_by TEXT,
    last_sync_time BIGINT,               -- the last sync that succeeded
    last_attempt_time BIGINT,
    last_error TEXT,                     -- why the last attempt failed; NULL after a success
    busy_count BIGINT NOT NULL DEFAULT 0,
    skipped_count BIGINT NOT NULL DEFAULT 0,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX calendar_connections_user ON calendar_connections(user_id, seq) WHERE deleted = 0;
CREATE INDEX calendar_connections_due ON calendar_connections(next_sync_time) WHERE deleted = 0;
CREATE UNIQUE INDEX calendar_connections_one_for_bookings ON calendar_connections(user_id) WHERE add_bookings = 1 AND deleted = 0;

-- The busy time a connection's calendar holds over the sync window, in pieces of at most seven
-- days (domain::calendar_events::MAX_PIECE_MS), so a reader bounds its search by that.
CREATE TABLE external_busy (
    connection_seq BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    start_time BIGINT NOT NULL,
    end_time BIGINT NOT NULL
);
CREATE INDEX external_busy_user ON external_busy(user_id, start_time);
CREATE INDEX external_busy_connection ON external_busy(connection_seq);
