// A TCP port nothing listens on right now, for servers that must be told their port up front
// (API_PORT, a private redis-server restarted on the same port, the demo's preferred 3000).
import net from 'node:net';

function listenBriefly(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no TCP port was assigned')),
      );
    });
  });
}

/** A port on 127.0.0.1 that nothing listened on a moment ago: `preferred` when it is free, else any. */
export async function freePort(preferred = 0): Promise<number> {
  const host = '127.0.0.1';
  return preferred === 0
    ? listenBriefly(0, host)
    : listenBriefly(preferred, host).catch(() => listenBriefly(0, host));
}
