// The cluster's keys and certificates, made with openssl as kubeadm would lay them out: one CA,
// the API server's serving certificate, the API server's client certificate for the kubelet, and
// the service-account signing key. Users authenticate with bearer tokens from a static token file
// (the API server's --token-auth-file), so that each person and component is a distinct identity.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  kubeletClientCert: string;
  kubeletClientKey: string;
  saKey: string;
  saPub: string;
  tokensFile: string;
  tokens: Record<Identity, string>;
}

/** Every identity the cluster knows: people, then components (user name, groups). */
export const IDENTITIES = {
  admin: { user: 'admin', groups: ['system:masters'] },
  alice: { user: 'alice', groups: ['devlane:developers'] },
  bob: { user: 'bob', groups: ['devlane:developers'] },
  kubelet: { user: 'system:node:devlane-node', groups: ['system:nodes'] },
  proxy: { user: 'system:kube-proxy', groups: [] },
  controllerManager: { user: 'system:kube-controller-manager', groups: [] },
  scheduler: { user: 'system:kube-scheduler', groups: [] },
  coredns: { user: 'devlane:coredns', groups: [] },
  gateway: { user: 'devlane:gateway', groups: [] },
} as const;
export type Identity = keyof typeof IDENTITIES;

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makePki(dir: string, addresses: { ips: string[]; names: string[] }): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = (f: string) => join(dir, f);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=devlane-cluster-ca',
      '-days',
      '3650',
      '-out',
      'ca.crt',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ],
    dir,
  );
  const leaf = (name: string, subj: string, ext: string[]) => {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
    openssl(['req', '-new', '-key', `${name}.key`, '-subj', subj, '-out', `${name}.csr`], dir);
    writeFileSync(p(`${name}.ext`), ext.join('\n') + '\n');
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '3650',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      ],
      dir,
    );
  };
  const san = [...addresses.ips.map((i) => `IP:${i}`), ...addresses.names.map((n) => `DNS:${n}`)].join(',');
  leaf('apiserver', '/CN=kube-apiserver', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${san}`,
  ]);
  leaf('apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ]);
  openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);

  const tokens = Object.fromEntries(
    Object.keys(IDENTITIES).map((k) => [k, randomBytes(24).toString('base64url')]),
  ) as Record<Identity, string>;
  const lines = Object.entries(IDENTITIES).map(
    ([k, id]) => `${tokens[k as Identity]},${id.user},${id.user},"${id.groups.join(',')}"`,
  );
  writeFileSync(p('tokens.csv'), lines.join('\n') + '\n', { mode: 0o600 });
  return {
    dir,
    ca: p('ca.crt'),
    caKey: p('ca.key'),
    apiserverCert: p('apiserver.crt'),
    apiserverKey: p('apiserver.key'),
    kubeletClientCert: p('apiserver-kubelet-client.crt'),
    kubeletClientKey: p('apiserver-kubelet-client.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
    tokensFile: p('tokens.csv'),
    tokens,
  };
}

export const caData = (pki: Pki): string => readFileSync(pki.ca).toString('base64');
