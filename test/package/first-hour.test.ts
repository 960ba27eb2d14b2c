/**
 * A newcomer's first hour, as the published package: `npm pack`, installed into a fresh app
 * (no workspace link: the tarball, with its dependencies from the npm registry), then the
 * commands the README gives, `emulate -- node app.js` against the bundled emulator, and a strict
 * `tsc --noEmit` on a typed app whose alias names come from `switchyard types`.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'switchyard-first-hour-'));
const app = join(work, 'app');

type Run = { code: number; stdout: string; stderr: string };

/** The environment of a user's shell: no npm_* settings inherited from `npm test`. */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(npm_|SWITCHYARD_|VITEST|NODE_OPTIONS$)/i.test(name),
  ),
) as Record<string, string>;

function run(command: string, args: readonly string[], cwd = app): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { cwd, env: userEnv, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const npm = 'npm';
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const npx = (args: readonly string[]) => run('npx', args);

/** Cloudflare with stored keys, an OpenRouter fallback, and an embeddings alias. */
const config = `# yaml-language-server: $schema=./node_modules/switchyard-ai/schema/config.schema.json
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: \${CLOUDFLARE_ACCOUNT_ID}
    gatewayId: \${CLOUDFLARE_GATEWAY_ID}
    auth: { token: "\${CLOUDFLARE_AIG_TOKEN}", keys: stored }
  openrouter: { type: openrouter, apiKey: "\${OPENROUTER_API_KEY}" }
upstreams:
  llama: { gateway: edge, model: groq/llama-3.3-70b-versatile }
  mini: { gateway: openrouter, model: openai/gpt-4o-mini }
  small-embed: { gateway: edge, model: openai/text-embedding-3-small }
models:
  fast: { targets: [llama, mini], retry: { attempts: 2 }, timeout: 2m }
  embed: small-embed
`;

let tarball = '';

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    const built = await run(npm, ['run', 'build'], root);
    expect(built.code, built.stderr).toBe(0);
  }
  const packed = await run(npm, ['pack', '--json', '--pack-destination', work], root);
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]?.filename ?? '');

  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'first-hour-app', private: true, type: 'module' }, null, 2),
  );
  const installed = await run(npm, [
    'install',
    tarball,
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    '--prefer-offline',
  ]);
  expect(installed.code, installed.stderr).toBe(0);

  writeFileSync(join(app, 'config.yaml'), config);
  writeFileSync(
    join(app, 'ci.env'),
    'CLOUDFLARE_ACCOUNT_ID=acct\nCLOUDFLARE_GATEWAY_ID=gw\nCLOUDFLARE_AIG_TOKEN=ci-token\nOPENROUTER_API_KEY=ci-key\n',
  );
  writeFileSync(
    join(app, 'app.js'),
    `import { createRouter, loadConfig } from 'switchyard-ai';

const router = createRouter(loadConfig());
const answer = await router.chat.completions
  .create({ model: 'fast', messages: [{ role: 'user', content: 'Hello!' }] })
  .withRoute();
const vectors = await router.embeddings.create({ model: 'embed', input: 'hello' });
console.log(JSON.stringify({
  content: answer.data.choices[0]?.message.content,
  upstream: answer.route.upstream,
  dimensions: vectors.data[0]?.embedding.length,
}));
await router.close();
`,
  );
}, 300_000);

describe('the packed package', () => {
  it('ships what the README links to, and no sources the maps would need', () => {
    const installed = join(app, 'node_modules', 'switchyard-ai');
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((match) => match[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target));
    expect(links.length).toBeGreaterThan(5);
    for (const target of links) expect(existsSync(join(installed, target)), target).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    const maps = readdirSync(join(installed, 'dist'), { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const name of maps) {
      const map = JSON.parse(readFileSync(join(installed, 'dist', name), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sourcesContent?.length, name).toBe(map.sources.length);
    }
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.name).toBe('switchyard-ai');
    expect(manifest.bin).toEqual({
      switchyard: './dist/cli.js',
      'switchyard-ai': './dist/cli.js',
    });
  }, 180_000);

  it("npx switchyard-ai --version runs the package's own bin, and prints its version", async () => {
    const version = await npx(['switchyard-ai', '--version']);
    expect(version.stderr).toBe('');
    expect(version.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(version.stdout).toBe(`${manifest.version}\n`);
    expect(existsSync(join(app, 'node_modules', '.bin', 'switchyard-ai'))).toBe(true);
  }, 180_000);

  it('npx switchyard-ai validate checks the config, with the variables or without them', async () => {
    const withEnv = await npx(['switchyard-ai', 'validate', '--env-file', 'ci.env']);
    expect(withEnv.stderr).toBe('');
    expect(withEnv.code).toBe(0);
    expect(withEnv.stdout).toContain('config.yaml is valid: 2 gateways, 3 upstreams, 2 aliases');
    expect(withEnv.stdout).not.toContain('warning');
    const withoutEnv = await npx(['switchyard-ai', 'validate', '--allow-missing-env']);
    expect(withoutEnv.code).toBe(0);
    expect(withoutEnv.stdout).toContain('CLOUDFLARE_AIG_TOKEN');
  }, 180_000);

  it('npx switchyard-ai plan shows a chain whose every target is reachable', async () => {
    const plan = await npx(['switchyard-ai', 'plan', 'fast', '--env-file', 'ci.env']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('1. llama  edge (cloudflare, stored-keys)');
    expect(plan.stdout).toContain('2. mini  openrouter (openrouter, bearer)');
    expect(plan.stdout).not.toContain('warning');
  }, 180_000);

  it('npx switchyard-ai emulate -- node app.js runs the app against the emulator', async () => {
    const result = await npx([
      'switchyard-ai',
      'emulate',
      '--env-file',
      'ci.env',
      '--',
      'node',
      'app.js',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({
      content: 'Echo from groq/llama-3.3-70b-versatile: Hello!',
      upstream: 'llama',
    });
  }, 180_000);

  it('a typed app compiles under strict tsc, and a misspelt alias does not', async () => {
    const types = await npx(['switchyard-ai', 'types']);
    expect(types.code, types.stderr).toBe(0);
    expect(types.stdout).toContain('wrote switchyard-aliases.d.ts: 2 aliases');
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          types: [],
        },
        include: ['app.ts', 'switchyard-aliases.d.ts'],
      }),
    );
    const typed = `import { createRouter, loadConfig, type ModelName } from 'switchyard-ai';

const router = createRouter(loadConfig());
const model: ModelName = 'fast';
const completion = await router.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'Hello!' }],
});
const text: string | null | undefined = completion.choices[0]?.message.content;
const direct = await router.chat.completions.create({
  model: 'edge:openai/gpt-4o-mini',
  messages: [{ role: 'user', content: text ?? '' }],
});
await router.embeddings.create({ model: 'embed', input: direct.id });
`;
    writeFileSync(join(app, 'app.ts'), typed);
    const clean = await run(process.execPath, [tsc, '-p', 'tsconfig.json']);
    expect(clean.stdout + clean.stderr).toBe('');
    expect(clean.code).toBe(0);

    writeFileSync(join(app, 'app.ts'), typed.replace("'fast'", "'fsat'"));
    const typo = await run(process.execPath, [tsc, '-p', 'tsconfig.json']);
    expect(typo.code).not.toBe(0);
    expect(typo.stdout).toMatch(/app\.ts\(4,7\): error TS2322: Type '"fsat"' is not assignable/);
  }, 180_000);
});
