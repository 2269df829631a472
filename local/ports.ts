import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(bound));
    });
  });
}

/** A free loopback port chosen by the OS. */
export async function freePort(): Promise<number> {
  const port = await tryListen(0);
  if (port === undefined) throw new Error('No free port');
  return port;
}

/**
 * A port remembered in `file`: the same one as last time when it is still free (so issuers and URLs baked into
 * local tokens stay valid across restarts), a new one otherwise.
 */
export async function freePortFor(file: string): Promise<number> {
  if (existsSync(file)) {
    const previous = Number(await readFile(file, 'utf8'));
    if (Number.isInteger(previous) && previous > 0 && (await tryListen(previous)) === previous)
      return previous;
  }
  const port = await freePort();
  await writeFile(file, String(port));
  return port;
}

/**
 * The port first chosen for `file`, reused whenever it is free; when it is taken, a free one for this run only
 * (the file keeps the first, so nothing that depends on it is rewritten behind the user's back).
 */
export async function rememberedPort(file: string): Promise<{ port: number; first: number }> {
  if (existsSync(file)) {
    const first = Number(await readFile(file, 'utf8'));
    if (Number.isInteger(first) && first > 0) {
      const port = (await tryListen(first)) === first ? first : await freePort();
      return { port, first };
    }
  }
  const port = await freePort();
  await writeFile(file, String(port));
  return { port, first: port };
}

/** Whether `port` on 127.0.0.1 can be listened on right now. */
export async function portIsFree(port: number): Promise<boolean> {
  return (await tryListen(port)) === port;
}
