/** Powertools singletons, configured once per execution environment. */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DIMENSIONS, ENV, METRICS, METRICS_NAMESPACE, type MetricKey } from './contract.js';
import { serviceName } from './logger.js';

export { logger } from './logger.js';

export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName,
  defaultDimensions: { [DIMENSIONS.integration]: process.env[ENV.integration] ?? 'unknown' },
});

/** Adds a count to one of the contract's metrics (names are never written anywhere else). */
export function countMetric(key: MetricKey, count = 1): void {
  metrics.addMetric(METRICS[key].name, MetricUnit.Count, count);
}
