// Connect: the data store choice, the Redshift form with inline validation, Test Connection
// with each step's result, Save Connection, and the list of saved connections.
import { useEffect, useState } from 'preact/hooks';
import { api, type Connection, type DataStore, type TestReport } from '../lib/api';
import {
  emptyForm,
  fromSettings,
  hasErrors,
  toConnectionInput,
  validateRedshift,
  type FieldId,
  type RedshiftForm,
} from '../lib/validation';
import { Confirm, CopyButton, Empty, ErrorBox, Field, Loading, Success, formatTime, useId } from '../ui';

// Data stores the portal has a form for; the server lists the ones that work.
const STORE_LABELS: Record<string, string> = { redshift: 'Redshift' };

export function ConnectScreen() {
  const [stores, setStores] = useState<DataStore[] | null>(null);
  const [connections, setConnections] = useState<Connection[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [store, setStore] = useState<string>('');
  const [editing, setEditing] = useState<Connection | null>(null);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const [notice, setNotice] = useState('');

  const load = async () => {
    try {
      const [s, c] = await Promise.all([api.dataStores(), api.connections()]);
      setStores(s.data_stores.filter((d) => STORE_LABELS[d.id]));
      setConnections(c.connections);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, []);

  return (
    <section aria-labelledby="connect-h">
      <h1 id="connect-h">Connect</h1>
      <ErrorBox error={error} />
      {notice ? <Success>{notice}</Success> : null}

      <h2>Connections</h2>
      {connections === null && !error ? <Loading what="connections" /> : null}
      {connections && connections.length === 0 ? <Empty>No connections yet. Pick a data store below to add one.</Empty> : null}
      {connections && connections.length > 0 ? (
        <table class="list">
          <caption class="sr-only">Saved connections</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Target</th>
              <th scope="col">Region</th>
              <th scope="col">Saved tables</th>
              <th scope="col">Last fetched</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {connections.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{c.settings.workgroup ? `Workgroup ${c.settings.workgroup}` : `Cluster ${c.settings.cluster_identifier ?? ''}`}</td>
                <td>{c.settings.region}</td>
                <td>{c.saved_table_count}</td>
                <td>{formatTime(c.last_fetched_at)}</td>
                <td class="actions">
                  <button
                    type="button"
                    aria-label={`Edit ${c.name}`}
                    onClick={() => {
                      setEditing(c);
                      setStore(c.data_store);
                      setNotice('');
                    }}
                  >
                    Edit
                  </button>
                  <button type="button" class="danger" aria-label={`Delete ${c.name}`} onClick={() => setDeleting(c)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {deleting ? (
        <Confirm
          title="Delete connection"
          message={`Delete the connection “${deleting.name}”? Its saved metadata is deleted with it. This cannot be undone.`}
          confirm={`Delete ${deleting.name}`}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            const c = deleting;
            setDeleting(null);
            try {
              await api.deleteConnection(c.id);
              setNotice(`Deleted “${c.name}”.`);
              if (editing?.id === c.id) setEditing(null);
              await load();
            } catch (e) {
              setError(e);
            }
          }}
        />
      ) : null}

      <h2>{editing ? `Edit “${editing.name}”` : 'New connection'}</h2>
      <fieldset class="stores">
        <legend>Data Store</legend>
        {stores === null && !error ? <Loading what="data stores" /> : null}
        {stores && stores.length === 0 ? <Empty>This server offers no data store.</Empty> : null}
        {stores?.map((s) => (
          <label key={s.id} class="store-choice">
            <input
              type="radio"
              name="data-store"
              value={s.id}
              checked={store === s.id}
              disabled={editing !== null && editing.data_store !== s.id}
              onChange={() => setStore(s.id)}
            />
            {STORE_LABELS[s.id]}
          </label>
        ))}
      </fieldset>
      {store === 'redshift' ? (
        <RedshiftFormView
          key={editing?.id ?? 'new'}
          store={stores?.find((s) => s.id === 'redshift') ?? null}
          editing={editing}
          onSaved={async (c, created) => {
            setNotice(created ? `Saved “${c.name}”. Next: Metadata, Fetch Metadata.` : `Updated “${c.name}”.`);
            setEditing(null);
            setStore('');
            await load();
          }}
          onCancel={() => {
            setEditing(null);
            setStore('');
          }}
        />
      ) : null}
    </section>
  );
}

function RedshiftFormView(props: {
  store: DataStore | null;
  editing: Connection | null;
  onSaved: (c: Connection, created: boolean) => void;
  onCancel: () => void;
}) {
  const { editing } = props;
  const secretSet = editing?.secrets_set.includes('secret_access_key') ?? false;
  const [form, setForm] = useState<RedshiftForm>(() => (editing ? fromSettings(editing.name, editing.settings) : emptyForm()));
  const [touched, setTouched] = useState<Set<FieldId>>(new Set());
  const [showAll, setShowAll] = useState(false);
  const [report, setReport] = useState<TestReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'' | 'test' | 'save'>('');
  const targetId = useId('target');

  const errors = validateRedshift(form, secretSet);
  const shown = (k: FieldId) => (showAll || touched.has(k) ? errors[k] : undefined);
  const help = (id: string) => props.store?.fields.find((f) => f.id === id)?.help;
  const set = (k: FieldId) => (v: string) => {
    setForm((f) => ({ ...f, [k]: v }));
    setTouched((t) => new Set(t).add(k));
  };
  const check = (): boolean => {
    setShowAll(true);
    if (hasErrors(errors)) {
      setError(new Error('Fix the fields marked above first.'));
      return false;
    }
    return true;
  };
  const unchangedSettings = () => {
    if (!editing) return false;
    const input = toConnectionInput(form);
    const a = JSON.stringify(Object.entries(input.settings).sort());
    const b = JSON.stringify(Object.entries(editing.settings).filter(([, v]) => v !== '').sort());
    return a === b;
  };

  const test = async () => {
    setError(null);
    setReport(null);
    if (!check()) return;
    setBusy('test');
    try {
      const input = toConnectionInput(form);
      if (editing && !input.secrets.secret_access_key) {
        if (!unchangedSettings()) {
          throw new Error('Type the Secret Key again to test changed settings, or save them and test the saved connection.');
        }
        setReport(await api.testConnection(editing.id));
      } else {
        setReport(await api.testSettings(input));
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy('');
    }
  };

  const save = async () => {
    setError(null);
    if (!check()) return;
    setBusy('save');
    try {
      const input = toConnectionInput(form);
      let c: Connection;
      if (editing) {
        const patch: Record<string, unknown> = { name: input.name, settings: input.settings };
        if (input.secrets.secret_access_key) patch.secrets = input.secrets;
        c = await api.updateConnection(editing.id, patch);
      } else {
        c = await api.createConnection(input);
      }
      setForm(emptyForm()); // the secret leaves the page's state
      props.onSaved(c, !editing);
    } catch (e) {
      setError(e);
    } finally {
      setBusy('');
    }
  };

  return (
    <form
      class="card connection-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <Field label="Connection name" value={form.name} onInput={set('name')} error={shown('name')} placeholder="analytics" required />
      <Field label="Access Key ID" value={form.access_key_id} onInput={set('access_key_id')} error={shown('access_key_id')} help={help('access_key_id')} placeholder="AKIA…" required />
      <Field
        label="Secret Key"
        type="password"
        autoComplete="new-password"
        value={form.secret_access_key}
        onInput={set('secret_access_key')}
        error={shown('secret_access_key')}
        placeholder={secretSet ? 'Set (leave empty to keep it)' : ''}
        help={secretSet ? 'A secret key is set. It is never shown; leave this empty to keep it, or type a new one.' : help('secret_access_key')}
        required={!secretSet}
      />
      <Field label="Region" value={form.region} onInput={set('region')} error={shown('region')} placeholder="us-east-1" help={help('region')} required />
      <fieldset class="target" aria-describedby={`${targetId}-h`}>
        <legend>Warehouse</legend>
        <p class="help" id={`${targetId}-h`}>
          Redshift Serverless workgroup or provisioned cluster.
        </p>
        <label class="radio">
          <input type="radio" name={targetId} checked={form.target === 'serverless'} onChange={() => setForm((f) => ({ ...f, target: 'serverless' }))} />
          Serverless
        </label>
        <label class="radio">
          <input type="radio" name={targetId} checked={form.target === 'provisioned'} onChange={() => setForm((f) => ({ ...f, target: 'provisioned' }))} />
          Provisioned
        </label>
        {form.target === 'serverless' ? (
          <Field label="Workgroup" value={form.workgroup} onInput={set('workgroup')} error={shown('workgroup')} placeholder="default-workgroup" help={help('workgroup')} required />
        ) : (
          <>
            <Field
              label="Cluster identifier"
              value={form.cluster_identifier}
              onInput={set('cluster_identifier')}
              error={shown('cluster_identifier')}
              placeholder="my-cluster"
              help={help('cluster_identifier')}
              required
            />
            <Field label="Database user" optional value={form.database_user} onInput={set('database_user')} error={shown('database_user')} help={help('database_user')} />
          </>
        )}
      </fieldset>
      <Field label="Database" value={form.database} onInput={set('database')} error={shown('database')} placeholder="dev" help={help('database')} required />
      <Field label="Secrets Manager secret ARN" optional value={form.secret_arn} onInput={set('secret_arn')} error={shown('secret_arn')} help={help('secret_arn')} />
      <Field
        label="Role ARN"
        optional
        value={form.role_arn}
        onInput={set('role_arn')}
        error={shown('role_arn')}
        placeholder="arn:aws:iam::123456789012:role/schemaport"
        help={help('role_arn') ?? 'Optional: assume this IAM role (sts:AssumeRole) with the access key above.'}
      />
      <Field label="External ID" optional value={form.external_id} onInput={set('external_id')} error={shown('external_id')} help={help('external_id') ?? 'The external ID the role’s trust policy requires, if any.'} />

      <div class="actions">
        <button type="button" onClick={test} disabled={busy !== ''}>
          Test Connection
        </button>
        <button type="submit" class="primary" disabled={busy !== ''}>
          Save Connection
        </button>
        {editing ? (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
        {busy === 'test' ? <Loading what="test results" /> : null}
        {busy === 'save' ? <Loading what="the saved connection" /> : null}
      </div>
      <ErrorBox error={error} />
      {report ? <TestReportView report={report} /> : null}
    </form>
  );
}

const STATUS_TEXT = { ok: 'Passed', failed: 'Failed', skipped: 'Skipped' } as const;

export function TestReportView({ report }: { report: TestReport }) {
  return (
    <section class="test-report" aria-label="Test results">
      <p class={report.ok ? 'state state-success' : 'state state-error'} role="status">
        {report.ok ? 'All steps passed.' : 'The connection test failed. The failed step says how to fix it.'}
      </p>
      <ol class="steps">
        {report.steps.map((s) => (
          <li key={s.id} class={`step step-${s.status}`} data-status={s.status}>
            <p class="step-head">
              <span class="step-status">{STATUS_TEXT[s.status] ?? s.status}</span>
              <span class="step-title">{s.title}</span>
            </p>
            {s.detail ? <p class="step-detail">{s.detail}</p> : null}
            {s.fix ? (
              <div class="step-fix">
                <pre>
                  <code>{s.fix}</code>
                </pre>
                <CopyButton text={s.fix} label={`Copy the fix for ${s.title}`} />
              </div>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
