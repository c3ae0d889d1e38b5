/**
 * The PNG's fonts come from node_modules, not from the system: every script of our ten languages must be
 * drawn with real glyphs (not the empty-box "missing glyph") with only those files loaded.
 */
import { Resvg } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fontFamily } from '../../../src/core/charts/chart-style.js';
import { chartFontFiles, DEFAULT_FONT_FAMILY } from '../../../src/core/charts/fonts.js';

/** The RGBA pixels of one line of text drawn with the chart fonts only. */
function draw(text: string, family = fontFamily('nl'), weight = 'normal'): Buffer {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><text x="4" y="28" font-size="20" font-weight="${weight}" font-family="${family}">${text}</text></svg>`;
  const image = new Resvg(svg, { font: { fontFiles: chartFontFiles(), loadSystemFonts: false, defaultFontFamily: DEFAULT_FONT_FAMILY }, logLevel: 'off' }).render();
  return Buffer.from(image.pixels);
}

const inked = (pixels: Buffer): number => pixels.filter((_, i) => i % 4 === 3 && pixels[i] !== 0).length;

/** The sample as "missing glyph" boxes: every letter replaced by U+E000, a private-use code point no font here has. */
const missing = (sample: string): Buffer => draw(sample.replace(/\S/gu, '\uE000'));

const SAMPLES: Record<string, string> = {
  'Latin (nl, en, so, pt)': 'Aanmelden ijsje café',
  'Latin extended (tr, pl)': 'ğışçöü ąęłńśźż',
  'Cyrillic (uk, bg)': 'Доставлено їжак ґанок',
  Arabic: 'تمت القراءة',
  'Ethiopic (ti)': 'ትግርኛ ተመዝጊቦም',
};

describe('chart fonts', () => {
  it('are files in node_modules', () => {
    const files = chartFontFiles();
    expect(files).toHaveLength(4);
    for (const file of files) {
      expect(file).toMatch(/node_modules/);
      expect(existsSync(file)).toBe(true);
    }
  });

  it('the missing-glyph box draws something, so the comparison below means something', () => {
    expect(inked(missing('abc'))).toBeGreaterThan(50);
  });

  for (const [script, sample] of Object.entries(SAMPLES)) {
    it(`draw ${script} with real glyphs`, () => {
      const pixels = draw(sample);
      expect(inked(pixels)).toBeGreaterThan(100);
      expect(pixels.equals(missing(sample))).toBe(false);
    });
  }

  it('name the families the chart asks for (no fallback to an unknown default)', () => {
    // Drawing with the first family alone gives the same Latin as the whole list.
    const first = fontFamily('nl').split(',')[0]?.trim() ?? '';
    expect(first).toBe(DEFAULT_FONT_FAMILY);
    expect(draw('Ouderbrug 1.234', first).equals(draw('Ouderbrug 1.234'))).toBe(true);
    expect(draw('Ouderbrug 1.234', 'No Such Font').equals(draw('Ouderbrug 1.234'))).toBe(true);
  });

  it('draw a Tigrinya title in bold (a fallback font would be regular)', () => {
    const title = 'ትግርኛ ተመዝጊቦም 2026';
    expect(draw(title, fontFamily('ti'), 'bold').equals(draw(title, fontFamily('ti')))).toBe(false);
    expect(inked(draw(title, fontFamily('ti'), 'bold'))).toBeGreaterThan(inked(draw(title, fontFamily('ti'))));
  });
});
