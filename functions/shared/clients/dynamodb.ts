/** The DynamoDB client, built once per execution environment (AWS_ENDPOINT_URL_DYNAMODB locally). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const dynamodb = /* @__PURE__ */ new DynamoDBClient({});
