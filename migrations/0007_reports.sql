CREATE TABLE `outcomes` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`type` text NOT NULL,
	`event` text NOT NULL,
	`at` integer NOT NULL,
	`revenue` real,
	`currency` text,
	`message_id` text,
	`flow_key` text,
	`template_key` text,
	`template_version` integer,
	`stage` text,
	`job` text,
	`touch` text,
	`touch_at` integer
);
--> statement-breakpoint
CREATE INDEX `outcomes_at` ON `outcomes` (`type`,`at`);--> statement-breakpoint
CREATE INDEX `outcomes_flow` ON `outcomes` (`flow_key`,`at`);--> statement-breakpoint
CREATE TABLE `rollups` (
	`dim` text NOT NULL,
	`key` text NOT NULL,
	`day` integer NOT NULL,
	`metric` text NOT NULL,
	`value` real NOT NULL,
	PRIMARY KEY(`dim`, `day`, `key`, `metric`)
);
--> statement-breakpoint
ALTER TABLE `clicks` ADD `job` text;--> statement-breakpoint
ALTER TABLE `clicks` ADD `stage` text;--> statement-breakpoint
ALTER TABLE `conversions` ADD `holdout` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `conversions` ADD `started_at` integer;--> statement-breakpoint
ALTER TABLE `conversions` ADD `job` text;--> statement-breakpoint
ALTER TABLE `flow_runs` ADD `holdout` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `flow_runs` ADD `job` text;--> statement-breakpoint
ALTER TABLE `flow_runs` ADD `counted` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `messages` ADD `counted` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `stage_changes` ADD `from_at` integer;