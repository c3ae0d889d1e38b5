CREATE TABLE `relay_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`thread_id` integer NOT NULL,
	`from_parent` integer NOT NULL,
	`author_id` integer,
	`text` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`thread_id`) REFERENCES `relay_threads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `relay_messages_thread` ON `relay_messages` (`thread_id`);--> statement-breakpoint
CREATE TABLE `relay_offers` (
	`thread_id` integer NOT NULL,
	`staff_id` integer NOT NULL,
	`tier` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`thread_id`, `staff_id`),
	FOREIGN KEY (`thread_id`) REFERENCES `relay_threads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`staff_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `relay_offers_staff` ON `relay_offers` (`staff_id`);--> statement-breakpoint
CREATE TABLE `relay_threads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`person_id` integer NOT NULL,
	`initiative_id` integer NOT NULL,
	`kind` text NOT NULL,
	`source` text NOT NULL,
	`source_ref` text,
	`language` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`tier` integer DEFAULT 0 NOT NULL,
	`tier_at` integer NOT NULL,
	`claimed_by` integer,
	`claimed_at` integer,
	`closed_at` integer,
	`closed_by` text,
	`outcome` text,
	`outcome_at` integer,
	`callback_phone` text,
	`callback_phone_until` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`initiative_id`) REFERENCES `initiatives`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`claimed_by`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `relay_threads_person` ON `relay_threads` (`person_id`);--> statement-breakpoint
CREATE INDEX `relay_threads_initiative` ON `relay_threads` (`initiative_id`,`status`);--> statement-breakpoint
CREATE INDEX `relay_threads_due` ON `relay_threads` (`status`,`tier_at`);--> statement-breakpoint
ALTER TABLE `people` ADD `contact_declined_at` integer;