/**
 * The font files the PNG renderer draws text with. They come from npm packages (no system fonts: a fresh
 * server may have none, and the same files give the same picture everywhere):
 * - DejaVu Sans (regular and bold; `dejavu-fonts-ttf`): Latin (nl en tr pl pt so), Cyrillic (uk bg), Arabic;
 * - Noto Sans Ethiopic (regular and bold; `@expo-google-fonts/noto-sans-ethiopic`, only its TTF files): Tigrinya.
 * resvg falls back per character to the first loaded font that has the glyph (so regular faces come first).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const FILES = [
  'dejavu-fonts-ttf/ttf/DejaVuSans.ttf',
  'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf',
  '@expo-google-fonts/noto-sans-ethiopic/400Regular/NotoSansEthiopic_400Regular.ttf',
  '@expo-google-fonts/noto-sans-ethiopic/700Bold/NotoSansEthiopic_700Bold.ttf',
];

/** The family resvg uses for text whose family it does not have (must be one of the files above). */
export const DEFAULT_FONT_FAMILY = 'DejaVu Sans';

let resolved: string[] | undefined;

/** Absolute paths of the font files; throws (naming the package) when one is not installed. */
export function chartFontFiles(): string[] {
  resolved ??= FILES.map((file) => {
    try {
      return require.resolve(file);
    } catch {
      throw new Error(`chart font missing: ${file} (run npm ci)`);
    }
  });
  return resolved;
}
