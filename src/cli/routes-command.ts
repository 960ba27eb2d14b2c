/**
 * `switchyard routes plan | diff | push <alias>`: an alias's chain compiled into a Cloudflare
 * dynamic route, compared with what the gateway has deployed, and created or versioned and
 * deployed through Cloudflare's routes API. `push` is a dry run unless `--apply`.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import {
  buildRoute,
  type DynamicRouteDefinition,
  routeNamePattern,
  splitForRoute,
} from '../config/dynamic-route.ts';
import type { GatewayRoute, RouteTable } from '../config/route-table.ts';
import type { CommonValues, Loaded } from './command-context.ts';
import {
  type CommandHelp,
  commonOptions,
  type OptionDefinitions,
  type OptionValues,
  parseCommandLine,
  UsageError,
} from './command-line.ts';
import { type CliIO, type Paint, paintFor } from './output.ts';
import {
  canonical,
  createRoute,
  findRoute,
  type RemoteRoute,
  RoutesApiError,
  type RoutesApiTarget,
  versionAndDeploy,
} from './routes-api.ts';

/** The compiled route of an alias, and what stays client-side. */
export type CompiledAliasRoute = {
  readonly alias: string;
  readonly gateway: GatewayRoute;
  readonly accountId: string;
  readonly gatewayId: string;
  readonly route: DynamicRouteDefinition;
  readonly clientSide: readonly string[];
  readonly notes: readonly string[];
};

/** A usage mistake (`routes` without an action or an alias). */
export class RoutesUsageError extends UsageError {
  override readonly name = 'RoutesUsageError';
}

/** A refusal: the alias cannot be expressed as a route, with every reason. */
export class RouteCompileError extends Error {
  override readonly name = 'RouteCompileError';
}

let validateRoute: ValidateFunction | undefined;

