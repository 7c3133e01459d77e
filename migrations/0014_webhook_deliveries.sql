-- Outbound webhooks (src/outbound/): one row per event per endpoint, the log the console and
-- /v1/webhooks/deliveries show and replay. `id` is derived from the endpoint and the webhook-id, so a
-- redelivered record finds its row instead of adding one. Retention: pruneWebhookDeliveries().
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`webhook_id` text NOT NULL,
	`endpoint` text NOT NULL,
	`type` text NOT NULL,
	`contact_id` text,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_status` integer,
	`last_answer` text,
	`next_at` integer,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_created` ON `webhook_deliveries` (`created_at`, `id`);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_status` ON `webhook_deliveries` (`status`, `updated_at`);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_contact` ON `webhook_deliveries` (`contact_id`);
