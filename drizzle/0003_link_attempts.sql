CREATE TABLE `app_keys` (
	`name` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `link_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `link_attempts_subject` ON `link_attempts` (`kind`,`subject`,`at`);--> statement-breakpoint
CREATE INDEX `link_attempts_at` ON `link_attempts` (`at`);