// The JSON Schemas of spec/ (result.schema.json) for the OpenAPI document, read from the repository's copy.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonSchema } from './route-doc.ts';

const SPEC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'spec');

export function readSpecSchema(name: 'result' | 'scenario'): JsonSchema {
  const s = JSON.parse(readFileSync(join(SPEC_DIR, `${name}.schema.json`), 'utf8')) as JsonSchema;
  // OpenAPI 3.1 embeds JSON Schema 2020-12; the $schema and $id of a standalone file are dropped
  const { $schema: _s, $id: _i, ...rest } = s;
  return rest;
}
