/** Delivery rows and outbox texts are kept this many days after they were sent or ended: what /mydata shows (ADR 0006). */
export const RETENTION_KEEP_ROWS_DAYS = 90;
