import * as z from 'zod/v4';

/**
 * The whole configuration of feedletter. The schema is the type (`Config = z.infer<...>`), the
 * defaults live here and nowhere else, and every key has a one-line description that
 * `config/feedletter.example.yaml` and the README repeat. Unknown keys are errors: a typo must
 * never pass silently. Secrets (SMTP URL, signing secret, DKIM key) are not here: they come from
 * the environment (see `load.ts`).
 */

let canonicalZones: ReadonlySet<string> | undefined;

/**
 * Whether `Intl.DateTimeFormat` accepts `tz`. The first DateTimeFormat of a process loads ICU's
 * time zone data (about 25 ms, a tenth of a warm build), so the canonical names are looked up
 * first (about 2 ms); "UTC" and aliases such as "US/Pacific" or "asia/tokyo" are not among them
 * and still go through DateTimeFormat.
 */
const isTimeZone = (tz: string): boolean => {
  if (tz === 'UTC') return true;
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (canonicalZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const timeZone = z
  .string()
  .refine(isTimeZone, { message: 'not an IANA time zone (e.g. "Asia/Tokyo", "Europe/Berlin", "UTC")' });

const absoluteUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
    message: 'must be an absolute http(s) URL, e.g. "https://blog.example.com/"',
  })
  // One canonical form: always ends with a slash, so joining paths never drops a segment.
  .transform((s) => (s.endsWith('/') ? s : `${s}/`));

/** An absolute http(s) URL, as written (canonical form; no slash added). */
const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), { message: 'must be an absolute http(s) URL, e.g. "https://pubsubhubbub.appspot.com/"' })
  .transform((s) => new URL(s).href);

const email = z.email({ message: 'not an email address' });

/** "7d", "36h", or "all": how far back the first digest looks. Parsed to milliseconds (Infinity for all). */
const lookback = z
  .union([z.string().regex(/^(\d+)\s*([dh])$|^all$/, { message: 'use a duration like "7d" or "48h", or "all"' }), z.number().int().nonnegative()])
  .transform((value): number => {
    if (typeof value === 'number') return value * 86_400_000;
    if (value === 'all') return Number.POSITIVE_INFINITY;
    const match = /^(\d+)\s*([dh])$/.exec(value);
    const n = Number(match?.[1] ?? 0);
    return match?.[2] === 'h' ? n * 3_600_000 : n * 86_400_000;
  });

/** A cron expression as node-cron reads it: 5 fields, or 6 with seconds first. Validated in depth at daemon start. */
const cronExpression = z
  .string()
  .refine((s) => [5, 6].includes(s.trim().split(/\s+/).length), { message: 'a cron expression has 5 fields (or 6 with seconds), e.g. "0 8 * * *"' });

const fileName = z
  .string()
  .min(1)
  .refine((s) => !s.includes('..') && !s.startsWith('/'), { message: 'must be a relative path inside the output folder' });

export const siteSchema = z
  .strictObject({
    title: z.string().min(1).default('My blog').describe('Name of the blog, used as feed title and email sender name'),
    url: absoluteUrl.default('http://localhost:8080/').describe('Absolute URL of the blog; permalinks and feed links are built from it'),
    description: z.string().default('').describe('One line about the blog, used as feed description'),
    language: z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'a BCP 47 language tag, e.g. "ja" or "en-GB"' }).default('en').describe('Language of the posts (BCP 47)'),
    author: z
      .strictObject({
        name: z.string().min(1).default('Anonymous').describe('Default author of posts without one'),
        email: email.optional().describe('Author email (optional; RSS <author> needs one)'),
      })
      .prefault({})
      .describe('Default author'),
    timezone: timeZone.default('UTC').describe('Time zone of dates written without an offset, and of the digest'),
    generator: z
      .enum(['plain', 'jekyll', 'hugo'])
      .default('plain')
      .describe('Whose rules turn post files into URLs, dates and drafts: "jekyll" and "hugo" as those generators compute them, "plain" a folder of Jekyll-style posts'),
  })
  .prefault({});

