/**
 * Fault rules checked as they are parsed (a rule passed to `inject`, `--fault`, the JSON of an
 * `x-emulator-fault` header): unknown types and fields are refused, so a mistake is a clear error
 * rather than a rule that never fires or a different fault.
 */
import type { Fault, FaultMatch, FaultRule } from './faults.ts';
import { isRecord } from './is-record.ts';

const allowedKeys: Readonly<Record<Fault['type'], readonly string[]>> = {
  status: ['status', 'code', 'message', 'body', 'headers'],
  reset: [],
  hang: [],
  delay: ['ms'],
  'stream-cut': ['afterChunks'],
  'stream-error': ['afterChunks', 'message', 'code'],
  'stream-stall': ['afterChunks', 'ms'],
  'stream-no-done': [],
  'malformed-chunk': ['afterChunks', 'data'],
  redirect: ['location', 'status'],
  'keep-alive': ['ms', 'everyMs'],
  'finish-error': ['afterChunks'],
  'error-200': ['code', 'message'],
  'body-cut': [],
};

const redirectStatuses: ReadonlySet<unknown> = new Set([301, 302, 303, 307, 308]);

function isFaultType(value: unknown): value is Fault['type'] {
  return typeof value === 'string' && Object.hasOwn(allowedKeys, value);
}

function isNonNegativeInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value);
}

function isString(value: unknown): boolean {
  return typeof value === 'string';
}

type FaultRecord = Record<string, unknown>;

function checkOptional(options: {
  record: FaultRecord;
  key: string;
  valid: (value: unknown) => boolean;
  expected: string;
}): void {
  const value = options.record[options.key];
  if (value !== undefined && !options.valid(value)) {
    throw new TypeError(`Fault field "${options.key}" must be ${options.expected}`);
  }
}

/**
 * Validates an untrusted value (a rule passed to `inject`, or the JSON of an `x-emulator-fault`
 * header) as a {@link Fault}. Unknown fields are rejected so a typo fails loudly instead of
 * silently injecting a different fault.
 *
 * @throws TypeError describing the first problem found.
 */
export function parseFault(value: unknown): Fault {
  if (!isRecord(value)) throw new TypeError('A fault must be an object with a "type"');
  const type = value['type'];
  if (!isFaultType(type)) {
    const known = Object.keys(allowedKeys).join(', ');
    throw new TypeError(`Unknown fault type ${JSON.stringify(type)} (known: ${known})`);
  }
  checkKnownFields({ record: value, type });
  checkSharedFields({ record: value, type });
  typeChecks[type]?.(value);
  // Every field has been checked against the union member selected by `type`.
  return { ...value, type } as Fault;
}

function checkKnownFields(options: { record: FaultRecord; type: Fault['type'] }): void {
  const { type } = options;
  const allowed = allowedKeys[type];
  for (const key of Object.keys(options.record)) {
    if (key === 'type' || allowed.includes(key)) continue;
    const list = allowed.join(', ') || 'none';
    throw new TypeError(`Unknown field "${key}" for fault "${type}" (allowed: ${list})`);
  }
}

/** Fields several faults share; `code` is a string, except on `status` and `error-200`. */
function checkSharedFields(options: { record: FaultRecord; type: Fault['type'] }): void {
  const { record, type } = options;
  const expected = 'a non-negative integer';
  checkOptional({ record, key: 'afterChunks', valid: isNonNegativeInteger, expected });
  checkOptional({ record, key: 'message', valid: isString, expected: 'a string' });
  if (type === 'status') {
    const valid = (code: unknown) => isString(code) || isInteger(code);
    checkOptional({ record, key: 'code', valid, expected: 'a string or an integer' });
  } else if (type === 'error-200') {
    checkOptional({ record, key: 'code', valid: isInteger, expected: 'an integer' });
  } else {
    checkOptional({ record, key: 'code', valid: isString, expected: 'a string' });
  }
  checkOptional({ record, key: 'data', valid: isString, expected: 'a string' });
}

/** The checks of the fields one fault type has of its own. */
const typeChecks: Partial<Record<Fault['type'], (record: FaultRecord) => void>> = {
  status(record) {
    const status = record['status'];
    if (!isInteger(status) || (status as number) < 200 || (status as number) > 599) {
      throw new TypeError('Fault "status" needs an integer "status" from 200 to 599');
    }
    checkOptional({
      record,
      key: 'headers',
      valid: (headers) => isRecord(headers) && Object.values(headers).every(isString),
      expected: 'an object of string values',
    });
  },
  'keep-alive'(record) {
    if (!isNonNegativeInteger(record['ms'])) {
      throw new TypeError('Fault "keep-alive" needs "ms", a non-negative integer');
    }
    checkOptional({
      record,
      key: 'everyMs',
      valid: (every) => isNonNegativeInteger(every) && (every as number) > 0,
      expected: 'a positive integer',
    });
  },
  delay(record) {
    if (!isNonNegativeInteger(record['ms'])) {
      throw new TypeError('Fault "delay" needs "ms", a non-negative integer');
    }
  },
  'stream-stall'(record) {
    const expected = 'a non-negative integer';
    checkOptional({ record, key: 'ms', valid: isNonNegativeInteger, expected });
  },
  redirect(record) {
    const location = record['location'];
    if (typeof location !== 'string' || !URL.canParse(location)) {
      throw new TypeError('Fault "redirect" needs "location", an absolute URL');
    }
    checkOptional({
      record,
      key: 'status',
      valid: (status) => redirectStatuses.has(status),
      expected: 'one of 301, 302, 303, 307, 308',
    });
  },
};

/**
 * Validates an untrusted {@link FaultRule}.
 *
 * @throws TypeError describing the first problem found.
 */
export function parseFaultRule(value: unknown): FaultRule {
  if (!isRecord(value)) throw new TypeError('A fault rule must be an object with a "fault"');
  for (const key of Object.keys(value)) {
    if (key !== 'match' && key !== 'times' && key !== 'fault') {
      throw new TypeError(`Unknown field "${key}" in fault rule (allowed: match, times, fault)`);
    }
  }
  const times = value['times'];
  if (times !== undefined && !isNonNegativeInteger(times)) {
    throw new TypeError('Fault rule "times" must be a non-negative integer');
  }
  const match = value['match'];
  const rule: FaultRule = { fault: parseFault(value['fault']) };
  if (typeof times === 'number') {
    rule.times = times;
  }
  if (match !== undefined) {
    rule.match = parseFaultMatch(match);
  }
  return rule;
}

function parseFaultMatch(value: unknown): FaultMatch {
  if (!isRecord(value)) throw new TypeError('Fault rule "match" must be an object');
  const match: FaultMatch = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === 'model' || key === 'path' || key === 'gateway') {
      if (typeof field !== 'string') {
        throw new TypeError(`Fault rule match "${key}" must be a string`);
      }
      match[key] = field;
    } else if (key === 'stream') {
      if (typeof field !== 'boolean') {
        throw new TypeError('Fault rule match "stream" must be a boolean');
      }
      match.stream = field;
    } else {
      throw new TypeError(
        `Unknown field "${key}" in fault rule match (allowed: model, path, gateway, stream)`,
      );
    }
  }
  return match;
}
