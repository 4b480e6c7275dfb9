-- Lists read only live rows, newest first: index exactly that, so that a page is an index range
-- scan of `limit + 1` entries on both backends, never a sort of the whole account.
DROP INDEX teams_account;
DROP INDEX users_account;
DROP INDEX contacts_account;
DROP INDEX webhooks_account;
CREATE INDEX teams_live ON teams(account_id, seq) WHERE deleted = 0;
CREATE INDEX users_live ON users(account_id, seq) WHERE deleted = 0;
CREATE INDEX contacts_live ON contacts(account_id, seq) WHERE deleted = 0;
CREATE INDEX webhooks_live ON webhooks(account_id, seq) WHERE deleted = 0;
