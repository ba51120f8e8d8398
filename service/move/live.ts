/**
 * A live move: the whole instance copied to another database while the service keeps serving and
 * taking writes, then a cut-over with a write pause well under a second.
 *
 * 1. Capture: triggers on every copied table log the key of each changed row (change_log) from before
 *    the first row is read, so nothing written during the copy is missed.
 * 2. Copy: every table, page by page. The target is marked a replica of this service: its service
 *    forwards writes here, so traffic can shift to the new stage while writes still land in one place.
 * 3. Verify: every row the copy wrote is compared with the source's; a difference is checked again
 *    after the catch-up (it may be a change in flight) and at the cut-over.
 * 4. Catch up: the logged keys' rows are read from the source and written to the target (deleted
 *    first, then inserted, so rows that swapped a unique name converge), and read back and compared,
 *    until little is pending.
 * 5. Cut over: the source's tables are locked against writes (reads go on), the last changes are
 *    applied (and compared), the target is checked (row counts, and the rows that differed at the
 *    verification),
 *    the target becomes the primary and the source refuses writes from then on, naming the target's
 *    service. The pause is the lock's lifetime. A failure rolls the source's transaction back: it
 *    takes writes again, the target stays a replica, and nothing acknowledged is lost.
 *
 * The target applies rows with `session_replication_role = replica`, as PostgreSQL's own replication
 * does: foreign keys are not checked row by row while changes arrive out of order, and hold again once
 * the catch-up has converged (which the cut-over's check confirms).
 */
import type { Database, Queryable } from '../storage/database';
import { ENVIRONMENT_CHANGES_CHANNEL, changeNotice } from '../storage/change-notices';
import { COPIED_TABLES, copiedTable } from './tables';
import { clearUniqueConflicts, deleteRowsByKey, deleteRowsNotIn, readRows, readRowsByKey, resetSequences, upsertRows } from './rows';
import { readMoveRole, type MoveRole } from '../storage/moves';
import { instanceId, schemaVersion } from './schema';

export type LivePhase = 'copying' | 'catching-up' | 'cutting-over' | 'moved' | 'abandoned';

export interface LiveMoveStatus {
  readonly phase: LivePhase;
  readonly startedAt: string;
  /** Rows written by the copy so far. */
  readonly copiedRows: number;
  /** Logged changes applied to the target so far. */
  readonly appliedChanges: number;
  /** Logged changes not yet applied, as of the last catch-up round. */
  readonly pendingChanges: number;
  /** How long the last catch-up round took to bring the target level with the source, in ms. */
  readonly lagMs: number | undefined;
  /** Whether the copy's verification has finished (all rows equal but those still changing). */
  readonly verified: boolean;
  /** Whether a cut-over may start now: verified, and level with the source within a second. */
  readonly readyToCutOver: boolean;
  /** The write pause of the cut-over, once done. */
  readonly pauseMs?: number;
  /** The last failure (a catch-up round that failed, a cut-over rolled back), if any. */
  readonly lastError?: string;
}

export interface LiveMoveOptions {
  /** This service's database. */
  readonly source: Database;
  /** The database the instance moves to, already open (the caller closes it once the move has ended). */
  readonly target: Database;
  /** The target as an operator named it (no password): kept in the source's record of the move. */
  readonly targetName: string;
  /** Where the target's service answers: what the source names in its 503s once moved. */
  readonly targetEndpoint: string;
  /** Where this service answers, as the target's service reaches it: where a replica sends writes. */
  readonly sourceEndpoint: string;
  /** Rows per page and per catch-up round. @default 1000 */
  readonly batchSize?: number;
  /** Told of each phase and of failures (the service's logger). */
  readonly log?: (message: string, details?: Record<string, unknown>) => void;
}

