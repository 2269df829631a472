import { createHash } from 'node:crypto';
import { docx } from '#local/documents/fixtures';
import type { Provider } from '#shared/providers/types';
import { brandKit, DOCX_MIME } from './brand-kit.ts';

/**
 * The seeded drive every sandbox account gets, the same shape for every provider (the Google Doc exists on
 * Google only):
 *
 *   /Projects/            folder with a nested folder
 *   /Projects/Archive/2023-report.txt
 *   /Projects/notes.txt
 *   /Batch/               7 files: three pages at page size 3
 *   /Empty/
 *   /readme.txt           plain text
 *   /logo.png             PNG bytes
 *   /large.txt            generated text over 1 MiB
 *   /Meeting notes        Google Doc (exports: text/plain, DOCX)
 *   /Brand kit/           the documents an import meets (brand-kit.ts): PDF, DOCX, PPTX, a Google Doc, Slides
 *                         deck and Sheet, a 30 MB PDF, an encrypted PDF, a zip bomb
 *   /Brand guidelines     Google only: a shortcut to the shared drive's Guidelines folder
 *   /Voice                Google only: a shortcut to the shared drive's voice.txt
 *
 * Google accounts are also members of one shared drive (path `shared:/Brand team`, its items carry `driveId`):
 *
 *   shared:/Brand team/Guidelines/voice.txt, shared:/Brand team/Guidelines/Brand book (a Google Doc),
 *   shared:/Brand team/palette.txt
 */
export type NodeKind = 'folder' | 'file' | 'document' | 'shortcut';

export interface DriveNode {
  id: string;
  /** Display path, `/` for the root. */
  path: string;
  name: string;
  kind: NodeKind;
  mimeType: string;
  modifiedTime: string;
  /** Byte size of the content; 0 for folders and documents. */
  readonly size: number;
  content?: () => Buffer;
  /** Google-native documents: what each export format gives (media type → bytes). */
  exports?: Record<string, () => Buffer>;
  /** 1, then bumped by every change (Drive `version`/`headRevisionId`, Graph `cTag`/`eTag`, Dropbox `rev`). */
  version: number;
  parent?: DriveNode;
  children: DriveNode[];
  /** Google: the shared drive the item lives in (a shared drive's root has its own id here). */
  driveId?: string;
  /** Google shortcuts: what they point at. */
  shortcut?: { targetId: string; targetMimeType: string };
}

export interface AccountDrive {
  root: DriveNode;
  byId: Map<string, DriveNode>;
  byPathLower: Map<string, DriveNode>;
  /** Google: the roots of the shared drives the account is a member of. */
  sharedDrives: DriveNode[];
}

export const GOOGLE_DOC_MIME = 'application/vnd.google-apps.document';
export const GOOGLE_FOLDER_MIME = 'application/vnd.google-apps.folder';
export const GOOGLE_SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';

/** A valid 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

let largeText: Buffer | undefined;
/** ~1.2 MiB of numbered lines, generated once per process. */
export function largeTextContent(): Buffer {
  if (!largeText) {
    const lines: string[] = [];
    for (let i = 1; i <= 20_000; i++) {
      lines.push(`line ${String(i).padStart(6, '0')}: the quick brown fox jumps over the lazy sandbox dog`);
    }
    largeText = Buffer.from(`${lines.join('\n')}\n`);
  }
  return largeText;
}

/** What Google returns when a Doc is exported as text/plain: UTF-8 with a byte-order mark. */
export const MEETING_NOTES_TEXT =
  '\ufeffMeeting notes\r\n\r\n* Ship the sandbox\r\n* Connect every provider\r\n';

let meetingNotes: Buffer | undefined;
const meetingNotesDocx = () => {
  meetingNotes ??= docx(['Meeting notes', 'Ship the sandbox', 'Connect every provider']);
  return meetingNotes;
};

export interface Spec {
  name: string;
  kind: NodeKind;
  mimeType?: string;
  content?: () => Buffer;
  exports?: Record<string, () => Buffer>;
  modifiedTime: string;
  children?: Spec[];
  googleOnly?: boolean;
  /** Shortcuts: the path of their target. */
  target?: string;
}

const text = (s: string) => () => Buffer.from(s);
const day = (d: number) => new Date(Date.UTC(2025, 0, d, 9, 30, 0)).toISOString().replace('.000Z', 'Z');

