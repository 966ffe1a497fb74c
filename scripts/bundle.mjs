#!/usr/bin/env node
/**
 * `npm run build`: bundles the CLI into dist/doctor.cjs, which bin/doctor.js runs, the commands
 * beside it (dist/commands/, dist/chunks/) and one file per package that only some runs need
 * (dist/vendor/), with every runtime dependency inside, so neither the image nor an install needs
 * node_modules (issue 14). The source stays in small modules; `npm run typecheck` still checks it
 * with tsc.
 *
 * A process reads the shell, its command's file and what that run needs, nothing else. A bundle
 * of everything in one 4.5 MB file made `doctor --help` take 0.50 s instead of 0.15 s on the bench
 * machine: V8 must scan all of it before running a line (measured 2026-12-01, Node 20.20). Left
 * out of the bundle: ssh2's optional native parts (its crypto binding and cpu-features), which it
 * loads inside try/catch and does without.
 */
import { readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * zod's entries re-export its 40-odd locales (`z.locales`; 264 KiB with the classic API), and the
 * doctor imports zod's mini API as a namespace object. The doctor speaks English only
 * (src/core/zod-english.ts sets it), so the locale index resolves to English alone, whatever the
 * bundler would otherwise keep.
 */
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(b) {
    // Both zod/v4/classic and zod/v4/core re-export the locale index.
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}zod${path.sep}v4${path.sep}`) ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'english-only-zod' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'english-only-zod' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: root,
      loader: 'js',
    }));
  },
};

/**
 * prom-client's index also loads what the doctor never uses: the cluster aggregator (cluster,
 * child_process, dgram), the Pushgateway (https, zlib) and Summary (tdigest), about 3 MB
 * resident; and its CPU counter requires the OpenTelemetry API only to read the active span for
 * exemplars, which the doctor does not enable (1 MB more). The bundle takes the five parts
 * doctor-metrics.ts imports from their own files (a sixth import fails the build, loudly), and
 * OpenTelemetry as its own API behaves with no SDK registered: no active span.
 */
const leanPromClient = {
  name: 'lean-prom-client',
  setup(b) {
    b.onResolve({ filter: /^prom-client$/ }, () => ({ path: 'prom-client', namespace: 'lean-prom-client' }));
    b.onResolve({ filter: /^@opentelemetry\/api$/ }, (args) =>
      args.importer.includes(`${path.sep}prom-client${path.sep}`) ? { path: 'otel-api', namespace: 'lean-prom-client' } : undefined,
    );
    b.onLoad({ filter: /^prom-client$/, namespace: 'lean-prom-client' }, () => ({
      contents: ['Counter:counter', 'Gauge:gauge', 'Histogram:histogram', 'Registry:registry', 'collectDefaultMetrics:defaultMetrics']
        .map((pair) => pair.split(':'))
        .map(([name, file]) => `export { default as ${name} } from 'prom-client/lib/${file}.js';`)
        .join('\n'),
      resolveDir: root,
      loader: 'js',
    }));
    b.onLoad({ filter: /^otel-api$/, namespace: 'lean-prom-client' }, () => ({
      contents: 'export const trace = { getSpan: () => undefined }; export const context = { active: () => undefined };',
      loader: 'js',
    }));
  },
};

/**
 * commander requires node:child_process as it loads, for the executable subcommands the doctor
 * does not have; loading it loads net and the stream machinery, about 15 ms of every start
 * (`doctor --help` included, measured 2026-12-02, Node 20.20). Inside commander it resolves to a
 * stand-in that loads the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}commander${path.sep}`) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

