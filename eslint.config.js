// ESLint (flat config) with typescript-eslint, run by `npm run lint` (part of `npm test`).
// Formatting is Prettier's job (.prettierrc.json); unused names are tsc's (noUnusedLocals).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tmp/**', 'test-results/**', 'playwright-report/**', 'demo/assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      // tsc reports unused locals and parameters (noUnusedLocals); `_`-prefixed ones are intended.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Test doubles and JSON shapes read from the wire are cast on purpose, at the edges.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A `let` read by a closure before its one assignment (wiring cycles) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests, the chaos run, benchmarks and the sandbox's test client read JSON answers of any shape.
    files: ['test/**/*.ts', 'chaos/**/*.ts', 'bench/**/*.ts', 'server/sandbox/testing.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Chai's property assertions (`expect(x).to.be.true`) are expressions by design.
    files: ['test/widget/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    // The demo store's plain browser script.
    files: ['demo/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', customElements: 'readonly', localStorage: 'readonly' } },
  },
);
