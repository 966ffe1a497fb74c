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

/**
 * Data written in a format this server cannot read: another version wrote it (MySQL's redo log,
 * MongoDB's featureCompatibilityVersion, Redis' RDB version, Elasticsearch's index version) or it
 * was cut short (Redis' append-only file after a crash). The server reads the same files on every
 * start; repairing or migrating data is a person's call.
 */
const DATA_VERSION = /Unsupported redo log format|redo log (?:was )?created (?:with|before) (?:MySQL|MariaDB)|Upgrade after a crash is not supported|Invalid featureCompatibilityVersion|featureCompatibilityVersion[^\n]*(?:invalid|incompatible|must be)|UPGRADE_PROBLEM|Wrong mongod version|Can't handle RDB format version|cannot upgrade a node from version|was created (?:with|by) (?:a )?(?:newer|older|different) version|(?:data|on-disk) format (?:version )?(?:is )?(?:not supported|unsupported|incompatible|too (?:new|old))/i;
const DATA_CORRUPT = /Bad file format reading the append only file|Unexpected end of file reading the append only file|Short read (?:or OOM )?loading DB|Bad (?:RDB|AOF) (?:format|file)|AOF (?:is )?(?:corrupted|truncated)|database disk image is malformed/i;
const DATA_FORMAT = new RegExp(`${DATA_VERSION.source}|${DATA_CORRUPT.source}`, 'i');

export const dataFormat: CatalogEntry = {
  id: 'data-format',
  failureClass: 'data',
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, DATA_FORMAT),
  build(ctx, found) {
    const line = found.line ?? '';
    const image = ctx.input.facts.ref.image;
    if (DATA_CORRUPT.test(line)) {
      const aof = /append only file|AOF/i.test(line);
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} its data files are damaged (cut short or corrupted, typically by a crash or a full disk while writing); it reads the same files on every start.${quoteHit(found)}`,
        suggested_fix: aof
          ? 'Back up the data volume, then repair the append-only file with the server\'s own tool (redis-check-aof --fix on the manifest or file the log names) or restore it from a backup; then start it.'
          : 'Back up the data volume, then repair it with the server\'s own tool or restore it from a backup; then start it.',
        config_suggestions: ['Keep backups of data volumes and alert on the disk filling before it does.'],
      });
    }
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} its data was written by another version of the server (${image}), in a format or compatibility level this one does not read; it reads the same data on every start.${quoteHit(found)}`,
      suggested_fix: `Run the image version that wrote the data (pin its tag instead of a moving one such as latest), then upgrade through the path the server documents: MongoDB one major version at a time with setFeatureCompatibilityVersion, MySQL/MariaDB after a clean shutdown (innodb_fast_shutdown=0) of the old version, Redis and Elasticsearch only forward. Back up the volume first.`,
      config_suggestions: ['Pin database images to a major version (postgres:16, mongo:7.0, mysql:8.4) so a pull never changes the data format.'],
    });
  },
};
