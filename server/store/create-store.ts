import { LocalEventBus, type EventBus } from '../bus/event-bus.js';
import { PgEventBus } from '../bus/pg-bus.js';
import type { Database } from '../config.js';
import type { Logger } from '../logger.js';
import { PgStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/**
 * The store `DATABASE_URL` names: SQLite for one instance (the default), PostgreSQL for several.
 * PostgreSQL is migrated before this resolves, safely when several instances start at once.
 */
export async function createStore(database: Database, logger?: Logger): Promise<Store> {
  if (database.kind === 'sqlite') return new SqliteStore(database.filename);
  return PgStore.open(database.url, {
    preparedStatements: database.preparedStatements,
    statementTimeoutMs: database.statementTimeoutMs,
    connectTimeoutMs: database.connectTimeoutMs,
    ...(logger ? { logger } : {}),
  });
}

/**
 * The bus that goes with the store: in-process for SQLite (one instance), LISTEN/NOTIFY for
 * PostgreSQL, so a webhook received by any instance reaches the streams held by every instance.
 */
export async function createBus(database: Database, logger?: Logger): Promise<EventBus> {
  if (database.kind === 'sqlite') return new LocalEventBus();
  return PgEventBus.connect(database.url, logger ? { logger } : {});
}
