import { describe, expect, it } from 'vitest';
import { eventIcs, eventUid, refold } from '../../src/domain/event-ics.js';

interface Property {
  name: string;
  params: string;
  value: string;
}

/** A small RFC 5545 reader: unfold, split "NAME;PARAMS:VALUE", unescape TEXT values. */
function parse(ics: string): Property[] {
  return ics
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter((l) => l !== '')
    .map((line) => {
      const m = /^([A-Z-]+)((?:;[^:]*)?):(.*)$/s.exec(line);
      if (!m) throw new Error(`not a content line: ${line}`);
      return { name: m[1] ?? '', params: m[2] ?? '', value: m[3] ?? '' };
    });
}

const unescape = (v: string): string => v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
const prop = (props: Property[], name: string): string | undefined => props.find((p) => p.name === name)?.value;

const base = {
  id: 42,
  title: 'Rondleiding',
  place: 'De Regenboog',
  // 09:00–10:30 in Amsterdam (CET): the file says 08:00–09:30 UTC.
  startsAt: new Date('2027-03-01T08:00:00Z'),
  endsAt: new Date('2027-03-01T09:30:00Z'),
  now: new Date('2027-02-01T12:34:56Z'),
};

describe('eventIcs', () => {
  it('is one VEVENT in a VCALENDAR, published, with UTC times and a stable UID', () => {
    const ics = eventIcs(base);
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // CRLF only
    const props = parse(ics);
    const names = props.map((p) => `${p.name}:${p.name === 'BEGIN' || p.name === 'END' ? p.value : ''}`).filter((n) => /^(BEGIN|END)/.test(n));
    expect(names).toEqual(['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'END:VEVENT', 'END:VCALENDAR']);
    expect(prop(props, 'VERSION')).toBe('2.0');
    expect(prop(props, 'METHOD')).toBe('PUBLISH');
    expect(prop(props, 'UID')).toBe('event-42@ouderbrug');
    expect(eventUid(42)).toBe('event-42@ouderbrug');
    expect(props.find((p) => p.name === 'DTSTART')).toEqual({ name: 'DTSTART', params: '', value: '20270301T080000Z' });
    expect(props.find((p) => p.name === 'DTEND')).toEqual({ name: 'DTEND', params: '', value: '20270301T093000Z' });
    expect(prop(props, 'DTSTAMP')).toBe('20270201T123456Z');
    expect(prop(props, 'SUMMARY')).toBe('Rondleiding');
    expect(prop(props, 'LOCATION')).toBe('De Regenboog');
    expect(prop(props, 'DESCRIPTION')).toBeUndefined();
  });

  it('is the same text for the same input (no random UID or clock)', () => {
    expect(eventIcs(base)).toBe(eventIcs({ ...base }));
  });

  it('escapes commas, semicolons, backslashes and newlines in title, place and description', () => {
    const title = 'Rondleiding; school, "De Regenboog"\nmet koffie \\ thee';
    const place = 'Hoofdweg 1, 1091 AA; Amsterdam\r\ningang links';
    const ics = eventIcs({ ...base, title, place, description: 'Neem je kind mee,\nwelkom!' });
    const raw = parse(ics);
    expect(prop(raw, 'SUMMARY')).toBe('Rondleiding\\; school\\, "De Regenboog"\\nmet koffie \\\\ thee');
    expect(unescape(prop(raw, 'SUMMARY') ?? '')).toBe(title);
    expect(unescape(prop(raw, 'LOCATION') ?? '')).toBe('Hoofdweg 1, 1091 AA; Amsterdam\ningang links');
    expect(unescape(prop(raw, 'DESCRIPTION') ?? '')).toBe('Neem je kind mee,\nwelkom!');
    // No raw newline leaked into a property: every line is a content line or a fold.
    for (const line of ics.split('\r\n').filter((l) => l !== '')) expect(line).toMatch(/^([A-Z-]+[;:]| )/);
  });

  it('keeps Arabic and Turkish text intact and folds lines at 75 octets between characters', () => {
    const title = 'جولة في المدرسة، مع القهوة؛ مرحبا بالجميع — زيارة المدرسة للأهالي والأطفال الصغار';
    const place = 'Gökyüzü İlkokulu, Çiçek Sokağı 1; Şişli — ğüşıöç ĞÜŞİÖÇ uzun bir adres satırı burada';
    const ics = eventIcs({ ...base, title, place });
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(ics).not.toContain('\uFFFD');
    const props = parse(ics);
    expect(unescape(prop(props, 'SUMMARY') ?? '')).toBe(title);
    expect(unescape(prop(props, 'LOCATION') ?? '')).toBe(place);
  });

  it('throws on an invalid date (a bug in the caller)', () => {
    expect(() => eventIcs({ ...base, startsAt: new Date('nonsense') })).toThrow(/invalid date/);
  });
});

describe('refold', () => {
  it('folds long lines with a leading space and leaves short ones alone', () => {
    const long = `SUMMARY:${'ü'.repeat(60)}`;
    const out = refold(`BEGIN:VEVENT\r\n${long}\r\nEND:VEVENT\r\n`);
    const lines = out.split('\r\n');
    expect(lines[0]).toBe('BEGIN:VEVENT');
    expect(lines[2]?.startsWith(' ')).toBe(true);
    expect(out.replace(/\r\n /g, '')).toBe(`BEGIN:VEVENT\r\n${long}\r\nEND:VEVENT\r\n`);
  });
});