const TREE: Spec[] = [
  {
    name: 'Projects',
    kind: 'folder',
    modifiedTime: day(2),
    children: [
      {
        name: 'Archive',
        kind: 'folder',
        modifiedTime: day(3),
        children: [
          {
            name: '2023-report.txt',
            kind: 'file',
            mimeType: 'text/plain',
            content: text('Annual report 2023\n'),
            modifiedTime: day(3),
          },
        ],
      },
      {
        name: 'notes.txt',
        kind: 'file',
        mimeType: 'text/plain',
        content: text('Project notes\n'),
        modifiedTime: day(4),
      },
    ],
  },
  {
    name: 'Batch',
    kind: 'folder',
    modifiedTime: day(5),
    children: Array.from({ length: 7 }, (_, i) => ({
      name: `file-${String(i + 1).padStart(2, '0')}.txt`,
      kind: 'file' as const,
      mimeType: 'text/plain',
      content: text(`Batch file ${i + 1}\n`),
      modifiedTime: day(6 + i),
    })),
  },
  { name: 'Empty', kind: 'folder', modifiedTime: day(14), children: [] },
  {
    name: 'readme.txt',
    kind: 'file',
    mimeType: 'text/plain',
    content: text('Hello from the provider sandbox.\n'),
    modifiedTime: day(15),
  },
  { name: 'logo.png', kind: 'file', mimeType: 'image/png', content: () => PNG, modifiedTime: day(16) },
  {
    name: 'large.txt',
    kind: 'file',
    mimeType: 'text/plain',
    content: largeTextContent,
    modifiedTime: day(17),
  },
  {
    name: 'Meeting notes',
    kind: 'document',
    mimeType: GOOGLE_DOC_MIME,
    content: text(MEETING_NOTES_TEXT),
    exports: {
      'text/plain': text(MEETING_NOTES_TEXT),
      [DOCX_MIME]: meetingNotesDocx,
    },
    modifiedTime: day(18),
    googleOnly: true,
  },
  { name: 'Brand kit', kind: 'folder', modifiedTime: day(19), children: brandKit() },
  {
    name: 'Brand guidelines',
    kind: 'shortcut',
    target: 'shared:/Brand team/Guidelines',
    modifiedTime: day(23),
    googleOnly: true,
  },
  {
    name: 'Voice',
    kind: 'shortcut',
    target: 'shared:/Brand team/Guidelines/voice.txt',
    modifiedTime: day(23),
    googleOnly: true,
  },
];

export const SHARED_VOICE_TEXT = 'Warm, plain and direct.\n';
export const BRAND_BOOK_TEXT = '\ufeffBrand book\r\n\r\nOur voice is warm, plain and direct.\r\n';

/** Google shared drives and what is in them. */
const SHARED_DRIVES: Array<{ name: string; children: Spec[] }> = [
  {
    name: 'Brand team',
    children: [
      {
        name: 'Guidelines',
        kind: 'folder',
        modifiedTime: day(20),
        children: [
          {
            name: 'voice.txt',
            kind: 'file',
            mimeType: 'text/plain',
            content: text(SHARED_VOICE_TEXT),
            modifiedTime: day(20),
          },
          {
            name: 'Brand book',
            kind: 'document',
            mimeType: GOOGLE_DOC_MIME,
            content: text(BRAND_BOOK_TEXT),
            exports: {
              'text/plain': text(BRAND_BOOK_TEXT),
              [DOCX_MIME]: () => docx(['Brand book', 'Our voice is warm, plain and direct.']),
            },
            modifiedTime: day(21),
          },
        ],
      },
      {
        name: 'palette.txt',
        kind: 'file',
        mimeType: 'text/plain',
        content: text('#1f2a44 #f4b942\n'),
        modifiedTime: day(22),
      },
    ],
  },
];

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/**
 * Ids shaped like each provider's, stable per account and path. A Microsoft personal account (16-hex id) numbers
 * its items after its id, `4F0B2C5A8E1D3B67!101` (`seq` is the item's place in the seeded tree, root first).
 */
function idFor(provider: Provider, accountId: string, path: string, seq: number): string {
  const h = digest(provider, accountId, path);
  switch (provider) {
    case 'google_drive':
      return `1${h.toString('base64url').slice(0, 32)}`;
    case 'onedrive':
      return /^[0-9a-f]{16}$/i.test(accountId)
        ? `${accountId.toUpperCase()}!${101 + seq}`
        : `01${h.toString('hex').slice(0, 32).toUpperCase()}`;
    case 'dropbox':
      return `id:${h.toString('base64url').slice(0, 22)}`;
  }
}

