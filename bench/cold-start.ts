/**
 * Cold start of the ingest function, side by side: the naive build (same handler, one bundle, no
 * minify, no tree shaking) and the shipped build (`bundlingOf(INGEST_UNREACHABLE_MODULES)` of
 * lib/hookyard-function.ts, what lib/partner-integration.ts builds the ingest function with).
 * For each: bundle size, and import + first handler call, median of N fresh `node` processes
 * (alternating builds, so a busy machine slows both alike). The first call is a correctly signed
 * acme-orders webhook answered 202: it reads the signing secret from the local Secrets Manager
 * emulator and sends to fauxqs, both behind HTTPS (bench/lib/tls-front.ts, a certificate made for the
 * run with `openssl`) as AWS's endpoints are, so it pays for what a partner's first request pays on Lambda
 * (the SDK clients' first use), with loopback instead of the AWS network.
 *
 *   npm run bench:cold-start -- [--runs 12] [--runtime-sdk] [--cpu-prof <dir>]
 *
 * `--cpu-prof <dir>` runs each child under `node --cpu-prof` and keeps the profiles in `<dir>` (open
 * them in Chrome DevTools); the profiler slows the children, so the run's figures are not written.
 *
 * `--runtime-sdk` adds a third build for comparison: the shipped one with the AWS SDK left to the
 * Lambda runtime (here it is read from node_modules, as the runtime reads its own copy).
 *
 * Writes bench/results/cold-start.json and prints a summary. Exits 1 if the run broke.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ingestEnvironment } from '../functions/shared/contract.js';
import { signStandardWebhook } from '../functions/shared/signatures/index.js';
import { bundlingOf, INGEST_UNREACHABLE_MODULES } from '../lib/hookyard-function.js';
import { startSecretsManagerEmulator } from '../local/emulators/secrets-manager.js';
import { startSqsEmulator } from '../local/emulators/sqs.js';
import {
  type BuiltBundle,
  buildBundle,
  contributions,
  esbuildOptionsOf,
  hundredKbSlices,
  naiveOptions,
} from './lib/cold-build.js';
import { type ColdSample, median, runColdProcess } from './lib/cold-process.js';
import { loopbackCertificate, startTlsFront } from './lib/tls-front.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'functions/ingest/handler.ts');
const RESULTS = join(ROOT, 'bench/results/cold-start.json');
/** What the aims of issue 11 ask of the shipped ingest bundle. */
const AIM = { maxBytes: 250 * 1000, maxInitRatio: 0.5 };
const SECRET = `whsec_${Buffer.from('cold-start benchmark secret, 32 bytes').toString('base64')}`;
const FIXTURE = readFileSync(join(ROOT, 'integrations/acme-orders/fixtures/order-created.in.json'), 'utf8');

/** What lib/partner-integration.ts builds the ingest function with. */
const SHIPPED_INGEST = bundlingOf(INGEST_UNREACHABLE_MODULES);

/** The shipped ingest build with the AWS SDK left out of the bundle (issue 11's lead 4), for comparison. */
const RUNTIME_SDK_INGEST = { ...SHIPPED_INGEST, bundleAwsSDK: false, externalModules: ['@aws-sdk/*'] };

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '12' },
    'runtime-sdk': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
