CREATE TABLE `contacts` (
	`id` text PRIMARY KEY NOT NULL,
	`stage` text,
	`phone` text,
	`timezone` text,
	`traits` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`rev` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `contacts_stage` ON `contacts` (`stage`,`id`);--> statement-breakpoint
CREATE TABLE `conversions` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`run_id` text,
	`flow_key` text,
	`event` text NOT NULL,
	`revenue` real,
	`currency` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `conversions_flow` ON `conversions` (`flow_key`,`at`);--> statement-breakpoint
CREATE TABLE `decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`message_id` text,
	`flow_key` text,
	`outcome` text NOT NULL,
	`reason` text NOT NULL,
	`until` integer,
	`detail` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `decisions_contact` ON `decisions` (`contact_id`,`at`);--> statement-breakpoint
CREATE INDEX `decisions_reason` ON `decisions` (`reason`,`at`);--> statement-breakpoint
CREATE TABLE `flow_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`flow_key` text NOT NULL,
	`version` integer NOT NULL,
	`step` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`rev` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `flow_runs_flow` ON `flow_runs` (`flow_key`,`status`,`step`);--> statement-breakpoint
CREATE TABLE `flows` (
	`key` text NOT NULL,
	`version` integer NOT NULL,
	`status` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`key`, `version`)
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`flow_key` text,
	`run_id` text,
	`step` text,
	`template_key` text NOT NULL,
	`template_version` integer,
	`purpose` text NOT NULL,
	`job` text NOT NULL,
	`stage` text,
	`to` text,
	`body` text,
	`segments` integer,
	`encoding` text,
	`status` text NOT NULL,
	`reason` text,
	`error_code` text,
	`error_message` text,
	`gateway` text,
	`provider_id` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`sent_at` integer,
	`delivered_at` integer,
	`updated_at` integer NOT NULL,
	`rev` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `messages_contact` ON `messages` (`contact_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `messages_flow` ON `messages` (`flow_key`,`created_at`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sandbox_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`to` text NOT NULL,
	`body` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`section` text NOT NULL,
	`version` integer NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`section`, `version`)
);
--> statement-breakpoint
CREATE TABLE `stage_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`from_stage` text,
	`to_stage` text NOT NULL,
	`reason` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stage_changes_contact` ON `stage_changes` (`contact_id`,`at`);--> statement-breakpoint
CREATE TABLE `templates` (
	`key` text NOT NULL,
	`version` integer NOT NULL,
	`status` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`key`, `version`)
);
