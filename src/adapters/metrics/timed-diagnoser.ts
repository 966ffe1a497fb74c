import type { Diagnoser } from '../../pipeline/ports.js';

/** Wraps a diagnoser so each call's latency and result reach `observe` (the diagnosis histogram). */
export function timeDiagnoser(diagnoser: Diagnoser, backend: string, observe: (labels: { backend: string; result: 'ok' | 'error' }, seconds: number) => void, now: () => number = () => performance.now()): Diagnoser {
  return {
    async diagnose(request, signal) {
      const started = now();
      const result = await diagnoser.diagnose(request, signal);
      observe({ backend, result: result.ok ? 'ok' : 'error' }, (now() - started) / 1000);
      return result;
    },
  };
}