/** Ready to cut over when the last round took under this long and left nothing pending. */
const LEVEL_WITHIN_MS = 1000;
/** The pause between catch-up rounds that found nothing to do. */
const IDLE_ROUND_MS = 50;
/** The pause after a round that failed (the target unreachable, say): the log keeps growing meanwhile. */
const RETRY_ROUND_MS = 1000;
/** How often the running move marks its record as alive, and how long another process takes it to be. */
const HEARTBEAT_MS = 5000;
const ALIVE_WITHIN = '30 seconds';
/** How long a promotion of the target is retried after the source has moved. */
const PROMOTION_ATTEMPTS = 5;

interface Change {
  readonly seq: number;
  readonly table: string;
  readonly key: Record<string, unknown>;
}

const TABLE_ORDER = new Map(COPIED_TABLES.map((table, index) => [table.name, index]));
const keyId = (table: string, key: Record<string, unknown>) => `${table}\u0000${JSON.stringify(key)}`;

export class LiveMove {
  private phase: LivePhase = 'copying';
  private readonly startedAt = new Date();
  private copiedRows = 0;
  private appliedChanges = 0;
  private pendingChanges = 0;
  private lagMs: number | undefined;
  private verified = false;
  private pauseMs: number | undefined;
  private lastError: string | undefined;
  private lastHeartbeat = 0;
  /** Rows that differed when verified, keyed by table and key, checked again until the cut-over. */
  private readonly suspects = new Map<string, { table: string; key: Record<string, unknown> }>();
  private loop: Promise<void> | undefined;
  private stopLoop = false;
  private readonly batchSize: number;

  private constructor(private readonly options: LiveMoveOptions) {
    this.batchSize = options.batchSize ?? 1000;
  }

  /**
   * Checks both sides, starts capturing changes and begins the copy; resolves once capture is on (the
   * copy and the catch-up go on in the background: follow them with `status`).
   */
  static async start(options: LiveMoveOptions): Promise<LiveMove> {
    const move = new LiveMove(options);
    await move.prepare();
    move.loop = move.run();
    return move;
  }

