// The policies `spirit experiment live` measures: a market policy and whether the market plans partitionable
// apps on the convex hulls of their curves (then the daemon splits their pages). `static` is the baseline
// every figure is normalized to; `static-split` is static with the page splits at the equal shares, so the
// data plane's gain and the market's gain are told apart.
import { InputError } from '../../errors.ts';
import type { Policy } from '../../scenario/types.ts';

export const LIVE_POLICIES = ['static', 'static-split', 'drf', 'harvest', 'trade', 'spirit-unsplit', 'spirit'] as const;
export type LivePolicy = (typeof LIVE_POLICIES)[number];

export const LIVE_POLICY_DEFS: Record<LivePolicy, { policy: Policy; convexify: boolean; what: string }> = {
  static: { policy: 'static', convexify: false, what: 'equal shares, unsplit (the baseline)' },
  'static-split': { policy: 'static', convexify: true, what: 'equal shares, each split at its hull point' },
  drf: { policy: 'drf', convexify: false, what: 'dominant resource fairness' },
  harvest: { policy: 'harvest', convexify: false, what: 'equal shares, idle resources harvested' },
  trade: { policy: 'trade', convexify: false, what: 'pairwise trades from equal shares' },
  'spirit-unsplit': { policy: 'spirit', convexify: false, what: 'the Spirit market on the curves as they are' },
  spirit: { policy: 'spirit', convexify: true, what: 'the Spirit market on convexified curves, pages split' },
};

/** `--policies a,b,c`: known names, no repeats; static is always measured (it is the baseline). */
export function parseLivePolicies(text: string | undefined, fallback: readonly LivePolicy[]): LivePolicy[] {
  if (text === undefined) return [...fallback];
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new InputError('--policies', 'names no policy');
  const out: LivePolicy[] = [];
  for (const n of names) {
    if (!(LIVE_POLICIES as readonly string[]).includes(n)) throw new InputError('--policies', `'${n}' is not a policy; expected some of ${LIVE_POLICIES.join(', ')}`);
    if (out.includes(n as LivePolicy)) throw new InputError('--policies', `'${n}' is given twice`);
    out.push(n as LivePolicy);
  }
  if (!out.includes('static')) out.unshift('static');
  return out;
}
