/**
 * The response schemas Cloudflare publishes, as transcribed in test/fixtures/published-api/
 * (each file's `$comment` names its source and commit), compiled once: a test asks whether an
 * answer is one the schema allows, and gets the problems when it is not.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

const file = new URL('../fixtures/published-api/dynamic-routing.schema.json', import.meta.url);

/** The operations transcribed: `create`, `get`, `list`, `createVersion`, `error`, … */
export function publishedOperations(): string[] {
  const schema = JSON.parse(readFileSync(file, 'utf8')) as { definitions: object };
  return Object.keys(schema.definitions)
    .filter((name) => name.startsWith('op_'))
    .map((name) => name.slice('op_'.length));
}

/** A check of one answer against the schema of its operation: the problems, empty when valid. */
export function publishedResponseValidator(): (answer: {
  operation: string;
  body: unknown;
}) => string[] {
  const schema = JSON.parse(readFileSync(file, 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema(schema);
  const id = (schema as { $id: string }).$id;
  return ({ operation, body }) => {
    const validate = ajv.getSchema(`${id}#/definitions/op_${operation}`);
    if (validate === undefined) return [`no published schema for operation "${operation}"`];
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (error) =>
        `${error.instancePath || '/'} ${error.message ?? 'is invalid'}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params['additionalProperty'])})` : ''}`,
    );
  };
}
