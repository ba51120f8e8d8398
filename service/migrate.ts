/** `npm run migrate`: applies pending migrations to the configured database and exits. */
import { loadConfig } from './config';
import { openDatabase } from './storage/database';
import { migrate } from './storage/migrate';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.FLAGSTACK_DATA_DIR, poolMax: 1 });
  try {
    const applied = await migrate(db);
    console.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database is up to date.');
  } finally {
    await db.close();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
