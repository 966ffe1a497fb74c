import { readFile } from 'node:fs/promises';

const CONTAINER_ID = /[0-9a-f]{64}/;

/**
 * The id of the container this process runs in, if any, so the doctor never restarts itself.
 * Docker bind-mounts /etc/hostname, /etc/hosts and /etc/resolv.conf from
 * `<data-root>/containers/<id>/`, which shows in mountinfo under cgroup v1 and v2 alike; the
 * cgroup path (`/docker/<id>`, `docker-<id>.scope`) is the fallback on older kernels.
 */
export async function detectSelfContainerId(procRoot = '/proc'): Promise<string | undefined> {
  const mountinfo = await readFile(`${procRoot}/self/mountinfo`, 'utf8').catch(() => '');
  for (const line of mountinfo.split('\n')) {
    if (!/\s\/etc\/(hostname|hosts|resolv\.conf)\s/.test(line)) continue;
    const match = /\/containers\/([0-9a-f]{64})\//.exec(line);
    if (match) return match[1];
  }
  const cgroup = await readFile(`${procRoot}/self/cgroup`, 'utf8').catch(() => '');
  for (const line of cgroup.split('\n')) {
    if (!/docker|containerd/.test(line)) continue;
    const match = CONTAINER_ID.exec(line);
    if (match) return match[0];
  }
  return undefined;
}
