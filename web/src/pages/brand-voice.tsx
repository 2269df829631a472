import { useEffect, useRef, useState } from 'preact/hooks';
import type { Schemas } from '../api/client.ts';
import { ASSET_FAILURES } from '../api/problems.ts';
import type { Session } from '../session.ts';
import { Button, bytes, Link, Notice, navigate, ProblemNotice, usePageTitle, when } from '../ui.tsx';

export const CATEGORIES = {
  brand_guidelines: 'Brand guidelines',
  tone_of_voice: 'Tone of voice',
  messaging: 'Messaging',
  visual_identity: 'Visual identity',
  sample_content: 'Sample content',
  other: 'Other',
} as const;
export type Category = keyof typeof CATEGORIES;

/** The document-store fields (issue 16) are read defensively until every server sends them. */
type Asset = Schemas['BrandVoiceAsset'] & {
  status?: 'uploading' | 'processing' | 'ready' | 'failed';
  failure?: { code: string; message: string } | null;
  file?: { name: string; mimeType: string; size: number } | null;
};

const STATUS_WORDS = { uploading: 'Uploading', processing: 'Processing', ready: 'Ready', failed: 'Failed' };
const MAX_UPLOAD = 50 * 1024 * 1024;
const TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  txt: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  csv: 'text/csv',
};

interface UploadAnswer {
  asset: Asset;
  upload: { url: string; fields: Record<string, string>; expiresAt: string; maxSize: number };
}

/** Posts the file straight to the document store (a presigned POST), reporting progress. */
function sendToStore(upload: UploadAnswer['upload'], file: File, onProgress: (pct: number) => void) {
  return new Promise<void>((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
    form.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new Error('The document store refused the file.'));
    xhr.onerror = () => reject(new Error('The upload was interrupted. Check your connection and try again.'));
    xhr.send(form);
  });
}

function Upload(props: { session: Session; onUploaded: () => void }) {
  const [progress, setProgress] = useState<number>();
  const [error, setError] = useState<unknown>();
  const [message, setMessage] = useState<string>();
  const [category, setCategory] = useState<Category>('brand_guidelines');
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const upload = async (file: File) => {
    setError(undefined);
    setMessage(undefined);
    const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
    const contentType = TYPES[ext];
    if (!contentType) {
      setError(
        new Error(
          'This kind of file is not supported: use PDF, Word, PowerPoint, text, Markdown, HTML or CSV.',
        ),
      );
      return;
    }
    if (file.size > MAX_UPLOAD) {
      setError(new Error(`The file is ${bytes(file.size)}; the limit is 50 MB.`));
      return;
    }
    if (file.size === 0) {
      setError(new Error('The file is empty.'));
      return;
    }
    setProgress(0);
    try {
      const answer = await props.session.raw<UploadAnswer>('POST', '/brand-voice-assets/uploads', {
        title: file.name.replace(/\.[^.]+$/, '') || file.name,
        category,
        fileName: file.name,
        contentType,
        size: file.size,
      });
      props.onUploaded();
      await sendToStore(answer.upload, file, setProgress);
      setMessage(`Uploaded “${file.name}”. It is being processed.`);
      props.onUploaded();
    } catch (err) {
      setError(err);
    } finally {
      setProgress(undefined);
      if (input.current) input.current.value = '';
    }
  };

  return (
    <section aria-labelledby="upload-title" class="upload">
      <h2 id="upload-title">Upload a document</h2>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is a pointer shortcut; the file button inside is the keyboard path */}
      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const file = e.dataTransfer?.files[0];
          if (file) void upload(file);
        }}
      >
        <p>
          Drop a file here, or choose one. PDF, Word, PowerPoint, text, Markdown, HTML or CSV, up to 50 MB.
        </p>
        <div class="toolbar">
          <label for="upload-category">Category</label>
          <select
            id="upload-category"
            value={category}
            onChange={(e) => setCategory((e.target as HTMLSelectElement).value as Category)}
          >
            {Object.entries(CATEGORIES).map(([value, label]) => (
              <option value={value} key={value}>
                {label}
              </option>
            ))}
          </select>
          <label for="upload-file" class="btn primary">
            Choose a file
          </label>
          <input
            ref={input}
            id="upload-file"
            class="visually-hidden-file"
            type="file"
            accept={Object.keys(TYPES)
              .map((e) => `.${e}`)
              .join(',')}
            disabled={progress !== undefined}
            onChange={(e) => {
              const file = (e.target as HTMLInputElement).files?.[0];
              if (file) void upload(file);
            }}
          />
        </div>
      </div>
      {progress !== undefined && (
        <div class="progress">
          <label for="upload-progress">Uploading… {progress}%</label>
          <progress id="upload-progress" max={100} value={progress}>
            {progress}%
          </progress>
        </div>
      )}
      {error instanceof Error && !('status' in error) ? (
        <Notice kind="error">{error.message}</Notice>
      ) : (
        <ProblemNotice error={error} />
      )}
      {message && <Notice kind="ok">{message}</Notice>}
    </section>
  );
}

