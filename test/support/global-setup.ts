import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '#local/ports';
import { startEmbeddedPostgres } from '#local/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A connection that may create roles and databases; each test file makes its own database from it. */
    adminUrl: string;
  }
}

/**
 * One real PostgreSQL for the whole run: the embedded PostgreSQL 17 in a temp dir, or DATABASE_URL when set
 * (a role that can create roles and databases). Test files create isolated databases on it.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('adminUrl', process.env.DATABASE_URL);
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'brand-pg-'));
  const cluster = await startEmbeddedPostgres(path.join(dir, 'data'), await freePort());
  project.provide('adminUrl', cluster.superuserUrl());
  return async () => {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
