-- Message variants: the variant (A–D) a message of a send step's variant test was given.
ALTER TABLE `messages` ADD `variant` text;
