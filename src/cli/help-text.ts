/**
 * The help texts of the `switchyard` command line: the overview and each command's options. Kept
 * apart from the dispatch in `run-cli.ts` so that file reads as code; `docs/cli.md` says the same
 * at more length.
 */
import { serveHelp } from './serve-command.ts';

/** The overview `switchyard --help` prints. */
export const usage = `Usage: switchyard <command> [options]

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

Options for every command:
  -c, --config <file>        Config file (default: $SWITCHYARD_CONFIG, else ./config.yaml)
  --env-file <file>          Read variables from a .env file (repeatable; the environment wins)
  --max-size <characters>    Largest config accepted (default 32768); raise it for a larger file
  -h, --help                 Help for a command

Options for validate, plan and emulate:
  --allow-missing-env        Check everything but the values of unset variables, and list them

Exit codes: 0 success, 1 invalid config or failed call, 2 bad usage.
Run "switchyard <command> --help" for a command's options.
`;

/** Each command's `--help`, by command name. */
export const help: Readonly<Record<string, string>> = {
  validate: `Usage: switchyard validate [file] [--json]

Checks a config file: YAML, environment variables, schema, references, cycles and credentials.
Exit 0 when valid (with a warning for each target an alias's deadline can never reach); exit 1
with every problem as file:line:column, the line and a caret.

Options:
  --json                Print the result as JSON: {"ok", "file", "issues": [{code, path, message, line, column}], "warnings", "missingEnv"}
  -c, --config <file>   Same as the [file] argument
  --env-file <file>     Read variables from a .env file (repeatable; the environment wins)
  --allow-missing-env   Check the structure without secrets: unset variables get placeholders,
                        are listed, and do not fail the check (exit 0)
`,
  plan: `Usage: switchyard plan <alias> [--config file] [--json]

Prints what a call to <alias> (or <gateway>:<model>) would do, without sending anything: each
target's gateway, URL, model, auth mode and headers (secrets redacted), the retry policy and
timeouts, the worst-case number of requests and time, and warnings about targets the deadline
can never reach.

Options:
  --json                Print the plan and the warnings as JSON
  --env-file <file>     Read variables from a .env file (repeatable; the environment wins)
  --allow-missing-env   Plan even when variables of the config are unset
`,
  chat: `Usage: switchyard chat <alias> <prompt...> [--config file] [--no-stream] [--system text] [--max-tokens n]

Sends the prompt through <alias>, streams the answer to stdout, then prints on stderr which
upstream served it and how many attempts it took. The config's credentials are used as written.

Options:
  --no-stream          Wait for the whole answer instead of streaming
  --system <text>      A system message
  --max-tokens <n>     Limit the answer's length
`,
  emulate: `Usage: switchyard emulate [--port n] [--config file] [--fault json]... [--faults file] [-- command...]

Runs the gateway emulator on 127.0.0.1: Cloudflare AI Gateway's compat endpoint, REST API and
dynamic routes API (with the auth rules of the config's Cloudflare gateways) and the
OpenAI-compatible shape of the others (chat completions, responses, embeddings). The config
is --config, else $SWITCHYARD_CONFIG, else ./config.yaml when it exists (without one, every
Cloudflare gateway is open).

Without a command, prints each gateway's baseURL for the emulator and runs until Ctrl-C.
With "-- command...", runs the command with SWITCHYARD_EMULATOR_URL set, so every gateway of the
config it loads points at the emulator, then stops and exits with the command's exit code
(e.g. switchyard emulate -- npm test).

Options:
  -p, --port <n>       Port (default 8787, or a free one when running a command)
  --fault <json>       A fault rule, e.g. '{"match":{"model":"openai/gpt-4o-mini"},"times":2,"fault":{"type":"status","status":503}}'
                       (repeatable)
  --faults <file>      A JSON or YAML file with a list of fault rules
  --quiet              Do not print each request
  --env-file <file>    Read variables from a .env file (also passed to the command)
  --allow-missing-env  Start even when variables of the config are unset
`,
  serve: serveHelp,
  types: `Usage: switchyard types [--config file] [--out file]

Writes a TypeScript declaration file with the config's alias names, so that \`model\` accepts
only them (or <gateway>:<model>) and a misspelt alias is a compile error. Variables need not be
set. Regenerate it when the aliases change (e.g. in a prebuild script).

Options:
  -o, --out <file>     Where to write (default: switchyard-aliases.d.ts; "-" prints it)
`,
  routes: `Usage: switchyard routes <plan|diff|push> <alias> [--config file] [--name route]

Compiles an alias's fallback chain into a Cloudflare dynamic route: the leading targets on its
first target's Cloudflare gateway become model elements (retries and per-attempt timeout carried
over, fallbacks chained, a final end); targets on other gateways stay client-side.

  plan    Print the route JSON and what stays client-side (no token, no network)
  diff    Compare with the route deployed on the gateway (exit 1 when they differ)
  push    Create the route, or add a version and deploy it (a dry run unless --apply)

Options:
  --name <route>       Route name (default: the alias's dynamicRoute, else the alias name)
  --apply              push: make the changes
  --api-url <url>      Cloudflare API origin (default https://api.cloudflare.com, or the
                       gateway's baseURL origin on endpoint: rest)
  --token-env <name>   Environment variable holding the API token (default CLOUDFLARE_API_TOKEN;
                       AI Gateway Read for diff, Edit for push)
  --json               plan and diff: print JSON
`,
  schema: `Usage: switchyard schema

Prints the configuration's JSON Schema (draft-07). Editors use it through
  # yaml-language-server: $schema=<path to schema>
`,
};
