import { useEffect, useState } from 'preact/hooks';
import type { Schemas } from '../api/client.ts';
import type { Session } from '../session.ts';
import {
  Button,
  bytes,
  Link,
  Notice,
  PROVIDER_NAMES,
  PROVIDERS,
  ProblemNotice,
  type Provider,
  usePageTitle,
  when,
} from '../ui.tsx';
import { CATEGORIES, type Category } from './brand-voice.tsx';

type CloudFile = Schemas['CloudFile'];
type Asset = Schemas['BrandVoiceAsset'];
/** What the page knows of a file's import: its asset and where the document worker is with it. */
interface Imported {
  assetId: string;
  title: string;
  status: Asset['status'];
  failure: string | undefined;
}
const POLL_MS = 1000;
interface Crumb {
  id: string | undefined;
  name: string;
}

export function Files(props: { session: Session }) {
  const { session } = props;
  const params = new URL(location.href).searchParams;
  const provider = params.get('provider') as Provider;
  // `?pageSize=` (1–100) for small pages; 25 by default.
  const pageSize = Math.min(100, Math.max(1, Number(params.get('pageSize')) || 25));
  const name = PROVIDER_NAMES[provider] ?? 'Files';
  const heading = usePageTitle(`${name} files`);
  const [trail, setTrail] = useState<Crumb[]>([{ id: undefined, name }]);
  const [files, setFiles] = useState<CloudFile[]>();
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [category, setCategory] = useState<Category>('brand_guidelines');
  const [imported, setImported] = useState<Map<string, Imported>>(new Map());
  const [importing, setImporting] = useState<string>();
  const [result, setResult] = useState<string>();
  const [failed, setFailed] = useState<string>();
  const folder = trail.at(-1)!;

  const load = async (cursor?: string) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await session.call(
        session.api.GET('/cloud-storage/{provider}/files', {
          params: {
            path: { provider },
            query: {
              ...(folder.id ? { folderId: folder.id } : {}),
              ...(cursor ? { cursor } : {}),
              limit: pageSize,
            },
          },
        }),
      );
      const sorted = [...page.items].sort((a, b) => Number(b.isFolder) - Number(a.isFolder));
      setFiles((before) => (cursor ? [...(before ?? []), ...sorted] : sorted));
      setNext(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    setFiles(undefined);
    void load();
  }, [folder.id]);

  const track = (fileId: string, asset: Asset) =>
    setImported((m) =>
      new Map(m).set(fileId, {
        assetId: asset.id,
        title: asset.title,
        status: asset.status,
        failure: asset.failure?.message,
      }),
    );

  useEffect(() => {
    session
      .call(session.api.GET('/brand-voice-assets', { params: { query: { limit: 100 } } }))
      .then((page) => {
        for (const a of page.items) if (a.source === provider && a.sourceFileId) track(a.sourceFileId, a);
      })
      .catch(() => undefined);
  }, []);

  // An import is accepted at once (202) and copied and read by the server afterwards: poll each asset that is
  // still processing until it is ready or failed, and say how it ended.
  const pending = [...imported.entries()].filter(([, i]) => i.status === 'processing');
  useEffect(() => {
    if (pending.length === 0) return;
    let stopped = false;
    const timer = setTimeout(async () => {
      for (const [fileId, item] of pending) {
        try {
          const asset = await session.call(
            session.api.GET('/brand-voice-assets/{id}', { params: { path: { id: item.assetId } } }),
          );
          if (stopped) return;
          track(fileId, asset);
          if (asset.status === 'ready')
            setResult(`Imported “${asset.title}”. It is listed under Brand voice.`);
          if (asset.status === 'failed') {
            setResult(undefined);
            setFailed(`“${asset.title}” could not be imported. ${asset.failure?.message ?? ''}`);
          }
        } catch (err) {
          if (!stopped) setError(err);
        }
      }
    }, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [pending.map(([id, i]) => `${id}:${i.status}`).join(), imported]);

  if (!PROVIDERS.includes(provider)) {
    return (
      <main id="main">
        <h1>Files</h1>
        <Notice kind="error">Unknown provider.</Notice>
        <Link href="/dashboard">Back to cloud storage</Link>
      </main>
    );
  }

  const importFile = async (file: CloudFile) => {
    setImporting(file.id);
    setResult(undefined);
    setFailed(undefined);
    setError(undefined);
    try {
      const { asset } = await session.call(
        session.api.POST('/brand-voice-assets/import', { body: { provider, fileId: file.id, category } }),
        {
          'validation-error':
            'This file cannot be imported: only PDF, Word, PowerPoint, text, Markdown, HTML and CSV files and Google Docs, Slides and Sheets can be.',
        },
      );
      track(file.id, asset);
      if (asset.status === 'ready') setResult(`Imported “${asset.title}”. It is listed under Brand voice.`);
      else setResult(`Importing “${asset.title}”…`);
    } catch (err) {
      setError(err);
    } finally {
      setImporting(undefined);
    }
  };

  return (
    <main id="main">
      <h1 tabIndex={-1} ref={heading}>
        {name} files
      </h1>
      <nav aria-label="Folder path" class="breadcrumbs">
        <ol>
          <li>
            <Link href="/dashboard">Cloud storage</Link>
          </li>
          {trail.map((crumb, i) => (
            <li key={crumb.id ?? 'root'}>
              {i === trail.length - 1 ? (
                <span aria-current="location">{crumb.name}</span>
              ) : (
                <button type="button" class="linklike" onClick={() => setTrail(trail.slice(0, i + 1))}>
                  {crumb.name}
                </button>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <div class="toolbar">
        <label for="category">Import as</label>
        <select
          id="category"
          value={category}
          onChange={(e) => setCategory((e.target as HTMLSelectElement).value as Category)}
        >
          {Object.entries(CATEGORIES).map(([value, label]) => (
            <option value={value} key={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <ProblemNotice error={error} />
      {result && <Notice kind="ok">{result}</Notice>}
      {failed && <Notice kind="error">{failed}</Notice>}
      {files && files.length === 0 && <p>This folder is empty.</p>}
      {files && files.length > 0 && (
        <table class="files">
          <caption class="sr-only">Contents of {folder.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" class="wide">
                Modified
              </th>
              <th scope="col" class="wide">
                Size
              </th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {files.map((file) => (
              <tr key={file.id}>
                <th scope="row">
                  {file.isFolder ? (
                    <button
                      type="button"
                      class="linklike folder"
                      onClick={() => setTrail([...trail, { id: file.id, name: file.name }])}
                    >
                      <span aria-hidden="true">▸ </span>
                      {file.name}
                      <span class="sr-only"> (folder)</span>
                    </button>
                  ) : (
                    <span>{file.name}</span>
                  )}
                </th>
                <td class="wide">{when(file.modifiedAt)}</td>
                <td class="wide">{file.isFolder ? '' : bytes(file.size)}</td>
                <td>
                  {imported.has(file.id) ? (
                    <ImportChip item={imported.get(file.id)!} />
                  ) : (
                    !file.isFolder &&
                    file.importable && (
                      <Button
                        busy={importing === file.id}
                        onClick={() => void importFile(file)}
                        label={`Import ${file.name}`}
                      >
                        Import
                      </Button>
                    )
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {loading && <p aria-busy="true">Loading…</p>}
      {next && !loading && <Button onClick={() => void load(next)}>Load more</Button>}
    </main>
  );
}

function ImportChip(props: { item: Imported }) {
  const { status } = props.item;
  if (status === 'processing' || status === 'uploading')
    return (
      <span class="chip processing" role="status">
        Importing…
      </span>
    );
  if (status === 'failed') return <span class="chip failed">Failed</span>;
  return <span class="chip ready">Imported</span>;
}
