/**
 * /moves: a live move of this whole instance to the next stage's database (docs/moves.md). Started here,
 * followed with GET, cut over or abandoned; the mover runs in this service, which holds the source.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import type { MoveControl } from './operations';
import { MoveStart, MoveStatus } from './schemas';

export interface MoveRoutesOptions extends AdminRoutes {
  moves: MoveControl;
}

export const moveRoutes: FastifyPluginCallbackTypebox<MoveRoutesOptions> = (api, { doc, moves }, done) => {
  api.post(
    '/moves',
    doc('Start a live move of this instance to another database', { body: MoveStart }, MoveStatus),
    async (request, reply) => reply.code(202).send(await moves.startTo(request.body)),
  );
  api.get('/moves/current', doc("The current move's progress", {}, MoveStatus), () => moves.status());
  api.post(
    '/moves/current/cut-over',
    doc('Cut over: pause writes, apply the last changes, make the target the primary', {}, MoveStatus),
    () => moves.cutOver(),
  );
  api.delete('/moves/current', doc('Abandon the move: stop capturing; the source keeps its role', {}, MoveStatus), () => moves.abandon());
  done();
};
