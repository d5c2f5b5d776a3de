// `spirit mrc TRACE [--text] [--sample-rate R] [--max-mb M] [--points N]` (spec/cli.md): the LRU miss-ratio
// curve of a page-access trace. Stdout: {"points": [[cacheMB, missRatio], ...], "accesses": n,
// "sampledAccesses": k, ...}. Bad flags or a bad trace file: exit 2 with the flag or file and what is wrong.
import type { Command } from 'commander';
import { InputError } from '../../errors.ts';
import { log, printJson } from '../output.ts';

interface MrcFlags {
  text?: boolean;
  binary?: boolean;
  sampleRate?: string;
  maxMb?: string;
  points?: string;
  maxSamplePages?: string;
  pageBytes?: string;
}

const NUMBER = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!NUMBER.test(v.trim())) throw new InputError(flag, `'${v}' is not a non-negative number`);
  return Number(v);
}

/** Flag values in the builder's terms; the builder re-checks ranges, so errors are re-labelled with the flag. */
function relabel(err: unknown): unknown {
  if (!(err instanceof InputError)) return err;
  const flags: Record<string, string> = {
    sampleRate: '--sample-rate', maxMB: '--max-mb', points: '--points', maxSamplePages: '--max-sample-pages', pageBytes: '--page-bytes',
  };
  return flags[err.where] ? new InputError(flags[err.where], err.problem) : err;
}

export function register(program: Command): void {
  program
    .command('mrc')
    .description('miss-ratio curve of a page-access trace under LRU (exact at --sample-rate 1)')
    .argument('<trace>', 'trace file: little-endian u64 page numbers, one per access, or text: one decimal per line (detected)')
    .option('--text', 'the trace is text: one decimal page number per line (default: detected from the first 4 KiB)')
    .option('--binary', 'the trace is binary: little-endian u64 page numbers (default: detected)')
    .option('--sample-rate <R>', 'spatial (SHARDS) sampling rate in (0, 1]; 1 = exact', '1')
    .option('--max-mb <M>', 'largest cache size of the curve, MiB (default: where the curve becomes flat)')
    .option('--points <N>', 'number of curve points, 2..4096', '100')
    .option('--max-sample-pages <K>', 'most sampled pages kept; beyond it the rate drops (default 4194304)')
    .option('--page-bytes <B>', 'bytes per page', '4096')
    .action(async (trace: string, flags: MrcFlags) => {
      const opts = {
        sampleRate: num('--sample-rate', flags.sampleRate),
        maxMB: num('--max-mb', flags.maxMb),
        points: num('--points', flags.points),
        maxSamplePages: num('--max-sample-pages', flags.maxSamplePages),
        pageBytes: num('--page-bytes', flags.pageBytes),
      };
      const { mrcOfChunks, resolveMrcOptions } = await import('../../estimator/mrc.ts');
      const { detectTraceFormat, readTraceChunks } = await import('../../traces/reader.ts');
      if (flags.text && flags.binary) throw new InputError('--text', 'and --binary both given; a trace is one or the other');
      try {
        resolveMrcOptions(opts); // flag errors before reading a possibly huge file
      } catch (err) {
        throw relabel(err);
      }
      let result;
      try {
        const given = flags.text ? 'text' : flags.binary ? 'binary' : null;
        const format = given ?? detectTraceFormat(trace);
        log(`spirit mrc: reading ${trace} as ${format === 'text' ? 'text (one decimal page number per line)' : 'binary (little-endian u64 page numbers)'}` +
          (given ? ` (--${given})` : `, detected from its first bytes (--${format === 'text' ? 'binary' : 'text'} to read it otherwise)`));
        result = mrcOfChunks(readTraceChunks(trace, { text: format === 'text' }), opts);
      } catch (err) {
        if (err instanceof InputError && err.where === 'pages') throw new InputError(trace, err.problem);
        throw relabel(err);
      }
      const asked = opts.sampleRate ?? 1;
      if (result.sampleRate < asked * 0.999) {
        log(`spirit mrc: the sampled pages outgrew --max-sample-pages; the rate dropped from ${asked} to ${result.sampleRate.toPrecision(4)}`);
      }
      printJson(result);
    });
}
