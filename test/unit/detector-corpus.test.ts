import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileDetector } from '../../src/core/error-patterns.js';

/** The marker after which a corpus file's lines are held back (scored apart, never tuned on). */
const HELD_BACK = '# --- held back';

/** Corpus lines: one log line per line; `#` starts a comment line. Split at the held-back marker. */
function readCorpus(name: string): { tuning: string[]; heldBack: string[] } {
  const text = readFileSync(new URL(`../fixtures/log-corpus/${name}`, import.meta.url), 'utf8');
  const lines = text.split('\n');
  const marker = lines.findIndex((line) => line.startsWith(HELD_BACK));
  const keep = (part: string[]) => part.filter((line) => line.length > 0 && !line.startsWith('#'));
  return marker < 0 ? { tuning: keep(lines), heldBack: [] } : { tuning: keep(lines.slice(0, marker)), heldBack: keep(lines.slice(marker)) };
}

const detector = compileDetector();
const positives = readCorpus('true-positives.txt');
const negatives = readCorpus('false-positives.txt');
const allPositives = [...positives.tuning, ...positives.heldBack];
const truePositives = allPositives.filter((line) => detector.isErrorLine(line) !== null).length;

function precisionAgainst(negativeLines: readonly string[]): { precision: number; raised: string[] } {
  const raised = negativeLines.filter((line) => detector.isErrorLine(line) !== null);
  return { precision: truePositives / (truePositives + raised.length), raised };
}

test('detector precision and recall on the real-world corpus', () => {
  assert.ok(allPositives.length >= 80 && negatives.tuning.length >= 80, 'the corpus holds at least 80 lines of each kind');
  const missed = allPositives.filter((line) => detector.isErrorLine(line) === null);
  const recall = truePositives / allPositives.length;
  const tuned = precisionAgainst(negatives.tuning);
  console.log(
    `detector corpus: precision ${tuned.precision.toFixed(3)}, recall ${recall.toFixed(3)} ` +
      `(${allPositives.length} errors, ${negatives.tuning.length} non-errors, ${missed.length} missed, ${tuned.raised.length} false alarms)`,
  );
  assert.ok(tuned.precision >= 0.95, `precision ${tuned.precision.toFixed(3)}; false alarms:\n${tuned.raised.join('\n')}`);
  assert.ok(recall >= 0.95, `recall ${recall.toFixed(3)}; missed:\n${missed.join('\n')}`);
});

test('detector precision on the held-back healthy lines of popular images', () => {
  assert.ok(negatives.heldBack.length >= 30, `${negatives.heldBack.length} held-back lines`);
  const held = precisionAgainst(negatives.heldBack);
  console.log(`detector held-back part: precision ${held.precision.toFixed(3)} (${negatives.heldBack.length} healthy lines, ${held.raised.length} false alarms)${held.raised.map((l) => `\n  false alarm: ${l}`).join('')}`);
  assert.ok(held.precision >= 0.98, `held-back precision ${held.precision.toFixed(3)}`);
});
