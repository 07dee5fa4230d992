import * as df from 'durable-functions';
import { ACTIVITY, type FinishRequest, type JobPlan, type JobRef, type MiniBatchRef, type ProgressUpdate, type SealPartRequest } from '../lib/jobs/contracts';
import { jobActivities } from '../app/services';

// Thin registrations: the work is in lib/jobs/jobActivities.ts, built with its dependencies.
df.app.activity(ACTIVITY.prepare, { handler: (input: JobRef) => jobActivities().prepare(input) });
df.app.activity(ACTIVITY.planRest, { handler: (input: JobRef & { plan: JobPlan }) => jobActivities().planRest(input) });
df.app.activity(ACTIVITY.scoreMiniBatch, { handler: (input: MiniBatchRef) => jobActivities().scoreMiniBatch(input) });
df.app.activity(ACTIVITY.reportProgress, { handler: (input: ProgressUpdate) => jobActivities().reportProgress(input) });
df.app.activity(ACTIVITY.sealPart, { handler: (input: SealPartRequest) => jobActivities().sealPart(input) });
df.app.activity(ACTIVITY.finish, { handler: (input: FinishRequest) => jobActivities().finish(input) });
