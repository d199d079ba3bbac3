/**
 * Scheduled, one per integration: keeps the event source mapping in step with the circuit. While
 * the circuit is open the mapping is disabled, so no message is received (and no receive counted
 * towards the DLQ); when the open period ends the circuit goes half-open and the mapping is
 * enabled again, so real traffic probes the target. Publishes `CircuitOpen` (1/0) for the alarm.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import middy from '@middy/core';
import { breakerAction, CircuitStore } from '../shared/circuit.js';
import { dynamodb } from '../shared/clients/dynamodb.js';
import { lambda } from '../shared/clients/lambda.js';
import { MILESTONES, parseBreakerEnv } from '../shared/contract.js';
import { countMetric, logger, metrics } from '../shared/powertools.js';

const { integration, eventSourceMappingId, table } = parseBreakerEnv();
const circuits = new CircuitStore(dynamodb, table, integration);

async function checkCircuit() {
  const now = Date.now();
  const [circuit, paused] = await Promise.all([circuits.read(), circuits.readPause()]);
  const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: eventSourceMappingId }));
  const enabled = mapping.State === 'Enabled' || mapping.State === 'Enabling' || mapping.State === 'Updating';
  const action = breakerAction(circuit, enabled, now, paused);

  if (action.halfOpen && (await circuits.halfOpen(circuit))) {
    logger.info(MILESTONES.circuitHalfOpen, {
      integration,
      openMs: circuit.openMs,
    });
  }
  if (action.eventSource) {
    await lambda.send(
      new UpdateEventSourceMappingCommand({
        UUID: eventSourceMappingId,
        Enabled: action.eventSource === 'enable',
      }),
    );
    logger.warn(`event source mapping ${action.eventSource}d`, {
      integration,
      circuit: circuit.state,
      paused: Boolean(paused),
    });
  }
  const open = circuit.state === 'open' && !action.halfOpen;
  countMetric('circuitOpen', open ? 1 : 0);
  return {
    paused: Boolean(paused),
    circuit: action.halfOpen ? 'half-open' : circuit.state,
    eventSource: action.eventSource ?? 'unchanged',
  };
}

export const handler = middy(checkCircuit)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
