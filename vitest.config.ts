import { randomBytes } from 'node:crypto';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Loopback fakes serve https with a certificate made at start-up; nothing ever leaves the machine.
    env: {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      LOG_LEVEL: 'ERROR',
      // The server's signing key (cursors, PKCE verifiers): a new one per run, never a file in the checkout.
      SIGNING_KEY: randomBytes(32).toString('base64'),
    },
  },
});
