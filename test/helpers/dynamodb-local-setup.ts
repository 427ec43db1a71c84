import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../shared/adapters/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/** One DynamoDB Local for the whole integration run; each test file makes its own tables. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Generous start timeout: on a busy machine the JVM alone can take over 30 s.
  const ddb = await startDynamoDbLocal({ startTimeoutMs: 120_000 });
  project.provide('dynamodbEndpoint', ddb.endpoint);
  return () => ddb.stop();
}
