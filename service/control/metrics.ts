// Prometheus metrics of one service instance (prom-client), in a registry of its own so several instances in
// one process (tests, replicas) never collide. Served at GET /metrics.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Solve latency buckets, seconds: a 6-app solve takes ~1 ms, 1024 apps ~100 ms. */
const SOLVE_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Pass buckets, seconds: one node takes a few ms, a thousand a few seconds; near the interval means full. */
const TICK_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80];

export interface Gauges {
  apps(): number;
  nodes(): number;
  leased(): number;
  silent(): number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly rounds: Counter<'outcome'>;
  readonly solveSeconds: Histogram<'source'>;
  readonly tickSeconds: Histogram;
  readonly estimateSeconds: Histogram;
  readonly telemetry: Counter;
  readonly telemetrySkipped: Counter<'reason'>;
  readonly errors: Counter<'kind'>;
  /** HTTP requests counted since the last scrape, by "METHOD status" (see countHttp) */
  private readonly httpPending = new Map<string, number>();

  constructor(gauges: Gauges, opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.rounds = new Counter({ name: 'spirit_rounds_total', help: 'allocation rounds by outcome (published, held, silent, failed, lost-lease)', labelNames: ['outcome'], registers });
    this.solveSeconds = new Histogram({ name: 'spirit_solve_duration_seconds', help: 'solve latency (round: control loop, http: POST /v1/solve)', labelNames: ['source'], buckets: SOLVE_BUCKETS_S, registers });
    this.tickSeconds = new Histogram({ name: 'spirit_rounds_tick_seconds', help: 'one pass of rounds over every node this replica holds (near the interval: the replica is full)', buckets: TICK_BUCKETS_S, registers });
    this.estimateSeconds = new Histogram({ name: 'spirit_round_estimate_seconds', help: 'closing the epoch of every app estimator of a node in a round (refits)', buckets: SOLVE_BUCKETS_S, registers });
    this.telemetry = new Counter({ name: 'spirit_telemetry_records_total', help: 'telemetry records ingested into estimators', registers });
    this.telemetrySkipped = new Counter({ name: 'spirit_telemetry_skipped_total', help: 'telemetry records skipped and dead-lettered, by reason', labelNames: ['reason'], registers });
    this.errors = new Counter({ name: 'spirit_errors_total', help: 'operating errors by kind (round, bus, http)', labelNames: ['kind'], registers });
    const pending = this.httpPending;
    new Counter({
      name: 'spirit_http_requests_total', help: 'HTTP requests by method and status', labelNames: ['method', 'status'], registers,
      collect() {
        for (const [k, n] of pending) {
          const at = k.indexOf(' ');
          this.inc({ method: k.slice(0, at), status: k.slice(at + 1) }, n);
        }
        pending.clear();
      },
    });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    };
    gauge('spirit_apps', 'registered apps (as of the last lease tick)', gauges.apps);
    gauge('spirit_nodes', 'registered nodes (as of the last lease tick)', gauges.nodes);
    gauge('spirit_nodes_leased', 'nodes this replica holds the lease of', gauges.leased);
    gauge('spirit_nodes_silent', 'leased nodes whose daemon went silent', gauges.silent);
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'spirit_' });
  }

  /**
   * Counts one HTTP request. Kept in a plain map and handed to prom-client when /metrics is read: a labelled
   * inc() per request (label object hashed and checked each time) was ~1.5 us of a ~50 us cached solve.
   */
  countHttp(method: string, status: number): void {
    const k = `${method} ${status}`;
    this.httpPending.set(k, (this.httpPending.get(k) ?? 0) + 1);
  }

  text(): Promise<string> { return this.registry.metrics(); }
  get contentType(): string { return this.registry.contentType; }
}
