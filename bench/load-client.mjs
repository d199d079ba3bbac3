/**
 * The benchmark's partner: a worker thread that POSTs pre-signed webhooks to the sandbox's gateway on a
 * fixed schedule (request i is due at start + i / rate) with at most `concurrency` requests in flight.
 * It runs on its own thread so its pacing and its clocks do not wait on the sandbox's busy main thread.
 *
 * Bounded: `requests.length` posts at most, each with `requestTimeoutMs`; once `deadlineMs` after the
 * start has passed, the requests not yet sent are reported as not sent.
 *
 * workerData: { url, requests: [{ id, headers, body }], ratePerSecond, concurrency, requestTimeoutMs,
 *               deadlineMs }
 * Posts back one message: { results, startedAt, finishedAt, cpu, maxInFlight }, where each result is
 * { id, sentAt (epoch ms), lateMs, latencyMs, status (HTTP status, 'timeout', 'error' or 'not-sent'),
 *   bodyOk (a 202 whose body names the id) }.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';

const { url, requests, ratePerSecond, concurrency, requestTimeoutMs, deadlineMs } = workerData;
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

/** One POST; resolves with the status and the answer's text, never rejects. */
function post(item) {
  return new Promise((resolve) => {
    const body = Buffer.from(item.body);
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { ...item.headers, 'content-length': body.length },
        timeout: requestTimeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', () => resolve({ status: 'error', text: '' }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ status: 'timeout', text: '' });
    });
    req.on('error', () => resolve({ status: 'error', text: '' }));
    req.end(body);
  });
}

function namesId(text, id) {
  try {
    return JSON.parse(text).id === id;
  } catch {
    return false;
  }
}

const results = new Array(requests.length);
const cpuBefore = process.threadCpuUsage();
const start = performance.now() + 20;
const interval = 1000 / ratePerSecond;
let next = 0;
let inFlight = 0;
let maxInFlight = 0;

async function client() {
  for (let i = next++; i < requests.length; i = next++) {
    const item = requests[i];
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (performance.now() - start > deadlineMs) {
      results[i] = { id: item.id, sentAt: 0, lateMs: 0, latencyMs: 0, status: 'not-sent', bodyOk: false };
      continue;
    }
    const sentAt = Date.now();
    const t0 = performance.now();
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const answer = await post(item);
    inFlight -= 1;
    const latencyMs = performance.now() - t0;
    results[i] = {
      id: item.id,
      sentAt,
      lateMs: Math.max(0, t0 - due),
      latencyMs,
      status: answer.status,
      bodyOk: answer.status === 202 && namesId(answer.text, item.id),
    };
  }
}

const startedAt = Date.now();
await Promise.all(Array.from({ length: concurrency }, () => client()));
const finishedAt = Date.now();
agent.destroy();
parentPort?.postMessage({
  results,
  startedAt,
  finishedAt,
  cpu: process.threadCpuUsage(cpuBefore),
  maxInFlight,
});
