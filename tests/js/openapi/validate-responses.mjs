// Validates recorded HTTP responses against docs/api/openapi.yaml (OpenAPI 3.1, JSON Schema
// 2020-12) with ajv. Used by tests/integration/api_test.cc, which records every response it gets.
//
//   node validate-responses.mjs OPENAPI_YAML RESPONSES_JSONL
//
// Each line of RESPONSES_JSONL: {"method","path","status","content_type","body"}. A response is
// valid when the operation (method + path matched against the document's path templates)
// declares its status (or `default`) with the same media type, and the body validates against
// that media type's schema. Prints one line per failure and a closing "N passed, N failed".
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const [specPath, responsesPath] = process.argv.slice(2);
if (!specPath || !responsesPath) {
  console.error('usage: validate-responses.mjs OPENAPI_YAML RESPONSES_JSONL');
  process.exit(2);
}
const spec = YAML.parse(readFileSync(specPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, 'openapi.json');

const escape = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const templates = Object.keys(spec.paths).map((template) => ({
  template,
  regex: new RegExp('^' + template.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '{' || c === '}' ? c : '\\' + c))
    .replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));

function resolve(obj) {
  while (obj && obj.$ref) {
    const parts = obj.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    obj = parts.reduce((o, k) => o[k], spec);
  }
  return obj;
}

const validators = new Map();
function validatorFor(pointer) {
  if (!validators.has(pointer)) validators.set(pointer, ajv.getSchema('openapi.json#' + pointer) ?? ajv.compile({ $ref: 'openapi.json#' + pointer }));
  return validators.get(pointer);
}

let passed = 0;
let failed = 0;
const fail = (r, why) => {
  failed++;
  console.log(`FAIL ${r.method} ${r.path} ${r.status}: ${why}`);
};
const lines = readFileSync(responsesPath, 'utf8').split('\n').filter((l) => l.trim() !== '');
for (const line of lines) {
  const r = JSON.parse(line);
  const match = templates.find((t) => t.regex.test(r.path));
  const operation = match && spec.paths[match.template][r.method.toLowerCase()];
  if (!operation && r.method === 'GET' && !r.path.startsWith('/api/') && r.status === 200 &&
      r.body.trimStart().toLowerCase().startsWith('<!doctype html')) {
    // The portal (src/portal): every GET outside /api answers its single-page app's index.html.
    passed++;
    continue;
  }
  if (!operation) {
    // An undocumented path or method must answer with the error schema (404, 405).
    if (r.status !== 404 && r.status !== 405) { fail(r, 'not in the document, yet not answered 404/405'); continue; }
    const validate = validatorFor('/components/schemas/Error');
    let body;
    try { body = JSON.parse(r.body); } catch { fail(r, 'body is not JSON'); continue; }
    if (validate(body)) passed++;
    else fail(r, ajv.errorsText(validate.errors));
    continue;
  }
  let statusKey = String(r.status);
  if (!operation.responses[statusKey]) statusKey = 'default';
  const response = resolve(operation.responses[statusKey]);
  if (!response) { fail(r, `status ${r.status} is not declared`); continue; }
  if (!response.content) {
    if (r.body !== '') fail(r, 'a body where the document declares none');
    else passed++;
    continue;
  }
  const mediaType = (r.content_type || '').split(';')[0].trim();
  if (!response.content[mediaType]) { fail(r, `media type "${mediaType}" is not declared`); continue; }
  if (mediaType !== 'application/json') { passed++; continue; }
  let body;
  try { body = JSON.parse(r.body); } catch (e) { fail(r, 'body is not JSON'); continue; }
  // The schema's pointer inside the document, through the (possibly $ref'd) response object.
  const responseRef = operation.responses[statusKey].$ref;
  const base = responseRef
    ? responseRef.replace(/^#/, '')
    : `/paths/${escape(match.template)}/${r.method.toLowerCase()}/responses/${statusKey}`;
  const validate = validatorFor(`${base}/content/${escape(mediaType)}/schema`);
  if (validate(body)) {
    passed++;
  } else {
    fail(r, ajv.errorsText(validate.errors, { separator: '; ' }) + ' body: ' + r.body.slice(0, 300));
  }
}
console.log(`openapi: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
