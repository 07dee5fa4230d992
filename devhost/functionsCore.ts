import Module from 'node:module';

/** A binding as `@azure/functions` describes it in function metadata. */
export interface BindingInfo {
  type: string;
  direction: 'in' | 'out';
  name?: string;
  [key: string]: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

/** One function the app registered, as the worker would receive it. */
export interface Registration {
  name: string;
  bindings: Record<string, BindingInfo>;
  triggerName: string;
  trigger: BindingInfo;
  handler: FunctionCallback;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: Record<string, unknown>) => unknown;

class Disposable {
  #callback: () => unknown;
  constructor(callback: () => unknown) {
    this.#callback = callback;
  }
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): unknown {
    return this.#callback();
  }
}

/**
 * What the real Node worker provides as `@azure/functions-core`: `@azure/functions` v4 calls
 * `registerFunction` at module scope, which is how a host learns the app's functions.
 */
export class FunctionsCore {
  readonly registrations = new Map<string, Registration>();
  readonly hooks = new Map<HookName, HookCallback[]>();
  programmingModel: unknown;
  systemLog: (level: string, category: string, message: string) => void = () => {};

  readonly module = {
    Disposable,
    registerFunction: (metadata: { name: string; bindings: Record<string, BindingInfo>; retryOptions?: unknown }, callback: FunctionCallback) => {
      const name = metadata.name;
      if (this.registrations.has(name.toLowerCase())) {
        throw new Error(`A function with the name "${name}" has already been registered.`);
      }
      const entry = Object.entries(metadata.bindings).find(([, b]) => b.direction === 'in' && /Trigger$/i.test(b.type));
      if (!entry) throw new Error(`Function "${name}" has no trigger binding.`);
      const [triggerName, trigger] = entry;
      this.registrations.set(name.toLowerCase(), {
        name,
        bindings: metadata.bindings,
        triggerName,
        trigger,
        handler: callback,
      });
      return new Disposable(() => this.registrations.delete(name.toLowerCase()));
    },
    registerHook: (hookName: HookName, callback: HookCallback) => {
      const list = this.hooks.get(hookName) ?? [];
      list.push(callback);
      this.hooks.set(hookName, list);
      return new Disposable(() => list.splice(list.indexOf(callback), 1));
    },
    setProgrammingModel: (model: unknown) => {
      this.programmingModel = model;
    },
    getProgrammingModel: () => this.programmingModel,
    log: (level: string, category: string, message: string) => this.systemLog(level, category, message),
  };

  async runHooks(name: HookName, context: Record<string, unknown>): Promise<void> {
    for (const hook of this.hooks.get(name) ?? []) await hook(context);
  }
}

const CORE_ID = '@azure/functions-core';

/**
 * Makes `require('@azure/functions-core')` resolve to `core`, as the worker does.
 * Returns a function that undoes the hook.
 */
export function installFunctionsCore(core: FunctionsCore): () => void {
  const mod = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
  };
  const original = mod._resolveFilename;
  const fakePath = `/__devhost__/${CORE_ID}.js`;
  mod._resolveFilename = function (request: string, ...rest: unknown[]) {
    if (request === CORE_ID) return fakePath;
    return original.call(this, request, ...rest);
  };
  const cached = new Module(fakePath);
  cached.exports = core.module;
  cached.loaded = true;
  require.cache[fakePath] = cached;
  return () => {
    mod._resolveFilename = original;
    delete require.cache[fakePath];
  };
}
