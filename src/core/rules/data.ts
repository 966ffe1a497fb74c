/**
 * Data: the state the service keeps does not fit the code or the server (a schema a migration has
 * not made, a data directory locked by another instance or left locked).
 */
import { lead, lineHit, quoteHit, unfixable, type CatalogEntry } from './rule-kit.js';
import { extractPath } from '../evidence-text.js';

/** The database schema does not match the code: a migration has not run. */
const SCHEMA_MISMATCH = /relation "[^"]+" does not exist|Table '[^']+' doesn't exist|no such table|column "?[^" ]+"? (?:of relation "[^"]+" )?does not exist|Unknown column '[^']+'|pending migrations?|migrations? (?:are )?pending|Undefined table|database "[^"]+" does not exist|Unknown database '[^']+'/i;

export const schemaMismatch: CatalogEntry = {
  id: 'schema-mismatch',
  failureClass: 'data',
  // The code expects tables or columns the database does not have: a migration has not run.
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, SCHEMA_MISMATCH),
  build(ctx, found) {
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} the database schema does not match the code (a table, column or database it expects does not exist: a migration has not run, or it points at the wrong database).${quoteHit(found)}`,
      suggested_fix: 'Run the pending migrations against the database it uses (or point it at the right database), then restart it.',
      config_suggestions: ['Run migrations as a one-off step before the new version starts (a compose service it depends_on, or the deploy pipeline).'],
    });
  },
};

/**
 * The data directory is locked: another instance uses the same data, or an unclean stop left a
 * lock the server will not override. Taking over a lock is a person's call (two writers corrupt
 * data), so no restart. SQLite's "database is locked" is a busy writer, not this.
 */
const DATA_LOCKED = /(?:failed to|unable to|could not|cannot) (?:obtain|acquire|get|create|open)(?:\/open)? (?:the )?(?:node )?locks?\b|\bold lock file\b|\bUnable to lock\b|\bDBPathInUse\b|already (?:in use|locked) by another (?:process|instance)|lock file .* (?:exists|is held)/i;

export const dataLocked: CatalogEntry = {
  id: 'data-locked',
  failureClass: 'data',
  restartCannotFix: true,
  settled: true,
  match: (ctx) => (ctx.exited ? lineHit(ctx, DATA_LOCKED, /database is locked/i) : undefined),
  build(ctx, found) {
    const path = found.line ? extractPath(found.line) : undefined;
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} it could not lock its data${path ? ` (${path})` : ''}: another instance uses the same data directory, a previous run left its lock behind, or the directory is not writable.${quoteHit(found)}`,
      suggested_fix: `Make sure no other container or process uses ${path ?? 'the data directory'}; if none does, check its permissions and remove a stale lock only after the server's own repair procedure. Then start it.`,
      config_suggestions: ['Give every instance its own data volume.'],
    });
  },
};
