export { Store, DB_FILE, SUBSCRIBER_STATUSES, tableCounts, type TableCounts, type Subscriber, type SubscriberStatus, type Consent, type ConsentSource, type RequestInfo, type DigestRecord, type DigestSummary, type DeliveryCounts, type JobRun, type SubscriberFilter, type NewBounce, type BounceRecord, type BounceSource, type BounceMatch } from './store.js';
export { normaliseEmail, normaliseName, MAX_NAME } from './email.js';
export { importSubscribersCsv, readSubscribersCsv, exportSubscribersCsv, toCell, fromCell, type CsvSubscriberRow, type CsvInput } from './csv.js';
export { MIGRATIONS, migrate } from './migrations.js';
