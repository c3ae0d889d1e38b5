CREATE TABLE `broadcast_settings` (
	`initiative_id` integer PRIMARY KEY NOT NULL,
	`ambassador_approval` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`initiative_id`) REFERENCES `initiatives`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `broadcast_versions` (
	`broadcast_id` integer NOT NULL,
	`lang` text NOT NULL,
	`text` text,
	`media_id` integer,
	`media_type` text,
	`machine` integer DEFAULT false NOT NULL,
	`approved` integer DEFAULT true NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`broadcast_id`, `lang`),
	FOREIGN KEY (`broadcast_id`) REFERENCES `broadcasts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `broadcasts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`initiative_id` integer NOT NULL,
	`author_id` integer,
	`draft_key` text,
	`status` text DEFAULT 'draft' NOT NULL,
	`audience` text NOT NULL,
	`send_at` integer,
	`needs_approval` integer DEFAULT false NOT NULL,
	`approved_by` integer,
	`approved_at` integer,
	`nudge_id` integer,
	`progress_identity_id` integer,
	`progress_external_id` text,
	`progress_at` integer,
	`started_at` integer,
	`finished_at` integer,
	`summary` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`initiative_id`) REFERENCES `initiatives`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`approved_by`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`progress_identity_id`) REFERENCES `identities`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `broadcasts_status_send` ON `broadcasts` (`status`,`send_at`);--> statement-breakpoint
CREATE INDEX `broadcasts_initiative` ON `broadcasts` (`initiative_id`);--> statement-breakpoint
CREATE INDEX `broadcasts_author` ON `broadcasts` (`author_id`,`draft_key`);--> statement-breakpoint
CREATE TABLE `nudge_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`nudge_id` integer NOT NULL,
	`run_key` text NOT NULL,
	`broadcast_id` integer,
	`trigger` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`nudge_id`) REFERENCES `nudges`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `nudge_runs_key` ON `nudge_runs` (`nudge_id`,`run_key`);--> statement-breakpoint
CREATE TABLE `nudges` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`initiative_id` integer NOT NULL,
	`created_by` integer,
	`kind` text NOT NULL,
	`audience` text NOT NULL,
	`moment` text NOT NULL,
	`rule` text,
	`status` text DEFAULT 'active' NOT NULL,
	`template_broadcast_id` integer,
	`next_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`initiative_id`) REFERENCES `initiatives`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `nudges_initiative` ON `nudges` (`initiative_id`);--> statement-breakpoint
CREATE INDEX `nudges_due` ON `nudges` (`status`,`next_at`);