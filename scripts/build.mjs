#!/usr/bin/env node
// Builds everything `npm install` must produce, offline:
//  - each WebAssembly module: assembly/<name>/index.ts -> build/<name>.wasm (+ ESM bindings .js/.d.ts)
//  - the native addon (native/binding.gyp) with npm's bundled node-gyp against the running Node's headers.
// Usage: node scripts/build.mjs [wasm|native|all]   (default all)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const what = process.argv[2] ?? 'all';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`build: ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function buildWasm() {
  const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  mkdirSync(join(root, 'build'), { recursive: true });
  const modules = readdirSync(join(root, 'assembly')).filter((d) =>
    statSync(join(root, 'assembly', d)).isDirectory() && existsSync(join(root, 'assembly', d, 'index.ts')));
  for (const name of modules) {
    run(process.execPath, [asc, `assembly/${name}/index.ts`,
      '-o', `build/${name}.wasm`, '--bindings', 'esm',
      '-O3', '--runtime', 'incremental', '--noAssert', '--enable', 'simd']);
    console.error(`build: wasm ${name} -> build/${name}.wasm`);
  }
}

function buildNative() {
  if (!existsSync(join(root, 'native', 'binding.gyp'))) return;
  // npm's own node-gyp, and headers from the running Node's install prefix, so nothing is downloaded.
  const npmDir = resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  let gyp = join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const nodedir = resolve(dirname(process.execPath), '..');
  if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
    console.error(`build: no Node headers under ${nodedir}/include/node; cannot build the native addon offline`);
    process.exit(1);
  }
  const cwd = join(root, 'native');
  // configure once, then incremental builds (make only recompiles what changed)
  if (!existsSync(join(cwd, 'build', 'Makefile'))) run(process.execPath, [gyp, 'configure', `--nodedir=${nodedir}`], { cwd });
  run(process.execPath, [gyp, 'build', `--nodedir=${nodedir}`, '-j', '2'], { cwd });
  console.error('build: native addon -> native/build/Release');
}

if (what === 'wasm' || what === 'all') buildWasm();
if (what === 'native' || what === 'all') buildNative();