function StatusChip(props: { asset: Asset }) {
  const status = props.asset.status ?? 'ready';
  return <span class={`chip ${status}`}>{STATUS_WORDS[status]}</span>;
}

function AssetDetail(props: { session: Session; id: string }) {
  const { session, id } = props;
  const [asset, setAsset] = useState<Asset>();
  const [error, setError] = useState<unknown>();
  const [downloading, setDownloading] = useState(false);
  const heading = usePageTitle(asset?.title ?? 'Document');
  useEffect(() => {
    session
      .call(session.api.GET('/brand-voice-assets/{id}', { params: { path: { id } } }))
      .then((a) => setAsset(a as Asset), setError);
  }, [id]);
  const download = async () => {
    setDownloading(true);
    setError(undefined);
    try {
      const { url } = await session.raw<{ url: string }>('GET', `/brand-voice-assets/${id}/file`);
      const a = document.createElement('a');
      a.href = url;
      a.rel = 'noopener';
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      setError(err);
    } finally {
      setDownloading(false);
    }
  };
  return (
    <main id="main">
      <p>
        <Link href="/brand-voice">← All brand voice documents</Link>
      </p>
      <h1 tabIndex={-1} ref={heading}>
        {asset?.title ?? 'Document'}
      </h1>
      <ProblemNotice error={error} />
      {asset && (
        <>
          <p>
            <StatusChip asset={asset} /> {CATEGORIES[asset.category as Category]} · updated{' '}
            {when(asset.updatedAt)}
          </p>
          {asset.file && (
            <Button busy={downloading} onClick={() => void download()}>
              Download the original ({bytes(asset.file.size)})
            </Button>
          )}
          <h2 id="text-title">Text</h2>
          {asset.content ? (
            // A long text scrolls inside the page: a focusable region, so a keyboard can scroll it too.
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
            <section class="text" tabIndex={0} aria-labelledby="text-title">
              <pre>{asset.content}</pre>
            </section>
          ) : (
            <p>The text appears here once the document is ready.</p>
          )}
        </>
      )}
    </main>
  );
}

export function BrandVoice(props: { session: Session }) {
  const { session } = props;
  const id = new URL(location.href).searchParams.get('asset');
  if (id) return <AssetDetail session={session} id={id} />;
  return <AssetList session={session} />;
}

function AssetList(props: { session: Session }) {
  const { session } = props;
  const heading = usePageTitle('Brand voice');
  const [assets, setAssets] = useState<Asset[]>();
  const [error, setError] = useState<unknown>();
  const [reload, setReload] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const page = await session.call(
          session.api.GET('/brand-voice-assets', { params: { query: { limit: 100 } } }),
        );
        if (stopped) return;
        const items = page.items as Asset[];
        setAssets(items);
        setError(undefined);
        // Keep the statuses fresh until every document is ready or failed.
        if (items.some((a) => a.status === 'uploading' || a.status === 'processing'))
          timer = setTimeout(load, 2000);
      } catch (err) {
        if (!stopped) setError(err);
      }
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [reload]);

  return (
    <main id="main">
      <h1 tabIndex={-1} ref={heading}>
        Brand voice
      </h1>
      <p class="lead">
        The documents your brand voice learns from: uploaded here or imported from cloud storage.
      </p>
      <Upload session={session} onUploaded={() => setReload((r) => r + 1)} />
      <h2>Documents</h2>
      <ProblemNotice error={error} />
      {!assets && !error && <p aria-busy="true">Loading…</p>}
      {assets && assets.length === 0 && <p>No documents yet.</p>}
      {assets && assets.length > 0 && (
        <ul class="assets" aria-live="polite">
          {assets.map((asset) => (
            <li key={asset.id} class="asset">
              <div>
                <a
                  href={`/brand-voice?asset=${asset.id}`}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(`/brand-voice?asset=${asset.id}`);
                  }}
                >
                  {asset.title}
                </a>
                <div class="muted">
                  {CATEGORIES[asset.category as Category]} ·{' '}
                  {asset.source === 'upload' ? 'uploaded' : 'imported'} {when(asset.createdAt)}
                </div>
                {asset.status === 'failed' && (
                  <div class="field-error">
                    {(asset.failure && ASSET_FAILURES[asset.failure.code]) ||
                      'The document could not be read'}
                  </div>
                )}
              </div>
              <StatusChip asset={asset} />
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
