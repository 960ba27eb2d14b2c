/**
 * The pure steps of the generator: the run-time copy of the schema keeps only what the loader
 * reads, `propertyNames` references are inlined for the validator, and forms the generator does
 * not know stop it instead of being copied or dropped silently.
 */
import { describe, expect, it } from 'vitest';
import {
  inlinePropertyNameRefs,
  runtimeKeywords,
  runtimeSchema,
  validatorOnlyKeywords,
  withoutDocumentation,
  withoutSchemaPaths,
} from '../scripts/render-generated.ts';
import { configSchema } from '../src/internal/config-schema.generated.ts';
import { runtimeConfigSchema } from '../src/internal/config-schema-runtime.generated.ts';

describe('runtimeSchema', () => {
  it('drops documentation and validator-only checks, keeps what the loader reads', () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      description: 'root',
      type: 'object',
      additionalProperties: false,
      required: ['a'],
      properties: {
        a: { description: 'an a', type: 'string', pattern: '^a$', 'x-expected': 'the letter a' },
        b: { oneOf: [{ const: 'x', title: 'x' }, { $ref: '#/definitions/d' }] },
      },
      definitions: { d: { type: 'integer', minimum: 1, examples: [2] } },
    };
    expect(runtimeSchema(schema)).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        a: { type: 'string', 'x-expected': 'the letter a' },
        b: { oneOf: [{ const: 'x' }, { $ref: '#/definitions/d' }] },
      },
      definitions: { d: { type: 'integer' } },
    });
  });

  it('keeps a property or definition whose name is a keyword', () => {
    const schema = {
      properties: { description: { type: 'string', description: 'the description key' } },
      definitions: { pattern: { type: 'string', maxLength: 3 } },
    };
    expect(runtimeSchema(schema)).toEqual({
      properties: { description: { type: 'string' } },
      definitions: { pattern: { type: 'string' } },
    });
  });

  it('refuses a keyword it does not know, naming where it is', () => {
    expect(() => runtimeSchema({ properties: { a: { anyOf: [] } } })).toThrow(
      /"anyOf" at #\/properties\/a/,
    );
  });

  it('was applied to the shipped schema: no description is left, every key is known', () => {
    expect(runtimeConfigSchema).toEqual(runtimeSchema(configSchema));
    expect(JSON.stringify(runtimeConfigSchema)).not.toContain('"description":"');
    for (const keyword of runtimeKeywords) expect(validatorOnlyKeywords.has(keyword)).toBe(false);
  });
});

describe('inlinePropertyNameRefs', () => {
  const name = { type: 'string', maxLength: 8 };

  it('replaces a propertyNames $ref by the definition, leaving other refs alone', () => {
    const schema = {
      properties: {
        m: {
          propertyNames: { $ref: '#/definitions/name' },
          additionalProperties: { $ref: '#/definitions/name' },
        },
      },
      definitions: { name },
    };
    expect(inlinePropertyNameRefs(schema)).toEqual({
      properties: {
        m: { propertyNames: name, additionalProperties: { $ref: '#/definitions/name' } },
      },
      definitions: { name },
    });
  });

  it('refuses a definition that holds a $ref of its own', () => {
    const schema = {
      properties: { m: { propertyNames: { $ref: '#/definitions/outer' } } },
      definitions: { outer: { $ref: '#/definitions/name' }, name },
    };
    expect(() => inlinePropertyNameRefs(schema)).toThrow(/holds a \$ref/);
  });

  it('refuses a reference it cannot resolve', () => {
    expect(() =>
      inlinePropertyNameRefs({ properties: { m: { propertyNames: { $ref: '#/definitions/x' } } } }),
    ).toThrow(/only a lone/);
  });
});

describe('withoutSchemaPaths', () => {
  it('removes the schemaPath of each error object, escaped quotes included', () => {
    const source =
      'const err0 = {instancePath,schemaPath:"#/properties/a\\"b/type",keyword:"type",params:{type: "string"}};';
    expect(withoutSchemaPaths(source)).toBe(
      'const err0 = {instancePath,keyword:"type",params:{type: "string"}};',
    );
  });

  it('refuses a schemaPath in a form it does not know', () => {
    expect(() => withoutSchemaPaths('const err0 = {schemaPath: path + "/type"};')).toThrow(
      /does not recognise/,
    );
  });

  it('left none in the shipped validator', async () => {
    const { readFile } = await import('node:fs/promises');
    const code = await readFile(
      new URL('../src/internal/validate-config.generated.ts', import.meta.url),
      'utf8',
    );
    expect(code).not.toContain('schemaPath');
    expect(code).toContain('instancePath');
  });
});

describe('withoutDocumentation', () => {
  it('drops what documents the schema, keeps checks, data and names that look like keywords', () => {
    const schema = {
      description: 'root',
      properties: {
        description: { type: 'string', description: 'the description key', maxLength: 9 },
        mode: { enum: ['a'], const: { description: 'a value, not a schema' }, title: 'Mode' },
      },
      definitions: { d: { 'x-expected': 'a d', examples: [1], $comment: 'why', minimum: 1 } },
    };
    expect(withoutDocumentation(schema)).toEqual({
      properties: {
        description: { type: 'string', maxLength: 9 },
        mode: { enum: ['a'], const: { description: 'a value, not a schema' } },
      },
      definitions: { d: { minimum: 1 } },
    });
  });

  it('left no description in the shipped validator', async () => {
    const { readFile } = await import('node:fs/promises');
    const code = await readFile(
      new URL('../src/internal/validate-config.generated.ts', import.meta.url),
      'utf8',
    );
    expect(code).not.toMatch(/"description":/);
  });
});
