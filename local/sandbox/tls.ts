import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { generate } from 'selfsigned';

export interface SandboxCertificate {
  /** The CA that signed the server certificate; trust this one. */
  caPem: string;
  /** The server certificate (SAN: DNS localhost, IP 127.0.0.1) and its key. */
  certPem: string;
  keyPem: string;
}

/**
 * A CA (fresh, or the one passed in) and a fresh server certificate signed by it, written nowhere (see
 * `persistentSandboxCertificate` for the CA kept under .local/). A separate CA (rather than one self-signed leaf) keeps every TLS stack happy: OpenSSL, browsers
 * that refuse a CA certificate as a server certificate, and `NODE_EXTRA_CA_CERTS`. EC keys generate in
 * milliseconds.
 */
export async function createSandboxCertificate(existingCa?: {
  certPem: string;
  keyPem: string;
}): Promise<SandboxCertificate & { caKeyPem: string }> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 30 * 24 * 3600_000);
  const ca = existingCa
    ? { cert: existingCa.certPem, private: existingCa.keyPem }
    : await generate([{ name: 'commonName', value: 'brand-cloud provider sandbox CA (local)' }], {
        keyType: 'ec',
        curve: 'P-256',
        algorithm: 'sha256',
        notBeforeDate,
        // A CA kept under .local/ lives two years (trusted once); a throwaway one as long as its leaf.
        notAfterDate: new Date(notBeforeDate.getTime() + 2 * 365 * 24 * 3600_000),
        extensions: [
          { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ],
      });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, caKeyPem: ca.private, certPem: leaf.cert, keyPem: leaf.private };
}

/**
 * The sandbox's CA kept in `dir` (`ca.pem`, and `ca-key.pem` readable by the owner only), made on first use and
 * reused while it is valid for at least another week, so a browser or OS trusts it once; each start signs a
 * fresh server certificate with it.
 */
export async function persistentSandboxCertificate(dir: string): Promise<SandboxCertificate> {
  const certFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca-key.pem');
  let existing: { certPem: string; keyPem: string } | undefined;
  if (existsSync(certFile) && existsSync(keyFile)) {
    try {
      const certPem = readFileSync(certFile, 'utf8');
      const validTo = new Date(new X509Certificate(certPem).validTo).getTime();
      if (validTo - Date.now() > 7 * 24 * 3600_000)
        existing = { certPem, keyPem: readFileSync(keyFile, 'utf8') };
    } catch {
      existing = undefined;
    }
  }
  const made = await createSandboxCertificate(existing);
  if (!existing) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(keyFile, made.caKeyPem, { mode: 0o600 });
    writeFileSync(certFile, made.caPem, { mode: 0o644 });
  }
  return { caPem: made.caPem, certPem: made.certPem, keyPem: made.keyPem };
}

const normalise = (pem: string) => pem.replace(/\r\n/g, '\n').trim();

/**
 * Makes this process trust the sandbox CA for every TLS connection that does not pass its own `ca`: global
 * `fetch` (undici), `https.request`, and the SDKs built on either (gaxios/node-fetch, the Graph client, the
 * Dropbox SDK). Node 24's `tls.setDefaultCACertificates` replaces the default store, so the current defaults
 * are kept. Child processes need `NODE_EXTRA_CA_CERTS=<file with caPem>` instead.
 * Returns a function that restores the previous store.
 */
export function trustSandboxCertificate(caPem: string): () => void {
  const previous = tls.getCACertificates('default');
  if (!previous.some((pem) => normalise(pem) === normalise(caPem))) {
    tls.setDefaultCACertificates([...previous, caPem]);
  }
  return () => tls.setDefaultCACertificates(previous);
}
