/**
 * The local console end to end, in a real headless Chromium (Debian's, driven by playwright-core): a
 * dead-lettered event is visible with its reason, a click on Redrive moves it back, and it is then
 * delivered once. Also its trust boundary: loopback Host only, no cross-site requests, token needed.
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStandardWebhook } from '../../functions/shared/signatures/index.js';
import { isolatedSandboxOptions, type Sandbox, startSandbox, synthesizeLocal } from '../../local/sandbox.js';
import { readSandboxInfo, type SandboxInfo } from '../../local/sandbox-info.js';
import { ORDER, ROOT, waitFor } from '../cli/support.js';
import { ensureChromium, launchChromium } from './chromium.js';

const NAME = 'acme-orders';
let work: string;
let sandbox: Sandbox;
let info: SandboxInfo;
let browser: BrowserContext | undefined;

beforeAll(async () => {
  ensureChromium();
  work = mkdtempSync(join(tmpdir(), 'hookyard-console-'));
  await synthesizeLocal(join(work, 'cdk.out'));
  sandbox = await startSandbox({
    ...isolatedSandboxOptions(join(work, 'state'), join(work, 'cdk.out')),
    log: () => undefined,
  });
  const written = readSandboxInfo(join(work, 'state'));
  if (!written?.consoleUrl) throw new Error('the sandbox serves no console');
  info = written;
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
  rmSync(work, { recursive: true, force: true });
});

const deliveries = (eventId: string) =>
  sandbox.sampleTarget?.received().filter((d) => d.idempotencyKey === eventId).length ?? 0;

/** A raw request, so that Host and Origin can be anything (fetch would not send a forged Host). */
function raw(path: string, headers: Record<string, string>, method = 'GET'): Promise<number> {
  const url = new URL(path, info.consoleUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: url.port, path: url.pathname, method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local console', () => {
  it('shows a dead-lettered event with its reason; Redrive moves it back and it is delivered once', async () => {
    // Prepare: a permanent failure (the target answers 400)
    sandbox.sampleTarget?.setFaults({ status: 400 });
    const body = ORDER;
    const headers = signStandardWebhook(sandbox.signingSecret(NAME), {
      id: 'evt_console_1',
      timestamp: new Date(),
      body,
    });
    const accepted = await fetch(`${sandbox.gatewayUrl}/webhooks/${NAME}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    expect(accepted.status).toBe(202);
    const page = await (browser as BrowserContext).newPage();
    await page.goto(info.consoleUrl as string);
    const row = page.locator('#dlq tr[data-event-id="evt_console_1"]');
    // Act 1: the console shows it (it refreshes every 3 s)
    await row.waitFor({ timeout: 30_000 });
    sandbox.sampleTarget?.setFaults({ status: null });
    // Assess 1
    await expect(row.locator('td.reason').textContent()).resolves.toContain('target-rejected');
    await expect(row.textContent()).resolves.toContain('400');
    await expect(page.locator('#integrations tbody tr').first().textContent()).resolves.toContain(NAME);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'console.png'), fullPage: true });

    // Act 2: click Redrive
    await row.getByRole('button', { name: 'Redrive' }).click();
    // Assess 2: moved, delivered once, gone from the DLQ table
    await page.locator('#message', { hasText: 'moved 1' }).waitFor({ timeout: 15_000 });
    await waitFor(() => deliveries('evt_console_1') === 1, 'the redriven delivery');
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(deliveries('evt_console_1')).toBe(1);
    await page.screenshot({ path: join(ROOT, 'test-results', 'console-after-redrive.png'), fullPage: true });
  });

  it('refuses foreign Host names, cross-site requests and API calls without the token', async () => {
    const port = new URL(info.consoleUrl as string).port;
    const self = `127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${info.adminToken}` };
    expect(await raw('/api/status', { host: self, ...auth })).toBe(200);
    expect(await raw('/', { host: `localhost:${port}` })).toBe(200);
    expect(await raw('/api/status', { host: `evil.example:${port}`, ...auth })).toBe(421);
    expect(await raw('/', { host: `rebind.evil.example:${port}` })).toBe(421);
    expect(await raw('/api/status', { host: self, origin: 'http://evil.example', ...auth })).toBe(403);
    expect(
      await raw('/api/pause/acme-orders', { host: self, 'sec-fetch-site': 'cross-site', ...auth }, 'POST'),
    ).toBe(403);
    expect(await raw('/api/pause/acme-orders', { host: self }, 'POST')).toBe(401);
    expect(await raw('/api/status', { host: self, authorization: 'Bearer wrong' })).toBe(401);
    const cloudwatchPort = new URL(info.endpoints.cloudwatch as string).port;
    const cw = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: cloudwatchPort,
          path: '/',
          method: 'POST',
          headers: { host: `evil.example:${cloudwatchPort}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(cw).toBe(421);
  });
});
