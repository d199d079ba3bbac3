/**
 * The Powertools logger, configured once per execution environment. Its own module so a function that
 * logs but writes its metrics itself (ingest: functions/ingest/emf.ts) bundles no Powertools Metrics.
 */
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { ENV, SERVICE_NAME } from './contract.js';

/** Powertools' `service` for the logger and the metrics. */
export const serviceName = process.env[ENV.serviceName] ?? SERVICE_NAME;

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
