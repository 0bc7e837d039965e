// Metadata: pick a connection, Fetch Metadata (a job with progress and cancel), choose tables in
// the tree or by Include/Exclude patterns, Save Metadata, Refresh with change marks, and the
// saved tables with their columns.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, waitForJob, type Connection, type Job, type SavedTable, type TableDetail } from '../lib/api';
import { CatalogModel, isFiltering, matchingTables, type MarkFilter, type View } from '../lib/catalog';
import { splitPatterns } from '../lib/glob';
import { Empty, ErrorBox, Loading, ProgressBar, Success, formatTime, useId } from '../ui';
import { CatalogTree } from './tree';

const CONNECTION_KEY = 'schemaport.connection';

export function useConnections() {
  const [connections, setConnections] = useState<Connection[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.connections().then(
      (r) => setConnections(r.connections),
      (e) => setError(e),
    );
  }, []);
  return { connections, error };
}

export function ConnectionPicker(props: { connections: Connection[]; value: string; onChange: (id: string) => void }) {
  const id = useId('conn');
  return (
    <div class="field inline">
      <label for={id}>Connection</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {props.connections.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </div>
  );
}

export function initialConnection(connections: Connection[]): string {
  const remembered = sessionStorage.getItem(CONNECTION_KEY);
  if (remembered && connections.some((c) => c.id === remembered)) return remembered;
  return connections[0]?.id ?? '';
}

export function MetadataScreen() {
  const { connections, error } = useConnections();
  const [connectionId, setConnectionId] = useState('');
  useEffect(() => {
    if (connections && !connectionId) setConnectionId(initialConnection(connections));
  }, [connections]);
  return (
    <section aria-labelledby="metadata-h">
      <h1 id="metadata-h">Metadata</h1>
      <ErrorBox error={error} />
      {connections === null && !error ? <Loading what="connections" /> : null}
      {connections && connections.length === 0 ? <Empty>No connection yet. Add one under Connect first.</Empty> : null}
      {connections && connections.length > 0 && connectionId ? (
        <>
          <ConnectionPicker
            connections={connections}
            value={connectionId}
            onChange={(id) => {
              sessionStorage.setItem(CONNECTION_KEY, id);
              setConnectionId(id);
            }}
          />
          <MetadataPanel key={connectionId} connectionId={connectionId} />
        </>
      ) : null}
    </section>
  );
}

type CatalogState = { kind: 'loading' } | { kind: 'none' } | { kind: 'error'; error: unknown } | { kind: 'ready'; model: CatalogModel };

function emptyView(model: CatalogModel): View {
  const expandedDbs = new Set<number>(model.dbs.map((_, i) => i));
  const expandedSchemas = new Set<number>();
  if (model.tables.length <= 200) model.schemas.forEach((_, i) => expandedSchemas.add(i));
  return { expandedDbs, expandedSchemas, search: '', marks: 'all' };
}

function MetadataPanel({ connectionId }: { connectionId: string }) {
  const [catalog, setCatalog] = useState<CatalogState>({ kind: 'loading' });
  const [view, setView] = useState<View | null>(null);
  const [version, setVersion] = useState(0);
  const [dirty, setDirty] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [jobError, setJobError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [saved, setSaved] = useState<SavedTable[] | null>(null);
  const [savedError, setSavedError] = useState<unknown>(null);
  const [includeText, setIncludeText] = useState('');
  const [excludeText, setExcludeText] = useState('');
  const poll = useRef({ stopped: false });
  const searchId = useId('search');
  const marksId = useId('marks');
  const includeId = useId('include');
  const excludeId = useId('exclude');

  useEffect(() => () => void (poll.current.stopped = true), []);

  const loadCatalog = async (prev: CatalogModel | null, keepUnsaved: boolean) => {
    try {
      const json = await api.catalog(connectionId);
      performance.mark('sp:catalog-received'); // the e2e benchmark measures from here
      const model = new CatalogModel(json);
      if (prev && keepUnsaved) model.carryOver(prev);
      setIncludeText(model.include.join('\n'));
      setExcludeText(model.exclude.join('\n'));
      setCatalog({ kind: 'ready', model });
      setView((v) => (v && prev ? { ...emptyView(model), search: v.search, marks: v.marks } : emptyView(model)));
      setVersion((n) => n + 1);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setCatalog({ kind: 'none' });
      else setCatalog({ kind: 'error', error: e });
    }
  };
  const loadSaved = async () => {
    try {
      setSaved((await api.savedTables(connectionId)).tables);
      setSavedError(null);
    } catch (e) {
      setSavedError(e);
    }
  };
  useEffect(() => {
    loadCatalog(null, false);
    loadSaved();
  }, [connectionId]);

  const model = catalog.kind === 'ready' ? catalog.model : null;

  const runJob = async (start: () => Promise<{ job: Job }>, done: (j: Job) => Promise<void>) => {
    setJobError(null);
    setNotice('');
    try {
      const { job: j } = await start();
      setJob(j);
      const final = await waitForJob(j.id, setJob, poll.current);
      if (poll.current.stopped) return;
      if (final.state === 'succeeded') await done(final);
      else if (final.error?.code === 'cancelled') setNotice('Cancelled. Nothing was changed.');
      else if (final.error) setJobError(new ApiError(0, final.error.code, final.error.message, null));
      else setNotice(`The job ended: ${final.state}.`);
    } catch (e) {
      setJobError(e);
    } finally {
      if (!poll.current.stopped) setJob(null);
    }
  };

  const fetchMetadata = () =>
    runJob(
      () => api.fetchMetadata(connectionId),
      async () => {
        await loadCatalog(model, dirty);
        setNotice('Metadata fetched. Choose the tables the assistant may see, then Save Metadata.');
      },
    );
  const refresh = () =>
    runJob(
      () => api.refreshMetadata(connectionId),
      async () => {
        await loadCatalog(model, dirty);
        await loadSaved();
        setNotice('Refreshed. New, removed and changed tables are marked; nothing is saved until you press Save Metadata.');
      },
    );
  const save = () => {
    if (!model) return;
    runJob(
      async () => {
        const r = await api.saveSelection(connectionId, { tables: model.explicitRefs(), include: model.include, exclude: model.exclude });
        return r;
      },
      async () => {
        setDirty(false);
        await loadCatalog(null, false);
        await loadSaved();
        setNotice('Metadata saved.');
      },
    );
  };

  const changed = () => {
    setDirty(true);
    setVersion((n) => n + 1);
  };

  const matching = useMemo(() => (model && view ? matchingTables(model, view) : []), [model, view]);
  const selectAllState = model ? model.checkOf(matching) : 'unchecked';
  const counts = useMemo(() => model?.counts(), [model, version]);
  const markCounts = useMemo(() => model?.markCounts(), [model, version]);
  const patternCount = useMemo(() => model?.patternMatchCount() ?? 0, [model, version]);
  const running = job !== null;

  return (
    <div class="metadata">
      <div class="actions toolbar">
        <button type="button" class="primary" onClick={fetchMetadata} disabled={running}>
          Fetch Metadata
        </button>
        {model ? (
          <button type="button" onClick={refresh} disabled={running}>
            Refresh
          </button>
        ) : null}
        {model ? (
          <button type="button" class="primary" onClick={save} disabled={running || model.patternErrors.length > 0}>
            Save Metadata
          </button>
        ) : null}
        {dirty ? <span class="unsaved">Unsaved selection</span> : null}
      </div>
      {job ? (
        <div class="job">
          <ProgressBar
            label={job.kind === 'save' ? 'Saving metadata' : job.kind === 'refresh' ? 'Refreshing metadata' : 'Fetching metadata'}
            done={job.progress?.done ?? 0}
            total={job.progress?.total ?? 0}
            step={job.progress?.step || (job.state === 'queued' ? 'queued' : job.kind)}
          />
          <button type="button" onClick={() => api.cancelJob(job.id).catch(setJobError)}>
            Cancel
          </button>
        </div>
      ) : null}
      <ErrorBox error={jobError} />
      {notice ? <Success>{notice}</Success> : null}

      {catalog.kind === 'loading' ? <Loading what="the catalog" /> : null}
      {catalog.kind === 'none' ? <Empty>No metadata fetched yet for this connection. Press Fetch Metadata.</Empty> : null}
      {catalog.kind === 'error' ? <ErrorBox error={catalog.error} /> : null}
      {model && view ? (
        <div class="picker">
          <div class="tree-panel">
            <p class="meta-line">
              Fetched {formatTime(model.fetchedAt)} · {model.tables.filter((t) => !t.removed).length.toLocaleString()} tables
              {model.savedAt ? ` · saved ${formatTime(model.savedAt)}` : ' · not saved yet'}
            </p>
            <div class="tree-tools">
              <div class="field inline">
                <label for={searchId}>Search tables</label>
                <input
                  id={searchId}
                  type="search"
                  value={view.search}
                  placeholder="name or schema.name"
                  onInput={(e) => setView({ ...view, search: (e.target as HTMLInputElement).value })}
                />
              </div>
              <div class="field inline">
                <label for={marksId}>Show</label>
                <select id={marksId} value={view.marks} onChange={(e) => setView({ ...view, marks: (e.target as HTMLSelectElement).value as MarkFilter })}>
                  <option value="all">all tables</option>
                  <option value="changes">all changes ({(markCounts?.new ?? 0) + (markCounts?.removed ?? 0) + (markCounts?.changed ?? 0)})</option>
                  <option value="new">new ({markCounts?.new ?? 0})</option>
                  <option value="removed">removed ({markCounts?.removed ?? 0})</option>
                  <option value="changed">changed ({markCounts?.changed ?? 0})</option>
                </select>
              </div>
              <label class="select-all">
                <input
                  id="select-all"
                  type="checkbox"
                  checked={selectAllState === 'checked'}
                  indeterminate={selectAllState === 'mixed'}
                  disabled={matching.length === 0}
                  onChange={() => {
                    model.toggle(matching);
                    changed();
                  }}
                />
                Select all
              </label>
              {isFiltering(view) ? <span class="hint">{matching.length.toLocaleString()} shown</span> : null}
            </div>
            <p class="counts" role="status" aria-live="polite">
              {counts ? `${counts.tables.toLocaleString()} of ${model.tables.filter((t) => !t.removed).length.toLocaleString()} tables selected` : ''}
              {counts && counts.columnsKnown > 0
                ? ` · ${counts.columns.toLocaleString()} columns${counts.columnsKnown < counts.tables ? ` (known for ${counts.columnsKnown.toLocaleString()} saved tables)` : ''}`
                : ''}
            </p>
            <CatalogTree model={model} version={version} view={view} onView={setView} onChange={changed} />
          </div>
          <aside class="patterns" aria-labelledby="patterns-h">
            <h2 id="patterns-h">Patterns</h2>
            <p class="help">
              One <code>database.schema.table</code> glob per line: <code>*</code> any run, <code>?</code> one character; fewer parts match
              everything below (<code>dev.sales</code>). Tables an Include matches and no Exclude matches are selected, now and when new tables
              appear after a refresh.
            </p>
            <label for={includeId}>Include</label>
            <textarea
              id={includeId}
              rows={4}
              value={includeText}
              spellcheck={false}
              onInput={(e) => {
                const v = (e.target as HTMLTextAreaElement).value;
                setIncludeText(v);
                model.setPatterns(splitPatterns(v), splitPatterns(excludeText));
                changed();
              }}
            />
            <label for={excludeId}>Exclude</label>
            <textarea
              id={excludeId}
              rows={3}
              value={excludeText}
              spellcheck={false}
              onInput={(e) => {
                const v = (e.target as HTMLTextAreaElement).value;
                setExcludeText(v);
                model.setPatterns(splitPatterns(includeText), splitPatterns(v));
                changed();
              }}
            />
            <p class="pattern-count" role="status" aria-live="polite">
              Patterns match {patternCount.toLocaleString()} {patternCount === 1 ? 'table' : 'tables'}
            </p>
            {model.patternErrors.map((e) => (
              <p key={e} class="field-error">
                {e}
              </p>
            ))}
          </aside>
        </div>
      ) : null}

      <SavedTables connectionId={connectionId} tables={saved} error={savedError} />
    </div>
  );
}

function SavedTables({ connectionId, tables, error }: { connectionId: string; tables: SavedTable[] | null; error: unknown }) {
  return (
    <section class="saved" aria-labelledby="saved-h">
      <h2 id="saved-h">Saved tables</h2>
      <ErrorBox error={error} />
      {tables === null && !error ? <Loading what="saved tables" /> : null}
      {tables && tables.length === 0 ? <Empty>Nothing saved yet. Select tables and press Save Metadata.</Empty> : null}
      {tables && tables.length > 0 ? (
        <ul class="saved-list">
          {tables.map((t) => (
            <SavedTableItem key={t.id} connectionId={connectionId} table={t} open={tables.length <= 20} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

export function SavedTableItem({ connectionId, table, open }: { connectionId: string; table: SavedTable; open: boolean }) {
  const [expanded, setExpanded] = useState(open);
  const [detail, setDetail] = useState<TableDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (expanded && !detail) api.savedTable(connectionId, table.id).then(setDetail, setError);
  }, [expanded]);
  const id = useId('cols');
  return (
    <li class="saved-table">
      <button type="button" class="disclosure" aria-expanded={expanded} aria-controls={id} onClick={() => setExpanded(!expanded)}>
        <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> {table.database}.{table.schema}.{table.name}
      </button>
      <span class="extra">
        {table.kind !== 'table' ? `${table.kind.replace(/_/g, ' ')} · ` : ''}
        {table.column_count} columns
      </span>
      {table.mark ? <span class={`mark mark-${table.mark}`}>{table.mark}</span> : null}
      {table.comment ? <p class="comment">{table.comment}</p> : null}
      <div id={id} hidden={!expanded}>
        {expanded ? (
          <>
            <ErrorBox error={error} />
            {!detail && !error ? <Loading what="columns" /> : null}
            {detail ? <ColumnTable detail={detail} /> : null}
          </>
        ) : null}
      </div>
    </li>
  );
}

// The columns of a saved table; with `keys`, a Key column marks primary-key and unique columns.
export function ColumnTable({ detail, name, keys }: { detail: TableDetail; name?: string; keys?: { primary: string[]; unique: string[] } }) {
  const pk = new Set(keys?.primary ?? []);
  const unique = new Set(keys?.unique ?? []);
  return (
    <table class="columns">
      <caption class="sr-only">Columns of {name ?? `${detail.schema}.${detail.name}`}</caption>
      <thead>
        <tr>
          <th scope="col">Column</th>
          <th scope="col">Type</th>
          {keys ? <th scope="col">Key</th> : null}
          <th scope="col">Null</th>
          <th scope="col">Comment</th>
        </tr>
      </thead>
      <tbody>
        {detail.columns.map((c) => (
          <tr key={c.name}>
            <td>
              {c.name}
              {c.mark ? <span class={`mark mark-${c.mark}`}>{c.mark}</span> : null}
            </td>
            <td>
              <code>{c.type}</code>
            </td>
            {keys ? (
              <td>
                {pk.has(c.name) ? (
                  <span class="badge badge-key" title="primary key">
                    PK
                  </span>
                ) : null}
                {unique.has(c.name) ? (
                  <span class="badge badge-key" title="unique">
                    unique
                  </span>
                ) : null}
              </td>
            ) : null}
            <td>{c.nullable ? 'yes' : 'no'}</td>
            <td>{c.comment ?? ''}</td>
          </tr>
        ))}
        {detail.removed_columns.map((n) => (
          <tr key={`removed-${n}`} class="removed">
            <td>
              {n}
              <span class="mark mark-removed">removed</span>
            </td>
            <td />
            {keys ? <td /> : null}
            <td />
            <td />
          </tr>
        ))}
      </tbody>
    </table>
  );
}
