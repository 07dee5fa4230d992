/** Table rows per resource kind (`-o table` without --query), like az's table transformers. */
import { assetOfVersion, assetPathOf } from './azShape';

export const endpointRow = (e: any) => ({
  Name: e.name,
  DefaultDeployment: e.properties?.defaults?.deploymentName ?? '',
  ScoringUri: e.properties?.scoringUri ?? '',
  ProvisioningState: e.properties?.provisioningState ?? '',
});

export const deploymentRow = (d: any) => ({
  Name: d.name,
  Model: d.properties?.model?.assetId ?? '',
  MiniBatchSize: d.properties?.miniBatchSize,
  InstanceCount: d.properties?.resources?.instanceCount,
  OutputAction: d.properties?.outputAction ?? '',
});

/** A version (`.../models/<name>/versions/<v>`: named by its version) or an asset (`.../models/<name>`, from `list` without --name). */
export const assetRow = (a: any) => {
  const p = a.properties ?? {};
  const asset = assetOfVersion(a);
  return { Name: asset ?? a.name, Version: asset !== undefined ? a.name : (p.latestVersion ?? ''), Type: p.modelType ?? p.dataType ?? '', Uri: assetPathOf(p) ?? '' };
};

export const datastoreRow = (d: any) => ({
  Name: d.name,
  Account: d.properties?.accountName ?? '',
  Container: d.properties?.containerName ?? '',
  IsDefault: d.properties?.isDefault ?? false,
});

export const jobRow = (j: any) => {
  const p = j.properties ?? {};
  const progress = p.progress ?? {};
  return {
    Name: j.name,
    Status: p.status ?? '',
    Endpoint: p.endpointName ?? '',
    Deployment: p.deploymentName ?? '',
    Items: progress.itemsTotal ?? '',
    Succeeded: progress.itemsSucceeded ?? '',
    Failed: progress.itemsFailed ?? '',
    Created: p.creationTime ?? '',
  };
};
