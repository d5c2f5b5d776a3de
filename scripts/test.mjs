#!/usr/bin/env node
// README's test command. Builds what the tests load, then runs type-check, lint and the vitest suites, and
// ends with one line `N passed, N failed` (type-check and lint count as one check each).
// Extra arguments go to vitest (e.g. `npm test -- tests/market`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingPrerequisites, prerequisitesLine } from './prereqs.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;
// names of the failed tests, printed just before the last line so a log's tail says what failed
const failures = [];

function firstLine(text) {
  const line = String(text ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

function step(label, cmd, args) {
  console.error(`\n== ${label}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  const ok = r.status === 0;
  console.error(`== ${label}: ${ok ? 'ok' : 'FAILED'}`);
  return ok;
}

// prerequisites first: without them the suites would fail one by one, slowly
const missing = missingPrerequisites();
if (missing.length > 0) {
  console.error(prerequisitesLine(missing));
  console.log('0 passed, 1 failed');
  process.exit(1);
}

if (!step('build', process.execPath, [join(root, 'scripts', 'build.mjs')])) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
if (extra.length === 0) {
  if (step('typecheck (tsc)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'])) passed++; else { failed++; failures.push('typecheck (tsc)'); }
  if (step('lint (eslint)', bin('eslint'), ['--max-warnings', '0', '.'])) passed++; else { failed++; failures.push('lint (eslint)'); }
}

const reportDir = join(root, '.tmp');
mkdirSync(reportDir, { recursive: true });

// Suites whose workloads measure real time (bandwidth over 2 s windows, estimators fitting models from live
// telemetry) run alone, one file at a time, after the rest: on a 2-core machine the CPU-heavy property and
// differential suites would otherwise starve them and turn their measurements into noise.
// The dashboard's browser test (a service, a daemon stand-in and Chromium) runs there too, and so does
// `spirit experiment live --quick` (six workloads whose curves the estimator learns from live telemetry).
const TIMED = ['tests/native/', 'tests/system/', 'tests/dashboard/dashboard.test.ts', 'tests/experiments/live.test.ts'];
const phases = extra.length > 0
  ? [{ label: 'tests (vitest)', args: extra }]
  : [
      { label: 'tests (vitest, in parallel)', args: TIMED.flatMap((d) => ['--exclude', `${d}**`]) },
      { label: 'tests (vitest, timed suites one at a time)', args: [...TIMED, '--no-file-parallelism', '--maxWorkers=1'] },
    ];

phases.forEach((phase, i) => {
  const report = join(reportDir, `vitest-report-${i + 1}.json`);
  rmSync(report, { force: true });
  step(phase.label, bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...phase.args]);
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    // a suite that fails to load has no tests to count; count it as a failure so it cannot hide
    const broken = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
    failed += broken;
    for (const file of r.testResults ?? []) {
      const rel = String(file.name ?? '').replace(`${root}/`, '');
      if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) {
        failures.push(`${rel}: did not load: ${firstLine(file.message)}`);
      }
      for (const t of file.assertionResults ?? []) {
        if (t.status === 'failed') failures.push(`${rel} > ${t.fullName ?? t.title}: ${firstLine((t.failureMessages ?? [])[0])}`);
      }
    }
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    if (skipped > 0) {
      console.error(`${skipped} tests skipped or todo: counted as failed (no skipped tests are left behind)`);
      failed += skipped;
    }
    if ((r.numTotalTests ?? 0) === 0) {
      console.error(`${phase.label}: no tests ran`);
      failed++;
    }
  } catch (err) {
    console.error(`could not read the vitest report ${report}: ${err.message}`);
    failed++;
  }
});
for (const f of failures) console.error(`FAILED ${f}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
