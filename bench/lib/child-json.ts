import { type SpawnOptions, spawn } from 'node:child_process';

/**
 * Runs a fresh Node process and parses the JSON of its last stdout line: how the bench measures things that
 * must not share this process (cold init, the load client). A non-zero exit or no output rejects with the
 * first lines of stderr, prefixed by `what`.
 */
export function runNodeForJson<T>(what: string, args: string[], options: SpawnOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) {
        reject(
          new Error(
            `${what} failed (exit ${code}): ${err.trim().split('\n').slice(0, 3).join(' | ').slice(0, 500)}`,
          ),
        );
        return;
      }
      resolve(JSON.parse(line) as T);
    });
  });
}
