import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withTenant } from '#shared/db/tenant';
import { resetVaultForTests, type TokenSet, tokenVault, VaultError } from '#shared/vault/token-vault';
import { insertUsers, useTestDatabase, withClient } from '../support/db.ts';
import { insertConnection, superuserUrl } from '../support/vault-rows.ts';

const db = useTestDatabase();
const ALICE = '9a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c31';
const BOB = '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e032';
const ALICE_TOKENS: TokenSet = {
  accessToken: 'sl.PLAINTEXT-ALICE-ACCESS-u9x8y7w6v5',
  refreshToken: 'PLAINTEXT-ALICE-REFRESH-q1w2e3r4t5y6',
  tokenType: 'bearer',
  expiresAt: '2031-02-03T04:05:06.000Z',
};
const BOB_TOKENS: TokenSet = {
  accessToken: 'EwBwA8l6PLAINTEXT-BOB-ACCESS-z0x9c8',
  refreshToken: 'M.R3_BAY.PLAINTEXT-BOB-REFRESH-a1s2d3',
};
const SECRETS = [
  ALICE_TOKENS.accessToken,
  ALICE_TOKENS.refreshToken!,
  BOB_TOKENS.accessToken,
  BOB_TOKENS.refreshToken!,
];
let aliceRow: string;
let bobRow: string;

beforeAll(async () => {
  vi.stubEnv('TOKEN_VAULT_KMS_KEY_ARN', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEYS', undefined);
  vi.stubEnv('TOKEN_VAULT_LOCAL_KEY', randomBytes(32).toString('base64'));
  resetVaultForTests();
  await insertUsers(db().appUrl, ALICE, BOB);
  aliceRow = await insertConnection(
    ALICE,
    'dropbox',
    await tokenVault.seal(ALICE_TOKENS, { userId: ALICE, provider: 'dropbox' }),
    'dbid:ALICE-ACCOUNT',
  );
  bobRow = await insertConnection(
    BOB,
    'dropbox',
    await tokenVault.seal(BOB_TOKENS, { userId: BOB, provider: 'dropbox' }),
    'dbid:BOB-ACCOUNT',
  );
});
afterAll(() => {
  vi.unstubAllEnvs();
  resetVaultForTests();
});

describe('sealed tokens at rest', () => {
  it('no plaintext token appears in the stored bytes or in any text rendering of the rows', async () => {
    for (const url of [db().refresherUrl, superuserUrl(db().name)]) {
      const rows = await withClient(url, async (c) => {
        const { rows } = await c.query<{
          ciphertext: Buffer;
          row_text: string;
          escaped: string;
          key_version: number;
        }>(
          `select t.tokens_ciphertext as ciphertext, t::text as row_text,
                  encode(t.tokens_ciphertext, 'escape') as escaped, t.key_version
             from user_cloud_storage_tokens t`,
        );
        return rows;
      });
      expect(rows).toHaveLength(2);
      const rowTexts = rows.map((r) => r.row_text).join('\n');
      // Control: the scan does see the row's clear columns, so a token stored in clear would be found.
      expect(rowTexts).toContain('dbid:ALICE-ACCOUNT');
      for (const row of rows) {
        expect(row.key_version).toBe(1);
        expect(row.ciphertext.length).toBeGreaterThan(100);
        for (const secret of SECRETS) {
          expect(row.ciphertext.includes(Buffer.from(secret, 'utf8'))).toBe(false);
          expect(row.row_text).not.toContain(secret);
          expect(row.escaped).not.toContain(secret);
        }
      }
    }
  });

  it('the tenant reads its row back through RLS and opens it', async () => {
    const stored = await withTenant(ALICE, async (tx) => {
      const { rows } = await tx.query<{
        tokens_ciphertext: Buffer;
        key_version: number;
        provider: 'dropbox';
      }>('select tokens_ciphertext, key_version, provider from user_cloud_storage_tokens where id = $1', [
        aliceRow,
      ]);
      return rows[0]!;
    });
    expect(
      await tokenVault.open(
        { ciphertext: stored.tokens_ciphertext, keyVersion: stored.key_version },
        { userId: ALICE, provider: stored.provider },
      ),
    ).toEqual(ALICE_TOKENS);
  });

  it("refuses Alice's ciphertext copied into Bob's row", async () => {
    await withClient(db().refresherUrl, (c) =>
      c.query(
        `update user_cloud_storage_tokens b set tokens_ciphertext = a.tokens_ciphertext
           from user_cloud_storage_tokens a where a.id = $1 and b.id = $2`,
        [aliceRow, bobRow],
      ),
    );
    const bobStored = await withTenant(BOB, async (tx) => {
      const { rows } = await tx.query<{ tokens_ciphertext: Buffer; key_version: number }>(
        'select tokens_ciphertext, key_version from user_cloud_storage_tokens where id = $1',
        [bobRow],
      );
      return rows[0]!;
    });
    const error = await tokenVault
      .open(
        { ciphertext: bobStored.tokens_ciphertext, keyVersion: bobStored.key_version },
        { userId: BOB, provider: 'dropbox' },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as VaultError).reason).toBe('context-mismatch');
    for (const secret of SECRETS) expect(String((error as Error).message)).not.toContain(secret);
  });
});