export const contentSchema = z
  .strictObject({
    dir: z.string().min(1).default('content').describe('Folder of the posts, relative to the working directory'),
    include: z.array(z.string().min(1)).min(1).default(['_posts/**/*.md', '_posts/**/*.markdown']).describe('Glob patterns of post files, relative to content.dir'),
    exclude: z.array(z.string().min(1)).default([]).describe('Glob patterns to leave out'),
    endMarker: z.string().min(1).optional().describe('Cut each body at the first line equal to this marker (e.g. "---END---")'),
    cache: z.boolean().default(true).describe('Cache parsed headers in the state folder, keyed by path, size and mtime'),
    workers: z
      .union([z.literal('auto'), z.number().int().min(0).max(16)])
      .default('auto')
      .describe('Worker threads reading headers when there is no header cache: "auto" (from 20,000 posts, one fewer than the cores, at most 3) or a number (0: the main thread only)'),
  })
  .prefault({});

/** Jekyll's named permalink styles (lib/jekyll/configuration.rb STYLE_TO_PERMALINK, Jekyll 4.3). */
export const PERMALINK_STYLES: Readonly<Record<string, string>> = {
  none: '/:categories/:title:output_ext',
  date: '/:categories/:year/:month/:day/:title:output_ext',
  ordinal: '/:categories/:year/:y_day/:title:output_ext',
  pretty: '/:categories/:year/:month/:day/:title/',
  weekdate: '/:categories/:year/W:week/:short_day/:title:output_ext',
};

const permalinkPattern = z
  .string()
  .refine((s) => s.startsWith('/') || Object.hasOwn(PERMALINK_STYLES, s), {
    message: `must start with "/", e.g. "/:year/:month/:day/:title/", or be one of Jekyll's styles: ${Object.keys(PERMALINK_STYLES).join(', ')}`,
  })
  .transform((s) => (Object.hasOwn(PERMALINK_STYLES, s) ? (PERMALINK_STYLES[s] as string) : s));

export const jekyllSchema = z
  .strictObject({
    future: z.boolean().default(false).describe('Jekyll `future`: publish posts dated in the future'),
    defaults: z
      .array(
        z.strictObject({
          scope: z
            .strictObject({
              path: z.string().optional().describe('Folder (or glob) the values apply to, relative to the site'),
              type: z.string().optional().describe('Document type ("posts")'),
            })
            .optional(),
          values: z.record(z.string(), z.unknown()),
        }),
      )
      .default([])
      .describe('Jekyll `defaults:` (front matter defaults scoped by path and type), as in _config.yml'),
  })
  .prefault({});

export const hugoSchema = z
  .strictObject({
    permalinks: z
      .record(z.string(), z.string().min(1))
      .default({})
      .describe('Hugo `[permalinks]`: section → pattern (:year :month :monthname :day :weekday :weekdayname :yearday :section :sections :title :slug :filename :slugorfilename, and from Hugo 0.144 :contentbasename :slugorcontentbasename)'),
    buildFuture: z.boolean().default(false).describe('Hugo `buildFuture`: publish pages whose publishDate is in the future'),
    buildExpired: z.boolean().default(false).describe('Hugo `buildExpired`: keep pages whose expiryDate has passed'),
    disablePathToLower: z.boolean().default(false).describe('Hugo `disablePathToLower`: keep the case of URL paths'),
    removePathAccents: z.boolean().default(false).describe('Hugo `removePathAccents`: drop accents from URL paths'),
  })
  .prefault({});

export const outputSchema = z
  .strictObject({
    dir: z.string().min(1).default('public').describe('Folder the feeds are written to'),
  })
  .prefault({});

/** `feeds.embedHosts` by default: the common video players. */
const DEFAULT_EMBED_HOSTS = ['www.youtube.com', 'youtube.com', 'www.youtube-nocookie.com', 'youtube-nocookie.com', 'player.vimeo.com', 'www.dailymotion.com'];

