// Data Map: the saved tables of a connection by schema (columns, keys, comments, role), their
// relationships (declared, and inferred ones to accept or reject), a diagram of one schema, the
// downloads and how to connect an assistant over MCP. Tables are shown a page at a time, so
// 10,000 saved tables cost the DOM of one page.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, exportUrl, type DataMap, type DataMapTable, type ExportFormat, type Relationship, type TableDetail, type TableRole } from '../lib/api';
import {
  NO_FILTER,
  filterTables,
  groupBySchema,
  isFiltering,
  markCounts,
  pageOf,
  qualifiedName,
  relationshipsByTable,
  schemaKey,
  withRelationship,
  withTable,
  type RelationshipFilter,
  type TableFilter,
} from '../lib/datamap';
import { CopyButton, Empty, ErrorBox, Loading, formatTime, useId } from '../ui';
import { SchemaDiagram } from './diagram';
import { RelationshipItem, type Update } from './relationships';
import { ColumnTable, ConnectionPicker, initialConnection, useConnections } from './metadata';

const PAGE_SIZE = 50;
const OPEN_UP_TO = 30; // tables shown expanded when no more than this many match

export function DataMapScreen() {
  const { connections, error } = useConnections();
  const [connectionId, setConnectionId] = useState('');
  useEffect(() => {
    if (connections && !connectionId) setConnectionId(initialConnection(connections));
  }, [connections]);
  return (
    <section aria-labelledby="datamap-h">
      <h1 id="datamap-h">Data Map</h1>
      <ErrorBox error={error} />
      {connections === null && !error ? <Loading what="connections" /> : null}
      {connections && connections.length === 0 ? <Empty>No connection yet. Add one under Connect, then save metadata.</Empty> : null}
      {connections && connections.length > 0 && connectionId ? (
        <>
          <ConnectionPicker
            connections={connections}
            value={connectionId}
            onChange={(id) => {
              sessionStorage.setItem('schemaport.connection', id);
              setConnectionId(id);
            }}
          />
          <DataMapPanel key={connectionId} connectionId={connectionId} />
        </>
      ) : null}
      <AssistantHelp />
    </section>
  );
}

