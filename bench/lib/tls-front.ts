/**
 * HTTPS in front of a local emulator, so a benchmark's functions reach it as they reach AWS: over TLS,
 * with Node's `https` module only. (Over `http://` the SDK imports `node:http`, whose ES module wrapper
 * loads undici, about 40 ms of a cold start that Lambda never pays: nodejs/node#57649.)
 *
 * The certificate is made for this run with the `openssl` CLI (a throwaway key in a temporary folder,
 * for 127.0.0.1 only); a process trusts it through NODE_EXTRA_CA_CERTS=<certFile>.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface LoopbackCertificate {
  readonly certFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A self-signed certificate for 127.0.0.1, valid one day, written into `dir`. */
export function loopbackCertificate(dir: string): LoopbackCertificate {
  const keyFile = join(dir, 'loopback.key');
  const certFile = join(dir, 'loopback.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

export interface TlsFront {
  /** `https://127.0.0.1:<port>` */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Forwards every request to `upstream` (an `http://127.0.0.1:<port>` endpoint), Host rewritten to it. */
export async function startTlsFront(upstream: string, certificate: LoopbackCertificate): Promise<TlsFront> {
  const target = new URL(upstream);
  const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