  get status(): LiveMoveStatus {
    return {
      phase: this.phase,
      startedAt: this.startedAt.toISOString(),
      copiedRows: this.copiedRows,
      appliedChanges: this.appliedChanges,
      pendingChanges: this.pendingChanges,
      lagMs: this.lagMs,
      verified: this.verified,
      readyToCutOver: this.readyToCutOver,
      ...(this.pauseMs === undefined ? {} : { pauseMs: this.pauseMs }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private get readyToCutOver(): boolean {
    return this.phase === 'catching-up' && this.verified && this.pendingChanges === 0 && (this.lagMs ?? Infinity) < LEVEL_WITHIN_MS;
  }

  private async prepare(): Promise<void> {
    const { source, target } = this.options;
    const [sourceVersion, targetVersion] = [(await schemaVersion(source)) ?? 0, (await schemaVersion(target)) ?? 0];
    if (sourceVersion !== targetVersion) {
      throw new MoveRefused(
        `The source's schema is at version ${sourceVersion} and the target's at ${targetVersion}; run the same flagstack release's migrations on both (npm run migrate)`,
      );
    }
    const [sourceInstance, targetInstance] = [await instanceId(source), await instanceId(target)];
    if (sourceInstance === targetInstance) throw new MoveRefused('The source and the target are the same database');
    const [sourceRole, targetRole] = [await readMoveRole(source), await readMoveRole(target)];
    if (sourceRole.kind !== 'primary')
      throw new MoveRefused(`This instance is not a primary (${describeRole(sourceRole)}); a move starts from the primary`);
    if (targetRole.kind === 'moved') throw new MoveRefused(`The target is a source that has moved (${describeRole(targetRole)})`);
    await refuseIfRunningElsewhere(source);
    await this.refuseForeignTarget(sourceInstance);
    await source.transaction(async (tx) => {
      // All at once: triggers added table by table could deadlock with a writer holding a later table.
      await tx.query(`LOCK TABLE ${COPIED_TABLES.map((table) => table.name).join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
      await tx.query(`UPDATE moves SET state = 'abandoned', updated_at = now() WHERE role = 'source' AND state = 'capturing'`);
      await tx.query('DELETE FROM change_log');
      for (const table of COPIED_TABLES) {
        await tx.query(`DROP TRIGGER IF EXISTS flagstack_capture ON ${table.name}`);
        await tx.query(
          `CREATE TRIGGER flagstack_capture AFTER INSERT OR UPDATE OR DELETE ON ${table.name}
             FOR EACH ROW EXECUTE FUNCTION flagstack_capture_change(${table.key.map((column) => `'${column}'`).join(', ')})`,
        );
      }
      await tx.query(`INSERT INTO moves (role, peer, peer_name, endpoint, state) VALUES ('source', $1, $2, $3, 'capturing')`, [
        targetInstance,
        this.options.targetName,
        this.options.targetEndpoint,
      ]);
    });
    // From here the target's service sends writes to this one.
    await target.transaction(async (tx) => {
      await tx.query(`INSERT INTO moves (role, peer, peer_name, endpoint, state) VALUES ('target', $1, $2, $3, 'replica')`, [
        sourceInstance,
        `the service at ${this.options.sourceEndpoint}`,
        this.options.sourceEndpoint,
      ]);
      await announceRoleChange(tx);
    });
    this.options.log?.('live move: capturing changes; copying', { target: this.options.targetName });
  }

  /**
   * A target holding another instance's data must be empty; one copied from this instance before (an
   * offline copy, an interrupted or abandoned move) is brought level by the copy.
   */
  private async refuseForeignTarget(sourceInstance: string): Promise<void> {
    const { target } = this.options;
    const [resumable] = await target.query(
      `SELECT 1 FROM moves WHERE role = 'target' AND peer = $1 AND state IN ('copying', 'copied', 'replica', 'abandoned')
        AND NOT EXISTS (SELECT 1 FROM moves WHERE role = 'target' AND state = 'primary')`,
      [sourceInstance],
    );
    if (resumable) return;
    for (const table of COPIED_TABLES) {
      // A service started on the empty target made its bootstrap admin token: that does not count.
      if (table.name === 'admin_tokens') continue;
      const [row] = await target.query(`SELECT 1 FROM ${table.name} LIMIT 1`);
      if (row)
        throw new MoveRefused(
          `The target is not empty (${table.name} has rows) and was not copied from this instance; give an empty database`,
        );
    }
  }

  private async run(): Promise<void> {
    await this.copy();
    if (this.stopLoop) return;
    this.phase = 'catching-up';
    this.options.log?.('live move: copied; verifying and catching up', { rows: this.copiedRows });
    await Promise.all([this.verifyUntilDone(), this.catchUpLoop()]);
  }

  /** Applies logged changes round after round until stopped; a failed round is tried again. */
  private async catchUpLoop(): Promise<void> {
    try {
      while (!this.stopLoop) {
        await this.heartbeat();
        const started = Date.now();
        let applied = 0;
        try {
          applied = await this.catchUpRound(this.options.source);
          this.lastError = undefined;
        } catch (error) {
          this.lastError = `catch-up failed: ${(error as Error).message}; retrying (changes keep being logged on the source)`;
          this.lagMs = undefined;
          this.options.log?.('live move: catch-up round failed', { error: (error as Error).message });
          await sleep(RETRY_ROUND_MS);
          continue;
        }
        if (applied < this.batchSize) {
          this.pendingChanges = 0;
          this.lagMs = Date.now() - started;
          await sleep(IDLE_ROUND_MS);
        }
      }
    } catch (error) {
      this.lastError = (error as Error).message;
      this.options.log?.('live move: failed', { error: this.lastError });
      this.stopLoop = true;
    }
  }

  /** Marks the source's record of the move as alive, so that other processes of the stage leave it alone. */
  private async heartbeat(): Promise<void> {
    if (Date.now() - this.lastHeartbeat < HEARTBEAT_MS) return;
    this.lastHeartbeat = Date.now();
    await this.options.source.query(`UPDATE moves SET updated_at = now() WHERE role = 'source' AND state = 'capturing'`);
  }

  /**
   * Every table, page by page, into the target; the target's rows the source does not hold (left by an
   * earlier copy of this instance) are deleted, and its own bootstrap token gives way to the source's
   * tokens (it is made again at its next start). A page that fails is tried again: the capture keeps
   * every change meanwhile.
   */
  private async copy(): Promise<void> {
    const { source, target } = this.options;
    for (const table of COPIED_TABLES) {
      let after: unknown[] | undefined;
      let more = true;
      while (more && !this.stopLoop) {
        try {
          const page = await readRows(source, table, after, this.batchSize);
          more = page.texts.length === this.batchSize;
          await applyOnTarget(target, async (tx) => {
            await deleteRowsNotIn(tx, table, after, page, !more);
            await clearUniqueConflicts(tx, table, page.texts);
            await upsertRows(tx, table, page.texts);
          });
          this.copiedRows += page.texts.length;
          after = page.keys.at(-1) ?? after;
          this.lastError = undefined;
        } catch (error) {
          this.lastError = `copy failed: ${(error as Error).message}; retrying (changes keep being logged on the source)`;
          this.options.log?.('live move: copying a page failed', { table: table.name, error: (error as Error).message });
          await sleep(RETRY_ROUND_MS);
        }
      }
    }
    // The target's services learn of every environment at once (their periodic check would, in a while).
    const environments = await target.query<{ id: number }>('SELECT id FROM environments');
    if (environments.length > 0) {
      await target.query('SELECT pg_notify($1, $2)', [
        ENVIRONMENT_CHANGES_CHANNEL,
        changeNotice(
          'mover',
          environments.map((row) => row.id),
        ),
      ]);
    }
  }

  /** Verifies, again after a failure (the target unreachable for a while), until it completes or the move stops. */
  private async verifyUntilDone(): Promise<void> {
    while (!this.stopLoop && !this.verified) {
      try {
        await this.verify();
      } catch (error) {
        this.lastError = `verification failed: ${(error as Error).message}; retrying`;
        await sleep(RETRY_ROUND_MS);
      }
    }
  }

  /**
   * Compares every source row with the target's, page by page; a row that differs is a suspect until
   * it is equal (it may have changed since the copy read it, and the catch-up brings it over).
   */
  private async verify(): Promise<void> {
    const { source, target } = this.options;
    for (const table of COPIED_TABLES) {
      let after: unknown[] | undefined;
      for (;;) {
        if (this.stopLoop) return;
        const page = await readRows(source, table, after, this.batchSize);
        if (page.texts.length === 0) break;
        const keys = page.keys.map((values) => Object.fromEntries(table.key.map((column, index) => [column, values[index]])));
        const [sourceRows, targetRows] = [await readRowsByKey(source, table, keys), await readRowsByKey(target, table, keys)];
        for (const key of keys) {
          const id = JSON.stringify(key);
          if (sourceRows.get(id) !== targetRows.get(id)) this.suspects.set(keyId(table.name, key), { table: table.name, key });
        }
        after = page.keys[page.keys.length - 1];
        if (page.texts.length < this.batchSize) break;
      }
    }
    // Suspects the catch-up has since made equal are cleared; the rest wait for the cut-over.
    await this.recheck(this.options.source, [...this.suspects.values()], { clear: true });
    this.verified = true;
    this.options.log?.('live move: verified', { stillChanging: this.suspects.size });
  }

  /**
   * Applies one round of logged changes: the rows of up to a batch of changed keys, read from the source
   * (through `sourceTx` during the cut-over), deleted on the target and written again, then read back:
   * a row the target stores differently fails the round. Returns how many log entries it consumed.
   */
  private async catchUpRound(sourceTx: Queryable): Promise<number> {
    const { target } = this.options;
    const changes = (
      await sourceTx.query<{ seq: number; table_name: string; row_key: Record<string, unknown> }>(
        // Not `seq > last seen`: a sequence number is taken when a row changes, not when its transaction
        // commits, so a smaller one can appear after a larger one has been read. What was read is deleted.
        'SELECT seq::float8 AS seq, table_name, row_key FROM change_log ORDER BY seq LIMIT $1',
        [this.batchSize],
      )
    ).map((row): Change => ({ seq: row.seq, table: row.table_name, key: row.row_key }));
    if (changes.length === 0) return 0;
    const byTable = new Map<string, Map<string, Record<string, unknown>>>();
    for (const change of changes) {
      const keys = byTable.get(change.table) ?? new Map<string, Record<string, unknown>>();
      keys.set(JSON.stringify(change.key), change.key);
      byTable.set(change.table, keys);
    }
    const tables = [...byTable.keys()].sort((a, b) => TABLE_ORDER.get(a)! - TABLE_ORDER.get(b)!);
    const rows = new Map<string, Map<string, string>>();
    for (const table of tables) rows.set(table, await readRowsByKey(sourceTx, copiedTable(table), [...byTable.get(table)!.values()]));
    const environmentIds = new Set<number>();
    await applyOnTarget(target, async (tx) => {
      for (const table of [...tables].reverse()) await deleteRowsByKey(tx, copiedTable(table), [...byTable.get(table)!.values()]);
      for (const table of tables) {
        await clearUniqueConflicts(tx, copiedTable(table), [...rows.get(table)!.values()]);
        await upsertRows(tx, copiedTable(table), [...rows.get(table)!.values()]);
      }
      for (const table of tables) {
        const keys = byTable.get(table)!;
        const written = await readRowsByKey(tx, copiedTable(table), [...keys.values()]);
        for (const id of keys.keys()) {
          if (written.get(id) !== rows.get(table)!.get(id)) throw new Error(`the target stores ${table} ${id} differently from the source`);
        }
      }
      // The target's services refresh what changed; an admin change always bumps its environments' row.
      for (const key of byTable.get('environments')?.values() ?? []) environmentIds.add(Number(key.id));
      if (environmentIds.size > 0)
        await tx.query('SELECT pg_notify($1, $2)', [ENVIRONMENT_CHANGES_CHANNEL, changeNotice('mover', [...environmentIds])]);
    });
    await sourceTx.query('DELETE FROM change_log WHERE seq = ANY($1::bigint[])', [changes.map((change) => change.seq)]);
    this.appliedChanges += changes.length;
    if (changes.length === this.batchSize) {
      const [{ pending }] = await sourceTx.query<{ pending: number }>('SELECT count(*)::int AS pending FROM change_log');
      this.pendingChanges = pending;
    }
    return changes.length;
  }

  /** Compares the given rows on both sides; returns those that differ (and forgets the equal ones when told). */
  private async recheck(
    sourceTx: Queryable,
    rows: readonly { table: string; key: Record<string, unknown> }[],
    { clear }: { clear: boolean },
  ): Promise<string[]> {
    const differing: string[] = [];
    const byTable = new Map<string, Record<string, unknown>[]>();
    for (const row of rows) byTable.set(row.table, [...(byTable.get(row.table) ?? []), row.key]);
    for (const [table, keys] of byTable) {
      for (let start = 0; start < keys.length; start += this.batchSize) {
        const slice = keys.slice(start, start + this.batchSize);
        const [sourceRows, targetRows] = [
          await readRowsByKey(sourceTx, copiedTable(table), slice),
          await readRowsByKey(this.options.target, copiedTable(table), slice),
        ];
        for (const key of slice) {
          const id = JSON.stringify(key);
          if (sourceRows.get(id) === targetRows.get(id)) {
            if (clear) this.suspects.delete(keyId(table, key));
          } else differing.push(`${table} ${id}`);
        }
      }
    }
    return differing;
  }

  /**
   * Cuts over: pauses writes on the source, applies the last changes, checks the target, makes it the
   * primary and the source read-only. Resolves with the pause; on failure the source takes writes again
   * and the move goes on catching up (the error says what failed).
   */
  async cutOver(): Promise<{ pauseMs: number }> {
    // A promotion that failed after the source moved: only that is left to do.
    if (this.phase === 'moved' && this.pauseMs === undefined) {
      await this.promoteTarget();
      this.pauseMs = 0;
      return { pauseMs: this.pauseMs };
    }
    if (this.phase !== 'catching-up') throw new MoveRefused(`The move is ${this.phase}; a cut-over needs it catching up`);
    if (!this.readyToCutOver) {
      throw new MoveRefused(
        this.verified
          ? `The target is not level with the source yet (${this.pendingChanges} changes pending, last round ${this.lagMs ?? '?'} ms); try again shortly`
          : 'The copy is still being verified; try again shortly',
      );
    }
    this.phase = 'cutting-over';
    this.stopLoop = true;
    await this.loop;
    const { source, target } = this.options;
    const tables = COPIED_TABLES.map((table) => table.name);
    let started = 0;
    try {
      await source.transaction(async (tx) => {
        started = performance.now();
        // Writers wait here; readers do not (EXCLUSIVE conflicts with ROW EXCLUSIVE, not ACCESS SHARE).
        await tx.query(`LOCK TABLE ${tables.join(', ')} IN EXCLUSIVE MODE`);
        while ((await this.catchUpRound(tx)) > 0);
        const differing = await this.recheck(tx, [...this.suspects.values()], { clear: false });
        if (differing.length > 0)
          throw new Error(`the target differs from the source in ${differing.length} rows (${differing.slice(0, 3).join('; ')})`);
        const counts = await compareCounts(tx, target);
        if (counts.length > 0) throw new Error(`row counts differ: ${counts.join('; ')}`);
        // The source refuses writes before the target takes any: if what follows fails, both refuse
        // (and the promotion is tried again), rather than both taking writes. The capture triggers stay
        // until after the commit: dropping one would lock out readers for the pause.
        for (const table of tables) {
          await tx.query(
            `CREATE TRIGGER flagstack_moved BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
               FOR EACH STATEMENT EXECUTE FUNCTION flagstack_refuse_writes(${quoteLiteral(this.options.targetEndpoint)})`,
          );
        }
        await tx.query(`UPDATE moves SET state = 'moved', updated_at = now() WHERE role = 'source' AND state = 'capturing'`);
        await announceRoleChange(tx);
      });
    } catch (error) {
      this.lastError = `cut-over rolled back: ${(error as Error).message}; the source takes writes again`;
      this.options.log?.('live move: cut-over rolled back', { error: (error as Error).message });
      this.phase = 'catching-up';
      this.stopLoop = false;
      this.loop = this.catchUpLoop();
      throw new CutOverFailed(this.lastError);
    }
    this.phase = 'moved';
    await this.promoteTarget();
    this.pauseMs = Math.round(performance.now() - started);
    this.options.log?.('live move: cut over', { pauseMs: this.pauseMs });
    await source.transaction(async (tx) => {
      for (const table of tables) await tx.query(`DROP TRIGGER IF EXISTS flagstack_capture ON ${table}`);
      await tx.query('DELETE FROM change_log');
    });
    return { pauseMs: this.pauseMs };
  }

  /**
   * Makes the target the primary, once the source refuses writes; tried again a few times, then again
   * by each later cut-over call (until then writes are refused on both sides, none taken twice).
   */
  async promoteTarget(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.target.transaction(async (tx) => {
          await resetSequences(tx);
          await tx.query(`UPDATE moves SET state = 'primary', updated_at = now() WHERE role = 'target' AND state = 'replica'`);
          await announceRoleChange(tx);
        });
        this.lastError = undefined;
        return;
      } catch (error) {
        this.lastError = `the source has moved but the target could not be made the primary: ${(error as Error).message}; writes are refused until it is (npm run move -- cut-over tries again)`;
        if (attempt >= PROMOTION_ATTEMPTS) throw new PromotionFailed(this.lastError);
        await sleep(RETRY_ROUND_MS);
      }
    }
  }

  /** Stops the move: the source stops capturing and keeps its role; the target is left as a stale copy. */
  async abandon(): Promise<void> {
    if (this.phase === 'moved') throw new MoveRefused('The move has cut over; there is nothing to abandon');
    this.stopLoop = true;
    await this.loop;
    await stopCapturing(this.options.source, { ownMove: true });
    await this.options.target
      .transaction(async (tx) => {
        await tx.query(`UPDATE moves SET state = 'abandoned', updated_at = now() WHERE role = 'target' AND state = 'replica'`);
        await announceRoleChange(tx);
      })
      .catch(() => undefined);
    this.phase = 'abandoned';
  }
}

/**
 * Ends a source's capture of changes: its triggers, its log, and its record of the move (abandoned).
 * Also how a move that outlived its process (the service restarted) is abandoned. Returns the move
 * that was capturing, if one was.
 */
export async function stopCapturing(
  source: Database,
  { ownMove }: { ownMove: boolean },
): Promise<{ target: string; startedAt: string } | undefined> {
  if (!ownMove) await refuseIfRunningElsewhere(source);
  return source.transaction(async (tx) => {
    for (const table of COPIED_TABLES) await tx.query(`DROP TRIGGER IF EXISTS flagstack_capture ON ${table.name}`);
    await tx.query('DELETE FROM change_log');
    const [stopped] = await tx.query<{ target: string; started_at: Date | string }>(
      `UPDATE moves SET state = 'abandoned', updated_at = now() WHERE role = 'source' AND state = 'capturing' RETURNING peer_name AS target, started_at`,
    );
    return stopped && { target: stopped.target, startedAt: new Date(stopped.started_at).toISOString() };
  });
}

/** A move that cannot start or go on as asked: the message says why (a 409 in the admin API). */
export class MoveRefused extends Error {}
/** A cut-over that failed and was rolled back. */
export class CutOverFailed extends Error {}
/** A cut-over whose source has moved but whose target is not the primary yet: both refuse writes. */
export class PromotionFailed extends Error {}

/** Writes to the target as a replica would: foreign keys hold once the changes have all arrived. */
const applyOnTarget = (target: Database, work: (tx: Queryable) => Promise<void>) =>
  target.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await work(tx);
  });

/** Tells the database's service instances to read their role again (on the channel they listen on already). */
const announceRoleChange = (tx: Queryable) =>
  tx.query('SELECT pg_notify($1, $2)', [ENVIRONMENT_CHANGES_CHANNEL, changeNotice('mover', [])]);

const describeRole = (role: MoveRole): string =>
  role.kind === 'replica' ? `a replica of ${role.source}` : role.kind === 'moved' ? `moved to ${role.movedTo}` : 'the primary';

/** A move another process of the stage runs (its record marked alive lately) is left to it. */
async function refuseIfRunningElsewhere(source: Queryable): Promise<void> {
  const [running] = await source.query<{ target: string }>(
    `SELECT peer_name AS target FROM moves WHERE role = 'source' AND state = 'capturing' AND updated_at > now() - interval '${ALIVE_WITHIN}'`,
  );
  if (running) {
    throw new MoveRefused(
      `A move to ${running.target} is running in another process of this stage; follow it, cut it over or abandon it there (the URL of that instance, not the load balancer's)`,
    );
  }
}

/** The tables whose row counts differ, as `table: source ≠ target`. */
async function compareCounts(source: Queryable, target: Queryable): Promise<string[]> {
  const differing: string[] = [];
  for (const { name } of COPIED_TABLES) {
    const query = `SELECT count(*)::float8 AS n FROM ${name}`;
    const [[{ n: here }], [{ n: there }]] = [await source.query<{ n: number }>(query), await target.query<{ n: number }>(query)];
    if (here !== there) differing.push(`${name}: ${here} ≠ ${there}`);
  }
  return differing;
}

const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