/** Checks a route against the schema subset in `schema/cloudflare-dynamic-route.schema.json`. */
export function checkRouteShape(route: DynamicRouteDefinition): string[] {
  if (validateRoute === undefined) {
    const schema = JSON.parse(
      readFileSync(
        new URL('../../schema/cloudflare-dynamic-route.schema.json', import.meta.url),
        'utf8',
      ),
    ) as object;
    validateRoute = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (validateRoute(route)) return [];
  return (validateRoute.errors ?? []).map(
    (error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`,
  );
}

/** Compiles an alias of a table into its route. Throws {@link RouteCompileError}. */
export function compileAliasRoute(options: {
  table: RouteTable;
  alias: string;
  /** Route name; default the alias's `dynamicRoute`, else the alias name. */
  name?: string;
}): CompiledAliasRoute {
  const { table } = options;
  const alias = Object.hasOwn(table.aliases, options.alias)
    ? table.aliases[options.alias]
    : undefined;
  if (alias === undefined) {
    throw new RouteCompileError(
      `unknown alias "${options.alias}" (aliases: ${Object.keys(table.aliases).join(', ')})`,
    );
  }
  const name = options.name ?? alias.dynamicRoute?.name ?? alias.name;
  if (!routeNamePattern.test(name)) {
    throw new RouteCompileError(
      `"${name}" is not a route name (lowercase letters, digits and "-"); pass --name`,
    );
  }
  const targets = alias.dynamicRoute?.edge ?? alias.targets;
  const clientTail = alias.dynamicRoute === undefined ? [] : alias.targets.slice(1);
  const result = splitForRoute({
    alias: alias.name,
    targets,
    upstreams: (upstream) =>
      Object.hasOwn(table.upstreams, upstream) ? table.upstreams[upstream] : undefined,
    gateways: (gateway) =>
      Object.hasOwn(table.gateways, gateway) ? table.gateways[gateway] : undefined,
  });
  if (!result.ok) {
    throw new RouteCompileError(
      `alias "${alias.name}" cannot be compiled into a dynamic route:\n${result.problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
  const { split } = result;
  const location = split.gateway.cloudflare;
  const built = buildRoute({ name, split, retry: alias.retry, timeouts: alias.timeouts });
  const problems = checkRouteShape(built.route);
  if (problems.length > 0) {
    throw new RouteCompileError(
      `the compiled route does not match the schema: ${problems.join('; ')}`,
    );
  }
  return {
    alias: alias.name,
    gateway: split.gateway,
    accountId: location?.accountId ?? '',
    gatewayId: location?.gatewayId ?? 'default',
    route: built.route,
    clientSide: [...split.clientSide, ...clientTail],
    notes: built.notes,
  };
}

/** Options of {@link routesCommand}. */
export type RoutesCommandOptions = {
  /** The arguments after `routes`. */
  args: readonly string[];
  io: CliIO;
  /** Loads the config the common options name, with the environment it was read with. */
  load: (values: CommonValues) => Pick<Loaded, 'table' | 'env'>;
  /** How the routes API is called (timeout, retries, page size, `fetch`); its defaults otherwise. */
  api?: RoutesApiSettings;
};

/** The routes API client's settings a caller may change (tests shorten the timeout). */
export type RoutesApiSettings = Partial<
  Pick<RoutesApiTarget, 'fetch' | 'retry' | 'timeoutMs' | 'perPage'>
>;

/** Runs `routes <plan|diff|push> <alias>`; resolves with the exit code. */
export async function routesCommand(options: RoutesCommandOptions): Promise<number> {
  const { io } = options;
  const { action, aliasName, values } = parseRoutesArgs(options.args);
  const { table, env } = options.load(values);
  let compiled: CompiledAliasRoute;
  try {
    compiled = compileAliasRoute({
      table,
      alias: aliasName,
      ...(values.name === undefined ? {} : { name: values.name }),
    });
  } catch (error) {
    if (!(error instanceof RouteCompileError)) throw error;
    io.stderr.write(
      `${paintFor({ stream: io.stderr, env: io.env }).red('error:')} ${error.message}\n`,
    );
    return 1;
  }
  const context: RouteActionContext = {
    io,
    paint: paintFor({ stream: io.stdout, env: io.env }),
    compiled,
    where: `gateway "${compiled.gateway.name}" (${compiled.accountId}/${compiled.gatewayId})`,
    clientSideLine:
      compiled.clientSide.length === 0
        ? 'nothing stays client-side'
        : `stays client-side, behind the route: ${compiled.clientSide.join(', ')}`,
    json: values.json === true,
  };
  if (action === 'plan') return printPlan(context);

  const found = routesApiTarget({ context, action, values, env });
  if (found === undefined) return 1;
  const target: RoutesApiTarget = { ...found, ...options.api };
  try {
    const remote = await findRoute(target, compiled.route.name);
    const differences = remote === undefined ? undefined : diffElements(remote, compiled.route);
    const deployed = { remote, differences };
    if (action === 'diff') return printDiff(context, deployed);
    return await pushRoute({ context, target, deployed, apply: values.apply === true });
  } catch (error) {
    if (!(error instanceof RoutesApiError)) throw error;
    // The message is already safe to print: the token blanked, control characters stripped.
    io.stderr.write(
      `${paintFor({ stream: io.stderr, env: io.env }).red('error:')} ${error.message}\n`,
    );
    return 1;
  }
}

/** The options of `switchyard routes` (besides the common ones), one line each. */
export const routesOptions = {
  name: {
    type: 'string',
    value: '<route>',
    help: "Route name (default: the alias's dynamicRoute, else the alias name)",
  },
  apply: { type: 'boolean', help: 'push: make the changes' },
  'api-url': {
    type: 'string',
    value: '<url>',
    help: "Cloudflare API origin (default https://api.cloudflare.com, or the\ngateway's baseURL origin on endpoint: rest)",
  },
  'token-env': {
    type: 'string',
    value: '<name>',
    help: 'Environment variable holding the API token (default\nCLOUDFLARE_API_TOKEN; AI Gateway Read for diff, Edit for push)',
  },
  json: { type: 'boolean', help: 'plan and diff: print JSON' },
} as const satisfies OptionDefinitions;

/** Help of `switchyard routes`. */
export const routesHelp = {
  usage: 'routes <plan|diff|push> <alias> [options]',
  description: `Compiles an alias's fallback chain into a Cloudflare dynamic route: the leading targets on its
first target's Cloudflare gateway become model elements (retries and per-attempt timeout carried
over, fallbacks chained, a final end); targets on other gateways stay client-side.

  plan    Print the route JSON and what stays client-side (no token, no network;
          with --allow-missing-env, no variable needs to be set)
  diff    Compare with the route deployed on the gateway (exit 1 when they differ)
  push    Create the route, or add a version and deploy it (a dry run unless --apply)`,
  options: routesOptions,
} as const satisfies CommandHelp;

const routesFlags = { ...routesOptions, ...commonOptions };

type RoutesFlags = OptionValues<typeof routesFlags>;

/** The action, the alias and the flags; throws {@link RoutesUsageError} for a usage mistake. */
function parseRoutesArgs(args: readonly string[]): {
  action: 'plan' | 'diff' | 'push';
  aliasName: string;
  values: RoutesFlags;
} {
  const { values, positionals } = parseCommandLine({
    command: 'routes',
    args,
    options: routesFlags,
  });
  const [action, aliasName, ...extra] = positionals;
  if (action !== 'plan' && action !== 'diff' && action !== 'push') {
    throw new RoutesUsageError(
      `routes needs an action: plan, diff or push (got ${action === undefined ? 'none' : `"${action}"`})`,
    );
  }
  if (aliasName === undefined || extra.length > 0) {
    throw new RoutesUsageError(
      `routes ${action} takes one alias, e.g. switchyard routes ${action} fast`,
    );
  }
  return { action, aliasName, values };
}

/** What every action prints from. */
type RouteActionContext = {
  readonly io: CliIO;
  readonly paint: Paint;
  readonly compiled: CompiledAliasRoute;
  /** `gateway "cf" (account/gateway)`. */
  readonly where: string;
  /** What stays client-side, as a line. */
  readonly clientSideLine: string;
  /** `--json`. */
  readonly json: boolean;
};

/** The route as deployed, and how it differs from the config (undefined when not deployed). */
type Deployed = {
  readonly remote: RemoteRoute | undefined;
  readonly differences: string[] | undefined;
};

/** `routes plan`: the compiled route, as text or `--json`. */
function printPlan(context: RouteActionContext): number {
  const { io, paint, compiled, where, clientSideLine, json } = context;
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ alias: compiled.alias, gateway: compiled.gateway.name, accountId: compiled.accountId, gatewayId: compiled.gatewayId, route: compiled.route, clientSide: compiled.clientSide, notes: compiled.notes }, null, 2)}\n`,
    );
    return 0;
  }
  io.stdout.write(
    `${paint.bold(`route "${compiled.route.name}"`)} for alias "${compiled.alias}" on ${where}; call it as model dynamic/${compiled.route.name}\n`,
  );
  io.stdout.write(`${clientSideLine}\n`);
  for (const note of compiled.notes) io.stdout.write(`${paint.yellow('note:')} ${note}\n`);
  io.stdout.write(`${JSON.stringify(compiled.route, null, 2)}\n`);
  return 0;
}

type RoutesApiTargetOptions = {
  readonly context: RouteActionContext;
  readonly action: 'diff' | 'push';
  readonly values: RoutesFlags;
  /** Where the token is read: the environment over `--env-file`. */
  readonly env: CliIO['env'];
};

/** Where the routes API is and the token for it; undefined (reported) when no token is set. */
function routesApiTarget(options: RoutesApiTargetOptions): RoutesApiTarget | undefined {
  const { context, action, values, env } = options;
  const { io, compiled } = context;
  const tokenEnv = values['token-env'] ?? 'CLOUDFLARE_API_TOKEN';
  const token = env[tokenEnv];
  if (token === undefined || token === '') {
    io.stderr.write(
      `error: set ${tokenEnv} to a Cloudflare API token with AI Gateway ${action === 'push' ? 'Edit' : 'Read'} (or name another variable with --token-env)\n`,
    );
    return undefined;
  }
  const location = compiled.gateway.cloudflare;
  const apiUrl =
    values['api-url'] ??
    (location?.endpoint === 'rest' ? compiled.gateway.origin : 'https://api.cloudflare.com');
  return { apiUrl, accountId: compiled.accountId, gatewayId: compiled.gatewayId, token };
}

/** `routes diff`: exit code 0 only when the deployed route matches the config. */
function printDiff(context: RouteActionContext, { remote, differences }: Deployed): number {
  const { io, compiled, where } = context;
  if (context.json) {
    io.stdout.write(
      `${JSON.stringify({ route: compiled.route.name, deployed: remote !== undefined, upToDate: differences?.length === 0, differences: differences ?? [] }, null, 2)}\n`,
    );
  } else if (remote === undefined) {
    io.stdout.write(`route "${compiled.route.name}" is not on ${where}\n`);
  } else if (differences?.length === 0) {
    io.stdout.write(
      `route "${compiled.route.name}" on ${where} is up to date (version ${remote.deploymentVersionId ?? remote.versionId ?? 'unknown'})\n`,
    );
  } else {
    io.stdout.write(`route "${compiled.route.name}" on ${where} differs from the config:\n`);
    for (const line of differences ?? []) io.stdout.write(`${line}\n`);
  }
  return remote !== undefined && differences?.length === 0 ? 0 : 1;
}

type PushRouteOptions = {
  readonly context: RouteActionContext;
  readonly target: RoutesApiTarget;
  readonly deployed: Deployed;
  /** `--apply`; without it, a dry run. */
  readonly apply: boolean;
};

/** `routes push`: creates the route, or adds a version and deploys it; a dry run without `--apply`. */
async function pushRoute({ context, target, deployed, apply }: PushRouteOptions): Promise<number> {
  const { io, paint, compiled, where, clientSideLine } = context;
  const { remote, differences } = deployed;
  if (remote !== undefined && differences?.length === 0) {
    io.stdout.write(`route "${compiled.route.name}" on ${where} is up to date; nothing to push\n`);
    return 0;
  }
  if (!apply) {
    const step =
      remote === undefined
        ? `create route "${compiled.route.name}" on ${where} (Cloudflare deploys its first version)`
        : `add a version of route "${compiled.route.name}" (${remote.id}) on ${where} and deploy it`;
    io.stdout.write(`dry run: would ${step}\n${clientSideLine}\n`);
    for (const line of differences ?? []) io.stdout.write(`${line}\n`);
    io.stdout.write('run again with --apply to push\n');
    return 0;
  }
  if (remote === undefined) {
    const created = await createRoute(target, compiled.route);
    io.stdout.write(
      `${paint.green('✓')} created route "${compiled.route.name}" (${created.id}), version ${created.deploymentVersionId ?? created.versionId ?? 'unknown'} deployed\n`,
    );
  } else {
    const versionId = await versionAndDeploy(target, {
      id: remote.id,
      elements: compiled.route.elements,
      deployedVersionId: remote.deploymentVersionId,
      pushCommand: `switchyard routes push ${compiled.alias} --apply`,
    });
    io.stdout.write(
      `${paint.green('✓')} route "${compiled.route.name}" (${remote.id}): version ${versionId} created and deployed\n`,
    );
  }
  io.stdout.write(`${clientSideLine}\n`);
  return 0;
}

/** Element-by-element differences, as `- deployed` / `+ config` lines; empty when equal. */
function diffElements(remote: RemoteRoute, route: DynamicRouteDefinition): string[] {
  const lines: string[] = [];
  const before = new Map(
    remote.elements.map((element) => [String((element as { id?: unknown }).id), element]),
  );
  const after = new Map(route.elements.map((element) => [element.id, element]));
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(id);
    const wanted = after.get(id);
    if (old !== undefined && wanted !== undefined && canonical(old) === canonical(wanted)) continue;
    if (old !== undefined) lines.push(`- ${canonical(old)}`);
    if (wanted !== undefined) lines.push(`+ ${canonical(wanted)}`);
  }
  return lines;
}
