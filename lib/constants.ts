/** Values every stage shares. */

/** The port the flag service listens on behind a proxy or load balancer (its own default, PORT=8000). */
export const SERVICE_PORT = 8000;
