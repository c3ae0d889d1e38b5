// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Dependencies point inwards (ARCHITECTURE.md): the core, the domain and the flows never
// touch a messenger, a queue or a database library.
const outerLibraries = ['telegraf', 'telegraf/*', 'whatsapp-web.js', 'bullmq', 'ioredis', 'drizzle-orm', 'drizzle-orm/*', 'better-sqlite3'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'drizzle/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/domain/**/*.ts', 'src/flows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: outerLibraries, message: 'core, domain and flows stay free of I/O libraries; use a port.' }] }],
    },
  },
  {
    files: ['src/flows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: [...outerLibraries, '../db/*', '../bot/*', '../jobs/*', '../http/*', 'node:*'], message: 'Flows are pure: no I/O, no database, no messenger.' }] }],
    },
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['src/cli/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
