// How a route describes itself for the OpenAPI document: next to its handler, with the same zod schemas the
// handler validates with.
import type { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

export interface RouteDoc {
  method: 'get' | 'put' | 'post' | 'delete';
  /** OpenAPI path: `{id}` for parameters */
  path: string;
  summary: string;
  description?: string;
  /** needs the bearer token when one is configured */
  auth?: boolean;
  params?: Record<string, string>;
  query?: z.ZodObject;
  body?: { schema: z.ZodType | JsonSchema; description?: string };
  responses: Record<number, { description: string; schema?: z.ZodType | JsonSchema; contentType?: string }>;
}
