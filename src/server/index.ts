export { MAX_BODY_BYTES, startServer, type RunningServer, type ServerDeps, type ServerOptions } from './server.js';
export { escapeHtml, renderPage, type PageKind } from './pages.js';