export const feedsSchema = z
  .strictObject({
    limit: z.number().int().positive().default(20).describe('At most this many items per feed, newest first'),
    content: z.enum(['full', 'summary']).default('full').describe('"full": whole post HTML in each item; "summary": the summary only'),
    taxonomyContent: z
      .enum(['full', 'summary'])
      .default('summary')
      .describe('Content of per-category and per-tag feeds; "summary" keeps a site with hundreds of tags from writing every article hundreds of times'),
    categories: z.boolean().default(true).describe('Write one feed set per category under categories/'),
    tags: z.boolean().default(true).describe('Write one feed set per tag under tags/'),
    rss: fileName.default('feed.xml').describe('File name of the RSS 2.0 feed'),
    atom: fileName.default('atom.xml').describe('File name of the Atom 1.0 feed'),
    json: fileName.default('feed.json').describe('File name of the JSON Feed 1.1'),
    schedule: cronExpression.default('*/15 * * * *').describe('Daemon: when to rebuild the feeds (cron, in schedule.timezone)'),
    watch: z.boolean().default(true).describe('Daemon: rebuild the feeds a moment after a post file changes'),
    sanitize: z.boolean().default(true).describe('Remove scripts, styles, event handlers, forms and javascript: URLs from the HTML of feed items (an allowlist)'),
    embedHosts: z
      .array(z.string().regex(/^[A-Za-z0-9.-]+$/, { message: 'a host name, e.g. "www.youtube.com"' }))
      .default(() => [...DEFAULT_EMBED_HOSTS])
      .describe('With sanitize: iframes are kept only from these hosts (exact names); any other becomes a link'),
    maxBytes: z
      .number()
      .int()
      .min(10_000)
      .default(1_048_576)
      .describe('No feed file grows past this many bytes: the oldest items carry their summary and a link instead of the full post'),
    archive: z
      .boolean()
      .default(false)
      .describe('RFC 5005 archived feeds: one archive per month under archive/YYYY-MM/, linked from the site feeds, so a reader can fetch every post ever published'),
    websub: z
      .strictObject({
        hubs: z.array(httpUrl).default([]).describe('WebSub hubs: every feed advertises them, and each is pinged for every feed file a build changed'),
        retries: z.number().int().min(0).max(10).default(3).describe('Retries of a failed ping (network error, 429, 5xx) per hub and feed'),
        retryDelayMs: z.number().int().min(0).default(1_000).describe('First retry delay; doubles on every further retry'),
        timeoutMs: z.number().int().positive().default(10_000).describe('Timeout of one ping'),
      })
      .prefault({})
      .describe('WebSub (W3C): tell hubs when a feed changed, so readers show a new post within seconds'),
  })
  .prefault({});

/** The blog's template folder when the config names none; where it is absent, the built-in templates are used. */
export const DEFAULT_TEMPLATES_DIR = 'email-templates';

export const digestSchema = z
  .strictObject({
    schedule: cronExpression.default('0 8 * * *').describe('Daemon: when to send the digest (cron, in schedule.timezone)'),
    firstRunLookback: lookback
      .prefault('7d')
      .describe('How far back a digest looks: the first takes posts this recent ("7d", "48h", "all"); later ones also take unsent posts dated up to this long before the previous digest (a late push)'),
    maxPosts: z.number().int().positive().default(10).describe('At most this many posts in one email; the rest are linked as "and N more"'),
    templates: z.string().min(1).default(DEFAULT_TEMPLATES_DIR).describe('Folder of digest.mjml, digest.txt and subject.liquid (each must be there); without this folder, the built-in templates'),
    subject: z.string().min(1).optional().describe('Liquid template of the subject (default: site title, count and first title)'),
    from: z
      .strictObject({
        name: z.string().optional().describe('Sender name (default: site.title)'),
        address: email.optional().describe('Sender address (default: newsletter@ the site host)'),
      })
      .prefault({})
      .describe('Sender'),
    replyTo: email.optional().describe('Reply-To address (default: none)'),
    unsubscribeMailto: email.optional().describe('Also offer mailto: unsubscribe in List-Unsubscribe'),
    transport: z
      .enum(['smtp', 'outbox'])
      .default('smtp')
      .describe('"smtp": send through SMTP_URL; without it a digest is only a preview into the outbox (nothing sent, no state changed). "outbox": the outbox folder is the real transport (each message recorded as sent)'),
    outbox: z.string().min(1).default('outbox').describe('Folder of the previews (no SMTP_URL, --dry-run) and, with transport: outbox, of the messages; files 0600 in a 0700 folder'),
    archive: z.boolean().default(true).describe('Publish every sent digest on the site (without its personal parts), with an index page and an Atom feed; the email links to its page'),
    archiveDir: fileName
      .refine((s) => !['archive', 'categories', 'tags'].includes(s.replace(/\/+$/, '').split('/')[0] ?? ''), { message: 'must not be inside archive/, categories/ or tags/, which the feeds own' })
      .default('newsletter').describe('Folder of the newsletter archive in the output folder: <archiveDir>/<number>/index.html, index.html, atom.xml'),
  })
  .prefault({});

