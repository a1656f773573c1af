// A CA and a serving certificate per sandbox instance (EC P-256), as kubeadm makes for a real
// cluster. Kept in the state directory so a restarted instance keeps its identity; a missing or
// unreadable pair is regenerated.

import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import './reflect-shim';
import * as x509 from '@peculiar/x509';

export interface ServingCerts {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

export async function generateCerts(): Promise<ServingCerts> {
  const now = new Date(Date.now() - 60_000);
  const tenYears = new Date(Date.now() + 10 * 365 * 24 * 3600_000);
  const caKeys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=devlane-sandbox-ca',
    notBefore: now,
    notAfter: tenYears,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    notBefore: now,
    notAfter: tenYears,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
        { type: 'dns', value: 'kubernetes' },
        { type: 'dns', value: 'kubernetes.default.svc' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keyDer = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { caCertPem: ca.toString('pem') + '\n', certPem: cert.toString('pem') + '\n', keyPem: pemKey(keyDer) };
}

function serial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] &= 0x7f; // positive
  return Buffer.from(b).toString('hex');
}

/** Loads the pair kept in `dir`, or makes and keeps a new one. */
export async function loadOrCreateCerts(dir: string): Promise<ServingCerts> {
  const files = {
    caCertPem: join(dir, 'ca.crt'),
    certPem: join(dir, 'apiserver.crt'),
    keyPem: join(dir, 'apiserver.key'),
  };
  if (Object.values(files).every((f) => existsSync(f))) {
    try {
      const c = {
        caCertPem: readFileSync(files.caCertPem, 'utf8'),
        certPem: readFileSync(files.certPem, 'utf8'),
        keyPem: readFileSync(files.keyPem, 'utf8'),
      };
      if (new x509.X509Certificate(c.certPem).notAfter.getTime() > Date.now() + 24 * 3600_000) return c;
    } catch {
      // unreadable: regenerate below
    }
  }
  const c = await generateCerts();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(files.caCertPem, c.caCertPem);
  writeFileSync(files.certPem, c.certPem);
  writeFileSync(files.keyPem, c.keyPem, { mode: 0o600 });
  return c;
}
