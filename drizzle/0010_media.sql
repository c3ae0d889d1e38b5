CREATE TABLE `media` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner_id` integer NOT NULL,
	`channel` text NOT NULL,
	`ref` text NOT NULL,
	`type` text NOT NULL,
	`mime_type` text,
	`filename` text,
	`duration_seconds` integer,
	`bytes` integer,
	`status` text DEFAULT 'pending' NOT NULL,
	`failure` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`path` text,
	`sha256` text,
	`uploads` text,
	`fetched_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `media_owner` ON `media` (`owner_id`);--> statement-breakpoint
CREATE INDEX `media_status` ON `media` (`status`);