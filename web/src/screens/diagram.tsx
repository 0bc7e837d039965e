// The diagram of one schema: tables as boxes with their key columns, relationships as curves
// (declared and accepted solid, inferred dashed, rejected not drawn). The drawing is one
// focusable image with an accessible name; arrow keys walk its tables and a live line says what
// the current one relates to. The list under it is the same content as text.
import { useMemo, useState } from 'preact/hooks';
import type { DataMap } from '../lib/api';
import { HEADER_HEIGHT, LINE_HEIGHT, describeRelationship, groupBySchema, layoutSchema, type Box } from '../lib/datamap';
import { Empty, useId } from '../ui';
import { RelationshipItem, type Update } from './relationships';

const MAX_TABLES = 60;

export function SchemaDiagram({ connectionId, map, update }: { connectionId: string; map: DataMap; update: Update }) {
  const groups = useMemo(() => groupBySchema(map.tables), [map.tables]);
  // Start on the schema with the most relationships inside it (ties: the first).
  const best = useMemo(() => {
    const schemaOf = new Map(map.tables.map((t) => [t.id, `${t.database}.${t.schema}`]));
    const n = new Map<string, number>();
    for (const r of map.relationships) {
      const s = schemaOf.get(r.from.table_id);
      if (s && s === schemaOf.get(r.to.table_id)) n.set(s, (n.get(s) ?? 0) + 1);
    }
    let key = groups[0]?.key ?? '';
    for (const g of groups) if ((n.get(g.key) ?? 0) > (n.get(key) ?? 0)) key = g.key;
    return key;
  }, [groups]);
  const [chosen, setChosen] = useState('');
  const key = groups.some((g) => g.key === chosen) ? chosen : best;
  const group = groups.find((g) => g.key === key);
  const layout = useMemo(() => (group ? layoutSchema(group.tables, map.relationships, MAX_TABLES) : null), [group, map.relationships]);
  const [active, setActive] = useState<number | null>(null);
  const selectId = useId('dm-schema');
  const titleId = useId('dm-svg-title');
  const descId = useId('dm-svg-desc');
  const listId = useId('dm-svg-list');

  if (!group || !layout) return <Empty>No saved table to draw.</Empty>;
  const current = active !== null && active < layout.boxes.length ? layout.boxes[active] : null;
  const touches = (id: string) => current !== null && current.table.id === id;
  const ids = new Set(group.tables.map((t) => t.id));
  const textRels = map.relationships.filter((r) => ids.has(r.from.table_id) || ids.has(r.to.table_id));
  const drawn = layout.edges.length;
  // The current table's edges and neighbours stay bright; the rest of the drawing fades.
  const related = new Set<Box>();
  if (current) for (const e of layout.edges) if (e.from === current || e.to === current) related.add(e.from).add(e.to);
  const move = (i: number) => setActive(Math.max(0, Math.min(layout.boxes.length - 1, i)));

  return (
    <div class="diagram">
      <div class="tree-tools">
        <div class="field inline">
          <label for={selectId}>Schema</label>
          <select
            id={selectId}
            value={key}
            onChange={(e) => {
              setChosen((e.target as HTMLSelectElement).value);
              setActive(null);
            }}
          >
            {groups.map((g) => (
              <option key={g.key} value={g.key}>
                {g.key} ({g.tables.length.toLocaleString()} {g.tables.length === 1 ? 'table' : 'tables'})
              </option>
            ))}
          </select>
        </div>
        <span class="legend">
          <svg width="34" height="10" class="legend-line" aria-hidden="true">
            <line x1="0" y1="5" x2="34" y2="5" class="edge edge-fact" />
          </svg>
          declared or accepted
          <svg width="34" height="10" class="legend-line" aria-hidden="true">
            <line x1="0" y1="5" x2="34" y2="5" class="edge edge-inferred" />
          </svg>
          inferred (to review) · rejected ones are not drawn
        </span>
      </div>
      {layout.omitted > 0 ? (
        <p class="state state-info">
          This schema has {group.tables.length.toLocaleString()} saved tables: the diagram shows {layout.boxes.length} of them, the largest connected
          groups first. Every table is in the list above.
        </p>
      ) : null}
      <div
        class="diagram-scroll"
        role="img"
        tabIndex={0}
        aria-labelledby={titleId}
        aria-describedby={descId}
        onKeyDown={(e) => {
          const i = active ?? -1;
          if (e.key === 'ArrowRight' || e.key === 'ArrowDown') move(i + 1);
          else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') move(i < 0 ? layout.boxes.length - 1 : i - 1);
          else if (e.key === 'Home') move(0);
          else if (e.key === 'End') move(layout.boxes.length - 1);
          else if (e.key === 'Escape') setActive(null);
          else return;
          e.preventDefault();
        }}
        onBlur={() => setActive(null)}
      >
        {/* The scrolling box is the focusable image (a scrollable region must take the focus);
            the drawing's title and description name and describe it. */}
        <svg class={current ? 'diagram-svg has-active' : 'diagram-svg'} aria-hidden="true" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`}>
          <title id={titleId}>
            Diagram of schema {group.key}: {layout.boxes.length} tables, {drawn} {drawn === 1 ? 'relationship' : 'relationships'} drawn
          </title>
          <desc id={descId}>
            Tables are boxes with their key columns; solid lines are declared or accepted relationships, dashed lines inferred ones. Arrow keys move
            between tables. The list after the diagram gives the same relationships as text.
          </desc>
          <defs>
            <marker id="dm-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">
              <path d="M 0 0 L 10 5 L 0 10 z" class="arrow" />
            </marker>
          </defs>
          {layout.edges.map((e) => (
            <path
              key={e.relationship.id}
              d={e.path}
              class={`edge ${e.dashed ? 'edge-inferred' : 'edge-fact'}${touches(e.from.table.id) || touches(e.to.table.id) ? ' edge-active' : ''}`}
              marker-end="url(#dm-arrow)"
            >
              <title>{describeRelationship(e.relationship)}</title>
            </path>
          ))}
          {layout.boxes.map((b, i) => (
            <TableBox key={b.table.id} box={b} active={i === active} related={related.has(b)} onSelect={() => setActive(i)} />
          ))}
        </svg>
      </div>
      <p class="diagram-status" role="status" aria-live="polite">
        {current ? describeBox(current, layout.edges.filter((e) => e.from === current || e.to === current).map((e) => e.relationship)) : ''}
      </p>
      {layout.elsewhere.length > 0 ? (
        <p class="help">
          {layout.elsewhere.length} {layout.elsewhere.length === 1 ? 'relationship leads' : 'relationships lead'} to other schemas (listed below, not
          drawn).
        </p>
      ) : null}
      <h3 id={listId}>Relationships in this schema</h3>
      {textRels.length === 0 ? (
        <p class="help">No relationship touches this schema.</p>
      ) : (
        <ul class="rel-list" aria-labelledby={listId}>
          {textRels.map((r) => (
            <RelationshipItem key={r.id} connectionId={connectionId} relationship={r} update={update} />
          ))}
        </ul>
      )}
    </div>
  );
}

function describeBox(b: Box, rels: import('../lib/api').Relationship[]): string {
  const t = b.table;
  const head = `${t.schema}.${t.name}, ${t.role}${t.primary_key.length ? `, primary key ${t.primary_key.join(', ')}` : ''}`;
  if (rels.length === 0) return `${head}. No relationship drawn.`;
  return `${head}. ${rels.length} ${rels.length === 1 ? 'relationship' : 'relationships'}: ${rels.map((r) => `${describeRelationship(r)} (${r.status})`).join('; ')}.`;
}

function TableBox({ box, active, related, onSelect }: { box: Box; active: boolean; related: boolean; onSelect: () => void }) {
  const t = box.table;
  return (
    <g class={`box role-${t.role}${active ? ' box-active' : related ? ' box-related' : ''}`} transform={`translate(${box.x} ${box.y})`} onClick={onSelect}>
      <title>
        {t.database}.{t.schema}.{t.name} ({t.role})
      </title>
      <rect class="box-body" width={box.w} height={box.h} rx="6" />
      <rect class="box-head" width={box.w} height={HEADER_HEIGHT} rx="6" />
      <rect class="box-head" y={HEADER_HEIGHT - 6} width={box.w} height="6" />
      <text class="box-title" x="8" y="17">
        {box.title}
      </text>
      <text class="box-role" x={box.w - 8} y="17" text-anchor="end">
        {t.role}
      </text>
      {box.lines.length === 0 && box.more === 0 ? (
        <text class="box-line box-none" x="8" y={HEADER_HEIGHT + 14}>
          no key columns
        </text>
      ) : null}
      {box.lines.map((l, i) => (
        <text key={l.column} class="box-line" x="8" y={HEADER_HEIGHT + 14 + i * LINE_HEIGHT}>
          <tspan class="box-key">{l.keys.join(' ')}</tspan>
          <tspan x="46">{l.column}</tspan>
        </text>
      ))}
      {box.more > 0 ? (
        <text class="box-line box-none" x="8" y={HEADER_HEIGHT + 14 + box.lines.length * LINE_HEIGHT}>
          +{box.more} more key columns
        </text>
      ) : null}
    </g>
  );
}
