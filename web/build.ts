/**
 * Builds the web app into a directory of static files: index.html, assets/app-<hash>.js and .css (esbuild,
 * minified, content-hashed), and config.json (`{ "apiUrl" }`, the API's origin; empty for the same origin).
 * `npm run build:web` writes web/dist; `npm start`, the browser tests and the CDK stack call buildWebApp.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const WEB = path.dirname(fileURLToPath(import.meta.url));

export interface WebBuild {
  dir: string;
  /** Paths (from the site root) of the files written, e.g. `/assets/app-ABC.js`. */
  files: string[];
  scriptBytes: number;
}

export async function buildWebApp(outDir: string, apiUrl = ''): Promise<WebBuild> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(path.join(outDir, 'assets'), { recursive: true });
  const result = await esbuild.build({
    entryPoints: { app: path.join(WEB, 'src/main.tsx'), style: path.join(WEB, 'src/styles.css') },
    outdir: path.join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    metafile: true,
    write: true,
    logLevel: 'silent',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => path.resolve(p));
  const script = outputs.find((p) => p.endsWith('.js'))!;
  const styles = outputs.find((p) => p.endsWith('.css'))!;
  const rel = (p: string) => `/${path.relative(outDir, p).split(path.sep).join('/')}`;
  const html = (await readFile(path.join(WEB, 'index.html'), 'utf8'))
    .replace('%SCRIPT%', rel(script))
    .replace('%STYLES%', rel(styles));
  await writeFile(path.join(outDir, 'index.html'), html);
  await writeFile(path.join(outDir, 'config.json'), `${JSON.stringify({ apiUrl })}\n`);
  const scriptBytes = (await readFile(script)).length;
  return { dir: outDir, files: ['/index.html', '/config.json', rel(script), rel(styles)], scriptBytes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `npm run build:web` writes web/dist; the CDK stack passes the directory of the deploy function's asset.
  const out = process.argv[2] ? path.resolve(process.argv[2]) : path.join(WEB, 'dist');
  const built = await buildWebApp(out, process.env.API_URL ?? '');
  const { gzipSync } = await import('node:zlib');
  const script = await readFile(path.join(out, built.files[2]!));
  console.log(
    `Built ${path.relative(process.cwd(), out)}: app JavaScript ${script.length} B, ${gzipSync(script).length} B gzip`,
  );
}
