/**
 * Which lines of a text need which line rules, found without running the rules. Most log lines
 * hold no secret; the gate makes them cost one keyword scan (like gitleaks' rule keywords).
 *
 * Two scans: line keywords (password, token, key, ... and a few provider names) over the whole
 * text; and token keywords (provider prefixes) only next to the start of a run of 16+ token
 * characters, since every provider credential has one right after its prefix (`AKIA` + 16,
 * `ghp_` + 36, `SG.` + 22, ...), which a plain character loop finds fast. The same loop marks
 * lines with a run long enough for the entropy pass.
 */
import { MIN_FREE_TOKEN_LENGTH } from './entropy.js';
import type { Rule } from './redact-rule.js';

/** A line `[start, end)` of the text and the rules it needs. */
export interface GatedLine {
  readonly start: number;
  readonly end: number;
  readonly rules: Set<Rule>;
  /** The line holds a run of token characters long enough to be judged by entropy. */
  longToken: boolean;
}

interface Trie {
  end: boolean;
  readonly next: Map<string, Trie>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * One regex for many literals, as a trie (`gl(?:pat-|dt-|rt-)`): far faster to scan with than a
 * flat alternation of 150 words, and each match is the longest keyword at its position.
 */
function trieSource(words: readonly string[]): string {
  const root: Trie = { end: false, next: new Map() };
  for (const w of words) {
    let node = root;
    for (const c of w) {
      let child = node.next.get(c);
      if (!child) node.next.set(c, (child = { end: false, next: new Map() }));
      node = child;
    }
    node.end = true;
  }
  const emit = (node: Trie): string => {
    const branches = [...node.next].map(([c, child]) => escapeRegExp(c) + emit(child));
    if (branches.length === 0) return '';
    const body = branches.length === 1 ? branches[0]! : `(?:${branches.join('|')})`;
    return node.end ? `(?:${body})?` : body;
  };
  return emit(root);
}

interface KeywordScan {
  readonly regex: RegExp;
  /** The rules a found keyword calls for. A longer keyword hides shorter ones inside it (`secret_` hides `secret`), so it calls their rules too. */
  readonly rulesOf: (keyword: string) => readonly Rule[];
  readonly fold: (keyword: string) => string;
}

/**
 * A scan for the rules' keywords. `caseless`: one lower-case trie with the `i` flag, which V8
 * runs about three times faster than the same words in all their case forms; it finds a superset
 * (`PaSsWoRd` too), and the rules themselves decide.
 */
function keywordScan(rules: readonly Rule[], caseless: boolean): KeywordScan {
  const fold = (k: string): string => (caseless ? k.toLowerCase() : k);
  const keywords = [...new Set(rules.flatMap((r) => r.keywords.map(fold)))];
  // Worked out per keyword when first found, not for all 150-odd as the module loads: that took
  // some 9 ms of every `doctor diagnose` (the code is cold then). Found keywords are the trie's own.
  const known = new Map<string, readonly Rule[]>();
  return {
    regex: new RegExp(trieSource(keywords), caseless ? 'gi' : 'g'),
    fold,
    rulesOf: (found) => {
      let called = known.get(found);
      if (!called) known.set(found, (called = rules.filter((r) => r.keywords.some((k) => found.includes(fold(k))))));
      return called;
    },
  };
}

/**
 * Per UTF-16 code unit: bit 1 for the characters of the long run every provider credential has
 * (`A-Za-z0-9_-`), bit 2 for base64 token characters (those plus `+` and `/`), which the entropy
 * pass judges. One table lookup per character.
 */
const CHAR_CLASS = new Uint8Array(65536);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-') CHAR_CLASS[c.charCodeAt(0)] = 3;
for (const c of '+/') CHAR_CLASS[c.charCodeAt(0)] = 2;
const MIN_RUN = 16;
/** How far before and after a run's start a provider prefix is looked for. */
const PREFIX_WINDOW = 24;

/** Builds the gate for line rules (keywords anywhere) and token rules (keywords at a long run's start). */
export function createGate(lineRules: readonly Rule[], tokenRules: readonly Rule[]): (text: string) => GatedLine[] {
  const context = keywordScan(lineRules, true);
  const providers = keywordScan(tokenRules, false);

  return (text) => {
    const byStart = new Map<number, GatedLine>();
    const lineAt = (index: number): GatedLine => {
      const start = text.lastIndexOf('\n', index - 1) + 1;
      let line = byStart.get(start);
      if (!line) {
        const nl = text.indexOf('\n', index);
        line = { start, end: nl < 0 ? text.length : nl, rules: new Set(), longToken: false };
        byStart.set(start, line);
      }
      return line;
    };
    // Scans [from, to) only: a regex given the whole text would run on to the next match anywhere.
    const collect = (scan: KeywordScan, from: number, to: number): void => {
      const part = from === 0 && to === text.length ? text : text.slice(from, to);
      scan.regex.lastIndex = 0;
      for (let m = scan.regex.exec(part); m !== null; m = scan.regex.exec(part)) {
        const line = lineAt(from + m.index);
        for (const r of scan.rulesOf(scan.fold(m[0]))) line.rules.add(r);
      }
    };
    collect(context, 0, text.length);

    const n = text.length;
    let run = 0;
    let tokenRun = 0;
    for (let i = 0; i < n; i += 1) {
      const k = CHAR_CLASS[text.charCodeAt(i)]!;
      if (k & 2) {
        tokenRun += 1;
        if (tokenRun === MIN_FREE_TOKEN_LENGTH) lineAt(i).longToken = true;
      } else {
        tokenRun = 0;
      }
      if (k & 1) {
        run += 1;
        if (run === MIN_RUN) {
          const runStart = i - MIN_RUN + 1;
          const line = lineAt(i);
          collect(providers, Math.max(line.start, runStart - PREFIX_WINDOW), Math.min(line.end, runStart + PREFIX_WINDOW));
        }
      } else {
        run = 0;
      }
    }
    return [...byStart.values()].sort((a, b) => a.start - b.start);
  };
}
