-- When each host was given each booking: round robin picks the member given one least
-- recently, which is now one index lookup instead of a scan of the member's history.
ALTER TABLE booking_hosts ADD COLUMN assigned_time BIGINT NOT NULL DEFAULT 0;
UPDATE booking_hosts SET assigned_time = (SELECT creation_time FROM bookings WHERE bookings.id = booking_hosts.booking_id);
CREATE INDEX booking_hosts_assigned ON booking_hosts(user_id, assigned_time);
