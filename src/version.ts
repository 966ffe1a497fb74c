import { readFileSync } from 'node:fs';

/** Set by the bundler (scripts/bundle.mjs) from package.json; absent when running from source. */
declare const __DOCTOR_VERSION__: string | undefined;

/** The package version: fixed in the bundle, else read once from package.json (one level above src/). */
export const VERSION: string = typeof __DOCTOR_VERSION__ === 'string' ? __DOCTOR_VERSION__ : (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
