CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`intent` text NOT NULL,
	`owner` text,
	`reply` text,
	`source` text NOT NULL,
	`stage` text,
	`state` text NOT NULL,
	`sla_due_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`acked_at` integer,
	`done_at` integer,
	`breached_at` integer,
	`rev` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tasks_owner` ON `tasks` (`owner`,`state`,`sla_due_at`);