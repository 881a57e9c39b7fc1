import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createProxy } from 'proxy';

export interface AuthProxy {
  url: string;
  /** CONNECT tunnels and plain requests the proxy let through, and those it refused (407). */
  allowed: number;
  refused: number;
  close(): Promise<void>;
}

/** A real HTTP proxy (the `proxy` package: CONNECT and plain forwarding) that demands Basic credentials. */
export async function startAuthProxy(user: string, password: string): Promise<AuthProxy> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const server = createProxy(http.createServer());
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const state: AuthProxy = {
    url: '',
    allowed: 0,
    refused: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
  server.authenticate = (req) => {
    const ok = req.headers['proxy-authorization'] === expected;
    if (ok) state.allowed++;
    else state.refused++;
    return ok;
  };
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
