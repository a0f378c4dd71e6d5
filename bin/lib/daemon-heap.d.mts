// Types of daemon-heap.mjs, for the TypeScript that starts daemons (benchmarks, tests).
export declare const DEFAULT_HEAP_MB: number;
export declare function daemonHeapFlag(env?: NodeJS.ProcessEnv, execArgv?: readonly string[]): string | null;
