// A process that owns an Azurite (data in argv[2]) and writes to it as fast as it can, printing
// `ack <n>` for every write Azurite acknowledged, and stops as `npm start` does: the first
// SIGINT/SIGTERM stops Azurite and waits for it, a second one exits at once.
const { join } = require('node:path');
const root = join(__dirname, '..', '..', '..');
const { startAzurite } = require(join(root, 'dist', 'devhost', 'azurite.js'));
const { TableClient } = require(require.resolve('@azure/data-tables', { paths: [root] }));

(async () => {
  const azurite = await startAzurite({ location: process.argv[2] });
  const table = TableClient.fromConnectionString(azurite.connectionString, 'acks', { allowInsecureConnection: true });
  await table.createTable();
  // A few thousand rows make Azurite's save on close take a noticeable time.
  for (let batch = 0; batch < Number(process.argv[3] ?? 30); batch++) {
    await table.submitTransaction(Array.from({ length: 100 }, (_, i) => ['create', { partitionKey: 'pre', rowKey: `${batch}-${i}`, Text: 'x'.repeat(200) }]));
  }
  let signals = 0;
  let stopping = false;
  const onSignal = async () => {
    if (++signals > 1) process.exit(130);
    stopping = true;
    await azurite.stop();
    process.exit(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.write(`ready ${azurite.pid}\n`);
  let next = 0;
  const writer = async () => {
    while (!stopping) {
      const id = next++;
      try {
        await table.createEntity({ partitionKey: 'w', rowKey: String(id).padStart(8, '0') });
        process.stdout.write(`ack ${id}\n`);
      } catch {
        // refused or cut off: not acknowledged, so nothing is owed
      }
    }
  };
  for (let i = 0; i < 8; i++) void writer();
})().catch((err) => {
  process.stderr.write(`driver: ${err.stack}\n`);
  process.exit(1);
});
