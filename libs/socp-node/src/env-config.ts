/**
 * The one typed environment reader (S11). Each service's `config.ts` describes its variables in
 * a table of fields — name, default, bounds — and `readEnv` reads the table: it coerces every
 * value, collects *every* problem instead of stopping at the first, and gives back an object of
 * the table's shape. `finishConfig` then throws one SocpError('SOCP_ERR_CONFIG') listing them
 * all, or returns the config deep-frozen.
 *
 * @example
 * ```ts
 * const problems: string[] = [];
 * const v = readEnv(process.env, { port: envInt('SOCP_PORT', 9101, 0, 65535), level: envOneOf('SOCP_LOG_LEVEL', LEVELS, 'info') }, problems);
 * if (v.port === 0) problems.push('…');               // rules across variables stay in config.ts
 * return finishConfig({ ...v }, problems, 'invalid server configuration');
 * ```
 *
 * Problem texts are uniform: `NAME must be <what> (got "<raw>")`; a field may say <what> its own
 * way. A value that has a problem reads as its default, so later checks still run.
 * Here, not in @socp/protocol, because `envSecret` reads files (NAME_FILE).
 */
import { readFileSync } from 'node:fs';
import { SocpError } from '@socp/protocol';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvOptions {
  /**
   * A variable set to "" counts as unset (default: true; compose files pass empty defaults).
   * The CLI says false: there an empty value is a mistake to report.
   */
  emptyIsUnset?: boolean;
}

/** One variable of a table: how it is read. */
export interface EnvField<T> {
  readonly name: string;
  read(raw: string | undefined, problems: string[], env: Env): T;
}

type Values<S extends Record<string, EnvField<unknown>>> = { -readonly [K in keyof S]: S[K] extends EnvField<infer T> ? T : never };

/** Read every field of `spec` from `env`; problems are appended to `problems`. */
export function readEnv<S extends Record<string, EnvField<unknown>>>(env: Env, spec: S, problems: string[], o: EnvOptions = {}): Values<S> {
  const emptyIsUnset = o.emptyIsUnset ?? true;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(spec)) {
    const raw = env[field.name];
    out[key] = field.read(emptyIsUnset && raw === '' ? undefined : raw, problems, env);
  }
  return out as Values<S>;
}

const mustBe = (name: string, what: string, raw: string): string => `${name} must be ${what} (got ${JSON.stringify(raw)})`;

function intOf(raw: string, min: number, max: number): number | undefined {
  const n = raw.trim() === '' ? NaN : Number(raw); // Number('') is 0
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** A string; `def` when unset. */
export const envStr = (name: string, def: string): EnvField<string> => ({ name, read: (raw) => raw ?? def });

/** A string, or undefined when unset. */
export const envOptStr = (name: string): EnvField<string | undefined> => ({ name, read: (raw) => raw });

/** An integer in [min, max]; `def` when unset. */
export function envInt<D extends number | undefined = number>(name: string, def: D, min: number, max: number, what = `an integer in [${min}, ${max}]`): EnvField<number | D> {
  return {
    name,
    read(raw, problems) {
      if (raw === undefined) return def;
      const n = intOf(raw, min, max);
      if (n === undefined) problems.push(mustBe(name, what, raw));
      return n ?? def;
    },
  };
}

/** A comma-separated list of integers in [min, max]; `def` when unset. */
export function envIntList(name: string, def: readonly number[], min: number, max: number, what: string): EnvField<readonly number[]> {
  return {
    name,
    read(raw, problems) {
      if (raw === undefined) return def;
      const steps = raw.split(',').map((s) => intOf(s.trim(), min, max));
      if (steps.every((n) => n !== undefined)) return steps;
      problems.push(mustBe(name, what, raw));
      return def;
    },
  };
}

/** One of `values`; `def` when unset. */
export function envOneOf<T extends string>(name: string, values: readonly T[], def: T): EnvField<T> {
  const what = values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`;
  return {
    name,
    read(raw, problems) {
      if (raw === undefined) return def;
      if ((values as readonly string[]).includes(raw)) return raw as T;
      problems.push(mustBe(name, what, raw));
      return def;
    },
  };
}

/**
 * A secret given as NAME, or else in the file NAME_FILE names (Docker/compose secrets); undefined
 * when neither is set. A file's text loses surrounding white space (`trim`) or only its final
 * line break (`line`: for a passphrase, where spaces may be part of it).
 */
export function envSecret(name: string, strip: 'trim' | 'line' = 'trim'): EnvField<string | undefined> {
  return {
    name,
    read(raw, problems, env) {
      if (raw !== undefined && raw !== '') return raw;
      const file = env[`${name}_FILE`];
      if (file === undefined || file === '') return undefined;
      try {
        const text = readFileSync(file, 'utf8');
        return strip === 'trim' ? text.trim() : text.replace(/\r?\n$/, '');
      } catch (e) {
        problems.push(`${name}_FILE ${JSON.stringify(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        return undefined;
      }
    },
  };
}

/** A variable with a reader of its own (it pushes its own problems). */
export const envCustom = <T>(name: string, read: (raw: string | undefined, problems: string[]) => T): EnvField<T> => ({ name, read });

/** Freeze plain objects and arrays all the way down; class instances (keys) are left alone. */
export function deepFreeze<T>(o: T): T {
  if (o === null || typeof o !== 'object') return o;
  const proto = Object.getPrototypeOf(o) as unknown;
  if (!Array.isArray(o) && proto !== Object.prototype && proto !== null) return o;
  for (const v of Object.values(o)) deepFreeze(v);
  return Object.freeze(o);
}

/**
 * The end of every loadConfig: throw SocpError('SOCP_ERR_CONFIG') listing every problem — under
 * `heading`, one a line, or joined by "; " without one — or return `cfg` deep-frozen.
 */
export function finishConfig<T>(cfg: T, problems: readonly string[], heading?: string): T {
  if (problems.length > 0) throw new SocpError('SOCP_ERR_CONFIG', heading === undefined ? problems.join('; ') : `${heading}:\n  - ${problems.join('\n  - ')}`);
  return deepFreeze(cfg);
}
