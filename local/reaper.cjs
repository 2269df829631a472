// The orphan reaper of `npm start` (plain JS: it must start in milliseconds and need nothing).
// Its stdin is a pipe from the start process, which writes one JSON line per child to watch
// ({"pid":1,"match":"…","signal":"SIGINT"}) and "done" when it has stopped them itself. When the pipe ends
// without "done" (the start process died: kill -9, a crash), the reaper stops every watched child that is
// still the same program, SIGKILLs what is left after 5 s, and exits. It runs in its own session, so the
// terminal's Ctrl-C does not reach it.
'use strict';
const { readFileSync, existsSync } = require('node:fs');
const { execFileSync } = require('node:child_process');

const watched = new Map();
let done = false;
let buffered = '';

function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

function commandLine(pid) {
  try {
    if (existsSync('/proc/self/cmdline'))
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

async function reap() {
  const targets = [...watched.values()].filter((c) => alive(c.pid) && commandLine(c.pid).includes(c.match));
  for (const c of targets) {
    try {
      process.kill(c.pid, c.signal || 'SIGTERM');
    } catch {}
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && targets.some((c) => alive(c.pid))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const c of targets) {
    if (!alive(c.pid)) continue;
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {}
  }
  process.exit(0);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => undefined);
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let nl = buffered.indexOf('\n');
  while (nl >= 0) {
    const line = buffered.slice(0, nl).trim();
    buffered = buffered.slice(nl + 1);
    nl = buffered.indexOf('\n');
    if (line === 'done') {
      done = true;
      continue;
    }
    try {
      const child = JSON.parse(line);
      if (Number.isInteger(child.pid) && typeof child.match === 'string') watched.set(child.pid, child);
    } catch {}
  }
});
process.stdin.on('end', () => (done ? process.exit(0) : void reap()));
process.stdin.on('error', () => (done ? process.exit(0) : void reap()));
