/**
 * Stopping a worker thread safely. `worker.terminate()` while the thread is inside a synchronous
 * native call (ONNX Runtime's session run or model load) aborts the whole process: when the call
 * returns, the addon finds the JavaScript engine terminating, throws a C++ `Napi::Error` that
 * nobody catches, and the process ends in `std::terminate`. So a mini-batch that times out during
 * an ONNX Runtime run is stopped in two steps: the pool raises the task's stop flag, which keeps
 * the worker from entering another native call, then waits until the worker is outside any, and
 * only then terminates the thread (see ScorerPool). The run in progress finishes and its result
 * is discarded.
 *
 * The flags are two Int32 cells in a SharedArrayBuffer per task: the worker counts itself in and
 * out of native calls, the pool sets the stop flag. Both sides use sequentially consistent
 * Atomics, so either the pool sees the worker inside (and waits) or the worker sees the stop flag
 * (and does not go in).
 */

// Node 20 has it; the TypeScript lib we compile against (ES2022) does not declare it yet.
const waitAsync = (Atomics as unknown as {
  waitAsync(cells: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

const INSIDE = 0;
const STOP = 1;

/** The pool's side: one per task, its `buffer` handed to the worker with the task. */
export class NativeCallGate {
  readonly buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  readonly #cells = new Int32Array(this.buffer);

  /** Keeps the worker out of further native calls; resolves once it is outside every one. */
  async stopOutsideNativeCalls(): Promise<void> {
    Atomics.store(this.#cells, STOP, 1);
    for (;;) {
      const inside = Atomics.load(this.#cells, INSIDE);
      if (inside === 0) return;
      // Woken by the worker's notify when it leaves; the timeout only guards against a lost wake-up.
      const wait = waitAsync(this.#cells, INSIDE, inside, 1000);
      if (wait.async) await wait.value;
    }
  }
}

/** Thrown in the worker instead of entering a native call once its task was stopped. */
export class TaskStoppedError extends Error {
  constructor() {
    super('the mini-batch was stopped (it timed out): no further ONNX Runtime call is made');
  }
}

// The worker's side: the cells of the task it runs now (one task per worker at a time).
let current: Int32Array | undefined;

/** The worker starts (a buffer) or ends (undefined) a task. */
export function setCurrentGate(buffer: SharedArrayBuffer | undefined): void {
  current = buffer ? new Int32Array(buffer) : undefined;
}

/** Whether the current task was stopped (it timed out): its work is being discarded. */
export function taskStopped(): boolean {
  return current !== undefined && Atomics.load(current, STOP) !== 0;
}

/**
 * Counts this thread as inside a native call until the returned function is called, or throws
 * TaskStoppedError (counting nothing) once the task was stopped.
 */
export function enterNativeCall(): () => void {
  const cells = current;
  if (!cells) return () => {}; // outside a task nothing stops this thread but its pool's close()
  Atomics.add(cells, INSIDE, 1);
  const leave = () => {
    Atomics.sub(cells, INSIDE, 1);
    Atomics.notify(cells, INSIDE);
  };
  if (Atomics.load(cells, STOP) !== 0) {
    leave();
    throw new TaskStoppedError();
  }
  return leave;
}

/** Runs a synchronous native call counted as "inside", or refuses it once the task was stopped. */
export function insideNativeCall<T>(call: () => T): T {
  const leave = enterNativeCall();
  try {
    return call();
  } finally {
    leave();
  }
}

const ORT_BINDING = /[\\/]onnxruntime_binding\.node$/;

/**
 * Counts every call into ONNX Runtime's native binding in this worker thread, whoever makes it:
 * the no-code scorer, or a user's script that loads onnxruntime-node itself. The binding is the
 * one addon file `onnxruntime_binding.node`; its class's methods cannot be redefined (N-API makes
 * them read-only), but the exports object can, so its InferenceSession is replaced by a subclass
 * whose methods and getters go through `insideNativeCall`. Hooked at `process.dlopen`, which every
 * addon load goes through (require, import, any copy of the package), before anyone can use it.
 * Other native addons a script brings are not covered (docs/scoring.md, Limits).
 */
export function gateOnnxRuntimeCalls(): void {
  const dlopen = process.dlopen;
  process.dlopen = function gatedDlopen(this: unknown, module: { exports: unknown }, filename: string, ...rest: unknown[]) {
    (dlopen as (...args: unknown[]) => void).call(this, module, filename, ...rest);
    if (ORT_BINDING.test(filename)) gateBinding(module.exports as Record<string, unknown>);
  } as typeof process.dlopen;
}

type NativeClass = new (...args: unknown[]) => object;

function gateBinding(binding: Record<string, unknown>): void {
  const Native = binding['InferenceSession'] as NativeClass | undefined;
  if (typeof Native === 'function') {
    const Gated = class InferenceSession extends Native {
      constructor(...args: unknown[]) {
        const leave = enterNativeCall();
        try {
          super(...args);
        } finally {
          leave();
        }
      }
    };
    for (const name of Object.getOwnPropertyNames(Native.prototype)) {
      if (name === 'constructor') continue;
      const own = Object.getOwnPropertyDescriptor(Native.prototype, name)!;
      if (typeof own.value === 'function') {
        const method = own.value as (...args: unknown[]) => unknown;
        Object.defineProperty(Gated.prototype, name, {
          value: function (this: object, ...args: unknown[]) {
            return insideNativeCall(() => method.apply(this, args));
          },
          writable: true,
          configurable: true,
        });
      } else if (own.get) {
        const get = own.get;
        Object.defineProperty(Gated.prototype, name, { get(this: object) { return insideNativeCall(() => get.call(this)); }, configurable: true });
      }
    }
    binding['InferenceSession'] = Gated;
  }
  for (const [name, value] of Object.entries(binding)) {
    if (name === 'InferenceSession' || typeof value !== 'function') continue;
    const fn = value as (...args: unknown[]) => unknown;
    binding[name] = function (this: unknown, ...args: unknown[]) {
      return insideNativeCall(() => fn.apply(this, args));
    };
  }
}
