CREATE TABLE `activity_days` (
	`person_id` integer NOT NULL,
	`day` integer NOT NULL,
	PRIMARY KEY(`person_id`, `day`),
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `activity_days_day` ON `activity_days` (`day`);--> statement-breakpoint
CREATE TABLE `outreach_settings` (
	`initiative_id` integer PRIMARY KEY NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`cooldown_days` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`initiative_id`) REFERENCES `initiatives`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `outreach_voices` (
	`initiative_id` integer NOT NULL,
	`lang` text NOT NULL,
	`media_id` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`initiative_id`, `lang`),
	FOREIGN KEY (`initiative_id`) REFERENCES `initiatives`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `people` ADD `last_action_at` integer;--> statement-breakpoint
ALTER TABLE `people` ADD `last_read_at` integer;--> statement-breakpoint
CREATE INDEX `deliveries_ladder` ON `deliveries` (`person_id`,`rule_id`) WHERE rule_id like 'ladder%';--> statement-breakpoint
-- Parents who joined before participation was tracked: their last own action is their last message we know of.
UPDATE `people` SET `last_action_at` = nullif((SELECT max(max(coalesce(i.last_inbound_at, 0), coalesce(cv.updated_at, 0))) FROM `identities` i LEFT JOIN `conversations` cv ON cv.identity_id = i.id WHERE i.person_id = `people`.`id`), 0);--> statement-breakpoint
INSERT OR IGNORE INTO `activity_days` (`person_id`, `day`) SELECT `id`, `last_action_at` / 86400000 FROM `people` WHERE `last_action_at` IS NOT NULL;
