// Settings: users (admins add and remove), API tokens (shown once at creation, revocable), key
// rotation (admins) and the audit log (admins).
import { useEffect, useState } from 'preact/hooks';
import { api, type Session, type User } from '../lib/api';
import { Confirm, CopyButton, Empty, ErrorBox, Field, Loading, Success, formatTime, useId } from '../ui';

export function SettingsScreen({ session }: { session: Session }) {
  const admin = session.user.role === 'admin';
  return (
    <section aria-labelledby="settings-h">
      <h1 id="settings-h">Settings</h1>
      <p class="meta-line">
        Signed in as {session.user.email} ({session.user.role}) in {session.org.name}.
      </p>
      {admin ? <Users self={session.user} /> : null}
      <Tokens />
      {admin ? <KeyRotation /> : null}
      {admin ? <Audit /> : null}
    </section>
  );
}

function Users({ self }: { self: User }) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('member');
  const [notice, setNotice] = useState('');
  const [removing, setRemoving] = useState<User | null>(null);
  const roleId = useId('role');
  const load = () => api.users().then((r) => setUsers(r.users), setError);
  useEffect(() => void load(), []);
  return (
    <section class="card" aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <ErrorBox error={error} />
      {notice ? <Success>{notice}</Success> : null}
      {users === null && !error ? <Loading what="users" /> : null}
      {users ? (
        <table class="list">
          <caption class="sr-only">Users</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Added</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>{formatTime(u.created_at)}</td>
                <td>
                  {u.id !== self.id ? (
                    <button type="button" class="danger" aria-label={`Remove ${u.email}`} onClick={() => setRemoving(u)}>
                      Remove
                    </button>
                  ) : (
                    'you'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {removing ? (
        <Confirm
          title="Remove user"
          message={`Remove ${removing.email}? Their sessions and API tokens stop working.`}
          confirm={`Remove ${removing.email}`}
          onCancel={() => setRemoving(null)}
          onConfirm={async () => {
            const u = removing;
            setRemoving(null);
            try {
              await api.deleteUser(u.id);
              setNotice(`Removed ${u.email}.`);
              load();
            } catch (e) {
              setError(e);
            }
          }}
        />
      ) : null}
      <form
        class="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            const u = await api.addUser({ email: email.trim(), password, role });
            setNotice(`Added ${u.email}.`);
            setEmail('');
            setPassword('');
            load();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h3>Add a user</h3>
        <Field label="New user's email" type="email" value={email} onInput={setEmail} required />
        <Field label="Initial password" type="password" autoComplete="new-password" value={password} onInput={setPassword} required />
        <div class="field">
          <label for={roleId}>Role</label>
          <select id={roleId} value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <button type="submit" disabled={!email || !password}>
          Add user
        </button>
      </form>
    </section>
  );
}

function Tokens() {
  const [tokens, setTokens] = useState<{ id: string; name: string; created_at: string; expires_at: string | null }[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const load = () => api.tokens().then((r) => setTokens(r.tokens), setError);
  useEffect(() => void load(), []);
  return (
    <section class="card" aria-labelledby="tokens-h">
      <h2 id="tokens-h">API tokens</h2>
      <p class="help">
        For scripts and the CLI: send <code>Authorization: Bearer &lt;token&gt;</code>. A token is shown once, when it is created.
      </p>
      <ErrorBox error={error} />
      {created ? (
        <div class="state state-success once" role="status">
          <p>
            Token “{created.name}” created. Copy it now: it will not be shown again.
          </p>
          <pre>
            <code>{created.secret}</code>
          </pre>
          <CopyButton text={created.secret} label="Copy the new token" />
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      {tokens === null && !error ? <Loading what="tokens" /> : null}
      {tokens && tokens.length === 0 ? <Empty>No API tokens.</Empty> : null}
      {tokens && tokens.length > 0 ? (
        <table class="list">
          <caption class="sr-only">API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{formatTime(t.created_at)}</td>
                <td>{t.expires_at ? formatTime(t.expires_at) : 'never'}</td>
                <td>
                  <button type="button" class="danger" aria-label={`Revoke ${t.name}`} onClick={() => setRevoking(t)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {revoking ? (
        <Confirm
          title="Revoke token"
          message={`Revoke the token “${revoking.name}”? Scripts using it stop working at once.`}
          confirm={`Revoke ${revoking.name}`}
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            const t = revoking;
            setRevoking(null);
            try {
              await api.revokeToken(t.id);
              load();
            } catch (e) {
              setError(e);
            }
          }}
        />
      ) : null}
      <form
        class="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            const r = await api.createToken(name.trim());
            setCreated({ name: r.token.name, secret: r.secret });
            setName('');
            load();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <Field label="Token name" value={name} onInput={setName} required />
        <button type="submit" disabled={!name.trim()}>
          Create token
        </button>
      </form>
    </section>
  );
}

function KeyRotation() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const [confirming, setConfirming] = useState(false);
  return (
    <section class="card" aria-labelledby="keys-h">
      <h2 id="keys-h">Encryption key</h2>
      <p class="help">Rotating creates a new master key and re-seals every stored secret and metadata key under it. The key itself is never shown.</p>
      <ErrorBox error={error} />
      {done ? <Success>{done}</Success> : null}
      {confirming ? (
        <Confirm
          title="Rotate the key"
          message="Rotate the master key now? Stored data is re-sealed; this can take a moment."
          confirm="Rotate now"
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            setConfirming(false);
            setBusy(true);
            setError(null);
            try {
              const r = await api.rotateKey();
              setDone(r.key_id ? `Rotated. The current key is ${r.key_id}.` : 'Rotated.');
            } catch (e) {
              setError(e);
            } finally {
              setBusy(false);
            }
          }}
        />
      ) : (
        <button type="button" disabled={busy} onClick={() => setConfirming(true)}>
          Rotate key
        </button>
      )}
      {busy ? <Loading what="key rotation" /> : null}
    </section>
  );
}

function Audit() {
  const [events, setEvents] = useState<{ id: string; at: string; actor_id: string; action: string; target_id: string; detail: string }[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => void api.audit(100).then((r) => setEvents(r.events), setError), []);
  return (
    <section class="card" aria-labelledby="audit-h">
      <h2 id="audit-h">Audit log</h2>
      <ErrorBox error={error} />
      {events === null && !error ? <Loading what="the audit log" /> : null}
      {events && events.length === 0 ? <Empty>No events yet.</Empty> : null}
      {events && events.length > 0 ? (
        <div class="scroll" tabIndex={0} role="region" aria-label="Audit events">
          <table class="list">
            <caption class="sr-only">The last {events.length} audit events</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{formatTime(e.at)}</td>
                  <td>{e.actor_id}</td>
                  <td>{e.action}</td>
                  <td>{e.target_id}</td>
                  <td>{e.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
