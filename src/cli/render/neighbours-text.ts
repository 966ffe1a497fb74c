import { describeRootCause } from '../../core/root-cause.js';
import type { IncidentResult } from '../../pipeline/incident-handler.js';
import type { NeighbourView } from '../../pipeline/neighbour-view.js';

/** The neighbours section of `doctor diagnose` (issue 12); empty when it has none. */
export function formatNeighbours(r: IncidentResult, neighbours: readonly NeighbourView[]): string {
  const out: string[] = [];
  if (r.rootCause) out.push(`  root cause: ${describeRootCause(r.facts.ref.name, r.rootCause)}`);
  for (const n of neighbours) {
    const health = n.health === 'none' ? '' : `, ${n.health}`;
    out.push(`  ${n.direction === 'depends-on' ? 'depends on' : 'needed by '} ${n.name} (${n.status}${health}): ${n.via}`);
  }
  return out.length > 0 ? `\nNeighbours\n${out.join('\n')}\n` : '';
}
