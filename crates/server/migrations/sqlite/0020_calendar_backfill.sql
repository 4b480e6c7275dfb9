-- 1 while a connection that was just made to receive bookings still has to be given the
-- bookings its user already holds: the calendar worker adds them (after this flag committed,
-- so that a booking made meanwhile is either seen by it or writes its own event) and clears it.
ALTER TABLE calendar_connections ADD COLUMN backfill BIGINT NOT NULL DEFAULT 0;
