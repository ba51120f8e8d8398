/**
 * Writes during a move between stages (service/move/live.ts). A target that is still a replica sends
 * each write to the source's service and answers with its answer, so that traffic can shift to the new
 * stage before the cut-over while every write still lands in one place. A source that has moved
 * refuses writes with a 503 naming the new service; its database refuses them too (a trigger), which
 * also covers the writes that waited out the cut-over's pause. Reads are never touched.
 *
 * Only write routes get these hooks (attached as routes are added), so flag reads pay nothing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { MoveRoleWatch } from '../storage/moves';

/** The error code of a write refused by a source that has moved, in the body and for clients. */
export const MOVED = 'MOVED';
const MOVED_TO_HEADER = 'x-flagstack-moved-to';
/**
 * Set on the writes a replica forwards, and on the answers it had from the source's service. A split
 * in the old stage's CloudFront distribution keeps such writes on the old stage (traffic-split-router.ts).
 */
const FORWARDED_HEADER = 'x-flagstack-forwarded-to';

/** How long a replica waits for the source's answer to a write it forwarded. */
const FORWARD_TIMEOUT_MS = 10_000;

/** The 503 of a write sent to a source that has moved. */
export function sendMoved(reply: FastifyReply, movedTo: string): FastifyReply {
  return reply
    .code(503)
    .header(MOVED_TO_HEADER, movedTo)
    .send({
      error: { code: MOVED, message: `This flagstack instance has moved to ${movedTo}; send requests there`, movedTo },
    });
}

/** A write: a method that changes something, but not OFREP's evaluations (POSTs that only read) nor the move's own admin routes. */
const isWriteRoute = (route: RouteOptions): boolean =>
  [route.method].flat().some((method) => !['GET', 'HEAD', 'OPTIONS'].includes(method)) &&
  !route.url.startsWith('/ofrep/') &&
  !route.url.includes('/admin/moves');

/** Installs the hooks; call before the routes are added. */
export function installMoveRoles(app: FastifyInstance, roles: MoveRoleWatch): void {
  const refuseIfMoved = (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const role = roles.role;
    if (role.kind === 'moved') sendMoved(reply, role.movedTo);
    else done();
  };
  // Callback-style: a primary's writes, nearly all of them, pass without the promise an async hook costs.
  const forwardIfReplica = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const role = roles.role;
    if (role.kind !== 'replica') return done();
    forwardTo(role, request, reply).then((forwarded) => (forwarded ? undefined : done()), done);
  };
  const forwardTo = async (role: { source: string }, request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    // A write that a replica sent here: this replica's source is itself a replica (or itself).
    if (request.headers[FORWARDED_HEADER] !== undefined) {
      void reply.code(508).send({
        error: {
          code: 'FORWARDING_LOOP',
          message: `This replica's source (${role.source}) sent the write back: the move's sourceEndpoint names a replica`,
        },
      });
      return true;
    }
    const answer = await forward(request, role.source);
    // The source cut over while this write was on its way: this side becomes the primary a moment
    // later (the mover promotes it once the source refuses writes), and then takes the write itself.
    if (answer.status === 503 && answer.headers.get(MOVED_TO_HEADER) && (await becamePrimary(roles))) return false;
    reply.code(answer.status).header(FORWARDED_HEADER, role.source);
    const type = answer.headers.get('content-type');
    if (type) reply.type(type);
    void reply.send(Buffer.from(await answer.arrayBuffer()));
    return true;
  };
  app.addHook('onRoute', (route) => {
    if (!isWriteRoute(route)) return;
    route.onRequest = [...[route.onRequest ?? []].flat(), refuseIfMoved] as RouteOptions['onRequest'];
    route.preHandler = [...[route.preHandler ?? []].flat(), forwardIfReplica] as RouteOptions['preHandler'];
  });
}

/** How long a write the source refused as moved waits for this replica's promotion, checking every 50 ms. */
const PROMOTION_WAIT_MS = 2000;

async function becamePrimary(roles: MoveRoleWatch): Promise<boolean> {
  for (let waited = 0; waited <= PROMOTION_WAIT_MS; waited += 50) {
    if ((await roles.reload()).kind === 'primary') return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Sends the write, as validated, to the source's service. */
async function forward(request: FastifyRequest, source: string): Promise<Response> {
  const headers = new Headers();
  for (const name of ['authorization', 'x-environment-key', 'content-type', 'user-agent', 'x-request-id']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  headers.set('x-request-id', request.id);
  headers.set(FORWARDED_HEADER, source);
  try {
    return await fetch(new URL(request.url, source), {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
  } catch (error) {
    request.log.warn({ err: error, source }, 'could not forward a write to the source');
    return Response.json(
      {
        error: {
          code: 'SOURCE_UNAVAILABLE',
          message: 'This instance is a replica during a move and the source did not answer; try again shortly',
        },
      },
      { status: 503 },
    );
  }
}
