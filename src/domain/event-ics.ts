/**
 * An event as an iCalendar file (RFC 5545) a parent can add to their phone's calendar with
 * one tap. Times are written in UTC, so no calendar needs our time zone; the UID is stable
 * per event, so sending the file again (after a change) updates the entry instead of adding
 * a second one. Text escaping (commas, semicolons, newlines) is done by the `ics` package;
 * its lines are folded again here at 75 octets (RFC 5545 §3.1), which the package counts in
 * characters, so Arabic or Turkish text stays within the limit and no character is split.
 */
import { createEvent, type EventAttributes } from 'ics';

export interface IcsEventInput {
  id: number;
  title: string;
  place: string;
  startsAt: Date;
  endsAt: Date;
  description?: string;
  /** DTSTAMP: when this version of the calendar entry was made. */
  now: Date;
}

export const PRODUCT_ID = '-//Ouderbrug//Events//NL';

/** The calendar entry's UID: the same for every version of one event. */
export const eventUid = (id: number): string => `event-${id}@ouderbrug`;

/** Lone carriage returns would survive the package's escaping and break a line. */
const oneNewlineStyle = (text: string): string => text.replace(/\r\n?/g, '\n');

/** The calendar text (CRLF lines). Throws only on a bug, e.g. an invalid Date. */
export function eventIcs(input: IcsEventInput): string {
  const times = [input.startsAt, input.endsAt, input.now].map((d) => d.getTime());
  if (times.some((t) => Number.isNaN(t))) throw new Error(`eventIcs: invalid date for event ${input.id}`);
  const [start, end, stamp] = times as [number, number, number];
  // `timestamp` (DTSTAMP) is accepted by the package's schema but missing from its types.
  const attributes: EventAttributes & { timestamp: number } = {
    uid: eventUid(input.id),
    productId: PRODUCT_ID,
    method: 'PUBLISH',
    timestamp: stamp,
    start,
    startInputType: 'utc',
    startOutputType: 'utc',
    end,
    endInputType: 'utc',
    endOutputType: 'utc',
    title: oneNewlineStyle(input.title),
    location: oneNewlineStyle(input.place),
    ...(input.description ? { description: oneNewlineStyle(input.description) } : {}),
    status: 'CONFIRMED',
  };
  const { error, value } = createEvent(attributes);
  if (error || value === null) throw new Error(`eventIcs: cannot build the calendar for event ${input.id}`, { cause: error });
  return refold(value);
}

const MAX_OCTETS = 75;

/** Unfolds the package's lines and folds them at 75 octets, between whole characters. */
export function refold(calendar: string): string {
  const lines = calendar.replace(/\r\n[ \t]/g, '').split('\r\n');
  return lines.map(foldLine).join('\r\n');
}

function foldLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    // Continuation lines start with a space, which counts towards their 75 octets.
    if (octets + size > MAX_OCTETS - (parts.length > 0 ? 1 : 0)) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
