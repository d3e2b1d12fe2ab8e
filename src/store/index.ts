export { Store, DB_FILE, type Subscriber, type DigestRecord, type DigestSummary, type DeliveryCounts, type JobRun, type SubscriberFilter } from './store.js';
export { normaliseEmail } from './email.js';
export { importSubscribersCsv, exportSubscribersCsv, type CsvSubscriberRow } from './csv.js';
export { MIGRATIONS, migrate } from './migrations.js';
