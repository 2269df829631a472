import { inflateRawSync } from 'node:zlib';
import { DocumentFailure } from './failure.ts';
import type { DocumentLimits } from './limits.ts';

/**
 * A minimal, bounded reader of ZIP archives (the container of DOCX and PPTX). It reads the central directory,
 * refuses archives whose entries would unpack past the limits (declared sizes first, then the real output of
 * every inflate, which is capped, so a lying header cannot get through), and inflates single entries on demand.
 */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  dataOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const corrupt = () => new DocumentFailure('corrupt', 'zip structure');
const tooLarge = (detail: string) => new DocumentFailure('too_large', detail);

function findEocd(buf: Buffer): number {
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) if (buf.readUInt32LE(i) === EOCD) return i;
  return -1;
}

export function readZipDirectory(buf: Buffer, limits: DocumentLimits): ZipEntry[] {
  const eocd = findEocd(buf);
  if (eocd < 0) throw corrupt();
  const count = buf.readUInt16LE(eocd + 10);
  const dirSize = buf.readUInt32LE(eocd + 12);
  const dirOffset = buf.readUInt32LE(eocd + 16);
  // ZIP64 (over 65,535 entries or 4 GiB): never a document of ours.
  if (count === 0xffff || dirOffset === 0xffffffff || dirSize === 0xffffffff) throw tooLarge('zip64');
  if (count > limits.maxZipEntries) throw tooLarge('zip entries');
  if (dirOffset + dirSize > buf.length) throw corrupt();
  const entries: ZipEntry[] = [];
  let declared = 0;
  let at = dirOffset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) throw corrupt();
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const compressedSize = buf.readUInt32LE(at + 20);
    const uncompressedSize = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const localOffset = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (flags & 0x1) throw new DocumentFailure('encrypted', 'zip entry');
    if (method !== 0 && method !== 8) throw corrupt();
    if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== LOCAL) throw corrupt();
    const dataOffset =
      localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    if (dataOffset + compressedSize > buf.length) throw corrupt();
    declared += uncompressedSize;
    entries.push({ name, method, compressedSize, uncompressedSize, dataOffset });
  }
  checkTotals(declared, buf.length, limits);
  return entries;
}

function checkTotals(uncompressed: number, fileSize: number, limits: DocumentLimits): void {
  if (uncompressed > limits.maxUncompressedBytes) throw tooLarge('zip uncompressed size');
  if (uncompressed > limits.maxCompressionRatio * Math.max(fileSize, 1)) throw tooLarge('zip ratio');
}

/** Inflates one entry, never producing more than `max` bytes (a lying header ends as too_large). */
export function inflateEntry(buf: Buffer, entry: ZipEntry, max: number): Buffer {
  const data = buf.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  if (entry.method === 0) {
    if (data.length > max) throw tooLarge('zip entry');
    return data;
  }
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(max, 1) });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError)
      throw tooLarge('zip entry');
    throw corrupt();
  }
}

/**
 * Inflates every entry once (one at a time, each output dropped right away) and checks what they really
 * unpack to against the limits. Run before handing the archive to a library that unzips it in full.
 */
export function verifyZip(buf: Buffer, entries: ZipEntry[], limits: DocumentLimits): void {
  const budget = Math.min(limits.maxUncompressedBytes, limits.maxCompressionRatio * Math.max(buf.length, 1));
  let total = 0;
  for (const entry of entries) {
    total += inflateEntry(buf, entry, budget - total + 1).length;
    checkTotals(total, buf.length, limits);
  }
}

export const findEntry = (entries: ZipEntry[], name: string): ZipEntry | undefined =>
  entries.find((e) => e.name === name);
