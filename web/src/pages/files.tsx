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

type CloudFile = Schemas['CloudFile'] & { importable?: boolean };
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
  const [imported, setImported] = useState<Set<string>>(new Set());
  const [importing, setImporting] = useState<string>();
  const [result, setResult] = useState<string>();
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
              ...(cursor ? { pageToken: cursor } : {}),
              pageSize,
            },
          },
        }),
      );
      const sorted = [...page.files].sort((a, b) => Number(b.isFolder) - Number(a.isFolder));
      setFiles((before) => (cursor ? [...(before ?? []), ...sorted] : sorted));
      setNext(page.nextPageToken);
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

  useEffect(() => {
    session
      .call(session.api.GET('/brand-voice-assets', { params: { query: { limit: 100 } } }))
      .then((page) => {
        const ids = page.items
          .filter((a) => a.source === provider && a.sourceFileId)
          .map((a) => a.sourceFileId!);
        setImported(new Set(ids));
      })
      .catch(() => undefined);
  }, []);

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
    setError(undefined);
    try {
      const asset = await session.call(
        session.api.POST('/brand-voice-assets/import', { body: { provider, fileId: file.id, category } }),
        { 'validation-error': 'This file cannot be imported: only documents with text can be.' },
      );
      setImported((s) => new Set([...s, file.id]));
      setResult(`Imported “${asset.title}”. It is listed under Brand voice.`);
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
                    <span class="chip ready">Imported</span>
                  ) : (
                    !file.isFolder &&
                    file.importable !== false && (
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
