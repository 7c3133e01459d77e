-- Browser keys (issue 22): a public write key for analytics.js, limited to its allowed origins and a
-- rate per client address. Both are NULL for every other key.
ALTER TABLE `api_keys` ADD `origins` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `rate_per_minute` integer;
