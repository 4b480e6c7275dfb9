-- A user's own meeting link: what a `virtual_static` location without a URL of its own gives
-- the bookings this user hosts.
ALTER TABLE users ADD COLUMN meeting_link TEXT;
