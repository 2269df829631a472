import path from 'node:path';

/** The repository root (infra/ sits directly below it). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..');
