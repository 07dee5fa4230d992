import { registerAssetRoutes } from './assetRoutes';
import { registry } from './common';

export const {
  list: listModelVersions,
  get: getModelVersion,
  put: putModelVersion,
} = registerAssetRoutes('models', registry.models);
