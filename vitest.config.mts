import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests need no infrastructure; integration tests share one real
// Temporal dev server and one real embedded PostgreSQL started by the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          pool: 'forks',
        },
      },
      {
        // The web console in a real browser (Chromium) on the same infrastructure, built first.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts', 'test/e2e/global-setup.ts'],
          // A page answers within seconds on a loaded machine, not within vitest's default 1 s poll.
          expect: { poll: { timeout: 15_000, interval: 100 } },
          testTimeout: 180_000,
          hookTimeout: 300_000,
          pool: 'forks',
        },
      },
      {
        // The production shape (scripts/cluster.ts: the real Temporal server built from Go, two
        // workers, two API processes) under faults. It starts its own cluster, and runs after the
        // other projects so that it does not compete with them for the CPU.
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          testTimeout: 40 * 60_000,
          hookTimeout: 30 * 60_000,
          pool: 'forks',
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
