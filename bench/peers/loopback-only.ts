/**
 * Preloaded into third-party servers the bench starts (`node --import`): servers that listen
 * without a host listen on 127.0.0.1 instead of every interface, and outgoing TCP connections
 * to anything but loopback fail at once.
 */
import net from 'node:net';

const loopback = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]) {
  const [first, second] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof second !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (typeof first === 'object' && first !== null && !('path' in first)) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return (originalListen as (...values: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
  const [first, second] = args;
  const host =
    typeof first === 'object' && first !== null
      ? (first as { host?: string; path?: string }).path === undefined
        ? ((first as { host?: string }).host ?? 'localhost')
        : 'localhost'
      : typeof second === 'string'
        ? second
        : 'localhost';
  if (!loopback.test(host)) {
    throw new Error(`bench: outgoing connection to ${host} blocked (loopback only)`);
  }
  return (originalConnect as (...values: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
