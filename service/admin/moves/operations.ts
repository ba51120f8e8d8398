/** The one live move this service may be running (service/move/live.ts), as the admin API drives it. */
import { conflict, HttpError, notFound } from '../../errors';
import { CutOverFailed, LiveMove, MoveRefused, PromotionFailed, stopCapturing, type LiveMoveOptions } from '../../move/live';
import { describeEnd } from '../../move/ends';
import { openDatabase, type Database } from '../../storage/database';
import type { MoveStart } from './schemas';

export class MoveControl {
  private current: { move: LiveMove; target: string; close?: () => Promise<void> } | undefined;

  constructor(
    private readonly source: Database,
    private readonly log: LiveMoveOptions['log'],
  ) {}

  /** Starts a live move to a PostgreSQL URL (the admin API's way). */
  async startTo(request: MoveStart) {
    this.refuseIfRunning();
    let target: Database;
    try {
      target = await openDatabase({ databaseUrl: request.target, dataDir: '', poolMax: 4, timeoutMs: 5000 });
      await target.ping();
    } catch (error) {
      throw new HttpError(
        400,
        'TARGET_UNREACHABLE',
        `The target database ${describeEnd(request.target)} did not answer: ${(error as Error).message}`,
      );
    }
    try {
      await this.start(target, describeEnd(request.target), {
        targetEndpoint: request.targetEndpoint,
        sourceEndpoint: request.sourceEndpoint,
      });
    } catch (error) {
      await target.close().catch(() => undefined);
      throw error;
    }
    this.current!.close = () => target.close();
    return this.status();
  }

  /** Starts a live move to an open database, which the caller closes (also how tests move to an embedded one). */
  async start(target: Database, targetName: string, endpoints: { targetEndpoint: string; sourceEndpoint: string }) {
    this.refuseIfRunning();
    try {
      const { targetEndpoint, sourceEndpoint } = endpoints;
      const move = await LiveMove.start({ source: this.source, target, targetName, targetEndpoint, sourceEndpoint, log: this.log });
      this.current = { move, target: targetName };
    } catch (error) {
      if (error instanceof MoveRefused) throw conflict(error.message);
      throw error;
    }
    return this.status();
  }

  status() {
    if (!this.current) throw notFound('No move has been started on this instance since it started');
    return { ...this.current.move.status, target: this.current.target };
  }

  async cutOver() {
    const move = this.running();
    try {
      await move.cutOver();
      await this.current!.close?.().catch(() => undefined);
    } catch (error) {
      if (error instanceof MoveRefused) throw conflict(error.message);
      if (error instanceof CutOverFailed) throw new HttpError(503, 'CUT_OVER_ROLLED_BACK', error.message);
      if (error instanceof PromotionFailed) throw new HttpError(503, 'TARGET_NOT_PROMOTED', error.message);
      throw error;
    }
    return this.status();
  }

  async abandon() {
    // A move whose process is gone (this service restarted) left its capture on: end that.
    if (!this.current) {
      let interrupted;
      try {
        interrupted = await stopCapturing(this.source, { ownMove: false });
      } catch (error) {
        if (error instanceof MoveRefused) throw conflict(error.message);
        throw error;
      }
      if (!interrupted) throw notFound('No move is running on this instance');
      const nothingSince = { copiedRows: 0, appliedChanges: 0, pendingChanges: 0, verified: false, readyToCutOver: false };
      return { ...interrupted, phase: 'abandoned' as const, ...nothingSince };
    }
    const move = this.current.move;
    try {
      await move.abandon();
      await this.current.close?.().catch(() => undefined);
    } catch (error) {
      if (error instanceof MoveRefused) throw conflict(error.message);
      throw error;
    }
    return this.status();
  }

  private running(): LiveMove {
    if (!this.current) throw notFound('No move has been started on this instance since it started');
    return this.current.move;
  }

  private refuseIfRunning(): void {
    const phase = this.current?.move.status.phase;
    if (phase === 'copying' || phase === 'catching-up' || phase === 'cutting-over') {
      throw conflict(`A move to ${this.current!.target} is ${phase}; abandon it first (DELETE /api/v1/admin/moves/current)`);
    }
  }
}
