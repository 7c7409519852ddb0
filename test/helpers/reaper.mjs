// The reaper of one test process: it reads `+<pid>:<start time>` (a child was started) and `-<pid>` (it exited)
// lines on stdin, and when stdin ends (the test process exited, was killed, or crashed) it stops every
// pid still listed: SIGTERM to its process group and itself, then SIGKILL to whatever is left after a
// grace period. Started detached by test/helpers/children.ts, so nothing that kills the test process or
// its group kills the reaper before it has done this.
//
//   node test/helpers/reaper.mjs   # stdin: +1234\n+1240\n-1234\n ... EOF
import { isAlive, signalGroup } from './pids.mjs';

const GRACE_MS = 5_000;
const POLL_MS = 100;

// pid -> its start time (pids.mjs): a pid reused by another process since is left alone.
const live = new Map();
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    const [number, startTime = null] = line.slice(1).split(':');
    const pid = Number(number);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (line.startsWith('+')) live.set(pid, startTime || null);
    else if (line.startsWith('-')) live.delete(pid);
  }
});
process.stdin.on('end', () => void reap());
process.stdin.on('error', () => void reap());

async function reap() {
  const pids = [...live];
  if (pids.length === 0) process.exit(0);
  for (const [pid, startTime] of pids) signalGroup(pid, 'SIGTERM', startTime);
  const deadline = Date.now() + GRACE_MS;
  const running = () => pids.some(([pid, startTime]) => isAlive(pid, startTime));
  while (running() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  // Their groups too (a member that ignored SIGTERM), unless the pid now names another process.
  for (const [pid, startTime] of pids) signalGroup(pid, 'SIGKILL', startTime);
  process.exit(0);
}
