/**
 * Preloaded into Portkey's gateway (`node --import`): its HTTP server keeps an idle client
 * connection open for 65 s instead of Node's default 5 s. The gateway passes the upstream's
 * `Keep-Alive: timeout=60` header (the mock's) on to its own client, which therefore keeps an
 * idle connection for up to a minute, while the gateway's server closes it after 5 s: a request
 * sent on a connection idle for about 5 s then fails with "other side closed" (UND_ERR_SOCKET)
 * or ECONNRESET. The throughput suite leaves each client's connections idle for a few seconds
 * between its windows and met this; with the server's timeout above the hint it passes on, the
 * hint is true and the race is gone.
 */
import http from 'node:http';
import net from 'node:net';

const keepAliveMs = 65_000;
const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]) {
  if (this instanceof http.Server) {
    this.keepAliveTimeout = keepAliveMs;
    this.headersTimeout = Math.max(this.headersTimeout, keepAliveMs + 1000);
  }
  return (originalListen as (...values: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;
