/**
 * The one argument parser of every `switchyard` command: each command declares its options as
 * data (type, short name, value placeholder and help line), the options every config-loading
 * command shares are declared once here, and the same declarations both parse the command
 * line and write the command's `--help`. A mistake on the command line is a {@link UsageError}
 * of one line, with the closest option name when there is one.
 */
import { parseArgs } from 'node:util';
import { didYouMeanHint } from '../internal/did-you-mean.ts';

/** A mistake on the command line: the CLI prints it as one line and exits 2. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** One option of a command: how it parses and how its help line reads. */
export type OptionDefinition = {
  /** `string` takes a value; `boolean` is a switch. */
  readonly type: 'string' | 'boolean';
  /** One-letter alias, e.g. `c` for `-c`. */
  readonly short?: string;
  /** Repeatable: every value is kept, in order. @default false */
  readonly multiple?: boolean;
  /** The value's name in the help, e.g. `<file>`. Only for `string` options. */
  readonly value?: string;
  /** The help line (more lines with `\n`). */
  readonly help: string;
};

/** A command's options, by long name (without `--`). */
export type OptionDefinitions = Readonly<Record<string, OptionDefinition>>;

/** The parsed value of one option. */
type ValueOf<Definition> = Definition extends { readonly type: 'boolean' }
  ? boolean
  : Definition extends { readonly multiple: true }
    ? string[]
    : string;

/** Parsed options, by long name; an option not given is undefined. */
export type OptionValues<Definitions extends OptionDefinitions> = {
  readonly [Name in keyof Definitions]?: ValueOf<Definitions[Name]> | undefined;
};

/** The options of every command that loads a config. */
export const commonOptions = {
  config: {
    type: 'string',
    short: 'c',
    value: '<file>',
    help: 'Config file (default: $SWITCHYARD_CONFIG, else ./config.yaml)',
  },
  'env-file': {
    type: 'string',
    multiple: true,
    value: '<file>',
    help: 'Read variables from a .env file (repeatable; the environment wins)',
  },
  'allow-missing-env': {
    type: 'boolean',
    help: 'Give unset variables placeholders of the right shape and list them,\ninstead of failing (to check a config in CI without secrets)',
  },
  'max-size': {
    type: 'string',
    value: '<bytes>',
    help: 'Largest config accepted, in bytes (default 1048576, 1 MiB)',
  },
} as const satisfies OptionDefinitions;

/** `-h, --help`, accepted by every command. */
export const helpOption = {
  help: { type: 'boolean', short: 'h', help: "Print this command's help" },
} as const satisfies OptionDefinitions;

/** Options of {@link parseCommandLine}. */
export type ParseCommandLineOptions<Definitions extends OptionDefinitions> = {
  /** The command's name, for messages (`validate`, `routes`). */
  readonly command: string;
  /** The arguments after the command's name. */
  readonly args: readonly string[];
  /** The command's options; `--help` is always accepted. */
  readonly options: Definitions;
  /** Whether the command takes arguments besides options. @default true */
  readonly positionals?: boolean;
};

/**
 * Parses a command line against the command's options. Throws a one-line {@link UsageError}
 * for an unknown option (naming the closest known one), an option missing its value, a value
 * given to a switch, or an argument the command does not take.
 */
export function parseCommandLine<Definitions extends OptionDefinitions>(
  options: ParseCommandLineOptions<Definitions>,
): { values: OptionValues<Definitions>; positionals: string[] } {
  const definitions: OptionDefinitions = { ...options.options, ...helpOption };
  const { values, positionals, tokens } = parseArgs({
    args: [...options.args],
    options: Object.fromEntries(
      Object.entries(definitions).map(([name, definition]) => [
        name,
        {
          type: definition.type,
          ...(definition.short === undefined ? {} : { short: definition.short }),
          ...(definition.multiple === true ? { multiple: true } : {}),
        },
      ]),
    ),
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const known = Object.keys(definitions).map((name) => `--${name}`);
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const definition = Object.hasOwn(definitions, token.name) ? definitions[token.name] : undefined;
    if (definition === undefined) {
      const hint = didYouMeanHint(token.rawName.startsWith('--') ? token.rawName : '', known);
      throw new UsageError(`unknown option ${token.rawName} for ${options.command}${hint}`);
    }
    const name = `--${token.name}`;
    if (definition.type === 'boolean' && token.value !== undefined)
      throw new UsageError(`${name} takes no value (got "${token.value}")`);
    if (definition.type === 'string') {
      const example = `${name} ${definition.value ?? '<value>'}`;
      if (token.value === undefined) throw new UsageError(`${name} needs a value: ${example}`);
      // `--config --json` is a forgotten value, not a file named "--json".
      if (token.inlineValue === false && token.value.startsWith('-') && token.value.length > 1)
        throw new UsageError(
          `${name} needs a value: ${example} (got the option "${token.value}"; write ${name}=${token.value} if you mean it)`,
        );
    }
  }
  if (options.positionals === false && positionals.length > 0)
    throw new UsageError(`${options.command} takes no arguments (got "${positionals[0]}")`);
  return { values: values as OptionValues<Definitions>, positionals };
}

/** What a command's help says besides its options. */
export type CommandHelp = {
  /** The usage line, after `Usage: switchyard `. */
  readonly usage: string;
  /** What the command does, as paragraphs. */
  readonly description: string;
  /** The command's own options. */
  readonly options: OptionDefinitions;
  /** Whether it loads a config (and so takes {@link commonOptions}). @default true */
  readonly common?: boolean;
  /** Text after the options (an environment section, examples). */
  readonly footer?: string;
};

/** A command's `--help`: usage, description, its options, then the common options. */
export function renderCommandHelp(help: CommandHelp): string {
  const sections = [`Usage: switchyard ${help.usage}`, help.description.trim()];
  if (Object.keys(help.options).length > 0)
    sections.push(`Options:\n${renderOptions(help.options)}`);
  sections.push(
    help.common === false
      ? `Options of every command:\n${renderOptions(helpOption)}`
      : `Options of every command:\n${renderOptions({ ...commonOptions, ...helpOption })}`,
  );
  if (help.footer !== undefined) sections.push(help.footer.trim());
  return `${sections.join('\n\n')}\n`;
}

/** The column where option descriptions start (the overview's command column too). */
const optionColumn = 29;

/** The option lines of a help text, their descriptions in one column. */
export function renderOptions(definitions: OptionDefinitions): string {
  const rows = Object.entries(definitions).map(([name, definition]) => {
    const short = definition.short === undefined ? '' : `-${definition.short}, `;
    const value = definition.type === 'string' ? ` ${definition.value ?? '<value>'}` : '';
    return { left: `  ${short}--${name}${value}`, help: definition.help };
  });
  const width = optionColumn;
  return rows
    .map((row) => {
      const [first, ...more] = row.help.split('\n');
      // A long option takes its own line, so the descriptions stay in one column.
      const left = row.left.length + 2 > width ? `${row.left}\n${' '.repeat(width)}` : row.left;
      return [
        `${left.padEnd(width)}${first ?? ''}`,
        ...more.map((line) => `${' '.repeat(width)}${line}`),
      ].join('\n');
    })
    .join('\n');
}
