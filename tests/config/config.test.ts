import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError, loadConfig, parseConfig, secretsFromEnv } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { formatProblem } from '../../src/errors.js';
import { testdir } from '../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Every leaf key path of the schema, e.g. "site.author.name". */
function leafKeys(schema: z.ZodType, prefix = ''): string[] {
  let inner: z.ZodType = schema;
  // Unwrap default / prefault / optional / pipe to reach the object underneath.
  for (;;) {
    const def = (inner as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } }).def;
    if (def.innerType) inner = def.innerType;
    else if (def.type === 'pipe' && def.in) inner = def.in;
    else break;
  }
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, value]) => leafKeys(value, prefix ? `${prefix}.${key}` : key));
  }
  return [prefix];
}

describe('config', () => {
  it('the committed sample config and the example are valid', () => {
    for (const file of ['config/feedletter.yaml', 'config/feedletter.example.yaml']) {
      const result = parseConfig(readFileSync(path.join(ROOT, file), 'utf8'), file);
      expect(result.errors, file).toEqual([]);
      expect(result.config).toBeDefined();
    }
  });

  it('the example documents every key of the schema', () => {
    const text = readFileSync(path.join(ROOT, 'config/feedletter.example.yaml'), 'utf8');
    // Commented-out keys count as documented: strip one level of "# " before parsing the key names.
    const uncommented = text.replace(/^(\s*)#\s*([a-zA-Z]+:)/gm, '$1$2');
    const keys = leafKeys(configSchema);
    expect(keys.length).toBeGreaterThan(40);
    for (const key of keys) {
      const last = key.split('.').at(-1)!;
      expect(uncommented, `config/feedletter.example.yaml does not mention ${key}`).toMatch(new RegExp(`^\\s*${last}:`, 'm'));
    }
    // and the example's own defaults equal the schema's
    const example = parseConfig(text, 'example').config!;
    const defaults = parseConfig('{}', 'defaults').config!;
    expect(example).toEqual(defaults);
  });

  it('embedded defaults apply when there is no config file', () => {
    const cwd = testdir({});
    const { resolved, warnings } = loadConfig({ cwd, env: {} });
    expect(resolved.file).toBeUndefined();
    expect(resolved.config.feeds.limit).toBe(20);
    expect(resolved.config.digest.firstRunLookback).toBe(7 * 86_400_000);
    expect(resolved.paths.output).toBe(path.join(cwd, 'public'));
    expect(resolved.paths.state).toBe(path.join(cwd, '.feedletter'));
    expect(warnings.map((w) => w.field)).toContain('site.url');
  });

  it('reports every mistake at once, with key path, line and hint; unknown keys are errors', () => {
    const text = ['site:', '  title: X', '  url: ftp://example.com', '  tiemzone: UTC', 'feeds:', '  limit: 0', '  content: everything', 'permalink: no-slash', 'extra: 1', ''].join('\n');
    const { errors, config } = parseConfig(text, 'config/feedletter.yaml');
    expect(config).toBeUndefined();
    const byField = Object.fromEntries(errors.map((e) => [e.field, e]));
    expect(Object.keys(byField).sort()).toEqual(['extra', 'feeds.content', 'feeds.limit', 'permalink', 'site.tiemzone', 'site.url'].sort());
    expect(byField['site.url']?.line).toBe(3);
    expect(byField['feeds.limit']?.line).toBe(6);
    expect(byField['site.tiemzone']?.message).toBe('unknown key');
    expect(byField['site.tiemzone']?.line).toBe(4);
    for (const error of errors) {
      expect(error.hint).toBeTruthy();
      expect(formatProblem(error)).toMatch(/^config\/feedletter\.yaml(:\d+)?: /);
    }
  });

  it('rejects a bad time zone and a bad lookback, and parses good ones', () => {
    const bad = parseConfig('site:\n  timezone: Mars/Olympus\ndigest:\n  firstRunLookback: soon\n', 'c.yaml');
    expect(bad.errors.map((e) => e.field).sort()).toEqual(['digest.firstRunLookback', 'site.timezone']);
    const good = parseConfig('site:\n  timezone: Asia/Tokyo\n  url: https://example.jp\ndigest:\n  firstRunLookback: 36h\n', 'c.yaml');
    expect(good.config?.digest.firstRunLookback).toBe(36 * 3_600_000);
    expect(good.config?.site.url).toBe('https://example.jp/');
    expect(parseConfig('digest:\n  firstRunLookback: all\n', 'c.yaml').config?.digest.firstRunLookback).toBe(Number.POSITIVE_INFINITY);
  });

  it('accepts time zone aliases as well as canonical names', () => {
    for (const tz of ['UTC', 'Etc/UTC', 'GMT', 'US/Pacific', 'Asia/Calcutta', 'asia/tokyo', 'Europe/Berlin']) {
      expect(parseConfig(`site:\n  timezone: ${tz}\n`, 'c.yaml').errors, tz).toEqual([]);
    }
    expect(parseConfig('schedule:\n  timezone: Asia/Tokio\n', 'c.yaml').errors.map((e) => e.field)).toEqual(['schedule.timezone']);
  });

  it('reports YAML syntax errors with their line', () => {
    const { errors } = parseConfig('site:\n  title: [unclosed\nfeeds:\n  limit: 3\n', 'c.yaml');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.message).toMatch(/YAML syntax error/);
    expect(errors[0]?.line).toBeGreaterThan(0);
  });

  it('loadConfig throws one ConfigError carrying every problem; a missing --config file is an error', () => {
    const cwd = testdir({ 'config/feedletter.yaml': 'site:\n  titel: x\nfeeds:\n  limit: -3\n' });
    let thrown: unknown;
    try {
      loadConfig({ cwd, env: {} });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toHaveLength(2);
    expect((thrown as ConfigError).code).toBe('CONFIG_INVALID');
    expect(() => loadConfig({ cwd, configFile: 'nope.yaml', env: {} })).toThrow(/nope\.yaml: config file not found/);
  });

  it('secrets come from the environment only', () => {
    expect(secretsFromEnv({ SMTP_URL: ' smtp://u:p@127.0.0.1:25 ', FEEDLETTER_SECRET: '', FEEDLETTER_DKIM_PRIVATE_KEY: undefined })).toEqual({ smtpUrl: 'smtp://u:p@127.0.0.1:25', secret: undefined, dkimPrivateKey: undefined });
    const cwd = testdir({});
    writeFileSync(path.join(cwd, 'c.yaml'), 'smtp:\n  url: smtp://x\n');
    expect(() => loadConfig({ cwd, configFile: 'c.yaml', env: {} })).toThrow(ConfigError);
  });

  it('FEEDLETTER_SECRET needs at least 32 bytes of key material; the error names the variable, never the value', () => {
    const cwd = testdir({});
    for (const short of ['x', 'hunter2-hunter2', 'k'.repeat(31), 'あ'.repeat(10)]) {
      let thrown: unknown;
      try {
        loadConfig({ cwd, env: { FEEDLETTER_SECRET: short } });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, short).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('FEEDLETTER_SECRET') });
      const error = thrown as { message: string; hint: string };
      expect(`${error.message} ${error.hint}`).not.toContain(short);
      expect(error.hint).toMatch(/openssl rand/);
    }
    // 32 bytes, counted as UTF-8 (11 × 3 = 33 bytes), surrounding blanks not counted
    for (const enough of ['k'.repeat(32), 'あ'.repeat(11), `  ${'k'.repeat(32)}\n`]) {
      expect(loadConfig({ cwd, env: { FEEDLETTER_SECRET: enough } }).resolved.secrets.secret, enough).toBe(enough.trim());
    }
    // unset or blank: the generated secret of the state folder is used
    expect(loadConfig({ cwd, env: { FEEDLETTER_SECRET: '  ' } }).resolved.secrets.secret).toBeUndefined();
  });

  it('every key of the schema has a description', () => {
    const missing: string[] = [];
    const walk = (schema: z.ZodType, prefix: string): void => {
      const inner = schema as unknown as { description?: string; def: { innerType?: z.ZodType; in?: z.ZodType; type: string } };
      let node: z.ZodType = schema;
      for (;;) {
        const def = (node as unknown as { def: { innerType?: z.ZodType; in?: z.ZodType; type: string } }).def;
        if (def.innerType) node = def.innerType;
        else if (def.type === 'pipe' && def.in) node = def.in;
        else break;
      }
      if (node instanceof z.ZodObject) {
        for (const [key, value] of Object.entries(node.shape as Record<string, z.ZodType>)) walk(value, prefix ? `${prefix}.${key}` : key);
      } else if (!inner.description && !(schema as { description?: string }).description) {
        missing.push(prefix);
      }
    };
    walk(configSchema, '');
    expect(missing).toEqual([]);
    expect(parse('a: 1')).toEqual({ a: 1 });
  });
});
