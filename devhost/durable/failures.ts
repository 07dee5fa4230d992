import type { InstanceRecord } from './store';
import { actionInputValue } from './episode';

/**
 * Failure texts as the Functions host and the Durable extension write them, so that what an
 * orchestrator catches (`${Reason} \n ${Details}` in durable-functions) reads as in Azure:
 * - the host wraps a failed Node invocation in an RpcException whose message is
 *   "Result: Failure\nException: <message>\nStack: <stack>" (WebJobs.Script RpcException);
 * - the extension's TaskActivityShim reports "Activity function '<name>' failed: <that>", with
 *   the exception serialized by Newtonsoft (type name included) as Details;
 * - DTFx hands a failed sub-orchestration's own failure reason and details to its parent.
 */
export interface FailureText {
  Reason: string;
  Details: string;
}

const RPC_EXCEPTION = 'Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException';
const FUNCTION_FAILED = 'Microsoft.Azure.WebJobs.Extensions.DurableTask.FunctionFailedException';

/** The shape of an ISerializable .NET exception as Newtonsoft writes it with type names. */
function serializedCause(type: string, assembly: string, message: string): string {
  return JSON.stringify({
    $type: `${type}, ${assembly}`,
    ClassName: type,
    Message: message,
    Data: null,
    InnerException: null,
    HelpURL: null,
    StackTraceString: null,
    RemoteStackTraceString: null,
    RemoteStackIndex: 0,
    ExceptionMethod: null,
    HResult: -2146233088,
    Source: null,
    WatsonBuckets: null,
  });
}

export function activityFailure(name: string, error: Error): FailureText {
  const rpc = `Result: Failure\nException: ${error.message}\nStack: ${error.stack ?? ''}`;
  return { Reason: `Activity function '${name}' failed: ${rpc}`, Details: serializedCause(RPC_EXCEPTION, 'Microsoft.Azure.WebJobs.Script', rpc) };
}

/** TaskNonexistentActivityShim's text. */
export function missingActivity(name: string): FailureText {
  const message = `Activity function '${name}' does not exist.`;
  return {
    Reason: `Activity function '${name}' failed: ${message}`,
    Details: serializedCause(FUNCTION_FAILED, 'Microsoft.Azure.WebJobs.Extensions.DurableTask', message),
  };
}

/** What the parent of a failed (or terminated) child receives: the child's own failure text. */
export function subOrchestrationFailure(child: InstanceRecord): FailureText {
  const output = child.output === null ? '' : actionInputValue(child.output);
  const reason = typeof output === 'string' ? output : JSON.stringify(output);
  return { Reason: reason, Details: serializedCause('System.Exception', 'System.Private.CoreLib', reason) };
}
