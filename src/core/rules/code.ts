/**
 * Code: the image cannot load its own code or libraries. Every run of the same image fails alike.
 */
import { lead, lineHit, quoteHit, unfixable, type CatalogEntry } from './rule-kit.js';

/** The code or a library it needs is missing from the image: the same image fails the same way. */
export const MISSING_DEPENDENCY = /ModuleNotFoundError|ImportError: (?:cannot import|No module named)|Cannot find module|Cannot find package|ERR_MODULE_NOT_FOUND|NoClassDefFoundError|ClassNotFoundException|LoadError: cannot load such file|error while loading shared libraries|cannot open shared object file|undefined symbol: |Could not load file or assembly|Class "[^"]+" not found|uninitialized constant/i;
/** Code that cannot run at all. A JSON SyntaxError is bad input at run time, not bad code. */
const CODE_ERROR = /\b(?:SyntaxError|IndentationError|TabError)\b|\bParseError: syntax error|PHP Parse error|compilation (?:error|failed)|cannot find symbol/i;
const CODE_ERROR_NOT = /JSON|Unexpected token < in|Unexpected end of (?:JSON )?input/i;

export const missingDependency: CatalogEntry = {
  id: 'missing-dependency',
  failureClass: 'code',
  // The image lacks a module, class or shared library: every run of the same image fails alike.
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, MISSING_DEPENDENCY),
  build(ctx, found) {
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} a module or library it needs is missing from the image (a dependency not installed, a wrong path, or a build step that did not run).${quoteHit(found)}`,
      suggested_fix: 'Add the missing dependency to the image (package manifest and lock file, or the system package for a shared library), rebuild and re-create the container.',
      config_suggestions: ['Build the image from the lock file (npm ci, pip install -r with pinned versions, ...) and run its start command once in CI before shipping it.'],
    });
  },
};

export const codeError: CatalogEntry = {
  id: 'code-error',
  failureClass: 'code',
  // Code that does not parse or compile fails the same way on every start.
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, CODE_ERROR, CODE_ERROR_NOT),
  build(ctx, found) {
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} its code cannot be loaded (a syntax or compile error shipped in the image).${quoteHit(found)}`,
      suggested_fix: 'Fix the error at the file and line the log names, rebuild the image and re-create the container; roll back to the previous image tag meanwhile.',
      config_suggestions: ['Run the start command (or a lint/compile step) in CI so an image that cannot start is never deployed.'],
    });
  },
};
