/**
 * The evidence store opened on first use: a process that records only now and then (fallbacks at the
 * TS server or the edge) opens the state file when it first has something to record, so a process
 * that never falls back never creates it. Flushes once a second like every recorder; close() at
 * shutdown writes the rest.
 *
 * @example
 * const evidence = lazyEvidence(stateFileIn(config.stateDir), logger, { retentionDays: config.evidenceDays });
 * evidence.recorder()?.fallback('/b', 'edge', 'ts-unreachable');
 * evidence.close(); // at shutdown
 */
import type { Logger } from '../log/index.ts';
import { openEvidence } from './index.ts';
import type { EvidenceOptions, EvidenceRecorder, EvidenceStore } from './types.ts';

export interface LazyEvidence {
  /** This process's recorder, the store opened if need be; null when it cannot be opened (logged once). */
  recorder(): EvidenceRecorder | null;
  close(): void;
}

/** `options` as for openEvidence: the retention must be the configured one, since every writer prunes. */
export function lazyEvidence(file: string, logger: Logger, options: EvidenceOptions = {}): LazyEvidence {
  let store: EvidenceStore | null = null;
  let recorder: EvidenceRecorder | null = null;
  let broken = false;
  return {
    recorder() {
      if (recorder !== null || broken) return recorder;
      try {
        // openEvidence creates the state directory itself, private (it holds request samples).
        store = openEvidence(file, options);
        recorder = store.recorder();
      } catch (err) {
        // The user's answer never depends on the evidence: the count is lost, the request is not.
        broken = true;
        logger.error({ event: 'evidence_unavailable', file, err }, `cannot open the evidence store ${file}; fallbacks are logged but not counted there`);
      }
      return recorder;
    },
    close() {
      try {
        store?.close();
      } catch (err) {
        logger.error({ event: 'evidence_close_failed', file, err }, 'closing the evidence store failed');
      }
    },
  };
}
