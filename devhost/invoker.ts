import { randomUUID } from 'node:crypto';
import type { FunctionsLibrary } from './appLoader';
import type { FunctionsCore, Registration } from './functionsCore';
import type { Logger } from './log';

export interface InvokeOptions {
  triggerMetadata?: Record<string, unknown>;
  extraInputs?: Record<string, unknown>;
  reason?: string;
  /** Log the Executing/Executed lines at debug level instead of info (busy internal triggers). */
  quiet?: boolean;
}

export interface InvokeResult {
  result: unknown;
  context: Record<string, unknown>;
  durationMs: number;
}

const levelMap: Record<string, 'debug' | 'info' | 'warn' | 'error'> = {
  trace: 'debug',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
};

/**
 * Invokes a registered handler the way the worker does: a fresh public `InvocationContext`,
 * extra inputs set by binding name, pre/post invocation hooks, and a log line per invocation.
 */
export class Invoker {
  constructor(
    private readonly core: FunctionsCore,
    private readonly library: FunctionsLibrary,
    private readonly log: Logger,
  ) {}

  async invoke(reg: Registration, triggerValue: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    const invocationId = randomUUID();
    const prefix = `Functions.${reg.name}`;
    const options_ = this.bindingOptions(reg);
    const context = new this.library.InvocationContext({
      invocationId,
      functionName: reg.name,
      triggerMetadata: options.triggerMetadata,
      options: options_,
      logHandler: (level: string, ...args: unknown[]) => {
        const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.stack ?? a.message : JSON.stringify(a))).join(' ');
        this.log[levelMap[level] ?? 'info'](`[${prefix}] ${text}`);
      },
    });
    const extraInputs = context.extraInputs as { set(name: string, value: unknown): void };
    for (const [name, value] of Object.entries(options.extraInputs ?? {})) extraInputs.set(name, value);

    const lineLevel = options.quiet ? 'debug' : 'info';
    this.log[lineLevel](`Executing '${prefix}' (Reason='${options.reason ?? 'This function was programmatically called via the host APIs.'}', Id=${invocationId})`);
    const started = performance.now();
    const hookData: Record<string, unknown> = {};
    const hookContext: Record<string, unknown> = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: context,
      functionCallback: reg.handler,
      inputs: [triggerValue],
    };
    let result: unknown;
    let error: unknown;
    try {
      await this.core.runHooks('preInvocation', hookContext);
      const handler = hookContext.functionCallback as (...a: unknown[]) => unknown;
      result = await handler(...(hookContext.inputs as unknown[]), context);
    } catch (err) {
      error = err;
    }
    Object.assign(hookContext, { result, error });
    await this.core.runHooks('postInvocation', hookContext);
    result = hookContext.result;
    error = hookContext.error;
    const durationMs = performance.now() - started;
    const outcome = error === undefined ? 'Succeeded' : 'Failed';
    const line = `Executed '${prefix}' (${outcome}, Id=${invocationId}, Duration=${Math.round(durationMs)}ms)`;
    if (error === undefined) this.log[lineLevel](line);
    else this.log.error(`${line}\n${(error as Error)?.stack ?? String(error)}`);
    if (error !== undefined) throw error;
    return { result, context, durationMs };
  }

  readonly appHookData: Record<string, unknown> = {};

  /** `context.options` as the library builds it from the metadata (trigger, return, extras). */
  private bindingOptions(reg: Registration): Record<string, unknown> {
    const extraInputs: unknown[] = [];
    const extraOutputs: unknown[] = [];
    let ret: unknown;
    for (const [name, binding] of Object.entries(reg.bindings)) {
      if (name === reg.triggerName) continue;
      const b = { ...binding, name };
      if (name === '$return') ret = b;
      else if (binding.direction === 'in') extraInputs.push(b);
      else extraOutputs.push(b);
    }
    return { trigger: { ...reg.trigger, name: reg.triggerName }, return: ret, extraInputs, extraOutputs };
  }
}
