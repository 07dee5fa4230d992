import { messageOf } from '../../util/messageOf';
import path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';

// Loading a session parses and optimizes the graph; mini-batches of the same deployment run in
// the same worker process, so they share one session per model file.
const sessions = new Map<string, Promise<InferenceSession>>();

// Parallelism comes from running mini-batches in several workers: one ORT thread per session
// keeps N workers from starting N x cores threads that fight over the same cores
// (ORT_INTRA_OP_THREADS, handed to the workers by ScorerPool, overrides it).
export const DEFAULT_INTRA_OP_THREADS = 1;


/**
 * The ONNX Runtime session for a model file, created on first use and then reused by every
 * caller in this process. A failed load is not cached, so a retry can succeed after a re-download.
 * Callers must not release the returned session; model files at one path must not change.
 */
export function getInferenceSession(onnxPath: string, intraOpThreads = DEFAULT_INTRA_OP_THREADS): Promise<InferenceSession> {
  const key = path.resolve(onnxPath);
  let session = sessions.get(key);
  if (!session) {
    session = InferenceSession.create(key, { executionProviders: ['cpu'], intraOpNumThreads: intraOpThreads, interOpNumThreads: 1 }).catch((err: unknown) => {
      sessions.delete(key);
      throw new Error(`cannot load ONNX model ${key}: ${messageOf(err)}`, { cause: err });
    });
    sessions.set(key, session);
  }
  return session;
}

/** Releases every cached session (worker shutdown, tests). */
export async function releaseInferenceSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map(async (s) => (await s.catch(() => undefined))?.release()));
}
