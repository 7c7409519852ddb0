/**
 * The evidence store: what shadow comparisons, user traffic and fallbacks showed, per route per minute,
 * in the gateway state file (`<STRANGLER_STATE_DIR>/state.db`, beside the audit log), and the gate that
 * judges it. Every TS worker, the edge and the control process open it; each writes through its own
 * recorder (in memory, flushed once a second) and reads windows back summed over all of them.
 *
 * @example
 * const store = openEvidence(stateFileIn(config.stateDir), { retentionDays: config.evidenceDays });
 * const recorder = store.recorder();
 * recorder.request('/api/v1/threads', 'legacy', 200, 8.5, false);
 * recorder.comparison('/api/v1/threads', '4-1a2b3c4d', 'match', []);
 * recorder.flush();
 * const evidence = store.window('/api/v1/threads', lastModeChangeMs);
 * gateVerdict('canary', evidence, route.gate).verdict; // 'inconclusive' until enough comparisons
 * summary(evidence); // 'parity 100.0% (n=1, ub 79.3%) · shadow dropped 0 · ts — · legacy 1 req ...'
 */
import { openStateDb } from '../control/state-db.ts';
import { createReader } from './read.ts';
import { createRecorder, type RecorderSettings } from './recorder.ts';
import { EVIDENCE_SCHEMA } from './schema.ts';
import type { EvidenceOptions, EvidenceRecorder, EvidenceStore } from './types.ts';

export const EVIDENCE_DEFAULTS = {
  retentionDays: 7,
  maxClassesPerRoute: 200,
  samplesPerClass: 3,
  flushIntervalMs: 1000,
} as const satisfies Partial<EvidenceOptions>;

export function openEvidence(file: string, options: EvidenceOptions = {}): EvidenceStore {
  const settings = settingsFrom(options);
  const db = openStateDb(file);
  db.exec(EVIDENCE_SCHEMA);
  const reader = createReader(db, settings.now);
  const recorders = new Set<EvidenceRecorder>();
  return {
    recorder() {
      const recorder = createRecorder(db, settings);
      recorders.add(recorder);
      return recorder;
    },
    window: reader.window,
    classes: reader.classes,
    routes: reader.routes,
    close() {
      try {
        for (const recorder of recorders) recorder.close();
      } finally {
        db.close();
      }
    },
  };
}

function settingsFrom(options: EvidenceOptions): RecorderSettings {
  const merged = { ...EVIDENCE_DEFAULTS, ...options };
  const problems: string[] = [];
  const positive = (name: keyof typeof EVIDENCE_DEFAULTS, integer: boolean) => {
    const value = merged[name];
    if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
      problems.push(`${name} must be a positive ${integer ? 'whole ' : ''}number, got ${String(value)}`);
    }
  };
  positive('retentionDays', false);
  positive('maxClassesPerRoute', true);
  positive('samplesPerClass', true);
  positive('flushIntervalMs', true);
  if (problems.length > 0) throw new Error(`evidence store: ${problems.join('; ')}`);
  return {
    ...merged,
    now: options.now ?? Date.now,
    warn: options.warn ?? ((message) => process.emitWarning(message, 'StranglerEvidence')),
  };
}

export { demotionCheck, gateVerdict, ERROR_RATE_SLACK, type CheckOutcome, type DemotionDecision, type GateStep, type GateVerdict } from './gate.ts';
export { summary } from './summary.ts';
export { wilsonInterval, trialsToPassAtZero, WILSON_Z } from './wilson.ts';
export { SAMPLE_BODY_BYTES } from './sample.ts';
export * from './types.ts';
