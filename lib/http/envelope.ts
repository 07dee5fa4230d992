/** ARM's `systemData`: who created and last changed a resource, and when (ISO-8601). */
export interface SystemData {
  createdBy: string;
  createdAt: string;
  lastModifiedBy?: string;
  lastModifiedAt: string;
}

/** The ARM-like resource envelope every management GET/PUT answers with. */
export interface ResourceEnvelope<P> {
  id: string;
  name: string;
  type: string;
  tags?: Record<string, string>;
  properties: P;
  systemData: SystemData;
}

/** Builds the envelope; `tags` only appears for resources that have top-level tags (endpoints, deployments). */
export function envelope<P>(input: {
  id: string;
  name: string;
  type: string;
  tags?: Record<string, string> | undefined;
  properties: P;
  systemData: SystemData;
}): ResourceEnvelope<P> {
  const { id, name, type, tags, properties, systemData } = input;
  return { id, name, type, ...(tags ? { tags } : {}), properties, systemData };
}

