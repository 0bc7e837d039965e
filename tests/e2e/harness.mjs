// Test harness for the portal end-to-end tests: a private PostgreSQL cluster, the aws-emulator
// in front of it, `schemaport serve`, and Debian's Chromium driven by playwright-core. Every
// process is a child of this one, started on port 0 or a just-freed port in a temp dir, and
// stopped by stopAll() (and on exit). Never downloads a browser.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const binDir = process.env.SCHEMAPORT_BIN_DIR ?? path.join(root, 'build/bin');
export const artifactsDir = process.env.SCHEMAPORT_E2E_ARTIFACTS ?? path.join(root, 'build/e2e-artifacts');

const children = new Set();
const tempDirs = [];
process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  if (!process.env.SCHEMAPORT_KEEP_TMP) for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  tempDirs.push(d);
  return d;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Starts a child with its output in `logPath`; `onOutput` sees the text as it arrives.
function startChild(argv, { env = {}, logPath, user, cwd } = {}) {
  let cmd = argv[0];
  let args = argv.slice(1);
  if (user && process.getuid() === 0) {
    args = ['-u', user, '--', cmd, ...args];
    cmd = 'runuser';
  }
  // SCHEMAPORT_* variables are settings to schemaport (unknown ones are errors): the test's own
  // (SCHEMAPORT_BIN_DIR, ...) are not passed on.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SCHEMAPORT_')));
  const child = spawn(cmd, args, { env: { ...base, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  children.add(child);
  const log = fs.createWriteStream(logPath);
  let text = '';
  const listeners = new Set();
  const onData = (b) => {
    const s = b.toString();
    text += s;
    log.write(s);
    for (const l of listeners) l(text);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', () => {
    children.delete(child);
    for (const l of listeners) l(text);
  });
  return {
    child,
    log: () => text,
    waitFor(re, timeoutMs = 30000) {
      return new Promise((resolve, reject) => {
        const check = (t) => {
          const m = t.match(re);
          if (m) {
            cleanup();
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`${path.basename(argv[0])} exited before printing ${re}; output:\n${t.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${path.basename(argv[0])} did not print ${re} within ${timeoutMs} ms; output:\n${text.slice(-4000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check(text);
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

function pgBinDir() {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (fs.existsSync(path.join(base, v, 'bin/postgres'))) return path.join(base, v, 'bin');
  throw new Error('PostgreSQL server binaries not found (install postgresql, or set PG_BINDIR)');
}

// A private PostgreSQL cluster (as the postgres user when running as root).
export async function startPostgres() {
  const bin = pgBinDir();
  const dir = tempDir('schemaport-e2e-pg');
  const asRoot = process.getuid() === 0;
  const user = asRoot ? 'postgres' : os.userInfo().username;
  if (asRoot) spawnSync('chown', ['-R', 'postgres', dir]);
  const data = path.join(dir, 'data');
  const init = spawnSync(asRoot ? 'runuser' : path.join(bin, 'initdb'), [
    ...(asRoot ? ['-u', 'postgres', '--', path.join(bin, 'initdb')] : []),
    '-D', data, '-U', user, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions',
  ], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stdout}${init.stderr}`);
  for (let attempt = 0; attempt < 5; ++attempt) {
    const port = await freePort();
    const pg = startChild(
      [path.join(bin, 'postgres'), '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
        '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'log_min_messages=warning'],
      { logPath: path.join(dir, 'postgres.log'), user: asRoot ? 'postgres' : undefined, cwd: dir },
    );
    const ready = await waitUntil(() => psqlOk(port, user), 30000, () => pg.child.exitCode !== null);
    if (ready) {
      // Signal the postmaster itself: runuser (when root) does not pass signals on.
      const postmasterPid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return {
        port,
        superuser: user,
        sql(db, text) {
          const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-c', text], {
            encoding: 'utf8',
          });
          if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
          return r.stdout;
        },
        async stop() {
          try {
            process.kill(postmasterPid, 'SIGINT');
          } catch {
            // already gone
          }
          await pg.stop('SIGINT', 10000);
        },
      };
    }
    await pg.stop('SIGINT');
    if (!/could not bind|already in use/i.test(pg.log())) throw new Error(`PostgreSQL did not start:\n${pg.log()}`);
  }
  throw new Error('PostgreSQL could not bind a free port');
}

function psqlOk(port, user) {
  return spawnSync('psql', ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-c', 'select 1'], { stdio: 'ignore' }).status === 0;
}

async function waitUntil(probe, timeoutMs, gaveUp = () => false) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await probe()) return true;
    if (gaveUp()) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

// The identities the tests use. alice may do everything; bob may use the Data API but may not
// get credentials for the workgroup (no redshift-serverless:GetCredentials).
export const identities = {
  alice: { key: 'AKIAE2EALICE00000000', secret: 'e2e/Alice+Secret0Key0000000000000000000a', user: 'alice' },
  bob: { key: 'AKIAE2EBOB0000000000', secret: 'e2e/Bob+Secret0Key000000000000000000000b', user: 'bob' },
};
export const WORKGROUP = 'analytics';
export const REGION = 'us-east-1';

export async function startEmulator(pg, database) {
  const dir = tempDir('schemaport-e2e-emu');
  const config = `account_id = "123456789012"
region = "${REGION}"
seed = 7
[postgres]
host = "127.0.0.1"
port = ${pg.port}
superuser = "${pg.superuser}"
[[users]]
name = "alice"
access_key_id = "${identities.alice.key}"
secret_access_key = "${identities.alice.secret}"
allow = ["redshift-data:*", "redshift-serverless:GetCredentials", "redshift:GetClusterCredentials",
         "redshift:GetClusterCredentialsWithIAM", "secretsmanager:GetSecretValue"]
[[users]]
name = "bob"
access_key_id = "${identities.bob.key}"
secret_access_key = "${identities.bob.secret}"
allow = ["redshift-data:*"]
[[workgroups]]
name = "${WORKGROUP}"
databases = { "${database}" = "${database}" }
`;
  fs.writeFileSync(path.join(dir, 'emulator.toml'), config);
  const emu = startChild(
    [path.join(binDir, 'aws-emulator'), '--config', path.join(dir, 'emulator.toml'), '--port', '0', '--admin-port', '0',
      '--statement-log', path.join(dir, 'statements.jsonl')],
    { logPath: path.join(dir, 'emulator.log') },
  );
  const m = await emu.waitFor(/"admin_port":(\d+).*"port":(\d+).*"tls":(true|false)/, 30000);
  return { endpoint: `${m[3] === 'true' ? 'https' : 'http'}://127.0.0.1:${m[2]}`, adminPort: Number(m[1]), stop: () => emu.stop() };
}

// `schemaport serve` on a fresh data dir, talking to the emulator. Resolves once it prints the
// portal URL; the setup token is read from its output.
export async function startServer(emulator) {
  const dir = tempDir('schemaport-e2e-srv');
  const srv = startChild([path.join(binDir, 'schemaport'), 'serve', '--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:0'], {
    logPath: path.join(dir, 'serve.log'),
    env: { AWS_ENDPOINT_URL: emulator.endpoint, AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  const url = await srv.waitFor(/(https?:\/\/127\.0\.0\.1:\d+)\/?/, 60000);
  const token = await srv.waitFor(/[Ss]etup token:?\s*([A-Za-z0-9_\-.~+/=]{8,})/, 10000);
  return { url: url[1], setupToken: token[1], log: srv.log, stop: () => srv.stop() };
}

// Serves a directory as the server does (SPA fallback to index.html) with the server's CSP, so
// tests that stub the API still prove the portal runs under `script-src 'self'`.
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
export async function serveStatic(dir) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = path.join(dir, path.normalize(p));
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dir, 'index.html');
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((r) => server.close(r)) };
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

// Debian's Chromium with a fresh profile. Console errors and CSP violations are collected.
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) throw new Error(`${executablePath} not found: install Debian's chromium (scripts/install-deps)`);
  const profile = tempDir('schemaport-e2e-chromium');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: false,
  });
  const problems = [];
  context.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|404|403|409)/.test(m.text())) problems.push(m.text());
  });
  context.on('weberror', (e) => problems.push(String(e.error())));
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, problems, close: () => context.close() };
}

export async function screenshot(page, name) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  if (process.env.SCHEMAPORT_UPDATE_DOC_IMAGES) fs.copyFileSync(file, path.join(root, 'docs/img', `${name}.png`));
  return file;
}

export function distDir() {
  const candidates = [process.env.SCHEMAPORT_WEB_DIST, path.join(root, 'build/src/portal/web-dist'), path.join(root, 'web/dist')];
  for (const c of candidates) if (c && fs.existsSync(path.join(c, 'index.html'))) return c;
  throw new Error('the built portal was not found: run the build first (cmake --build build)');
}
