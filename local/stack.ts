import { mkdir } from 'node:fs/promises';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { closePools } from '#shared/db/pool';
import { type BearerVerifier, createGateway, listen } from './gateway.ts';
import {
  type DatabaseUrls,
  type EmbeddedCluster,
  prepareDatabase,
  startEmbeddedPostgres,
} from './postgres.ts';

export interface LocalStackOptions {
  /** Where embedded services keep their data (`.local/` for `npm start`, a temp dir in tests). */
  stateDir: string;
  /** Gateway port; 0 picks a free one. */
  port: number;
  /** Owner/admin connection of an existing PostgreSQL; when absent an embedded PostgreSQL 17 is started. */
  databaseUrl?: string;
  database?: string;
  verifyBearer: BearerVerifier;
  log?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  port: number;
  db: DatabaseUrls;
  postgres?: EmbeddedCluster;
  server: http.Server;
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the database (embedded unless a URL is given), applies migrations and serves the route table. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  await mkdir(options.stateDir, { recursive: true });
  let postgres: EmbeddedCluster | undefined;
  let adminUrl = options.databaseUrl;
  if (!adminUrl) {
    postgres = await startEmbeddedPostgres(
      path.join(options.stateDir, 'postgres'),
      await freePort(),
      options.log,
    );
    adminUrl = postgres.superuserUrl();
  }
  const db = await prepareDatabase(adminUrl, options.database ?? 'brand');
  process.env.APP_DATABASE_URL = db.appUrl;
  process.env.REFRESHER_DATABASE_URL = db.refresherUrl;
  process.env.FRONTEND_URL ??= 'http://localhost:5173';

  const server = createGateway({ verifyBearer: options.verifyBearer });
  const port = await listen(server, options.port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    ...(postgres ? { postgres } : {}),
    server,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await closePools();
      await postgres?.stop();
    },
  };
}
