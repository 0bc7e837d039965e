// Data Map: the saved tables of a connection grouped by schema, each with its columns and
// comments. Relationships join here once the Data Map service exposes them.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type SavedTable } from '../lib/api';
import { Empty, ErrorBox, Loading } from '../ui';
import { ConnectionPicker, SavedTableItem, initialConnection, useConnections } from './metadata';

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
          <ConnectionPicker connections={connections} value={connectionId} onChange={setConnectionId} />
          <SchemaGroups key={connectionId} connectionId={connectionId} />
        </>
      ) : null}
    </section>
  );
}

function SchemaGroups({ connectionId }: { connectionId: string }) {
  const [tables, setTables] = useState<SavedTable[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.savedTables(connectionId).then((r) => setTables(r.tables), setError);
  }, [connectionId]);
  const groups = useMemo(() => {
    const m = new Map<string, SavedTable[]>();
    for (const t of tables ?? []) {
      const k = `${t.database}.${t.schema}`;
      const list = m.get(k) ?? [];
      list.push(t);
      m.set(k, list);
    }
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [tables]);
  if (error) return <ErrorBox error={error} />;
  if (tables === null) return <Loading what="saved tables" />;
  if (tables.length === 0) return <Empty>No saved metadata for this connection yet. Select tables under Metadata and press Save Metadata.</Empty>;
  return (
    <div class="datamap">
      <p class="meta-line">
        {tables.length.toLocaleString()} saved tables in {groups.length} schemas · {tables.reduce((n, t) => n + t.column_count, 0).toLocaleString()} columns
      </p>
      {groups.map(([schema, list]) => (
        <section key={schema} class="schema-group" aria-label={`Schema ${schema}`}>
          <h2>{schema}</h2>
          <ul class="saved-list">
            {list.map((t) => (
              <SavedTableItem key={t.id} connectionId={connectionId} table={t} open={tables.length <= 30} />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
