-- No double booking, enforced by the database on SQLite too (PostgreSQL has its exclusion
-- constraint): an active host time that overlaps another of the same host aborts the statement.
-- The bound on busy_start lets the index on (user_id, busy_start) do the work: no booking holds
-- more than 36 hours (MAX_HELD_MS).
CREATE TRIGGER booking_hosts_no_overlap BEFORE INSERT ON booking_hosts
WHEN NEW.active = 1 AND EXISTS (
    SELECT 1 FROM booking_hosts
    WHERE user_id = NEW.user_id AND active = 1
      AND busy_start < NEW.busy_end AND busy_start > NEW.busy_start - 129600000 AND busy_end > NEW.busy_start
)
BEGIN
    SELECT RAISE(ABORT, 'booking_hosts_no_overlap');
END;
