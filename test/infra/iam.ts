import type { Template } from 'aws-cdk-lib/assertions';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** A resource as a reviewer reads it: `<LakeBucket>/readings/*`, with logical ids' hashes dropped. */
export function renderResource(r: unknown): string {
  if (typeof r === 'string') return r;
  const o = r as Record<string, unknown>;
  if (o['Fn::GetAtt']) return `<${String((o['Fn::GetAtt'] as string[])[0]).replace(/[0-9A-F]{8}$/, '')}>`;
  if (o.Ref) return `<${String(o.Ref).replace(/[0-9A-F]{8}$/, '')}:ref>`;
  if (o['Fn::Join']) return ((o['Fn::Join'] as [string, unknown[]])[1]).map(renderResource).join('');
  return JSON.stringify(r);
}

/** Every Allow statement of the IAM policies attached to a role, flattened to "action resource [condition]" lines. */
export function permissionsOf(template: Template, roleIdPrefix: string): string[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<string, { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } }>;
  const lines: string[] = [];
  for (const p of Object.values(policies)) {
    if (!p.Properties.Roles.some((r) => r.Ref.startsWith(roleIdPrefix))) continue;
    for (const s of p.Properties.PolicyDocument.Statement) {
      if (s.Effect !== 'Allow') throw new Error(`unexpected ${s.Effect} statement`);
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      for (const a of actions) for (const r of resources) lines.push(`${a} ${renderResource(r)}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`);
    }
  }
  return lines.sort();
}

/** Every IAM statement in the template (identity policies and inline role policies). */
export function allIdentityStatements(template: Template): Statement[] {
  const out: Statement[] = [];
  for (const p of Object.values(template.findResources('AWS::IAM::Policy'))) out.push(...(p.Properties.PolicyDocument.Statement as Statement[]));
  for (const r of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const inline of (r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) out.push(...inline.PolicyDocument.Statement);
  }
  return out;
}
