/**
 * The shapes a broadcast flow and its database side share (issue 11). Scaffold: the owner of
 * this area replaces the placeholder command and reads with the real ones.
 */

/** What a flow asks to change, applied in the turn's transaction by src/db/broadcast.effects.ts. */
export type BroadcastCommand = { op: 'placeholder' };

/** What a flow may read (synchronous, no personal data beyond what the role may see). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BroadcastReads {}
