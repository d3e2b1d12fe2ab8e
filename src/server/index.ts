export { MAX_BODY_BYTES, startServer, type RunningServer, type ServerDeps, type ServerOptions } from './server.js';
export { escapeHtml, renderPage, type PageKind } from './pages.js';
export { classifyUnsubscribePost, type UnsubscribePost, type UnsubscribePostError, type UnsubscribePostInput } from './unsubscribe-post.js';
export { createLogSummary, type LogSummary, type LogSummaryOptions } from './log-summary.js';
