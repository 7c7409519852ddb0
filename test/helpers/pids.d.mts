export declare function startTimeOf(pid: number): string | null;
export declare function isAlive(pid: number, startTime?: string | null): boolean;
export declare function signalGroup(pid: number, signal: NodeJS.Signals, startTime?: string | null): void;
