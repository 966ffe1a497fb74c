/**
 * Layering the sources of settings (.env, then the environment, then flags) and remembering where
 * each value came from, for `doctor config`. Secret settings may come from a file named by
 * `<NAME>_FILE` in any layer (secret-files.ts).
 */
import { ConfigError } from '../core/errors.js';
import { readSecretFile, SECRET_SETTINGS } from './secret-files.js';

/** Where a value came from, as `doctor config` shows it. */
export type SettingSource = 'default' | '.env' | 'environment' | 'flag' | 'file';

export interface SettingOrigin {
  readonly source: SettingSource;
  /** For `file`: the path read; for a value found by engine discovery: how it was found. */
  readonly detail?: string;
}

export interface Layers {
  readonly envFile: Readonly<Record<string, string | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: Readonly<Record<string, string | undefined>>;
}

export interface LayeredSettings {
  readonly raw: Record<string, string>;
  readonly origins: Record<string, SettingOrigin>;
}

/**
 * Merges the layers for the settings in `known`, later layers winning. A secret's `_FILE` in a
 * layer counts as that layer setting it; giving both the setting and its `_FILE` is an error,
 * as in the official images (a value must have one source).
 */
export function layerSettings(layers: Layers, known: ReadonlySet<string>, cwd: string): LayeredSettings {
  const raw: Record<string, string> = {};
  const origins: Record<string, SettingOrigin> = {};
  const ordered: Array<[Exclude<SettingSource, 'default' | 'file'>, Layers[keyof Layers]]> = [
    ['.env', layers.envFile],
    ['environment', layers.env],
    ['flag', layers.flags],
  ];
  const fileSetBy = new Map<string, string>();
  for (const [source, layer] of ordered) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined || !known.has(key)) continue;
      raw[key] = value;
      origins[key] = { source };
    }
    for (const name of SECRET_SETTINGS) {
      const file = layer[`${name}_FILE`];
      if (file === undefined || file === '') continue;
      fileSetBy.set(name, `${name}_FILE`);
      raw[name] = readSecretFile(`${name}_FILE`, file, cwd);
      origins[name] = { source: 'file', detail: file };
    }
  }
  for (const name of SECRET_SETTINGS) {
    if (!fileSetBy.has(name)) continue;
    const direct = ordered.find(([, layer]) => layer[name] !== undefined && layer[name] !== '');
    if (direct) throw new ConfigError(`${name} and ${name}_FILE are both set (${name} in ${direct[0] === '.env' ? 'the .env file' : `the ${direct[0]}`}); set only one`);
  }
  return { raw, origins };
}
