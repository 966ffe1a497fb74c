/**
 * The rules catalog moved to `./rules/` (one file per rule family, one ordered registry). This
 * entry point stays until every importer reads `./rules/index.js`.
 */
export * from './rules/index.js';
