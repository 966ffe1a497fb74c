import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileDetector } from '../../src/core/error-patterns.js';

/** Corpus lines: one log line per line; `#` starts a comment line. */
function readCorpus(name: string): string[] {
  const text = readFileSync(new URL(`../fixtures/log-corpus/${name}`, import.meta.url), 'utf8');
  return text.split('\n').filter((line) => line.length > 0 && !line.startsWith('#'));
}

test('detector precision and recall on the real-world corpus', () => {
  const detector = compileDetector();
  const positives = readCorpus('true-positives.txt');
  const negatives = readCorpus('false-positives.txt');
  assert.ok(positives.length >= 80 && negatives.length >= 80, 'the corpus holds at least 80 lines of each kind');

  const missed = positives.filter((line) => detector.isErrorLine(line) === null);
  const raised = negatives.filter((line) => detector.isErrorLine(line) !== null);
  const truePositives = positives.length - missed.length;
  const precision = truePositives / (truePositives + raised.length);
  const recall = truePositives / positives.length;
  console.log(
    `detector corpus: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} ` +
      `(${positives.length} errors, ${negatives.length} non-errors, ${missed.length} missed, ${raised.length} false alarms)`,
  );
  assert.ok(precision >= 0.95, `precision ${precision.toFixed(3)}; false alarms:\n${raised.join('\n')}`);
  assert.ok(recall >= 0.95, `recall ${recall.toFixed(3)}; missed:\n${missed.join('\n')}`);
});