function DataMapPanel({ connectionId }: { connectionId: string }) {
  const [map, setMap] = useState<DataMap | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState<TableFilter>(NO_FILTER);
  const [page, setPage] = useState(0);
  useEffect(() => {
    api.dataMap(connectionId).then((m) => {
      performance.mark('sp:datamap-received'); // the e2e benchmark measures from here
      setMap(m);
    }, setError);
  }, [connectionId]);

  const byTable = useMemo(() => relationshipsByTable(map?.relationships ?? []), [map?.relationships]);
  const removedByTable = useMemo(() => relationshipsByTable(map?.removed_relationships ?? []), [map?.removed_relationships]);
  const filtered = useMemo(() => filterTables(map?.tables ?? [], byTable, removedByTable, filter), [map?.tables, byTable, removedByTable, filter]);
  const shown = useMemo(() => pageOf(filtered, page, PAGE_SIZE), [filtered, page]);
  const groups = useMemo(() => groupBySchema(shown.items), [shown.items]);
  const marks = useMemo(() => (map ? markCounts(map) : null), [map]);

  useEffect(() => {
    if (map) requestAnimationFrame(() => performance.mark('sp:datamap-painted'));
  }, [map !== null]);

  if (error) return <ErrorBox error={error} />;
  if (!map) return <Loading what="the Data Map" />;
  if (map.tables.length === 0)
    return <Empty>No saved metadata for this connection yet. Select tables under Metadata and press Save Metadata.</Empty>;

  const update: Update = {
    relationship: (r) => setMap((m) => (m ? withRelationship(m, r) : m)),
    table: (t) => setMap((m) => (m ? withTable(m, t) : m)),
  };
  const setF = (f: Partial<TableFilter>) => {
    setFilter({ ...filter, ...f });
    setPage(0);
  };
  // A new page starts at the top of the list: the focus goes to its heading.
  const turn = (p: number) => {
    setPage(p);
    document.getElementById('dm-tables')?.focus();
  };
  const c = map.counts;
  const changes = marks ? marks.new + marks.changed + marks.removed : 0;
  const columns = map.tables.reduce((n, t) => n + t.column_count, 0);
  const schemaCount = new Set(map.tables.map(schemaKey)).size;

  return (
    <div class="datamap">
      <p class="meta-line">
        {map.tables.length.toLocaleString()} saved tables in {schemaCount} {schemaCount === 1 ? 'schema' : 'schemas'} · {columns.toLocaleString()} columns · saved{' '}
        {formatTime(map.saved_at)}
      </p>
      <p class="counts" role="status">
        {c.relationships.toLocaleString()} relationships: {c.declared.toLocaleString()} declared, {c.inferred.toLocaleString()} inferred to review,{' '}
        {c.accepted.toLocaleString()} accepted, {c.rejected.toLocaleString()} rejected
        {changes && marks ? ` · since the previous save: ${marks.new} new, ${marks.changed} changed, ${marks.removed} removed` : ''}
      </p>
      <nav class="jump" aria-label="Data Map sections">
        <a href="#dm-tables">Tables</a>
        <a href="#dm-diagram">Diagram</a>
        <a href="#dm-downloads">Downloads</a>
        <a href="#dm-assistant">Connect an assistant</a>
      </nav>

      <section aria-labelledby="dm-tables">
        <h2 id="dm-tables" tabIndex={-1}>
          Tables
        </h2>
        <TableFilters filter={filter} onFilter={setF} total={map.tables.length} matching={filtered.length} reviews={c.inferred} changes={changes} />
        <p class="help">
          Roles: a fact holds events or transactions and refers to dimensions; a dimension describes the things facts refer to; a lookup is a short
          list of codes and labels. Each table's role is suggested from its keys, columns and relationships; you may set it.
        </p>
        {filtered.length === 0 ? <Empty>No saved table matches. Clear the search or the filters.</Empty> : null}
        {groups.map((g) => (
          <section key={g.key} class="schema-group" aria-label={`Schema ${g.key}`}>
            <h3 class="schema-heading">{g.key}</h3>
            <ul class="saved-list">
              {g.tables.map((t) => (
                <TableItem
                  key={t.id}
                  connectionId={connectionId}
                  table={t}
                  relationships={byTable.get(t.id) ?? []}
                  removed={removedByTable.get(t.id) ?? []}
                  open={filtered.length <= OPEN_UP_TO}
                  update={update}
                />
              ))}
            </ul>
          </section>
        ))}
        {shown.pages > 1 ? (
          <div class="pager actions" role="group" aria-label="Pages of tables">
            <button type="button" disabled={shown.page === 0} onClick={() => turn(shown.page - 1)}>
              Previous page
            </button>
            <span>
              Tables {shown.first.toLocaleString()}–{shown.last.toLocaleString()} of {filtered.length.toLocaleString()} (page {shown.page + 1} of{' '}
              {shown.pages})
            </span>
            <button type="button" disabled={shown.page + 1 >= shown.pages} onClick={() => turn(shown.page + 1)}>
              Next page
            </button>
          </div>
        ) : null}
        {map.removed_relationships.length > 0 ? (
          <section aria-labelledby="dm-removed">
            <h3 id="dm-removed">Removed since the previous save</h3>
            <ul class="rel-list">
              {map.removed_relationships.map((r) => (
                <RelationshipItem key={`removed-${r.id}`} connectionId={connectionId} relationship={r} update={update} />
              ))}
            </ul>
          </section>
        ) : null}
      </section>

      <section aria-labelledby="dm-diagram">
        <h2 id="dm-diagram" tabIndex={-1}>
          Diagram
        </h2>
        <SchemaDiagram connectionId={connectionId} map={map} update={update} />
      </section>

      <Downloads connectionId={connectionId} />
    </div>
  );
}

