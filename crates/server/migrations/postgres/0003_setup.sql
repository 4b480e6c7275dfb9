-- Setup objects: event types, master pages, booking pages (classic) and booking calendars.
-- Slugs are unique per kind among live objects: they are the public URLs.

CREATE TABLE event_types (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX event_types_live ON event_types(account_id, seq) WHERE deleted = 0;

CREATE TABLE master_pages (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    slug TEXT NOT NULL,
    active BIGINT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX master_pages_live ON master_pages(account_id, seq) WHERE deleted = 0;
CREATE UNIQUE INDEX master_pages_slug ON master_pages(slug) WHERE deleted = 0;

CREATE TABLE booking_pages (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    owner_id TEXT NOT NULL REFERENCES users(id),
    master_page_id TEXT REFERENCES master_pages(id),
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    slug TEXT NOT NULL,
    timezone TEXT NOT NULL,
    active BIGINT NOT NULL,
    settings TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX booking_pages_live ON booking_pages(account_id, seq) WHERE deleted = 0;
CREATE UNIQUE INDEX booking_pages_slug ON booking_pages(slug) WHERE deleted = 0;

CREATE TABLE booking_page_event_types (
    booking_page_id TEXT NOT NULL REFERENCES booking_pages(id),
    event_type_id TEXT NOT NULL REFERENCES event_types(id),
    PRIMARY KEY (booking_page_id, event_type_id)
);
CREATE INDEX booking_page_event_types_et ON booking_page_event_types(event_type_id);

CREATE TABLE booking_calendars (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    host_id TEXT NOT NULL,
    distribution TEXT NOT NULL,
    name TEXT NOT NULL,
    subject TEXT NOT NULL,
    slug TEXT NOT NULL,
    published BIGINT NOT NULL,
    settings TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX booking_calendars_live ON booking_calendars(account_id, seq) WHERE deleted = 0;
CREATE UNIQUE INDEX booking_calendars_slug ON booking_calendars(slug) WHERE deleted = 0;
