// One relationship in a list: its two ends, status, change mark, evidence, and for an inferred
// one the Accept / Reject / Clear decision buttons. Shared by the tables list and the diagram's
// text alternative.
import { useState } from 'preact/hooks';
import { api, type DataMapTable, type Relationship } from '../lib/api';
import { canDecide, decisionOf, describeRelationship, statusLabel, type Decision } from '../lib/datamap';
import { ErrorBox } from '../ui';

// How a child reports the server's answer to a change, so the whole screen follows it.
export type Update = { relationship: (r: Relationship) => void; table: (t: DataMapTable) => void };

export function RelationshipItem({ connectionId, relationship: r, update }: { connectionId: string; relationship: Relationship; update: Update }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const text = describeRelationship(r);
  const decision = decisionOf(r.status);
  const decide = async (d: Decision) => {
    if (busy || d === decision) return;
    setBusy(true);
    setError(null);
    try {
      update.relationship(await api.decideRelationship(connectionId, r.id, d));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class={`rel rel-${r.status}${r.mark === 'removed' ? ' rel-removed' : ''}`} data-relationship={r.id}>
      <div class="rel-head">
        <span class="rel-text">{text}</span>
        <span class={`badge status-${r.status}`}>{statusLabel(r)}</span>
        {r.mark ? <span class={`mark mark-${r.mark}`}>{r.mark}</span> : null}
      </div>
      {r.constraint_name ? <p class="help">Constraint {r.constraint_name}</p> : null}
      {r.evidence.length && r.status !== 'declared' ? (
        <ul class="evidence" aria-label="Evidence">
          {r.evidence.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
      {canDecide(r) ? (
        <div class="actions rel-actions">
          {/* aria-disabled, not disabled: the focus stays on the button the user pressed. */}
          <button type="button" aria-pressed={decision === 'accept'} aria-disabled={busy} aria-label={`Accept ${text}`} onClick={() => decide('accept')}>
            Accept
          </button>
          <button type="button" aria-pressed={decision === 'reject'} aria-disabled={busy} aria-label={`Reject ${text}`} onClick={() => decide('reject')}>
            Reject
          </button>
          <button type="button" aria-disabled={busy || decision === null} aria-label={`Clear the decision on ${text}`} onClick={() => decide(null)}>
            Clear decision
          </button>
        </div>
      ) : null}
      <ErrorBox error={error} />
    </li>
  );
}

