import { registerAssetRoutes } from './assetRoutes';
import { registry } from './common';

export const {
  list: listDataVersions,
  get: getDataVersion,
  put: putDataVersion,
} = registerAssetRoutes('data', registry.data);
