import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const mocks = vi.hoisted(() => ({
  secrets: {} as Record<string, Record<string, unknown>>,
  migrate: vi.fn(),
  setRolePasswords: vi.fn(),
}));

vi.mock('#shared/aws/secrets', () => ({
  getJsonSecret: async (id: string) => {
    const secret = mocks.secrets[id];
    if (!secret) throw new Error(`no secret ${id}`);
    return secret;
  },
}));
vi.mock('#shared/db/migrate', () => ({ migrate: mocks.migrate, setRolePasswords: mocks.setRolePasswords }));

const { handler } = await import('#functions/migrate/handler');

const ENV = {
  DB_OWNER_SECRET_ARN: 'arn:owner',
  DB_SECRET_ARN: 'arn:app',
  REFRESHER_DB_SECRET_ARN: 'arn:refresher',
  DB_HOST: 'brand.abc123.eu-west-1.rds.amazonaws.com',
  DB_PORT: '5432',
  DB_NAME: 'brand',
};

beforeEach(() => {
  Object.assign(process.env, ENV);
  mocks.secrets = {
    'arn:owner': { username: 'brand_owner', password: 'owner-pw', host: 'ignored', port: 5432 },
    'arn:app': { username: 'brand_app', password: 'app-pw' },
    'arn:refresher': { username: 'brand_refresher', password: 'refresher-pw' },
  };
  mocks.migrate.mockReset().mockResolvedValue(['001_roles_and_users', '002_cloud_storage']);
  mocks.setRolePasswords.mockReset().mockResolvedValue(undefined);
});

afterEach(() => {
  for (const name of Object.keys(ENV)) delete process.env[name];
});

describe('migrate handler (deploy-time Trigger)', () => {
  it('migrates as the owner straight to the instance with TLS verified, then sets both role passwords', async () => {
    await expect(handler()).resolves.toEqual({ applied: ['001_roles_and_users', '002_cloud_storage'] });

    const ownerUrl = {
      host: ENV.DB_HOST,
      port: 5432,
      database: 'brand',
      user: 'brand_owner',
      password: 'owner-pw',
      ssl: { rejectUnauthorized: true },
    };
    expect(mocks.migrate).toHaveBeenCalledTimes(1);
    expect(mocks.migrate.mock.calls[0]![0].ownerUrl).toMatchObject(ownerUrl);
    expect(mocks.setRolePasswords).toHaveBeenCalledWith(expect.objectContaining(ownerUrl), {
      brand_app: 'app-pw',
      brand_refresher: 'refresher-pw',
    });
    expect(mocks.migrate.mock.invocationCallOrder[0]!).toBeLessThan(
      mocks.setRolePasswords.mock.invocationCallOrder[0]!,
    );
  });

  it('refuses a role secret that belongs to another role', async () => {
    mocks.secrets['arn:app'] = { username: 'brand_refresher', password: 'refresher-pw' };
    await expect(handler()).rejects.toThrow(/expected brand_app/);
    expect(mocks.setRolePasswords).not.toHaveBeenCalled();
  });

  it('fails (and so fails the deployment) when a migration fails, before touching passwords', async () => {
    mocks.migrate.mockRejectedValue(new Error('syntax error at or near "CREAT"'));
    await expect(handler()).rejects.toThrow(/syntax error/);
    expect(mocks.setRolePasswords).not.toHaveBeenCalled();
  });

  it('fails when the database is not configured', async () => {
    delete process.env.DB_HOST;
    await expect(handler()).rejects.toThrow(/DB_HOST/);
    expect(mocks.migrate).not.toHaveBeenCalled();
  });
});
