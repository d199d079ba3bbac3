/** The SQS client, built once per execution environment (AWS_ENDPOINT_URL_SQS points it at the emulator locally). */
import { SQSClient } from '@aws-sdk/client-sqs';

export const sqs = /* @__PURE__ */ new SQSClient({});