function TableFilters(props: {
  filter: TableFilter;
  onFilter: (f: Partial<TableFilter>) => void;
  total: number;
  matching: number;
  reviews: number;
  changes: number;
}) {
  const searchId = useId('dm-search');
  const roleId = useId('dm-role');
  const relId = useId('dm-rel');
  const { filter } = props;
  return (
    <div class="tree-tools">
      <div class="field inline search">
        <label for={searchId}>Search saved tables</label>
        <input
          id={searchId}
          type="search"
          value={filter.search}
          placeholder="name, schema.name or comment"
          onInput={(e) => props.onFilter({ search: (e.target as HTMLInputElement).value })}
        />
      </div>
      <div class="field inline">
        <label for={roleId}>Role</label>
        <select id={roleId} value={filter.role} onChange={(e) => props.onFilter({ role: (e.target as HTMLSelectElement).value as TableFilter['role'] })}>
          <option value="all">any role</option>
          <option value="fact">fact</option>
          <option value="dimension">dimension</option>
          <option value="lookup">lookup</option>
        </select>
      </div>
      <div class="field inline">
        <label for={relId}>Relationships</label>
        <select
          id={relId}
          value={filter.relationships}
          onChange={(e) => props.onFilter({ relationships: (e.target as HTMLSelectElement).value as RelationshipFilter })}
        >
          <option value="all">all tables</option>
          <option value="review">inferred to review ({props.reviews})</option>
          <option value="changes">changed since the previous save ({props.changes})</option>
          <option value="none">without relationships</option>
        </select>
      </div>
      {isFiltering(filter) ? (
        <span class="hint" role="status">
          {props.matching.toLocaleString()} of {props.total.toLocaleString()} tables match
        </span>
      ) : null}
    </div>
  );
}

function TableItem(props: {
  connectionId: string;
  table: DataMapTable;
  relationships: Relationship[];
  removed: Relationship[];
  open: boolean;
  update: Update;
}) {
  const { table, relationships } = props;
  const [expanded, setExpanded] = useState(props.open);
  const [detail, setDetail] = useState<TableDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (expanded && !detail) api.savedTable(props.connectionId, table.id).then(setDetail, setError);
  }, [expanded]);
  const id = useId('dm-table');
  const toReview = relationships.filter((r) => r.status === 'inferred').length;
  const changed = relationships.some((r) => r.mark) || props.removed.length > 0;
  const name = qualifiedName(table);
  return (
    <li class="saved-table dm-table" data-table={name}>
      <button type="button" class="disclosure" aria-expanded={expanded} aria-controls={id} onClick={() => setExpanded(!expanded)}>
        <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> {name}
      </button>
      <span class={`badge role role-${table.role}`}>{table.role}</span>
      <span class="extra">
        {table.kind !== 'table' ? `${table.kind.replace(/_/g, ' ')} · ` : ''}
        {table.column_count} columns
        {table.primary_key.length ? ` · PK ${table.primary_key.join(', ')}` : ''}
        {relationships.length ? ` · ${relationships.length} ${relationships.length === 1 ? 'relationship' : 'relationships'}` : ''}
      </span>
      {toReview ? <span class="badge badge-review">{toReview} to review</span> : null}
      {changed ? <span class="mark mark-changed">relationships changed</span> : null}
      {table.comment ? <p class="comment">{table.comment}</p> : null}
      <div id={id} hidden={!expanded} class="dm-detail">
        {expanded ? (
          <>
            <RoleControl connectionId={props.connectionId} table={table} update={props.update} />
            <ErrorBox error={error} />
            {!detail && !error ? <Loading what="columns" /> : null}
            {detail ? <ColumnTable detail={detail} name={qualifiedName(table)} keys={{ primary: table.primary_key, unique: table.unique_keys.flat() }} /> : null}
            <h4>Relationships</h4>
            {relationships.length === 0 && props.removed.length === 0 ? (
              <p class="help">None: no declared foreign key, and nothing inferred from names and types.</p>
            ) : (
              <ul class="rel-list">
                {relationships.map((r) => (
                  <RelationshipItem key={r.id} connectionId={props.connectionId} relationship={r} update={props.update} />
                ))}
                {props.removed.map((r) => (
                  <RelationshipItem key={`removed-${r.id}`} connectionId={props.connectionId} relationship={r} update={props.update} />
                ))}
              </ul>
            )}
          </>
        ) : null}
      </div>
    </li>
  );
}

function RoleControl({ connectionId, table, update }: { connectionId: string; table: DataMapTable; update: Update }) {
  const id = useId('role');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const value = table.role_overridden ? table.role : 'auto';
  return (
    <div class="role-control">
      <div class="field inline">
        <label for={id}>Role</label>
        <select
          id={id}
          value={value}
          aria-busy={busy}
          onChange={async (e) => {
            const v = (e.target as HTMLSelectElement).value;
            setBusy(true);
            setError(null);
            try {
              update.table(await api.setRole(connectionId, table.id, v === 'auto' ? null : (v as TableRole)));
            } catch (err) {
              setError(err);
              (e.target as HTMLSelectElement).value = value;
            } finally {
              setBusy(false);
            }
          }}
        >
          <option value="auto">suggested ({table.suggested_role})</option>
          <option value="fact">fact</option>
          <option value="dimension">dimension</option>
          <option value="lookup">lookup</option>
        </select>
      </div>
      <p class="help">
        {table.role_overridden ? `Set by you: ${table.role}. ` : ''}
        Suggested: {table.suggested_role} — {reasonText(table.role_reason)}
      </p>
      <ErrorBox error={error} />
    </div>
  );
}

