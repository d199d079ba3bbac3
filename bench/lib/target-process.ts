/**
 * The sample target as its own process, for benchmarks that measure delivery from the target's side
 * (bench/delivery-efficiency.ts): its clock and event loop are not the sandbox's, whose emulators
 * stall a shared event loop for tens of milliseconds under load and would bunch the arrivals the
 * target's rate limit counts. A real target is another machine.
 *
 *   tsx bench/lib/target-process.ts '<JSON of SampleTargetOptions>'
 *
 * Prints `ready <url>` once listening; SIGTERM stops it.
 */
import { type SampleTargetOptions, startSampleTarget } from '../../local/sample-target/index.js';

const target = await startSampleTarget(JSON.parse(process.argv[2] ?? '{}') as SampleTargetOptions);
process.stdout.write(`ready ${target.url}\n`);
process.on('SIGTERM', () => {
  void target.stop().finally(() => process.exit(0));
});
