-- Retention (src/retention/): each pruned table gets an index on the instant its retention counts
-- from, so the daily prune finds its oldest rows in bounded batches instead of scanning the table.
CREATE INDEX `messages_created` ON `messages` (`created_at`);
CREATE INDEX `stage_changes_at` ON `stage_changes` (`at`);
CREATE INDEX `flow_runs_updated` ON `flow_runs` (`updated_at`);
CREATE INDEX `conversions_at` ON `conversions` (`at`);
CREATE INDEX `outcomes_time` ON `outcomes` (`at`);
CREATE INDEX `clicks_at` ON `clicks` (`at`);
CREATE INDEX `links_expires` ON `links` (`expires_at`);
CREATE INDEX `tasks_done` ON `tasks` (`done_at`) WHERE `done_at` IS NOT NULL;
CREATE INDEX `consent_changes_time` ON `consent_changes` (`at`);
CREATE INDEX `sandbox_messages_at` ON `sandbox_messages` (`at`);
CREATE INDEX `idempotency_keys_created` ON `idempotency_keys` (`created_at`);
