// What `npm test` needs besides Node and the build tools, checked once before anything runs, so a machine
// without them gets one line saying what to install instead of minutes of silence and a pile of failures:
// redis-server (and redis-benchmark, same package) for the Redis suites, Debian's chromium for the
// dashboard's browser test. The same paths the tests use (REDIS_SERVER, CHROMIUM override them).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name, env) {
  return (env.PATH ?? '').split(delimiter).filter(Boolean).some((d) => executable(join(d, name)));
}

/** The Debian packages to install for what is missing (empty: nothing is). */
export function missingPrerequisites(env = process.env) {
  const missing = [];
  const redis = env.REDIS_SERVER ?? '/usr/bin/redis-server';
  if (!executable(redis) || !onPath('redis-server', env) || !onPath('redis-benchmark', env)) missing.push('redis-server');
  if (!executable(env.CHROMIUM ?? '/usr/bin/chromium')) missing.push('chromium');
  return missing;
}

export function prerequisitesLine(missing) {
  return `npm test: missing ${missing.join(' and ')}: install ${missing.length > 1 ? 'them' : 'it'} with \`apt-get install -y ${missing.join(' ')}\` (as root; .ci/run does), then run npm test again`;
}
