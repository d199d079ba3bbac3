/** The Lambda client, built once per execution environment (AWS_ENDPOINT_URL_LAMBDA locally). */
import { LambdaClient } from '@aws-sdk/client-lambda';

export const lambda = /* @__PURE__ */ new LambdaClient({});
