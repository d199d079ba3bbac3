/** Step 7: the template's HTTP routes (and function URLs) on the local HTTP gateway. */
import { type HttpGateway, startHttpGateway } from '../http-gateway.js';
import type { SandboxPlan } from '../stack-template.js';
import { countFunctionError, type StepContext } from './context.js';
import { functionAt, type LocalFunctions } from './functions.js';

export async function startGateway(
  ctx: StepContext,
  plan: SandboxPlan,
  functions: LocalFunctions,
  port: number,
): Promise<HttpGateway> {
  const gateway = await startHttpGateway({
    port,
    routes: plan.routes.map((route) => {
      const { local, fn } = functionAt(
        plan,
        functions,
        route.functionLogicalId,
        `route ${route.method} ${route.path}`,
      );
      return {
        ...route,
        invoke: (event: unknown) => local.invoke(event),
        onError: () => countFunctionError(ctx, fn.name),
      };
    }),
  });
  ctx.stoppers.add(() => gateway.stop());
  return gateway;
}
