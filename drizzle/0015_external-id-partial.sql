DROP INDEX `deliveries_external`;--> statement-breakpoint
CREATE INDEX `deliveries_external` ON `deliveries` (`external_id`) WHERE external_id is not null;