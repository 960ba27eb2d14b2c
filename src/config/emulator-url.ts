/**
 * `SWITCHYARD_EMULATOR_URL`: every gateway of a config pointed at a local gateway emulator, for
 * tests and CI (`switchyard emulate -- <command>` sets it for the command). Only a loopback
 * address is accepted, since the emulator receives every credential of the config.
 */
import type { ConfigIssue } from '../errors.ts';
import { gatewayAdapters } from '../gateways/index.ts';
import type { GatewayRoute, RouteTable } from './route-table.ts';

/** The environment variable that points every gateway at an emulator. */
export const emulatorURLVariable = 'SWITCHYARD_EMULATOR_URL';

/** Options of {@link pointAtEmulator}. */
export type PointAtEmulatorOptions = {
  table: RouteTable;
  /** The emulator's address, e.g. `http://127.0.0.1:8787`. */
  url: string;
};

/** The table with every gateway's origin replaced by the emulator's, or why the URL is refused. */
export function pointAtEmulator(
  options: PointAtEmulatorOptions,
):
  | { readonly ok: true; readonly table: RouteTable }
  | { readonly ok: false; readonly issue: ConfigIssue } {
  const origin = loopbackOrigin(options.url);
  if (origin === undefined) {
    return {
      ok: false,
      issue: {
        code: 'INVALID_VALUE',
        path: [],
        message: `${emulatorURLVariable} must be a loopback http:// address such as http://127.0.0.1:8787 (the emulator receives every credential of the config); unset it to call the real gateways`,
      },
    };
  }
  const gateways: Record<string, GatewayRoute> = Object.create(null);
  for (const [name, gateway] of Object.entries(options.table.gateways)) {
    // Each gateway module says where the emulator imitates it (or that its own path is kept).
    const path =
      gatewayAdapters[gateway.type].emulatorPath ??
      new URL(gateway.baseURL).pathname.replace(/\/$/, '');
    gateways[name] = Object.freeze({ ...gateway, baseURL: `${origin}${path}`, origin });
  }
  return {
    ok: true,
    table: Object.freeze({ ...options.table, gateways: Object.freeze(gateways) }),
  };
}

function loopbackOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  return url.protocol === 'http:' && loopback && url.username === '' && url.password === ''
    ? url.origin
    : undefined;
}
