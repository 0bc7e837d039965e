// Signs requests with the official AWS signer (@smithy/signature-v4) for the SigV4 cross-check
// (src/aws/sigv4_crosscheck_test.cc). Input: a file of JSON lines, one request each:
//   {method, path, query: [[key, value], ...] (decoded), headers: [[name, value], ...], body,
//    region, service, time_ms, access_key_id, secret_access_key, session_token, sign_body}
// Output (the file named by the second argument): one JSON line per request:
//   {"authorization": "<Authorization header>"}.
//
// Semantics shared with our signer (documented in src/aws/aws.h):
//  - `path` is the wire path; uriEscapePath: true (smithy's default for every service but S3)
//    normalises it and escapes it once more, i.e. AWS's double encoding for non-S3 services.
//  - the query is given decoded; repeated keys become arrays, as smithy's HttpRequest holds them.
//  - sign_body maps to applyChecksum (adds and signs x-amz-content-sha256).
import { readFileSync, writeFileSync } from "node:fs";
import { SignatureV4 } from "@smithy/signature-v4";
import { HttpRequest } from "@smithy/protocol-http";
import { Sha256 } from "@aws-crypto/sha256-js";

const lines = readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.length > 0);
const out = [];
for (const line of lines) {
  const r = JSON.parse(line);
  const query = Object.create(null);
  for (const [k, v] of r.query) {
    if (!(k in query)) query[k] = v;
    else if (Array.isArray(query[k])) query[k].push(v);
    else query[k] = [query[k], v];
  }
  const headers = {};
  for (const [k, v] of r.headers) headers[k] = v;
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: r.access_key_id,
      secretAccessKey: r.secret_access_key,
      ...(r.session_token ? { sessionToken: r.session_token } : {}),
    },
    region: r.region,
    service: r.service,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: r.sign_body,
  });
  const request = new HttpRequest({
    method: r.method,
    protocol: "https:",
    hostname: "example.amazonaws.com",
    path: r.path,
    query: { ...query },
    headers,
    body: r.body,
  });
  const signed = await signer.sign(request, { signingDate: new Date(r.time_ms) });
  out.push(JSON.stringify({ authorization: signed.headers["authorization"] }));
}
writeFileSync(process.argv[3], out.join("\n") + "\n");
