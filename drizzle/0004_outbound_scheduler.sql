CREATE TABLE `send_budget` (
	`key` text PRIMARY KEY NOT NULL,
	`tokens` real NOT NULL,
	`updated_ms` integer NOT NULL,
	`paused_until_ms` integer DEFAULT 0 NOT NULL,
	`reply_wanted_until_ms` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`person_id` integer,
	`identity_id` integer,
	`channel` text NOT NULL,
	`chat_id` text NOT NULL,
	`message` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`parts_sent` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`owner` text,
	`lease_until` integer,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`identity_id`) REFERENCES `identities`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_outbox`("id", "person_id", "identity_id", "channel", "chat_id", "message", "status", "last_error", "created_at", "sent_at") SELECT o."id", o."person_id", o."identity_id", i."channel", i."chat_id", o."message", o."status", o."last_error", o."created_at", o."sent_at" FROM `outbox` o JOIN `identities` i ON i."id" = o."identity_id";--> statement-breakpoint
DROP TABLE `outbox`;--> statement-breakpoint
ALTER TABLE `__new_outbox` RENAME TO `outbox`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `outbox_status` ON `outbox` (`status`);--> statement-breakpoint
CREATE INDEX `outbox_person` ON `outbox` (`person_id`);