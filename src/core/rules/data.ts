/**
 * Data: the state the service keeps does not fit the code (a schema a migration has not made).
 */
import { lead, lineHit, quoteHit, unfixable, type CatalogEntry } from './rule-kit.js';

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
