import { JobStore } from '../../../lib/jobs/jobStore';

/**
 * A JobStore that runs `between` once, right after a read of job `armed` (the next one, or the one
 * after `skip` more), before the reader goes on with what it read: what another writer does then.
 */
export class JobStoreWithAGap extends JobStore {
  armed?: { jobId: string; between: () => Promise<unknown>; skip?: number };
  override async get(endpoint: string, jobId: string) {
    const record = await super.get(endpoint, jobId);
    const armed = this.armed;
    if (armed?.jobId === jobId) {
      if (armed.skip) {
        armed.skip--;
        return record;
      }
      this.armed = undefined;
      await armed.between();
    }
    return record;
  }
}
