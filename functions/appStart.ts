import { app } from '@azure/functions';
import { deploymentWarmer } from '../app/services';

// A new instance (start, restart, scale-out) starts the scoring workers of the endpoints' default
// deployments in the background, so their first job here does not wait for them. Not awaited:
// the instance serves at once (lib/jobs/deploymentWarmer.ts bounds and logs it).
app.hook.appStart(() => {
  void deploymentWarmer().warmDefaults();
});
