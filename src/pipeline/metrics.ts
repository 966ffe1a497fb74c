import type { FeedEvent } from './feed.js';
import { restartResult } from '../core/outcome.js';

/** Running counters of what the doctor saw and did, fed by the pipeline's feed. */
export class Metrics {
  incidents = 0;
  restarts = 0;
  restartFailures = 0;
  escalations = 0;
  repeats = 0;
  recoveries = 0;
  cycles = 0;
  diagnosisFailures = 0;
  engineErrors = 0;
  readonly restartsByContainer = new Map<string, number>();
  readonly incidentsBySeverity = new Map<string, number>();
  readonly startedAt = Date.now();

  observe(event: FeedEvent): void {
    switch (event.type) {
      case 'incident': {
        const r = event.record;
        this.incidents += 1;
        this.incidentsBySeverity.set(r.diagnosis.severity, (this.incidentsBySeverity.get(r.diagnosis.severity) ?? 0) + 1);
        if (r.decision.action === 'escalate') this.escalations += 1;
        if (r.decision.action === 'restart' && r.decision.executed) {
          this.restarts += 1;
          const key = r.container.host ? `${r.container.host}/${r.container.name}` : r.container.name;
          this.restartsByContainer.set(key, (this.restartsByContainer.get(key) ?? 0) + 1);
          if (restartResult(r.outcome.status) === 'failed') this.restartFailures += 1;
        }
        break;
      }
      case 'repeat':
        this.repeats += 1;
        break;
      case 'diagnosis':
        if (!event.ok) this.diagnosisFailures += 1;
        break;
      case 'recovered':
        this.recoveries += 1;
        break;
      case 'cycle':
        this.cycles += 1;
        break;
      case 'engine-down':
        this.engineErrors += 1;
        break;
      default:
        break;
    }
  }
}
