/**
 * AWS SDK clients, built once per execution environment. Locally the sandbox points them at the
 * emulators through AWS_ENDPOINT_URL_* variables, so no handler code knows where it runs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

export const sqs = /* @__PURE__ */ new SQSClient({});
export const secretsManager = /* @__PURE__ */ new SecretsManagerClient({});
export const dynamodb = /* @__PURE__ */ new DynamoDBClient({});
export const lambda = /* @__PURE__ */ new LambdaClient({});
