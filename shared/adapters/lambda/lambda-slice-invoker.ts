import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SliceInvoker } from '../../ports/index.js';
import type { QuerySlice, SliceResult } from '../../query/index.js';

/** Runs slices on the executor function through Lambda Invoke (RequestResponse). */
export class LambdaSliceInvoker implements SliceInvoker {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async invoke(slice: QuerySlice, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<SliceResult> {
    const res = await this.client.send(
      new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(slice)) }),
      { abortSignal: options.signal },
    );
    const text = res.Payload ? new TextDecoder().decode(res.Payload) : '';
    if (res.FunctionError) {
      let message = text;
      try {
        const body = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        message = `${body.errorType ?? 'Error'}: ${body.errorMessage ?? text}`;
      } catch {
        // Not JSON: keep the raw text.
      }
      throw new Error(`executor ${this.functionName} failed (${res.FunctionError}): ${message.slice(0, 500)}`);
    }
    return JSON.parse(text) as SliceResult;
  }
}
