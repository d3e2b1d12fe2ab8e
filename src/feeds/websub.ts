/**
 * WebSub publishing (W3C Recommendation, https://www.w3.org/TR/websub/): after a build changed a
 * feed file, each hub is told so with the de-facto publish request every public hub accepts
 * (`POST hub.mode=publish&hub.url=<topic>`, form-encoded; the spec leaves publishing to the hub).
 * A hub then fetches the feed and pushes it to its subscribers (Feedly, Inoreader, NewsBlur...).
 *
 * Never fails a build: a hub that does not answer is retried with backoff, and what still fails
 * comes back as a result for the caller to report as a warning. Time and waiting are parameters.
 */

export interface PingOptions {
  hubs: readonly string[];
  /** Absolute URLs of the feed files that changed (the topics). */
  topics: readonly string[];
  /** Retries after the first try, for a network error, a timeout, 429 or 5xx. */
  retries: number;
  /** First retry delay (ms); doubles on every further retry. */
  retryDelayMs: number;
  timeoutMs: number;
  /** Pings in flight at once, over all hubs (default 4). */
  concurrency?: number;
  /** For tests; default: global fetch. */
  fetch?: typeof fetch;
  /** For tests; default: setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

export interface PingFailure {
  hub: string;
  topic: string;
  tries: number;
  /** The last answer: an HTTP status line or the network error. */
  reason: string;
  /** The feed file (relative to the output folder), when the caller knows it. */
  file?: string | undefined;
}

export interface PingResult {
  /** (hub, topic) pairs the hub accepted (2xx). */
  accepted: number;
  failed: PingFailure[];
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One ping, retried; undefined when accepted, else why not. */
async function pingOne(hub: string, topic: string, options: PingOptions): Promise<PingFailure | undefined> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  let reason = '';
  let tries = 0;
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) await sleep(options.retryDelayMs * 2 ** (attempt - 1));
    tries++;
    let retry: boolean;
    try {
      const response = await doFetch(hub, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }).toString(),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'follow',
      });
      // The body is of no interest; reading it lets the connection be reused.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return undefined;
      reason = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      retry = response.status === 429 || response.status >= 500;
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      reason = (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (error as Error).message);
      retry = true;
    }
    if (!retry) break;
  }
  return { hub, topic, tries, reason };
}

/** Pings every hub for every topic; resolves when each has been accepted or given up on. */
export async function pingHubs(options: PingOptions): Promise<PingResult> {
  const jobs = options.hubs.flatMap((hub) => options.topics.map((topic) => ({ hub, topic })));
  const result: PingResult = { accepted: 0, failed: [] };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const { hub, topic } = jobs[next++]!;
      const failure = await pingOne(hub, topic, options);
      if (failure === undefined) result.accepted++;
      else result.failed.push(failure);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, jobs.length) }, worker));
  result.failed.sort((a, b) => (a.hub < b.hub ? -1 : a.hub > b.hub ? 1 : a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  return result;
}
