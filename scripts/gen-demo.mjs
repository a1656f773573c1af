// Writes the demo shop's manifests (plain Kubernetes YAML, runnable unchanged on a real cluster)
// from the sources under sandbox/demo/src. The code of the Node and Python services travels in a
// ConfigMap and is copied into an emptyDir by an init container, so /app is writable: a Devlane
// developer copy syncs files into it. The Go service ships as Go services do: an image holding only
// its binary (devlane-demo/stock:1, built from sandbox/demo/src/stock by both clusters, see
// sandbox/images/stock), with nothing to copy and no shell.
//   node scripts/gen-demo.mjs          write sandbox/demo/manifests/*.yaml
//   node scripts/gen-demo.mjs --check  exit 1 if they are not up to date
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const demo = join(root, 'sandbox/demo');

export const SERVICES = [
  {
    name: 'web',
    image: 'node:22-slim',
    command: ['node', 'server.js'],
    env: { CATALOG_URL: 'http://catalog', ORDERS_URL: 'http://orders' },
  },
  {
    name: 'catalog',
    image: 'python:3.11-slim',
    command: ['python', '-u', 'app.py'],
    env: { RATINGS_URL: 'http://ratings', STOCK_URL: 'http://stock' },
  },
  { name: 'ratings', image: 'node:22-slim', command: ['node', 'server.js'], env: {} },
  // The image is the program (its entrypoint); IfNotPresent, as it is in no registry.
  { name: 'stock', image: 'devlane-demo/stock:1', env: {}, binary: true },
  // orders writes to the database db (below); its credentials come from db's Secret, as an
  // application's would, which is what a Devlane data branch relies on.
  {
    name: 'orders',
    image: 'python:3.11-slim',
    command: ['python', '-u', 'app.py'],
    env: {
      PGHOST: 'db',
      PGPORT: '5432',
      PGDATABASE: { secretKeyRef: { name: 'db-credentials', key: 'database' } },
      PGUSER: { secretKeyRef: { name: 'db-credentials', key: 'username' } },
      PGPASSWORD: { secretKeyRef: { name: 'db-credentials', key: 'password' } },
    },
  },
];
export const NAMESPACES = [
  { name: 'shop', labels: { 'istio-injection': 'enabled' } },
  { name: 'shop-plain', labels: {} },
];

function sources(service) {
  const dir = join(demo, 'src', service);
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );
}

function objects(ns) {
  const out = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns.name, labels: { 'app.kubernetes.io/part-of': 'devlane-demo', ...ns.labels } },
    },
  ];
  for (const s of SERVICES) {
    const labels = { app: s.name, 'app.kubernetes.io/part-of': 'devlane-demo' };
    if (!s.binary)
      out.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${s.name}-source`, namespace: ns.name, labels },
        data: sources(s.name),
      });
    const probe = (period, failures) => ({
      httpGet: { path: '/healthz', port: 'http' },
      periodSeconds: period,
      failureThreshold: failures,
    });
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: s.name, namespace: ns.name, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: s.name } },
        template: {
          metadata: { labels: { ...labels, version: 'v1' } },
          spec: {
            ...(s.binary
              ? {}
              : {
                  initContainers: [
                    {
                      name: 'copy-source',
                      image: s.image,
                      command: ['sh', '-c', 'cp -L /src/* /app/'],
                      volumeMounts: [
                        { name: 'source', mountPath: '/src' },
                        { name: 'app', mountPath: '/app' },
                      ],
                    },
                  ],
                }),
            containers: [
              {
                name: s.name,
                image: s.image,
                ...(s.binary ? { imagePullPolicy: 'IfNotPresent' } : { command: s.command, workingDir: '/app' }),
                ports: [{ name: 'http', containerPort: 8080 }],
                env: [
                  { name: 'VERSION', value: 'v1' },
                  ...Object.entries(s.env).map(([name, value]) =>
                    typeof value === 'string' ? { name, value } : { name, valueFrom: value },
                  ),
                ],
                readinessProbe: probe(2, 3),
                livenessProbe: probe(10, 3),
                ...(s.binary ? {} : { volumeMounts: [{ name: 'app', mountPath: '/app' }] }),
              },
            ],
            ...(s.binary
              ? {}
              : {
                  volumes: [
                    { name: 'source', configMap: { name: `${s.name}-source` } },
                    { name: 'app', emptyDir: {} },
                  ],
                }),
          },
        },
      },
    });
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: s.name, namespace: ns.name, labels },
      spec: { selector: { app: s.name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
  }
  return [...out, ...database(ns)];
}

// The shop's PostgreSQL database: a Secret with its credentials (a demo's, in the clear), the schema
// and first rows from src/db run by the postgres image on first start, an emptyDir for its data
// (the sandbox has no persistent volumes; the demo's data is made again when the pod is).
function database(ns) {
  const labels = { app: 'db', 'app.kubernetes.io/part-of': 'devlane-demo' };
  const fromSecret = (key) => ({ secretKeyRef: { name: 'db-credentials', key } });
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-credentials', namespace: ns.name, labels },
      type: 'Opaque',
      stringData: { username: 'shop', password: 'shop-demo-password', database: 'shop' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'db-init', namespace: ns.name, labels },
      data: sources('db'),
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'db', namespace: ns.name, labels },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'postgres',
                image: 'postgres:15',
                ports: [{ name: 'postgres', containerPort: 5432 }],
                env: [
                  { name: 'POSTGRES_USER', valueFrom: fromSecret('username') },
                  { name: 'POSTGRES_PASSWORD', valueFrom: fromSecret('password') },
                  { name: 'POSTGRES_DB', valueFrom: fromSecret('database') },
                ],
                // The server listens on TCP only once the init scripts have run.
                readinessProbe: { tcpSocket: { port: 'postgres' }, periodSeconds: 2, failureThreshold: 3 },
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/postgresql/data' },
                  { name: 'init', mountPath: '/docker-entrypoint-initdb.d' },
                ],
              },
            ],
            volumes: [
              { name: 'data', emptyDir: {} },
              { name: 'init', configMap: { name: 'db-init' } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db', namespace: ns.name, labels },
      spec: { selector: { app: 'db' }, ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }] },
    },
  ];
}

const header = '# Generated by scripts/gen-demo.mjs from sandbox/demo/src; edit the sources, then run it.\n';
export function render(ns) {
  return (
    header +
    objects(ns)
      .map((o) => stringify(o, { lineWidth: 0 }))
      .join('---\n')
  );
}

const check = process.argv.includes('--check');
const outDir = join(demo, 'manifests');
mkdirSync(outDir, { recursive: true });
let stale = 0;
for (const ns of NAMESPACES) {
  const file = join(outDir, `${ns.name}.yaml`);
  const text = render(ns);
  if (check) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
      console.error(`${file} is out of date: run node scripts/gen-demo.mjs`);
      stale++;
    }
  } else writeFileSync(file, text);
}
process.exit(stale ? 1 : 0);
