-- Bot campaigns: the page a conversation started on and the visit's UTM tags (JSON object
-- {source, medium, campaign, term, content}); source and campaign also as columns, to filter by.
ALTER TABLE conversations ADD COLUMN page_url TEXT;
ALTER TABLE conversations ADD COLUMN utm_params TEXT;
ALTER TABLE conversations ADD COLUMN utm_source TEXT;
ALTER TABLE conversations ADD COLUMN utm_campaign TEXT;
CREATE INDEX conversations_utm_source ON conversations(account_id, utm_source, seq) WHERE utm_source IS NOT NULL;
CREATE INDEX conversations_utm_campaign ON conversations(account_id, utm_campaign, seq) WHERE utm_campaign IS NOT NULL;
