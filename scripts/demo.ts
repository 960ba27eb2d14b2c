/**
 * The offline demo (`npm run demo`): the main job, with no keys and no network beyond loopback.
 *
 * 1. Starts the gateway emulator on 127.0.0.1.
 * 2. Loads config.example.yaml as written, with its `${SWITCHYARD_*_BASE_URL}` variables pointed
 *    at the emulator and placeholder credentials for every other variable.
 * 3. Streams an answer through the alias `fast`.
 * 4. Makes `fast`'s primary fail (503), calls again, and prints the attempt log: the fallback
 *    serves the answer.
 * 5. When the config has an alias with `dynamicRoute` (step 3 on screen): compiles it into a Cloudflare dynamic
 *    route, pushes it to the emulator's routes API, calls through it, makes its first model
 *    fail (the route falls back at the edge), then the gateway itself (the router falls back
 *    client-side).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { emulatedCloudflare } from '../src/cli/emulated-gateways.ts';
import { formatAttempts } from '../src/cli/format-attempts.ts';
import { paintFor } from '../src/cli/output.ts';
import { createRoute } from '../src/cli/routes-api.ts';
import { compileAliasRoute } from '../src/cli/routes-command.ts';
import { type Emulator, startEmulator } from '../src/emulator/index.ts';
import { type AttemptRecord, createRouter, loadConfig } from '../src/index.ts';
import { printableText, singleLineText } from '../src/internal/printable-text.ts';

// Shown relative to where the demo runs, as a person would type it.
const configPath = relative(
  process.cwd(),
  process.argv[2] ?? fileURLToPath(new URL('../config.example.yaml', import.meta.url)),
);
const alias = process.argv[3] ?? 'fast';
const tty = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
const bold = (text: string) => (tty ? `\u001b[1m${text}\u001b[22m` : text);
const dim = (text: string) => (tty ? `\u001b[2m${text}\u001b[22m` : text);
const green = (text: string) => (tty ? `\u001b[32m${text}\u001b[39m` : text);

/** Environment for the example config: base URLs → the emulator, other variables → placeholders. */
function demoEnv(text: string, emulatorURL: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g)) {
    const [, name = '', fallback] = match;
    if (/_BASE_URL$/.test(name)) {
      // Keep the public default's path (e.g. /api/v1 for OpenRouter) on the emulator's origin.
      const path = fallback === undefined ? '' : new URL(fallback).pathname.replace(/\/$/, '');
      env[name] = `${emulatorURL}${path}`;
    } else if (fallback === undefined) {
      env[name] = `demo-${name.toLowerCase().replace(/_/g, '-')}`;
    }
  }
  return env;
}

function printAttempts(attempts: readonly AttemptRecord[]): void {
  process.stdout.write(
    formatAttempts({ attempts, paint: paintFor({ stream: process.stdout, env: process.env }) }),
  );
}

const text = readFileSync(configPath, 'utf8');
parse(text); // fail early, with yaml's own message, if the file is not YAML at all

// The emulator's address goes into the config, and the config's auth into the emulator: start
// once to get a free port, then again on that port with the gateways' auth rules.
const probe = await startEmulator({ port: 0 });
const port = probe.port;
await probe.close();
const env = demoEnv(text, `http://127.0.0.1:${port}`);
const table = loadConfig(configPath, { env });
const emulator: Emulator = await startEmulator({
  port,
  cloudflare: emulatedCloudflare(table),
});
const router = createRouter(table, { env: {}, health: false });

