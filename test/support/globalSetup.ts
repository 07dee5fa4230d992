import type { TestProject } from 'vitest/node';
import { startAzurite, type RunningAzurite } from '../../devhost/azurite';

let azurite: RunningAzurite | undefined;

/** One Azurite for the whole run, on free ports and in memory, so runs never collide. */
export async function setup(project: TestProject): Promise<void> {
  azurite = await startAzurite({ location: '', inMemory: true });
  project.provide('storageConnectionString', azurite.connectionString);
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    storageConnectionString: string;
  }
}
