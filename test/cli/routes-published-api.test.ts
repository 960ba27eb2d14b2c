/**
 * `switchyard routes` against a local server that answers exactly as Cloudflare's published
 * schema for dynamic routes says (`src/resources/ai-gateway/dynamic-routing.ts` in
 * https://github.com/cloudflare/cloudflare-typescript, transcribed in
 * test/fixtures/published-api/dynamic-routing.schema.json, which every answer here is checked
 * against): lists come a page at a time (`page`, `per_page`; `data` holds the page and no total),
 * and a created version's answer is the route, without a version id. Also: an answer that is
 * not JSON, an API that never answers, and an API that echoes the token or sends escapes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RoutesApiSettings, routesCommand } from '../../src/cli/routes-command.ts';
import { captureIo } from '../helpers/cli-io.ts';
import { compileYaml } from '../helpers/gateway-harness.ts';
import { publishedResponseValidator } from '../helpers/published-api.ts';

const token = 'cf-api-token-PUBLISHED-9c1e';
const env = { CLOUDFLARE_API_TOKEN: token };

const yaml = `
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: prod
    auth: { token: "\${CLOUDFLARE_API_TOKEN}", keys: stored }
upstreams:
  claude: { gateway: edge, model: anthropic/claude-sonnet-4-5 }
  gpt: { gateway: edge, model: openai/gpt-4o-mini }
models:
  support:
    targets: [claude, gpt]
    dynamicRoute: support
`;

type Element = Record<string, unknown>;
type Version = { version_id: string; created_at: string; data: string };
type Route = {
  id: string;
  name: string;
  created_at: string;
  versions: Version[];
  deployed: string;
};

const stamp = '2026-01-01T00:00:00.000Z';
const validate = publishedResponseValidator();

/** A server keeping routes the published way; `seen` lists every request as `METHOD url`. */
function publishedServer(options: { routes: Route[]; failDeployments?: boolean }) {
  const seen: string[] = [];
  let counter = 100;
  const { routes } = options;
  const elementsOf = (route: Route, versionId: string) =>
    JSON.parse(
      route.versions.find((version) => version.version_id === versionId)?.data ?? '[]',
    ) as Element[];
  const versionView = (route: Route, version: Version) => ({
    ...version,
    active: version.version_id === route.deployed ? 'true' : 'false',
  });
  const summary = (route: Route) => ({
    id: route.id,
    name: route.name,
    gateway_id: 'prod',
    created_at: route.created_at,
    modified_at: stamp,
    elements: elementsOf(route, route.deployed),
  });
  const full = (route: Route) => {
    const live = route.versions.find((version) => version.version_id === route.deployed);
    return {
      ...summary(route),
      deployment: {
        deployment_id: `dep-${route.deployed}`,
        version_id: route.deployed,
        created_at: stamp,
      },
      version: versionView(route, live as Version),
    };
  };
  const page = (url: URL, items: unknown[]) => {
    const number = Number(url.searchParams.get('page') ?? '1');
    const size = Number(url.searchParams.get('per_page') ?? '20');
    return {
      page: number,
      per_page: size,
      order_by: 'created_at',
      order_by_direction: 'asc',
      items: items.slice((number - 1) * size, number * size),
    };
  };
  const answer = (
    request: IncomingMessage,
    body: string,
  ): { status: number; operation: string; body: unknown } => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const match =
      /^\/client\/v4\/accounts\/acct\/ai-gateway\/gateways\/prod\/routes(?:\/([^/]+)(?:\/(versions|deployments))?)?$/.exec(
        url.pathname,
      );
    if (match === null) return { status: 404, operation: 'error', body: {} };
    const [, id, sub] = match;
    const route = routes.find((candidate) => candidate.id === id);
    const result = (operation: string, value: unknown) => ({
      status: 200,
      operation,
      body: { success: true, errors: [], messages: [], result: value },
    });
    if (id === undefined && request.method === 'GET') {
      const { items, ...rest } = page(
        url,
        routes.map((item) => ({ ...full(item), account_tag: 'acct' })),
      );
      return {
        status: 200,
        operation: 'list',
        body: { success: true, data: { routes: items, ...rest } },
      };
    }
    if (route === undefined) return { status: 404, operation: 'error', body: {} };
    if (sub === undefined) return result('get', full(route));
    if (sub === 'versions' && request.method === 'GET') {
      const { items, ...rest } = page(
        url,
        route.versions.map((version) => versionView(route, version)),
      );
      return {
        status: 200,
        operation: 'listVersions',
        body: { success: true, data: { versions: items, ...rest } },
      };
    }
    if (sub === 'versions') {
      const { elements } = JSON.parse(body) as { elements: Element[] };
      counter += 1;
      route.versions.push({
        version_id: `v-${counter}`,
        created_at: stamp,
        data: JSON.stringify(elements),
      });
      return result('createVersion', { ...summary(route), elements });
    }
    if (options.failDeployments === true) {
      return {
        status: 503,
        operation: 'error',
        body: {
          success: false,
          errors: [{ code: 10000, message: 'try later' }],
          messages: [],
          result: null,
        },
      };
    }
    const { version_id } = JSON.parse(body) as { version_id: string };
    route.deployed = version_id;
    return result('createDeployment', summary(route));
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push(`${request.method} ${request.url}`);
      const reply = answer(request, body);
      if (reply.operation !== 'error') {
        const problems = validate({ operation: reply.operation, body: reply.body });
        if (problems.length > 0) throw new Error(`test server strays from the schema: ${problems}`);
      }
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply.body));
    });
  });
  return { server, seen };
}

let open: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) =>
    open === undefined ? resolve() : open.close(() => resolve()),
  );
  open = undefined;
});

