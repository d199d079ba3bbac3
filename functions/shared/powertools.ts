/** Powertools singletons, configured once per execution environment. */
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DIMENSIONS, ENV, METRICS, METRICS_NAMESPACE, type MetricKey, SERVICE_NAME } from './contract.js';

const serviceName = process.env[ENV.serviceName] ?? SERVICE_NAME;

/**
 * Every line carries level, message and timestamp, then the keys the code adds (`eventId`…);
 * warnings and errors also the invocation's request id, which joins them to the invocation's
 * REPORT line (a timeout, the memory used). Powertools' default adds the service name, function
 * name, ARN, memory size, cold start, sampling rate and X-Ray id to every line: about 400 bytes an
 * event that the log group (it names the function) and Lambda's REPORT line already say, billed per
 * GB of CloudWatch Logs. An INFO milestone is found by its event id (`hookyard trace`), not its request.
 */
class CompactLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const routine =
      attributes.logLevel === 'INFO' || attributes.logLevel === 'DEBUG' || attributes.logLevel === 'TRACE';
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        requestId: routine ? undefined : attributes.lambdaContext?.awsRequestId,
      },
    }).addAttributes(additional);
  }
}

export const logger = new Logger({ serviceName, logFormatter: new CompactLogFormatter() });

export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName,
  defaultDimensions: { [DIMENSIONS.integration]: process.env[ENV.integration] ?? 'unknown' },
});

/** Adds a count to one of the contract's metrics (names are never written anywhere else). */
export function countMetric(key: MetricKey, count = 1): void {
  metrics.addMetric(METRICS[key].name, MetricUnit.Count, count);
}