export function buildAccountDrive(provider: Provider, accountId: string): AccountDrive {
  const byId = new Map<string, DriveNode>();
  const byPathLower = new Map<string, DriveNode>();
  const root: DriveNode = {
    id: idFor(provider, accountId, '/', 0),
    path: '/',
    name: provider === 'google_drive' ? 'My Drive' : 'root',
    kind: 'folder',
    mimeType: GOOGLE_FOLDER_MIME,
    modifiedTime: day(1),
    size: 0,
    version: 1,
    children: [],
  };
  let seq = 0;
  const add = (node: DriveNode) => {
    byId.set(node.id, node);
    byPathLower.set(node.path.toLowerCase(), node);
  };
  add(root);
  const walk = (parent: DriveNode, specs: Spec[]) => {
    for (const spec of specs) {
      if (spec.googleOnly && provider !== 'google_drive') continue;
      const path = `${parent.path === '/' ? '' : parent.path}/${spec.name}`;
      const node: DriveNode = {
        id: idFor(provider, accountId, path, ++seq),
        path,
        name: spec.name,
        kind: spec.kind,
        mimeType:
          spec.kind === 'folder'
            ? GOOGLE_FOLDER_MIME
            : spec.kind === 'shortcut'
              ? GOOGLE_SHORTCUT_MIME
              : spec.mimeType!,
        modifiedTime: spec.modifiedTime,
        // Read when asked for: large files are generated the first time they are listed or read.
        get size() {
          return this.kind === 'file' ? (this.content?.().length ?? 0) : 0;
        },
        ...(spec.content ? { content: spec.content } : {}),
        ...(spec.exports ? { exports: spec.exports } : {}),
        version: 1,
        parent,
        children: [],
        ...(parent.driveId ? { driveId: parent.driveId } : {}),
      };
      parent.children.push(node);
      add(node);
      if (spec.target) shortcuts.push([node, spec.target]);
      if (spec.children) walk(node, spec.children);
    }
  };
  const shortcuts: Array<[DriveNode, string]> = [];
  walk(root, TREE);
  const sharedDrives: DriveNode[] = [];
  if (provider === 'google_drive') {
    for (const shared of SHARED_DRIVES) {
      const path = `shared:/${shared.name}`;
      const id = `0A${digest('shared', accountId, path).toString('hex').slice(0, 11)}Uk9PVA`;
      const driveRoot: DriveNode = {
        id,
        path,
        name: shared.name,
        kind: 'folder',
        mimeType: GOOGLE_FOLDER_MIME,
        modifiedTime: day(20),
        size: 0,
        version: 1,
        children: [],
        driveId: id,
      };
      add(driveRoot);
      sharedDrives.push(driveRoot);
      walk(driveRoot, shared.children);
    }
  }
  for (const [node, target] of shortcuts) {
    const to = byPathLower.get(target.toLowerCase());
    if (to) node.shortcut = { targetId: to.id, targetMimeType: to.mimeType };
  }
  return { root, byId, byPathLower, sharedDrives };
}

/** A flat, serialisable view for tests: which id has which path. */
export interface SandboxFileInfo {
  id: string;
  path: string;
  name: string;
  kind: NodeKind;
  mimeType: string;
  size: number;
  parentId?: string;
}

export function describeDrive(drive: AccountDrive): SandboxFileInfo[] {
  return [...drive.byId.values()].map((n) => ({
    id: n.id,
    path: n.path,
    name: n.name,
    kind: n.kind,
    mimeType: n.mimeType,
    size: n.size,
    ...(n.parent ? { parentId: n.parent.id } : {}),
  }));
}

const digests = new WeakMap<DriveNode, Map<string, string>>();
/** Hex digest of a file's content, memoised per node (large.txt is over 1 MiB and listed often). */
export function contentDigest(node: DriveNode, algorithm: 'md5' | 'sha256'): string {
  let perNode = digests.get(node);
  if (!perNode) {
    perNode = new Map();
    digests.set(node, perNode);
  }
  let value = perNode.get(algorithm);
  if (value === undefined) {
    value = createHash(algorithm)
      .update(node.content?.() ?? Buffer.alloc(0))
      .digest('hex');
    perNode.set(algorithm, value);
  }
  return value;
}

/**
 * A change to a file's content, as an edit at the provider: new bytes (or new exports), a newer modified time
 * and the next revision. Memoised digests are dropped.
 */
export function reviseNode(
  node: DriveNode,
  change: { content?: Buffer; exports?: Record<string, Buffer> },
): void {
  if (change.content) {
    const bytes = change.content;
    node.content = () => bytes;
  }
  if (change.exports) {
    node.exports = Object.fromEntries(Object.entries(change.exports).map(([type, b]) => [type, () => b]));
  }
  node.version += 1;
  node.modifiedTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  digests.delete(node);
}
