-- The console's delivery log filtered by status or event type reads only the matching
-- deliveries of the webhook, newest first, however long its history (bench/console.sh: a
-- filter that matched nothing scanned all 500,000 deliveries of the benchmark's webhook).
CREATE INDEX deliveries_webhook_status ON deliveries(webhook_id, status, seq);
CREATE INDEX deliveries_webhook_type ON deliveries(webhook_id, event_type, seq);
