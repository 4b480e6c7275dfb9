-- When each API key was last used, for the integrators' console; written in batches by the
-- sweeper from what each process saw, so a request never waits for it.
ALTER TABLE api_keys ADD COLUMN last_used_time BIGINT;
