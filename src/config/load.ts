import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { FeedletterError, type Problem } from '../errors.js';
import { configSchema, type Config, type ResolvedConfig, type Secrets } from './schema.js';
import { parseSmtpUrl } from './smtp-url.js';

/** Where `load` looks when no `--config` is given, relative to the working directory. */
export const DEFAULT_CONFIG_FILE = 'config/feedletter.yaml';

export interface LoadResult {
  config: Config | undefined;
  warnings: Problem[];
  errors: Problem[];
}

/**
 * Parse and validate config text. Pure: no file system, no environment. Every problem is
 * reported at once, each with its key path and, where the YAML has one, its line.
 */
export function parseConfig(text: string, file: string): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors: Problem[] = [];
  for (const error of doc.errors) {
    const line = lineCounter.linePos(error.pos[0]).line;
    errors.push({
      file,
      ...(line === undefined ? {} : { line }),
      message: `YAML syntax error: ${error.message.split('\n')[0] ?? error.code}`,
      hint: 'check indentation and quoting around this line',
      severity: 'error',
    });
  }
  if (errors.length > 0) return { config: undefined, warnings: [], errors };

  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { config: undefined, warnings: [], errors: [{ file, message: 'the config must be a mapping of keys to values', hint: 'start with "site:"', severity: 'error' }] };
  }

  /** Line of the key itself (not its value): what an editor should jump to. */
  const lineOfKey = (parent: readonly PropertyKey[], key: string): number | undefined => {
    const map = (parent.length === 0 ? doc.contents : doc.getIn(parent, true)) as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null;
    const pair = map?.items?.find((item) => item.key?.value === key);
    return pair?.key?.range ? lineCounter.linePos(pair.key.range[0]).line : undefined;
  };

  const lineOf = (keyPath: readonly PropertyKey[]): number | undefined => {
    const last = keyPath.at(-1);
    if (typeof last === 'string') {
      const line = lineOfKey(keyPath.slice(0, -1), last);
      if (line !== undefined) return line;
    }
    // The deepest node that exists: for an unknown key, its parent; for a missing one, the parent.
    for (let depth = keyPath.length; depth >= 0; depth--) {
      const node = doc.getIn(keyPath.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One problem per unknown key, each at its own line.
      for (const key of issue.keys) errors.push(issueToProblem({ ...issue, keys: [key] }, file, (p) => lineOfKey(p, key) ?? lineOf(p)));
    } else {
      errors.push(issueToProblem(issue, file, lineOf));
    }
  }
    return { config: undefined, warnings: [], errors };
  }
  return { config: result.data, warnings: configWarnings(result.data, file), errors: [] };
}

function issueToProblem(issue: z.core.$ZodIssue, file: string, lineOf: (p: readonly PropertyKey[]) => number | undefined): Problem {
  const keyPath = issue.path.map(String).join('.');
  const line = lineOf(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (keyPath ? `${keyPath}.${k}` : k));
    return {
      file,
      ...(line === undefined ? {} : { line }),
      field: keys.join(', '),
      message: `unknown key${keys.length > 1 ? 's' : ''}`,
      hint: 'check the spelling against config/feedletter.example.yaml',
      severity: 'error',
    };
  }
  return {
    file,
    ...(line === undefined ? {} : { line }),
    field: keyPath || '(root)',
    message: issue.message,
    hint: 'see config/feedletter.example.yaml for the key and its default',
    severity: 'error',
  };
}

function configWarnings(config: Config, file: string): Problem[] {
  const warnings: Problem[] = [];
  if (config.site.url === 'http://localhost:8080/') {
    warnings.push({ file, field: 'site.url', message: 'is the placeholder http://localhost:8080/', hint: "set it to the blog's public URL so feed links work", severity: 'warning' });
  }
  return warnings;
}

