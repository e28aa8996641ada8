/**
 * The machine's ceiling for benchmark 2: an HTTP server that answers every POST with 200 and does
 * nothing else, speaking the same IPC as server-child.ts. What the real server reaches is read
 * against this: the same client, sockets and cores, none of the work.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}'));
});
server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') process.send!({ type: 'stats', memory: process.memoryUsage(), cpu: process.cpuUsage(), streams: 0 });
  else if (message.type === 'stop') server.close(() => process.exit(0)).closeAllConnections();
});
