import { Session } from 'node:inspector/promises';

export interface ProfileBucket {
  name: string;
  /** Share of the on-CPU samples (idle excluded). */
  share: number;
}

export interface CpuProfile {
  buckets: ProfileBucket[];
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  hitCount?: number;
}

const NODE_AREAS: Array<[RegExp, string]> = [
  [/undici/, 'node: fetch (undici)'],
  [/tls|crypto/, 'node: tls/crypto'],
  [/http/, 'node: http'],
  [/streams|stream_base/, 'node: streams'],
  [/net|dns/, 'node: net'],
  [/timers|task_queues|process/, 'node: timers/ticks'],
];

/** Sample attribution: a package, a project file, an area of Node.js, native socket I/O, or the VM. */
function bucket(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return NODE_AREAS.find(([re]) => re.test(url))?.[1] ?? 'node: other';
  const project = /\/(shared|functions|local|test|bench)\/(.+)$/.exec(url);
  if (project) return `${project[1]}/${project[2]}`;
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)') return 'native code (no JS frame)';
  if (/^(writev|writeBuffer|writeUtf8String|readStop|readStart)$/.test(functionName))
    return 'socket I/O (native)';
  return `vm: ${functionName || '(anonymous)'}`;
}

/**
 * Runs `fn` under the V8 sampling profiler of this process and returns where the on-CPU time went (self time) by
 * package, project file or area of Node.js. The profiler roughly doubles the CPU cost, so it is never run during a
 * timed or CPU-counted measurement; only the shares are meaningful.
 */
export async function profileCpu(fn: () => Promise<void>, top = 8): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    await fn();
    const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
    const hits = new Map<string, number>();
    let total = 0;
    for (const node of profile.nodes) {
      const name = bucket(node);
      const n = node.hitCount ?? 0;
      if (node.callFrame.functionName === '(idle)' || n === 0) continue;
      hits.set(name, (hits.get(name) ?? 0) + n);
      total += n;
    }
    return {
      buckets: [...hits.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, n]) => ({ name, share: n / (total || 1) })),
    };
  } finally {
    await session.post('Profiler.disable').catch(() => undefined);
    session.disconnect();
  }
}
