/**
 * Issue 12's figure: a storm of 50 containers crashing together produces one alert and no
 * restarts while it lasts. Measured on the real doctor process beside a baseline in the same run:
 * the same 50 crashes with storm detection out of reach (STORM_THRESHOLD above the count), which
 * is how the doctor behaved before storms. "Alerts" are the incident lines people would be told
 * (every recorded incident but a group's members); restarts are the doctor's `restarting` lines.
 */
import type { BenchEngine } from './bench-engine.js';
import type { DoctorProcess, FeedLine } from '../test/helpers/doctor-process.js';

export interface StormBenchResult {
  readonly containers: number;
  readonly alertsDuringStorm: number;
  readonly restartsDuringStorm: number;
  readonly baselineAlerts: number;
  readonly baselineRestarts: number;
  readonly stormMs: number;
}

interface Deps {
  readonly engine: BenchEngine;
  readonly startDoctor: (targets: readonly string[], env: Record<string, string>) => Promise<DoctorProcess>;
  readonly stopDoctor: (doctor: DoctorProcess) => Promise<void>;
  readonly log: (message: string) => void;
}

const COUNT = 50;
const WINDOW_S = 10;
/** The containers all exit at one wall-clock second, this long after creation starts (starting 50 takes a while). */
const LEAD_S = 60;

function announced(l: FeedLine): boolean {
  if (l.type !== 'incident') return false;
  const group = (l['record'] as { group?: { role?: string } }).group;
  return group?.role !== 'member';
}

async function round(deps: Deps, kind: string, env: Record<string, string>): Promise<{ alerts: number; restarts: number; stormMs: number }> {
  const { engine } = deps;
  const names = Array.from({ length: COUNT }, (_, i) => engine.name(kind, i));
  const deadline = Math.ceil(Date.now() / 1000) + LEAD_S;
  const cmd = `if [ -f /tmp/ran ]; then exec sleep 100000; fi; touch /tmp/ran; until [ $(date +%s) -ge ${deadline} ]; do sleep 0.5; done; echo "fatal: lost the host" >&2; exit 1`;
  const doctor = await deps.startDoctor(names, { CHECK_INTERVAL: '5', STORM_WINDOW: String(WINDOW_S), ...env });
  try {
    // From before the first start: on a slow engine the first crashes come while others still start.
    const from = doctor.feed.length;
    await engine.startMany(names, { cmd });
    if (Date.now() / 1000 > deadline) deps.log(`${kind}: starting ${COUNT} containers took longer than ${LEAD_S} s; the crashes are spread`);
    // The storm ends with its closing record; the baseline waits as long as a storm would have lasted.
    const closing = (l: FeedLine) => l.type === 'incident' && (l['record'] as { group?: { kind?: string; role?: string } }).group?.kind === 'storm' && (l['record'] as { group?: { role?: string } }).group?.role === 'member';
    let end: FeedLine | undefined;
    if (env['STORM_THRESHOLD'] === String(COUNT * 10)) {
      // Without storms: until every crash has its incident (or as long as a storm would have lasted).
      const seen = () => new Set(doctor.feed.slice(from).filter((l) => l.type === 'incident').map((l) => (l['record'] as { container: { name: string } }).container.name)).size;
      const until = Date.now() + (LEAD_S + WINDOW_S * 6) * 1000;
      while (seen() < COUNT && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    } else {
      end = await doctor.waitForFeed(closing, { after: from, timeoutMs: (LEAD_S + WINDOW_S * 6) * 1000, what: 'the storm to settle' });
    }
    const endIndex = end ? doctor.feed.indexOf(end) : doctor.feed.length;
    const during = doctor.feed.slice(from, endIndex);
    return {
      alerts: during.filter(announced).length,
      restarts: during.filter((l) => l.type === 'restarting').length,
      stormMs: end ? Date.parse(end.time) - deadline * 1000 : 0,
    };
  } finally {
    await deps.stopDoctor(doctor);
    await engine.remove(names);
  }
}

export async function benchStorm(deps: Deps): Promise<StormBenchResult> {
  deps.log(`storm: ${COUNT} containers crash at once, STORM_THRESHOLD=5, STORM_WINDOW=${WINDOW_S}`);
  const storm = await round(deps, 'storm', { STORM_THRESHOLD: '5' });
  deps.log(`storm baseline: the same crashes, STORM_THRESHOLD=${COUNT * 10} (never reached)`);
  const base = await round(deps, 'nostorm', { STORM_THRESHOLD: String(COUNT * 10) });
  return { containers: COUNT, alertsDuringStorm: storm.alerts, restartsDuringStorm: storm.restarts, baselineAlerts: base.alerts, baselineRestarts: base.restarts, stormMs: storm.stormMs };
}
