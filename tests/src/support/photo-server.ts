// A local HTTP server that serves real photos and every misbehaviour a downloader must survive.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { datasetPath } from './datasets.js';

export interface PhotoServer {
  /** e.g. http://127.0.0.2:41234 */
  origin: string;
  port: number;
  /** Requests seen per path (without query). */
  hits: Map<string, number>;
  /** Wikimedia-shaped search responses: query → list of photo paths on this server. */
  searchResults: Map<string, string[]>;
  /** Search API requests as received (their query strings). */
  searchRequests: URLSearchParams[];
  /** Called when a /hold/ request arrives (before the response is delayed). */
  onHold?: (path: string) => void;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

export async function startPhotoServer(host: string): Promise<PhotoServer> {
  const hits = new Map<string, number>();
  const held = new Set<http.ServerResponse>();
  const state: Omit<PhotoServer, 'origin' | 'port' | 'close'> = {
    hits,
    searchResults: new Map(),
    searchRequests: [],
  };
  const sendPhoto = (response: http.ServerResponse, relative: string) => {
    const file = datasetPath(relative);
    if (!file.startsWith(datasetPath()) || !fs.existsSync(file)) {
      response.writeHead(404).end('no such photo');
      return;
    }
    response.writeHead(200, { 'content-type': 'image/jpeg' });
    fs.createReadStream(file).pipe(response);
  };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://local');
    const route = url.pathname;
    hits.set(route, (hits.get(route) ?? 0) + 1);
    if (route.startsWith('/photos/'))
      return sendPhoto(response, decodeURIComponent(route.slice('/photos/'.length)));
    if (route === '/missing.jpg')
      return response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    if (route === '/loop-a') return response.writeHead(302, { location: '/loop-b' }).end();
    if (route === '/loop-b') return response.writeHead(302, { location: '/loop-a' }).end();
    if (route === '/slow.jpg') {
      held.add(response); // never answers; the client's timeout must end it
      return;
    }
    if (route === '/huge.jpg') {
      // 50 MiB, chunked (no Content-Length), so only a streaming cap can stop it.
      response.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(MiB, 0xff);
      let sent = 0;
      const pump = () => {
        while (sent < 50 && response.write(chunk)) sent++;
        if (sent >= 50) response.end();
        else
          response.once('drain', () => {
            sent++;
            pump();
          });
      };
      response.on('error', () => undefined);
      pump();
      return;
    }
    if (route === '/page.html') {
      return response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<!doctype html><p>hi</p>');
    }
    if (route === '/disguised.jpg') {
      return response
        .writeHead(200, { 'content-type': 'image/jpeg' })
        .end('<!doctype html><p>not a photo</p>');
    }
    if (route === '/truncated.jpg') {
      const bytes = fs.readFileSync(datasetPath(url.searchParams.get('photo') ?? ''));
      return response
        .writeHead(200, { 'content-type': 'image/jpeg' })
        .end(bytes.subarray(0, Math.floor(bytes.length / 3)));
    }
    if (route === '/redirect') {
      return response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    }
    if (route === '/flaky.jpg') {
      // 503 on the first two requests, then the photo.
      if ((hits.get(route) ?? 0) <= 2) return response.writeHead(503).end('busy');
      return sendPhoto(response, url.searchParams.get('photo') ?? '');
    }
    if (route.startsWith('/hold/')) {
      // /hold/<ms>/<dataset path>: answer after a delay (a job that takes a while).
      const [, , ms, ...rest] = route.split('/');
      state.onHold?.(route);
      const timer = setTimeout(() => sendPhoto(response, decodeURIComponent(rest.join('/'))), Number(ms));
      response.on('close', () => clearTimeout(timer));
      return;
    }
    if (route === '/w/api.php') {
      state.searchRequests.push(url.searchParams);
      const query = (url.searchParams.get('gsrsearch') ?? '').replace(/ filetype:bitmap$/, '');
      const photos = state.searchResults.get(query) ?? [];
      const offset = Number(url.searchParams.get('gsroffset') ?? '0');
      const size = Number(url.searchParams.get('gsrlimit') ?? '10');
      const page = photos.slice(offset, offset + size);
      const origin = `http://${request.headers.host}`;
      const body = {
        batchcomplete: true,
        ...(offset + size < photos.length
          ? { continue: { gsroffset: offset + size, continue: 'gsroffset||' } }
          : {}),
        query: {
          pages: page.map((photo, index) => ({
            pageid: 1000 + offset + index,
            ns: 6,
            title: `File:${photo.split('/').pop()}`,
            index: offset + index + 1,
            imagerepository: 'local',
            imageinfo: [
              {
                thumburl: `${origin}/photos/${photo}`,
                thumbwidth: 250,
                thumbheight: 250,
                url: `${origin}/photos/${photo}`,
                descriptionurl: `${origin}/wiki/File:${index}`,
                mime: 'image/jpeg',
              },
            ],
          })),
        },
      };
      return response
        .writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify(body));
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const result = state as PhotoServer;
  result.origin = `http://${host}:${port}`;
  result.port = port;
  result.close = async () => {
    for (const response of held) response.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return result;
}
