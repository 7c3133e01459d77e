CREATE TABLE `clicks` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`message_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`flow_key` text,
	`template_key` text,
	`kind` text NOT NULL,
	`reason` text,
	`user_agent` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `clicks_message` ON `clicks` (`message_id`);--> statement-breakpoint
CREATE INDEX `clicks_flow` ON `clicks` (`flow_key`,`at`);--> statement-breakpoint
CREATE TABLE `links` (
	`code` text PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`url` text NOT NULL,
	`template_key` text,
	`flow_key` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
