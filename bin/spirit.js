#!/usr/bin/env node
// The `spirit` command. The sources are TypeScript, run through tsx's loader (no separate compile step).
import { register } from 'tsx/esm/api';

register();
await import('../service/cli/main.ts');
