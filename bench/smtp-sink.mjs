// A local SMTP server that accepts and discards every message: the far end of `npm run bench:digest`.
// Prints its port on stdout, then counts messages; SIGTERM prints the count and exits.
import { SMTPServer } from 'smtp-server';

let messages = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('end', () => {
      messages++;
      callback();
    });
    stream.resume();
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.server.address().port}\n`));
process.on('SIGTERM', () => {
  process.stdout.write(`received ${messages}\n`);
  server.close(() => process.exit(0));
});
