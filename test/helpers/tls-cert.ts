/**
 * A throwaway self-signed certificate for TLS tests, made with the openssl command line (present wherever Node is
 * built with OpenSSL tooling, and on CI). Valid for one day, CN and SAN "localhost", in a temp dir removed after
 * the test file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export interface TestCert {
  dir: string;
  /** PEM files: the certificate doubles as its own CA (self-signed). */
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Generate a self-signed RSA-2048 certificate for `localhost`. Throws when openssl is missing. */
export function makeSelfSignedCert(commonName = 'localhost'): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-tls-'));
  dirs.push(dir);
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  // subjectAltName: Node checks the SAN, not the CN, once a certificate has any SAN; give one that matches.
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${commonName}`, '-days', '1',
      '-addext', `subjectAltName=DNS:${commonName}`,
      '-keyout', keyPath, '-out', certPath,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
  );
  return { dir, certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}
