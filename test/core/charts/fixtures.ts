/**
 * Chart inputs as the figures would give them, in Dutch, Arabic (right to left), Ukrainian and Tigrinya.
 * Each has suppressed counts ('fewer') and, for reach, a language whose read count is not reported.
 */
import type { ChartInput, ChartLabels, FunnelChart, ParticipationChart, ReachChart } from '../../../src/domain/stats.types.js';

export interface ChartCase {
  name: string;
  input: ChartInput;
  labels: ChartLabels;
}

export const LABELS: Record<'nl' | 'ar' | 'uk' | 'ti', ChartLabels> = {
  nl: { lang: 'nl', rtl: false, fewer: 'minder dan 10', footnote: 'Ouderinitiatief De Regenboog · 7 december 2026 · Bron: Ouderbrug' },
  ar: { lang: 'ar', rtl: true, fewer: 'أقل من 10', footnote: 'مبادرة الآباء De Regenboog · 7 ديسمبر 2026 · المصدر: Ouderbrug' },
  uk: { lang: 'uk', rtl: false, fewer: 'менше ніж 10', footnote: 'Батьківська ініціатива De Regenboog · 7 грудня 2026 · Джерело: Ouderbrug' },
  ti: { lang: 'ti', rtl: false, fewer: 'ካብ 10 ዝወሓደ' },
};

const FUNNEL_COUNTS = [1234, 1180, 'fewer', 412, 0] as const;

export const FUNNEL: Record<'nl' | 'ar' | 'uk' | 'ti', FunnelChart> = {
  nl: {
    kind: 'funnel',
    title: 'Van aanmelding tot plek op school',
    steps: ['Aangemeld', 'Toestemming gegeven', 'Scholen bekeken', 'Ingeschreven op de school', 'Geplaatst'].map((label, i) => ({ label, count: FUNNEL_COUNTS[i] ?? 0 })),
  },
  ar: {
    kind: 'funnel',
    title: 'من التسجيل إلى مكان في المدرسة',
    steps: ['انضموا', 'أعطوا الموافقة', 'زاروا المدارس', 'سجلوا في المدرسة', 'حصلوا على مكان'].map((label, i) => ({ label, count: FUNNEL_COUNTS[i] ?? 0 })),
  },
  uk: {
    kind: 'funnel',
    title: 'Від реєстрації до місця в школі',
    steps: ['Приєдналися', 'Дали згоду', 'Переглянули школи', 'Записалися до школи', 'Отримали місце'].map((label, i) => ({ label, count: FUNNEL_COUNTS[i] ?? 0 })),
  },
  ti: {
    kind: 'funnel',
    title: 'ካብ ምምዝጋብ ክሳብ ቦታ ኣብ ቤት ትምህርቲ',
    steps: ['ተጸምቢሮም', 'ፍቓድ ሂቦም', 'ኣብያተ ትምህርቲ ርእዮም', 'ተመዝጊቦም', 'ቦታ ረኺቦም'].map((label, i) => ({ label, count: FUNNEL_COUNTS[i] ?? 0 })),
  },
};

const MONTHS_NL = ['jan 2026', 'feb 2026', 'mrt 2026', 'apr 2026', 'mei 2026', 'jun 2026', 'jul 2026', 'aug 2026', 'sep 2026', 'okt 2026', 'nov 2026', 'dec 2026'];
const MONTHS_AR = ['يناير 2026', 'فبراير 2026', 'مارس 2026', 'أبريل 2026', 'مايو 2026', 'يونيو 2026', 'يوليو 2026', 'أغسطس 2026', 'سبتمبر 2026', 'أكتوبر 2026', 'نوفمبر 2026', 'ديسمبر 2026'];

/** Active grows, fading and silent shrink; early months have fewer than 10 active parents. */
const participationMonths = (labels: string[]): ParticipationChart['months'] =>
  labels.map((label, i) => ({
    label,
    counts: [i < 2 ? 'fewer' : 10 + i * 6, 40 - i * 2, i === 11 ? 'fewer' : 30 - i * 2],
  }));

export const PARTICIPATION: Record<'nl' | 'ar', ParticipationChart> = {
  nl: { kind: 'participation', title: 'Hoe actief zijn de ouders?', levels: ['Actief', 'Minder actief', 'Stil'], months: participationMonths(MONTHS_NL) },
  ar: { kind: 'participation', title: 'ما مدى نشاط الآباء؟', levels: ['نشط', 'أقل نشاطًا', 'صامت'], months: participationMonths(MONTHS_AR) },
};

export const REACH: Record<'nl' | 'uk' | 'ar', ReachChart> = {
  nl: {
    kind: 'reach',
    title: 'Bereik van de laatste berichten',
    series: ['Afgeleverd', 'Gelezen', 'Beantwoord'],
    groups: [
      { label: 'Nederlands', counts: [220, 180, 31] },
      { label: 'Türkçe', counts: [64, null, 12] },
      { label: 'العربية', counts: [48, 40, 'fewer'] },
      { label: 'Soomaali', counts: ['fewer', 'fewer', 'fewer'] },
    ],
  },
  uk: {
    kind: 'reach',
    title: 'Охоплення останніх повідомлень',
    series: ['Доставлено', 'Прочитано', 'Відповіли'],
    groups: [
      { label: 'Nederlands', counts: [220, null, 31] },
      { label: 'Українська', counts: [35, null, 'fewer'] },
    ],
  },
  ar: {
    kind: 'reach',
    title: 'الوصول إلى الرسائل الأخيرة',
    series: ['تم التسليم', 'تمت القراءة', 'تم الرد'],
    groups: [
      { label: 'Nederlands', counts: [220, 180, 31] },
      { label: 'العربية', counts: [48, 40, 'fewer'] },
    ],
  },
};

/** Every case the golden test draws; the name is the golden file's name. */
export const CASES: ChartCase[] = [
  { name: 'funnel.nl', input: FUNNEL.nl, labels: LABELS.nl },
  { name: 'funnel.ar', input: FUNNEL.ar, labels: LABELS.ar },
  { name: 'funnel.uk', input: FUNNEL.uk, labels: LABELS.uk },
  { name: 'funnel.ti', input: FUNNEL.ti, labels: LABELS.ti },
  { name: 'participation.nl', input: PARTICIPATION.nl, labels: LABELS.nl },
  { name: 'participation.ar', input: PARTICIPATION.ar, labels: LABELS.ar },
  { name: 'reach.nl', input: REACH.nl, labels: LABELS.nl },
  { name: 'reach.uk', input: REACH.uk, labels: LABELS.uk },
  { name: 'reach.ar', input: REACH.ar, labels: LABELS.ar },
];
