-- Message variants: the variant (A–D) a message of a send step's variant test was given.
ALTER TABLE `messages` ADD `variant` text;
-- Sign-up pages: hits per IP (hashed) and 10-minute window, for a modest rate limit; rows older than an hour are deleted as new ones arrive.
CREATE TABLE `signup_hits` (
	`ip_hash` text NOT NULL,
	`window` integer NOT NULL,
	`hits` integer NOT NULL,
	PRIMARY KEY(`ip_hash`, `window`)
);
-- Source quality: the source of the grant a revocation ended (opt-outs by the source that brought the person in).
ALTER TABLE `consent_changes` ADD `ended_source` text;
