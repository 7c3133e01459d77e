-- Hand-written (drizzle-kit would add links.target NOT NULL without moving the URLs); meta/0012_snapshot.json is drizzle-kit's, for the next diff.
-- Retention (src/retention/): each pruned table gets an index on the instant its retention counts
-- from, so the daily prune finds its oldest rows in bounded batches instead of scanning the table.
CREATE INDEX `messages_created` ON `messages` (`created_at`);
CREATE INDEX `stage_changes_at` ON `stage_changes` (`at`);
CREATE INDEX `flow_runs_updated` ON `flow_runs` (`updated_at`);
CREATE INDEX `conversions_at` ON `conversions` (`at`);
CREATE INDEX `outcomes_time` ON `outcomes` (`at`);
CREATE INDEX `clicks_at` ON `clicks` (`at`);
CREATE INDEX `tasks_done` ON `tasks` (`done_at`) WHERE `done_at` IS NOT NULL;
CREATE INDEX `consent_changes_time` ON `consent_changes` (`at`);
CREATE INDEX `sandbox_messages_at` ON `sandbox_messages` (`at`);
CREATE INDEX `idempotency_keys_created` ON `idempotency_keys` (`created_at`);

-- Slimmer links: a link row names its destination by a small id instead of repeating the URL (most
-- messages of a template share one destination). The table is rebuilt to drop the URL column.
CREATE TABLE `link_targets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`url` text NOT NULL
);
CREATE UNIQUE INDEX `link_targets_url` ON `link_targets` (`url`);
INSERT OR IGNORE INTO `link_targets` (`url`) SELECT DISTINCT `url` FROM `links`;
CREATE TABLE `links_slim` (
	`code` text PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`target` integer NOT NULL,
	`template_key` text,
	`flow_key` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
INSERT INTO `links_slim` SELECT l.`code`, l.`message_id`, l.`contact_id`, t.`id`, l.`template_key`, l.`flow_key`, l.`created_at`, l.`expires_at`
	FROM `links` l JOIN `link_targets` t ON t.`url` = l.`url`;
DROP TABLE `links`;
ALTER TABLE `links_slim` RENAME TO `links`;
CREATE INDEX `links_expires` ON `links` (`expires_at`);
CREATE INDEX `links_target` ON `links` (`target`);
