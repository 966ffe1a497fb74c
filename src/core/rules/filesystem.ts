/**
 * Filesystem: the volume is full, read-only, or owned by someone else. A restart changes none of
 * that.
 */
import { fromLine, lead, lineHit, quoteHit, unfixable, type CatalogEntry } from './rule-kit.js';
import { extractPath, findLastLine } from '../evidence-text.js';

const DISK_FULL = /no space left on device|\bENOSPC\b|\[Errno 28\]|disk quota exceeded|\bEDQUOT\b|database or disk is full|not enough space on the disk|could not extend file|\bdisk (?:is )?full\b|insufficient (?:disk|storage) space/i;
/** ENOSPC also reports inotify's watch limit (a kernel setting, not a full disk). */
const DISK_FULL_NOT = /file watchers|inotify|max_user_watches/i;
const READ_ONLY_FS = /read-only file system|\bEROFS\b|\[Errno 30\]/i;
/** Ownership and mode shapes name a file as surely as "permission denied" does. */
const PERMISSION_DENIED = /has wrong ownership|has invalid permissions|must be (?:owned by|accessible by owner only)|accessible by owner only|\bnot owned by\b|\bEACCES\b|\bEPERM\b|\[Errno 13\]|\[Errno 1\] Operation not permitted|permission denied|operation not permitted|access (?:to the path .* )?is denied|AccessDeniedException/i;
/** Permission words that are about a database privilege or a login, not a file. */
/** Words that make a bare "permission denied" about a file ("error loading the DB: Permission denied"). */
const FILE_ACCESS = /\b(?:open|opening|read|reading|write|writing|creat\w*|load\w*|sav\w*|mkdir|file|director\w*|folder|volume|mount\w*|chown|chmod|lock\w*|DB|database|data)\b/i;
const PERMISSION_NOT_FILE = /permission denied for (?:table|relation|schema|database|sequence|function|view|column|language|tablespace|large object)|permission denied \(publickey|authentication failed|access denied for user/i;

export const diskFull: CatalogEntry = {
  id: 'disk-full',
  failureClass: 'filesystem',
  // Restarting frees no space: the volume or the host filesystem stays full.
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, DISK_FULL, DISK_FULL_NOT),
  build(ctx, found) {
    const path = found.line ? extractPath(found.line) : undefined;
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} the disk it writes to is full${path ? ` (writing ${path})` : ''}.${quoteHit(found)}`,
      suggested_fix: `Free space on the volume or the host (docker system df; prune unused images, old logs, build cache), or grow the volume${path ? ` that holds ${path}` : ''}; then start it.`,
      config_suggestions: [
        'Cap container log size (log-opts max-size/max-file) so logs cannot fill the disk.',
        'Alert on disk usage of Docker\'s data directory and data volumes before they fill.',
      ],
    });
  },
};

export const readOnlyFilesystem: CatalogEntry = {
  id: 'read-only-filesystem',
  failureClass: 'filesystem',
  // The mount is read-only by configuration (:ro, --read-only); a restart keeps the same mounts.
  restartCannotFix: true,
  settled: true,
  match: (ctx) => lineHit(ctx, READ_ONLY_FS),
  build(ctx, found) {
    const path = found.line ? extractPath(found.line) : undefined;
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} it tried to write to a read-only filesystem${path ? ` (${path})` : ''}.${quoteHit(found)}`,
      suggested_fix: `Mount a writable volume or tmpfs at ${path ?? 'the path it writes'} (or drop :ro / --read-only for it), then re-create the container.`,
      config_suggestions: ['With --read-only, give writable paths their own tmpfs (--tmpfs /tmp) or volumes.'],
    });
  },
};

export const permissionDenied: CatalogEntry = {
  id: 'permission-denied',
  failureClass: 'filesystem',
  // File ownership and modes on a volume do not change on restart; neither does the user it runs as.
  restartCannotFix: true,
  settled: true,
  match(ctx) {
    const hit = findLastLine(ctx.lines, PERMISSION_DENIED, PERMISSION_NOT_FILE);
    if (!hit) return undefined;
    // A bare "permission denied" must name a file to be about one.
    if (!/EACCES|EPERM|Errno 1[3]?\]/i.test(hit.line) && !extractPath(hit.line) && !FILE_ACCESS.test(hit.line)) return undefined;
    return fromLine(hit);
  },
  build(ctx, found) {
    const path = found.line ? extractPath(found.line) : undefined;
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} it was denied access to ${path ?? 'a file or directory'} (the user it runs as lacks permission, often on a mounted volume).${quoteHit(found)}`,
      suggested_fix: `Give the container's user access to ${path ?? 'the path'}: chown/chmod it on the host or volume to the UID the image runs as, or run the container with a matching --user.`,
      config_suggestions: ['Create data directories in the image with the right owner, or use named volumes (Docker copies the image directory\'s ownership into a new named volume).'],
    });
  },
};