try {
  const plan = router.resolve(alias);
  const primary = plan.targets[0];
  if (primary === undefined || plan.targets.length < 2) {
    throw new Error(
      `the demo needs an alias with a fallback; "${alias}" has ${plan.targets.length} target(s)`,
    );
  }
  console.log(bold(`Switchyard demo — offline, through the gateway emulator at ${emulator.url}`));
  console.log(
    dim(
      `config: ${table.source} (${Object.keys(table.gateways).length} gateways, ${Object.keys(table.aliases).length} aliases)`,
    ),
  );
  console.log(
    dim(
      `alias "${alias}": ${plan.targets.map((target) => `${target.upstream} (${target.gateway})`).join(' → ')}`,
    ),
  );

  console.log(`\n${bold('1. A streamed answer through')} ${bold(alias)}`);
  const streamed = await router.chat.completions
    .create({
      model: alias,
      stream: true,
      messages: [
        { role: 'user', content: 'Explain in one sentence why a router needs fallbacks.' },
      ],
    })
    .withRoute();
  process.stdout.write('  ');
  for await (const chunk of streamed.data)
    process.stdout.write(printableText(chunk.choices[0]?.delta?.content ?? ''));
  process.stdout.write('\n');
  console.log(
    dim(
      `  served by ${streamed.route.upstream} via ${streamed.route.gateway}; cf-aig-log-id ${streamed.route.gatewayIds['cf-aig-log-id'] ?? '—'}`,
    ),
  );

  console.log(`\n${bold('2. The primary fails (503); the same alias falls back')}`);
  emulator.inject({
    match: { model: primary.model },
    fault: { type: 'status', status: 503, message: 'primary is down (injected by the demo)' },
  });
  const fallback = await router.chat.completions
    .create({ model: alias, messages: [{ role: 'user', content: 'Are you still there?' }] })
    .withRoute();
  console.log(`  ${printableText(fallback.data.choices[0]?.message.content ?? '')}`);
  console.log(
    dim(`  served by ${fallback.route.upstream} via ${fallback.route.gateway}; attempt log:`),
  );
  printAttempts(fallback.route.attempts);

  const routed = Object.values(table.aliases).find((entry) => entry.dynamicRoute !== undefined);
  let sent = emulator.requests.length;
  if (routed !== undefined) {
    sent += await demoDynamicRoute(routed.name);
  }
  console.log(`\n${green('✓')} ${sent} requests, all to 127.0.0.1; no key and no network used.`);
} finally {
  await router.close();
  await emulator.close();
}

/** Step 3: an alias compiled into a dynamic route, pushed, called, failing at the edge and beyond. */
async function demoDynamicRoute(name: string): Promise<number> {
  emulator.clearFaults();
  emulator.clearRequests();
  const compiled = compileAliasRoute({ table, alias: name });
  const routeName = compiled.route.name;
  console.log(
    `\n${bold(`3. Alias "${name}" compiled into the Cloudflare dynamic route "${routeName}"`)}`,
  );
  for (const element of compiled.route.elements) {
    if (element.type !== 'model') continue;
    const { provider, model, retries, timeout } = element.properties;
    console.log(
      dim(`  ${element.id}: ${provider}/${model}, retries ${retries}, timeout ${timeout}ms`),
    );
  }
  console.log(dim(`  client-side behind it: ${compiled.clientSide.join(', ') || 'nothing'}`));
  const token =
    compiled.gateway.auth.mode === 'api-token' ? compiled.gateway.auth.token.reveal() : '';
  const created = await createRoute(
    { apiUrl: emulator.url, accountId: compiled.accountId, gatewayId: compiled.gatewayId, token },
    compiled.route,
  );
  console.log(
    dim(`  pushed: route ${created.id}, version ${created.deploymentVersionId} deployed`),
  );

  const served = await router.chat.completions
    .create({ model: name, messages: [{ role: 'user', content: 'Served at the edge?' }] })
    .withRoute();
  console.log(`  ${printableText(served.data.choices[0]?.message.content ?? '')}`);
  console.log(
    dim(
      `  one request, model dynamic/${routeName}; cf-aig-model ${singleLineText(served.route.gatewayIds['cf-aig-model'] ?? '—')}`,
    ),
  );

  const [first] = compiled.route.elements.filter((element) => element.type === 'model');
  if (first?.type === 'model') {
    const label = `${first.properties.provider}/${first.properties.model}`;
    emulator.inject({
      match: { model: label },
      times: first.properties.retries + 1,
      fault: { type: 'status', status: 500 },
    });
    const edge = await router.chat.completions
      .create({
        model: name,
        messages: [{ role: 'user', content: 'And if your first model fails?' }],
      })
      .withRoute();
    console.log(`  ${printableText(edge.data.choices[0]?.message.content ?? '')}`);
    console.log(
      dim(
        `  ${label} failed inside the gateway; the route fell back at the edge (cf-aig-model ${singleLineText(edge.route.gatewayIds['cf-aig-model'] ?? '—')}), still ${edge.route.attempts.length} request`,
      ),
    );
  }

  emulator.inject({
    match: { model: `dynamic/${routeName}` },
    fault: { type: 'status', status: 503, message: 'the gateway is down (injected by the demo)' },
  });
  const client = await router.chat.completions
    .create({ model: name, messages: [{ role: 'user', content: 'And if the gateway fails?' }] })
    .withRoute();
  console.log(`  ${printableText(client.data.choices[0]?.message.content ?? '')}`);
  console.log(dim(`  the gateway failed; the router fell back client-side. Attempt log:`));
  printAttempts(client.route.attempts);
  emulator.clearFaults();
  return emulator.requests.length;
}
