/**
 * The built binary's ecosystem conventions (issue 14): `doctor config`, secrets from files,
 * `doctor completion`, LOG_FORMAT and LOG_LEVEL, and finding the engine without DOCKER_HOST.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../helpers/doctor-harness.js';
import { removeAllTestContainers, requireEngine, runContainer, testDockerHost } from '../helpers/engine.js';

const execFileAsync = promisify(execFile);
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'doctor-conventions-'));
  await requireEngine();
});
after(async () => {
  await removeAllTestContainers();
  await rm(dir, { recursive: true, force: true });
});

interface ConfigJson {
  settings: Array<{ name: string; value: string | null; source: string; detail?: string; secret: boolean }>;
}

describe('doctor config', () => {
  test('every setting with its source; secrets masked, a _FILE secret named by its file', async () => {
    const secret = path.join(dir, 'anthropic_key');
    await writeFile(secret, 'sk-ant-very-secret-value\n');
    await writeFile(path.join(dir, '.env'), 'LOG_LINES=25\n');
    const r = await runCli(['config', '--json', '--state-dir', path.join(dir, 'state')], { DOCKER_HOST: testDockerHost(), ANTHROPIC_API_KEY_FILE: secret, HEALTH_TOKEN: 'tok-abcdefgh-123' }, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const { settings } = JSON.parse(r.stdout) as ConfigJson;
    const by = new Map(settings.map((s) => [s.name, s]));
    assert.deepEqual(by.get('LOG_LINES'), { name: 'LOG_LINES', value: '25', source: '.env', secret: false });
    assert.deepEqual(by.get('STATE_DIR'), { name: 'STATE_DIR', value: path.join(dir, 'state'), source: 'flag', secret: false });
    assert.deepEqual(by.get('DOCKER_HOST'), { name: 'DOCKER_HOST', value: testDockerHost(), source: 'environment', secret: false });
    assert.deepEqual(by.get('CHECK_INTERVAL'), { name: 'CHECK_INTERVAL', value: '30', source: 'default', secret: false });
    assert.deepEqual(by.get('ANTHROPIC_API_KEY'), { name: 'ANTHROPIC_API_KEY', value: '**** (24 chars)', source: 'file', detail: secret, secret: true });
    assert.equal(by.get('HEALTH_TOKEN')?.source, 'environment');
    assert.ok(!r.stdout.includes('very-secret') && !r.stdout.includes('abcdefgh'), 'no secret in the output');

    const text = await runCli(['config'], { DOCKER_HOST: testDockerHost(), HEALTH_TOKEN: 'tok-abcdefgh-123' }, { cwd: dir });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^LOG_LINES\s+25\s+\(\.env\)$/m);
    assert.match(text.stdout, /^HEALTH_TOKEN\s+\*\*\*\* \(16 chars\)\s+\(environment\)$/m);
    assert.ok(!text.stdout.includes('abcdefgh'));
  });

  test('a setting and its _FILE both set: one line, exit 2', async () => {
    const secret = path.join(dir, 'token');
    await writeFile(secret, 'from-file');
    const r = await runCli(['config'], { HEALTH_TOKEN: 'x', HEALTH_TOKEN_FILE: secret, DOCKER_HOST: testDockerHost() }, { cwd: dir });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'doctor: HEALTH_TOKEN and HEALTH_TOKEN_FILE are both set (HEALTH_TOKEN in the environment); set only one\n');
    assert.equal(r.stdout, '');
  });
});

describe('finding the engine without DOCKER_HOST', () => {
  test('diagnose uses the docker CLI context and says so on stderr', async () => {
    const home = path.join(dir, 'home');
    const c = await runContainer({ name: 'conv-ctx', cmd: 'exec sleep 600' });
    // A real context made by the real docker CLI, pointing at the test engine.
    await execFileAsync('docker', ['context', 'create', 'doctor-test-ctx', '--docker', `host=${testDockerHost()}`], { env: { ...process.env, HOME: home, DOCKER_CONFIG: '' } });
    await execFileAsync('docker', ['context', 'use', 'doctor-test-ctx'], { env: { ...process.env, HOME: home, DOCKER_CONFIG: '' } });
    const r = await runCli(['diagnose', c.name, '--json', '--state-dir', path.join(dir, 'ctx-state')], { HOME: home }, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `doctor: using the Docker Engine at ${testDockerHost()} (docker context "doctor-test-ctx")\n`);
    assert.equal((JSON.parse(r.stdout) as { container: { host: string } }).container.host, testDockerHost());
  });
});

describe('doctor completion', () => {
  test('bash: completes commands, options of a command, and container names', async () => {
    const c = await runContainer({ name: 'conv-complete', cmd: 'exec sleep 600' });
    const script = (await runCli(['completion', 'bash'])).stdout;
    await writeFile(path.join(dir, 'doctor.bash'), script);
    const complete = async (...words: string[]) => {
      const { stdout } = await execFileAsync('bash', ['-c', `source "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _doctor; printf '%s\\n' "\${COMPREPLY[@]}"`, 'x', path.join(dir, 'doctor.bash')], {
        env: { ...process.env, DOCKER_HOST: testDockerHost() },
      });
      return stdout.split('\n').filter(Boolean);
    };
    assert.deepEqual(await complete('doctor', 'di'), ['diagnose']);
    assert.deepEqual(await complete('doctor', 'co'), ['config', 'completion']);
    assert.ok((await complete('doctor', 'watch', '--')).includes('--observe-only'));
    assert.ok((await complete('doctor', 'diagnose', 'dt-conv-complete')).includes(c.name));
  });

  test('zsh and fish name every command; an unknown shell is a usage error', async () => {
    for (const shell of ['zsh', 'fish']) {
      const r = await runCli(['completion', shell]);
      assert.equal(r.code, 0);
      for (const command of ['watch', 'diagnose', 'history', 'healthcheck', 'config', 'completion']) assert.ok(r.stdout.includes(command), `${shell}: ${command}`);
    }
    assert.match((await runCli(['completion', 'fish'])).stdout, /-n '__fish_seen_subcommand_from watch' -l observe-only/);
    const bad = await runCli(['completion', 'tcsh']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bash, zsh, fish/);
  });
});

describe('LOG_FORMAT and LOG_LEVEL', () => {
  const once = (env: Record<string, string>) =>
    runCli(['watch', '--once', '--state-dir', path.join(dir, `log-${Math.random()}`)], { DOCKER_HOST: testDockerHost(), TARGET_CONTAINERS: 'dt-none-such', HEALTH_PORT: '0', ...env }, { cwd: dir });

  test('not a terminal: JSON lines with time, level and msg beside the event fields', async () => {
    const r = await once({});
    assert.equal(r.code, 0, r.stderr);
    const started = JSON.parse(r.stdout.split('\n')[0]!) as Record<string, unknown>;
    assert.equal(started['type'], 'started');
    assert.equal(started['level'], 'info');
    assert.match(String(started['msg']), /^container-doctor watching /);
    assert.ok(!Number.isNaN(Date.parse(String(started['time']))));
  });

  test('LOG_FORMAT=text prints text even to a pipe; LOG_LEVEL=warn drops info lines', async () => {
    const text = await once({ LOG_FORMAT: 'text' });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^container-doctor watching /);
    assert.doesNotMatch(text.stdout, /^\{/m);
    const quiet = await once({ LOG_LEVEL: 'warn' });
    assert.equal(quiet.code, 0, quiet.stderr);
    const levels = quiet.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { level: string }).level);
    // No `started` or `cycle` (info); warnings (the engine's event buffer, say) still come through.
    assert.ok(levels.every((l) => l === 'warn' || l === 'error'), levels.join(','));
    const loud = await once({ LOG_LEVEL: 'debug' });
    assert.ok(loud.stdout.includes('"type":"started"') && loud.stdout.includes('"type":"cycle"'));
    const bad = await once({ LOG_FORMAT: 'yaml' });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'doctor: LOG_FORMAT must be auto, json or text (got "yaml")\n');
  });
});

describe('start-up', () => {
  // Every script of the build: the shell, the commands' files and the packages apart.
  async function bundleFiles(): Promise<string[]> {
    const dist = new URL('../../dist/', import.meta.url).pathname;
    const entries = await readdir(dist, { recursive: true });
    const files = entries.filter((f) => /\.[cm]?js$/.test(f)).map((f) => path.join(dist, f));
    for (const part of ['doctor.cjs', `commands${path.sep}diagnose.cjs`, `vendor${path.sep}anthropic-ai-sdk.cjs`]) {
      assert.ok(files.some((f) => f.endsWith(part)), `the build has ${part}: ${entries.join(', ')}`);
    }
    return files;
  }

  // Which of Node's own modules a process loaded, written at its exit by a preloaded hook.
  async function builtinsLoadedBy(args: readonly string[], env: Record<string, string> = {}): Promise<string[]> {
    const hook = path.join(dir, 'builtins-hook.cjs');
    const out = path.join(dir, 'builtins.json');
    await writeFile(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList)));\n`);
    const r = await runCli(args, { ...env, NODE_OPTIONS: `--require ${hook}` });
    assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
    const loaded = JSON.parse(await readFile(out, 'utf8')) as string[];
    return loaded.filter((m) => m.startsWith('NativeModule ') && !m.includes('internal/')).map((m) => m.slice('NativeModule '.length));
  }

  test('doctor --help loads none of what only the commands use (child_process, http, crypto, zlib, v8)', async () => {
    const loaded = await builtinsLoadedBy(['--help']);
    assert.ok(loaded.includes('fs'), `the hook saw the process: ${loaded.join(', ')}`);
    for (const heavy of ['child_process', 'http', 'https', 'crypto', 'zlib', 'tls', 'worker_threads', 'v8']) {
      assert.ok(!loaded.includes(heavy), `--help loaded ${heavy}: ${loaded.join(', ')}`);
    }
  });

  test('a rules-only diagnose loads neither node:crypto nor TLS (the signature is hashed in JavaScript)', async () => {
    const { name } = await runContainer({ name: 'conv-crypto', cmd: 'echo "fatal: cannot open queue" >&2; exit 3' });
    const loaded = await builtinsLoadedBy(['diagnose', name, '--json'], { DOCKER_HOST: testDockerHost(), STATE_DIR: path.join(dir, 'state-crypto') });
    assert.ok(loaded.includes('http'), `the hook saw the diagnose: ${loaded.join(', ')}`);
    for (const heavy of ['crypto', 'https', 'tls', 'child_process', 'zlib']) assert.ok(!loaded.includes(heavy), `diagnose loaded ${heavy}: ${loaded.join(', ')}`);
  });

  test('the shell and the one-shot commands are CommonJS, none of ours calls import() but for the watch; the watch imports no built-in as an ES module', async () => {
    const { Script } = await import('node:vm');
    let usesHttp = false;
    let watchImported = false;
    for (const file of await bundleFiles()) {
      const text = await readFile(file, 'utf8');
      usesHttp ||= text.includes('"node:http"');
      if (file.endsWith('.mjs')) {
        // Past the banner of each ES module (createRequire and fileURLToPath, for the bundled CommonJS):
        // an ES import of a built-in builds its facade, which reads every export (node:http loads undici
        // on Node 22 and 24, node:process the report machinery).
        const body = text.replace(/^import \{ createRequire as __doctorCreateRequire \}.*\n/, '');
        assert.doesNotMatch(body, /(from|import)\s*\(?\s*["'](node:)?(fs|path|process|http|net|stream|events|os|util|url|module|zlib|tty|dns|readline|child_process|worker_threads)(\/[a-z]+)?["']/, `${path.basename(file)} imports a built-in as an ES module`);
        continue;
      }
      // A script with an ES import or export statement does not compile.
      assert.doesNotThrow(() => new Script(text, { filename: file }), `${path.basename(file)} is not a CommonJS script`);
      // An import() starts Node's ES module loader (13 ms of a diagnose on Node 20); the shell has one,
      // for the watch. The packages apart are not ours: the Anthropic SDK spells one in an error message.
      if (file.includes(`${path.sep}vendor${path.sep}`)) continue;
      const imports = [...text.matchAll(/[^\w$.]import\s*\(\s*("[^"]*")?/g)].map((m) => m[1] ?? '(computed)');
      if (file.endsWith('doctor.cjs')) {
        assert.deepEqual(imports, ['"./commands/watch.mjs"'], 'the shell imports the watch alone');
        watchImported = true;
      } else assert.deepEqual(imports, [], `${path.basename(file)} calls import()`);
    }
    assert.ok(usesHttp && watchImported, 'the build uses node:http, and the shell imports the watch');
  });

  test('node:crypto, node:https and node:tls load on first use, through the stand-ins (3 MB of an idle watch on Node 24)', async () => {
    const lazy = new Set<string>();
    for (const file of await bundleFiles()) {
      const text = await readFile(file, 'utf8');
      for (const name of ['crypto', 'https', 'tls']) {
        if (text.includes(`??=require("node:${name}")`)) lazy.add(name);
        // esbuild requires an imported module where the importing module starts: `var x=require(...)`.
        if (!file.includes(`${path.sep}vendor${path.sep}`)) assert.doesNotMatch(text, new RegExp(`(?<!\\?)=require\\("(node:)?${name}"\\)`), `${path.basename(file)} requires ${name} as it loads`);
      }
    }
    assert.deepEqual([...lazy].sort(), ['crypto', 'https', 'tls'], 'the build still uses all three, through the stand-ins of scripts/bundle.mjs');
  });
});
