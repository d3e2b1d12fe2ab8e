export { Store, DB_FILE, tableCounts, type TableCounts, type Subscriber, type DigestRecord, type DeliveryCounts, type JobRun, type SubscriberFilter } from './store.js';
export { normaliseEmail, normaliseName, MAX_NAME } from './email.js';
export { importSubscribersCsv, exportSubscribersCsv, type CsvSubscriberRow } from './csv.js';
export { MIGRATIONS, migrate } from './migrations.js';
