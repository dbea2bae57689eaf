import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Meta's OpenAPI 3.1 spec of the Cloud API (facebook/openapi `business-messaging-api_v23.0.yaml`, MIT),
 * kept in the repository with its licence, used to check that our idea of the API is Meta's. Set
 * WHATSAPP_OAS_PATH to point elsewhere.
 */
const SPEC_FILE = 'whatsapp-openapi-v23.0.yaml';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function oasPath(): string {
  const candidates = [
    process.env.WHATSAPP_OAS_PATH,
    resolve(repoRoot, 'test/fixtures/whatsapp-openapi', SPEC_FILE),
  ].filter((p): p is string => typeof p === 'string' && p !== '');
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`Cloud API OpenAPI spec not found; looked in: ${candidates.join(', ')}`);
  return found;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface OasDocument {
  paths: Record<string, Record<string, JsonObject>>;
  components: { schemas: Record<string, JsonObject> };
}

let doc: OasDocument | undefined;

export function oasDocument(): OasDocument {
  doc ??= parse(readFileSync(oasPath(), 'utf8')) as OasDocument;
  return doc;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function walk(node: unknown, visit: (n: JsonObject) => void): void {
  if (Array.isArray(node)) for (const n of node) walk(n, visit);
  else if (isObject(node)) {
    visit(node);
    for (const v of Object.values(node)) walk(v, visit);
  }
}

const REF = '#/components/schemas/';

/**
 * The spec as published does not validate even Meta's own examples (0 of 50 send examples, 0 of 16
 * webhook examples). These repairs fix generator bugs without loosening what the schemas mean:
 *
 * 1. Name collisions. The webhook schemas (from `WebhookPayload` on) were renamed `TextMessage_2`,
 *    `BaseMessageProperties_1`, `ErrorObject_2`, ... but their `$ref`s still point at the send-side
 *    `TextMessage`, `BaseMessageProperties` (which requires `to`), `ErrorObject`. Inside the webhook
 *    section, a ref to a name defined before it is pointed at the section's own `Name_N`.
 * 2. `allOf: [BaseMessageProperties, { additionalProperties: false, ... }]` rejects every message, since
 *    `additionalProperties` only sees its own subschema's properties. The intent (no unknown fields) is
 *    kept by moving it to `unevaluatedProperties: false` on the allOf, which JSON Schema 2020-12 supports.
 * 3. Template button `index` has pattern `^[2-6, 11-14]$`, a character class that rejects "0" and "1";
 *    its description says "Position index of the button (0-9)".
 * 4. `LanguageObject` requires `policy`, which Meta's own eight template examples all omit.
 */
function repair(source: Record<string, JsonObject>): Record<string, JsonObject> {
  const schemas = structuredClone(source);
  const names = Object.keys(schemas);
  const webhookSection = new Set(names.slice(names.indexOf('WebhookPayload')));
  const sectionTwin = (target: string): string | undefined =>
    webhookSection.has(target)
      ? undefined
      : [...webhookSection].find((n) => n.replace(/_\d+$/, '') === target);
  const retarget = (ref: string): string => {
    const twin = ref.startsWith(REF) ? sectionTwin(ref.slice(REF.length)) : undefined;
    return twin ? REF + twin : ref;
  };
  for (const name of webhookSection) {
    walk(schemas[name], (n) => {
      if (typeof n.$ref === 'string') n.$ref = retarget(n.$ref);
      const mapping = isObject(n.discriminator) ? n.discriminator.mapping : undefined;
      if (isObject(mapping))
        for (const [k, v] of Object.entries(mapping)) if (typeof v === 'string') mapping[k] = retarget(v);
    });
  }
  walk(schemas, (n) => {
    if (!Array.isArray(n.allOf)) return;
    const closed = n.allOf.filter((m): m is JsonObject => isObject(m) && m.additionalProperties === false);
    if (closed.length === 0) return;
    for (const m of closed) delete m.additionalProperties;
    n.unevaluatedProperties = false;
  });
  walk(schemas, (n) => {
    if (n.pattern === '^[2-6, 11-14]$') n.pattern = '^[0-9]$';
  });
  const language = schemas.LanguageObject;
  if (language && Array.isArray(language.required)) {
    language.required = language.required.filter((r) => r !== 'policy');
  }
  return schemas;
}

type Validator = ((value: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string }[] | null;
};

const SCHEMA_ID = 'https://tagih.test/whatsapp-oas';
let ajv: InstanceType<typeof Ajv2020.default> | undefined;
const validators = new Map<string, Validator>();

function compiler(): InstanceType<typeof Ajv2020.default> {
  if (ajv) return ajv;
  const schemas = repair(oasDocument().components.schemas);
  // OpenAPI's `discriminator`, `example` and friends are annotations here, hence strict: false.
  const instance = new Ajv2020.default({ strict: false, allErrors: true });
  addFormats.default(instance);
  const formats = new Set<string>();
  walk(schemas, (n) => {
    if (typeof n.format === 'string') formats.add(n.format);
  });
  // OpenAPI-only formats (int32, float, ...) carry no constraint JSON Schema can check.
  for (const f of formats) if (!instance.formats[f]) instance.addFormat(f, true);
  const rebased = JSON.parse(
    JSON.stringify(schemas).replaceAll(`"${REF}`, `"${SCHEMA_ID}#/$defs/`),
  ) as JsonObject;
  instance.addSchema({ $id: SCHEMA_ID, $defs: rebased });
  ajv = instance;
  return instance;
}

/** Validates `value` against `components.schemas[schemaName]` of the (repaired) spec. */
export function validateOas(schemaName: string, value: unknown): { valid: boolean; errors: string } {
  let validate = validators.get(schemaName);
  if (!validate) {
    if (!oasDocument().components.schemas[schemaName]) throw new Error(`no schema ${schemaName} in the spec`);
    validate = compiler().getSchema(`${SCHEMA_ID}#/$defs/${schemaName}`) as Validator;
    validators.set(schemaName, validate);
  }
  const valid = validate(value);
  const errors = valid
    ? ''
    : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`).join('; ');
  return { valid, errors };
}

function examplesOf(
  path: string,
  method: string,
  where: 'request' | 'response',
): { name: string; payload: unknown }[] {
  const op = oasDocument().paths[path]?.[method];
  const content =
    where === 'request'
      ? (op?.requestBody as JsonObject | undefined)?.content
      : ((op?.responses as JsonObject | undefined)?.['200'] as JsonObject | undefined)?.content;
  const examples =
    isObject(content) && isObject(content['application/json'])
      ? content['application/json'].examples
      : undefined;
  if (!isObject(examples)) throw new Error(`no ${where} examples for ${method.toUpperCase()} ${path}`);
  return Object.entries(examples).map(([name, ex]) => ({
    name,
    payload: isObject(ex) ? ex.value : undefined,
  }));
}

/** Meta's 16 webhook examples (text, reaction, image, ..., group events), one full payload each. */
export function oasWebhookExamples(): { name: string; payload: unknown }[] {
  return examplesOf('/whatsapp/webhooks', 'post', 'request');
}

/** Meta's send-request examples for `POST /{Version}/{Phone-Number-ID}/messages`. */
export function oasSendExamples(): { name: string; payload: unknown }[] {
  return examplesOf('/{Version}/{Phone-Number-ID}/messages', 'post', 'request');
}

/** Meta's 200-response examples for the same endpoint (send responses and mark-read `{success}`). */
export function oasSendResponseExamples(): { name: string; payload: unknown }[] {
  return examplesOf('/{Version}/{Phone-Number-ID}/messages', 'post', 'response');
}
