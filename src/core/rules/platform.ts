/**
 * Platform: the image was built for another CPU level, C library or runtime version than the one
 * it runs on. The same image on the same host fails the same way on every start.
 */
import { diedAtStartUp, fields, lead, lineHit, quoteHit, recurrenceNote, seenBefore, unfixable, type CatalogEntry } from './rule-kit.js';

const ILLEGAL_INSTRUCTION = /Illegal instruction|\bSIGILL\b|signal 4\b|invalid opcode/i;

export const illegalInstruction: CatalogEntry = {
  // 132 = 128 + SIGILL. A binary built with AVX/AVX2 or for x86-64-v2/v3 dies on a CPU (or a VM's
  // virtual CPU) without them: MongoDB 5+, TensorFlow and other vectorised builds.
  id: 'illegal-instruction',
  failureClass: (ctx) => (diedAtStartUp(ctx) ? 'host' : 'code'),
  restartCannotFix: false,
  // At start-up it is the CPU: nothing about it changes on restart. A SIGILL after serving for a
  // while can be a code path that traps on purpose (Rust's ud2 on an unreachable branch) or a rarely
  // used vector instruction: one restart, escalated when it comes back.
  cannotFix: (ctx) => diedAtStartUp(ctx),
  settled: true,
  match(ctx) {
    if (ctx.exited && ctx.exitCode === 132) return lineHit(ctx, ILLEGAL_INSTRUCTION) ?? {};
    return ctx.exited ? lineHit(ctx, /Illegal instruction(?: \(core dumped\))?$/i) : undefined;
  },
  build(ctx, found) {
    const atStart = diedAtStartUp(ctx);
    const again = seenBefore(ctx, 'illegal-instruction') > 0;
    const fix = `Run an image built for this CPU (an older or non-AVX build, e.g. mongo:4.4 for MongoDB; check grep -o 'avx[^ ]*' /proc/cpuinfo on the host), or move it to a host whose CPU has the instructions; in a VM, expose the host CPU model (host-passthrough) instead of a generic one.`;
    if (atStart) {
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} its program executed a CPU instruction this machine does not have (SIGILL, exit 132) while starting: the image was built for a newer CPU level (AVX/AVX2, x86-64-v2/v3) than the host or its VM offers, so every start dies the same way.${quoteHit(found)}`,
        suggested_fix: fix,
        config_suggestions: ['Pin the image to a version that supports the oldest CPU in the fleet, or constrain the service to hosts with the needed CPU features.'],
      });
    }
    return fields(ctx, 'illegal-instruction', {
      root_cause: `${lead(ctx, ':')} its process hit an illegal instruction (SIGILL) after running for a while: a code path that traps on purpose, or a CPU instruction the host lacks in a rarely used path.${quoteHit(found)}${recurrenceNote(ctx, 'illegal-instruction')}`,
      severity: 'high',
      auto_restart_safe: !again,
      suggested_fix: again ? `It happened before: ${fix}` : `Restart it once; if it comes back, check the CPU: ${fix}`,
      config_suggestions: [],
    });
  },
};

/** Java: classes compiled for a newer JVM than the image's. Class file version - 44 = Java release. */
const JAVA_CLASS_VERSION = /UnsupportedClassVersionError|has been compiled by a more recent version of the Java Runtime|Unsupported major\.minor version|invalid target release: \d+/i;
/** A binary linked against a newer C library than the image's, or glibc software on musl (Alpine). */
const LIBC_VERSION = /version [`'\u2018]GLIBC(?:XX)?_[\d.]+' not found|GLIBC_[\d.]+ not found|Error relocating [^:]+: \w+: symbol not found|ld-linux[\w-]*\.so\.\d+: No such file or directory|__libc_single_threaded|Dynamic loading not supported/i;
/** A native Node addon built for another Node.js ABI. */
const NODE_ABI = /was compiled against a different Node\.js version|NODE_MODULE_VERSION \d+\. This version of Node\.js requires|Module did not self-register/i;
const PLATFORM_MISMATCH = new RegExp([JAVA_CLASS_VERSION.source, LIBC_VERSION.source, NODE_ABI.source].join('|'), 'i');

function javaRelease(classVersion: string | undefined): string | undefined {
  const n = classVersion === undefined ? NaN : Math.floor(Number(classVersion));
  return Number.isFinite(n) && n > 44 ? String(n - 44) : undefined;
}

export const runtimeMismatch: CatalogEntry = {
  id: 'runtime-mismatch',
  failureClass: 'code',
  // The image's code was built for another runtime or C library than the image ships.
  restartCannotFix: true,
  settled: true,
  match: (ctx) => (ctx.exited ? lineHit(ctx, PLATFORM_MISMATCH) : undefined),
  build(ctx, found) {
    const line = found.line ?? '';
    const all = ctx.lines.join('\n');
    if (JAVA_CLASS_VERSION.test(line)) {
      const built = javaRelease(all.match(/class file version (\d+(?:\.\d+)?)/i)?.[1]);
      const runs = javaRelease(all.match(/class file versions up to (\d+(?:\.\d+)?)/i)?.[1]);
      const which = built && runs ? ` (compiled for Java ${built}; the image runs Java ${runs})` : '';
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} its classes were compiled for a newer Java than the runtime in the image${which}.${quoteHit(found)}`,
        suggested_fix: `Use a base image with Java ${built ?? 'matching the build'} or newer (eclipse-temurin:${built ?? 'N'}-jre), or compile for the image's Java (javac --release ${runs ?? 'N'}; Gradle/Maven toolchain); rebuild and re-create the container.`,
        config_suggestions: ['Build and run on the same Java version: take the runtime image tag from the build toolchain.'],
      });
    }
    if (NODE_ABI.test(line) || NODE_ABI.test(all)) {
      const versions = all.match(/NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/);
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} a native Node.js module in the image was built for another Node.js version${versions ? ` (ABI ${versions[1]}; this Node.js needs ${versions[2]})` : ''}: node_modules was installed with one Node.js and runs on another.${quoteHit(found)}`,
        suggested_fix: 'Rebuild the native modules with the Node.js the image runs (npm rebuild, or npm ci inside the same base image in the Dockerfile instead of copying node_modules from the host or another stage), then re-create the container.',
        config_suggestions: ['Add node_modules to .dockerignore and install dependencies in the image with the same Node.js it runs.'],
      });
    }
    const glibc = line.match(/GLIBC(?:XX)?_[\d.]+/)?.[0];
    const musl = /Error relocating|symbol not found|ld-linux|Dynamic loading not supported/i.test(line);
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} a binary in the image needs ${musl ? 'the GNU C library, and the image is musl-based (Alpine)' : `a newer C library than the image has${glibc ? ` (${glibc})` : ''}`}: it was built on another distribution than the one it runs on.${quoteHit(found)}`,
      suggested_fix: musl
        ? 'Use a glibc-based image (a -slim Debian tag instead of -alpine) or build the binary on Alpine (or statically), then re-create the container.'
        : `Build the binary on the same base image it runs on (a multi-stage Dockerfile with one distribution release), or run it on a base image with ${glibc ?? 'that glibc'} or newer; then re-create the container.`,
      config_suggestions: ['Build and run on the same base image; or link statically (CGO_ENABLED=0 for Go).'],
    });
  },
};
