import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/** `npm run test:browser`: end-to-end runs in a real headless Chromium (Debian's `chromium` package). */
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/browser/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 60_000,
  },
});