/**
 * Node's built-in modules through require(), never as ES imports. In a CommonJS bundle esbuild
 * makes a static import a require(), but keeps an `import()` of a built-in (one-shot.ts has two),
 * and that starts Node's ES module loader and builds the module's ES facade, which reads every
 * export once, getters included: `node:process` read `process.report` and loaded the diagnostic
 * report machinery into every `doctor diagnose`; on Node 22 and 24 `node:http` exports lazy
 * WebSocket, CloseEvent and MessageEvent getters, and its facade loaded Node's whole fetch library
 * (undici, with http2, zlib, worker_threads and the web streams), about 13 MB of a bare process on
 * Node 24. Through require() a module is read one property at a time, as each is used (esbuild
 * reads a CommonJS module's exports at each use). Measured 2026-12-02, node:http alone, 200 idle
 * containers on Node 24.22: 67.3 -> 63.3 MB resident; Node 20 (no such getters) unchanged. The
 * built-ins that load on first use (LAZY_BUILTINS, below) have their own stand-ins.
 */
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(b) {
    const names = builtinModules.filter((name) => !LAZY_BUILTINS.includes(name)).map((name) => name.replace(/[/]/g, '\\/'));
    const filter = new RegExp(`^(node:)?(${names.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import' ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin-through-require' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({ contents: `module.exports = require('node:${args.path}');`, loader: 'js' }));
  },
};

/**
 * node:crypto, node:https and node:tls cost a watch that never uses them in an idle hour: crypto
 * alone is some 20 internal modules (webcrypto, keys, x509, ...), and the bundle imports it for a
 * hash of an incident's signature, a request id, the UI's token; https and tls only for a tcp://
 * engine with TLS. An ES import of a built-in loads it before the first line runs. Here each
 * becomes a stand-in whose exports are getters that load the real module on first use: esbuild
 * reads a CommonJS module's exports at each use (`(0, m.createHash)(...)`), never at import.
 * The names are the real module's, read as the build runs. Measured 2026-12-02, 200 idle
 * containers: see docs/scale.md.
 */
const LAZY_BUILTINS = ['crypto', 'https', 'tls'];
const lazyCryptoAndTls = {
  name: 'lazy-crypto-and-tls',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import' ? { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const names = Object.keys(await import(`node:${args.path}`)).filter((name) => name !== 'default');
      return {
        contents: [
          `let real; const load = () => (real ??= require('node:${args.path}'));`,
          `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
await rm(path.join(root, 'dist'), { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // The version is fixed in the bundle: dist/commands/ is not where src/version.ts looks for package.json.
  define: { __DOCTOR_VERSION__: JSON.stringify(version) },
  external: ['cpu-features', '*.node'],
  legalComments: 'linked',
  // Smaller text is less for V8 to scan at start-up; the linked source map keeps stack traces readable.
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  // CommonJS unless a build says otherwise (the watch's, below).
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
};

/**
 * The packages a command loads only for some runs: the Anthropic SDK (a key), the Slack app
 * (SLACK_BOT_TOKEN), nodemailer (an smtp:// channel's first email), ssh2 (an ssh:// engine). Each
 * is a file of its own, dist/vendor/<name>.cjs, that the commands require when they need it, so
 * no command's file carries them (a diagnose without a key would read 1.4 MB instead of 0.35). A
 * package is in the build once, whichever commands and packages use it: @slack/socket-mode's
 * @slack/web-api is dist/vendor/slack-web-api.cjs too. The source imports their exports by name:
 * to an ES module (the source's files, package.json says "type": "module") the default export of
 * a required file is its whole exports object, as in Node.
 */
const VENDORS = ['@anthropic-ai/sdk', '@slack/socket-mode', '@slack/web-api', 'nodemailer', 'ssh2'];
const vendorFile = (name) => `${name.replace(/^@/, '').replace(/\//g, '-')}.cjs`;

/**
 * What a bundle requires from another file of the build at run time, by the path `resolve` gives
 * (relative to the requiring file's folder). An `import()` of it becomes a require() when the
 * import runs: esbuild would keep an import() of an external file, which starts Node's ES module
 * loader.
 */
function requiredApart(resolve, stub = (runtimePath) => `module.exports = require(${JSON.stringify(runtimePath)});`) {
  return {
    name: 'required-apart',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.namespace === 'required-apart') return args.path.startsWith('.') ? { path: args.path, external: true } : undefined;
        if (args.kind === 'entry-point') return undefined;
        const runtimePath = resolve(args);
        return runtimePath === undefined ? undefined : { path: runtimePath, namespace: 'required-apart' };
      });
      b.onLoad({ filter: /.*/, namespace: 'required-apart' }, (args) => ({ contents: stub(args.path), loader: 'js', resolveDir: root }));
    },
  };
}
const vendorsApart = (prefix) => requiredApart((args) => (VENDORS.includes(args.path) ? `${prefix}${vendorFile(args.path)}` : undefined));

/**
 * The shell, dist/doctor.cjs: src/cli/main.ts (commander and the command definitions) as one
 * CommonJS file; `doctor --help` and `--version` run it alone. Each `import()` of main.ts loads
 * that command's own file, built below: a one-shot command's through src/cli/compiled-require.ts
 * (from its compiled code of the run before), the watch's as an ES module. The shell and the
 * commands share no module state (src/core/errors.ts says how an error crosses).
 */
const MAIN = path.join(root, 'src/cli/main.ts');
const WATCH = './commands/watch.js';
const oneShotModules = new Set();
const compiledRequire = JSON.stringify(path.join(root, 'src/cli/compiled-require.ts'));
const oneShotsApart = requiredApart(
  (args) => {
    if (args.kind !== 'dynamic-import' || args.importer !== MAIN || args.path === WATCH) return undefined;
    oneShotModules.add(path.join(path.dirname(MAIN), args.path.replace(/\.js$/, '.ts')));
    return `commands/${path.basename(args.path, '.js')}.cjs`;
  },
  (file) => `module.exports = require(${compiledRequire}).requireCompiled(require, require('node:path').join(__dirname, ${JSON.stringify(file)}));`,
);
const watchAsImport = {
  name: 'watch-as-import',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' && args.importer === MAIN && args.path === WATCH ? { path: WATCH.replace(/\.js$/, '.mjs'), external: true } : undefined));
  },
};
const shell = await build({
  ...common,
  entryPoints: { doctor: path.relative(root, MAIN) },
  outdir: 'dist',
  plugins: [watchAsImport, oneShotsApart, lazyChildProcessForCommander, builtinsThroughRequire],
});

