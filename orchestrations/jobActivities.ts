import * as df from 'durable-functions';
import { ACTIVITY } from '../lib/jobs/contracts';
import { jobActivities } from '../app/services';
import type { ActivityInput } from './activityCalls';

// Thin registrations: the work is in lib/jobs/activities/ (one file per activity), built with its
// dependencies in the composition root.
df.app.activity(ACTIVITY.prepare, { handler: (input: ActivityInput<'prepare'>) => jobActivities().prepare(input) });
df.app.activity(ACTIVITY.planRest, { handler: (input: ActivityInput<'planRest'>) => jobActivities().planRest(input) });
df.app.activity(ACTIVITY.scoreMiniBatch, { handler: (input: ActivityInput<'scoreMiniBatch'>) => jobActivities().scoreMiniBatch(input) });
df.app.activity(ACTIVITY.reportProgress, { handler: (input: ActivityInput<'reportProgress'>) => jobActivities().reportProgress(input) });
df.app.activity(ACTIVITY.sealPart, { handler: (input: ActivityInput<'sealPart'>) => jobActivities().sealPart(input) });
df.app.activity(ACTIVITY.finish, { handler: (input: ActivityInput<'finish'>) => jobActivities().finish(input) });