export const smtpSchema = z
  .strictObject({
    maxConnections: z.number().int().min(1).max(50).default(2).describe('Pooled SMTP connections'),
    rateLimit: z.number().positive().default(20).describe('At most this many messages per second, over all connections'),
    retries: z.number().int().min(0).max(20).default(4).describe('Retries of a transient failure (4xx, timeout) per message'),
    retryDelayMs: z.number().int().min(0).default(2_000).describe('First retry delay; doubles on every further retry'),
    connectionTimeoutMs: z.number().int().positive().default(120_000).describe('Time to connect: DNS, TCP, TLS and the greeting together'),
    greetingTimeoutMs: z.number().int().positive().default(120_000).describe("Time for the server's greeting (within connectionTimeoutMs)"),
    socketTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .default(600_000)
      .describe('Silence allowed at any later step; the RFC 5321 wait for the reply to the end of the data is 10 minutes. A timeout there is not retried (the message may have been accepted)'),
    dkim: z
      .strictObject({
        domainName: z.string().min(1).describe('Signing domain (d=)'),
        keySelector: z.string().min(1).describe('DNS selector (s=)'),
        privateKeyFile: z.string().min(1).optional().describe('PEM file of the key; else env FEEDLETTER_DKIM_PRIVATE_KEY'),
      })
      .optional()
      .describe('DKIM signing (optional)'),
  })
  .prefault({});

export const stateSchema = z
  .strictObject({
    dir: z.string().min(1).default('.feedletter').describe('Folder of the database, the secret and the locks'),
  })
  .prefault({});

export const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Daemon HTTP server address (keep it local; put a reverse proxy in front)'),
    port: z.number().int().min(0).max(65_535).default(8787).describe('Daemon HTTP server port (0: any free port)'),
    publicUrl: absoluteUrl.optional().describe('Public URL under which the server is reachable (default: <site.url>newsletter/)'),
    tokenMaxAgeDays: z.number().int().positive().default(730).describe('Unsubscribe links older than this are refused'),
  })
  .prefault({});

/** "7d", "48h", "1h", "30m", "90s": a duration, parsed to milliseconds. */
const duration = z
  .string()
  .regex(/^\d+\s*[dhms]$/, { message: 'use a duration like "7d", "48h", "30m" or "90s"' })
  .transform((value): number => {
    const match = /^(\d+)\s*([dhms])$/.exec(value);
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 }[(match?.[2] ?? 's') as 'd' | 'h' | 'm' | 's'];
    return Number(match?.[1] ?? 0) * unit;
  });

