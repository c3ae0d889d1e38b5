CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`person_id` integer NOT NULL,
	`child_id` integer,
	`rule_id` text NOT NULL,
	`channel` text NOT NULL,
	`kind` text NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`due_at` integer NOT NULL,
	`send_at` integer NOT NULL,
	`expires_at` integer,
	`urgent_from` integer,
	`payload` text NOT NULL,
	`status` text DEFAULT 'planned' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`parts_sent` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`sent_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`child_id`) REFERENCES `children`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_key_unique` ON `deliveries` (`key`);--> statement-breakpoint
CREATE INDEX `deliveries_status_send` ON `deliveries` (`status`,`send_at`);--> statement-breakpoint
CREATE INDEX `deliveries_person_send` ON `deliveries` (`person_id`,`send_at`);--> statement-breakpoint
CREATE TABLE `event_rsvps` (
	`event_id` integer NOT NULL,
	`person_id` integer NOT NULL,
	`answer` text NOT NULL,
	`status` text NOT NULL,
	`answered_at` integer NOT NULL,
	`attended` integer,
	PRIMARY KEY(`event_id`, `person_id`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `event_rsvps_person` ON `event_rsvps` (`person_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`initiative_id` integer NOT NULL,
	`kind` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`capacity` integer,
	`min_age_months` integer DEFAULT 24 NOT NULL,
	`max_age_months` integer DEFAULT 42 NOT NULL,
	`titles` text NOT NULL,
	`places` text NOT NULL,
	`cancelled_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`initiative_id`) REFERENCES `initiatives`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `events_initiative` ON `events` (`initiative_id`,`starts_at`);--> statement-breakpoint
CREATE TABLE `municipalities` (
	`name` text PRIMARY KEY NOT NULL,
	`rule` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `newsletter_schedules` (
	`initiative_id` integer PRIMARY KEY NOT NULL,
	`every_weeks` integer NOT NULL,
	`first_date` text NOT NULL,
	`time` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`initiative_id`) REFERENCES `initiatives`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `newsletters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`initiative_id` integer NOT NULL,
	`texts` text NOT NULL,
	`issued_for` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`initiative_id`) REFERENCES `initiatives`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `newsletters_initiative` ON `newsletters` (`initiative_id`);--> statement-breakpoint
CREATE TABLE `registration_dates` (
	`municipality` text NOT NULL,
	`deadline_month` text NOT NULL,
	`date` text NOT NULL,
	PRIMARY KEY(`municipality`, `deadline_month`)
);
--> statement-breakpoint
ALTER TABLE `children` ADD `registered_at` integer;--> statement-breakpoint
ALTER TABLE `children` ADD `placement` text;--> statement-breakpoint
ALTER TABLE `initiatives` ADD `time_zone` text DEFAULT 'Europe/Amsterdam' NOT NULL;--> statement-breakpoint
ALTER TABLE `people` ADD `reminders` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `people` ADD `newsletter` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `people` ADD `quiet_start` text;--> statement-breakpoint
ALTER TABLE `people` ADD `quiet_end` text;