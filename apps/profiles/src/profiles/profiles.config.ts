import { type EnvReader, type EnvTable, envVar } from '@authmesh/platform';
import { z } from 'zod';

export interface ProfilesApiConfig {
  /** PROFILES_SERVICE_CLIENTS (default `orders`): client ids whose service tokens may read any profile. */
  readonly serviceClients: readonly string[];
}

const clientList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()))
  .refine((ids) => ids.every((id) => /^[\x21-\x2b\x2d-\x7e]{1,200}$/.test(id)), 'must be a comma-separated list of client ids');

/** Profiles' own variables (the shared, verifier and revocation ones are declared by their libs). */
export const PROFILES_ENV = {
  serviceClients: envVar.withDefault('PROFILES_SERVICE_CLIENTS', clientList, 'orders', {
    description: 'Client ids (comma-separated) whose service tokens may read any profile.',
  }),
} satisfies EnvTable;

export function readProfilesApiConfig(reader: EnvReader): ProfilesApiConfig | undefined {
  return reader.read(PROFILES_ENV);
}
