/**
 * AWS SDK clients, built once per execution environment. Locally the sandbox points them at the
 * emulators through AWS_ENDPOINT_URL_* variables, so no handler code knows where it runs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

export const sqs = new SQSClient({});
export const secretsManager = new SecretsManagerClient({});
export const dynamodb = new DynamoDBClient({});
export const lambda = new LambdaClient({});
