/** Values every round shares. */

/** The port the flag service listens on behind a proxy or load balancer (its own default, PORT=8000). */
export const SERVICE_PORT = 8000;

/**
 * Node.js flags the service runs with (also in service/Dockerfile and `npm start`): source-mapped stack
 * traces, and a 4 MB young generation instead of 16 MB. Requests leave short-lived garbage only, so
 * scavenges stay cheap, and the smaller young generation keeps peak memory about 15 MB lower.
 */
export const SERVICE_NODE_FLAGS = '--enable-source-maps --max-semi-space-size=4';