const runs = Number(flags.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a whole number ≥ 1, got ${flags.runs}`);
  process.exit(2);
}

/** A signed webhook as API Gateway hands it to the function, signed now (within the tolerance). */
function webhookEvent(id: string) {
  const headers = signStandardWebhook(SECRET, { id, timestamp: new Date(), body: FIXTURE });
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/acme-orders',
    rawPath: '/webhooks/acme-orders',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    body: FIXTURE,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' }, timeEpoch: Date.now() },
  };
}

type BuildName = 'naive' | 'shipped' | 'runtimeSdk';

function built(builds: Partial<Record<BuildName, BuiltBundle>>, name: BuildName): BuiltBundle {
  const found = builds[name];
  if (!found) throw new Error(`no ${name} build`);
  return found;
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(0)} KB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;

async function main() {
  // Under node_modules: a build that leaves a package out finds it there, as Lambda's runtime would.
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
  const work = mkdtempSync(join(ROOT, 'node_modules/.cache/hookyard-cold-'));
  const [secrets, sqsEmulator] = await Promise.all([
    startSecretsManagerEmulator({ secrets: { 'acme-signing': SECRET } }),
    startSqsEmulator(),
  ]);
  const certificate = loopbackCertificate(work);
  const [secretsFront, sqsFront] = await Promise.all([
    startTlsFront(secrets.endpoint, certificate),
    startTlsFront(sqsEmulator.endpoint, certificate),
  ]);
  const sqs = new SQSClient({
    endpoint: sqsEmulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await sqs.send(new CreateQueueCommand({ QueueName: 'acme-orders' }));
    const builds: Partial<Record<BuildName, BuiltBundle>> & Record<'naive' | 'shipped', BuiltBundle> = {
      naive: await buildBundle(ENTRY, join(work, 'naive'), naiveOptions()),
      shipped: await buildBundle(ENTRY, join(work, 'shipped'), esbuildOptionsOf(SHIPPED_INGEST)),
    };
    if (flags['runtime-sdk']) {
      builds.runtimeSdk = await buildBundle(
        ENTRY,
        join(work, 'runtime-sdk'),
        esbuildOptionsOf(RUNTIME_SDK_INGEST),
      );
    }
    const names = Object.keys(builds) as BuildName[];
    const env = {
      // What the construct gives the function (NODE_OPTIONS included), pointed at the emulators.
      NODE_OPTIONS: '--enable-source-maps',
      NODE_EXTRA_CA_CERTS: certificate.certFile,
      ...ingestEnvironment({
        stage: 'local',
        integration: 'acme-orders',
        queueUrl: sqsEmulator.queueUrl('acme-orders').replace(sqsEmulator.endpoint, sqsFront.endpoint),
        signingSecretId: 'acme-signing',
        secretCacheSeconds: 300,
      }),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: sqsFront.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsFront.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'cold-start-bench',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };

    const samples: Record<BuildName, ColdSample[]> = { naive: [], shipped: [], runtimeSdk: [] };
    for (let i = 0; i < runs; i++) {
      for (const name of names) {
        const events = [
          webhookEvent(`evt_cold_${name}_${i}`),
          webhookEvent(`evt_warm_${name}_${i}`),
        ] as const;
        const profile = flags['cpu-prof'];
        const nodeArgs = profile
          ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${name}-${i}.cpuprofile`]
          : [];
        const sample = await runColdProcess(built(builds, name).file, events, env, nodeArgs);
        if (sample.status !== 202 || sample.warmStatus !== 202) {
          throw new Error(`${name} build answered ${sample.status}/${sample.warmStatus}: ${sample.body}`);
        }
        samples[name].push(sample);
      }
      process.stdout.write('.');
    }
    process.stdout.write('\n');

    const summary = (name: BuildName) => ({
      bytes: built(builds, name).bytes,
      sourceMap: built(builds, name).sourceMap,
      runs: samples[name].length,
      medianImportMs: median(samples[name].map((s) => s.importMs)),
      medianFirstCallMs: median(samples[name].map((s) => s.firstCallMs)),
      medianWarmCallMs: median(samples[name].map((s) => s.warmCallMs)),
      medianInitMs: median(samples[name].map((s) => s.importMs + s.firstCallMs)),
      medianProcessMs: median(samples[name].map((s) => s.processMs)),
    });
    const naive = summary('naive');
    const shipped = summary('shipped');
    const runtimeSdk = builds.runtimeSdk ? summary('runtimeSdk') : undefined;
    const parts = contributions(builds.shipped.metafile);
    const result = {
      measuredAt: new Date().toISOString(),
      command: `npm run bench:cold-start -- --runs ${runs}${runtimeSdk ? ' --runtime-sdk' : ''}`,
      node: process.version,
      machine: { cpus: cpus().length, loadAverage1m: loadavg()[0] },
      firstCall:
        'a signed acme-orders webhook, answered 202 (Secrets Manager emulator + fauxqs on loopback, behind HTTPS)',
      handler: 'functions/ingest/handler.ts',
      shippedOptions: SHIPPED_INGEST,
      naive,
      shipped,
      ...(runtimeSdk && {
        runtimeSdk: {
          ...runtimeSdk,
          options: RUNTIME_SDK_INGEST,
          initRatio: runtimeSdk.medianInitMs / naive.medianInitMs,
        },
      }),
      ratio: {
        bytes: shipped.bytes / naive.bytes,
        /** Import only: what Lambda reports as Init Duration. */
        import: shipped.medianImportMs / naive.medianImportMs,
        /** Import + the first call: what the partner waits for on a cold start. */
        importAndFirstCall: shipped.medianInitMs / naive.medianInitMs,
      },
      aim: {
        ...AIM,
        bytesMet: shipped.bytes <= AIM.maxBytes,
        importMet: shipped.medianImportMs <= AIM.maxInitRatio * naive.medianImportMs,
        importAndFirstCallMet: shipped.medianInitMs <= AIM.maxInitRatio * naive.medianInitMs,
      },
      shippedContents: parts.slice(0, 25),
      shipped100KbSlices: hundredKbSlices(parts, shipped.bytes),
      naiveContents: contributions(builds.naive.metafile).slice(0, 10),
    };
    if (flags['cpu-prof']) {
      console.log(`profiles in ${flags['cpu-prof']} (figures not written: the profiler slows the runs)`);
    } else {
      writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`results: ${RESULTS}`);
    }

    console.log(`ingest cold start, median of ${runs} fresh node ${process.version} processes each`);
    console.log('build      bundle    import   1st call   import+call   (warm call)');
    for (const [name, s] of Object.entries({ naive, shipped, runtimeSdk })) {
      if (!s) continue;
      console.log(
        `${name.padEnd(10)} ${kb(s.bytes).padStart(7)}  ${ms(s.medianImportMs).padStart(7)}  ${ms(s.medianFirstCallMs).padStart(8)}  ${ms(s.medianInitMs).padStart(11)}   (${ms(s.medianWarmCallMs)})`,
      );
    }
    const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
    if (runtimeSdk) {
      const ratio = (runtimeSdk.medianInitMs / naive.medianInitMs).toFixed(2);
      console.log(`runtimeSdk/naive: import+1st call ${ratio} (the AWS SDK read from node_modules)`);
    }
    console.log(
      `shipped/naive: size ${result.ratio.bytes.toFixed(2)} (aim ≤ ${kb(AIM.maxBytes)}: ${verdict(result.aim.bytesMet)}), ` +
        `import ${result.ratio.import.toFixed(2)} (aim ≤ ${AIM.maxInitRatio}: ${verdict(result.aim.importMet)}), ` +
        `import+1st call ${result.ratio.importAndFirstCall.toFixed(2)} (${verdict(result.aim.importAndFirstCallMet)})`,
    );
    console.log('what the shipped bundle is made of (bytes in output):');
    for (const part of parts.slice(0, 12)) console.log(`  ${kb(part.bytes).padStart(7)}  ${part.owner}`);
    result.shipped100KbSlices.forEach((owners, i) => {
      console.log(`  ${i * 100}-${(i + 1) * 100} KB: ${owners.join(', ')}`);
    });
  } finally {
    sqs.destroy();
    await Promise.all([secretsFront.stop(), sqsFront.stop()]);
    await Promise.all([secrets.stop(), sqsEmulator.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
