export { SendError, classifySmtpError, type OutgoingMessage, type SendResult, type Transport, type SendErrorKind } from './transport.js';
export { createSmtpTransport, DKIM_HEADER_FIELDS, type SmtpTransportOptions, type DkimOptions } from './smtp.js';
export { createOutboxTransport, outboxFileName } from './outbox.js';
export { createRateLimiter, nextSlot, type RateLimiter } from './rate-limit.js';
export { deliverDigest, type DeliverOptions, type DeliverReport } from './send.js';
