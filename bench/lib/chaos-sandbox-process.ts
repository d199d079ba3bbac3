/**
 * The sandbox as its own process, for the chaos run (bench/chaos.ts): the parent starts it in a new
 * process group, stops it with SIGINT (as Ctrl-C would: in-flight batches finish) or kills the whole
 * group with SIGKILL (a crash), and starts it again on the same ports and state dir.
 *
 *   tsx bench/lib/chaos-sandbox-process.ts '<JSON of ChaosSandboxArgs>'
 *
 * Prints `ready <path of sandbox.json>` once up, `stopped` after a graceful stop; every sandbox log
 * line goes to stdout too (the parent keeps them in a file). The sample target is NOT started here:
 * it lives in the parent so that its ledger (which keys it accepted, and when) survives the crash.
 */
import { join } from 'node:path';
import { startSandbox } from '../../local/sandbox.js';
import { SANDBOX_INFO_FILE } from '../../local/sandbox-info.js';
import { teeSandboxLog } from '../../ops/event-log.js';
import { type ChaosSandboxArgs, chaosPlan } from './chaos-plan.js';

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '') as ChaosSandboxArgs;
  const sandbox = await startSandbox({
    port: args.ports.gateway,
    sqsPort: args.ports.sqs,
    dynamoPort: args.ports.dynamo,
    secretsPort: args.ports.secrets,
    targetPort: 0,
    stateDir: args.stateDir,
    assemblyDir: args.assemblyDir,
    scheduleIntervalMs: 1000,
    adjust: (plan) => chaosPlan(plan, args),
    // Timestamped into <state>/sandbox.log too (what `hookyard trace` reads; the verdict counts from it).
    log: teeSandboxLog(args.stateDir, (line) => process.stdout.write(`${line}\n`)),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await sandbox.stop();
    process.stdout.write('stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`ready ${join(args.stateDir, SANDBOX_INFO_FILE)}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`chaos sandbox: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
