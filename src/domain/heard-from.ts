/** "How did you hear of us": the recruiting places of the seed's first table, so coordinators learn which work. */
export const HEARD_FROM = [
  'toddler_group',
  'day_care',
  'health_clinic',
  'pregnancy_class',
  'playground',
  'school',
  'other_parent',
  'flyer',
  'social_media',
  'other',
] as const;
export type HeardFrom = (typeof HEARD_FROM)[number];

export const isHeardFrom = (value: string): value is HeardFrom => (HEARD_FROM as readonly string[]).includes(value);