export function secretsFromEnv(env: NodeJS.ProcessEnv): Secrets {
  const nonEmpty = (value: string | undefined): string | undefined => (value && value.trim() !== '' ? value.trim() : undefined);
  return {
    smtpUrl: nonEmpty(env.SMTP_URL),
    secret: nonEmpty(env.FEEDLETTER_SECRET),
    dkimPrivateKey: nonEmpty(env.FEEDLETTER_DKIM_PRIVATE_KEY),
  };
}

/** Bytes of key material FEEDLETTER_SECRET must carry: as many as the generated secret has. */
export const MIN_SECRET_BYTES = 32;

/**
 * Refuses a FEEDLETTER_SECRET too short to sign unsubscribe links: they are HMAC-SHA256, and a
 * key shorter than the hash's 32 bytes can be guessed offline from any one link (RFC 2104 §3),
 * after which anyone can unsubscribe every reader. The value is never part of the message.
 */
export function checkSigningSecret(secret: string | undefined): void {
  if (secret === undefined || Buffer.byteLength(secret, 'utf8') >= MIN_SECRET_BYTES) return;
  throw new FeedletterError('CONFIG_INVALID', `FEEDLETTER_SECRET is shorter than ${MIN_SECRET_BYTES} bytes: too short to sign unsubscribe links safely (a short HMAC key can be guessed from one link)`, {
    hint: 'set it to 32 random bytes, e.g. the output of `openssl rand -base64 32`, or unset it to use the secret generated in the state folder (a new secret invalidates the links of digests already sent)',
  });
}

export interface LoadOptions {
  cwd: string;
  /** Explicit config path (from `--config`); must exist. Without it, DEFAULT_CONFIG_FILE if present, else the embedded defaults. */
  configFile?: string | undefined;
  env: NodeJS.ProcessEnv;
}

/**
 * Read, validate and resolve the config. Throws CONFIG_INVALID listing every error; returns
 * warnings for the CLI to print.
 */
export function loadConfig(options: LoadOptions): { resolved: ResolvedConfig; warnings: Problem[] } {
  const { cwd } = options;
  const explicit = options.configFile !== undefined;
  const file = path.resolve(cwd, options.configFile ?? DEFAULT_CONFIG_FILE);
  const display = path.relative(cwd, file) || file;

  let result: LoadResult;
  if (existsSync(file)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new FeedletterError('CONFIG_INVALID', `${display}: cannot read the config file`, { cause });
    }
    result = parseConfig(text, display);
  } else if (explicit) {
    throw new FeedletterError('CONFIG_INVALID', `${display}: config file not found`, { hint: 'check the --config path, or omit it to use config/feedletter.yaml' });
  } else {
    result = parseConfig('{}', '(embedded defaults)');
  }

  if (result.errors.length > 0 || result.config === undefined) {
    throw new ConfigError(result.errors);
  }
  const config = result.config;
  const secrets = secretsFromEnv(options.env);
  // A malformed SMTP_URL is a config error (78) now, not an SMTP failure at the first send.
  if (secrets.smtpUrl !== undefined) parseSmtpUrl(secrets.smtpUrl);
  checkSigningSecret(secrets.secret);
  const at = (p: string): string => path.resolve(cwd, p);
  return {
    resolved: {
      config,
      secrets,
      cwd,
      file: existsSync(file) ? file : undefined,
      paths: {
        content: at(config.content.dir),
        output: at(config.output.dir),
        state: at(config.state.dir),
        outbox: at(config.digest.outbox),
        templates: at(config.digest.templates),
      },
    },
    warnings: result.warnings,
  };
}

/** CONFIG_INVALID carrying every problem found, for the CLI to print one per line. */
export class ConfigError extends FeedletterError {
  constructor(problems: Problem[]) {
    super('CONFIG_INVALID', `the config has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, { hint: 'fix them and run again', problems });
  }
}

/** Public base URL of the daemon's HTTP server, where unsubscribe links point. */
export function publicServerUrl(config: Config): string {
  return config.server.publicUrl ?? new URL('newsletter/', config.site.url).href;
}

/** Time zone of the schedules. */
export function scheduleTimeZone(config: Config): string {
  return config.schedule.timezone ?? config.site.timezone;
}