/**
 * The one-shot commands (`diagnose`, `history`, `config`, ...): each one CommonJS file with all it
 * may need except the packages above (dist/commands/diagnose.cjs, ...); what it imports lazily
 * inside the file (the diagnosis backends, the channels) is evaluated when first imported. As ES
 * module chunks, a `doctor diagnose` spent 13 ms more in Node's ES module loader: 22 files
 * resolved, read and linked one by one (measured 2026-12-03, Node 20.20, 21 runs each,
 * interleaved: 105.9 -> 92.6 ms median).
 */
const oneShots = await build({
  ...common,
  entryPoints: [...oneShotModules].map((file) => path.relative(root, file)),
  outdir: 'dist/commands',
  entryNames: '[name]',
  plugins: [vendorsApart('../vendor/'), englishOnlyZod, leanPromClient, lazyChildProcessForCommander, lazyCryptoAndTls, builtinsThroughRequire],
});

/**
 * The watch: ES modules, dist/commands/watch.mjs and its chunks in dist/chunks/, of which a watch
 * loads only what it uses (the Slack app, the diagnosis backends and the channels are chunks of
 * their own). It starts once and is judged by its memory: V8 parses a file at once, and the
 * half-megabyte CommonJS file of the whole watch peaked at 3.1 MB of parser memory (0.7 MB as ES
 * modules) that the C allocator then kept. Measured 2026-12-03, 200 idle containers, two 40 s
 * windows: Node 20.20 49.9-50.0 MB as one CommonJS file, 48.0-48.2 MB as ES modules; Node 24.21
 * 54.4-55.2 and 55.3-55.4 MB, the same within the noise.
 */
const watch = await build({
  ...common,
  entryPoints: { watch: 'src/cli/commands/watch.ts' },
  outdir: 'dist/commands',
  // .mjs: Node knows each file's format by its name, without looking for a package.json.
  outExtension: { '.js': '.mjs' },
  chunkNames: '../chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  // Bundled CommonJS packages call require() and read __dirname; ESM has neither. The packages
  // apart are required from dist/commands/ and dist/chunks/ alike: `../vendor/` from both.
  banner: {
    js: [
      "import { createRequire as __doctorCreateRequire } from 'node:module';",
      "import { fileURLToPath as __doctorFileURLToPath } from 'node:url';",
      'const require = __doctorCreateRequire(import.meta.url);',
      'const __filename = __doctorFileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
  plugins: [vendorsApart('../vendor/'), englishOnlyZod, leanPromClient, lazyChildProcessForCommander, lazyCryptoAndTls, builtinsThroughRequire],
});

const vendors = await build({
  ...common,
  entryPoints: Object.fromEntries(VENDORS.map((name) => [vendorFile(name).replace(/\.cjs$/, ''), name])),
  outdir: 'dist/vendor',
  plugins: [vendorsApart('./'), lazyCryptoAndTls, builtinsThroughRequire],
});
const outputs = [shell, oneShots, watch, vendors].flatMap((r) => Object.entries(r.metafile.outputs)).filter(([file]) => /\.[cm]?js$/.test(file));
const entry = outputs.find(([file]) => file === 'dist/doctor.cjs')?.[1].bytes ?? 0;
const total = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
process.stdout.write(`dist/doctor.cjs: ${(entry / 1024).toFixed(0)} KiB, with the ${outputs.length - 1} files of the commands and packages ${(total / 1024).toFixed(0)} KiB in all\n`);

/**
 * V8 keeps a script's source as a two-byte string (twice the memory, for as long as the process
 * runs) when one character of it is not Latin-1, and esbuild escapes non-ASCII in strings but
 * leaves it raw inside regular expression literals. A `‘` or `…` in one pattern doubled a 125 KB
 * chunk on Node 24 (docs/scale.md). The source spells such characters as `\u` escapes, and
 * the build fails on any non-ASCII character that slips through, naming where.
 */
const raw = [];
for (const [file] of outputs) {
  const text = await readFile(path.join(root, file), 'utf8');
  for (const m of text.matchAll(/[^\x00-\x7f]/g)) raw.push(`${file}: ${JSON.stringify(text.slice(Math.max(0, m.index - 30), m.index + 10))}`);
}
if (raw.length > 0) {
  process.stderr.write(`bundle: non-ASCII characters in the output (write them as \\u escapes in the source):\n${raw.slice(0, 10).join('\n')}\n`);
  process.exit(1);
}
