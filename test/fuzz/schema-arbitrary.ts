/**
 * fast-check arbitraries from the JSON Schemas of the served OpenAPI document: values the schema
 * accepts, and values it must refuse (one leaf of a valid value swapped for the wrong type, a
 * required property dropped, an unknown one added). Only the keywords the API's TypeBox schemas
 * use are understood; anything else falls back to arbitrary JSON.
 */
import fc from 'fast-check';

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  $ref?: string;
};

/** Values worth trying for a property of this name (ids that exist, so requests get past "not found"). */
export type Hints = Record<string, unknown[]>;

const MAX_ITEMS = 3;

/** Printable text of 1..max characters, with CJK, astral and invisible characters in the mix. */
function text(min: number, max: number): fc.Arbitrary<string> {
  const cap = Math.min(max, 40);
  const char = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...'党建项目整改督查验收abcXYZ019 -_.') },
    { weight: 1, arbitrary: fc.constantFrom('\u{20000}', '😀', '\u200B', '\u3000', '\uFEFF', '\t', '\n', '"', '\\', '<', "'") },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  );
  const short = fc.array(char, { minLength: Math.max(min, 0), maxLength: Math.max(cap, min) }).map((cs) => cs.join(''));
  if (max <= 40) return short;
  // Now and then the longest the schema allows, to reach the length limits behind it.
  return fc.oneof({ weight: 9, arbitrary: short }, { weight: 1, arbitrary: fc.constantFrom('项'.repeat(max), 'x'.repeat(max)) });
}

export function valid(schema: JsonSchema, hints: Hints = {}, name?: string): fc.Arbitrary<unknown> {
  if (name && hints[name] && hints[name].length > 0) {
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...hints[name]) }, { weight: 1, arbitrary: validPlain(schema, hints) });
  }
  return validPlain(schema, hints);
}

function validPlain(schema: JsonSchema, hints: Hints): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => valid(s, hints)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, sub] of Object.entries(props)) record[key] = valid(sub, hints, key);
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in props) });
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      return fc.array(valid(schema.items ?? {}, hints), { minLength: min, maxLength: Math.max(min, Math.min(schema.maxItems ?? MAX_ITEMS, MAX_ITEMS)) });
    }
    case 'string': {
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.pattern) {
        const max = schema.maxLength ?? Infinity;
        return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => [...s].length <= max && [...s].length >= (schema.minLength ?? 0));
      }
      return text(schema.minLength ?? 0, schema.maxLength ?? 200);
    }
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1e6, -1e9), max: Math.min(schema.maximum ?? 1e6, 1e9) });
    case 'number':
      return fc.oneof(
        fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: Math.ceil(Math.max(schema.minimum ?? -1000, -1000)), max: Math.floor(Math.min(schema.maximum ?? 1000, 1000)) }),
      );
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Paths to every node of a JSON value (the root is []). */
function nodes(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...nodes(v, [...at, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...nodes(v, [...at, k]));
  return out;
}

function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[path[0]] = setAt(copy[path[0]], path.slice(1), replacement);
  return copy;
}

const WRONG: unknown[] = [null, '60', 60, -1, 1e300, true, 'true', [], {}, [1], ['x'], '', ' ', '\u200B', 'x'.repeat(20_000), { __proto__: { polluted: true } }, { constructor: { prototype: {} } }];

/** A value the schema should refuse: a valid value with one node swapped for the wrong kind, a key dropped, or an unknown key added. */
export function invalid(schema: JsonSchema, hints: Hints = {}): fc.Arbitrary<unknown> {
  return fc.tuple(valid(schema, hints), fc.nat(), fc.constantFrom(...WRONG), fc.constantFrom('swap', 'drop', 'extra')).map(([value, pick, wrong, how]) => {
    const all = nodes(value);
    const path = all[pick % all.length];
    if (how === 'drop' && path.length > 0) {
      const parentPath = path.slice(0, -1);
      const parent = parentPath.reduce<any>((v, k) => v[k], value);
      if (parent && typeof parent === 'object' && !Array.isArray(parent)) {
        const { [path[path.length - 1]]: _dropped, ...rest } = parent;
        return setAt(value, parentPath, rest);
      }
    }
    if (how === 'extra') {
      const target = path.reduce<any>((v, k) => v[k], value);
      if (target && typeof target === 'object' && !Array.isArray(target)) return setAt(value, path, { ...target, stage: 'accepted', unknownField: wrong });
    }
    return setAt(value, path, wrong);
  });
}
