// The integration suite on a real Redis Cluster: 3 primaries and 3 replicas of redis-server in cluster mode
// (tests/service/redis-cluster.ts), through `redis+cluster://` and ioredis' Cluster client.
import { afterAll, describe } from 'vitest';
import { clusterBackend, stopSharedCluster } from './harness.ts';
import { integrationSuite } from './suite.ts';

describe('service on a Redis Cluster', () => integrationSuite(clusterBackend));
afterAll(stopSharedCluster);
