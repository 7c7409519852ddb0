// Preloaded into a server the live soak measures (node --expose-gc --import <this file>): SIGUSR2 runs
// a full garbage collection and says so on stdout with the heap then, so the soak reads memory after a
// GC, not by chance.
let collections = 0;
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  const { heapUsed, external } = process.memoryUsage();
  console.log(JSON.stringify({ event: 'bench_gc', collections: ++collections, gc: typeof globalThis.gc === 'function', heap_used: heapUsed, external }));
});
