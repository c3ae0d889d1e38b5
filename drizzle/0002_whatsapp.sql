CREATE TABLE `link_codes` (
	`code` text PRIMARY KEY NOT NULL,
	`person_id` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `deliveries` ADD `external_id` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `channel_status` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `channel_status_at` integer;--> statement-breakpoint
CREATE INDEX `deliveries_external` ON `deliveries` (`external_id`);--> statement-breakpoint
ALTER TABLE `identities` ADD `last_inbound_at` integer;--> statement-breakpoint
ALTER TABLE `people` ADD `preferred_channel` text;