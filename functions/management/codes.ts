import { registerAssetRoutes } from './assetRoutes';
import { registry } from './common';

export const {
  list: listCodeVersions,
  get: getCodeVersion,
  put: putCodeVersion,
} = registerAssetRoutes('codes', registry.codes);
