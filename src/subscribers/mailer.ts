import type { Logger } from '../log.js';
import type { OutgoingMessage, Transport } from '../delivery/transport.js';

/**
 * Sends confirmation and welcome emails in the background: `enqueue` returns at once, so a slow
 * or dead SMTP server never slows an HTTP answer. The queue is bounded (the rate limits keep it
 * short; past the bound a message is dropped and logged rather than memory growing), and at most
 * `concurrency` messages are in flight. A failed send is logged, not retried: the person can ask
 * again after `subscribe.resendAfter`.
 */
export interface SubscriberMailer {
  /**
   * False when the queue is full or closed and the message was dropped. `onFailed` runs when the
   * message is dropped or its send fails, so the caller can undo what it recorded.
   */
  enqueue(message: OutgoingMessage, onFailed?: () => void): boolean;
  /** Resolves when every queued message has been sent or has failed. */
  idle(): Promise<void>;
  /** Stops taking messages and waits (at most `timeoutMs`) for those queued. */
  close(timeoutMs?: number): Promise<void>;
}

export function createSubscriberMailer(options: { transport: Transport; logger: Logger; maxQueue?: number; concurrency?: number; onSent?: (message: OutgoingMessage) => void }): SubscriberMailer {
  const { transport, logger } = options;
  const maxQueue = options.maxQueue ?? 1_000;
  const concurrency = Math.max(1, options.concurrency ?? transport.concurrency ?? 1);
  const queue: Array<{ message: OutgoingMessage; onFailed: (() => void) | undefined }> = [];
  let active = 0;
  let closed = false;
  let waiters: Array<() => void> = [];

  const settle = (): void => {
    if (active === 0 && queue.length === 0) {
      for (const resolve of waiters.splice(0)) resolve();
    }
  };
  const pump = (): void => {
    while (active < concurrency && queue.length > 0) {
      const item = queue.shift();
      if (item === undefined) break;
      const { message, onFailed } = item;
      active++;
      transport
        .send(message)
        .then(
          () => {
            logger.info({ messageId: message.messageId }, 'subscriber email sent');
            options.onSent?.(message);
          },
          (error: unknown) => {
            logger.error({ err: error, messageId: message.messageId }, 'subscriber email not sent');
            onFailed?.();
          },
        )
        .finally(() => {
          active--;
          pump();
          settle();
        });
    }
  };
  const idle = (): Promise<void> =>
    active === 0 && queue.length === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          waiters.push(resolve);
        });

  return {
    enqueue(message, onFailed) {
      if (closed || queue.length >= maxQueue) {
        logger.warn({ messageId: message.messageId, queued: queue.length }, closed ? 'mailer closed: subscriber email dropped' : 'mail queue full: subscriber email dropped');
        onFailed?.();
        return false;
      }
      queue.push({ message, onFailed });
      // Started on the next turn: the HTTP answer goes out first.
      setImmediate(pump);
      return true;
    },
    idle,
    async close(timeoutMs = 10_000) {
      closed = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      waiters = [];
    },
  };
}
