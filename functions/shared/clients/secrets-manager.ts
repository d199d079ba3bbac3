/** The Secrets Manager client, built once per execution environment (AWS_ENDPOINT_URL_SECRETS_MANAGER locally). */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export const secretsManager = /* @__PURE__ */ new SecretsManagerClient({});
