/**
 * `npm run migrate [-- up|down [count]]`: applies (or reverts) migrations/ as the owner role, and prints what it
 * applied or reverted. Database: see local/cli.ts (DATABASE_URL, else the running `npm start`, else .local/).
 */
import { migrate, setRolePasswords } from '#shared/db/migrate';
import { CliError, positiveInt, runCli } from './cli.ts';
import { ensureOwnerDatabase, LOCAL_ROLE_PASSWORDS } from './postgres.ts';

await runCli(
  {
    name: 'migrate',
    usage: '[up|down] [count]',
    description: [
      'Applies the pending migrations of migrations/ (up, the default; count limits how many), or reverts the',
      'last `count` applied ones (down, default 1). Prints the migrations it applied or reverted.',
    ].join('\n'),
    allowPositionals: true,
  },
  async ({ positionals, database }) => {
    const [direction = 'up', rawCount, ...extra] = positionals;
    if ((direction !== 'up' && direction !== 'down') || extra.length) {
      throw new CliError(`expected "up" or "down" and an optional count, got "${positionals.join(' ')}"`, 2);
    }
    const count = positiveInt(rawCount, 'count');
    const db = await database();
    const ownerUrl = await ensureOwnerDatabase(db.adminUrl, db.database);
    const names = await migrate({ ownerUrl, direction, ...(count ? { count } : {}) });
    if (direction === 'up') {
      // New runtime roles get their local passwords (the API connects with them).
      await setRolePasswords(ownerUrl, LOCAL_ROLE_PASSWORDS).catch((error: { code?: string }) => {
        if (error.code !== '42704') throw error; // the roles' migration is not applied (yet)
      });
      console.log(
        names.length
          ? `Applied ${names.length} migration${names.length === 1 ? '' : 's'} to ${db.database} (${db.source}):\n${names.map((n) => `  ${n}`).join('\n')}`
          : `Nothing to apply: ${db.database} (${db.source}) is up to date.`,
      );
    } else {
      console.log(
        names.length
          ? `Reverted ${names.length} migration${names.length === 1 ? '' : 's'} on ${db.database} (${db.source}):\n${names.map((n) => `  ${n}`).join('\n')}`
          : `Nothing to revert: no migration is applied on ${db.database} (${db.source}).`,
      );
    }
    return 0;
  },
);
