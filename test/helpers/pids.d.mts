export declare function isAlive(pid: number): boolean;
export declare function signalGroup(pid: number, signal: NodeJS.Signals): void;
