-- Public pages: bookings are found by their guest token; the instance keeps the secret that
-- signs its forms (CSRF tokens), shared by every process on the same database.
CREATE UNIQUE INDEX bookings_token ON bookings(token);
CREATE TABLE instance_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- A one-time link is used by the transaction that books through it; the primary key refuses a
-- second booking even when two guests submit at the same moment.
CREATE TABLE one_time_link_uses (
    link_id TEXT PRIMARY KEY,
    booking_id TEXT NOT NULL
);
