// The shell: first-run setup, login, the sidebar and the screens. Routing is by path (the
// server answers every non-API path with index.html). A 401 from any authenticated call sends
// the user to login and, once logged in, back to where they were.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, onSessionExpired, setCsrfToken, type Session } from './lib/api';
import { ErrorBox, Field, Loading } from './ui';
import { ConnectScreen } from './screens/connect';
import { MetadataScreen } from './screens/metadata';
import { DataMapScreen } from './screens/datamap';
import { SettingsScreen } from './screens/settings';

const ROUTES: { path: string; label: string }[] = [
  { path: '/connect', label: 'Connect' },
  { path: '/metadata', label: 'Metadata' },
  { path: '/data-map', label: 'Data Map' },
  { path: '/settings', label: 'Settings' },
];
const RETURN_KEY = 'schemaport.return';

export function navigate(path: string) {
  if (location.pathname + location.search !== path) history.pushState(null, '', path);
  window.dispatchEvent(new Event('schemaport:navigate'));
}

function usePath(): string {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setPath(location.pathname + location.search);
    window.addEventListener('popstate', update);
    window.addEventListener('schemaport:navigate', update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('schemaport:navigate', update);
    };
  }, []);
  return path;
}

type Phase = { kind: 'loading' } | { kind: 'setup' } | { kind: 'login'; expired: boolean } | { kind: 'in'; session: Session } | { kind: 'error'; error: unknown };

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const path = usePath();

  const signedIn = (s: Session) => {
    setCsrfToken(s.csrf_token);
    setPhase({ kind: 'in', session: s });
    const back = sessionStorage.getItem(RETURN_KEY);
    sessionStorage.removeItem(RETURN_KEY);
    const here = location.pathname;
    if (back && back !== '/login' && back !== '/setup') navigate(back);
    else if (here === '/' || here === '/login' || here === '/setup') navigate('/connect');
  };

  useEffect(() => {
    onSessionExpired(() => {
      const here = location.pathname + location.search;
      if (here !== '/login' && here !== '/setup') sessionStorage.setItem(RETURN_KEY, here);
      setCsrfToken('');
      setPhase({ kind: 'login', expired: true });
    });
    (async () => {
      try {
        const { needed } = await api.setupNeeded();
        if (needed) {
          setPhase({ kind: 'setup' });
          return;
        }
        try {
          signedIn(await api.me());
        } catch (e) {
          if (e instanceof ApiError && e.status === 401) {
            const here = location.pathname + location.search;
            if (here !== '/' && here !== '/login' && here !== '/setup') sessionStorage.setItem(RETURN_KEY, here);
            setPhase({ kind: 'login', expired: false });
          } else throw e;
        }
      } catch (e) {
        setPhase({ kind: 'error', error: e });
      }
    })();
  }, []);

  useEffect(() => {
    const titles: Record<string, string> = { setup: 'Set up', login: 'Log in' };
    const route = ROUTES.find((r) => path.startsWith(r.path));
    document.title = `${phase.kind === 'in' ? route?.label ?? 'schemaport' : titles[phase.kind] ?? 'schemaport'} · schemaport`;
  }, [phase.kind, path]);

  if (phase.kind === 'loading')
    return (
      <main class="center">
        <Loading what="schemaport" />
      </main>
    );
  if (phase.kind === 'error')
    return (
      <main class="center">
        <h1>schemaport</h1>
        <ErrorBox error={phase.error} />
      </main>
    );
  if (phase.kind === 'setup') return <SetupScreen onDone={signedIn} />;
  if (phase.kind === 'login') return <LoginScreen expired={phase.expired} onDone={signedIn} />;

  const session = phase.session;
  const route = ROUTES.find((r) => path.startsWith(r.path)) ?? ROUTES[0];
  return (
    <div class="shell">
      <nav class="sidebar" aria-label="Main">
        <p class="brand">schemaport</p>
        <ul>
          {ROUTES.map((r) => (
            <li key={r.path}>
              <a
                href={r.path}
                aria-current={r === route ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(r.path);
                }}
              >
                {r.label}
              </a>
            </li>
          ))}
        </ul>
        <div class="who">
          <p class="org">{session.org.name}</p>
          <p class="email">{session.user.email}</p>
          <button
            type="button"
            onClick={async () => {
              try {
                await api.logout();
              } catch {
                // Already logged out: the login screen is where the user goes either way.
              }
              setCsrfToken('');
              sessionStorage.removeItem(RETURN_KEY);
              history.pushState(null, '', '/login');
              setPhase({ kind: 'login', expired: false });
            }}
          >
            Log out
          </button>
        </div>
      </nav>
      <main class="content" id="main">
        {route.path === '/connect' && <ConnectScreen />}
        {route.path === '/metadata' && <MetadataScreen />}
        {route.path === '/data-map' && <DataMapScreen />}
        {route.path === '/settings' && <SettingsScreen session={session} />}
      </main>
    </div>
  );
}

function SetupScreen({ onDone }: { onDone: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [organization, setOrganization] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);
  const errs: Record<string, string> = {};
  if (!token.trim()) errs.token = 'is required (it was printed when schemaport serve started)';
  if (!organization.trim()) errs.organization = 'is required';
  if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) errs.email = 'is not an email address';
  if (password.length < 12) errs.password = 'must be at least 12 characters';
  return (
    <main class="center">
      <form
        class="card auth"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setTouched(true);
          if (Object.keys(errs).length) return;
          setBusy(true);
          setError(null);
          try {
            onDone(await api.setup({ token: token.trim(), organization: organization.trim(), email: email.trim(), password }));
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>Set up schemaport</h1>
        <p class="help">Create your organization and its first administrator.</p>
        <Field label="Setup token" value={token} onInput={setToken} error={touched ? errs.token : undefined} required />
        <Field label="Organization" value={organization} onInput={setOrganization} error={touched ? errs.organization : undefined} required />
        <Field label="Email" type="email" autoComplete="username" value={email} onInput={setEmail} error={touched ? errs.email : undefined} required />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onInput={setPassword}
          error={touched ? errs.password : undefined}
          required
        />
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Set up
        </button>
      </form>
    </main>
  );
}

function LoginScreen({ expired, onDone }: { expired: boolean; onDone: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (location.pathname !== '/login' && !expired) history.replaceState(null, '', '/login');
  }, [expired]);
  return (
    <main class="center">
      <form
        class="card auth"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            onDone(await api.login(email.trim(), password));
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>Log in to schemaport</h1>
        {expired ? (
          <p class="state state-info" role="status">
            Your session has ended. Log in again to continue where you were.
          </p>
        ) : null}
        <Field label="Email" type="email" autoComplete="username" value={email} onInput={setEmail} required />
        <Field label="Password" type="password" autoComplete="current-password" value={password} onInput={setPassword} required />
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy || !email || !password}>
          Log in
        </button>
      </form>
    </main>
  );
}
