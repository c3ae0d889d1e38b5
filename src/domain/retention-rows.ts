/** Delivery rows and outbox texts are kept this many days after they were sent or ended: what /mydata shows (ADR 0006). */
export const RETENTION_KEEP_ROWS_DAYS = 90;

/**
 * The outreach ladder's delivery rows are kept this long: they are how the planner knows a
 * parent's last ladder step, so the cool-down (at most a year) holds. They carry no text.
 */
export const LADDER_KEEP_ROWS_DAYS = 400;
