export { Store, DB_FILE, SUBSCRIBER_STATUSES, type Subscriber, type SubscriberStatus, type Consent, type ConsentSource, type RequestInfo, type DigestRecord, type DeliveryCounts, type JobRun, type SubscriberFilter } from './store.js';
export { normaliseEmail } from './email.js';
export { importSubscribersCsv, exportSubscribersCsv, type CsvSubscriberRow } from './csv.js';
export { MIGRATIONS, migrate } from './migrations.js';
