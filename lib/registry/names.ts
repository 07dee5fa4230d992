import { z } from 'zod';
import { ApiError } from '../http/apiError';

// Azure ML naming rules. Every allowed character is also safe in a Table Storage key.
const rule = (chars: string, max: number) =>
  `must start with a letter or digit and use only letters, digits, ${chars} (at most ${max} characters)`;

export const assetNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/, rule('"_", "-" and "."', 255));

export const versionSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, rule('"_", "-" and "."', 64))
  .refine((v) => v.toLowerCase() !== 'latest', 'must not be "latest" (it names the newest version)');

export const datastoreNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/, rule('"_" and "-"', 255));

export const endpointNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9-]{2,31}$/, 'must start with a letter, be 3-32 characters long and use only letters, digits and "-"');

export const deploymentNameSchema = endpointNameSchema;

/** Validates a route name; 400 InvalidName naming the parameter. */
export function checkName(schema: z.ZodType<string>, value: string | undefined, what: string): string {
  const result = schema.safeParse(value ?? '');
  if (result.success) return result.data;
  const why = result.error.issues[0]?.message ?? 'is not valid';
  throw new ApiError(400, 'InvalidName', `The ${what} '${value ?? ''}' is not valid: it ${why}.`, what);
}

/** Storage key for a name: ARM names are case-insensitive, so keys are lower case (the given casing is kept for display). */
export const keyOf = (name: string): string => name.toLowerCase();
