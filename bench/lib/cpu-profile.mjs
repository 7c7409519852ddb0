// Preloaded into every Node server a run starts when `npm run bench -- --cpu-prof DIR` is given
// (NODE_OPTIONS=--import=<this file>): Node 20 refuses --cpu-prof in NODE_OPTIONS, and the servers'
// command lines belong to the test helpers. Plain JavaScript: it loads before tsx is registered.
// Writes DIR/<folder>-<script>-<pid>.cpuprofile when the server exits; open it in Chrome DevTools.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, dirname, extname, join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const script = process.argv[1] ?? 'node';
  const name = `${basename(dirname(script))}-${basename(script, extname(script))}-${process.pid}`;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // A session on the same thread answers synchronously, so the profile is written before the exit.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
