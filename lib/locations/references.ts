/** A reference to one registered asset version, or to its newest version. */
export interface AssetRef {
  name: string;
  /** A version, or 'latest' for `azureml:<name>@latest`. */
  version: string;
}

export type AssetCollection = 'models' | 'codes' | 'data';

/**
 * Parses an asset id as Azure ML writes them: `azureml:<name>:<version>`, `azureml:<name>@latest`,
 * or a resource id ending in `/<collection>/<name>/versions/<version>` (an ARM id, or this
 * service's own `/api/models/<name>/versions/<version>`). Undefined when it is none of these.
 */
export function parseAssetId(value: string, collection: AssetCollection): AssetRef | undefined {
  // Names and versions use only these characters (see names.ts), so nothing needs decoding.
  const short = /^azureml:([\w.-]+)(?::([\w.-]+)|@(latest))$/i.exec(value);
  if (short) return { name: short[1]!, version: short[2] ?? 'latest' };
  const long = new RegExp(`(?:^|/)${collection}/([\\w.-]+)/versions/([\\w.-]+)$`, 'i').exec(value);
  if (long) return { name: long[1]!, version: long[2]! };
  return undefined;
}

/** The canonical short form stored in deployments: `azureml:<name>:<version>`. */
export const assetIdOf = (name: string, version: string): string => `azureml:${name}:${version}`;

/**
 * An Azure blob https URL (public cloud and sovereign clouds). Other hosts are refused: the
 * service reads these with its own identity, whose token must only go to Azure Storage.
 */
export function isAzureBlobUrl(uri: string): boolean {
  return /^https:\/\/[a-z0-9]{3,24}\.blob\.core\.(?:windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)\/[a-z0-9$][a-z0-9-]{1,62}(?:\/.*)?$/.test(
    uri,
  );
}
