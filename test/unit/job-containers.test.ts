import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeJobKind, jobKind, type JobKind } from '../../src/core/job-containers.js';
import { makeFacts } from '../helpers/facts.js';

type Row = { name: string; facts: Parameters<typeof makeFacts>[0]; expect: JobKind | undefined };

const rows: Row[] = [
  { name: 'a plain service', facts: { labels: { 'com.docker.compose.service': 'web', 'com.docker.compose.oneoff': 'False' } }, expect: undefined },
  { name: 'docker compose run', facts: { labels: { 'com.docker.compose.service': 'web', 'com.docker.compose.oneoff': 'True' } }, expect: 'compose-run' },
  { name: 'doctor.job=true', facts: { labels: { 'doctor.job': 'true' } }, expect: 'label' },
  { name: 'doctor.job=false wins over --rm and a job-like name', facts: { ref: { name: 'db-migrate' }, autoRemove: true, labels: { 'doctor.job': 'false' } }, expect: undefined },
  { name: 'GitLab runner build container', facts: { labels: { 'com.gitlab.gitlab-runner.managed': 'true', 'com.gitlab.gitlab-runner.type': 'build', 'com.gitlab.gitlab-runner.job.id': '812' } }, expect: 'gitlab-runner' },
  { name: 'Jenkins docker-plugin agent', facts: { labels: { 'com.nirima.jenkins.plugins.docker.JenkinsId': 'abc' } }, expect: 'jenkins' },
  { name: 'Drone step', facts: { labels: { 'io.drone': 'true', 'io.drone.build.number': '2522' } }, expect: 'drone' },
  { name: 'Woodpecker step', facts: { labels: { wp_uuid: '09238932', wp_step: 'test' } }, expect: 'woodpecker' },
  { name: 'GitHub Actions job container (env only)', facts: { env: ['HOME=/github/home', 'GITHUB_ACTIONS=true', 'CI=true'] }, expect: 'github-actions' },
  { name: 'Jenkins Docker Pipeline container (env only)', facts: { env: ['JENKINS_URL=https://ci.example.com/', 'BUILD_TAG=jenkins-app-42'] }, expect: 'jenkins' },
  { name: 'CI=true alone is not a job (many images set it)', facts: { env: ['CI=true'] }, expect: undefined },
  { name: 'docker run --rm', facts: { autoRemove: true }, expect: 'auto-remove' },
  { name: 'a compose migration service', facts: { labels: { 'com.docker.compose.service': 'migrate' } }, expect: 'task-name' },
  { name: 'a container named for a nightly backup', facts: { ref: { name: 'backup-nightly' } }, expect: 'task-name' },
  { name: 'app_migrations', facts: { ref: { name: 'app_migrations' } }, expect: 'task-name' },
  { name: 'nightly-backups (plural)', facts: { ref: { name: 'nightly-backups' } }, expect: 'task-name' },
  { name: 'cron-cleanup', facts: { ref: { name: 'cron-cleanup' } }, expect: 'task-name' },
  { name: 'batch-import', facts: { ref: { name: 'batch-import' } }, expect: 'task-name' },
  { name: 'a compose service invoice-export', facts: { labels: { 'com.docker.compose.service': 'invoice-export' } }, expect: 'task-name' },
  { name: 'an importer daemon is a service', facts: { ref: { name: 'importer' } }, expect: undefined },
  { name: 'a daemon whose name merely contains a task word is not judged by name', facts: { ref: { name: 'backupd' } }, expect: undefined },
  { name: 'a UI for migrations is a service', facts: { ref: { name: 'migrator-ui' } }, expect: undefined },
];

describe('jobKind', () => {
  for (const row of rows) {
    test(row.name, () => {
      const kind = jobKind(makeFacts(row.facts));
      assert.equal(kind, row.expect);
      if (kind) assert.ok(describeJobKind(kind).length > 0);
    });
  }
});
