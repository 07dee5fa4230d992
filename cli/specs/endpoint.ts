import { z } from 'zod';
import type { YamlSpec } from '../yamlFile';
import { parseSpec, squash } from './parse';

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** Azure ML's batch endpoint YAML (batchEndpoint.schema.json). */
export const endpointYaml = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  tags: stringMap.optional(),
  auth_mode: z
    .string()
    .refine((v) => squash(v) === 'aadtoken', 'must be aad_token (Entra ID tokens are the only auth mode)')
    .optional(),
  defaults: z.strictObject({ deployment_name: z.string().optional() }).optional(),
  location: z.string().optional(),
});

export type EndpointYaml = z.output<typeof endpointYaml>;

/** The PUT body of `batchEndpoints/{name}`. */
export function endpointBody(spec: YamlSpec): { name?: string; body: Record<string, unknown>; ignored: string[] } {
  const y = parseSpec(endpointYaml, spec, 'batch endpoint');
  const properties: Record<string, unknown> = { authMode: 'AADToken' };
  if (y.description !== undefined) properties['description'] = y.description;
  if (y.defaults?.deployment_name) properties['defaults'] = { deploymentName: y.defaults.deployment_name };
  return {
    ...(y.name ? { name: y.name } : {}),
    body: { ...(y.tags ? { tags: y.tags } : {}), properties },
    ignored: y.location !== undefined ? ['location'] : [],
  };
}

/** An endpoint resource as YAML fields (what `update` starts from). */
export function endpointYamlOf(resource: any): Record<string, unknown> {
  const p = resource.properties ?? {};
  return {
    name: resource.name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(resource.tags ? { tags: resource.tags } : {}),
    auth_mode: 'aad_token',
    ...(p.defaults?.deploymentName ? { defaults: { deployment_name: p.defaults.deploymentName } } : {}),
  };
}
