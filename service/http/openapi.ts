// The OpenAPI 3.1 document served at /openapi.json, generated from the routes' own docs (route-doc.ts) and
// their zod schemas, so the document and the validation cannot disagree. Named schemas (zod `.meta({ id })`)
// become components.
import { z } from 'zod';
import type { JsonSchema, RouteDoc } from './route-doc.ts';

export interface OpenApiInfo { title: string; version: string; description?: string }

type Components = Record<string, JsonSchema>;

/** A zod schema (or a ready JSON Schema) as OpenAPI JSON Schema, with named parts moved into `components`. */
function toSchema(s: z.ZodType | JsonSchema, io: 'input' | 'output', components: Components): JsonSchema {
  if (!(s instanceof z.ZodType)) return s;
  const raw = z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  const text = JSON.stringify(raw).replaceAll('"#/$defs/', '"#/components/schemas/');
  const { $schema: _s, $defs, ...rest } = JSON.parse(text) as JsonSchema & { $defs?: Components };
  for (const [name, def] of Object.entries($defs ?? {})) components[name] ??= def;
  return rest;
}

export function buildOpenApi(routes: RouteDoc[], info: OpenApiInfo): Record<string, unknown> {
  const components: Components = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [name, description] of Object.entries(r.params ?? {})) {
      parameters.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
    }
    for (const [name, field] of Object.entries(r.query?.shape ?? {})) {
      const schema = toSchema(field as z.ZodType, 'input', components);
      parameters.push({ name, in: 'query', required: false, ...(schema.description ? { description: schema.description } : {}), schema });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, resp] of Object.entries(r.responses)) {
      responses[status] = {
        description: resp.description,
        ...(resp.schema ? { content: { [resp.contentType ?? 'application/json']: { schema: toSchema(resp.schema, 'output', components) } } } : {}),
      };
    }
    const op: Record<string, unknown> = {
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      operationId: operationId(r),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? {
        requestBody: {
          required: true, ...(r.body.description ? { description: r.body.description } : {}),
          content: { 'application/json': { schema: toSchema(r.body.schema, 'input', components) } },
        },
      } : {}),
      responses,
      ...(r.auth ? { security: [{ bearer: [] }] } : {}),
    };
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: { schemas: components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'SPIRIT_TOKEN, when configured' } } },
  };
}

function operationId(r: RouteDoc): string {
  const words = r.path.split('/').filter((p) => p && p !== 'v1').map((p) => p.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ?? '').toUpperCase()));
  return r.method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