async function listen(server: Server): Promise<string> {
  open = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function routes(args: string[], api: RoutesApiSettings = {}) {
  const { out, io } = captureIo(env);
  const code = await routesCommand({
    args,
    io,
    load: () => ({ table: compileYaml(yaml, env), env }),
    api,
  });
  return { code, ...out };
}

function filler(count: number): Route[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `r-${index}`,
    name: `other-${index}`,
    created_at: stamp,
    versions: [{ version_id: `old-${index}`, created_at: stamp, data: '[]' }],
    deployed: `old-${index}`,
  }));
}

describe('routes against the published API', () => {
  it('push --apply finds the route past the first page, finds the new version by listing, deploys it', async () => {
    const support: Route = {
      id: 'r-support',
      name: 'support',
      created_at: stamp,
      // 60 old versions: the versions list takes two pages too.
      versions: Array.from({ length: 60 }, (_, index) => ({
        version_id: `s-${index}`,
        created_at: stamp,
        data: '[]',
      })),
      deployed: 's-59',
    };
    const { server, seen } = publishedServer({ routes: [...filler(55), support] });
    const url = await listen(server);

    const pushed = await routes(['push', 'support', '--api-url', url, '--apply']);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain(
      'route "support" (r-support): version v-101 created and deployed',
    );
    expect(support.deployed).toBe('v-101');
    expect(seen.filter((line) => line.startsWith('GET') && line.includes('/routes?'))).toEqual([
      'GET /client/v4/accounts/acct/ai-gateway/gateways/prod/routes?page=1&per_page=50',
      'GET /client/v4/accounts/acct/ai-gateway/gateways/prod/routes?page=2&per_page=50',
    ]);
    expect(seen.filter((line) => line.startsWith('POST'))).toEqual([
      'POST /client/v4/accounts/acct/ai-gateway/gateways/prod/routes/r-support/versions',
      'POST /client/v4/accounts/acct/ai-gateway/gateways/prod/routes/r-support/deployments',
    ]);

    // Now up to date: diff reads the deployed version and exits 0.
    const diff = await routes(['diff', 'support', '--api-url', url]);
    expect(diff.stdout).toContain('is up to date (version v-101)');
    expect(diff.code).toBe(0);
  });

  it('a push that created a version but could not deploy it says what exists and what to run', async () => {
    const support: Route = {
      id: 'r-support',
      name: 'support',
      created_at: stamp,
      versions: [{ version_id: 's-0', created_at: stamp, data: '[]' }],
      deployed: 's-0',
    };
    const { server } = publishedServer({ routes: [support], failDeployments: true });
    const url = await listen(server);
    const pushed = await routes(['push', 'support', '--api-url', url, '--apply']);
    expect(pushed.code).toBe(1);
    expect(pushed.stdout).not.toContain('✓');
    expect(pushed.stderr).toContain(
      'version v-101 of route r-support was created but deploying it failed',
    );
    expect(pushed.stderr).toContain('the gateway still serves version s-0');
    expect(pushed.stderr).toContain('`switchyard routes push support --apply`');
    expect(support.deployed).toBe('s-0');
  });

  it('diff prints what the gateway holds with the token blanked', async () => {
    const echoed = [{ id: 'start', type: 'start', outputs: { next: { elementId: token } } }];
    const support: Route = {
      id: 'r-support',
      name: 'support',
      created_at: stamp,
      versions: [{ version_id: 's-0', created_at: stamp, data: JSON.stringify(echoed) }],
      deployed: 's-0',
    };
    const url = await listen(publishedServer({ routes: [support] }).server);
    const diff = await routes(['diff', 'support', '--api-url', url]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('- {"id":"start","outputs":{"next":{"elementId":"[redacted]"}}');
    expect(diff.stdout).not.toContain(token);
  });

  it('a non-JSON 200 (a proxy page) exits non-zero, saying what came back', async () => {
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>Please sign in to the Wi-Fi</body></html>');
    });
    const url = await listen(server);
    const pushed = await routes(['push', 'support', '--api-url', url, '--apply']);
    expect(pushed.code).not.toBe(0);
    expect(pushed.stdout).not.toContain('✓');
    const line = `${pushed.stdout}${pushed.stderr}`;
    expect(line).toContain('→ 200 with an answer that is not a JSON object (text/html');
    expect(line).toContain('Please sign in');
  });

  it('an API that never answers times out, reads retried, then says which host', async () => {
    let requests = 0;
    const server = createServer(() => {
      requests += 1; // never answers
    });
    const url = await listen(server);
    const started = Date.now();
    const diff = await routes(['diff', 'support', '--api-url', url], {
      timeoutMs: 150,
      retry: { retries: 1, minDelayMs: 1 },
    });
    expect(diff.code).not.toBe(0);
    expect(requests).toBe(2);
    expect(diff.stderr).toContain('no answer within 150 ms');
    expect(diff.stderr).toContain('failed 2 times');
    // Far below the 30 s default: the timeout is what ended it.
    expect(Date.now() - started).toBeLessThan(10_000);
    server.closeAllConnections();
  });

  it('a token echoed back is blanked and escapes are stripped from what the API says', async () => {
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          success: false,
          errors: [
            { code: 10000, message: `\u001b[31mbad token ${request.headers.authorization}\u0007` },
          ],
          messages: [],
          result: null,
        }),
      );
    });
    const url = await listen(server);
    const diff = await routes(['diff', 'support', '--api-url', url]);
    expect(diff.code).not.toBe(0);
    expect(diff.stderr).toContain('bad token Bearer [redacted] (code 10000)');
    expect(diff.stderr).not.toContain(token);
    expect(diff.stderr).not.toContain('\u001b');
    expect(diff.stderr).not.toContain('\u0007');
  });
});
