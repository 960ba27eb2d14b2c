/**
 * The help texts of the `switchyard` command line: the overview, and each command's help made
 * from its option definitions (so a command's help lists exactly the options it accepts). The
 * options of validate, plan, chat, types and schema are here; emulate, serve and routes keep
 * theirs next to their code. `docs/cli.md` says the same at more length.
 */
import {
  type CommandHelp,
  commonOptions,
  helpOption,
  renderCommandHelp,
  renderOptions,
} from './command-line.ts';
import { emulateHelp } from './emulate-command.ts';
import { routesHelp } from './routes-command.ts';
import { serveCommandHelp } from './serve-flags.ts';

/** `switchyard validate`. */
export const validateHelp = {
  usage: 'validate [file] [options]',
  description: `Checks a config file: YAML, environment variables, schema, references, cycles and credentials.
Exit 0 when valid (with a warning for each target an alias's deadline can never reach); exit 1
with every problem as file:line:column, the line and a caret. [file] is the same as --config.`,
  options: {
    json: {
      type: 'boolean',
      help: 'Print the result as JSON: {"ok", "file", "issues", "warnings", "missingEnv"}',
    },
  },
} as const satisfies CommandHelp;

/** `switchyard plan`. */
export const planHelp = {
  usage: 'plan <alias> [options]',
  description: `Prints what a call to <alias> (or <gateway>:<model>) would do, without sending anything: each
target's gateway, URL, model, auth mode and headers (secrets redacted), the retry policy and
timeouts, the worst-case number of requests and time, and warnings about targets the deadline
can never reach.`,
  options: { json: { type: 'boolean', help: 'Print the plan and the warnings as JSON' } },
} as const satisfies CommandHelp;

/** `switchyard chat`. */
export const chatHelp = {
  usage: 'chat <alias> <prompt...> [options]',
  description: `Sends the prompt through <alias>, streams the answer to stdout, then prints on stderr which
upstream served it and how many attempts it took. The config's credentials are used as written.
When every target fails, prints each attempt (upstream, status, decision) and exits 1.`,
  options: {
    'no-stream': { type: 'boolean', help: 'Wait for the whole answer instead of streaming' },
    system: { type: 'string', value: '<text>', help: 'A system message' },
    'max-tokens': { type: 'string', value: '<n>', help: "Limit the answer's length" },
  },
} as const satisfies CommandHelp;

/** `switchyard types`. */
export const typesHelp = {
  usage: 'types [options]',
  description: `Writes a TypeScript declaration file with the config's alias names, so that \`model\` accepts
only them (or <gateway>:<model>) and a misspelt alias is a compile error. Variables need not be
set. Regenerate it when the aliases change (e.g. in a prebuild script).`,
  options: {
    out: {
      type: 'string',
      short: 'o',
      value: '<file>',
      help: 'Where to write (default: switchyard-aliases.d.ts; "-" prints it)',
    },
  },
} as const satisfies CommandHelp;

/** `switchyard schema`. */
export const schemaHelp = {
  usage: 'schema',
  description: `Prints the configuration's JSON Schema (draft-07). Editors use it through
  # yaml-language-server: $schema=<path to schema>`,
  options: {},
  common: false,
} as const satisfies CommandHelp;

/** Every command's help, by command name, in the order the overview lists them. */
export const commandHelp: Readonly<Record<string, CommandHelp>> = {
  validate: validateHelp,
  plan: planHelp,
  chat: chatHelp,
  emulate: emulateHelp,
  serve: serveCommandHelp,
  routes: routesHelp,
  schema: schemaHelp,
  types: typesHelp,
};

/** The overview `switchyard --help` prints. */
export const usage = `Usage: switchyard <command> [options]
       npx switchyard-ai <command> [options]   (outside a project that installed switchyard-ai)

Commands:
  validate [file]            Check a config; print every problem as file:line:column
  plan <alias>               Show the fallback chain, retries, timeouts and the worst case
  chat <alias> <prompt...>   Send a prompt through an alias and stream the answer
  emulate                    Run the local gateway emulator for the gateways in a config
  serve                      Serve the config as a local OpenAI-compatible API
  routes <plan|diff|push> <alias>
                             Compile an alias into a Cloudflare dynamic route and deploy it
  schema                     Print the config's JSON Schema
  types                      Write the alias names as TypeScript types (a .d.ts)
  help <command>             The same as <command> --help

Options of every command that reads a config:
${renderOptions({ ...commonOptions, ...helpOption })}

Options of switchyard itself:
  -v, --version              Print the version

Exit codes: 0 success, 1 invalid config or failed call, 2 bad usage.
Run "switchyard <command> --help" for a command's options.
`;

/** Each command's `--help` text, by command name. */
export const help: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(commandHelp).map(([command, text]) => [command, renderCommandHelp(text)]),
);
