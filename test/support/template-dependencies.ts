/**
 * The deploy order CloudFormation derives from a template, and the references it cannot see.
 *
 * CloudFormation orders creation only by `Ref`, `Fn::GetAtt`, `Fn::Sub` and `DependsOn`. A resource
 * that names another by a plain string (an HTTP API stage's `RouteSettings` key naming a route's
 * `RouteKey`) gets no order from it: CloudFormation may create it first, and the service refuses it.
 */

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | readonly string[];
}
export type TemplateResources = Readonly<Record<string, TemplateResource>>;

/** A resource that names another by a plain string without depending on it. */
export interface UnorderedReference {
  /** The resource that names the other. */
  readonly from: string;
  /** The resource named. */
  readonly to: string;
  /** `<type>.<property>` of `to` whose value `from` names. */
  readonly identifiedBy: string;
  readonly value: string;
}

/** The logical ids a resource refers to directly (Ref, Fn::GetAtt, Fn::Sub, DependsOn). */
export function directDependencies(resource: TemplateResource, logicalIds: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const add = (id: string) => {
    if (logicalIds.has(id)) found.add(id);
  };
  const visit = (node: unknown) => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref' && typeof value === 'string') add(value);
      else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(value) ? value[0] : String(value).split('.')[0];
        if (typeof target === 'string') add(target);
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? value[0] : value;
        if (typeof text === 'string') {
          for (const m of text.matchAll(/\$\{([^}!][^}.]*)(?:\.[^}]*)?\}/g)) add(m[1] ?? '');
        }
      }
      visit(value);
    }
  };
  visit(resource.Properties);
  for (const id of [resource.DependsOn ?? []].flat()) add(id);
  return found;
}

/** Every logical id each resource depends on, directly or through others. */
export function transitiveDependencies(resources: TemplateResources): Map<string, Set<string>> {
  const ids = new Set(Object.keys(resources));
  const direct = new Map(
    [...ids].map((id) => [id, directDependencies(resources[id] as TemplateResource, ids)]),
  );
  const closure = new Map<string, Set<string>>();
  const resolve = (id: string, path: Set<string>): Set<string> => {
    const known = closure.get(id);
    if (known) return known;
    const all = new Set<string>();
    for (const dep of direct.get(id) ?? []) {
      all.add(dep);
      if (path.has(dep)) continue; // a cycle; CloudFormation rejects those itself
      for (const further of resolve(dep, new Set([...path, dep]))) all.add(further);
    }
    closure.set(id, all);
    return all;
  };
  for (const id of ids) resolve(id, new Set([id]));
  return closure;
}

/**
 * Properties that identify a resource by a string its neighbours may name: top-level, a plain
 * string, and named like an identifier (`RouteKey`, `StageName`, `QueueName`, `Name`, …).
 */
const IDENTIFYING_PROPERTY = /(Key|Name)$/;
/**
 * Named like identifiers but naming something else: an alarm's `MetricName` is the metric it watches,
 * shared by the same alarm of every integration, not a name of the alarm.
 */
const NOT_IDENTIFYING = new Set(['AWS::CloudWatch::Alarm.MetricName']);

function identifyingValues(resource: TemplateResource): [property: string, value: string][] {
  return Object.entries(resource.Properties ?? {}).filter(
    (entry): entry is [string, string] =>
      IDENTIFYING_PROPERTY.test(entry[0]) &&
      !NOT_IDENTIFYING.has(`${resource.Type}.${entry[0]}`) &&
      typeof entry[1] === 'string' &&
      entry[1].length > 0,
  );
}

/** Every plain string in a resource's properties, values and object keys alike. */
function plainStrings(node: unknown, into = new Set<string>()): Set<string> {
  if (typeof node === 'string') into.add(node);
  else if (Array.isArray(node)) for (const item of node) plainStrings(item, into);
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      into.add(key);
      plainStrings(value, into);
    }
  }
  return into;
}

/** Resources that name another resource by a plain string and may be created before it. */
export function unorderedReferences(resources: TemplateResources): UnorderedReference[] {
  const dependencies = transitiveDependencies(resources);
  const identified = Object.entries(resources).flatMap(([id, r]) =>
    identifyingValues(r).map(([property, value]) => ({ id, identifiedBy: `${r.Type}.${property}`, value })),
  );
  const found: UnorderedReference[] = [];
  for (const [from, resource] of Object.entries(resources)) {
    const strings = plainStrings(resource.Properties);
    for (const target of identified) {
      if (target.id === from || !strings.has(target.value)) continue;
      if (dependencies.get(from)?.has(target.id)) continue;
      found.push({ from, to: target.id, identifiedBy: target.identifiedBy, value: target.value });
    }
  }
  return found;
}