// The server's reason is a phrase ("a keyed table that holds attributes"): shown as a sentence.
function reasonText(s: string): string {
  const t = s.trim().replace(/\.$/, '');
  return t ? `${t[0].toLowerCase()}${t.slice(1)}.` : 'from its keys, columns and relationships.';
}

const EXPORTS: { format: ExportFormat; label: string; file: string; what: string }[] = [
  { format: 'catalog-json', label: 'Catalog JSON', file: 'catalog.json', what: 'every table, column, key, role and relationship (inferred ones marked), for tools' },
  { format: 'dbt', label: 'dbt sources YAML', file: 'sources.yml', what: 'dbt sources with descriptions, key tests and relationships tests' },
  { format: 'ddl', label: 'DDL', file: 'schema.sql', what: 'annotated CREATE TABLE statements with keys and REFERENCES' },
  { format: 'markdown', label: 'Markdown', file: 'data-map.md', what: "a readable description to paste into an assistant's context" },
];

function Downloads({ connectionId }: { connectionId: string }) {
  return (
    <section aria-labelledby="dm-downloads">
      <h2 id="dm-downloads" tabIndex={-1}>
        Downloads
      </h2>
      <p class="help">Built from the saved metadata with your decisions and roles applied. Only declared and accepted relationships are written as facts.</p>
      <ul class="downloads">
        {EXPORTS.map((e) => (
          <li key={e.format}>
            <a href={exportUrl(connectionId, e.format)} download={e.file}>
              {e.label}
            </a>{' '}
            <span class="extra">{e.what}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const MCP_COMMAND = 'SCHEMAPORT_TOKEN=<your API token> schemaport mcp --data-dir /var/lib/schemaport';
const MCP_CONFIG = `{
  "mcpServers": {
    "schemaport": {
      "command": "/usr/local/bin/schemaport",
      "args": ["mcp", "--data-dir", "/var/lib/schemaport"],
      "env": { "SCHEMAPORT_TOKEN": "<your API token>" }
    }
  }
}`;

function AssistantHelp() {
  return (
    <section aria-labelledby="dm-assistant" class="assistant">
      <h2 id="dm-assistant" tabIndex={-1}>
        Connect an assistant
      </h2>
      <p>
        <code>schemaport mcp</code> serves your organization's saved metadata to an assistant over the Model Context Protocol (stdio): the tools{' '}
        <code>list_databases</code>, <code>list_schemas</code>, <code>list_tables</code>, <code>describe_table</code>, <code>search_tables</code> and{' '}
        <code>list_relationships</code>. It is read-only and never calls the warehouse. It runs on the machine that holds schemaport's data
        directory.
      </p>
      <ol class="steps-text">
        <li>
          Create an API token under{' '}
          <a
            href="/settings"
            onClick={(e) => {
              e.preventDefault();
              history.pushState(null, '', '/settings');
              window.dispatchEvent(new Event('schemaport:navigate'));
            }}
          >
            Settings
          </a>{' '}
          › API tokens (it is shown once; keep it in your assistant's configuration, not
          in a shared file).
        </li>
        <li>
          Start the server with the token in <code>SCHEMAPORT_TOKEN</code>:
          <div class="snippet">
            <pre>
              <code>{MCP_COMMAND}</code>
            </pre>
            <CopyButton text={MCP_COMMAND} label="Copy the command" />
          </div>
        </li>
        <li>
          Or let your MCP client start it, with a configuration such as:
          <div class="snippet">
            <pre>
              <code>{MCP_CONFIG}</code>
            </pre>
            <CopyButton text={MCP_CONFIG} label="Copy the MCP client configuration" />
          </div>
        </li>
      </ol>
      <p class="help">
        Replace <code>&lt;your API token&gt;</code> with the token, and the paths with where schemaport and its data directory are on that machine.
      </p>
    </section>
  );
}
