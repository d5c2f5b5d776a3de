// The bandwidth-accuracy workload of `spirit bench farmem`: opens a region, writes every page once,
// prints {"controlPath"} and scans (reading and writing one word per page) until its parent goes away.
// argv: memnodeAddress sizeMiB cacheMiB
import { openRegion } from '../../native/index.ts';
import { bytesFromMiB } from '../../service/units.ts';

const [address, sizeMiB, cacheMiB] = process.argv.slice(2);
const region = await openRegion({ memnode: address, sizeBytes: bytesFromMiB(Number(sizeMiB)), cacheBytes: bytesFromMiB(Number(cacheMiB)),
  bandwidthMbps: 100, token: 'bench-farmem-token', sampleRate: 0, label: 'bench-bandwidth' });
const mem = new Uint32Array(region.buffer);
const pages = region.sizeBytes / 4096;
for (let p = 0; p < pages; p++) mem[p * 1024] = p;
process.stdout.write(JSON.stringify({ controlPath: region.controlPath }) + '\n');
const parent = process.ppid;
for (let pass = 1; ; pass++) {
  for (let p = 0; p < pages; p++) {
    mem[p * 1024] = pass;
    if (p % 4096 === 0) {
      await new Promise((r) => setImmediate(r));
      if (process.ppid !== parent) process.exit(0);
    }
  }
}
