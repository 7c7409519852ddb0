/**
 * The app's composition root, found at run time: the module `STRANGLER_SERVICES` names exports a
 * {@link ComposeServices} function (as `composeServices` or as its default export) that builds the
 * app's TS services. The gateway never imports the app; without a module it serves no services, which
 * is all a table with only legacy routes needs.
 *
 * @example
 * const compose = await loadComposeServices('/srv/app/services/index.ts');
 * const set = compose(process.env, logger, { legacyUrl, internalToken });
 */
import { pathToFileURL } from 'node:url';
import type { ComposeServices, ServiceSet } from './index.ts';

/** What the server mounts when the app has no TS services: nothing, holding nothing. */
export const NO_SERVICES: ServiceSet = Object.freeze({ services: Object.freeze([]), close: () => undefined });

const composeNone: ComposeServices = () => NO_SERVICES;

/** Thrown when the services module cannot be loaded or does not export a composer; says how to fix it. */
export class ServicesModuleError extends Error {
  override readonly name = 'ServicesModuleError';
}

/**
 * Import the app's services module (an absolute path), or compose nothing when `file` is null.
 *
 * @example
 * const compose = await loadComposeServices(config.servicesModule);
 */
export async function loadComposeServices(file: string | null): Promise<ComposeServices> {
  if (file === null) return composeNone;
  let exported: Record<string, unknown>;
  try {
    exported = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ServicesModuleError(
      `cannot load the services module ${file} (STRANGLER_SERVICES): ${(err as Error).message}; point STRANGLER_SERVICES at the app's module that exports composeServices, or unset it to serve no services`,
    );
  }
  const compose = exported.composeServices ?? exported.default;
  if (typeof compose !== 'function') {
    throw new ServicesModuleError(
      `the services module ${file} (STRANGLER_SERVICES) exports no composeServices function; export one: export const composeServices: ComposeServices = (env, logger, context) => ({ services: [...], close() {} })`,
    );
  }
  return compose as ComposeServices;
}