export const subscribeSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Daemon: serve the public signup (/subscribe, /confirm) with double opt-in'),
    pendingTtl: duration.prefault('7d').describe('Forget an address that does not confirm within this long'),
    confirmTtl: duration.prefault('48h').describe('A confirmation link works this long'),
    resendAfter: duration.prefault('1h').describe('At most one confirmation email per address per this long, however often it is submitted'),
    storeIp: z.enum(['full', 'hash', 'none']).default('full').describe('IP of signup and confirmation in the consent record: "full", "hash" (keyed hash) or "none"'),
    welcome: z.boolean().default(false).describe('Send email-templates/welcome.mjml after a confirmation'),
    proofOfWork: z.boolean().default(true).describe('Require an ALTCHA proof of work with every signup'),
    proofOfWorkMaxNumber: z.number().int().min(1_000).max(10_000_000).default(100_000).describe('ALTCHA difficulty: the largest number a browser may have to try (about 0.1 s per 100,000 on a phone)'),
    honeypot: z.boolean().default(true).describe('Refuse signups whose hidden honeypot field was filled in'),
    minSubmitSeconds: z.number().min(0).max(600).default(3).describe('Refuse a form sent back sooner than this after the page was rendered (0: off)'),
    perIpPerHour: z.number().int().min(1).default(10).describe('At most this many signups per hour from one IP'),
    perAddressPerHour: z.number().int().min(1).default(5).describe('At most this many signup requests per hour for one address (emails: see resendAfter)'),
    trustProxy: z
      .enum(['loopback', 'none'])
      .default('loopback')
      .describe('Take the client IP from X-Forwarded-For when the request comes from a proxy on this machine ("loopback"), or never ("none")'),
  })
  .prefault({});

export const bouncesSchema = z
  .strictObject({
    address: email
      .optional()
      .describe('Bounce address for VERP: the envelope sender becomes <local>+<signed token>@<domain>, the From header stays (default: none, envelope unchanged)'),
    softLimit: z.number().int().min(1).default(3).describe('An address goes to "bounced" after this many soft bounces within softWindow, with no delivery accepted in between'),
    softWindow: duration.prefault('30d').describe('How far back soft bounces are counted'),
    matchWindow: duration
      .prefault('30d')
      .describe('A report that carries no token or Message-ID of ours is matched by its recipient only if that address was sent a digest within this long'),
  })
  .prefault({});

export const scheduleSchema = z
  .strictObject({
    timezone: timeZone.optional().describe('Time zone of the cron schedules (default: site.timezone)'),
    shutdownTimeoutMs: z.number().int().positive().default(30_000).describe('On SIGTERM, wait this long for the running job before exiting'),
    retryDelayMs: z.number().int().positive().default(60_000).describe('Daemon: a digest left unfinished (SMTP down, stopped) is retried after this long; the delay doubles every retry'),
    retryMaxDelayMs: z.number().int().positive().default(3_600_000).describe('Daemon: longest delay between two retries of an unfinished digest (retries go on until it is done)'),
  })
  .prefault({});

export const configSchema = z.strictObject({
  site: siteSchema,
  content: contentSchema,
  permalink: permalinkPattern
    .default('/:categories/:year/:month/:day/:title.html')
    .describe("Permalink pattern with Jekyll's placeholders (:year :month :day :title :categories :slug ...) or a Jekyll style (pretty, date, ordinal, weekdate, none)"),
  jekyll: jekyllSchema,
  hugo: hugoSchema,
  output: outputSchema,
  feeds: feedsSchema,
  digest: digestSchema,
  smtp: smtpSchema,
  state: stateSchema,
  server: serverSchema,
  subscribe: subscribeSchema,
  bounces: bouncesSchema,
  schedule: scheduleSchema,
});

/** The config as written in the file (before defaults). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config every stage receives: defaults applied, URLs canonical. */
export type Config = z.infer<typeof configSchema>;
export type SiteConfig = Config['site'];

/** Values that come from the environment, never from a committed file. */
export interface Secrets {
  /** smtp:// or smtps:// URL with credentials, from SMTP_URL. Absent: the outbox transport. */
  smtpUrl: string | undefined;
  /** HMAC secret for unsubscribe tokens, from FEEDLETTER_SECRET (else generated in the state folder). */
  secret: string | undefined;
  /** PEM of the DKIM key, from FEEDLETTER_DKIM_PRIVATE_KEY. */
  dkimPrivateKey: string | undefined;
}

/** Everything a command needs from configuration, resolved to absolute paths. */
export interface ResolvedConfig {
  config: Config;
  secrets: Secrets;
  /** Working directory every relative path was resolved against. */
  cwd: string;
  /** Path of the config file read, or undefined when the embedded defaults were used. */
  file: string | undefined;
  paths: {
    content: string;
    output: string;
    state: string;
    outbox: string;
    templates: string;
  };
}
