CREATE TABLE `broadcast_pages` (
	`broadcast_id` text NOT NULL,
	`phase` text NOT NULL,
	`page` integer NOT NULL,
	`contacts` integer NOT NULL,
	`counts` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`broadcast_id`, `phase`, `page`)
);
--> statement-breakpoint
CREATE TABLE `broadcasts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`body` text NOT NULL,
	`flow_key` text NOT NULL,
	`dry_run` text,
	`cursor` text,
	`page` integer DEFAULT 0 NOT NULL,
	`idempotency_key` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`launched_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `broadcasts_idempotency_key_unique` ON `broadcasts` (`idempotency_key`);